/**
 * Arithmetic in F3 and Fq for sntrup761, without secret-dependent branches or table
 * lookups: reductions are multiply-and-round, comparisons are sign-bit masks.
 *
 * F3 elements are held as -1, 0, 1 and Fq elements as integers in [-Q12, Q12]
 * (NTRU Prime specification §3: "Fq is represented as -(q-1)/2 ... (q-1)/2").
 */
import { Q } from './params.js';

const INV_Q = 1 / Q;

/**
 * 1.5 * 2^52: for |y| < 2^51, (y + ROUND) - ROUND is y rounded to the nearest integer,
 * by the FPU's own rounding; two additions, no branch (JS forbids reassociating them).
 */
export const ROUND = 6755399441055744;

/**
 * x mod 3 in {-1, 0, 1}, for integer |x| <= 16000. round(x/3) is computed as
 * floor((x*10923 + 2^14) / 2^15); 10923/2^15 exceeds 1/3 by < 2^-15/3, so the
 * estimate is exact while |x|/98304 stays below the 1/6 margin to a half-integer.
 */
export function f3Freeze(x: number): number {
  return x - 3 * ((x * 10923 + 16384) >> 15);
}

/**
 * x mod q in [-Q12, Q12], for integer |x| < 2^40: x - q*round(x/q). x/q is never within
 * 1/(2q) of a half-integer (q is odd) and the error of x*(1/q) in doubles is far below
 * that, so the rounded quotient is exact.
 */
export function fqFreeze(x: number): number {
  return x - Q * (x * INV_Q + ROUND - ROUND);
}

/** a^(q-2) = 1/a in Fq (0 for a = 0); square-and-multiply over the public exponent only */
export function fqRecip(a: number): number {
  let result = 1;
  let base = fqFreeze(a);
  for (let e = Q - 2; e > 0; e >>>= 1) {
    if (e & 1) result = fqFreeze(result * base);
    base = fqFreeze(base * base);
  }
  return result;
}
