/**
 * Inversion in R3 and Rq by the constant-time "divstep" extended GCD of Bernstein and
 * Yang ("Fast constant-time gcd computation and modular inversion", 2019), as in the NTRU
 * Prime reference code: 2p-1 iterations, each a masked conditional swap and one
 * elimination step. The loop count and every loop bound are public; secret data only
 * flows through arithmetic and masks.
 *
 * f starts as the reversal of x^p - x - 1 and g as the reversal of the input, both with
 * P+1 coefficients; v, r start as 0, 1 (times 1/3 for Rq). Two data-independent facts
 * shorten the inner loops without changing the result:
 *  - v and r grow by one coefficient per iteration: before iteration L only [0, L] is used;
 *  - the remaining n = 2p-1-L iterations (and the final f[0]) depend only on the first n
 *    coefficients of f and g, so iteration L updates only those; the positions beyond
 *    hold stale values that only ever move further out of range.
 */
import { fqRecip, ROUND } from './field.js';
import { P, Q } from './params.js';
import type { Fq, Small } from './poly.js';

// module-local copies for the hot loops (see poly.ts)
const p = P;
const q = Q;
const INV_Q = 1 / Q;
const R = ROUND;
const N = P + 1;
const LOOPS = 2 * P - 1;

// ---- R3, bitsliced: 32 coefficients per word pair (M = nonzero bits, S = sign bits ⊆ M) ----

const WORDS = (N + 31) >>> 5; // 24; arrays get one extra zero word for the shifts

function setCoeff(M: Int32Array, S: Int32Array, i: number, c: number): void {
  M[i >>> 5]! |= (c & 1) << (i & 31);
  S[i >>> 5]! |= ((c >> 1) & 1) << (i & 31);
}

function getCoeff(M: Int32Array, S: Int32Array, i: number): number {
  const m = (M[i >>> 5]! >>> (i & 31)) & 1;
  const s = (S[i >>> 5]! >>> (i & 31)) & 1;
  return m * (1 - 2 * s);
}

/**
 * x += c*y on words [0, n) in F3, with c given as masks: cM (c != 0) and cNeg (c = -1).
 * Both nonzero with equal signs gives 2a = -a; with opposite signs, 0.
 */
function addScaled(xM: Int32Array, xS: Int32Array, yM: Int32Array, yS: Int32Array, cM: number, cNeg: number, n: number): void {
  for (let k = 0; k < n; k++) {
    const aM = xM[k]!;
    const aS = xS[k]!;
    const bM = yM[k]! & cM;
    const bS = (yS[k]! ^ cNeg) & bM;
    const both = aM & bM;
    const same = both & ~(aS ^ bS);
    xM[k] = (aM ^ bM) | same;
    xS[k] = (aM & ~bM & aS) | (bM & ~aM & bS) | (same & ~aS);
  }
}

function swapWords(a: Int32Array, b: Int32Array, mask: number, n: number): void {
  for (let k = 0; k < n; k++) {
    const t = mask & (a[k]! ^ b[k]!);
    a[k]! ^= t;
    b[k]! ^= t;
  }
}

/** divide by x: every coefficient one place down, on words [0, n) (word n supplies the top bit) */
function shiftDown(M: Int32Array, S: Int32Array, n: number): void {
  for (let k = 0; k < n; k++) {
    M[k] = (M[k]! >>> 1) | (M[k + 1]! << 31);
    S[k] = (S[k]! >>> 1) | (S[k + 1]! << 31);
  }
}

/** multiply by x: every coefficient one place up, on words [0, n) */
function shiftUp(M: Int32Array, S: Int32Array, n: number): void {
  for (let k = n - 1; k > 0; k--) {
    M[k] = (M[k]! << 1) | (M[k - 1]! >>> 31);
    S[k] = (S[k]! << 1) | (S[k - 1]! >>> 31);
  }
  M[0]! <<= 1;
  S[0]! <<= 1;
}

