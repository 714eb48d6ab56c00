/**
 * Modular arithmetic on BigInt for RSA, DSA and the finite-field Diffie-Hellman methods,
 * which noble does not provide.
 *
 * NOT CONSTANT-TIME: BigInt multiplication, division and these loops leak timing that
 * depends on the operands. That is harmless for public-key operations (verification),
 * acceptable for a client signing a handful of auth requests, and for an ephemeral DH
 * exponent used once; wherever node:crypto is there (the Node entry point) a client's DH is
 * computed by OpenSSL instead (src/crypto/node/pubkey.ts).
 */
export { bigintToBytes, bytesToBigint } from '../wire/writer.js';

/** a mod m, in [0, m). */
export function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/** Number of significant bits (0 for 0). */
export function bitLength(a: bigint): number {
  if (a < 0n) a = -a;
  return a === 0n ? 0 : a.toString(2).length;
}

/** Window width by exponent size: larger exponents amortise a larger table. */
function windowBits(expBits: number): number {
  if (expBits <= 32) return 1;
  if (expBits <= 128) return 3;
  if (expBits <= 768) return 5;
  return 6;
}

/**
 * `base ** exp mod m` for `m > 1`, `exp >= 0`: left-to-right sliding-window exponentiation
 * (HAC 14.85) with the odd powers precomputed.
 *
 * @example
 * modPow(2n, 10n, 1000n); // 24n
 */
export function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  if (m <= 1n) throw new RangeError('modPow: modulus must be greater than 1');
  if (exp < 0n) throw new RangeError('modPow: negative exponent');
  let b = base % m;
  if (b < 0n) b += m;
  if (exp === 0n) return 1n;
  const bits = exp.toString(2);
  const n = bits.length;
  const w = windowBits(n);
  // table[i] = b^(2i+1) mod m
  const table: bigint[] = [b];
  if (w > 1) {
    const b2 = (b * b) % m;
    for (let i = 1; i < 1 << (w - 1); i++) table.push((table[i - 1]! * b2) % m);
  }
  let r = 1n;
  let i = 0;
  while (i < n) {
    if (bits.charCodeAt(i) === 48 /* '0' */) {
      r = (r * r) % m;
      i++;
      continue;
    }
    // Longest window of at most w bits starting at i that ends in a 1 bit.
    let j = Math.min(i + w, n);
    while (bits.charCodeAt(j - 1) === 48) j--;
    let v = 0;
    for (let k = i; k < j; k++) {
      v = (v << 1) | (bits.charCodeAt(k) - 48);
      r = (r * r) % m;
    }
    r = (r * table[v >> 1]!) % m;
    i = j;
  }
  return r;
}

/** a^-1 mod m (extended Euclid); throws RangeError if a is not invertible. */
export function modInverse(a: bigint, m: bigint): bigint {
  if (m <= 0n) throw new RangeError('modInverse: modulus must be positive');
  let [oldR, r] = [mod(a, m), m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  if (oldR !== 1n) throw new RangeError('modInverse: not invertible');
  return mod(oldS, m);
}
