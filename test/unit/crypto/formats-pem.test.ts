/**
 * PEM, PKCS#8 and DER private keys made on the spot by ssh-keygen (-m PEM / -m PKCS8, with
 * and without -N, and -p rewrites) and by openssl (genpkey, pkcs8 -topk8 -v2 …, traditional
 * -aes128/192/256, -des3, -des, DER output): every format × type parses, matches the public key the tool
 * reports, and signs what node:crypto and `ssh-keygen -Y verify` accept.
 */
import { expect } from 'chai';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { parsePrivateKey, type PrivateKey } from '../../../src/crypto/keys/index.js';
import { b64, expectKeyError, keygenPublicBlob, lineBlob, run, runBytes, TempDir, verifyWithNode, verifyWithOpenSSH } from './formats-helpers.js';

interface Base {
  name: string;
  /** ssh-keygen -t / -b */
  type: string;
  bits?: number;
  /** label ssh-keygen -m PEM writes */
  pemLabel: string;
}

const SSH_KEYGEN_TYPES: Base[] = [
  { name: 'rsa-2048', type: 'rsa', bits: 2048, pemLabel: 'RSA PRIVATE KEY' },
  { name: 'ecdsa-256', type: 'ecdsa', bits: 256, pemLabel: 'EC PRIVATE KEY' },
  { name: 'ecdsa-384', type: 'ecdsa', bits: 384, pemLabel: 'EC PRIVATE KEY' },
  { name: 'ecdsa-521', type: 'ecdsa', bits: 521, pemLabel: 'EC PRIVATE KEY' },
  { name: 'dsa-1024', type: 'dsa', pemLabel: 'DSA PRIVATE KEY' },
];

const PASS = 'secret pass';
const firstLine = (text: string) => text.split('\n')[0];

describe('crypto/keys formats: PEM and PKCS#8 private keys from ssh-keygen', function () {
  const dir = new TempDir();
  after(() => dir.remove());

  for (const t of SSH_KEYGEN_TYPES) {
    for (const mode of ['PEM', 'PKCS8'] as const) {
      it(`${t.name} -m ${mode}: plain, -N, and -p -N rewrite; public = ssh-keygen -y; node and ssh-keygen -Y verify`, async () => {
        const path = dir.file(`${t.name}.${mode}`);
        const bits = t.bits ? ['-b', String(t.bits)] : [];
        run('ssh-keygen', ['-q', '-t', t.type, ...bits, '-m', mode, '-N', '', '-C', 'ignored', '-f', path]);
        const text = readFileSync(path, 'utf8');
        expect(firstLine(text)).to.equal(`-----BEGIN ${mode === 'PEM' ? t.pemLabel : 'PRIVATE KEY'}-----`);
        const pubBlob = lineBlob(readFileSync(path + '.pub', 'utf8'));
        expect(keygenPublicBlob(path)).to.deep.equal(pubBlob);

        const key = parsePrivateKey(text);
        expect(b64(key.publicKey.blob)).to.equal(b64(pubBlob));
        expect(key.comment).to.equal(''); // PEM carries no comment
        expect(b64(parsePrivateKey(new Uint8Array(readFileSync(path))).publicKey.blob)).to.equal(b64(pubBlob));
        await verifyWithNode(key, text);
        await verifyWithOpenSSH(dir, key, pubBlob, `${t.name}.${mode}`);

        // encrypted at generation
        const encPath = dir.file(`${t.name}.${mode}.enc`);
        run('ssh-keygen', ['-q', '-t', t.type, ...bits, '-m', mode, '-N', PASS, '-f', encPath]);
        const enc = readFileSync(encPath, 'utf8');
        if (mode === 'PEM') expect(enc).to.match(/^Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,[0-9A-F]{32}\n/m);
        else expect(firstLine(enc)).to.equal('-----BEGIN ENCRYPTED PRIVATE KEY-----');
        const encKey = parsePrivateKey(enc, PASS);
        const encPub = keygenPublicBlob(encPath, PASS);
        expect(b64(encKey.publicKey.blob)).to.equal(b64(encPub));
        await verifyWithOpenSSH(dir, encKey, encPub, `${t.name}.${mode}.enc`);
        expectKeyError(() => parsePrivateKey(enc, 'wrong pass'), 'KEYFILE_AUTH_FAILED', /passphrase/);
        expectKeyError(() => parsePrivateKey(enc), 'KEYFILE_AUTH_FAILED', /passphrase is required/);

        // `ssh-keygen -p -m MODE -N pw` rewrites the plain key encrypted: same key
        const rewritten = dir.file(`${t.name}.${mode}.rewritten`);
        copyFileSync(path, rewritten);
        run('ssh-keygen', ['-q', '-p', '-m', mode, '-P', '', '-N', 'other pass', '-f', rewritten]);
        const again = parsePrivateKey(readFileSync(rewritten, 'utf8'), 'other pass');
        expect(b64(again.publicKey.blob)).to.equal(b64(pubBlob));
        await verifyWithNode(again, text);
      });
    }
  }

  it('ed25519 with -m PEM / -m PKCS8: ssh-keygen still writes the OpenSSH format, which we read', () => {
    const path = dir.file('ed25519.pem');
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-m', 'PEM', '-N', '', '-f', path]);
    const text = readFileSync(path, 'utf8');
    expect(firstLine(text)).to.equal('-----BEGIN OPENSSH PRIVATE KEY-----');
    expect(b64(parsePrivateKey(text).publicKey.blob)).to.equal(b64(keygenPublicBlob(path)));
  });
});

