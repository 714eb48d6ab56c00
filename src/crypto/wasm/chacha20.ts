/**
 * ChaCha20 (RFC 8439 §2.3-2.4) in DJB's original layout, a 64-bit block counter and a 64-bit
 * nonce, as chacha20-poly1305@openssh.com uses it (PROTOCOL.chacha20poly1305), with its block
 * loop in WebAssembly, four blocks at a time in 128-bit vectors where the runtime has them
 * (`xor4`), one block in i32 locals otherwise (`xor`, also the tail), the keystream XORed into
 * the data in place. noble's JavaScript ChaCha20 stays the fallback where WebAssembly is
 * missing or refused.
 *
 * Memory layout: [0, 64) the initial state (constants, key, counter, nonce as little-endian
 * words), then the data chunk from DATA on. `xor(from, to)` XORs the keystream into the whole
 * 64-byte blocks in [from, to), counting blocks from the state's counter (carried into its
 * high word), and leaves the next counter in words 12 and 13; `xor4(from, to)` does the same
 * for whole 256-byte groups without the carry (the caller keeps the low word from wrapping).
 */
import { Code, encodeModule, I32, op, simd, V128, VOID, type FunctionDef } from './encode.js';
import { readLE32 } from '../le32.js';

const DATA = 64;
/** data bytes per call: 4 pages, a multiple of 64 */
const CHUNK = 4 * 65536;
const PAGES = 5;
/** "expand 32-byte k" (RFC 8439 §2.3) */
const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574];

/** The quarter rounds of a double round (RFC 8439 §2.3): the columns, then the diagonals. */
const QUARTER_ROUNDS = [
  [0, 4, 8, 12],
  [1, 5, 9, 13],
  [2, 6, 10, 14],
  [3, 7, 11, 15],
  [0, 5, 10, 15],
  [1, 6, 11, 12],
  [2, 7, 8, 13],
  [3, 4, 9, 14],
] as const;

/**
 * ChaCha20's 20 rounds as a loop of 10 double rounds counted in local `round`; `step(a, b, d, n)`
 * emits x[a] += x[b]; x[d] = rotl(x[d] ^ x[a], n) for the kernel's representation.
 */
function emitRounds(c: Code, round: number, step: (a: number, b: number, d: number, n: number) => void): void {
  c.i32(10).set(round);
  c.emit(op.loop, VOID);
  for (const [a, b, cc, d] of QUARTER_ROUNDS) {
    step(a, b, d, 16);
    step(cc, d, b, 12);
    step(a, b, d, 8);
    step(cc, d, b, 7);
  }
  c.get(round).i32(1).emit(op.i32Sub).tee(round).emit(op.brIf, 0, op.end);
}

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

  c.emit(op.block, VOID, op.loop, VOID);
  c.get(0).get(1).emit(op.i32GeU, op.brIf, 1);
  for (let i = 0; i < 16; i++) c.get(S + i).set(X + i);
  emitRounds(c, ROUND, step);
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

/** i8x16.shuffle lane indices: byte i of the result is byte `pick(i)` of a ‖ b (0..31). */
const lanes = (pick: (i: number) => number): number[] => Array.from({ length: 16 }, (_, i) => pick(i));
/** Rotations by whole bytes within each 32-bit lane, as a byte shuffle of one vector. */
const ROTL16 = lanes((i) => (i & ~3) | ((i + 2) & 3));
const ROTL8 = lanes((i) => (i & ~3) | ((i + 3) & 3));
/** Transpose steps: 32-bit lanes 0,1 (or 2,3) of a and b interleaved; 64-bit halves of a and b. */
const LO32 = lanes((i) => ((i >> 2) & 1 ? 16 : 0) + 4 * (i >> 3) + (i & 3));
const HI32 = LO32.map((x) => x + 8);
const LO64 = lanes((i) => (i < 8 ? i : 16 + i - 8));
const HI64 = LO64.map((x) => x + 8);

/**
 * The same keystream four blocks at a time in 128-bit vectors: vector i holds state word i of
 * blocks n..n+3 (counters n..n+3 in word 12), so each instruction runs one step of four
 * blocks. [from, to) is a whole number of 256-byte groups; the caller keeps the counter's low
 * word from wrapping inside a call (this kernel does not carry it into word 13).
 */
