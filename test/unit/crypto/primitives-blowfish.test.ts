import { expect } from 'chai';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { SshError } from '../../../src/errors.js';
import { Cbc64, ecbDecryptBlock, ecbEncryptBlock } from '../../../src/crypto/primitives/block64.js';
import { Blowfish, blowfishPiWords, streamToWord } from '../../../src/crypto/primitives/blowfish.js';
import { opensslEnc, python, requireOpensslLegacy } from './primitives-openssl.js';

const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function ecb(c: Blowfish, data: Uint8Array, decrypt = false): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i += 8) (decrypt ? ecbDecryptBlock : ecbEncryptBlock)(c, data, i, out, i);
  return out;
}

function bytes(seed: number, n: number): Uint8Array {
  let x = seed >>> 0 || 1;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * bcrypt_pbkdf (OpenBSD bcrypt_pbkdf.c) written in the test on top of the exported Blowfish
 * API only (expandState, expand0State, encryptWords, streamToWord): what bcrypt needs.
 */
function bcryptPbkdfViaApi(password: Uint8Array, salt: Uint8Array, rounds: number, keyLength: number): Uint8Array {
  const sha512 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha512').update(b).digest());
  const magic = new TextEncoder().encode('OxychromaticBlowfishSwatDynamite');
  const bcryptHash = (sha2pass: Uint8Array, sha2salt: Uint8Array): Uint8Array => {
    const bf = new Blowfish();
    bf.expandState(sha2salt, sha2pass);
    for (let i = 0; i < 64; i++) {
      bf.expand0State(sha2salt);
      bf.expand0State(sha2pass);
    }
    const at = { pos: 0 };
    const cdata = new Uint32Array(8).map(() => streamToWord(magic, at));
    for (let i = 0; i < 64; i++) for (let j = 0; j < 8; j += 2) bf.encryptWords(cdata, j);
    const out = new Uint8Array(32);
    const view = new DataView(out.buffer);
    cdata.forEach((w, i) => view.setUint32(4 * i, w, true)); // bcrypt_hash stores the words little-endian
    return out;
  };
  const stride = Math.ceil(keyLength / 32);
  const amount = Math.ceil(keyLength / stride);
  const sha2pass = sha512(password);
  const key = new Uint8Array(keyLength);
  const countSalt = new Uint8Array(salt.length + 4);
  countSalt.set(salt);
  let remaining = keyLength;
  for (let count = 1; remaining > 0; count++) {
    new DataView(countSalt.buffer).setUint32(salt.length, count);
    let tmp = bcryptHash(sha2pass, sha512(countSalt));
    const out = tmp.slice();
    for (let r = 1; r < rounds; r++) {
      tmp = bcryptHash(sha2pass, sha512(tmp));
      for (let j = 0; j < 32; j++) out[j]! ^= tmp[j]!;
    }
    let i = 0;
    for (; i < amount && i < remaining; i++) {
      const dest = i * stride + (count - 1);
      if (dest >= keyLength) break;
      key[dest] = out[i]!;
    }
    remaining -= i;
  }
  return key;
}

describe('crypto/primitives/blowfish: constants', () => {
  it('the initial state is the hexadecimal fraction of π: P starts 243f6a88 85a308d3, S4 ends 3ac372e6', () => {
    const w = blowfishPiWords();
    expect(w.length).to.equal(18 + 1024);
    expect([...w.subarray(0, 4)].map((x) => x.toString(16).padStart(8, '0'))).to.deep.equal(['243f6a88', '85a308d3', '13198a2e', '03707344']);
    expect(w[17]!.toString(16)).to.equal('8979fb1b'); // P18
    expect(w[18]!.toString(16)).to.equal('d1310ba6'); // S1[0]
    expect(w[1041]!.toString(16)).to.equal('3ac372e6'); // S4[255]
    expect(blowfishPiWords()).to.equal(w); // computed once
  });

  it('streamToWord reads big-endian words, wrapping around the data (Blowfish_stream2word)', () => {
    const at = { pos: 0 };
    const d = unhex('0102030405');
    expect([streamToWord(d, at), streamToWord(d, at)].map((x) => x.toString(16))).to.deep.equal(['1020304', '5010203']);
    expect(at.pos).to.equal(3);
  });
});

describe("crypto/primitives/blowfish: Schneier's test vectors (Eric Young's set)", () => {
  it('ECB, 8-byte keys', () => {
    const vectors: [string, string, string][] = [
      ['0000000000000000', '0000000000000000', '4ef997456198dd78'],
      ['ffffffffffffffff', 'ffffffffffffffff', '51866fd5b85ecb8a'],
      ['3000000000000000', '1000000000000001', '7d856f9a613063f2'],
      ['1111111111111111', '1111111111111111', '2466dd878b963c9d'],
      ['0123456789abcdef', '1111111111111111', '61f9c3802281b096'],
      ['fedcba9876543210', '0123456789abcdef', '0aceab0fc6a0a28d'],
      ['7ca110454a1a6e57', '01a1d6d039776742', '59c68245eb05282b'],
    ];
    for (const [k, p, c] of vectors) {
      const bf = new Blowfish(unhex(k));
      expect(hex(ecb(bf, unhex(p))), k).to.equal(c);
      expect(hex(ecb(bf, unhex(c), true)), k).to.equal(p);
    }
  });

  it('variable key length (plaintext fedcba9876543210)', () => {
    const key = 'f0e1d2c3b4a5968778695a4b3c2d1e0f0011223344556677';
    const vectors: [number, string][] = [
      [8, 'e87a244e2cc85e82'],
      [16, '93142887ee3be15c'],
      [24, '05044b62fa52d080'],
    ];
    for (const [n, c] of vectors) expect(hex(ecb(new Blowfish(unhex(key.slice(0, 2 * n))), unhex('fedcba9876543210'))), `${n} bytes`).to.equal(c);
  });

  it('CBC: "7654321 Now is the time for " with key 0123456789abcdeff0e1d2c3b4a59687, IV fedcba9876543210', () => {
    const data = new Uint8Array(32);
    data.set(new TextEncoder().encode('7654321 Now is the time for '));
    new Cbc64(new Blowfish(unhex('0123456789abcdeff0e1d2c3b4a59687')), unhex('fedcba9876543210')).encrypt(data);
    expect(hex(data)).to.equal('6b77b4d63006dee605b156e27403979358deb9e7154616d959f1652bd5ff92cc');
  });

  it('new Blowfish(key) is expand0State(key) on the π state', () => {
    const key = bytes(5, 16);
    const a = new Blowfish(key);
    const b = new Blowfish();
    b.expand0State(key);
    expect(hex(new Uint8Array(a.p.buffer))).to.equal(hex(new Uint8Array(b.p.buffer)));
    expect(hex(new Uint8Array(a.s.buffer))).to.equal(hex(new Uint8Array(b.s.buffer)));
  });

  it('rejects empty and over-long keys; dispose zeroes the state', () => {
    expect(() => new Blowfish(new Uint8Array(0)))
      .to.throw(SshError)
      .with.property('code', 'INVAL');
    expect(() => new Blowfish(new Uint8Array(73)))
      .to.throw(SshError)
      .with.property('code', 'INVAL');
    expect(() => new Blowfish().expandState(new Uint8Array(0), new Uint8Array(4))).to.throw(SshError);
    const bf = new Blowfish(bytes(1, 16));
    bf.dispose();
    expect(bf.p.every((x) => x === 0) && bf.s.every((x) => x === 0)).to.equal(true);
    expect(blowfishPiWords()[0]).to.equal(0x243f6a88); // the shared π table is untouched
  });

  it('decrypt inverts encrypt (fast-check, CBC, key lengths 4..56)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 56 }), fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.nat(30), (key, iv, blocks) => {
        const plain = bytes(blocks + 3, 8 * blocks);
        const data = plain.slice();
        new Cbc64(new Blowfish(key), iv).encrypt(data);
        new Cbc64(new Blowfish(key), iv).decrypt(data);
        expect(hex(data)).to.equal(hex(plain));
      }),
      { numRuns: 40 },
    );
  });
});

