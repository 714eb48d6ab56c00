/**
 * The WebAssembly ChaCha20 (src/crypto/wasm/chacha20.ts), with and without its vector kernel,
 * against noble's `chacha20orig` and RFC 8439's vector, the carry of DJB's 64-bit counter
 * against OpenSSL's, and the fallback to noble where WebAssembly is missing or refused.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { chacha20orig } from '@noble/ciphers/chacha.js';
import { chacha20HasVectors, createWasmChacha20 } from '../../../src/crypto/wasm/chacha20.js';
import { eachWayWithoutWebAssembly } from '../../support/without-webassembly.js';

const wasmChacha20 = createWasmChacha20()!;
const scalarChacha20 = createWasmChacha20({ vectors: false })!;
/** Four blocks at a time in vectors (and the tail one by one), and one by one throughout. */
const implementations = [
  ['vectors', wasmChacha20],
  ['scalar', scalarChacha20],
] as const;

describe('WebAssembly ChaCha20 (DJB layout)', () => {
  it('is available on Node, with vectors', () => {
    expect(wasmChacha20).to.be.a('function');
    expect(scalarChacha20).to.be.a('function');
    expect(chacha20HasVectors()).to.equal(true);
  });

  it('RFC 8439 §2.4.2: the sunscreen text under counter 1', () => {
    // §2.4.2's nonce is 00:00:00:00:00:00:00:4a:00:00:00:00 (IETF layout); in DJB's layout the
    // first of those words is the counter's high half, so nonce8 = 00 00 00 4a 00 00 00 00.
    const key = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
    const nonce = Buffer.from('0000004a00000000', 'hex');
    const text = Buffer.from("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
    const out = wasmChacha20(key, nonce, text, undefined, 1);
    expect(Buffer.from(out).toString('hex')).to.equal(
      '6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0bf91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d807ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab77937365af90bbf74a35be6b40b8eedf2785e42874d',
    );
  });

  it('equals noble for every length 0..300 and beyond one 256 KiB chunk, counters 0..2, in place and not', () => {
    const lengths = [...Array(301).keys(), 32768, 32768 + 17, 262144 - 1, 262144, 262144 + 65, 600001];
    for (const [label, impl] of implementations)
      for (const [i, n] of lengths.entries()) {
        const key = new Uint8Array(randomBytes(32));
        const nonce = new Uint8Array(randomBytes(8));
        const data = new Uint8Array(randomBytes(n));
        const counter = i % 3;
        const expected = chacha20orig(key, nonce, data, undefined, counter);
        expect(Buffer.from(impl(key, nonce, data, undefined, counter)).equals(Buffer.from(expected)), `${label}, length ${n}`).to.equal(true);
        const inPlace = data.slice();
        expect(impl(key, nonce, inPlace, inPlace, counter)).to.equal(inPlace);
        expect(Buffer.from(inPlace).equals(Buffer.from(expected)), `${label}, length ${n}, in place`).to.equal(true);
      }
  });

  it('carries the 64-bit block counter into its high word (noble stops at 2^32 blocks)', () => {
    // Each block from node:crypto's ChaCha20 with the whole 64-bit counter in its IV: OpenSSL's
    // 16-byte IV is state words 12..15, so LE32(low) ‖ LE32(high) ‖ nonce is DJB's layout.
    const reference = (key: Uint8Array, nonce: Uint8Array, counter: number, data: Uint8Array): Buffer => {
      const out = Buffer.from(data);
      for (let o = 0; o < data.length; o += 64) {
        const block = counter + o / 64;
        const iv = Buffer.alloc(16);
        iv.writeUInt32LE(block % 2 ** 32, 0);
        iv.writeUInt32LE(Math.floor(block / 2 ** 32), 4);
        iv.set(nonce, 8);
        const ks = createCipheriv('chacha20', key, iv).update(Buffer.alloc(64));
        for (let i = o; i < Math.min(o + 64, data.length); i++) out[i]! ^= ks[i - o]!;
      }
      return out;
    };
    for (const [counter, length] of [
      [0xffffffff, 100],
      [0xfffffffe, 640],
      [0xfffffff0, 64 * 40 + 5],
      [0xffffff00, 64 * 20 + 3],
      [2 ** 33 - 3, 1000],
    ] as const) {
      const key = new Uint8Array(randomBytes(32));
      const nonce = new Uint8Array(randomBytes(8));
      const data = new Uint8Array(randomBytes(length));
      const expected = reference(key, nonce, counter, data).toString('hex');
      for (const [label, impl] of implementations)
        expect(Buffer.from(impl(key, nonce, data, undefined, counter)).toString('hex'), `${label}, counter ${counter}`).to.equal(expected);
    }
  });

  it('equals noble on arbitrary inputs (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.uint8Array({ maxLength: 3000, size: 'max' }),
        fc.integer({ min: 0, max: 1000 }),
        (key, nonce, data, counter) => {
          const expected = Buffer.from(chacha20orig(key, nonce, data, undefined, counter));
          return implementations.every(([, impl]) => Buffer.from(impl(key, nonce, data, undefined, counter)).equals(expected));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses bad sizes and counters with a RangeError', () => {
    const key = new Uint8Array(32);
    const nonce = new Uint8Array(8);
    expect(() => wasmChacha20(new Uint8Array(16), nonce, new Uint8Array(4))).to.throw(RangeError, /key/);
    expect(() => wasmChacha20(key, new Uint8Array(12), new Uint8Array(4))).to.throw(RangeError, /nonce/);
    expect(() => wasmChacha20(key, nonce, new Uint8Array(4), new Uint8Array(3))).to.throw(RangeError, /output/);
    expect(() => wasmChacha20(key, nonce, new Uint8Array(4), undefined, -1)).to.throw(RangeError, /counter/);
  });

  it('is absent (so noble is used) where the runtime has no WebAssembly or refuses to compile', () => {
    eachWayWithoutWebAssembly((how) => expect(createWasmChacha20(), how).to.equal(undefined));
  });
});
