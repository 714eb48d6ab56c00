/**
 * bcrypt_pbkdf (OpenBSD bcrypt_pbkdf.c), the KDF of encrypted OpenSSH private keys
 * (PROTOCOL.key: kdfname "bcrypt", kdfoptions = string salt, uint32 rounds).
 *
 * Blowfish's initial P-array and S-boxes are the first 8336 hexadecimal digits of π's
 * fraction (Schneier 1993); instead of shipping 4 KiB of constants they are computed once,
 * on first use, with Machin's formula on BigInt (~50 ms).
 */
import { sha512 } from '@noble/hashes/sha2.js';

const P_WORDS = 18;
const S_WORDS = 1024;

let PI_WORDS: Uint32Array | undefined;

/** The first `P_WORDS + S_WORDS` 32-bit words of π's hexadecimal fraction (243F6A88 85A308D3 …). */
export function piWords(): Uint32Array {
  if (PI_WORDS) return PI_WORDS;
  const digits = (P_WORDS + S_WORDS) * 8;
  const guard = 64n;
  const bits = BigInt(digits * 4) + guard;
  const one = 1n << bits;
  // atan(1/x) · 2^bits by its Taylor series; truncation error stays far below the guard bits.
  const atanInv = (x: bigint): bigint => {
    let sum = 0n;
    let term = one / x;
    const x2 = x * x;
    for (let k = 1n, sign = 1n; term !== 0n; k += 2n, sign = -sign) {
      sum += (sign * term) / k;
      term /= x2;
    }
    return sum;
  };
  const pi = 16n * atanInv(5n) - 4n * atanInv(239n); // Machin: π = 16·atan(1/5) − 4·atan(1/239)
  const hex = ((pi - 3n * one) >> guard).toString(16).padStart(digits, '0');
  const words = new Uint32Array(P_WORDS + S_WORDS);
  for (let i = 0; i < words.length; i++) words[i] = parseInt(hex.slice(i * 8, i * 8 + 8), 16);
  PI_WORDS = words;
  return words;
}

/** Blowfish state: P (18 words) followed by the four S-boxes (4 × 256 words). */
class Blowfish {
  readonly p: Uint32Array;
  readonly s: Uint32Array;
  /** output of the last encipher(): [left, right] */
  readonly lr = new Uint32Array(2);

  constructor() {
    const init = piWords();
    this.p = init.slice(0, P_WORDS);
    this.s = init.slice(P_WORDS);
  }

  encipher(l: number, r: number): void {
    const { p, s } = this;
    l ^= p[0]!;
    for (let i = 1; i <= 16; i += 2) {
      r ^= ((((s[l >>> 24]! + s[0x100 | ((l >>> 16) & 0xff)]!) ^ s[0x200 | ((l >>> 8) & 0xff)]!) + s[0x300 | (l & 0xff)]!) ^ p[i]!);
      l ^= ((((s[r >>> 24]! + s[0x100 | ((r >>> 16) & 0xff)]!) ^ s[0x200 | ((r >>> 8) & 0xff)]!) + s[0x300 | (r & 0xff)]!) ^ p[i + 1]!);
    }
    this.lr[0] = r ^ p[17]!;
    this.lr[1] = l;
  }

  /** Blowfish_expandstate (data != null) / Blowfish_expand0state (data == null). */
  expand(key: Uint8Array, data: Uint8Array | null): void {
    const { p, s, lr } = this;
    const k = { pos: 0 };
    for (let i = 0; i < P_WORDS; i++) p[i] = p[i]! ^ streamWord(key, k);
    const d = { pos: 0 };
    let l = 0;
    let r = 0;
    for (let i = 0; i < P_WORDS; i += 2) {
      if (data) {
        l ^= streamWord(data, d);
        r ^= streamWord(data, d);
      }
      this.encipher(l, r);
      l = p[i] = lr[0]!;
      r = p[i + 1] = lr[1]!;
    }
    for (let i = 0; i < S_WORDS; i += 2) {
      if (data) {
        l ^= streamWord(data, d);
        r ^= streamWord(data, d);
      }
      this.encipher(l, r);
      l = s[i] = lr[0]!;
      r = s[i + 1] = lr[1]!;
    }
  }
}

/** Blowfish_stream2word: the next big-endian word of `data`, wrapping around. */
function streamWord(data: Uint8Array, at: { pos: number }): number {
  let w = 0;
  for (let i = 0; i < 4; i++) {
    if (at.pos >= data.length) at.pos = 0;
    w = (w << 8) | data[at.pos++]!;
  }
  return w >>> 0;
}

const MAGIC = new TextEncoder().encode('OxychromaticBlowfishSwatDynamite');
const HASH_SIZE = 32;

/** bcrypt_hash: a 32-byte block from SHA-512'd password and salt. */
function bcryptHash(sha2pass: Uint8Array, sha2salt: Uint8Array): Uint8Array {
  const bf = new Blowfish();
  bf.expand(sha2pass, sha2salt);
  for (let i = 0; i < 64; i++) {
    bf.expand(sha2salt, null);
    bf.expand(sha2pass, null);
  }
  const c = new Uint32Array(8);
  const at = { pos: 0 };
  for (let i = 0; i < 8; i++) c[i] = streamWord(MAGIC, at);
  for (let n = 0; n < 64; n++) {
    for (let b = 0; b < 8; b += 2) {
      bf.encipher(c[b]!, c[b + 1]!);
      c[b] = bf.lr[0]!;
      c[b + 1] = bf.lr[1]!;
    }
  }
  const out = new Uint8Array(HASH_SIZE);
  for (let i = 0; i < 8; i++) {
    out[4 * i] = c[i]! & 0xff;
    out[4 * i + 1] = (c[i]! >>> 8) & 0xff;
    out[4 * i + 2] = (c[i]! >>> 16) & 0xff;
    out[4 * i + 3] = c[i]! >>> 24;
  }
  return out;
}

/**
 * Derive `keyLength` bytes from `password` and `salt` with `rounds` iterations.
 * @example bcryptPbkdf(utf8('password'), utf8('salt'), 4, 32)
 */
export function bcryptPbkdf(password: Uint8Array, salt: Uint8Array, rounds: number, keyLength: number): Uint8Array {
  if (rounds < 1 || keyLength < 1 || keyLength > HASH_SIZE * HASH_SIZE || salt.length === 0) {
    throw new RangeError('bcryptPbkdf: invalid parameters');
  }
  const key = new Uint8Array(keyLength);
  const stride = Math.ceil(keyLength / HASH_SIZE);
  const amount = Math.ceil(keyLength / stride);
  const sha2pass = sha512(password);
  const countSalt = new Uint8Array(salt.length + 4);
  countSalt.set(salt);
  let remaining = keyLength;
  for (let count = 1; remaining > 0; count++) {
    new DataView(countSalt.buffer).setUint32(salt.length, count);
    let tmp = bcryptHash(sha2pass, sha512(countSalt));
    const out = tmp.slice();
    for (let i = 1; i < rounds; i++) {
      tmp = bcryptHash(sha2pass, sha512(tmp));
      for (let j = 0; j < HASH_SIZE; j++) out[j] ^= tmp[j]!;
    }
    // Output bytes are interleaved across blocks (key[i·stride + count − 1]).
    let i = 0;
    for (; i < Math.min(amount, remaining); i++) {
      const dest = i * stride + (count - 1);
      if (dest >= keyLength) break;
      key[dest] = out[i]!;
    }
    remaining -= i;
  }
  return key;
}
