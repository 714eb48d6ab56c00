/**
 * Streamlined NTRU Prime sntrup761 parameters (NTRU Prime round-3 specification, §3 and
 * the "sntrup761" parameter set): the ring R = Z[x]/(x^p - x - 1), Rq = R/q, R3 = R/3.
 */

/** degree of x^p - x - 1 (prime) */
export const P = 761;
/** the prime modulus q */
export const Q = 4591;
/** (q - 1) / 2: Fq elements are held as integers in [-Q12, Q12] */
export const Q12 = (Q - 1) / 2;
/** weight of a short polynomial: exactly W nonzero coefficients, all ±1 */
export const W = 286;

/** a small (ternary) polynomial packed 4 coefficients per byte */
export const SMALL_BYTES = (P + 3) / 4; // 191
/** an Rq element in the radix encoding with modulus q */
export const RQ_BYTES = 1158;
/** a rounded Rq element (coefficients in 3Z) in the radix encoding with modulus (q+2)/3 */
export const ROUNDED_BYTES = 1007;
/** hash outputs are the first 32 bytes of SHA-512 */
export const HASH_BYTES = 32;

export const PUBLIC_KEY_BYTES = RQ_BYTES; // 1158
/** rounded ciphertext ‖ 32-byte confirmation hash */
export const CIPHERTEXT_BYTES = ROUNDED_BYTES + HASH_BYTES; // 1039
/** f ‖ 1/g ‖ pk ‖ rho ‖ Hash4(pk) */
export const SECRET_KEY_BYTES = 2 * SMALL_BYTES + PUBLIC_KEY_BYTES + SMALL_BYTES + HASH_BYTES; // 1763
export const SHARED_SECRET_BYTES = 32;
