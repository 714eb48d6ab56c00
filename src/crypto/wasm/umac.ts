/**
 * UHASH's L1 (NH) and L2 (POLY mod 2^64 - 59) in WebAssembly (RFC 4418 §5.2, §5.3), the
 * layers that see every message byte. NH wants 32×32→64-bit products summed mod 2^64, which
 * i64.mul does in one instruction; JavaScript has to split them (../umac.ts, the fallback where
 * WebAssembly is missing or refused). POLY's key words are below 2^25, so its products fit
 * i64 as well. No branch or memory index depends on the key or the message, except POLY's
 * marker for an NH value ≥ 2^64 - 2^32 (§5.3), as in every implementation.
 *
 * Memory (one page per keyed instance): [0, 32) NH results, [32, 64) POLY accumulators,
 * [64, 96) POLY keys (i64 each, one per stream), [128, 1200) the NH key as 32-bit words,
 * then the message piece from MSG on. Exports: `nh2`/`nh4(ptr, len, bits)` write NH + bits for
 * 2 or 4 streams; `poly(streams)` absorbs the NH results; `chunks(ptr, end, streams)` runs both
 * over whole 1024-byte chunks.
 */
import { Code, encodeModule, I32, I64, op, VOID } from './encode.js';
import type { UhashKernel, UhashKeys } from '../umac.js';

const OUT = 0;
const ACC = 32;
const PKEY = 64;
const NHKEY = 128;
const MSG = 2048;
/** message bytes per copy: the rest of the page, whole NH chunks */
const PIECE = 65536 - MSG;
const CHUNK = 1024;

const M32 = 0xffffffffn;
/** p64 - 1 = 2^64 - 60, POLY's marker */
const MARKER = (1n << 64n) - 60n;

/** step(y, k, m) = y·k + m mod p64, result below 2^64 (k's words < 2^25: products fit i64). */
function stepFunction(): Code {
  // params 0 y, 1 k, 2 m; locals 3 kh, 4 kl, 5 yh, 6 yl, 7 x, 8 r
  const c = new Code();
  c.get(1).i64(32).emit(op.i64ShrU).set(3);
  c.get(1).i64(M32).emit(op.i64And).set(4);
  c.get(0).i64(32).emit(op.i64ShrU).set(5);
  c.get(0).i64(M32).emit(op.i64And).set(6);
  // x = kh·yl + yh·kl (< 2^58); r = (kh·yh + x_hi)·59 + kl·yl (< 2^64), since 2^64 ≡ 59.
  c.get(3).get(6).emit(op.i64Mul).get(5).get(4).emit(op.i64Mul, op.i64Add).set(7);
  c.get(3).get(5).emit(op.i64Mul).get(7).i64(32).emit(op.i64ShrU, op.i64Add).i64(59).emit(op.i64Mul);
  c.get(4).get(6).emit(op.i64Mul, op.i64Add).set(8);
  // r += x_lo·2^32, then m; each wrap past 2^64 is worth 59.
  c.get(8).get(7).i64(32).emit(op.i64Shl, op.i64Add).set(8);
  c.get(8).get(8).get(7).i64(32).emit(op.i64Shl, op.i64LtU, op.i64ExtendI32U).i64(59).emit(op.i64Mul, op.i64Add).set(8);
  c.get(8).get(2).emit(op.i64Add).set(8);
  c.get(8).get(8).get(2).emit(op.i64LtU, op.i64ExtendI32U).i64(59).emit(op.i64Mul, op.i64Add);
  return c;
}

const STEP = 0;
const POLY = 1;
const NH2 = 2;
const NH4 = 3;

