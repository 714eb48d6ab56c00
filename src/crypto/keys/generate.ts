/**
 * Key pair generation: ed25519 (RFC 8032 seed), ECDSA P-256/384/521 (scalar uniform in
 * [1, n-1]) and RSA (e = 65537, two primes of half the size with the top two bits set, so n
 * has exactly the asked size; Miller-Rabin with random bases, as many as FIPS 186-5 B.3 asks).
 * Returns the key and the raw material the key file writer serializes.
 */
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { KeyError } from '../../errors.js';
import { bitLength, bytesToBigint, mod, modInverse, modPow } from '../bigint.js';
import { EcdsaPrivateKey, ecdsaPrivateKey } from './ecdsa.js';
import { Ed25519PrivateKey } from './ed25519.js';
import { RsaPrivateKey, RSA_MAX_BITS } from './rsa.js';
import type { KeyMaterial, PrivateKey } from './types.js';

/** A source of `n` cryptographically random bytes (e.g. noble's `randomBytes`). */
export type RandomBytes = (n: number) => Uint8Array;

export type { KeyMaterial } from './types.js';

/** A generated key: the `PrivateKey` to use, and its material for writing it to a file. */
export interface GeneratedKeyPair {
  readonly privateKey: PrivateKey;
  readonly material: KeyMaterial;
}

/** What key to generate: its type, size in bits (RSA, ECDSA) and comment. */
export interface KeyGenSpec {
  type: 'ed25519' | 'ecdsa' | 'rsa';
  /** ecdsa: 256 (default), 384, 521; rsa: 2048..8192 (default 3072, as ssh-keygen) */
  bits?: number;
  comment?: string;
}

const CURVE_ORDERS = { nistp256: p256.Point.CURVE().n, nistp384: p384.Point.CURVE().n, nistp521: p521.Point.CURVE().n };

/** A uniform integer in [1, max-1] (64 extra bits make the modulo bias negligible). */
function randomBelow(max: bigint, random: RandomBytes): bigint {
  const bytes = Math.ceil(bitLength(max) / 8) + 8;
  return mod(bytesToBigint(random(bytes)), max - 1n) + 1n;
}

/** ssh-keygen's default sizes and limits. */
export const RSA_GEN_MIN_BITS = 1024;
export const RSA_GEN_DEFAULT_BITS = 3072;

/**
 * Generate a key pair. Throws KeyError for an unsupported type or size.
 * @example generateKeyPair({ type: 'ed25519', comment: 'me@host' }, (n) => crypto.getRandomValues(new Uint8Array(n)))
 */
export function generateKeyPair(spec: KeyGenSpec, random: RandomBytes): GeneratedKeyPair {
  const comment = spec.comment ?? '';
  switch (spec.type) {
    case 'ed25519': {
      const seed = random(32);
      const key = new Ed25519PrivateKey(seed, comment);
      return { privateKey: key, material: { kind: 'ed25519', seed: seed.slice(), point: key.publicKey.point } };
    }
    case 'ecdsa': {
      const bits = spec.bits ?? 256;
      const curve = bits === 256 ? 'nistp256' : bits === 384 ? 'nistp384' : bits === 521 ? 'nistp521' : null;
      if (!curve) throw new KeyError('Invalid ECDSA key length: valid lengths are 256, 384 or 521 bits', 'ALGO_UNSUPPORTED');
      const d = randomBelow(CURVE_ORDERS[curve], random);
      const key: EcdsaPrivateKey = ecdsaPrivateKey(curve, d, comment);
      return { privateKey: key, material: { kind: 'ecdsa', curve, d, point: key.publicKey.point } };
    }
    case 'rsa': {
      const bits = spec.bits ?? RSA_GEN_DEFAULT_BITS;
      if (!Number.isInteger(bits) || bits < RSA_GEN_MIN_BITS || bits > RSA_MAX_BITS) {
        throw new KeyError(`Invalid RSA key length: minimum is ${RSA_GEN_MIN_BITS} bits, maximum ${RSA_MAX_BITS}`, 'ALGO_UNSUPPORTED');
      }
      const parts = rsaParts(bits, random);
      return { privateKey: new RsaPrivateKey(parts, comment), material: { kind: 'rsa', ...parts } };
    }
    default:
      throw new KeyError(`unknown key type "${String((spec as { type: unknown }).type)}"`, 'ALGO_UNSUPPORTED');
  }
}

const E = 65537n;
/** The first 2000 odd primes, for trial division; computed on first use (no import-time work). */
let smallPrimes: readonly bigint[] | undefined;

function getSmallPrimes(): readonly bigint[] {
  if (smallPrimes) return smallPrimes;
  // The 2001st prime is 17393: a sieve up to there yields 3, 5, …, the 2000th odd prime.
  const limit = 17393;
  const composite = new Uint8Array(limit + 1);
  const out: bigint[] = [];
  for (let n = 3; n <= limit && out.length < 2000; n += 2) {
    if (composite[n]) continue;
    out.push(BigInt(n));
    for (let m = n * n; m <= limit; m += 2 * n) composite[m] = 1;
  }
  return (smallPrimes = out);
}

function isProbablePrime(n: bigint, random: RandomBytes): boolean {
  for (const p of getSmallPrimes()) if (n % p === 0n) return n === p;
  let d = n - 1n;
  let s = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    s++;
  }
  // FIPS 186-5 Table B.1: rounds for a 2^-100 error probability (random candidates)
  const bits = bitLength(n);
  const rounds = bits >= 1536 ? 4 : bits >= 1024 ? 5 : bits >= 512 ? 8 : 40;
  for (let round = 0; round < rounds; round++) {
    const a = randomBelow(n - 2n, random) + 1n; // [2, n-2]
    let x = modPow(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    let composite = true;
    for (let i = 1; i < s; i++) {
      x = (x * x) % n;
      if (x === n - 1n) {
        composite = false;
        break;
      }
    }
    if (composite) return false;
  }
  return true;
}

function randomPrime(bits: number, random: RandomBytes): bigint {
  const top = 3n << BigInt(bits - 2);
  for (;;) {
    const raw = bytesToBigint(random(Math.ceil(bits / 8))) & ((1n << BigInt(bits)) - 1n);
    const candidate = raw | top | 1n;
    if (mod(candidate - 1n, E) === 0n) continue; // gcd(e, p-1) must be 1; e is prime
    if (isProbablePrime(candidate, random)) return candidate;
  }
}

function rsaParts(bits: number, random: RandomBytes): { n: bigint; e: bigint; d: bigint; p: bigint; q: bigint; iqmp: bigint } {
  for (;;) {
    const p = randomPrime(bits - (bits >> 1), random);
    const q = randomPrime(bits >> 1, random);
    const n = p * q;
    if (p === q || bitLength(n) !== bits) continue;
    const lambda = ((p - 1n) * (q - 1n)) / gcd(p - 1n, q - 1n);
    const d = modInverse(E, lambda);
    return { n, e: E, d, p, q, iqmp: modInverse(q, p) };
  }
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}
