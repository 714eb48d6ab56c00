import { expect } from 'chai';
import fc from 'fast-check';
import { SshError } from '../../../src/errors.js';
import { Cbc64, ecbDecryptBlock, ecbEncryptBlock } from '../../../src/crypto/primitives/block64.js';
import { Cast128 } from '../../../src/crypto/primitives/cast128.js';
import { castSboxes } from '../../../src/crypto/primitives/cast128-sboxes.js';
import { opensslEnc, python, requireOpensslLegacy } from './primitives-openssl.js';

const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function ecb(c: Cast128, data: Uint8Array, decrypt = false): Uint8Array {
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

describe('crypto/primitives/cast128: RFC 2144', () => {
  it('S-boxes: 8 × 256 words, first and last of each as in Appendix A', () => {
    const s = castSboxes();
    expect(s.length).to.equal(2048);
    const ends = [...Array(8).keys()].map((b) => [s[b * 256]!, s[b * 256 + 255]!].map((x) => x.toString(16).padStart(8, '0')).join(' '));
    expect(ends).to.deep.equal([
      '30fb40d4 5c8165bf',
      '1f201094 4523ecf1',
      '8defc240 ee353783',
      '9db30420 0aef7ed2',
      '7ec90c04 efe9e7d4',
      'f6fa8f9d d675cf2f',
      '85e04019 954b8aa3',
      'e216300d ea8bf59e',
    ]);
  });

  it('B.1 single plaintext-key-ciphertext sets: 128-, 80- and 40-bit keys', () => {
    const plain = unhex('0123456789abcdef');
    const vectors: [string, string][] = [
      ['0123456712345678234567893456789a', '238b4fe5847e44b2'],
      ['01234567123456782345', 'eb6a711a2c02271b'],
      ['0123456712', '7ac816d16e9b302e'],
    ];
    for (const [k, c] of vectors) {
      const cast = new Cast128(unhex(k));
      expect(hex(ecb(cast, plain)), k).to.equal(c);
      expect(hex(ecb(cast, unhex(c), true)), k).to.equal(hex(plain));
      // short keys are the same as zero-padded 16-byte keys (§2.5), apart from the round count
      if (k.length <= 20) expect(hex(ecb(new Cast128(unhex(k.padEnd(32, '0'))), plain))).to.not.equal(c);
    }
  });

  it('B.2 full maintenance test: 1,000,000 iterations', function () {
    this.timeout(120_000);
    const a = new Uint32Array([0x01234567, 0x12345678, 0x23456789, 0x3456789a]);
    const b = a.slice();
    const key = new Uint8Array(16);
    const toKey = (w: Uint32Array): Uint8Array => {
      for (let i = 0; i < 4; i++) new DataView(key.buffer).setUint32(4 * i, w[i]!);
      return key;
    };
    for (let i = 0; i < 1_000_000; i++) {
      const kb = new Cast128(toKey(b));
      kb.encryptWords(a, 0); // aL = encrypt(aL, b)
      kb.encryptWords(a, 2); // aR = encrypt(aR, b)
      const ka = new Cast128(toKey(a));
      ka.encryptWords(b, 0);
      ka.encryptWords(b, 2);
    }
    const show = (w: Uint32Array): string => [...w].map((x) => x.toString(16).padStart(8, '0')).join('');
    expect(show(a)).to.equal('eea9d0a249fd3ba6b3436fb89d6dca92');
    expect(show(b)).to.equal('b2c95eb00c31ad7180ac05b8e83d696e');
  });

  it('rejects keys outside 5..16 bytes; CBC decrypt inverts encrypt (fast-check)', () => {
    for (const n of [0, 4, 17, 32])
      expect(() => new Cast128(new Uint8Array(n)), String(n))
        .to.throw(SshError)
        .with.property('code', 'INVAL');
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 5, maxLength: 16 }), fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.nat(30), (key, iv, blocks) => {
        const plain = bytes(blocks + 9, 8 * blocks);
        const data = plain.slice();
        new Cbc64(new Cast128(key), iv).encrypt(data);
        new Cbc64(new Cast128(key), iv).decrypt(data);
        expect(hex(data)).to.equal(hex(plain));
      }),
      { numRuns: 40 },
    );
  });
});

describe('crypto/primitives/cast128: cross-checked with OpenSSL on random inputs', () => {
  before(requireOpensslLegacy);

  it('cast5-cbc and cast5-ecb with 16-byte keys (the cast128-cbc cipher), both directions', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const key = bytes(seed * 3, 16);
      const iv = bytes(seed * 5, 8);
      const plain = bytes(seed * 7, 8 * (1 + ((seed * 61) % 600)));
      const expected = opensslEnc('cast5-cbc', key, iv, plain);
      const data = plain.slice();
      const enc = new Cbc64(new Cast128(key), iv);
      const cut = 8 * (seed % (plain.length / 8));
      enc.encrypt(data.subarray(0, cut));
      enc.encrypt(data.subarray(cut));
      expect(hex(data), `seed ${seed}`).to.equal(hex(expected));
      expect(hex(opensslEnc('cast5-cbc', key, iv, data, true))).to.equal(hex(plain));
      new Cbc64(new Cast128(key), iv).decrypt(data);
      expect(hex(data)).to.equal(hex(plain));
      expect(hex(ecb(new Cast128(key), plain)), `ecb ${seed}`).to.equal(hex(opensslEnc('cast5-ecb', key, null, plain)));
    }
  });

  it('key lengths 5..16 bytes (12 and 16 rounds) against python3-cryptography (OpenSSL) CAST5-ECB', () => {
    const cases = [5, 6, 9, 10, 11, 12, 15, 16].map((n, i) => ({ key: bytes(300 + i, n), plain: bytes(400 + i, 64) }));
    const input: Record<string, Uint8Array> = {};
    cases.forEach((c, i) => {
      input[`k${i}`] = c.key;
      input[`p${i}`] = c.plain;
    });
    const out = python(
      [
        'from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes',
        `print(''.join(Cipher(algorithms.CAST5(h(f'k{i}')), modes.ECB()).encryptor().update(h(f'p{i}')).hex() for i in range(${cases.length})))`,
      ].join('\n'),
      input,
    );
    cases.forEach((c, i) => expect(hex(ecb(new Cast128(c.key), c.plain)), `${c.key.length}-byte key`).to.equal(hex(out.subarray(64 * i, 64 * i + 64))));
  });
});