/** poly(streams): ACC[s] = POLY(ACC[s], PKEY[s], OUT[s]) for each stream. */
function polyFunction(): Code {
  // param 0 streams; locals 1 off, 2 end, 3 m, 4 y, 5 k
  const c = new Code();
  c.get(0).i32(3).emit(op.i32Shl).set(2);
  c.emit(op.block, VOID, op.loop, VOID);
  c.get(1).get(2).emit(op.i32GeU, op.brIf, 1);
  c.get(1).mem(op.i64Load, 3, OUT).set(3);
  c.get(1).mem(op.i64Load, 3, ACC).set(4);
  c.get(1).mem(op.i64Load, 3, PKEY).set(5);
  c.get(3).i64(32).emit(op.i64ShrU).i64(M32).emit(op.i64Eq, op.if, VOID);
  c.get(4).get(5).i64(MARKER).emit(op.call, STEP).set(4);
  c.get(4).get(5).get(3).i64(59).emit(op.i64Sub, op.call, STEP).set(4);
  c.emit(op.else);
  c.get(4).get(5).get(3).emit(op.call, STEP).set(4);
  c.emit(op.end);
  c.get(1).get(4).mem(op.i64Store, 3, ACC);
  c.get(1).i32(8).emit(op.i32Add).set(1);
  c.emit(op.br, 0, op.end, op.end);
  return c;
}

/** nhS(ptr, len, bits): OUT[s] = NH_s(mem[ptr, ptr+len)) + bits mod 2^64, len a multiple of 32. */
function nhFunction(streams: number): Code {
  // params 0 ptr, 1 len, 2 bits; locals 3 end, 4 key, 5..12 m0..m7 (i32), 13.. acc (i64)
  const M = 5;
  const A = 13;
  const c = new Code();
  c.get(0).get(1).emit(op.i32Add).set(3);
  c.i32(NHKEY).set(4);
  for (let s = 0; s < streams; s++)
    c.get(2)
      .emit(op.i64ExtendI32U)
      .set(A + s);
  c.emit(op.block, VOID, op.loop, VOID);
  c.get(0).get(3).emit(op.i32GeU, op.brIf, 1);
  for (let j = 0; j < 8; j++)
    c.get(0)
      .mem(op.i32Load, 2, 4 * j)
      .set(M + j);
  // Stream s uses the key from word 4s (the Toeplitz shift, §5.1): Σ (m_j + k_j)(m_j+4 + k_j+4).
  for (let s = 0; s < streams; s++) {
    c.get(A + s);
    for (let j = 0; j < 4; j++) {
      c.get(M + j)
        .get(4)
        .mem(op.i32Load, 2, 16 * s + 4 * j)
        .emit(op.i32Add, op.i64ExtendI32U);
      c.get(M + j + 4)
        .get(4)
        .mem(op.i32Load, 2, 16 * s + 4 * j + 16)
        .emit(op.i32Add, op.i64ExtendI32U, op.i64Mul, op.i64Add);
    }
    c.set(A + s);
  }
  c.get(0).i32(32).emit(op.i32Add).set(0);
  c.get(4).i32(32).emit(op.i32Add).set(4);
  c.emit(op.br, 0, op.end, op.end);
  for (let s = 0; s < streams; s++)
    c.i32(0)
      .get(A + s)
      .mem(op.i64Store, 3, OUT + 8 * s);
  return c;
}

/** chunks(ptr, end, streams): NH then POLY over each whole 1024-byte chunk in [ptr, end). */
function chunksFunction(): Code {
  const c = new Code();
  c.emit(op.block, VOID, op.loop, VOID);
  c.get(0).get(1).emit(op.i32GeU, op.brIf, 1);
  c.get(2).i32(2).emit(op.i32Eq, op.if, VOID);
  c.get(0)
    .i32(CHUNK)
    .i32(8 * CHUNK)
    .emit(op.call, NH2);
  c.emit(op.else);
  c.get(0)
    .i32(CHUNK)
    .i32(8 * CHUNK)
    .emit(op.call, NH4);
  c.emit(op.end);
  c.get(2).emit(op.call, POLY);
  c.get(0).i32(CHUNK).emit(op.i32Add).set(0);
  c.emit(op.br, 0, op.end, op.end);
  return c;
}

/** The part of the WebAssembly JS API we use (typed here: the universal build has no DOM lib). */
interface WasmApi {
  Module: new (bytes: Uint8Array<ArrayBuffer>) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}

let compiled: { api: WasmApi; module: object } | null | undefined;

