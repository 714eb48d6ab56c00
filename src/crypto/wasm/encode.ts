/**
 * A tiny WebAssembly binary encoder: just what our hand-written kernels need (one memory,
 * functions over i32/i64/v128, structured control flow, loads/stores, integer arithmetic and
 * a few vector instructions). The kernels are written as instruction lists in TypeScript and
 * encoded when their module is first imported, so no .wasm file is built, shipped or fetched,
 * and the source stays ours. Format: WebAssembly Core Specification 1.0, §5 (binary format);
 * vector instructions 2.0, §5.4.8.
 */

export const I32 = 0x7f;
export const I64 = 0x7e;
/** 128-bit vector (the SIMD feature, WebAssembly Core Specification 2.0) */
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof I64 | typeof V128;

/** Instruction opcodes used by our kernels (§5.4). */
export const op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  call: 0x10,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i32Store: 0x36,
  i64Load: 0x29,
  i64Load32U: 0x35,
  i64Store: 0x37,
  i64Store32: 0x3e,
  i32Const: 0x41,
  i64Const: 0x42,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32LtU: 0x49,
  i32GeU: 0x4f,
  i64Eq: 0x51,
  i64LtU: 0x54,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Xor: 0x73,
  i32Shl: 0x74,
  i32Rotl: 0x77,
  i64Add: 0x7c,
  i64Sub: 0x7d,
  i64Mul: 0x7e,
  i64And: 0x83,
  i64Or: 0x84,
  i64Shl: 0x86,
  i64ShrU: 0x88,
  i64ExtendI32U: 0xad,
} as const;

/** Vector instructions (2.0 §5.4.8): each is the prefix 0xfd, then this number (LEB128). */
export const simd = {
  v128Load: 0x00,
  v128Store: 0x0b,
  v128Const: 0x0c,
  i8x16Shuffle: 0x0d,
  i32x4Splat: 0x11,
  v128Or: 0x50,
  v128Xor: 0x51,
  i32x4Shl: 0xab,
  i32x4ShrU: 0xad,
  i32x4Add: 0xae,
} as const;

/** Block type "no result" for block/loop (§5.4.1). */
export const VOID = 0x40;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const b = Number(n & 0x7fn);
    n >>= 7n;
    if ((n === 0n && (b & 0x40) === 0) || (n === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/** Builds one function body as bytes, instruction by instruction. */
export class Code {
  readonly bytes: number[] = [];
  emit(...b: number[]): this {
    for (const x of b) this.bytes.push(x);
    return this;
  }
  get(i: number): this {
    return this.emit(op.localGet, ...uleb(i));
  }
  set(i: number): this {
    return this.emit(op.localSet, ...uleb(i));
  }
  tee(i: number): this {
    return this.emit(op.localTee, ...uleb(i));
  }
  i32(n: number): this {
    return this.emit(op.i32Const, ...sleb(BigInt(n | 0)));
  }
  i64(n: number | bigint): this {
    return this.emit(op.i64Const, ...sleb(BigInt.asIntN(64, BigInt(n))));
  }
  /** A vector instruction, then its immediate bytes (v128.const's 16, i8x16.shuffle's lane indices). */
  vec(opcode: number, ...immediate: number[]): this {
    return this.emit(0xfd, ...uleb(opcode), ...immediate);
  }
  /** A vector memory access: v128.load or v128.store, then memarg. */
  vecMem(opcode: number, align: number, offset: number): this {
    return this.emit(0xfd, ...uleb(opcode), ...uleb(align), ...uleb(offset));
  }
  /** A memory access: opcode, then memarg (log2 alignment, offset). */
  mem(opcode: number, align: number, offset: number): this {
    return this.emit(opcode, ...uleb(align), ...uleb(offset));
  }
}

export interface FunctionDef {
  name: string;
  params: ValType[];
  results: ValType[];
  /** extra locals after the parameters */
  locals: ValType[];
  body: Code;
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function name(s: string): number[] {
  const b = [...s].map((c) => c.charCodeAt(0));
  return [...uleb(b.length), ...b];
}

/**
 * A module with one exported memory ("memory", `pages` × 64 KiB) and the given exported
 * functions, each with its own type.
 */
export function encodeModule(pages: number, functions: FunctionDef[]): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]);
  const funcs = functions.map((_, i) => uleb(i));
  const memory = [[0x00, ...uleb(pages)]];
  const exports = [[...name('memory'), 0x02, 0x00], ...functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)])];
  const codes = functions.map((f) => {
    // Locals are run-length encoded by type (§5.5.13).
    const groups: number[][] = [];
    for (const t of f.locals) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]!++;
      else groups.push([1, t]);
    }
    const body = [...vec(groups.map(([n, t]) => [...uleb(n!), t!])), ...f.body.bytes, op.end];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec(types)),
    ...section(3, vec(funcs)),
    ...section(5, vec(memory)),
    ...section(7, vec(exports)),
    ...section(10, vec(codes)),
  ]);
}
