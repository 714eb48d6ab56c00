import { expect } from 'chai';
import { createCipheriv } from 'node:crypto';
import { aesCtr32, expandAesKey } from '../../../src/crypto/aes-ctr32.js';
import { hex, prng, unhex } from '../transport/helpers.js';

const words = (b: Uint8Array): [number, number, number, number] => {
  const v = new DataView(b.buffer, b.byteOffset, 16);
  return [v.getUint32(0), v.getUint32(4), v.getUint32(8), v.getUint32(12)];
};

describe('crypto/aes-ctr32 (FIPS 197 AES, SP 800-38D inc32 counter mode)', () => {
  it('encrypts the FIPS 197 Appendix C blocks (AES-128, -192, -256)', () => {
    const plain = unhex('00112233445566778899aabbccddeeff');
    for (const [key, cipher] of [
      ['000102030405060708090a0b0c0d0e0f', '69c4e0d86a7b0430d8cdb78070b4c55a'],
      ['000102030405060708090a0b0c0d0e0f1011121314151617', 'dda97ca4864cdfe06eaf70a0ec0d7191'],
      ['000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', '8ea2b7ca516745bfeafc49904b496089'],
    ]) {
      const block = new Uint8Array(16);
      aesCtr32(expandAesKey(unhex(key!)), ...words(plain), block);
      expect(hex(block), key).to.equal(cipher);
    }
  });

  it('is node:crypto’s AES-CTR while the low 32 bits do not wrap, any length, and returns the next counter', () => {
    const rng = prng(0xae5);
    for (const keyLength of [16, 24, 32]) {
      for (let i = 0; i < 20; i++) {
        const key = rng.bytes(keyLength);
        const counter = rng.bytes(16);
        counter[12] = 0; // far from a 2^32 wrap, where inc32 and node's 128-bit counter differ
        const data = rng.bytes(rng.int(200));
        const expected = createCipheriv(`aes-${keyLength * 8}-ctr`, key, counter).update(data);
        const [c0, c1, c2, c3] = words(counter);
        const next = aesCtr32(expandAesKey(key), c0, c1, c2, c3, data);
        expect(hex(data), `${keyLength}-byte key, ${data.length} bytes`).to.equal(hex(expected));
        expect(next).to.equal((c3 + Math.ceil(data.length / 16)) >>> 0);
      }
    }
  });

  it('wraps only the low 32 bits (inc32), and rejects other key sizes', () => {
    const key = new Uint8Array(16).fill(5);
    const rk = expandAesKey(key);
    const two = new Uint8Array(32);
    expect(aesCtr32(rk, 1, 2, 3, 0xffffffff, two)).to.equal(1);
    const second = new Uint8Array(16);
    aesCtr32(rk, 1, 2, 3, 0, second);
    expect(hex(two.subarray(16))).to.equal(hex(second));
    expect(() => expandAesKey(new Uint8Array(20))).to.throw(RangeError);
  });
});