describe('crypto/primitives/blowfish: cross-checked with OpenSSL on random inputs', () => {
  before(requireOpensslLegacy);

  it('bf-cbc and bf-ecb with 16-byte keys (the blowfish-cbc cipher), both directions', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const key = bytes(seed * 3, 16);
      const iv = bytes(seed * 5, 8);
      const plain = bytes(seed * 7, 8 * (1 + ((seed * 53) % 700)));
      const expected = opensslEnc('bf-cbc', key, iv, plain);
      const data = plain.slice();
      const enc = new Cbc64(new Blowfish(key), iv);
      enc.encrypt(data.subarray(0, 8));
      enc.encrypt(data.subarray(8));
      expect(hex(data), `seed ${seed}`).to.equal(hex(expected));
      expect(hex(opensslEnc('bf-cbc', key, iv, data, true))).to.equal(hex(plain));
      new Cbc64(new Blowfish(key), iv).decrypt(data);
      expect(hex(data)).to.equal(hex(plain));
      expect(hex(ecb(new Blowfish(key), plain)), `ecb ${seed}`).to.equal(hex(opensslEnc('bf-ecb', key, null, plain)));
    }
  });

  it('key lengths 4..56 bytes against python3-cryptography (OpenSSL) Blowfish-ECB', () => {
    const cases = [4, 5, 7, 8, 13, 16, 20, 31, 32, 44, 55, 56].map((n, i) => ({ key: bytes(100 + i, n), plain: bytes(200 + i, 64) }));
    const input: Record<string, Uint8Array> = {};
    cases.forEach((c, i) => {
      input[`k${i}`] = c.key;
      input[`p${i}`] = c.plain;
    });
    const out = python(
      [
        'from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes',
        `print(''.join(Cipher(algorithms.Blowfish(h(f'k{i}')), modes.ECB()).encryptor().update(h(f'p{i}')).hex() for i in range(${cases.length})))`,
      ].join('\n'),
      input,
    );
    cases.forEach((c, i) => expect(hex(ecb(new Blowfish(c.key), c.plain)), `${c.key.length}-byte key`).to.equal(hex(out.subarray(64 * i, 64 * i + 64))));
  });
});

