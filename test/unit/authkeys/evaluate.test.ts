/**
 * sshd's decision on a key or certificate (user_key_allowed): matching lines, from=, expiry,
 * cert-authority with principals=, certificate validity and critical options, the merge of key
 * and certificate options, TrustedUserCAKeys with AuthorizedPrincipalsFile, RevokedKeys.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { authorizeCertificate, authorizeKey, parseAuthorizedKeys, parsePrincipals, parsePublicKeyList, parseRevokedKeys } from '../../../src/authkeys/index.js';
import {
  CERT_TYPE_HOST,
  CERT_TYPE_USER,
  formatPublicKeyLine,
  generateKeyPair,
  optionStringData,
  signCertificate,
  writeKrl,
  type Certificate,
  type PublicKey,
} from '../../../src/crypto/keys/index.js';

const rnd = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const NOW = 1_900_000_000;
const ctx = { user: 'alice', address: '192.0.2.7', now: NOW };

describe('authkeys: authorizeKey / authorizeCertificate', () => {
  const user = generateKeyPair({ type: 'ed25519' }, rnd).privateKey;
  const other = generateKeyPair({ type: 'ed25519' }, rnd).privateKey;
  const ca = generateKeyPair({ type: 'ecdsa', bits: 256 }, rnd).privateKey;
  const line = (k: PublicKey): string => formatPublicKeyLine(k);
  const cert = (over: Partial<Parameters<typeof signCertificate>[0]> = {}): Promise<Certificate> =>
    signCertificate(
      {
        key: user.publicKey,
        nonce: rnd(32),
        serial: 7n,
        certType: CERT_TYPE_USER,
        keyId: 'alice-cert',
        principals: ['alice'],
        validAfter: 0n,
        validBefore: BigInt(NOW + 3600),
        criticalOptions: [],
        extensions: ['permit-pty', 'permit-port-forwarding', 'permit-agent-forwarding', 'permit-X11-forwarding', 'permit-user-rc'].map((name) => ({
          name,
          data: new Uint8Array(0),
        })),
        ...over,
      },
      ca,
    );
  const file = (...lines: string[]) => [parseAuthorizedKeys(lines.join('\n'), 'ak')];

  it('plain keys: the first matching line, its options, sshd-style log', () => {
    const v = authorizeKey(user.publicKey, file(line(other.publicKey), `restrict,pty,command="nethack" ${line(user.publicKey)}`, line(user.publicKey)), ctx);
    expect(v.allowed).to.equal(true);
    if (!v.allowed) return;
    expect(v.source).to.deep.equal({ kind: 'authorized_keys', location: 'ak:2' });
    expect(v.options.forceCommand).to.equal('nethack');
    expect(v.options.permitPty).to.equal(true);
    expect(v.options.permitPortForwarding).to.equal(false);
    expect(v.log.at(-1)).to.match(/^Accepted key ED25519 SHA256:\S+ found at ak:2$/);
    expect(authorizeKey(user.publicKey, file(line(other.publicKey)), ctx).allowed).to.equal(false);
  });

  it('a bad line is skipped, a later good line still counts', () => {
    const v = authorizeKey(user.publicKey, file(`bogus ${line(user.publicKey)}`, `no-pty ${line(user.publicKey)}`), ctx);
    expect(v.allowed).to.equal(true);
    expect(v.log[0]).to.equal('ak:1: bad key options: unknown key option');
  });

  it('from= and expiry-time refuse that line (the next may still allow)', () => {
    const k = line(user.publicKey);
    expect(authorizeKey(user.publicKey, file(`from="10.0.0.0/8" ${k}`), ctx).allowed).to.equal(false);
    expect(authorizeKey(user.publicKey, file(`from="192.0.2.0/24,!192.0.2.7" ${k}`), ctx).allowed).to.equal(false);
    expect(authorizeKey(user.publicKey, file(`from="*.example.com" ${k}`), { ...ctx, hostname: 'gw.example.com' }).allowed).to.equal(true);
    expect(authorizeKey(user.publicKey, file(`from="192.0.2.*" ${k}`), { ...ctx, address: '::ffff:192.0.2.7' }).allowed).to.equal(true);
    const expired = authorizeKey(user.publicKey, file(`expiry-time="20200101Z" ${k}`, `no-pty ${k}`), ctx);
    expect(expired.allowed && expired.options.permitPty).to.equal(false);
    expect(expired.log[1]).to.match(/^ak:1: entry expired at 20(19|20)-/);
    const refusedFrom = authorizeKey(user.publicKey, file(`from="10.0.0.0/8" ${k}`), ctx);
    expect(refusedFrom.log).to.include(
      'ak:1: Authentication tried for alice with correct key but not from a permitted host (host=192.0.2.7, ip=192.0.2.7, required=10.0.0.0/8).',
    );
    expect(authorizeKey(user.publicKey, file(`principals="x" ${k}`), ctx).allowed).to.equal(false); // principals on non-CA key
    expect(authorizeKey(user.publicKey, file(`cert-authority ${k}`), ctx).allowed).to.equal(false);
  });

  it('certificates through cert-authority lines: principal, validity, options merged', async () => {
    const c = await cert({ criticalOptions: [{ name: 'force-command', data: optionStringData('/bin/cert-cmd') }] });
    const caLine = line(ca.publicKey);
    let v = authorizeKey(c, file(`cert-authority,no-pty ${caLine}`), ctx);
    expect(v.allowed).to.equal(true);
    if (v.allowed) {
      expect(v.options.forceCommand).to.equal('/bin/cert-cmd');
      expect(v.options.permitPty).to.equal(false);
      expect(v.options.permitPortForwarding).to.equal(true);
      expect(v.log.at(-1)).to.match(/^Accepted certificate ID "alice-cert" \(serial 7\) signed by CA ECDSA SHA256:\S+ found at ak:1$/);
    }
    expect(authorizeKey(c, file(caLine), ctx).allowed).to.equal(false); // no cert-authority
    expect(authorizeKey(c, file(`cert-authority ${caLine}`), { ...ctx, user: 'bob' }).allowed).to.equal(false);
    expect(authorizeKey(c, file(`cert-authority,principals="ops,alice" ${caLine}`), { ...ctx, user: 'bob' }).allowed).to.equal(true);
    v = authorizeKey(c, file(`cert-authority,principals="ops" ${caLine}`), ctx);
    expect(v.allowed).to.equal(false);
    expect(v.log).to.include('Certificate does not contain an authorized principal');
    v = authorizeKey(c, file(`cert-authority,command="other" ${caLine}`), ctx);
    expect(v.log).to.include('forced command options do not match');
    expect(authorizeKey(c, file(`cert-authority,command="/bin/cert-cmd" ${caLine}`), ctx).allowed).to.equal(true);
    expect(authorizeKey(c, file(`cert-authority ${caLine}`), { ...ctx, now: NOW + 7200 }).log).to.include('Certificate invalid: expired');
    expect(authorizeKey(await cert({ validAfter: BigInt(NOW + 10) }), file(`cert-authority ${caLine}`), ctx).log).to.include(
      'Certificate invalid: not yet valid',
    );
    expect(authorizeKey(await cert({ certType: CERT_TYPE_HOST }), file(`cert-authority ${caLine}`), ctx).log).to.include('Invalid certificate options');
    expect(authorizeKey(await cert({ principals: [] }), file(`cert-authority ${caLine}`), ctx).allowed).to.equal(true); // no principals: any user here
  });

  it('critical options: source-address, unknown ones refuse', async () => {
    const caLine = `cert-authority ${line(ca.publicKey)}`;
    const sa = (list: string) => cert({ criticalOptions: [{ name: 'source-address', data: optionStringData(list) }] });
    expect(authorizeKey(await sa('192.0.2.0/24'), file(caLine), ctx).allowed).to.equal(true);
    const v = authorizeKey(await sa('10.0.0.0/8'), file(caLine), ctx);
    expect(v.log).to.include('ak:1: Authentication tried for alice with valid certificate but not from a permitted source address (192.0.2.7).');
    const bad = await cert({ criticalOptions: [{ name: 'frob@example.com', data: new Uint8Array(0) }] });
    expect(authorizeKey(bad, file(caLine), ctx).log).to.include('Certificate critical option "frob@example.com" is not supported');
    const noPerm = await cert({ extensions: [] });
    const np = authorizeKey(noPerm, file(caLine), ctx);
    expect(np.allowed && [np.options.permitPty, np.options.permitPortForwarding].join()).to.equal('false,false');
  });

  it('TrustedUserCAKeys with and without AuthorizedPrincipalsFile', async () => {
    const c = await cert({ principals: ['alice', 'ops'] });
    const trustedCaKeys = parsePublicKeyList(`# CAs\n${line(ca.publicKey)}\n`);
    expect(authorizeCertificate(c, { trustedCaKeys }, ctx).allowed).to.equal(true);
    expect(authorizeCertificate(c, { trustedCaKeys }, { ...ctx, user: 'bob' }).allowed).to.equal(false);
    const principals = parsePrincipals('admin\nno-pty,command="ops-shell" ops\n', 'p');
    const v = authorizeCertificate(c, { trustedCaKeys, principals }, { ...ctx, user: 'bob' });
    expect(v.allowed).to.equal(true);
    if (v.allowed) expect([v.options.forceCommand, v.options.permitPty]).to.deep.equal(['ops-shell', false]);
    expect(authorizeCertificate(c, { trustedCaKeys, principals: null }, ctx).allowed).to.equal(false);
    expect(authorizeCertificate(await cert({ principals: [] }), { trustedCaKeys }, ctx).log).to.include('Certificate lacks principal list');
    expect(authorizeCertificate(c, { trustedCaKeys: parsePublicKeyList(`junk\n${line(ca.publicKey)}`) }, ctx).allowed).to.equal(false);
    // through authorizeKey when no authorized_keys line matches
    expect(authorizeKey(c, file(line(other.publicKey)), ctx, { trustedCaKeys }).allowed).to.equal(true);
  });

  it('RevokedKeys: a key list or a KRL, the key or its CA', async () => {
    const c = await cert();
    const enc = (s: string) => new TextEncoder().encode(s);
    const plain = file(line(user.publicKey));
    const byCa = file(`cert-authority ${line(ca.publicKey)}`);
    expect(authorizeKey(user.publicKey, plain, { ...ctx, revokedKeys: parseRevokedKeys(enc(line(user.publicKey))) }).allowed).to.equal(false);
    expect(authorizeKey(user.publicKey, plain, { ...ctx, revokedKeys: parseRevokedKeys(enc(line(other.publicKey))) }).allowed).to.equal(true);
    expect(authorizeKey(c, byCa, { ...ctx, revokedKeys: parseRevokedKeys(enc(line(ca.publicKey))) }).allowed).to.equal(false);
    expect(authorizeKey(user.publicKey, plain, { ...ctx, revokedKeys: parseRevokedKeys(enc('garbage')) }).allowed).to.equal(false);
    const krl = writeKrl({ generatedDate: 0n, certificates: [{ caBlob: ca.publicKey.blob, serials: [[7n, 7n]], keyIds: [] }], keys: [], sha1: [], sha256: [] });
    expect(authorizeKey(c, byCa, { ...ctx, revokedKeys: parseRevokedKeys(krl) }).allowed).to.equal(false);
    expect(authorizeKey(user.publicKey, plain, { ...ctx, revokedKeys: parseRevokedKeys(krl) }).allowed).to.equal(true);
  });

  it('a certificate whose CA signature does not verify is refused', async () => {
    const c = await cert();
    const blob = c.blob.slice();
    blob[blob.length - 5]! ^= 1;
    const { parseCertificateBlob } = await import('../../../src/crypto/keys/index.js');
    expect(authorizeKey(parseCertificateBlob(blob), file(`cert-authority ${line(ca.publicKey)}`), ctx).allowed).to.equal(false);
  });
});
