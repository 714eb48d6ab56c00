/**
 * Streamlined NTRU Prime sntrup761 as a KEM (NTRU Prime round-3 specification §5,
 * "Streamlined NTRU Prime": KeyGen, Encap, Decap with implicit rejection).
 *
 *   KeyGen: g small and invertible in R3, f short; h = g / (3f) in Rq.
 *           pk = Encode(h); sk = f ‖ 1/g ‖ pk ‖ rho ‖ Hash4(pk)
 *   Encap:  r short; c = Round(h*r) ‖ HashConfirm(r); K = Hash1(Hash3(r) ‖ c)
 *   Decap:  r' from c; if re-encrypting r' gives c, K = Hash1(Hash3(r') ‖ c),
 *           else K = Hash0(Hash3(rho) ‖ c) - the choice made with masks, not branches.
 *
 * HashB(x) is the first 32 bytes of SHA-512(byte B ‖ x). Randomness is drawn in the same
 * order and sizes as the reference code (4P bytes per random polynomial, then rho), so a
 * NIST AES-256-CTR DRBG reproduces the submission's known-answer tests.
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { rqDecode, rqEncode, roundedDecode, roundedEncode, smallDecode, smallEncode } from './encode.js';
import { CIPHERTEXT_BYTES, HASH_BYTES, P, PUBLIC_KEY_BYTES, ROUNDED_BYTES, SECRET_KEY_BYTES, SMALL_BYTES, W } from './params.js';
import { r3FromRq, r3Mult, rqMult3, rqMultSmall, round, weightwMask, type Small } from './poly.js';
import { r3Recip, rqRecip3 } from './recip.js';
import { shortFromList, smallFromRandom } from './sort.js';

export { CIPHERTEXT_BYTES, PUBLIC_KEY_BYTES, SECRET_KEY_BYTES, SHARED_SECRET_BYTES } from './params.js';

export type Random = (n: number) => Uint8Array;

/** SHA-512 of one input; the default is noble's, a caller may pass a faster one */
export type Sha512 = (data: Uint8Array) => Uint8Array;

export interface KeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

function take(random: Random, n: number): Uint8Array {
  const out = random(n);
  if (!(out instanceof Uint8Array) || out.length !== n) {
    throw new RangeError(`random source returned ${(out as Uint8Array | undefined)?.length ?? 'no'} bytes, expected ${n}`);
  }
  return out;
}

function hashPrefix(hash: Sha512, b: number, ...parts: Uint8Array[]): Uint8Array {
  let n = 1;
  for (const p of parts) n += p.length;
  const input = new Uint8Array(n);
  input[0] = b;
  let off = 1;
  for (const p of parts) {
    input.set(p, off);
    off += p.length;
  }
  const full = hash(input);
  input.fill(0);
  const out = full.slice(0, HASH_BYTES);
  full.fill(0);
  return out;
}

/** c ‖ confirm from r: the deterministic encryption used by Encap and, again, by Decap */
function hide(hash: Sha512, r: Small, pk: Uint8Array, cache: Uint8Array): { c: Uint8Array; rEnc: Uint8Array } {
  const rEnc = smallEncode(r);
  const hr = rqMultSmall(rqDecode(pk), r);
  const rounded = roundedEncode(round(hr));
  hr.fill(0);
  const c = new Uint8Array(CIPHERTEXT_BYTES);
  c.set(rounded, 0);
  const inner = hashPrefix(hash, 3, rEnc);
  c.set(hashPrefix(hash, 2, inner, cache), ROUNDED_BYTES);
  inner.fill(0);
  return { c, rEnc };
}

function hashSession(hash: Sha512, b: number, rEnc: Uint8Array, c: Uint8Array): Uint8Array {
  const inner = hashPrefix(hash, 3, rEnc);
  const k = hashPrefix(hash, b, inner, c);
  inner.fill(0);
  return k;
}

/**
 * Generate a key pair.
 *
 * @example
 * const { publicKey, secretKey } = keypair(randomBytes);
 * const { cipherText, sharedSecret } = encapsulate(publicKey, randomBytes);
 * decapsulate(cipherText, secretKey); // equals sharedSecret
 */
