/**
 * PuTTY .ppk private keys made on the spot by puttygen (putty-tools): every type × version 2/3
 * × plain/aes256-cbc (Argon2id, Argon2i, Argon2d), checked against puttygen's own OpenSSH
 * exports (public line and private-openssh-new file), node:crypto and `ssh-keygen -Y verify`;
 * then wrong passphrases, tampering, unsupported variants.
 */
import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { parsePrivateKey, type PrivateKey } from '../../../src/crypto/keys/index.js';
import { Reader } from '../../../src/wire/reader.js';
import { Writer } from '../../../src/wire/writer.js';
import { b64, expectKeyError, keygenPublicBlob, lineBlob, nodePublicKeyFromLine, run, TempDir, verifyWithNode, verifyWithOpenSSH } from './formats-helpers.js';

const PASS = 'correct horse ü';
const COMMENT = 'puttygen clé ключ';

const TYPES: [string, number?][] = [['ed25519'], ['ecdsa', 256], ['ecdsa', 384], ['ecdsa', 521], ['rsa', 2048], ['dsa', 1024], ['dsa', 2048]];

/** Sign with every algorithm; when signing is deterministic (it is for all our key types), a key equals its reference. */
async function sameSignatures(key: PrivateKey, ref: PrivateKey): Promise<void> {
  const data = new TextEncoder().encode('compare');
  for (const alg of key.signatureAlgorithms) expect(b64(await key.sign(alg, data)), alg).to.equal(b64(await ref.sign(alg, data)));
}

/** The fields of a .ppk file, in order, as [key, value] lines plus base64 blocks. */
function ppkFields(text: string): Map<string, string> {
  const m = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const at = lines[i]!.indexOf(': ');
    if (at < 0) continue;
    const k = lines[i]!.slice(0, at);
    const v = lines[i]!.slice(at + 2);
    if (k.endsWith('-Lines')) {
      m.set(k, lines.slice(i + 1, i + 1 + Number(v)).join(''));
      i += Number(v);
    } else m.set(k, v);
  }
  return m;
}

/** An unencrypted v3 file with a correct MAC (HMAC-SHA-256, empty key) over whatever fields we give. */
function ppkV3Plain(type: string, comment: string, pub: Uint8Array, priv: Uint8Array): string {
  const mac = createHmac('sha256', Buffer.alloc(0))
    .update(new Writer().string(type).string('none').string(comment).string(pub).string(priv).finish())
    .digest('hex');
  const wrap = (b: Uint8Array) =>
    Buffer.from(b)
      .toString('base64')
      .replace(/.{1,64}/g, '$&\n');
  const p = wrap(pub);
  const q = wrap(priv);
  return `PuTTY-User-Key-File-3: ${type}\nEncryption: none\nComment: ${comment}\nPublic-Lines: ${p.split('\n').length - 1}\n${p}Private-Lines: ${q.split('\n').length - 1}\n${q}Private-MAC: ${mac}\n`;
}

