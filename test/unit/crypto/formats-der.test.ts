/**
 * The building blocks of the PEM-era formats: the DER reader's bounds and encoding checks,
 * EVP_BytesToKey against `openssl enc -P`, PKCS#7 unpadding, and hand-built PKCS#8 / PBES2 /
 * legacy-PEM structures that tools do not write (OneAsymmetricKey v2 with a public key,
 * mismatched curves, hostile parameters, damaged redundant fields).
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createCipheriv, generateKeyPairSync, pbkdf2Sync, randomBytes } from 'node:crypto';
import { DerReader, readDer } from '../../../src/crypto/keys/asn1/der.js';
import { parsePrivateKey } from '../../../src/crypto/keys/index.js';
import { AES_128_CBC, DES_EDE3_CBC, decryptCbcPadded } from '../../../src/crypto/keys/key-file-cbc.js';
import { evpBytesToKey } from '../../../src/crypto/keys/openssh-legacy-pem-encryption.js';
import { KeyError } from '../../../src/errors.js';
import { b64, der, expectKeyError, pem, run, TempDir } from './formats-helpers.js';

const bytes = (...b: number[]) => new Uint8Array(b);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('crypto/keys formats: DER reader', () => {
  it('reads every supported type, with short and long lengths', () => {
    const big = new Uint8Array(300).fill(7);
    const d = der.seq(
      der.int(0),
      der.int(0x80),
      der.octets(big),
      der.bits(bytes(1, 2)),
      der.null(),
      der.oid('1.2.840.113549.1.1.1'),
      der.oid('2.999.3'),
      der.tlv(0xa0, der.int(5)),
    );
    readDer(d, 'test', (r) => {
      expect(r.small('zero')).to.equal(0);
      expect(r.uint('0x80')).to.equal(0x80n);
      expect(r.octetString('big')).to.deep.equal(big);
      expect(r.bitString('bits')).to.deep.equal(bytes(1, 2));
      r.null('null');
      expect(r.oid('oid')).to.equal('1.2.840.113549.1.1.1');
      expect(r.oid('oid')).to.equal('2.999.3');
      const ctx = new DerReader(r.optional(0xa0, 'ctx')!);
      expect(ctx.small('inner')).to.equal(5);
      expect(r.optional(0xa1, 'absent')).to.equal(undefined);
    });
  });

  const bad: [string, Uint8Array, RegExp][] = [
    ['empty input', bytes(), /missing SEQUENCE/],
    ['length past the end', bytes(0x30, 0x05, 0x02, 0x01, 0x00), /truncated/],
    ['indefinite length', bytes(0x30, 0x80, 0x00, 0x00), /indefinite/],
    ['non-minimal long length', bytes(0x30, 0x81, 0x03, 0x02, 0x01, 0x00), /non-minimal/],
    ['leading zero length byte', bytes(0x30, 0x82, 0x00, 0x83, ...new Uint8Array(0x83)), /non-minimal/],
    ['5-byte length', bytes(0x30, 0x85, 1, 0, 0, 0, 0), /length too large/],
    ['length bytes missing', bytes(0x30, 0x84, 0x01), /truncated/],
    ['trailing bytes after the SEQUENCE', bytes(0x30, 0x00, 0x00), /trailing/],
  ];
  for (const [what, input, message] of bad) {
    it(`rejects ${what} with a KeyError (FILE)`, () => {
      expectKeyError(() => readDer(input, 'test', () => undefined), 'FILE', message);
    });
  }

  it('rejects multi-byte tags', () => {
    expectKeyError(() => new DerReader(bytes(0x1f, 0x01, 0x00)).next('element'), 'FILE', /multi-byte/);
  });

  it('rejects negative and empty INTEGERs, bad BIT STRINGs, NULL with content, bad OIDs, wrong tags, leftovers', () => {
    const one = (el: Uint8Array, fn: (r: DerReader) => unknown) => () => readDer(der.seq(el), 'test', fn);
    expectKeyError(
      one(der.tlv(0x02, bytes(0xff)), (r) => r.uint('n')),
      'FILE',
      /negative/,
    );
    expectKeyError(
      one(der.tlv(0x02), (r) => r.uint('n')),
      'FILE',
      /empty/,
    );
    expectKeyError(
      one(der.int(0x1_0000_0000), (r) => r.small('v')),
      'FILE',
      /too large/,
    );
    expectKeyError(
      one(der.int(70), (r) => r.small('v', 64)),
      'FILE',
      /exceeds 64/,
    );
    expectKeyError(
      one(der.tlv(0x03, bytes(1, 0xfe)), (r) => r.bitString('b')),
      'FILE',
      /unused bits/,
    );
    expectKeyError(
      one(der.tlv(0x03), (r) => r.bitString('b')),
      'FILE',
      /unused bits/,
    );
    expectKeyError(
      one(der.tlv(0x05, bytes(0)), (r) => r.null('z')),
      'FILE',
      /NULL/,
    );
    expectKeyError(
      one(der.tlv(0x06), (r) => r.oid('o')),
      'FILE',
      /empty/,
    );
    expectKeyError(
      one(der.tlv(0x06, bytes(0x2a, 0x86)), (r) => r.oid('o')),
      'FILE',
      /truncated/,
    );
    expectKeyError(
      one(der.tlv(0x06, bytes(0x2a, 0x80, 0x01)), (r) => r.oid('o')),
      'FILE',
      /non-minimal/,
    );
    expectKeyError(
      one(der.tlv(0x06, bytes(0x2a, 0xff, 0xff, 0xff, 0xff, 0x7f)), (r) => r.oid('o')),
      'FILE',
      /too large/,
    );
    expectKeyError(
      one(der.int(1), (r) => r.octetString('s')),
      'FILE',
      /expected tag 0x4, found 0x2/,
    );
    expectKeyError(
      one(der.int(1), () => undefined),
      'FILE',
      /trailing/,
    );
    expectKeyError(() => readDer(der.seq(), 'test', (r) => r.uint('missing')), 'FILE', /missing/);
  });
});

describe('crypto/keys formats: key-file encryption pieces', () => {
  it('EVP_BytesToKey(MD5, 1 round) = `openssl enc -P` key ‖ iv, for several passwords and lengths', () => {
    for (const [pass, salt] of [
      ['password', '0102030405060708'],
      ['', 'ffffffffffffffff'],
      ['a much longer passphrase ü', '0000000000000000'],
    ]) {
      const out = run('openssl', ['enc', '-aes-256-cbc', '-P', '-S', salt!, '-pass', `pass:${pass}`, '-md', 'md5']);
      const key = /key=([0-9A-F]+)/.exec(out)![1]!.toLowerCase();
      const iv = /iv\s*=([0-9A-F]+)/.exec(out)![1]!.toLowerCase();
      expect(hex(evpBytesToKey(new TextEncoder().encode(pass), Buffer.from(salt!, 'hex'), 48))).to.equal(key + iv);
      expect(hex(evpBytesToKey(new TextEncoder().encode(pass), Buffer.from(salt!, 'hex'), 24))).to.equal(key.slice(0, 48));
    }
  });

  it('CBC + PKCS#7: node-encrypted data round-trips (AES, 3DES); bad padding is null; partial blocks throw FILE', () => {
    for (const len of [0, 1, 15, 16, 17, 100]) {
      const data = randomBytes(len);
      const key = randomBytes(16);
      const iv = randomBytes(16);
      const c = createCipheriv('aes-128-cbc', key, iv);
      const enc = Buffer.concat([c.update(data), c.final()]);
      expect(hex(decryptCbcPadded(AES_128_CBC, key, iv, enc)!)).to.equal(hex(data));
      const k3 = randomBytes(24);
      const iv8 = randomBytes(8);
      const c3 = createCipheriv('des-ede3-cbc', k3, iv8);
      const enc3 = Buffer.concat([c3.update(data), c3.final()]);
      expect(hex(decryptCbcPadded(DES_EDE3_CBC, k3, iv8, enc3)!)).to.equal(hex(data));
      // a wrong key: the padding is (almost always) wrong
      const wrong = Buffer.from(key);
      wrong[0]! ^= 1;
      const out = decryptCbcPadded(AES_128_CBC, wrong, iv, enc);
      if (out) expect(hex(out)).to.not.equal(hex(data));
    }
    const key = Buffer.alloc(16);
    const iv = Buffer.alloc(16);
    const noPad = createCipheriv('aes-128-cbc', key, iv).setAutoPadding(false);
    const zeroPad = Buffer.concat([noPad.update(Buffer.alloc(16)), noPad.final()]);
    expect(decryptCbcPadded(AES_128_CBC, key, iv, zeroPad)).to.equal(null);
    expectKeyError(() => decryptCbcPadded(AES_128_CBC, key, iv, new Uint8Array(20)), 'FILE', /whole number of blocks/);
    expectKeyError(() => decryptCbcPadded(AES_128_CBC, key, iv, new Uint8Array(0)), 'FILE');
  });
});

describe('crypto/keys formats: hand-built PKCS#8, PBES2 and legacy PEM structures', () => {
  const ED25519 = '1.3.101.112';
  const { privateKey: edNode } = generateKeyPairSync('ed25519');
  const edJwk = edNode.export({ format: 'jwk' });
  const seed = new Uint8Array(Buffer.from(edJwk.d!, 'base64url'));
  const point = new Uint8Array(Buffer.from(edJwk.x!, 'base64url'));
  const edPkcs8 = (version: number, pub?: Uint8Array, params?: Uint8Array) =>
    pem(
      'PRIVATE KEY',
      der.seq(
        der.int(version),
        der.seq(der.oid(ED25519), ...(params ? [params] : [])),
        der.octets(der.octets(seed)),
        ...(pub ? [der.tlv(0x81, bytes(0), pub)] : []),
      ),
    );

  it('OneAsymmetricKey (RFC 5958 v2) with the public key: accepted when it matches, FILE when not', () => {
    const key = parsePrivateKey(edPkcs8(1, point));
    expect(b64(key.publicKey.blob.subarray(-32))).to.equal(b64(point));
    expect(b64(parsePrivateKey(edPkcs8(0)).publicKey.blob)).to.equal(b64(key.publicKey.blob));
    const other = point.slice();
    other[0]! ^= 1;
    expectKeyError(() => parsePrivateKey(edPkcs8(1, other)), 'FILE', /inconsistent/);
    expectKeyError(() => parsePrivateKey(edPkcs8(2)), 'FILE', /version/);
    expectKeyError(() => parsePrivateKey(edPkcs8(0, undefined, der.null())), 'FILE', /no parameters/);
    // a v1 structure may not carry [1]: it is left over, so trailing data
    expectKeyError(() => parsePrivateKey(edPkcs8(0, point)), 'FILE', /trailing/);
  });

  it('EC: PKCS#8 curve and SEC1 curve must agree; the stored public point must match; scalar length bounded', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const sec1 = new Uint8Array(privateKey.export({ format: 'der', type: 'sec1' }));
    const jwk = privateKey.export({ format: 'jwk' });
    const d = Buffer.from(jwk.d!, 'base64url');
    const p8 = (curveOid: string, inner: Uint8Array) =>
      pem('PRIVATE KEY', der.seq(der.int(0), der.seq(der.oid('1.2.840.10045.2.1'), der.oid(curveOid)), der.octets(inner)));
    const ok = parsePrivateKey(p8('1.2.840.10045.3.1.7', sec1));
    expect(ok.type).to.equal('ecdsa-sha2-nistp256');
    expectKeyError(() => parsePrivateKey(p8('1.3.132.0.34', sec1)), 'FILE', /curve differs/);
    // SEC1 without parameters inside PKCS#8 is fine; without any curve it is not
    const bare = der.seq(der.int(1), der.octets(d));
    expect(parsePrivateKey(p8('1.2.840.10045.3.1.7', bare)).publicKey.blob).to.deep.equal(ok.publicKey.blob);
    expectKeyError(() => parsePrivateKey(pem('EC PRIVATE KEY', bare)), 'FILE', /no curve/);
    // a wrong public point in [1]
    const x = Buffer.from(jwk.x!, 'base64url');
    const y = Buffer.from(jwk.y!, 'base64url');
    const wrongY = Buffer.from(y);
    wrongY[31]! ^= 1;
    const withPub = (yy: Buffer) =>
      der.seq(
        der.int(1),
        der.octets(d),
        der.tlv(0xa0, der.oid('1.2.840.10045.3.1.7')),
        der.tlv(0xa1, der.bits(new Uint8Array(Buffer.concat([Buffer.from([4]), x, yy])))),
      );
    expect(parsePrivateKey(pem('EC PRIVATE KEY', withPub(y))).publicKey.blob).to.deep.equal(ok.publicKey.blob);
    expectKeyError(() => parsePrivateKey(pem('EC PRIVATE KEY', withPub(wrongY))), 'FILE', /not on the curve|inconsistent/);
    expectKeyError(
      () => parsePrivateKey(pem('EC PRIVATE KEY', der.seq(der.int(1), der.octets(new Uint8Array(33).fill(1)), der.tlv(0xa0, der.oid('1.2.840.10045.3.1.7'))))),
      'FILE',
      /33-byte scalar/,
    );
    expectKeyError(
      () => parsePrivateKey(pem('EC PRIVATE KEY', der.seq(der.int(1), der.octets(new Uint8Array(32)), der.tlv(0xa0, der.oid('1.2.840.10045.3.1.7'))))),
      'FILE',
      /out of range/,
    );
    expectKeyError(() => parsePrivateKey(pem('EC PRIVATE KEY', der.seq(der.int(2), der.octets(d)))), 'FILE', /version/);
  });

  it('RSA: every redundant PKCS#1 field is checked (e, d, dp, dq, iqmp, p·q)', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const j = privateKey.export({ format: 'jwk' });
    const n = (s: string) => BigInt('0x' + Buffer.from(s, 'base64url').toString('hex'));
    const f = { n: n(j.n!), e: n(j.e!), d: n(j.d!), p: n(j.p!), q: n(j.q!), dp: n(j.dp!), dq: n(j.dq!), qi: n(j.qi!) };
    const build = (g: typeof f) => pem('RSA PRIVATE KEY', der.seq(der.int(0), ...[g.n, g.e, g.d, g.p, g.q, g.dp, g.dq, g.qi].map((v) => der.int(v))));
    expect(parsePrivateKey(build(f)).type).to.equal('ssh-rsa');
    expect(b64(parsePrivateKey(build(f)).publicKey.blob)).to.equal(b64(parsePrivateKey(privateKey.export({ format: 'pem', type: 'pkcs1' })).publicKey.blob));
    for (const field of ['e', 'd', 'p', 'q', 'dp', 'dq', 'qi'] as const) {
      expectKeyError(() => parsePrivateKey(build({ ...f, [field]: f[field] + 2n })), 'FILE', undefined);
    }
    expectKeyError(() => parsePrivateKey(pem('RSA PRIVATE KEY', der.seq(der.int(1)))), 'ALGO_UNSUPPORTED', /multi-prime/);
    expectKeyError(() => parsePrivateKey(pem('RSA PRIVATE KEY', der.seq(der.int(0), der.int(f.n)))), 'FILE', /missing/);
  });

  it('DSA: y must equal g^x mod p; x in range', () => {
    const dir = new TempDir();
    const path = dir.file('dsa');
    run('ssh-keygen', ['-q', '-t', 'dsa', '-m', 'PEM', '-N', '', '-f', path]);
    const text = readFileSync(path, 'utf8');
    dir.remove();
    const der1 = new Uint8Array(Buffer.from(text.replace(/-----[^-]+-----|\s/g, ''), 'base64'));
    const key = parsePrivateKey(pem('DSA PRIVATE KEY', der1));
    expect(key.type).to.equal('ssh-dss');
    const damaged = der1.slice();
    damaged[damaged.length - 1]! ^= 1; // the last byte of x
    expectKeyError(() => parsePrivateKey(pem('DSA PRIVATE KEY', damaged)), 'FILE', /inconsistent/);
  });

  it('PBES2: hostile or inconsistent parameters are refused before any decryption', () => {
    const plain = der.seq(der.int(0), der.seq(der.oid(ED25519)), der.octets(der.octets(new Uint8Array(32).fill(9))));
    const salt = new Uint8Array(8).fill(1);
    const iv = new Uint8Array(16).fill(2);
    const make = (opts: { iter?: number; keyLen?: number; prf?: string; scheme?: string; ivLen?: number; kdf?: string }) => {
      const iter = opts.iter ?? 2048;
      const key = pbkdf2Sync('pw', salt, Math.max(1, Math.min(iter, 4096)), 32, 'sha256');
      const c = createCipheriv('aes-256-cbc', key, iv);
      const data = Buffer.concat([c.update(plain), c.final()]);
      const kdfParams = der.seq(
        der.octets(salt),
        der.int(iter),
        ...(opts.keyLen !== undefined ? [der.int(opts.keyLen)] : []),
        der.seq(der.oid(opts.prf ?? '1.2.840.113549.2.9'), der.null()),
      );
      const algo = der.seq(
        der.oid('1.2.840.113549.1.5.13'),
        der.seq(
          der.seq(der.oid(opts.kdf ?? '1.2.840.113549.1.5.12'), kdfParams),
          der.seq(der.oid(opts.scheme ?? '2.16.840.1.101.3.4.1.42'), der.octets(iv.subarray(0, opts.ivLen ?? 16))),
        ),
      );
      return pem('ENCRYPTED PRIVATE KEY', der.seq(algo, der.octets(data)));
    };
    expect(parsePrivateKey(make({}), 'pw').type).to.equal('ssh-ed25519');
    expect(parsePrivateKey(make({ keyLen: 32 }), 'pw').type).to.equal('ssh-ed25519');
    expectKeyError(() => parsePrivateKey(make({ keyLen: 16 }), 'pw'), 'FILE', /keyLength/);
    expectKeyError(() => parsePrivateKey(make({ iter: 0 }), 'pw'), 'FILE', /iteration/);
    expectKeyError(() => parsePrivateKey(make({ iter: 50_000_000 }), 'pw'), 'FILE', /iteration/);
    expectKeyError(() => parsePrivateKey(make({ prf: '1.2.840.113549.2.5' }), 'pw'), 'ALGO_UNSUPPORTED', /PRF/);
    expectKeyError(() => parsePrivateKey(make({ scheme: '1.2.410.200046.1.1.12' }), 'pw'), 'ALGO_UNSUPPORTED', /scheme/);
    expectKeyError(() => parsePrivateKey(make({ kdf: '1.3.6.1.4.1.11591.4.11' }), 'pw'), 'ALGO_UNSUPPORTED', /scrypt/);
    expectKeyError(() => parsePrivateKey(make({ ivLen: 8 }), 'pw'), 'FILE', /IV/);
    expectKeyError(() => parsePrivateKey(make({}), 'wrong'), 'KEYFILE_AUTH_FAILED');
  });

  it('legacy PEM headers: malformed Proc-Type / DEK-Info are FILE; headers on unencrypted keys are FILE', () => {
    const body = der.seq(der.int(0));
    const h = (headers: string) => pem('RSA PRIVATE KEY', body, headers + '\n\n');
    expectKeyError(() => parsePrivateKey(h('Proc-Type: 4,ENCRYPTED'), 'x'), 'FILE', /DEK-Info/);
    expectKeyError(() => parsePrivateKey(h('Proc-Type: 4,MIC-ONLY\nDEK-Info: AES-128-CBC,00'), 'x'), 'FILE', /Proc-Type/);
    expectKeyError(() => parsePrivateKey(h('Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC'), 'x'), 'FILE', /DEK-Info/);
    expectKeyError(() => parsePrivateKey(h('Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0011'), 'x'), 'FILE', /IV/);
    expectKeyError(() => parsePrivateKey(h('Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,zz112233445566778899aabbccddeeff'), 'x'), 'FILE', /IV/);
    expectKeyError(() => parsePrivateKey(h('Proc-Type: 4,ENCRYPTED\nDEK-Info: BF-CBC,0011223344556677'), 'x'), 'ALGO_UNSUPPORTED', /BF-CBC/);
    expectKeyError(() => parsePrivateKey(h('Comment: hi')), 'FILE', /unexpected headers/);
  });

  it('corrupt files: truncated base64, truncated DER, trailing data, unknown DER shapes are FILE', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const p8 = new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }));
    expect(parsePrivateKey(pem('PRIVATE KEY', p8)).type).to.equal('ecdsa-sha2-nistp384');
    const text = pem('PRIVATE KEY', p8);
    expectKeyError(() => parsePrivateKey(text.replace(/\n[^\n]*\n-----END/, '\n-----END')), 'FILE');
    expectKeyError(() => parsePrivateKey(pem('PRIVATE KEY', p8.subarray(0, p8.length - 1))), 'FILE', /truncated/);
    expectKeyError(() => parsePrivateKey(pem('PRIVATE KEY', new Uint8Array([...p8, 0]))), 'FILE', /trailing/);
    expectKeyError(() => parsePrivateKey(p8.subarray(0, 40)), 'FILE');
    expectKeyError(() => parsePrivateKey(der.seq(der.int(5), der.int(6))), 'FILE', /unrecognised DER/);
    expectKeyError(() => parsePrivateKey(pem('PUBLIC KEY', p8)), 'FILE', /unrecognised private key format "PUBLIC KEY"/);
    const e = (() => {
      try {
        parsePrivateKey(pem('PRIVATE KEY', p8.subarray(0, 60)));
      } catch (err) {
        return err;
      }
    })();
    expect(e).to.be.instanceOf(KeyError);
  });
});
