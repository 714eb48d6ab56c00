/**
 * ChaCha20 (RFC 8439 §2.3-2.4) in DJB's original layout, a 64-bit block counter and a 64-bit
 * nonce, as chacha20-poly1305@openssh.com uses it (PROTOCOL.chacha20poly1305), with its block
 * loop in WebAssembly: the 16 state words in i32 locals, `i32.rotl` for the rotations, the
 * keystream XORed into the data in place. About 3× noble's JavaScript ChaCha20 on V8; noble's
 * stays the fallback where WebAssembly is missing or refused.
 *
 * Memory layout: [0, 64) the initial state (constants, key, counter, nonce as little-endian
 * words), then the data chunk from DATA on. The module exports `xor(from, to)`, which XORs
 * the keystream into the whole 64-byte blocks in [from, to), counting blocks from the state's
 * counter (carried into its high word), and leaves the next counter in words 12 and 13.
 */
import { Code, encodeModule, I32, op, VOID } from './encode.js';
import { readLE32 } from '../le32.js';

const DATA = 64;
/** data bytes per call: 4 pages, a multiple of 64 */
const CHUNK = 4 * 65536;
const PAGES = 5;
/** "expand 32-byte k" (RFC 8439 §2.3) */
const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574];

function xorFunction(): Code {
  // locals: 0 from, 1 to, 2..17 the initial state s, 18..33 the working state x, 34 round
  const S = 2;
  const X = 18;
  const ROUND = 34;
  const c = new Code();
  for (let i = 0; i < 16; i++)
    c.i32(0)
      .mem(op.i32Load, 2, 4 * i)
      .set(S + i);

  /** x[a] += x[b]; x[d] = rotl(x[d] ^ x[a], n) */
  const step = (a: number, b: number, d: number, n: number): void => {
    c.get(X + a)
      .get(X + b)
      .emit(op.i32Add)
      .set(X + a);
    c.get(X + d)
      .get(X + a)
      .emit(op.i32Xor)
      .i32(n)
      .emit(op.i32Rotl)
      .set(X + d);
  };
  const quarterRound = (a: number, b: number, cc: number, d: number): void => {
    step(a, b, d, 16);
    step(cc, d, b, 12);
    step(a, b, d, 8);
    step(cc, d, b, 7);
  };

  c.emit(op.block, VOID, op.loop, VOID);
  c.get(0).get(1).emit(op.i32GeU, op.brIf, 1);
  for (let i = 0; i < 16; i++) c.get(S + i).set(X + i);
  c.i32(10).set(ROUND);
  c.emit(op.loop, VOID);
  quarterRound(0, 4, 8, 12);
  quarterRound(1, 5, 9, 13);
  quarterRound(2, 6, 10, 14);
  quarterRound(3, 7, 11, 15);
  quarterRound(0, 5, 10, 15);
  quarterRound(1, 6, 11, 12);
  quarterRound(2, 7, 8, 13);
  quarterRound(3, 4, 9, 14);
  c.get(ROUND).i32(1).emit(op.i32Sub).tee(ROUND).emit(op.brIf, 0, op.end);
  // data[from + 4i] ^= x[i] + s[i]
  for (let i = 0; i < 16; i++) {
    c.get(0)
      .get(0)
      .mem(op.i32Load, 0, 4 * i)
      .get(X + i)
      .get(S + i)
      .emit(op.i32Add, op.i32Xor)
      .mem(op.i32Store, 0, 4 * i);
  }
  // The 64-bit block counter: s12 += 1, carried into s13.
  c.get(S + 12)
    .i32(1)
    .emit(op.i32Add)
    .tee(S + 12)
    .emit(op.i32Eqz)
    .get(S + 13)
    .emit(op.i32Add)
    .set(S + 13);
  c.get(0).i32(64).emit(op.i32Add).set(0);
  c.emit(op.br, 0, op.end, op.end);

  c.i32(0)
    .get(S + 12)
    .mem(op.i32Store, 2, 48);
  c.i32(0)
    .get(S + 13)
    .mem(op.i32Store, 2, 52);
  return c;
}

/** The part of the WebAssembly JS API we use (typed here: the universal build has no DOM lib). */
interface WasmApi {
  Module: new (bytes: Uint8Array<ArrayBuffer>) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}

/**
 * `chacha20orig(key, nonce, data, output, counter)` as noble's: XORs ChaCha20's keystream
 * (32-byte key, 8-byte nonce, starting at 64-byte block `counter`) into `data`, writing to
 * `output` (which may be `data`) and returning it.
 */
export type Chacha20Orig = (key: Uint8Array, nonce: Uint8Array, data: Uint8Array, output?: Uint8Array, counter?: number) => Uint8Array;

/** A ChaCha20 over WebAssembly, or undefined when this runtime cannot compile WebAssembly. */
export function createWasmChacha20(): Chacha20Orig | undefined {
  let exports: Record<string, unknown>;
  try {
    const WebAssembly = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (typeof WebAssembly !== 'object') return undefined;
    const bytes = encodeModule(PAGES, [{ name: 'xor', params: [I32, I32], results: [], locals: new Array<typeof I32>(33).fill(I32), body: xorFunction() }]);
    exports = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports;
  } catch {
    return undefined; // no WebAssembly here (or compiling it is forbidden): use the fallback
  }
  const buffer = (exports['memory'] as { buffer: ArrayBuffer }).buffer;
  const mem = new Uint8Array(buffer);
  const state = new Uint32Array(buffer, 0, 16);
  const xor = exports['xor'] as (from: number, to: number) => void;
  return function chacha20WasmOrig(key, nonce, data, output = new Uint8Array(data.length), counter = 0) {
    if (key.length !== 32) throw new RangeError('chacha20: key must be 32 bytes');
    if (nonce.length !== 8) throw new RangeError('chacha20: nonce must be 8 bytes');
    if (output.length < data.length) throw new RangeError('chacha20: output is shorter than the data');
    if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError('chacha20: bad counter');
    for (let i = 0; i < 4; i++) state[i] = SIGMA[i]!;
    for (let i = 0; i < 8; i++) state[4 + i] = readLE32(key, 4 * i);
    state[12] = counter >>> 0;
    state[13] = Math.floor(counter / 0x100000000) >>> 0;
    state[14] = readLE32(nonce, 0);
    state[15] = readLE32(nonce, 4);
    const n = data.length;
    for (let o = 0; o < n; o += CHUNK) {
      const take = Math.min(CHUNK, n - o);
      mem.set(data.subarray(o, o + take), DATA);
      // A partial last block is XORed whole; only its `take` bytes are copied out.
      xor(DATA, DATA + ((take + 63) & ~63));
      output.set(mem.subarray(DATA, DATA + take), o);
    }
    state.fill(0); // the key; the data region holds only what the caller has anyway
    return output;
  };
}
