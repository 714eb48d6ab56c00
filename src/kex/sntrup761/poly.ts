/**
 * Polynomial arithmetic in Rq = Fq[x]/(x^p - x - 1) and R3 = F3[x]/(x^p - x - 1)
 * (NTRU Prime specification §3). Fq polynomials are Int16Array(P) with coefficients in
 * [-Q12, Q12]; small polynomials are Int8Array(P) with coefficients in {-1, 0, 1}.
 *
 * Products are exact schoolbook convolutions, reduced once and folded with x^p = x + 1.
 * To halve (or quarter) the multiplications, neighbouring coefficients of one factor are
 * packed into one double as signed lanes, a[i] + 2^s*a[i-1] (+ ...), so that one pass over
 * the other factor yields several output coefficients at once. Every sum stays an integer
 * below 2^53 and every lane below 2^(s-1) in magnitude, so packing and unpacking are exact.
 * Loop bounds are public; no branch or index depends on a coefficient.
 */
import { ROUND } from './field.js';
import { P, Q, W } from './params.js';

export type Fq = Int16Array;
export type Small = Int8Array;

// Module-local copies for the hot loops: a CommonJS transpile (tsx outside a "type":
// "module" package, a bundler's CJS output) turns every use of an imported binding into a
// property read through a getter, which costs more than the arithmetic it feeds.
const p = P;
const q = Q;
const INV_Q = 1 / Q;
const R = ROUND;
const LEN = 2 * P - 1;

/** x mod q in [-Q12, Q12] (see field.ts fqFreeze; repeated here for the hot loops) */
function freezeQ(x: number): number {
  return x - q * (x * INV_Q + R - R);
}

/** x mod 3 in {-1, 0, 1} for |x| <= 16000 (see field.ts f3Freeze) */
function freeze3(x: number): number {
  return x - 3 * ((x * 10923 + 16384) >> 15);
}

/** A[i] = sum_l a[i-l] * S^l over the lanes, with a[j] = 0 outside [0, P) */
function pack(a: ArrayLike<number>, lanes: number, S: number): Float64Array {
  const packed = new Float64Array(p + lanes - 1);
  for (let i = 0; i < p + lanes - 1; i++) {
    let v = 0;
    for (let l = lanes - 1; l >= 0; l--) {
      const j = i - l;
      v = v * S + (j >= 0 && j < p ? a[j]! : 0);
    }
    packed[i] = v;
  }
  return packed;
}

/**
 * sum packed[i]*b[k-i] for i in [lo, hi]. The convolution's loops are small functions
 * (this one, pack, fold) rather than one: V8 optimizes a small function after a few calls,
 * where one large function ran interpreted until compiled on the fly, then fell back to the
 * interpreter at the first statement that had not run yet (the unpacking after the loop).
 */
function dot(packed: Float64Array, b: ArrayLike<number>, lo: number, hi: number, k: number): number {
  let s = 0;
  for (let i = lo, j = k - lo; i <= hi; i++, j--) s += packed[i]! * b[j]!;
  return s;
}

/** x^(P+i) = x^(i+1) + x^i: fold the top half down (targets all < P, sources all >= P) */
function fold(acc: Float64Array): void {
  for (let i = p; i < LEN; i++) {
    acc[i - p]! += acc[i]!;
    acc[i - p + 1]! += acc[i]!;
  }
}

/**
 * acc[k] = sum a[i]*b[k-i] for k < 2P-1, with a packed `lanes` coefficients per double at
 * lane width 2^shift: A[i] = sum_l a[i-l] * 2^(shift*l), so sum_i A[i]*b[k-i] holds
 * acc[k], acc[k-1], ... in its lanes. Requires |acc| < 2^(shift-1), lanes*shift + 10 < 53.
 */
function convolve(a: ArrayLike<number>, b: ArrayLike<number>, lanes: number, shift: number): Float64Array {
  const S = 2 ** shift;
  const invS = 1 / S;
  const packed = pack(a, lanes, S);
  const acc = new Float64Array(LEN + lanes);
  // k runs over the top index of each group of `lanes` outputs: k, k-1, ..., k-lanes+1
  for (let k = lanes - 1; k < LEN + lanes - 1; k += lanes) {
    const lo = k < p ? 0 : k - p + 1; // b index k-i must be < P
    const hi = k < p + lanes - 1 ? k : p + lanes - 2; // packed index i <= k and < P+lanes-1
    let s = dot(packed, b, lo, hi, k);
    // unpack the lanes, lowest (= acc[k]) first: each lane is the nearest-integer remainder
    for (let l = 0; l < lanes; l++) {
      const up = s * invS + R - R; // nearest integer: the lane below is < S/2 in magnitude
      acc[k - l] = s - up * S;
      s = up;
    }
  }
  packed.fill(0);
  fold(acc);
  return acc;
}

/** h = f * g in Rq, with g small (two 24-bit lanes: |acc| <= P*Q12 < 2^21) */
export function rqMultSmall(f: Fq, g: Small): Fq {
  const acc = convolve(f, g, 2, 24);
  const h = new Int16Array(p);
  for (let i = 0; i < p; i++) h[i] = freezeQ(acc[i]!);
  acc.fill(0);
  return h;
}

/** h = f * g in R3 (four 12-bit lanes: |acc| <= P < 2^11) */
export function r3Mult(f: Small, g: Small): Small {
  const acc = convolve(f, g, 4, 12);
  const h = new Int8Array(p);
  for (let i = 0; i < p; i++) h[i] = freeze3(acc[i]!);
  acc.fill(0);
  return h;
}

/** h = 3f in Rq */
export function rqMult3(f: Fq): Fq {
  const h = new Int16Array(p);
  for (let i = 0; i < p; i++) h[i] = freezeQ(3 * f[i]!);
  return h;
}

/** the R3 image of an Rq element (each coefficient reduced mod 3) */
export function r3FromRq(r: Fq): Small {
  const out = new Int8Array(p);
  for (let i = 0; i < p; i++) out[i] = freeze3(r[i]!);
  return out;
}

/** Round: each coefficient to the nearest multiple of 3 (spec §3 "Round") */
export function round(a: Fq): Fq {
  const out = new Int16Array(p);
  for (let i = 0; i < p; i++) out[i] = a[i]! - freeze3(a[i]!);
  return out;
}

/** 0 if r has exactly W nonzero coefficients, else -1 */
export function weightwMask(r: Small): number {
  let weight = 0;
  for (let i = 0; i < p; i++) weight += r[i]! & 1;
  const d = weight - W;
  return (d | -d) >> 31;
}