describe('crypto/keys formats: PuTTY .ppk from puttygen', function () {
  const dir = new TempDir();
  after(() => dir.remove());
  const passFile = dir.file('pass');
  const emptyFile = dir.file('empty');
  before(() => {
    writeFileSync(passFile, PASS);
    writeFileSync(emptyFile, '');
  });

  for (const [type, bits] of TYPES) {
    const name = bits ? `${type}-${bits}` : type;
    it(`${name}: v3 and v2, plain and aes256-cbc = puttygen's OpenSSH exports; node and ssh-keygen -Y verify`, async () => {
      const base = dir.file(`${name}.ppk`);
      run('puttygen', ['-t', type, ...(bits ? ['-b', String(bits)] : []), '-C', COMMENT, '-o', base, '--new-passphrase', emptyFile]);
      const line = run('puttygen', [base, '-O', 'public-openssh']);
      const blob = lineBlob(line);
      const refPath = dir.file(`${name}.openssh`);
      run('puttygen', [base, '-O', 'private-openssh-new', '-o', refPath]);
      expect(b64(keygenPublicBlob(refPath))).to.equal(b64(blob));
      const ref = parsePrivateKey(readFileSync(refPath, 'utf8'));

      const variants: { label: string; args: string[]; pass?: string }[] = [
        { label: 'v3 plain', args: [] },
        { label: 'v2 plain', args: ['-C', COMMENT, '--ppk-param', 'version=2'] },
        { label: 'v3 argon2id', args: ['-P', '--new-passphrase', passFile, '--ppk-param', 'passes=2,memory=512'], pass: PASS },
        { label: 'v2 aes256-cbc', args: ['-P', '--new-passphrase', passFile, '--ppk-param', 'version=2'], pass: PASS },
      ];
      for (const v of variants) {
        const file = v.args.length ? dir.file(`${name}.${v.label.replace(/ /g, '-')}.ppk`) : base;
        if (v.args.length) run('puttygen', [base, '-o', file, ...v.args]);
        const text = readFileSync(file, 'utf8');
        expect(text).to.match(new RegExp(`^PuTTY-User-Key-File-${v.label[1]}: `));
        expect(text).to.include(`Encryption: ${v.pass ? 'aes256-cbc' : 'none'}\n`);
        const key = parsePrivateKey(text, v.pass);
        expect(b64(key.publicKey.blob), v.label).to.equal(b64(blob));
        expect(key.comment).to.equal(COMMENT);
        expect(b64(parsePrivateKey(new Uint8Array(readFileSync(file)), v.pass).publicKey.blob)).to.equal(b64(blob));
        await sameSignatures(key, ref);
        if (v.pass) {
          expectKeyError(() => parsePrivateKey(text, 'wrong'), 'KEYFILE_AUTH_FAILED', /wrong passphrase/);
          expectKeyError(() => parsePrivateKey(text), 'KEYFILE_AUTH_FAILED', /required/);
        }
      }
      const key = parsePrivateKey(readFileSync(base, 'utf8'));
      await verifyWithNode(key, nodePublicKeyFromLine(dir, line));
      await verifyWithOpenSSH(dir, key, blob, `ppk-${name}`);
    });
  }

  it('v3 with Argon2i, Argon2d and 2 lanes, and with puttygen default parameters; CRLF line ends', async () => {
    const base = dir.file('kdf.ppk');
    run('puttygen', ['-t', 'ed25519', '-C', 'kdf', '-o', base, '--new-passphrase', emptyFile]);
    const blob = lineBlob(run('puttygen', [base, '-O', 'public-openssh']));
    for (const [kdf, params] of [
      ['Argon2i', 'kdf=argon2i,passes=3,memory=256'],
      ['Argon2d', 'kdf=argon2d,passes=1,memory=512,parallelism=2'],
      ['Argon2id', ''],
    ] as const) {
      const file = dir.file(`kdf-${kdf}-${params.length}.ppk`);
      run('puttygen', [base, '-o', file, '-P', '--new-passphrase', passFile, ...(params ? ['--ppk-param', params] : [])]);
      const text = readFileSync(file, 'utf8');
      expect(text).to.include(`Key-Derivation: ${kdf}\n`);
      if (!params) expect(text).to.include('Argon2-Memory: 8192\n');
      expect(b64(parsePrivateKey(text, PASS).publicKey.blob), kdf).to.equal(b64(blob));
      expect(b64(parsePrivateKey(text.replace(/\n/g, '\r\n'), PASS).publicKey.blob)).to.equal(b64(blob));
    }
  });

  it('tampering: MAC mismatch is FILE when unencrypted and KEYFILE_AUTH_FAILED when encrypted; broken fields are FILE', () => {
    const plain = dir.file('t.ppk');
    run('puttygen', ['-t', 'ecdsa', '-b', '256', '-C', 'orig', '-o', plain, '--new-passphrase', emptyFile]);
    const enc = dir.file('t-enc.ppk');
    run('puttygen', [plain, '-o', enc, '-P', '--new-passphrase', passFile, '--ppk-param', 'passes=1,memory=64']);
    const p = readFileSync(plain, 'utf8');
    const e = readFileSync(enc, 'utf8');
    expectKeyError(() => parsePrivateKey(p.replace('Comment: orig', 'Comment: evil')), 'FILE', /MAC mismatch/);
    expectKeyError(() => parsePrivateKey(e.replace('Comment: orig', 'Comment: evil'), PASS), 'KEYFILE_AUTH_FAILED');
    expectKeyError(() => parsePrivateKey(p.replace(/Private-MAC: ../, 'Private-MAC: 00')), 'FILE', /MAC mismatch/);
    expectKeyError(() => parsePrivateKey(p.replace(/Private-MAC: .*/, 'Private-MAC: xyz')), 'FILE', /not hex/);
    expectKeyError(() => parsePrivateKey(p.replace(/Public-Lines: \d+/, 'Public-Lines: 99')), 'FILE');
    expectKeyError(() => parsePrivateKey(p.replace(/Private-Lines: \d+/, 'Private-Lines: 0')), 'FILE');
    expectKeyError(() => parsePrivateKey(p.slice(0, p.length / 2)), 'FILE');
    expectKeyError(() => parsePrivateKey(p.replace('Encryption: none\n', '')), 'FILE', /Encryption/);
    expectKeyError(() => parsePrivateKey(e.replace(/Argon2-Memory: \d+/, 'Argon2-Memory: 99999999'), PASS), 'FILE', /Argon2-Memory/);
    expectKeyError(() => parsePrivateKey(e.replace(/Argon2-Passes: \d+/, 'Argon2-Passes: 0'), PASS), 'FILE', /Argon2-Passes/);
    expectKeyError(() => parsePrivateKey(e.replace(/Argon2-Salt: .*/, 'Argon2-Salt: 0'), PASS), 'FILE', /Argon2-Salt/);
  });

  it('unsupported versions, ciphers, KDFs and key types are ALGO_UNSUPPORTED', () => {
    const plain = dir.file('u.ppk');
    run('puttygen', ['-t', 'ed25519', '-o', plain, '--new-passphrase', emptyFile]);
    const enc = dir.file('u-enc.ppk');
    run('puttygen', [plain, '-o', enc, '-P', '--new-passphrase', passFile, '--ppk-param', 'passes=1,memory=64']);
    const p = readFileSync(plain, 'utf8');
    const e = readFileSync(enc, 'utf8');
    expectKeyError(() => parsePrivateKey(p.replace('PuTTY-User-Key-File-3', 'PuTTY-User-Key-File-1')), 'ALGO_UNSUPPORTED', /version 1/);
    expectKeyError(() => parsePrivateKey(p.replace('Encryption: none', 'Encryption: aes128-ctr')), 'ALGO_UNSUPPORTED', /aes128-ctr/);
    expectKeyError(() => parsePrivateKey(e.replace('Key-Derivation: Argon2id', 'Key-Derivation: scrypt'), PASS), 'ALGO_UNSUPPORTED', /scrypt/);
    const f = ppkFields(p);
    const ed448 = ppkV3Plain('ssh-ed448', 'x', new Writer().string('ssh-ed448').string(new Uint8Array(57)).finish(), new Uint8Array(8));
    expectKeyError(() => parsePrivateKey(ed448), 'ALGO_UNSUPPORTED', /ssh-ed448/);
    // sanity: our test builder reproduces puttygen's MAC
    const rebuilt = ppkV3Plain('ssh-ed25519', f.get('Comment')!, Buffer.from(f.get('Public-Lines')!, 'base64'), Buffer.from(f.get('Private-Lines')!, 'base64'));
    expect(ppkFields(rebuilt).get('Private-MAC')).to.equal(f.get('Private-MAC'));
  });

  it('a correctly MACed file whose key is inconsistent is refused (FILE), never returned', () => {
    const rsaFile = dir.file('c-rsa.ppk');
    run('puttygen', ['-t', 'rsa', '-b', '2048', '-o', rsaFile, '--new-passphrase', emptyFile]);
    const f = ppkFields(readFileSync(rsaFile, 'utf8'));
    const pub = new Uint8Array(Buffer.from(f.get('Public-Lines')!, 'base64'));
    const priv = new Uint8Array(Buffer.from(f.get('Private-Lines')!, 'base64'));
    expect(parsePrivateKey(ppkV3Plain('ssh-rsa', 'c', pub, priv)).type).to.equal('ssh-rsa');
    // flip the last bit of d (the first private mpint)
    const r = new Reader(priv);
    const [d, p, q] = [r.string().slice(), r.string().slice(), r.string().slice()];
    const flipped = d.slice();
    flipped[flipped.length - 1]! ^= 1;
    const withD = new Writer().string(flipped).string(p).string(q).raw(r.rest()).finish();
    expectKeyError(() => parsePrivateKey(ppkV3Plain('ssh-rsa', 'c', pub, withD)), 'FILE', /inconsistent/);
    // iqmp replaced by 1
    const withIqmp = new Writer().string(d).string(p).string(q).mpint(1n).finish();
    expectKeyError(() => parsePrivateKey(ppkV3Plain('ssh-rsa', 'c', pub, withIqmp)), 'FILE', /inconsistent/);

    // an ed25519 secret paired with someone else's public key
    const a = dir.file('c-a.ppk');
    const b = dir.file('c-b.ppk');
    run('puttygen', ['-t', 'ed25519', '-o', a, '--new-passphrase', emptyFile]);
    run('puttygen', ['-t', 'ed25519', '-o', b, '--new-passphrase', emptyFile]);
    const fa = ppkFields(readFileSync(a, 'utf8'));
    const fb = ppkFields(readFileSync(b, 'utf8'));
    const mixed = ppkV3Plain('ssh-ed25519', 'm', Buffer.from(fb.get('Public-Lines')!, 'base64'), Buffer.from(fa.get('Private-Lines')!, 'base64'));
    expectKeyError(() => parsePrivateKey(mixed), 'FILE', /inconsistent/);
    // trailing data after the private fields of an unencrypted file
    const padded = ppkV3Plain(
      'ssh-ed25519',
      'p',
      Buffer.from(fa.get('Public-Lines')!, 'base64'),
      Buffer.concat([Buffer.from(fa.get('Private-Lines')!, 'base64'), Buffer.from([0])]),
    );
    expectKeyError(() => parsePrivateKey(padded), 'FILE', /unexpected data/);
  });
});
