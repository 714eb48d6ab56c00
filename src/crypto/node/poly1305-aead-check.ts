/**
 * Checking chacha20-poly1305@openssh.com's Poly1305 tag with OpenSSL's ChaCha20-Poly1305 AEAD
 * (RFC 8439 §2.8) instead of computing Poly1305 in WebAssembly: node:crypto has no bare
 * Poly1305, but its AEAD runs one at several GB/s. For a 32 KiB packet the check costs about
 * half of the WebAssembly Poly1305 (cipher context and the arithmetic below included).
 *
 * The one-time key. OpenSSH keys Poly1305 with block 0 of ChaCha20(K_2) in DJB's layout, nonce
 * BE64(seq) (PROTOCOL.chacha20poly1305). The AEAD keys it with block 0 of ChaCha20(K_2) in the
 * IETF layout; with the 96-bit nonce 0^32 ‖ BE64(seq) the state words coincide, so both derive
 * the same (r, s).
 *
 * The message. With M (encrypted length ‖ encrypted body) as additional data and no plaintext,
 * the AEAD's tag is Poly1305 over pad16(M) ‖ LE64(|M|) ‖ LE64(0) (RFC 8439 §2.8). Poly1305 is a
 * polynomial in r (RFC 8439 §2.5): with h the accumulator of Poly1305(M), reduced mod
 * p = 2^130 - 5, the AEAD's accumulator is
 *
 *   h_A = r · (h + Δ·r + c_L) mod p
 *
 * where c_L = |M| + 2^128 is the length block, and Δ = 2^128 - 2^(8k) accounts for M's last
 * k = |M| mod 16 bytes: Poly1305 ends them with a 0x01 byte, the AEAD zero-pads them to a whole
 * block (which carries 2^128); Δ = 0 when k = 0.
 *
 * The check. A tag is (accumulator + s) mod 2^128, so a received tag T fixes h only up to
 * 2^128: the candidates are h_j = ((T - s) mod 2^128) + j·2^128 below p, j = 0..3. T is
 * accepted when some candidate's h_A gives the AEAD's tag. The right T always passes (its
 * candidates include the true h). A wrong T passes only if r·(h_j - h) ≡ i·2^128 (mod p) for
 * some candidate and 0 < |i| ≤ 3: for each of those 24 (j, i) a polynomial equation in r of the
 * degree of Poly1305's own, so the forgery bound stays within a small constant factor of
 * Poly1305's (about 2^-97 for OpenSSH's largest packet). The arithmetic is not constant-time,
 * but (r, s) are used for one packet only, and a failed check ends the connection.
 */
import { createCipheriv } from 'node:crypto';

const P = (1n << 130n) - 5n;
const MASK128 = (1n << 128n) - 1n;
const TWO128 = 1n << 128n;
const CLAMP = 0x0ffffffc0ffffffc0ffffffc0fffffffn;

/** Two little-endian 32-bit words at `w[i]`, `w[i + 1]` as one 64-bit value. */
const word64 = (w: Uint32Array, i: number): bigint => (BigInt(w[i + 1]!) << 32n) | BigInt(w[i]!);

function le128(bytes: Uint8Array): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, 16);
  return (view.getBigUint64(8, true) << 64n) | view.getBigUint64(0, true);
}

/** Whether this runtime's node:crypto has the AEAD (Bun's has no ChaCha20 at all). */
export function hasChachaPolyAead(): boolean {
  try {
    createCipheriv('chacha20-poly1305', new Uint8Array(32), new Uint8Array(12), { authTagLength: 16 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether `tag` is the Poly1305 tag of `message` under the one-time key that `polyKeyWords`
 * (words 0..7 of ChaCha20 block 0 of `key` with nonce BE64(seq), little-endian) holds.
 * `nonce` is the AEAD's 12-byte nonce for the same block: 0^32 ‖ BE64(seq).
 */
export function poly1305CheckWithAead(key: Uint8Array, nonce: Uint8Array, message: Uint8Array, polyKeyWords: Uint32Array, tag: Uint8Array): boolean {
  const aead = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  aead.setAAD(message, { plaintextLength: 0 });
  aead.final();
  return aeadTagMatches(polyKeyWords, tag, message.length, aead.getAuthTag());
}

/**
 * The arithmetic of poly1305CheckWithAead: whether exactly one candidate h for `tag` (under the
 * one-time key in `polyKeyWords`) gives `aeadTagBytes` as the AEAD's tag over a message of `n`
 * bytes. Exported for its tests.
 */
export function aeadTagMatches(polyKeyWords: Uint32Array, tag: Uint8Array, n: number, aeadTagBytes: Uint8Array): boolean {
  const aeadTag = le128(aeadTagBytes);
  const r = ((word64(polyKeyWords, 2) << 64n) | word64(polyKeyWords, 0)) & CLAMP;
  const s = (word64(polyKeyWords, 6) << 64n) | word64(polyKeyWords, 4);
  const k = n % 16;
  const delta = k === 0 ? 0n : TWO128 - (1n << BigInt(8 * k));
  const lengthBlock = BigInt(n) + TWO128;
  const low = (le128(tag) - s) & MASK128;
  // h_A for h_0 = low, then each next candidate adds 2^128 to h, so r·2^128 to h_A.
  let candidate = (r * ((low + delta * r + lengthBlock) % P)) % P;
  const step = (r << 128n) % P;
  let matches = 0;
  for (let j = 0n; j < 4n; j++) {
    if (low + (j << 128n) < P) matches |= Number(((candidate + s) & MASK128) === aeadTag);
    candidate += step;
    if (candidate >= P) candidate -= P;
  }
  return matches === 1;
}