export function keypair(random: Random, hash: Sha512 = sha512): KeyPair {
  const ginv = new Int8Array(P);
  let g: Small;
  for (;;) {
    const bytes = take(random, 4 * P);
    g = smallFromRandom(bytes);
    bytes.fill(0);
    // whether g is invertible is not secret once it is discarded
    if (r3Recip(ginv, g) === 0) break;
    g.fill(0);
  }
  const fBytes = take(random, 4 * P);
  const f = shortFromList(fBytes);
  fBytes.fill(0);
  const finv = new Int16Array(P);
  rqRecip3(finv, f); // always succeeds: x^p - x - 1 is irreducible mod q
  const h = rqMultSmall(finv, g);
  finv.fill(0);
  g.fill(0);

  const publicKey = rqEncode(h);
  const secretKey = new Uint8Array(SECRET_KEY_BYTES);
  let off = 0;
  secretKey.set(smallEncode(f), off);
  off += SMALL_BYTES;
  secretKey.set(smallEncode(ginv), off);
  off += SMALL_BYTES;
  secretKey.set(publicKey, off);
  off += PUBLIC_KEY_BYTES;
  secretKey.set(take(random, SMALL_BYTES), off); // rho, the implicit-rejection secret
  off += SMALL_BYTES;
  secretKey.set(hashPrefix(hash, 4, publicKey), off);
  f.fill(0);
  ginv.fill(0);
  return { publicKey, secretKey };
}

/** Encapsulate to a public key: the ciphertext and the 32-byte shared secret. */
export function encapsulate(publicKey: Uint8Array, random: Random, hash: Sha512 = sha512): { cipherText: Uint8Array; sharedSecret: Uint8Array } {
  if (publicKey.length !== PUBLIC_KEY_BYTES) {
    throw new RangeError(`sntrup761: public key is ${publicKey.length} bytes, expected ${PUBLIC_KEY_BYTES}`);
  }
  const cache = hashPrefix(hash, 4, publicKey);
  const rBytes = take(random, 4 * P);
  const r = shortFromList(rBytes);
  rBytes.fill(0);
  const { c, rEnc } = hide(hash, r, publicKey, cache);
  r.fill(0);
  const sharedSecret = hashSession(hash, 1, rEnc, c);
  rEnc.fill(0);
  return { cipherText: c, sharedSecret };
}

/** 0 if a and b are equal, -1 if not (both CIPHERTEXT_BYTES long), without early exit */
function differMask(a: Uint8Array, b: Uint8Array): number {
  let diff = 0;
  for (let i = 0; i < CIPHERTEXT_BYTES; i++) diff |= a[i]! ^ b[i]!;
  return (((diff - 1) >>> 8) & 1) - 1;
}

/**
 * Decapsulate: the shared secret for a ciphertext. A ciphertext that does not re-encrypt
 * to itself yields a pseudorandom secret derived from rho (implicit rejection), never an
 * error, and the path taken does not branch on secret data.
 */
export function decapsulate(cipherText: Uint8Array, secretKey: Uint8Array, hash: Sha512 = sha512): Uint8Array {
  if (cipherText.length !== CIPHERTEXT_BYTES) {
    throw new RangeError(`sntrup761: ciphertext is ${cipherText.length} bytes, expected ${CIPHERTEXT_BYTES}`);
  }
  if (secretKey.length !== SECRET_KEY_BYTES) {
    throw new RangeError(`sntrup761: secret key is ${secretKey.length} bytes, expected ${SECRET_KEY_BYTES}`);
  }
  let off = 0;
  const f = smallDecode(secretKey.subarray(off, (off += SMALL_BYTES)));
  const ginv = smallDecode(secretKey.subarray(off, (off += SMALL_BYTES)));
  const pk = secretKey.subarray(off, (off += PUBLIC_KEY_BYTES));
  const rho = secretKey.subarray(off, (off += SMALL_BYTES));
  const cache = secretKey.subarray(off, off + HASH_BYTES);

  // Decrypt: e = 3*c*f in R3, ev = e/g; a weight other than W means failure -> r = (1,..,1,0,..,0)
  const cf = rqMultSmall(roundedDecode(cipherText.subarray(0, ROUNDED_BYTES)), f);
  const cf3 = rqMult3(cf);
  const e = r3FromRq(cf3);
  const ev = r3Mult(e, ginv);
  const bad = weightwMask(ev);
  const r = new Int8Array(P);
  for (let i = 0; i < W; i++) r[i] = ((ev[i]! ^ 1) & ~bad) ^ 1;
  for (let i = W; i < P; i++) r[i] = ev[i]! & ~bad;
  for (const t of [f, ginv, cf, cf3, e, ev]) t.fill(0);

  const { c: cNew, rEnc } = hide(hash, r, pk, cache);
  r.fill(0);
  const mask = differMask(cipherText, cNew);
  for (let i = 0; i < SMALL_BYTES; i++) rEnc[i]! ^= mask & (rEnc[i]! ^ rho[i]!);
  const k = hashSession(hash, 1 + mask, rEnc, cipherText);
  rEnc.fill(0);
  cNew.fill(0);
  return k;
}
