/**
 * Poly1305 (RFC 8439 §2.5) for whole messages, in floating point: the accumulator and r are
 * six 22-bit limbs held in doubles. A limb product is < 2^45, times 20 (2^132 ≡ 20 mod
 * 2^130 - 5) < 2^50, and a column of six such sums stays below 2^53, so every step is exact
 * and carries are Math.floor of a multiple of 2^-22. No branches or table lookups depend on
 * the key or the message. About 3x noble's 13-bit-limb integer version on V8.
 *
 * `poly1305Into` is what chacha20-poly1305@openssh.com uses (Node has no Poly1305 in
 * node:crypto): the WebAssembly kernel (./wasm/poly1305.ts, ~3.5x this one) where the runtime
 * compiles WebAssembly, else this floating-point version.
 */
import { createWasmPoly1305 } from './wasm/poly1305.js';
import { readLE32 as le32, writeLE32 as put32 } from './le32.js';

const L = 4194304; // 2^22
const INV = 1 / L;
const MASK = L - 1;

/** The floating-point Poly1305 (no WebAssembly); same contract as `poly1305Into`. */
export function poly1305FloatInto(msg: Uint8Array, key: Uint8Array, out: Uint8Array, offset = 0): void {
  if (key.length !== 32) throw new RangeError('poly1305: key must be 32 bytes');
  // r, clamped (RFC 8439 §2.5.1), split into 22-bit limbs.
  const t0 = le32(key, 0) & 0x0fffffff;
  const t1 = le32(key, 4) & 0x0ffffffc;
  const t2 = le32(key, 8) & 0x0ffffffc;
  const t3 = le32(key, 12) & 0x0ffffffc;
  const r0 = t0 & MASK;
  const r1 = ((t0 >>> 22) | (t1 << 10)) & MASK;
  const r2 = ((t1 >>> 12) | (t2 << 20)) & MASK;
  const r3 = (t2 >>> 2) & MASK;
  const r4 = ((t2 >>> 24) | (t3 << 8)) & MASK;
  const r5 = t3 >>> 14;
  const s1 = r1 * 20;
  const s2 = r2 * 20;
  const s3 = r3 * 20;
  const s4 = r4 * 20;
  const s5 = r5 * 20;

  let h0 = 0;
  let h1 = 0;
  let h2 = 0;
  let h3 = 0;
  let h4 = 0;
  let h5 = 0;
  const n = msg.length;
  const full = n & ~15;
  const last = new Uint8Array(16);
  for (let o = 0; o < n; o += 16) {
    let m = msg;
    let p = o;
    let hibit = 262144; // 2^128 sits at bit 18 of the sixth limb
    if (o >= full) {
      // Final partial block: the message bytes, then 0x01, then zeros (RFC 8439 §2.5.1).
      last.set(msg.subarray(o));
      last[n - o] = 1;
      m = last;
      p = 0;
      hibit = 0;
    }
    const w0 = le32(m, p);
    const w1 = le32(m, p + 4);
    const w2 = le32(m, p + 8);
    const w3 = le32(m, p + 12);
    h0 += w0 & MASK;
    h1 += ((w0 >>> 22) | (w1 << 10)) & MASK;
    h2 += ((w1 >>> 12) | (w2 << 20)) & MASK;
    h3 += (w2 >>> 2) & MASK;
    h4 += ((w2 >>> 24) | (w3 << 8)) & MASK;
    h5 += (w3 >>> 14) + hibit;

    let d0 = h0 * r0 + h1 * s5 + h2 * s4 + h3 * s3 + h4 * s2 + h5 * s1;
    let d1 = h0 * r1 + h1 * r0 + h2 * s5 + h3 * s4 + h4 * s3 + h5 * s2;
    let d2 = h0 * r2 + h1 * r1 + h2 * r0 + h3 * s5 + h4 * s4 + h5 * s3;
    let d3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s5 + h5 * s4;
    let d4 = h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0 + h5 * s5;
    let d5 = h0 * r5 + h1 * r4 + h2 * r3 + h3 * r2 + h4 * r1 + h5 * r0;

    let c = Math.floor(d0 * INV);
    h0 = d0 - c * L;
    d1 += c;
    c = Math.floor(d1 * INV);
    h1 = d1 - c * L;
    d2 += c;
    c = Math.floor(d2 * INV);
    h2 = d2 - c * L;
    d3 += c;
    c = Math.floor(d3 * INV);
    h3 = d3 - c * L;
    d4 += c;
    c = Math.floor(d4 * INV);
    h4 = d4 - c * L;
    d5 += c;
    c = Math.floor(d5 * INV);
    h5 = d5 - c * L;
    d0 = h0 + c * 20;
    c = Math.floor(d0 * INV);
    h0 = d0 - c * L;
    h1 += c;
  }

  // Full carry, then fold bits 130 and up (2^130 ≡ 5).
  let c = Math.floor(h1 * INV);
  h1 -= c * L;
  h2 += c;
  c = Math.floor(h2 * INV);
  h2 -= c * L;
  h3 += c;
  c = Math.floor(h3 * INV);
  h3 -= c * L;
  h4 += c;
  c = Math.floor(h4 * INV);
  h4 -= c * L;
  h5 += c;
  c = Math.floor(h5 / 1048576); // bits 130+ of the sixth limb (2^20)
  h5 -= c * 1048576;
  h0 += c * 5;
  c = Math.floor(h0 * INV);
  h0 -= c * L;
  h1 += c;
  c = Math.floor(h1 * INV);
  h1 -= c * L;
  h2 += c;
  c = Math.floor(h2 * INV);
  h2 -= c * L;
  h3 += c;
  c = Math.floor(h3 * INV);
  h3 -= c * L;
  h4 += c;
  c = Math.floor(h4 * INV);
  h4 -= c * L;
  h5 += c;

  // h < 2^130 + 5·small now; take h - p if h ≥ p, chosen with a mask (no branch).
  let g0 = h0 + 5;
  c = Math.floor(g0 * INV);
  g0 -= c * L;
  let g1 = h1 + c;
  c = Math.floor(g1 * INV);
  g1 -= c * L;
  let g2 = h2 + c;
  c = Math.floor(g2 * INV);
  g2 -= c * L;
  let g3 = h3 + c;
  c = Math.floor(g3 * INV);
  g3 -= c * L;
  let g4 = h4 + c;
  c = Math.floor(g4 * INV);
  g4 -= c * L;
  let g5 = h5 + c - 1048576; // minus 2^130
  // g5 < 0: h < p, keep h; otherwise take g.
  const useG = ((g5 | 0) >> 31) + 1; // 1 when g5 ≥ 0, 0 when negative (g5 > -2^21)
  const keep = 1 - useG;
  g5 = g5 * useG + h5 * keep;
  const f0 = g0 * useG + h0 * keep;
  const f1 = g1 * useG + h1 * keep;
  const f2 = g2 * useG + h2 * keep;
  const f3 = g3 * useG + h3 * keep;
  const f4 = g4 * useG + h4 * keep;

  // To 32-bit words (mod 2^128), then + s (key[16..32]) mod 2^128.
  const x0 = (f0 | (f1 << 22)) >>> 0;
  const x1 = ((f1 >>> 10) | (f2 << 12)) >>> 0;
  const x2 = ((f2 >>> 20) | (f3 << 2) | (f4 << 24)) >>> 0;
  const x3 = ((f4 >>> 8) | (g5 << 14)) >>> 0;
  const W = 4294967296; // 2^32
  let a = x0 + le32(key, 16);
  const o0 = a >>> 0;
  a = x1 + le32(key, 20) + Math.floor(a / W);
  const o1 = a >>> 0;
  a = x2 + le32(key, 24) + Math.floor(a / W);
  const o2 = a >>> 0;
  a = x3 + le32(key, 28) + Math.floor(a / W);
  const o3 = a >>> 0;
  put32(out, offset, o0);
  put32(out, offset + 4, o1);
  put32(out, offset + 8, o2);
  put32(out, offset + 12, o3);
}

/**
 * The WebAssembly kernel when this runtime compiles it, else the float one: picked on the
 * first tag, not at import (compiling it and its 320 KiB memory cost every importer, even
 * connections that never negotiate chacha20-poly1305).
 */
let chosen: ((msg: Uint8Array, key: Uint8Array, out: Uint8Array, offset?: number) => void) | undefined;

/**
 * The 16-byte Poly1305 tag of `msg` under the 32-byte one-time `key`, written to out[offset..].
 *
 * @example
 * const tag = new Uint8Array(16);
 * poly1305Into(message, oneTimeKey, tag);
 */
export function poly1305Into(msg: Uint8Array, key: Uint8Array, out: Uint8Array, offset = 0): void {
  (chosen ??= createWasmPoly1305() ?? poly1305FloatInto)(msg, key, out, offset);
}