/** out = 1/input in R3. Returns 0 if input is invertible, -1 if not (out is then garbage). */
export function r3Recip(out: Small, input: Small): number {
  const fM = new Int32Array(WORDS + 1);
  const fS = new Int32Array(WORDS + 1);
  const gM = new Int32Array(WORDS + 1);
  const gS = new Int32Array(WORDS + 1);
  const vM = new Int32Array(WORDS + 1);
  const vS = new Int32Array(WORDS + 1);
  const rM = new Int32Array(WORDS + 1);
  const rS = new Int32Array(WORDS + 1);
  setCoeff(fM, fS, 0, 1);
  setCoeff(fM, fS, p - 1, -1);
  setCoeff(fM, fS, p, -1);
  for (let i = 0; i < p; i++) setCoeff(gM, gS, p - 1 - i, input[i]!);
  setCoeff(rM, rS, 0, 1);
  let delta = 1;
  for (let loop = 0; loop < LOOPS; loop++) {
    const f0M = -(fM[0]! & 1);
    const f0S = -(fS[0]! & 1);
    const g0M = -(gM[0]! & 1);
    const g0S = -(gS[0]! & 1);
    const swap = (-delta >> 31) & g0M;
    delta ^= swap & (delta ^ -delta);
    delta += 1;
    // sign = -f0*g0 (symmetric, so the swap does not change it): nonzero iff both are,
    // negative iff f0 and g0 have the same sign
    const cM = f0M & g0M;
    const cNeg = ~(f0S ^ g0S) & cM;

    // f, g: swap, g += sign*f, g /= x
    const nfg = (Math.min(N, LOOPS - loop) + 31) >>> 5;
    swapWords(fM, gM, swap, nfg);
    swapWords(fS, gS, swap, nfg);
    addScaled(gM, gS, fM, fS, cM, cNeg, nfg);
    shiftDown(gM, gS, nfg);

    // v, r: v *= x, swap, r += sign*v
    const nvr = (Math.min(N, loop + 2) + 31) >>> 5;
    shiftUp(vM, vS, nvr);
    swapWords(vM, rM, swap, nvr);
    swapWords(vS, rS, swap, nvr);
    addScaled(rM, rS, vM, vS, cM, cNeg, nvr);
  }
  const sign = getCoeff(fM, fS, 0);
  for (let i = 0; i < p; i++) out[i] = sign * getCoeff(vM, vS, p - 1 - i);
  const result = (delta | -delta) >> 31;
  for (const a of [fM, fS, gM, gS, vM, vS, rM, rS]) a.fill(0);
  return result;
}

// ---- Rq ----

/**
 * f, g: swap (sw = 1) or not (sw = 0), then g -= c*f and g /= x, on coefficients [1, n).
 * The swap is arithmetic on doubles: a' = a + sw*(b - a), b' = b - sw*(b - a).
 *
 * The two row updates are small functions of their own, not loops inside rqRecip3: V8 runs
 * a function's first call in its interpreter and optimizes a loop only once the function is
 * hot, and a small function is hot (and quick to compile) after a few calls, where the
 * whole inversion, compiled on the fly while it runs, took most of its cold time.
 */
function eliminateFg(f: Float64Array, g: Float64Array, sw: number, c: number, n: number): void {
  for (let i = 1; i < n; i++) {
    const fi = f[i]!;
    const gi = g[i]!;
    const t = sw * (gi - fi);
    const nf = fi + t;
    f[i] = nf;
    const x = gi - t - c * nf;
    g[i - 1] = x - q * (x * INV_Q + R - R);
  }
  g[n - 1] = 0;
}

/** v, r: v *= x, swap (sw = 1) or not, then r -= c*v, on coefficients [0, n) */
function eliminateVr(v: Float64Array, r: Float64Array, sw: number, c: number, n: number): void {
  for (let i = n - 1; i > 0; i--) {
    const vi = v[i - 1]!;
    const ri = r[i]!;
    const t = sw * (ri - vi);
    const nv = vi + t;
    v[i] = nv;
    const x = ri - t - c * nv;
    r[i] = x - q * (x * INV_Q + R - R);
  }
  const r0 = r[0]!;
  const v0 = sw * r0; // the shifted-in v[0] is 0
  v[0] = v0;
  const x0 = r0 - v0 - c * v0;
  r[0] = x0 - q * (x0 * INV_Q + R - R);
}

/**
 * out = 1/(3*input) in Rq. Returns 0 on success, -1 if not invertible (never for a
 * nonzero input: x^p - x - 1 is irreducible mod q).
 *
 * The elimination is written g -= (g0/f0)*f, r -= (g0/f0)*v rather than the reference's
 * g = f0*g - g0*f, r = f0*r - g0*v: that scales the pair (g, r) by 1/f0, which changes
 * neither the later swap decisions (they test g[0] != 0) nor the result, because f and v
 * always carry the same scale and the output is v/f[0]. It saves one product per
 * coefficient; 1/f0 is a fixed-length exponentiation.
 */
export function rqRecip3(out: Fq, input: Small): number {
  const f = new Float64Array(N);
  const g = new Float64Array(N);
  const v = new Float64Array(N);
  const r = new Float64Array(N);
  f[0] = 1;
  f[p - 1] = -1;
  f[p] = -1;
  for (let i = 0; i < p; i++) g[p - 1 - i] = input[i]!;
  r[0] = fqRecip(3);
  let delta = 1;
  for (let loop = 0; loop < LOOPS; loop++) {
    const gz = g[0]! | 0;
    const swap = (-delta >> 31) & ((gz | -gz) >> 31);
    delta ^= swap & (delta ^ -delta);
    delta += 1;
    const sw = swap & 1;
    const d0 = sw * (g[0]! - f[0]);
    const f0: number = f[0] + d0;
    const c = (g[0]! - d0) * fqRecip(f0);
    const cq = c - q * (c * INV_Q + R - R);
    f[0] = f0;
    eliminateFg(f, g, sw, cq, Math.min(N, LOOPS - loop));
    eliminateVr(v, r, sw, cq, Math.min(N, loop + 2));
  }
  const scale = fqRecip(f[0]);
  for (let i = 0; i < p; i++) {
    const x = scale * v[p - 1 - i]!;
    out[i] = x - q * (x * INV_Q + R - R);
  }
  const result = (delta | -delta) >> 31;
  for (const a of [f, g, v, r]) a.fill(0);
  return result;
}
