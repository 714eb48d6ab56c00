/**
 * Constant-time sorting for generating short polynomials (NTRU Prime specification
 * §5 "Short_fromlist"): W entries of a random list are tagged ±1, the rest 0, and the list
 * is sorted so that the tags land in random positions. The sort is a bitonic network
 * over 1024 slots (padded with the maximum value), so its memory access pattern is fixed;
 * each compare-exchange is a sign-bit mask, not a branch.
 */
import { P, W } from './params.js';
import type { Small } from './poly.js';

const N = 1024; // power of two >= P

/** x[a] = min, x[b] = max of the two signed 32-bit values, without branching on them */
function minmax(x: Int32Array, a: number, b: number): void {
  const xa = x[a]!;
  const xb = x[b]!;
  const ab = xb ^ xa;
  let c = (xb - xa) | 0;
  c ^= ab & (c ^ xb); // sign of c is now "xb < xa", even when xb - xa overflowed
  c >>= 31;
  c &= ab;
  x[a] = xa ^ c;
  x[b] = xb ^ c;
}

/** sort the first n values of x ascending as signed 32-bit integers (n <= 1024) */
function sortInt32(values: Int32Array): void {
  const x = new Int32Array(N).fill(0x7fffffff);
  x.set(values);
  for (let k = 2; k <= N; k <<= 1) {
    for (let j = k >>> 1; j > 0; j >>>= 1) {
      for (let i = 0; i < N; i++) {
        const l = i ^ j;
        if (l > i) {
          if ((i & k) === 0) minmax(x, i, l);
          else minmax(x, l, i);
        }
      }
    }
  }
  values.set(x.subarray(0, values.length));
  x.fill(0);
}

/**
 * Short_fromlist: a short polynomial (exactly W coefficients ±1) from P random 32-bit
 * words, read little-endian from `bytes` (4P bytes).
 */
export function shortFromList(bytes: Uint8Array): Small {
  const L = new Int32Array(P);
  for (let i = 0; i < P; i++) {
    const u = bytes[4 * i]! | (bytes[4 * i + 1]! << 8) | (bytes[4 * i + 2]! << 16) | (bytes[4 * i + 3]! << 24);
    // tag: low bits x0 (coefficient ±1) for the first W, 01 (coefficient 0) for the rest;
    // the top bit is flipped so that signed order equals the unsigned order of the spec
    const tagged = i < W ? u & ~1 : (u & ~3) | 1;
    L[i] = tagged ^ 0x80000000;
  }
  sortInt32(L);
  const out = new Int8Array(P);
  for (let i = 0; i < P; i++) out[i] = (L[i]! & 3) - 1;
  L.fill(0);
  return out;
}

/** Small_random: P coefficients uniform in {-1, 0, 1} from 4P random bytes (little-endian words) */
export function smallFromRandom(bytes: Uint8Array): Small {
  const out = new Int8Array(P);
  for (let i = 0; i < P; i++) {
    const u = bytes[4 * i]! | (bytes[4 * i + 1]! << 8) | (bytes[4 * i + 2]! << 16) | (bytes[4 * i + 3]! << 24);
    // ((u mod 2^30) * 3) >> 30 is 0, 1 or 2; the product is < 2^32, so >>> is exact
    out[i] = (((u & 0x3fffffff) * 3) >>> 30) - 1;
  }
  return out;
}