describe('crypto/keys formats: keys written by openssl', function () {
  const dir = new TempDir();
  after(() => dir.remove());
  /** base keys: ssh-keygen -m PEM for rsa/ecdsa/dsa (DSA with a 160-bit q), openssl genpkey for ed25519 */
  const bases: { name: string; path: string; blob: Uint8Array; nodePem: string; traditional: boolean }[] = [];

  before(() => {
    for (const t of SSH_KEYGEN_TYPES) {
      const path = dir.file(`${t.name}.base`);
      run('ssh-keygen', ['-q', '-t', t.type, ...(t.bits ? ['-b', String(t.bits)] : []), '-m', 'PEM', '-N', '', '-f', path]);
      bases.push({ name: t.name, path, blob: keygenPublicBlob(path), nodePem: readFileSync(path, 'utf8'), traditional: true });
    }
    const ed = dir.file('ed25519.base');
    run('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', ed]);
    const edPem = readFileSync(ed, 'utf8');
    // ssh-keygen 9.2 cannot read PKCS#8 ed25519; the public key comes from openssl instead
    const spki = runBytes('openssl', ['pkey', '-in', ed, '-pubout', '-outform', 'DER']);
    expect(spki.length).to.equal(44);
    const blob = new Uint8Array(Buffer.concat([Buffer.from('0000000b7373682d65643235353139', 'hex'), Buffer.from([0, 0, 0, 32]), spki.subarray(12)]));
    bases.push({ name: 'ed25519', path: ed, blob, nodePem: edPem, traditional: false });
  });

  async function check(label: string, file: string | Uint8Array, base: (typeof bases)[number], passphrase?: string): Promise<PrivateKey> {
    const key = parsePrivateKey(file, passphrase);
    expect(b64(key.publicKey.blob), label).to.equal(b64(base.blob));
    await verifyWithNode(key, base.nodePem);
    return key;
  }

  it('genpkey ed25519 (RFC 8410 PKCS#8): parse, sign; node and ssh-keygen -Y verify', async () => {
    const ed = bases.find((b) => b.name === 'ed25519')!;
    expect(firstLine(ed.nodePem)).to.equal('-----BEGIN PRIVATE KEY-----');
    const key = await check('ed25519', ed.nodePem, ed);
    await verifyWithOpenSSH(dir, key, ed.blob, 'openssl-ed25519');
  });

  it('pkcs8 -topk8 -v2 aes-128/192/256-cbc and des3, PRF hmacWithSHA1 (DEFAULT), SHA256, SHA512: every type', async () => {
    const schemes = ['aes-128-cbc', 'aes-192-cbc', 'aes-256-cbc', 'des3'];
    const prfs = ['hmacWithSHA1', 'hmacWithSHA256', 'hmacWithSHA512'];
    let i = 0;
    for (const base of bases) {
      for (const scheme of schemes) {
        const prf = prfs[i++ % prfs.length]!;
        const out = run('openssl', ['pkcs8', '-topk8', '-in', base.path, '-v2', scheme, '-v2prf', prf, '-passout', `pass:${PASS}`]);
        expect(firstLine(out)).to.equal('-----BEGIN ENCRYPTED PRIVATE KEY-----');
        const key = await check(`${base.name} ${scheme} ${prf}`, out, base, PASS);
        if (scheme === 'aes-256-cbc') await verifyWithOpenSSH(dir, key, base.blob, `${base.name}.p8.${scheme}`);
        expectKeyError(() => parsePrivateKey(out, 'not it'), 'KEYFILE_AUTH_FAILED');
      }
    }
  });

  it('traditional PEM with DEK-Info AES-128/192/256-CBC, DES-EDE3-CBC and DES-CBC: rsa, ecdsa, dsa', async () => {
    for (const base of bases.filter((b) => b.traditional)) {
      for (const [flag, name] of [
        ['-aes128', 'AES-128-CBC'],
        ['-aes192', 'AES-192-CBC'],
        ['-aes256', 'AES-256-CBC'],
        ['-des3', 'DES-EDE3-CBC'],
        ['-des', 'DES-CBC'],
      ]) {
        const legacy = flag === '-des' ? ['-provider', 'legacy', '-provider', 'default'] : [];
        const out = run('openssl', ['pkey', '-in', base.path, '-traditional', flag!, '-passout', `pass:${PASS}`, ...legacy]);
        expect(out).to.match(new RegExp(`^DEK-Info: ${name},`, 'm'));
        await check(`${base.name} ${name}`, out, base, PASS);
        expectKeyError(() => parsePrivateKey(out, 'not it'), 'KEYFILE_AUTH_FAILED');
        expectKeyError(() => parsePrivateKey(out), 'KEYFILE_AUTH_FAILED', /required/);
      }
    }
    // `openssl rsa -des3`
    const rsa = bases[0]!;
    const des3 = run('openssl', ['rsa', '-in', rsa.path, '-des3', '-traditional', '-passout', `pass:${PASS}`]);
    const key = await check('openssl rsa -des3', des3, rsa, PASS);
    await verifyWithOpenSSH(dir, key, rsa.blob, 'rsa-des3');
  });

  it('bare DER: PKCS#8, encrypted PKCS#8, PKCS#1, SEC1, DSAPrivateKey', async () => {
    for (const base of bases) {
      await check(`${base.name} PKCS#8 DER`, runBytes('openssl', ['pkey', '-in', base.path, '-outform', 'DER']), base);
      const enc = runBytes('openssl', ['pkcs8', '-topk8', '-in', base.path, '-outform', 'DER', '-v2', 'aes-256-cbc', '-passout', `pass:${PASS}`]);
      await check(`${base.name} encrypted PKCS#8 DER`, enc, base, PASS);
      expectKeyError(() => parsePrivateKey(enc, 'nope'), 'KEYFILE_AUTH_FAILED');
      if (base.traditional) {
        const trad = runBytes('openssl', ['pkey', '-in', base.path, '-outform', 'DER', '-traditional']);
        await check(`${base.name} traditional DER`, trad, base);
      }
    }
  });

  it('ecparam -genkey (EC PARAMETERS block first) and compressed public points (SEC1 and PKCS#8)', async () => {
    const out = run('openssl', ['ecparam', '-genkey', '-name', 'secp384r1']);
    expect(firstLine(out)).to.equal('-----BEGIN EC PARAMETERS-----');
    const file = dir.file('ecparam.pem');
    writeFileSync(file, out, { mode: 0o600 });
    const key = parsePrivateKey(out);
    expect(b64(key.publicKey.blob)).to.equal(b64(keygenPublicBlob(file)));
    await verifyWithNode(key, out);

    const base = bases.find((b) => b.name === 'ecdsa-256')!;
    const compressed = run('openssl', ['ec', '-in', base.path, '-conv_form', 'compressed']);
    await check('compressed SEC1', compressed, base);
    const compressedFile = dir.file('compressed.pem');
    writeFileSync(compressedFile, compressed);
    const p8 = run('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', compressedFile]);
    expect(firstLine(p8)).to.equal('-----BEGIN PRIVATE KEY-----');
    await check('compressed PKCS#8', p8, base);
  });

  it('unsupported algorithms are ALGO_UNSUPPORTED, naming them', () => {
    const cases: [string[], RegExp][] = [
      [['genpkey', '-algorithm', 'ed448'], /Ed448/],
      [['genpkey', '-algorithm', 'x25519'], /X25519/],
      [['genpkey', '-algorithm', 'rsa-pss', '-pkeyopt', 'rsa_keygen_bits:1024'], /RSASSA-PSS/],
      [['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:secp256k1'], /curve 1\.3\.132\.0\.10/],
      [['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-pkeyopt', 'rsa_keygen_primes:3'], /multi-prime/],
    ];
    for (const [args, message] of cases) expectKeyError(() => parsePrivateKey(run('openssl', args)), 'ALGO_UNSUPPORTED', message);
    const explicit = run('openssl', ['ecparam', '-genkey', '-name', 'prime256v1', '-param_enc', 'explicit', '-noout']);
    expectKeyError(() => parsePrivateKey(explicit), 'ALGO_UNSUPPORTED', /named curves/);

    const rsa = bases[0]!.path;
    const v1 = run('openssl', ['pkcs8', '-topk8', '-in', rsa, '-v1', 'PBE-SHA1-3DES', '-passout', 'pass:x']);
    expectKeyError(() => parsePrivateKey(v1, 'x'), 'ALGO_UNSUPPORTED', /pbeWithSHAAnd3-KeyTripleDES-CBC/);
    const scrypt = run('openssl', ['pkcs8', '-topk8', '-in', rsa, '-scrypt', '-scrypt_N', '1024', '-passout', 'pass:x']);
    expectKeyError(() => parsePrivateKey(scrypt, 'x'), 'ALGO_UNSUPPORTED', /scrypt/);
    const camellia = run('openssl', ['pkey', '-in', rsa, '-traditional', '-camellia128', '-passout', 'pass:x']);
    expectKeyError(() => parsePrivateKey(camellia, 'x'), 'ALGO_UNSUPPORTED', /CAMELLIA-128-CBC/);
    const aria = run('openssl', ['pkcs8', '-topk8', '-in', rsa, '-v2', 'aria-128-cbc', '-passout', 'pass:x']);
    expectKeyError(() => parsePrivateKey(aria, 'x'), 'ALGO_UNSUPPORTED', /encryption scheme/);
  });
});
