/**
 * One ChaCha20 block (RFC 8439 §2.3) in DJB's original layout, a 64-bit block counter and a
 * 64-bit nonce, as chacha20-poly1305@openssh.com uses it (OpenSSH PROTOCOL.chacha20poly1305).
 * For the few keystream bytes a packet needs besides its body: the 4-byte length (K_1, block 0)
 * and the 32-byte Poly1305 key (K_2, block 0). A library's bulk ChaCha20 costs a cipher context
 * per packet for each of those; this costs one block of arithmetic.
 */
import { readLE32 } from './le32.js';

const rotl = (x: number, n: number): number => (x << n) | (x >>> (32 - n));

/** `key` (32 bytes) as the eight little-endian words the block function takes. */
export function chachaKeyWords(key: Uint8Array): Uint32Array {
  if (key.length !== 32) throw new RangeError('chacha20: key must be 32 bytes');
  const w = new Uint32Array(8);
  for (let i = 0; i < 8; i++) w[i] = readLE32(key, 4 * i);
  return w;
}

/** RFC 8439 §2.1: the quarter round on words a, b, c, d of `x`. */
function quarterRound(x: Uint32Array, a: number, b: number, c: number, d: number): void {
  x[a] = x[a]! + x[b]!;
  x[d] = rotl(x[d]! ^ x[a], 16);
  x[c] = x[c]! + x[d];
  x[b] = rotl(x[b]! ^ x[c], 12);
  x[a] = x[a] + x[b];
  x[d] = rotl(x[d] ^ x[a], 8);
  x[c] = x[c] + x[d];
  x[b] = rotl(x[b] ^ x[c], 7);
}

/**
 * The keystream block for `key` (from chachaKeyWords), block counter `counter` (< 2^32) and the
 * 8-byte nonce whose little-endian words are `nonce0`, `nonce1`, as sixteen little-endian words
 * in `out` (keystream byte i is byte i % 4 of out[i >> 2]). `work` (16 words) is scratch space, left zeroed.
 */
export function chachaBlock(key: Uint32Array, counter: number, nonce0: number, nonce1: number, out: Uint32Array, work: Uint32Array): void {
  // "expand 32-byte k", key, 64-bit counter, 64-bit nonce (RFC 8439 §2.3, DJB's layout)
  out[0] = 0x61707865;
  out[1] = 0x3320646e;
  out[2] = 0x79622d32;
  out[3] = 0x6b206574;
  out.set(key, 4);
  out[12] = counter;
  out[13] = 0;
  out[14] = nonce0;
  out[15] = nonce1;
  const x = work;
  x.set(out);
  for (let i = 0; i < 10; i++) {
    quarterRound(x, 0, 4, 8, 12);
    quarterRound(x, 1, 5, 9, 13);
    quarterRound(x, 2, 6, 10, 14);
    quarterRound(x, 3, 7, 11, 15);
    quarterRound(x, 0, 5, 10, 15);
    quarterRound(x, 1, 6, 11, 12);
    quarterRound(x, 2, 7, 8, 13);
    quarterRound(x, 3, 4, 9, 14);
  }
  for (let i = 0; i < 16; i++) out[i] = out[i]! + x[i]!;
  x.fill(0);
}

/**
 * Block 0 of `key` for chacha20-poly1305@openssh.com's packet `seq`: the nonce is BE64(seq)
 * (PROTOCOL.chacha20poly1305), so its little-endian words are 0 and bswap(seq).
 */
export function chachaBlockForSequence(key: Uint32Array, seq: number, out: Uint32Array, work: Uint32Array): void {
  const s = seq >>> 0;
  chachaBlock(key, 0, 0, ((s >>> 24) | ((s >>> 8) & 0xff00) | ((s << 8) & 0xff0000) | (s << 24)) >>> 0, out, work);
}
