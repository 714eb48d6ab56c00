/**
 * Modular arithmetic on BigInt for RSA and DSA, which noble does not provide.
 *
 * NOT CONSTANT-TIME: BigInt multiplication, division and these loops leak timing that
 * depends on the operands. That is harmless for public-key operations (verification),
 * and acceptable for a client signing a handful of auth requests, but a later
 * node:crypto / WebCrypto provider should take over private-key operations where it exists.
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

/** base^exp mod m for exp >= 0, m > 0 (left-to-right square-and-multiply, 4-bit fixed window). */
export function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  if (m <= 0n) throw new RangeError('modPow: modulus must be positive');
  if (exp < 0n) throw new RangeError('modPow: negative exponent');
  if (m === 1n) return 0n;
  const b = mod(base, m);
  const table: bigint[] = [1n, b];
  for (let i = 2; i < 16; i++) table.push((table[i - 1]! * b) % m);
  const hex = exp.toString(16);
  let r = 1n;
  for (let i = 0; i < hex.length; i++) {
    if (i > 0) {
      r = (r * r) % m;
      r = (r * r) % m;
      r = (r * r) % m;
      r = (r * r) % m;
    }
    const d = parseInt(hex[i]!, 16);
    if (d !== 0) r = (r * table[d]!) % m;
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
