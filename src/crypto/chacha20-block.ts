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

/**
 * The keystream block for `key` (from chachaKeyWords), block counter `counter` (< 2^32) and the
 * 8-byte nonce whose little-endian words are `nonce0`, `nonce1`, as sixteen little-endian words
 * in `out` (keystream byte i is byte i % 4 of out[i >> 2]). The state lives in locals, which the
 * JIT keeps in registers: five times faster than working in a typed array.
 */
export function chachaBlock(key: Uint32Array, counter: number, nonce0: number, nonce1: number, out: Uint32Array): void {
  // "expand 32-byte k", key, 64-bit counter, 64-bit nonce (RFC 8439 §2.3, DJB's layout)
  const j0 = 0x61707865;
  const j1 = 0x3320646e;
  const j2 = 0x79622d32;
  const j3 = 0x6b206574;
  const j4 = key[0]!;
  const j5 = key[1]!;
  const j6 = key[2]!;
  const j7 = key[3]!;
  const j8 = key[4]!;
  const j9 = key[5]!;
  const j10 = key[6]!;
  const j11 = key[7]!;
  const j12 = counter >>> 0;
  const j14 = nonce0 >>> 0;
  const j15 = nonce1 >>> 0;
  // prettier-ignore
  let x0 = j0, x1 = j1, x2 = j2, x3 = j3, x4 = j4, x5 = j5, x6 = j6, x7 = j7;
  // prettier-ignore
  let x8 = j8, x9 = j9, x10 = j10, x11 = j11, x12 = j12, x13 = 0, x14 = j14, x15 = j15;
  // RFC 8439 §2.1: quarter rounds on the columns, then on the diagonals
  // prettier-ignore
  for (let i = 0; i < 10; i++) {
    x0 = (x0 + x4) | 0; x12 = rotl(x12 ^ x0, 16); x8 = (x8 + x12) | 0; x4 = rotl(x4 ^ x8, 12);
    x0 = (x0 + x4) | 0; x12 = rotl(x12 ^ x0, 8); x8 = (x8 + x12) | 0; x4 = rotl(x4 ^ x8, 7);
    x1 = (x1 + x5) | 0; x13 = rotl(x13 ^ x1, 16); x9 = (x9 + x13) | 0; x5 = rotl(x5 ^ x9, 12);
    x1 = (x1 + x5) | 0; x13 = rotl(x13 ^ x1, 8); x9 = (x9 + x13) | 0; x5 = rotl(x5 ^ x9, 7);
    x2 = (x2 + x6) | 0; x14 = rotl(x14 ^ x2, 16); x10 = (x10 + x14) | 0; x6 = rotl(x6 ^ x10, 12);
    x2 = (x2 + x6) | 0; x14 = rotl(x14 ^ x2, 8); x10 = (x10 + x14) | 0; x6 = rotl(x6 ^ x10, 7);
    x3 = (x3 + x7) | 0; x15 = rotl(x15 ^ x3, 16); x11 = (x11 + x15) | 0; x7 = rotl(x7 ^ x11, 12);
    x3 = (x3 + x7) | 0; x15 = rotl(x15 ^ x3, 8); x11 = (x11 + x15) | 0; x7 = rotl(x7 ^ x11, 7);
    x0 = (x0 + x5) | 0; x15 = rotl(x15 ^ x0, 16); x10 = (x10 + x15) | 0; x5 = rotl(x5 ^ x10, 12);
    x0 = (x0 + x5) | 0; x15 = rotl(x15 ^ x0, 8); x10 = (x10 + x15) | 0; x5 = rotl(x5 ^ x10, 7);
    x1 = (x1 + x6) | 0; x12 = rotl(x12 ^ x1, 16); x11 = (x11 + x12) | 0; x6 = rotl(x6 ^ x11, 12);
    x1 = (x1 + x6) | 0; x12 = rotl(x12 ^ x1, 8); x11 = (x11 + x12) | 0; x6 = rotl(x6 ^ x11, 7);
    x2 = (x2 + x7) | 0; x13 = rotl(x13 ^ x2, 16); x8 = (x8 + x13) | 0; x7 = rotl(x7 ^ x8, 12);
    x2 = (x2 + x7) | 0; x13 = rotl(x13 ^ x2, 8); x8 = (x8 + x13) | 0; x7 = rotl(x7 ^ x8, 7);
    x3 = (x3 + x4) | 0; x14 = rotl(x14 ^ x3, 16); x9 = (x9 + x14) | 0; x4 = rotl(x4 ^ x9, 12);
    x3 = (x3 + x4) | 0; x14 = rotl(x14 ^ x3, 8); x9 = (x9 + x14) | 0; x4 = rotl(x4 ^ x9, 7);
  }
  out[0] = x0 + j0;
  out[1] = x1 + j1;
  out[2] = x2 + j2;
  out[3] = x3 + j3;
  out[4] = x4 + j4;
  out[5] = x5 + j5;
  out[6] = x6 + j6;
  out[7] = x7 + j7;
  out[8] = x8 + j8;
  out[9] = x9 + j9;
  out[10] = x10 + j10;
  out[11] = x11 + j11;
  out[12] = x12 + j12;
  out[13] = x13; // j13 = 0
  out[14] = x14 + j14;
  out[15] = x15 + j15;
}

/**
 * Block 0 of `key` for chacha20-poly1305@openssh.com's packet `seq`: the nonce is BE64(seq)
 * (PROTOCOL.chacha20poly1305), so its little-endian words are 0 and bswap(seq).
 */
export function chachaBlockForSequence(key: Uint32Array, seq: number, out: Uint32Array): void {
  const s = seq >>> 0;
  chachaBlock(key, 0, 0, ((s >>> 24) | ((s >>> 8) & 0xff00) | ((s << 8) & 0xff0000) | (s << 24)) >>> 0, out);
}