/** Compiled once, on first use; null where this runtime has no WebAssembly or refuses it. */
function compile(): { api: WasmApi; module: object } | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  try {
    const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (typeof api !== 'object') return null;
    const bytes = encodeModule(1, [
      { name: 'step', params: [I64, I64, I64], results: [I64], locals: new Array<typeof I64>(6).fill(I64), body: stepFunction() },
      { name: 'poly', params: [I32], results: [], locals: [I32, I32, I64, I64, I64], body: polyFunction() },
      { name: 'nh2', params: [I32, I32, I32], results: [], locals: [...new Array<typeof I32>(10).fill(I32), I64, I64], body: nhFunction(2) },
      { name: 'nh4', params: [I32, I32, I32], results: [], locals: [...new Array<typeof I32>(10).fill(I32), I64, I64, I64, I64], body: nhFunction(4) },
      { name: 'chunks', params: [I32, I32, I32], results: [], locals: [], body: chunksFunction() },
    ]);
    compiled = { api, module: new api.Module(bytes) };
  } catch {
    compiled = null; // compiling WebAssembly is forbidden here (CSP, sandbox): use the fallback
  }
  return compiled;
}

/** A UHASH L1+L2 kernel over WebAssembly for these keys, or undefined without WebAssembly. */
export function createWasmUhash(keys: UhashKeys): UhashKernel | undefined {
  const c = compile();
  if (c === null) return undefined;
  let exports: Record<string, unknown>;
  try {
    exports = new c.api.Instance(c.module).exports;
  } catch {
    return undefined;
  }
  const memory = exports['memory'] as { buffer: ArrayBuffer };
  const mem = new Uint8Array(memory.buffer);
  const view = new DataView(memory.buffer);
  const nh = exports[keys.streams === 2 ? 'nh2' : 'nh4'] as (ptr: number, len: number, bits: number) => void;
  const poly = exports['poly'] as (streams: number) => void;
  const chunks = exports['chunks'] as (ptr: number, end: number, streams: number) => void;
  const streams = keys.streams;
  for (let i = 0; i < keys.nhKey.length; i++) view.setUint32(NHKEY + 4 * i, keys.nhKey[i]!, true);
  for (let s = 0; s < streams; s++) {
    view.setUint32(PKEY + 8 * s, keys.polyKey[2 * s + 1]!, true);
    view.setUint32(PKEY + 8 * s + 4, keys.polyKey[2 * s]!, true);
  }

  /** msg[from, to) (at most 1024 bytes) zero-padded to a multiple of 32 (at least 32) at `at`. */
  const padTail = (at: number, len: number): number => {
    const padded = Math.max(32, (len + 31) & ~31);
    mem.fill(0, at + len, at + padded);
    return padded;
  };

  return {
    hash(msg: Uint8Array, res: Uint32Array): void {
      const len = msg.length;
      let base = OUT;
      if (len <= CHUNK) {
        mem.set(msg, MSG);
        nh(MSG, padTail(MSG, len), 8 * len);
      } else {
        base = ACC;
        for (let s = 0; s < streams; s++) view.setBigUint64(ACC + 8 * s, 1n, true); // POLY starts from 1
        for (let from = 0; from < len; from += PIECE) {
          const to = Math.min(len, from + PIECE);
          mem.set(msg.subarray(from, to), MSG);
          const whole = (to - from) & ~(CHUNK - 1);
          chunks(MSG, MSG + whole, streams);
          const rest = to - from - whole;
          if (rest > 0) {
            nh(MSG + whole, padTail(MSG + whole, rest), 8 * rest);
            poly(streams);
          }
        }
      }
      for (let s = 0; s < streams; s++) {
        let hi = view.getUint32(base + 8 * s + 4, true);
        let lo = view.getUint32(base + 8 * s, true);
        // POLY's result mod p64 (§5.3): below 2^64 already, at most one p64 too many.
        if (base === ACC && hi === 0xffffffff && lo >= 0xffffffc5) {
          hi = 0;
          lo = lo + 59 - 4294967296;
        }
        res[2 * s] = hi;
        res[2 * s + 1] = lo;
      }
      mem.fill(0, OUT, PKEY);
      mem.fill(0, MSG, MSG + Math.min(len, PIECE) + 32);
    },
    dispose(): void {
      mem.fill(0);
    },
  };
}
