/**
 * Poly1305 (RFC 8439 §2.5) with its block loop in WebAssembly: the accumulator and r as five
 * 26-bit limbs in i64 registers (the "donna-32" layout), 25 multiplications per 16-byte block,
 * no branch or memory index that depends on the key or the message. About 3× our
 * floating-point version on V8 (see ../poly1305.ts), which stays as the fallback where
 * WebAssembly is missing or refused (some sandboxes, CSP without 'wasm-unsafe-eval').
 *
 * Memory layout: [0, 40) h0..h4, [40, 80) r0..r4, [80, 112) 5·r1..5·r4 (i64 each), then the
 * message chunk from MSG on. The module exports `blocks(from, to, hibit)`, which absorbs the
 * whole blocks in [from, to) with the 2^128 bit given by `hibit` (1 << 24 for full blocks).
 */
import { Code, encodeModule, I32, I64, op, VOID } from './encode.js';
import { readLE32 as le32, writeLE32 as put32 } from '../le32.js';

const MSG = 128;
/** message bytes per call: 4 pages, a multiple of 16 */
const CHUNK = 4 * 65536;
const PAGES = 5;
const MASK26 = 0x3ffffff;

function blocksFunction(): Code {
  // locals: 0 from (i32), 1 to (i32), 2 hibit (i64), 3..7 h, 8..12 r, 13..16 s1..s4,
  // 17..21 d0..d4, 22 c
  const H = 3;
  const R = 8;
  const S = 13; // S + i - 1 holds 5·r_i, i = 1..4
  const D = 17;
  const C = 22;
  const c = new Code();
  for (let i = 0; i < 5; i++)
    c.i32(0)
      .mem(op.i64Load, 3, 8 * i)
      .set(H + i);
  for (let i = 0; i < 5; i++)
    c.i32(0)
      .mem(op.i64Load, 3, 40 + 8 * i)
      .set(R + i);
  for (let i = 0; i < 4; i++)
    c.i32(0)
      .mem(op.i64Load, 3, 80 + 8 * i)
      .set(S + i);

  c.emit(op.block, VOID, op.loop, VOID);
  c.get(0).get(1).emit(op.i32GeU, op.brIf, 1);
  // h += m, limb by limb: 26 bits from byte offsets 0, 3, 6, 9, 12 (shifts 0, 2, 4, 6, 8).
  for (let i = 0; i < 5; i++) {
    c.get(H + i)
      .get(0)
      .mem(op.i64Load32U, 0, 3 * i);
    if (i > 0) c.i64(2 * i).emit(op.i64ShrU);
    if (i < 4) c.i64(MASK26).emit(op.i64And);
    else c.get(2).emit(op.i64Or);
    c.emit(op.i64Add).set(H + i);
  }
  // d_k = Σ h_i · r_{k-i}, with r_{k-i+5} · 5 where k - i < 0 (2^130 ≡ 5 mod p).
  const rTerm = (j: number): number => (j >= 0 ? R + j : S + j + 5 - 1);
  for (let k = 0; k < 5; k++) {
    for (let i = 0; i < 5; i++) {
      c.get(H + i)
        .get(rTerm(k - i))
        .emit(op.i64Mul);
      if (i > 0) c.emit(op.i64Add);
    }
    c.set(D + k);
  }
  // Carry: h_k = d_k mod 2^26, the rest into d_{k+1}; the carry out of h4 comes back × 5.
  for (let k = 0; k < 5; k++) {
    if (k > 0)
      c.get(D + k)
        .get(C)
        .emit(op.i64Add)
        .set(D + k);
    c.get(D + k)
      .i64(26)
      .emit(op.i64ShrU)
      .set(C);
    c.get(D + k)
      .i64(MASK26)
      .emit(op.i64And)
      .set(H + k);
  }
  c.get(H).get(C).i64(5).emit(op.i64Mul, op.i64Add).set(H);
  c.get(H + 1)
    .get(H)
    .i64(26)
    .emit(op.i64ShrU, op.i64Add)
    .set(H + 1);
  c.get(H).i64(MASK26).emit(op.i64And).set(H);
  c.get(0).i32(16).emit(op.i32Add).set(0);
  c.emit(op.br, 0, op.end, op.end);

  for (let i = 0; i < 5; i++)
    c.i32(0)
      .get(H + i)
      .mem(op.i64Store, 3, 8 * i);
  return c;
}

interface Kernel {
  mem: Uint8Array;
  /** the i64 state as 32-bit words (limbs < 2^32, so the low word is the limb) */
  words: Uint32Array;
  blocks: (from: number, to: number, hibit: bigint) => void;
}

/** The part of the WebAssembly JS API we use (typed here: the universal build has no DOM lib). */
interface WasmApi {
  Module: new (bytes: Uint8Array<ArrayBuffer>) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}