describe('crypto/primitives/blowfish: the bcrypt key schedule API (expandState / expand0State)', () => {
  it('bcrypt_pbkdf built on it gives the known answer: ("password", "salt", 4 rounds, 32 bytes)', () => {
    const te = new TextEncoder();
    expect(hex(bcryptPbkdfViaApi(te.encode('password'), te.encode('salt'), 4, 32))).to.equal(
      '5bbf0cc293587f1c3635555c27796598d47e579071bf427e9d8fbe842aba34d9',
    );
  });

  it('and matches python3-bcrypt (bcrypt.kdf) on random passwords, salts and lengths', () => {
    const cases = [
      { pw: bytes(1, 9), salt: bytes(2, 16), rounds: 1, len: 48 },
      { pw: bytes(3, 1), salt: bytes(4, 1), rounds: 2, len: 1 },
      { pw: bytes(5, 73), salt: bytes(6, 24), rounds: 3, len: 80 },
    ];
    for (const c of cases) {
      const theirs = python('import bcrypt\nprint(bcrypt.kdf(h("pw"), h("salt"), a["len"], a["rounds"]).hex())', {
        pw: c.pw,
        salt: c.salt,
        len: c.len,
        rounds: c.rounds,
      });
      expect(hex(bcryptPbkdfViaApi(c.pw, c.salt, c.rounds, c.len)), JSON.stringify({ ...c, pw: c.pw.length })).to.equal(hex(theirs));
    }
  });
});
