/**
 * OpenSSH certificates (PROTOCOL.certkeys): certificates made by the real ssh-keygen are
 * decoded field by field and their CA signatures verify; certificates we sign are read back by
 * ssh-keygen -L; fuzzed blobs give KeyError only.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';
import { base64Decode } from '../../../src/crypto/encoding.js';
import {
  Certificate,
  CertifiedPrivateKey,
  CERT_TYPE_HOST,
  CERT_TYPE_USER,
  CERT_VALID_FOREVER,
  checkCertificate,
  formatPublicKeyLine,
  optionStringData,
  parseCertificateBlob,
  parsePrivateKey,
  parsePublicKeyLine,
  signCertificate,
  verifyCertificateSignature,
} from '../../../src/crypto/keys/index.js';
import { KeyError } from '../../../src/errors.js';
import { generateKey, keygen, TempDir, type GeneratedKey } from './keygen.js';

const KEYS: [string, number?][] = [['ed25519'], ['ecdsa', 256], ['ecdsa', 384], ['ecdsa', 521], ['rsa', 2048]];

function certBlob(path: string): Uint8Array {
  return base64Decode(readFileSync(`${path}-cert.pub`, 'utf8').trim().split(' ')[1]!);
}

describe('crypto/keys: OpenSSH certificates', function () {
  this.timeout(60_000);
  const dir = new TempDir();
  let caEd: GeneratedKey;
  let caRsa: GeneratedKey;
  let caEcdsa: GeneratedKey;
  before(() => {
    caEd = generateKey(dir, 'ed25519');
    caRsa = generateKey(dir, 'rsa', 2048);
    caEcdsa = generateKey(dir, 'ecdsa', 384);
  });
  after(() => dir.remove());

  for (const [type, bits] of KEYS) {
    for (const caName of ['ed25519', 'rsa', 'ecdsa']) {
      it(`decodes a ${type}${bits ? `-${bits}` : ''} user certificate signed by an ${caName} CA (ssh-keygen -s)`, () => {
        const ca = caName === 'ed25519' ? caEd : caName === 'rsa' ? caRsa : caEcdsa;
        const key = generateKey(dir, type, bits);
        const options = ['-O', 'force-command=/bin/true', '-O', 'source-address=10.0.0.0/8'];
        const validity = ['-V', '20200101000000:20991231000000'];
        keygen(['-q', '-s', ca.path, '-I', 'alice@example', '-n', 'alice,bob', '-z', '42', ...validity, ...options, key.path + '.pub']);
        const blob = certBlob(key.path);
        const cert = parseCertificateBlob(blob);
        expect(cert.type).to.equal(`${key.publicLine.split(' ')[0]}-cert-v01@openssh.com`);
        expect(cert.key.blob).to.deep.equal(key.publicBlob);
        expect(cert.signatureKey.blob).to.deep.equal(ca.publicBlob);
        expect(cert.serial).to.equal(42n);
        expect(cert.certType).to.equal(CERT_TYPE_USER);
        expect(cert.keyId).to.equal('alice@example');
        expect(cert.principals).to.deep.equal(['alice', 'bob']);
        expect(cert.validAfter).to.equal(BigInt(new Date(2020, 0, 1).getTime() / 1000));
        expect(cert.criticalOptions.map((o) => o.name)).to.deep.equal(['force-command', 'source-address']);
        expect(cert.optionString('force-command')).to.equal('/bin/true');
        expect(cert.optionString('source-address')).to.equal('10.0.0.0/8');
        expect(cert.extensions.map((o) => o.name)).to.deep.equal([
          'permit-X11-forwarding',
          'permit-agent-forwarding',
          'permit-port-forwarding',
          'permit-pty',
          'permit-user-rc',
        ]);
        expect(cert.signatureAlgorithm).to.equal(caName === 'rsa' ? 'rsa-sha2-512' : ca.publicLine.split(' ')[0]);
        expect(verifyCertificateSignature(cert)).to.equal(null);
        // the line form round-trips and a private key takes the certificate
        const line = readFileSync(`${key.path}-cert.pub`, 'utf8').trim();
        expect(formatPublicKeyLine(parsePublicKeyLine(line).key, parsePublicKeyLine(line).comment)).to.equal(line);
        const certified = new CertifiedPrivateKey(parsePrivateKey(key.privateText), cert);
        expect(certified.type).to.equal(cert.type);
        expect(certified.signatureAlgorithms.every((a) => a.endsWith('-cert-v01@openssh.com'))).to.equal(true);
      });
    }
  }

  it('signs with the certified key under the plain algorithm name, and the certificate verifies it', async () => {
    const key = generateKey(dir, 'rsa', 2048);
    keygen(['-q', '-s', caEd.path, '-I', 'id', key.path + '.pub']);
    const cert = parseCertificateBlob(certBlob(key.path));
    const certified = new CertifiedPrivateKey(parsePrivateKey(key.privateText), cert);
    const data = new TextEncoder().encode('session data');
    const sig = await certified.sign('rsa-sha2-256-cert-v01@openssh.com', data);
    expect(new TextDecoder().decode(sig.subarray(4, 4 + 12))).to.equal('rsa-sha2-256');
    expect(cert.verify('rsa-sha2-256-cert-v01@openssh.com', data, sig)).to.equal(true);
    expect(cert.verify('rsa-sha2-512-cert-v01@openssh.com', data, sig)).to.equal(false);
    expect(cert.verify('rsa-sha2-256', data, sig)).to.equal(false);
    expect(() => certified.sign('rsa-sha2-256', data)).to.throw(KeyError);
    const other = parsePrivateKey(generateKey(dir, 'rsa', 2048).privateText);
    expect(() => new CertifiedPrivateKey(other, cert)).to.throw(KeyError, 'certificate does not match the private key');
  });

  it('RSA CA signature algorithms: rsa-sha2-256 accepted, ssh-rsa refused unless allowed', () => {
    const key = generateKey(dir, 'ed25519');
    keygen(['-q', '-s', caRsa.path, '-t', 'rsa-sha2-256', '-I', 'id', key.path + '.pub']);
    const c256 = parseCertificateBlob(certBlob(key.path));
    expect(c256.signatureAlgorithm).to.equal('rsa-sha2-256');
    expect(verifyCertificateSignature(c256)).to.equal(null);
    keygen(['-q', '-s', caRsa.path, '-t', 'ssh-rsa', '-I', 'id', key.path + '.pub']);
    const sha1 = parseCertificateBlob(certBlob(key.path));
    expect(sha1.signatureAlgorithm).to.equal('ssh-rsa');
    expect(verifyCertificateSignature(sha1)).to.equal('certificate signature algorithm ssh-rsa not in CASignatureAlgorithms');
    expect(verifyCertificateSignature(sha1, ['ssh-rsa'])).to.equal(null);
  });

  it('a tampered certificate fails its CA signature; a host certificate is checked as one', () => {
    const key = generateKey(dir, 'ed25519');
    keygen(['-q', '-s', caEd.path, '-h', '-I', 'host', '-n', 'example.com', '-V', '20200101:20300101', key.path + '.pub']);
    const blob = certBlob(key.path);
    const cert = parseCertificateBlob(blob);
    expect(cert.certType).to.equal(CERT_TYPE_HOST);
    expect(cert.extensions).to.deep.equal([]);
    const tampered = blob.slice();
    tampered[tampered.length - 10]! ^= 1;
    expect(verifyCertificateSignature(parseCertificateBlob(tampered))).to.equal('invalid certificate signature');
    const now = BigInt(Date.UTC(2025, 0, 1) / 1000);
    expect(checkCertificate(cert, { certType: CERT_TYPE_HOST, principal: 'example.com', now })).to.equal(null);
    expect(checkCertificate(cert, { certType: CERT_TYPE_HOST, principal: 'other.com', now })).to.equal('Certificate invalid: name is not a listed principal');
    expect(checkCertificate(cert, { certType: CERT_TYPE_USER, principal: 'example.com', now })).to.equal('Certificate invalid: not a user certificate');
    expect(checkCertificate(cert, { certType: CERT_TYPE_HOST, principal: 'example.com', now: BigInt(Date.UTC(2031, 0, 1) / 1000) })).to.equal(
      'Certificate invalid: expired',
    );
    expect(checkCertificate(cert, { certType: CERT_TYPE_HOST, principal: 'example.com', now: BigInt(Date.UTC(2019, 0, 1) / 1000) })).to.equal(
      'Certificate invalid: not yet valid',
    );
  });

  for (const [caName, alg] of [
    ['ed25519', undefined],
    ['rsa', 'rsa-sha2-256'],
    ['ecdsa', undefined],
  ] as const) {
    it(`a certificate we sign with an ${caName} CA is read by ssh-keygen -L`, async () => {
      const ca = caName === 'ed25519' ? caEd : caName === 'rsa' ? caRsa : caEcdsa;
      const key = generateKey(dir, 'ecdsa', 256);
      const cert = await signCertificate(
        {
          key: parsePublicKeyLine(key.publicLine).key,
          nonce: new Uint8Array(32).fill(7),
          serial: 7n,
          certType: CERT_TYPE_USER,
          keyId: 'made by puressh',
          principals: ['carol'],
          validAfter: 0n,
          validBefore: CERT_VALID_FOREVER,
          criticalOptions: [{ name: 'source-address', data: optionStringData('127.0.0.1/32') }],
          extensions: [
            { name: 'permit-pty', data: new Uint8Array(0) },
            { name: 'permit-X11-forwarding', data: new Uint8Array(0) },
          ],
        },
        parsePrivateKey(ca.privateText),
        alg,
      );
      expect(verifyCertificateSignature(cert)).to.equal(null);
      const path = dir.file(`ours-${caName}-cert.pub`);
      writeFileSync(path, formatPublicKeyLine(cert, 'c') + '\n');
      const out = keygen(['-L', '-f', path]);
      expect(out).to.include(`Type: ecdsa-sha2-nistp256-cert-v01@openssh.com user certificate`);
      expect(out).to.include('Key ID: "made by puressh"');
      expect(out).to.include('Serial: 7');
      expect(out).to.include('Valid: forever');
      expect(out).to.match(/Principals: \n\s+carol\n/);
      expect(out).to.match(/Critical Options: \n\s+source-address 127\.0\.0\.1\/32\n/);
      expect(out).to.match(/Extensions: \n\s+permit-X11-forwarding\n\s+permit-pty\n/);
      const caFingerprint = keygen(['-l', '-f', ca.path + '.pub']).split(' ')[1]!;
      expect(out).to.include(`${caFingerprint} (using ${alg ?? ca.publicLine.split(' ')[0]})`);
    });
  }

  it('malformed certificates give KeyError naming the problem', () => {
    const key = generateKey(dir, 'ed25519');
    keygen(['-q', '-s', caEd.path, '-I', 'id', '-n', 'a', key.path + '.pub']);
    const cert = parseCertificateBlob(certBlob(key.path));
    const body = (over: Partial<Certificate['fields']>) => {
      const f = { ...cert.fields, ...over };
      return signCertificate(f, parsePrivateKey(caEd.privateText));
    };
    return Promise.all([
      body({ certType: 3 }).then(
        () => expect.fail('type 3 accepted'),
        (e: unknown) => expect(String(e)).to.include('certificate type 3 is neither user (1) nor host (2)'),
      ),
      body({
        criticalOptions: [
          { name: 'x', data: new Uint8Array(0) },
          { name: 'x', data: new Uint8Array(0) },
        ],
      }).then(
        () => expect.fail('duplicate accepted'),
        (e: unknown) => expect(e).to.be.instanceOf(KeyError).with.property('message', 'certificate critical option "x" appears twice'),
      ),
    ]);
  });

  it('fuzzed certificate blobs give a certificate or a KeyError, never another exception', () => {
    const blobs = [caEd, caRsa, caEcdsa].map((ca) => {
      const key = generateKey(dir, 'ecdsa', 256);
      keygen(['-q', '-s', ca.path, '-I', 'id', '-n', 'a,b', '-O', 'force-command=x', key.path + '.pub']);
      return certBlob(key.path);
    });
    fc.assert(
      fc.property(
        fc.constantFrom(...blobs),
        fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), cut: fc.boolean() }), { minLength: 1, maxLength: 4 }),
        (blob, ms) => {
          let d = blob.slice();
          for (const m of ms) {
            if (d.length === 0) break;
            const at = m.at % d.length;
            if (m.cut) d = d.slice(0, at);
            else d[at] = m.byte;
          }
          let cert: Certificate;
          try {
            cert = parseCertificateBlob(d);
          } catch (e) {
            expect(e, String(e)).to.be.instanceOf(KeyError);
            return;
          }
          const verdict = verifyCertificateSignature(cert);
          expect(verdict === null || typeof verdict === 'string').to.equal(true);
        },
      ),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (tail) => {
        const d = new Uint8Array([0, 0, 0, 32, ...new TextEncoder().encode('ssh-ed25519-cert-v01@openssh.com'), ...tail]);
        try {
          parseCertificateBlob(d);
        } catch (e) {
          expect(e, String(e)).to.be.instanceOf(KeyError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