function instantiate(): Kernel | undefined {
  try {
    const WebAssembly = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (typeof WebAssembly !== 'object') return undefined;
    const bytes = encodeModule(PAGES, [
      { name: 'blocks', params: [I32, I32, I64], results: [], locals: new Array<typeof I64>(20).fill(I64), body: blocksFunction() },
    ]);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
    const memory = instance.exports['memory'] as { buffer: ArrayBuffer };
    return {
      mem: new Uint8Array(memory.buffer),
      words: new Uint32Array(memory.buffer, 0, 28),
      blocks: instance.exports['blocks'] as Kernel['blocks'],
    };
  } catch {
    return undefined; // no WebAssembly here (or compiling it is forbidden): use the fallback
  }
}

const HIBIT = 1n << 24n;

/**
 * A Poly1305 over WebAssembly with the same signature as `poly1305Into`, or undefined when
 * this runtime cannot compile WebAssembly.
 */
export function createWasmPoly1305(): ((msg: Uint8Array, key: Uint8Array, out: Uint8Array, offset?: number) => void) | undefined {
  const k = instantiate();
  if (k === undefined) return undefined;
  const { mem, words, blocks } = k;
  return function poly1305WasmInto(msg: Uint8Array, key: Uint8Array, out: Uint8Array, offset = 0): void {
    if (key.length !== 32) throw new RangeError('poly1305: key must be 32 bytes');
    // r clamped (RFC 8439 §2.5.1) into 26-bit limbs.
    const r0 = le32(key, 0) & 0x3ffffff;
    const r1 = (le32(key, 3) >>> 2) & 0x3ffff03;
    const r2 = (le32(key, 6) >>> 4) & 0x3ffc0ff;
    const r3 = (le32(key, 9) >>> 6) & 0x3f03fff;
    const r4 = (le32(key, 12) >>> 8) & 0x00fffff;
    words.fill(0);
    words[10] = r0;
    words[12] = r1;
    words[14] = r2;
    words[16] = r3;
    words[18] = r4;
    words[20] = r1 * 5;
    words[22] = r2 * 5;
    words[24] = r3 * 5;
    words[26] = r4 * 5;

    const n = msg.length;
    let o = 0;
    while (n - o >= 16) {
      const take = Math.min(CHUNK, (n - o) & ~15);
      mem.set(msg.subarray(o, o + take), MSG);
      blocks(MSG, MSG + take, HIBIT);
      o += take;
    }
    if (o < n) {
      // Final partial block: the bytes, then 0x01, then zeros, without the 2^128 bit.
      const rest = n - o;
      mem.set(msg.subarray(o), MSG);
      mem[MSG + rest] = 1;
      mem.fill(0, MSG + rest + 1, MSG + 16);
      blocks(MSG, MSG + 16, 0n);
    }
    let h0 = words[0]!;
    let h1 = words[2]!;
    let h2 = words[4]!;
    let h3 = words[6]!;
    let h4 = words[8]!;
    words.fill(0);

    // Full carry, then h mod p chosen without a branch (g = h + 5 - 2^130 when h ≥ p).
    let c = h1 >>> 26;
    h1 &= MASK26;
    h2 += c;
    c = h2 >>> 26;
    h2 &= MASK26;
    h3 += c;
    c = h3 >>> 26;
    h3 &= MASK26;
    h4 += c;
    c = h4 >>> 26;
    h4 &= MASK26;
    h0 += c * 5;
    c = h0 >>> 26;
    h0 &= MASK26;
    h1 += c;
    let g0 = h0 + 5;
    c = g0 >>> 26;
    g0 &= MASK26;
    let g1 = h1 + c;
    c = g1 >>> 26;
    g1 &= MASK26;
    let g2 = h2 + c;
    c = g2 >>> 26;
    g2 &= MASK26;
    let g3 = h3 + c;
    c = g3 >>> 26;
    g3 &= MASK26;
    const g4 = (h4 + c - (1 << 26)) | 0;
    const useG = (g4 >> 31) ^ -1; // all ones when g4 ≥ 0 (h ≥ p), else zero
    const keep = ~useG;
    h0 = (h0 & keep) | (g0 & useG);
    h1 = (h1 & keep) | (g1 & useG);
    h2 = (h2 & keep) | (g2 & useG);
    h3 = (h3 & keep) | (g3 & useG);
    h4 = (h4 & keep) | (g4 & useG);

    // h mod 2^128 as four words, plus s (key[16..32]) mod 2^128.
    const W = 4294967296;
    let f = ((h0 | (h1 << 26)) >>> 0) + le32(key, 16);
    put32(out, offset, f);
    f = (((h1 >>> 6) | (h2 << 20)) >>> 0) + le32(key, 20) + Math.floor(f / W);
    put32(out, offset + 4, f);
    f = (((h2 >>> 12) | (h3 << 14)) >>> 0) + le32(key, 24) + Math.floor(f / W);
    put32(out, offset + 8, f);
    f = (((h3 >>> 18) | (h4 << 8)) >>> 0) + le32(key, 28) + Math.floor(f / W);
    put32(out, offset + 12, f);
  };
}
