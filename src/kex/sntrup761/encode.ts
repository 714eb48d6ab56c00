/**
 * Byte encodings of sntrup761 (NTRU Prime specification §4 "Encoding"):
 *  - small polynomials: 4 coefficients per byte as c+1 in 2 bits, the last byte alone;
 *  - Rq and rounded polynomials: the generic radix encoding Encode(R, M), which packs
 *    integers 0 <= R[i] < M[i] by merging neighbouring pairs into (R[i] + R[i+1]*M[i],
 *    M[i]*M[i+1]), emitting low bytes while the merged modulus is >= 2^14, and recursing.
 *
 * Decoding only ever sees public data (public keys, ciphertexts); encoding also runs on
 * the re-encrypted ciphertext during decapsulation, so it branches on the moduli only.
 */
import { P, Q, Q12, ROUNDED_BYTES, RQ_BYTES, SMALL_BYTES } from './params.js';
import type { Fq, Small } from './poly.js';

const ROUNDED_MOD = (Q + 2) / 3; // 1531

/** Encode(R, M): append the bytes to out (spec §4.1; 0 <= R[i] < M[i] < 2^14). */
function radixEncode(out: number[], R: ArrayLike<number>, M: ArrayLike<number>): void {
  const len = R.length;
  if (len === 1) {
    let r = R[0]!;
    for (let m = M[0]!; m > 1; m = (m + 255) >>> 8) {
      out.push(r & 0xff);
      r >>>= 8;
    }
    return;
  }
  if (len === 0) return;
  const half = (len + 1) >>> 1;
  const R2 = new Uint32Array(half);
  const M2 = new Uint32Array(half);
  let i = 0;
  for (; i < len - 1; i += 2) {
    const m0 = M[i]!;
    let r = R[i]! + R[i + 1]! * m0;
    let m = M[i + 1]! * m0;
    while (m >= 16384) {
      out.push(r & 0xff);
      r >>>= 8;
      m = (m + 255) >>> 8;
    }
    R2[i >>> 1] = r;
    M2[i >>> 1] = m;
  }
  if (i < len) {
    R2[i >>> 1] = R[i]!;
    M2[i >>> 1] = M[i]!;
  }
  radixEncode(out, R2, M2);
  R2.fill(0);
}

/** Decode(S, M): the inverse of radixEncode; reduces out-of-range input like the reference. */
function radixDecode(S: Uint8Array, offset: number, M: ArrayLike<number>): { R: Uint32Array; offset: number } {
  const len = M.length;
  const R = new Uint32Array(len);
  if (len === 1) {
    const m = M[0]!;
    if (m === 1) R[0] = 0;
    else if (m <= 256) R[0] = S[offset]! % m;
    else R[0] = (S[offset]! + (S[offset + 1]! << 8)) % m;
    return { R, offset };
  }
  if (len === 0) return { R, offset };
  const half = (len + 1) >>> 1;
  const M2 = new Uint32Array(half);
  const bottomR = new Uint32Array(len >>> 1);
  const bottomT = new Uint32Array(len >>> 1);
  let i = 0;
  for (; i < len - 1; i += 2) {
    const m = M[i]! * M[i + 1]!;
    if (m > 256 * 16383) {
      bottomT[i >>> 1] = 256 * 256;
      bottomR[i >>> 1] = S[offset]! + 256 * S[offset + 1]!;
      offset += 2;
      M2[i >>> 1] = (((m + 255) >>> 8) + 255) >>> 8;
    } else if (m >= 16384) {
      bottomT[i >>> 1] = 256;
      bottomR[i >>> 1] = S[offset]!;
      offset += 1;
      M2[i >>> 1] = (m + 255) >>> 8;
    } else {
      bottomT[i >>> 1] = 1;
      bottomR[i >>> 1] = 0;
      M2[i >>> 1] = m;
    }
  }
  if (i < len) M2[i >>> 1] = M[i]!;
  const top = radixDecode(S, offset, M2);
  for (i = 0; i < len - 1; i += 2) {
    const r = bottomR[i >>> 1]! + bottomT[i >>> 1]! * top.R[i >>> 1]!;
    const m0 = M[i]!;
    const r1 = Math.floor(r / m0);
    R[i] = r - r1 * m0;
    R[i + 1] = r1 % M[i + 1]!; // only reduces for invalid input
  }
  if (i < len) R[i] = top.R[i >>> 1]!;
  return { R, offset: top.offset };
}

function encodeWithModulus(values: Uint32Array, modulus: number, bytes: number): Uint8Array {
  const out: number[] = [];
  radixEncode(out, values, new Uint32Array(P).fill(modulus));
  values.fill(0);
  if (out.length !== bytes) throw new Error(`sntrup761: encoding produced ${out.length} bytes, expected ${bytes}`);
  const result = Uint8Array.from(out);
  out.fill(0);
  return result;
}

function decodeWithModulus(s: Uint8Array, modulus: number, bytes: number): Uint32Array {
  if (s.length !== bytes) throw new RangeError(`sntrup761: expected ${bytes} bytes, got ${s.length}`);
  return radixDecode(s, 0, new Uint32Array(P).fill(modulus)).R;
}

/** an Rq element as RQ_BYTES bytes (coefficients shifted to [0, q)) */
export function rqEncode(r: Fq): Uint8Array {
  const R = new Uint32Array(P);
  for (let i = 0; i < P; i++) R[i] = r[i]! + Q12;
  return encodeWithModulus(R, Q, RQ_BYTES);
}

export function rqDecode(s: Uint8Array): Fq {
  const R = decodeWithModulus(s, Q, RQ_BYTES);
  const r = new Int16Array(P);
  for (let i = 0; i < P; i++) r[i] = R[i]! - Q12;
  return r;
}

/** a rounded Rq element (coefficients in 3Z) as ROUNDED_BYTES bytes: (c + Q12) / 3 */
export function roundedEncode(r: Fq): Uint8Array {
  const R = new Uint32Array(P);
  for (let i = 0; i < P; i++) R[i] = ((r[i]! + Q12) * 10923) >>> 15;
  return encodeWithModulus(R, ROUNDED_MOD, ROUNDED_BYTES);
}

export function roundedDecode(s: Uint8Array): Fq {
  const R = decodeWithModulus(s, ROUNDED_MOD, ROUNDED_BYTES);
  const r = new Int16Array(P);
  for (let i = 0; i < P; i++) r[i] = R[i]! * 3 - Q12;
  return r;
}

/** a small polynomial as SMALL_BYTES bytes, 2 bits (c+1) per coefficient, little end first */
export function smallEncode(f: Small): Uint8Array {
  const s = new Uint8Array(SMALL_BYTES);
  let k = 0;
  for (let i = 0; i < P >>> 2; i++) {
    let x = 0;
    for (let j = 0; j < 4; j++) x += (f[k++]! + 1) << (2 * j);
    s[i] = x;
  }
  s[SMALL_BYTES - 1] = f[k]! + 1;
  return s;
}

export function smallDecode(s: Uint8Array): Small {
  const f = new Int8Array(P);
  let k = 0;
  for (let i = 0; i < P >>> 2; i++) {
    const x = s[i]!;
    for (let j = 0; j < 4; j++) f[k++] = ((x >>> (2 * j)) & 3) - 1;
  }
  f[k] = (s[SMALL_BYTES - 1]! & 3) - 1;
  return f;
}
