/**
 * The WebAssembly ChaCha20 (src/crypto/wasm/chacha20.ts) against noble's `chacha20orig` and
 * RFC 8439's block vector, the carry of DJB's 64-bit counter, and the fallback to noble where
 * WebAssembly is missing or refused.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { chacha20, chacha20orig } from '@noble/ciphers/chacha.js';
import { chachaBlock, chachaKeyWords } from '../../../src/crypto/chacha20-block.js';
import { createWasmChacha20 } from '../../../src/crypto/wasm/chacha20.js';

const wasmChacha20 = createWasmChacha20()!;

describe('WebAssembly ChaCha20 (DJB layout)', () => {
  it('is available on Node', () => {
    expect(wasmChacha20).to.be.a('function');
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
    for (const [i, n] of lengths.entries()) {
      const key = new Uint8Array(randomBytes(32));
      const nonce = new Uint8Array(randomBytes(8));
      const data = new Uint8Array(randomBytes(n));
      const counter = i % 3;
      const expected = chacha20orig(key, nonce, data, undefined, counter);
      expect(Buffer.from(wasmChacha20(key, nonce, data, undefined, counter)).equals(Buffer.from(expected)), `length ${n}`).to.equal(true);
      const inPlace = data.slice();
      expect(wasmChacha20(key, nonce, inPlace, inPlace, counter)).to.equal(inPlace);
      expect(Buffer.from(inPlace).equals(Buffer.from(expected)), `length ${n}, in place`).to.equal(true);
    }
  });

  it('carries the 64-bit block counter into its high word (noble stops at 2^32 blocks)', () => {
    const key = new Uint8Array(randomBytes(32));
    const nonce = Buffer.from(randomBytes(8));
    const data = new Uint8Array(randomBytes(100));
    const out = wasmChacha20(key, nonce, data, undefined, 0xffffffff);
    // Block 2^32 - 1 from the block function; block 2^32 is the IETF layout's block 0 with the
    // counter's high word 1 as the first nonce word.
    const ks = new Uint32Array(16);
    chachaBlock(chachaKeyWords(key), 0xffffffff, nonce.readUInt32LE(0), nonce.readUInt32LE(4), ks, new Uint32Array(16));
    const first = new Uint8Array(ks.buffer);
    const ietfNonce = new Uint8Array(12);
    ietfNonce.set([1, 0, 0, 0]);
    ietfNonce.set(nonce, 4);
    const next = chacha20(key, ietfNonce, new Uint8Array(64), undefined, 0);
    const expected = data.map((b, i) => b ^ (i < 64 ? first[i]! : next[i - 64]!));
    expect(Buffer.from(out).toString('hex')).to.equal(Buffer.from(expected).toString('hex'));
  });

  it('equals noble on arbitrary inputs (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.uint8Array({ maxLength: 3000 }),
        fc.integer({ min: 0, max: 1000 }),
        (key, nonce, data, counter) =>
          Buffer.from(wasmChacha20(key, nonce, data, undefined, counter)).equals(Buffer.from(chacha20orig(key, nonce, data, undefined, counter))),
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
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'WebAssembly')!;
    try {
      Object.defineProperty(globalThis, 'WebAssembly', { value: undefined, configurable: true, writable: true });
      expect(createWasmChacha20()).to.equal(undefined);
      Object.defineProperty(globalThis, 'WebAssembly', {
        value: {
          Module: class {
            constructor() {
              throw new Error('CompileError: WebAssembly.Module(): Wasm code generation disallowed by embedder');
            }
          },
        },
        configurable: true,
        writable: true,
      });
      expect(createWasmChacha20()).to.equal(undefined);
    } finally {
      Object.defineProperty(globalThis, 'WebAssembly', saved);
    }
  });
});