function xor4Function(): Code {
  // locals: 0 from, 1 to (i32), 2 counter (i32), 3 round (i32), 4..19 s (v128), 20..35 x,
  // 36..39 t
  const COUNTER = 2;
  const ROUND = 3;
  const S = 4;
  const X = 20;
  const T = 36;
  const c = new Code();
  for (let i = 0; i < 16; i++)
    c.i32(0)
      .mem(op.i32Load, 2, 4 * i)
      .vec(simd.i32x4Splat)
      .set(S + i);
  c.i32(0).mem(op.i32Load, 2, 48).set(COUNTER);
  const step = (a: number, b: number, d: number, n: number): void => {
    c.get(X + a)
      .get(X + b)
      .vec(simd.i32x4Add)
      .set(X + a);
    c.get(X + d)
      .get(X + a)
      .vec(simd.v128Xor)
      .set(X + d);
    if (n === 16 || n === 8) {
      c.get(X + d)
        .get(X + d)
        .vec(simd.i8x16Shuffle, ...(n === 16 ? ROTL16 : ROTL8))
        .set(X + d);
    } else {
      c.get(X + d)
        .i32(n)
        .vec(simd.i32x4Shl)
        .get(X + d)
        .i32(32 - n)
        .vec(simd.i32x4ShrU)
        .vec(simd.v128Or)
        .set(X + d);
    }
  };

  c.emit(op.block, VOID, op.loop, VOID);
  c.get(0).get(1).emit(op.i32GeU, op.brIf, 1);
  // s[12] is this group's counters: splat(counter) + (0, 1, 2, 3)
  c.get(COUNTER)
    .vec(simd.i32x4Splat)
    .vec(simd.v128Const, ...[0, 1, 2, 3].flatMap((k) => [k, 0, 0, 0]))
    .vec(simd.i32x4Add)
    .set(S + 12);
  for (let i = 0; i < 16; i++) c.get(S + i).set(X + i);
  emitRounds(c, ROUND, step);
  for (let i = 0; i < 16; i++)
    c.get(X + i)
      .get(S + i)
      .vec(simd.i32x4Add)
      .set(X + i);
  // Words 4g..4g+3 of the four blocks: transpose that 4×4, then XOR 16 bytes of each block.
  for (let g = 0; g < 4; g++) {
    const [a, b, cc, d] = [X + 4 * g, X + 4 * g + 1, X + 4 * g + 2, X + 4 * g + 3];
    c.get(a)
      .get(b)
      .vec(simd.i8x16Shuffle, ...LO32)
      .set(T);
    c.get(a)
      .get(b)
      .vec(simd.i8x16Shuffle, ...HI32)
      .set(T + 1);
    c.get(cc)
      .get(d)
      .vec(simd.i8x16Shuffle, ...LO32)
      .set(T + 2);
    c.get(cc)
      .get(d)
      .vec(simd.i8x16Shuffle, ...HI32)
      .set(T + 3);
    const blocks: [number, number, number[]][] = [
      [T, T + 2, LO64],
      [T, T + 2, HI64],
      [T + 1, T + 3, LO64],
      [T + 1, T + 3, HI64],
    ];
    for (const [k, [p, q, pick]] of blocks.entries()) {
      const offset = 64 * k + 16 * g;
      c.get(0)
        .get(0)
        .vecMem(simd.v128Load, 0, offset)
        .get(p)
        .get(q)
        .vec(simd.i8x16Shuffle, ...pick)
        .vec(simd.v128Xor)
        .vecMem(simd.v128Store, 0, offset);
    }
  }
  c.get(COUNTER).i32(4).emit(op.i32Add).set(COUNTER);
  c.get(0).i32(256).emit(op.i32Add).set(0);
  c.emit(op.br, 0, op.end, op.end);

  c.i32(0).get(COUNTER).mem(op.i32Store, 2, 48);
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

/** The module's exports: `xor` always, `xor4` where the runtime has WebAssembly's vectors. */
interface Kernel {
  buffer: ArrayBuffer;
  xor: (from: number, to: number) => void;
  xor4?: (from: number, to: number) => void;
}

function instantiate(): Kernel | undefined {
  const WebAssembly = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (typeof WebAssembly !== 'object') return undefined;
  const scalar: FunctionDef = { name: 'xor', params: [I32, I32], results: [], locals: new Array<typeof I32>(33).fill(I32), body: xorFunction() };
  const vector: FunctionDef = {
    name: 'xor4',
    params: [I32, I32],
    results: [],
    locals: [I32, I32, ...new Array<typeof V128>(36).fill(V128)],
    body: xor4Function(),
  };
  // With vectors if the runtime validates them, else the scalar kernel alone.
  for (const functions of [[scalar, vector], [scalar]]) {
    try {
      const { exports } = new WebAssembly.Instance(new WebAssembly.Module(encodeModule(PAGES, functions)));
      return {
        buffer: (exports['memory'] as { buffer: ArrayBuffer }).buffer,
        xor: exports['xor'] as Kernel['xor'],
        xor4: exports['xor4'] as Kernel['xor4'],
      };
    } catch {
      // no vectors, or no WebAssembly compilation at all (refused by the embedder)
    }
  }
  return undefined;
}

/** Whether this runtime compiles the vector kernel (`xor4`). */
export function chacha20HasVectors(): boolean {
  return instantiate()?.xor4 !== undefined;
}

/** A ChaCha20 over WebAssembly, or undefined when this runtime cannot compile WebAssembly. */
export function createWasmChacha20(options: { vectors?: boolean } = {}): Chacha20Orig | undefined {
  const kernel = instantiate();
  if (kernel === undefined) return undefined;
  const mem = new Uint8Array(kernel.buffer);
  const state = new Uint32Array(kernel.buffer, 0, 16);
  const { xor } = kernel;
  const xor4 = options.vectors === false ? undefined : kernel.xor4;
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
      const blocks = (take + 63) >>> 6;
      let done = 0;
      // Four blocks at a time while the counter's low word cannot wrap (xor4 does not carry).
      if (xor4 !== undefined && state[12] + blocks <= 0x100000000) {
        done = blocks & ~3;
        xor4(DATA, DATA + 64 * done);
      }
      xor(DATA + 64 * done, DATA + 64 * blocks);
      output.set(mem.subarray(DATA, DATA + take), o);
    }
    state.fill(0); // the key; the data region holds only what the caller has anyway
    return output;
  };
}
