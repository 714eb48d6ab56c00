/**
 * Blowfish (B. Schneier, "Description of a New Variable-Length Key, 64-Bit Block Cipher
 * (Blowfish)", FSE 1993), the cipher of SSH's `blowfish-cbc` (RFC 4253 §6.3, 128-bit key),
 * and the core of bcrypt / bcrypt_pbkdf (OpenBSD blf.c), which need the two "expand state"
 * key schedules exported here.
 *
 * The initial P-array and S-boxes are the hexadecimal digits of π's fractional part
 * (243F6A88 85A308D3 …, 18 + 4·256 words). Rather than ship 4 KiB of constants they are
 * computed once, on first use, from Machin's formula with BigInt (tens of milliseconds).
 *
 * Table lookups are indexed by secret data: not constant-time, like every software Blowfish.
 *
 * @example
 * ```ts
 * // blowfish-cbc
 * const cbc = new Cbc64(new Blowfish(key16), iv8);
 * // bcrypt_pbkdf's bcrypt_hash
 * const bf = new Blowfish();            // the π state
 * bf.expandState(sha2salt, sha2pass);   // Blowfish_expandstate
 * bf.expand0State(sha2salt);            // Blowfish_expand0state
 * bf.encryptWords(cdata, 2 * i);        // blf_enc on one word pair
 * ```
 */
import { SshError } from '../../errors.js';
import type { WordBlockCipher } from './block64.js';

export const BLOWFISH_P_WORDS = 18;
export const BLOWFISH_S_WORDS = 4 * 256;
/** The longest key the key schedule takes (OpenBSD/OpenSSL: 72 bytes = all 18 P words). */
export const BLOWFISH_MAX_KEY_BYTES = 4 * BLOWFISH_P_WORDS;

let PI_WORDS: Uint32Array | undefined;

/**
 * The first 18 + 1024 32-bit words of π's hexadecimal fraction, the initial P ‖ S state.
 * Shared and frozen in spirit: callers copy, never modify.
 */
export function blowfishPiWords(): Uint32Array {
  if (PI_WORDS) return PI_WORDS;
  const words = BLOWFISH_P_WORDS + BLOWFISH_S_WORDS;
  const guard = 64n; // extra bits so that the truncation errors of the series stay invisible
  const bits = BigInt(words * 32) + guard;
  const one = 1n << bits;
  /** atan(1/x) · 2^bits by its Taylor series x⁻¹ − x⁻³/3 + x⁻⁵/5 − … */
  const atanInv = (x: bigint): bigint => {
    const x2 = x * x;
    let power = one / x;
    let sum = 0n;
    for (let k = 1n, positive = true; power !== 0n; k += 2n, positive = !positive) {
      sum += positive ? power / k : -(power / k);
      power /= x2;
    }
    return sum;
  };
  // Machin (1706): π/4 = 4·atan(1/5) − atan(1/239)
  const pi = 16n * atanInv(5n) - 4n * atanInv(239n);
  let frac = (pi - 3n * one) >> guard; // the fraction, as words·32 bits
  const out = new Uint32Array(words);
  for (let i = words - 1; i >= 0; i--) {
    out[i] = Number(frac & 0xffffffffn);
    frac >>= 32n;
  }
  PI_WORDS = out;
  return out;
}

/**
 * Blowfish_stream2word: the next big-endian word of `data` starting at `at.pos`, wrapping
 * around to the start of `data` (how Blowfish and bcrypt cycle keys and salts).
 */
export function streamToWord(data: Uint8Array, at: { pos: number }): number {
  let w = 0;
  let pos = at.pos;
  for (let i = 0; i < 4; i++) {
    if (pos >= data.length) pos = 0;
    w = (w << 8) | data[pos++]!;
  }
  at.pos = pos;
  return w >>> 0;
}

function checkKey(key: Uint8Array, what: string): void {
  if (!(key instanceof Uint8Array) || key.length === 0) throw new SshError('INVAL', `Blowfish ${what}: must not be empty`);
}

/**
 * A Blowfish state: P (18 words) and S (four S-boxes, 4 × 256 words).
 *
 * `new Blowfish(key)` runs Schneier's key schedule (the same as `expand0State(key)` on the
 * π state); `new Blowfish()` leaves the π state for callers that drive the schedule
 * themselves (bcrypt). Keys of 1..72 bytes are accepted; SSH's blowfish-cbc uses 16.
 */
export class Blowfish implements WordBlockCipher {
  readonly p: Uint32Array;
  readonly s: Uint32Array;
  private readonly lr = new Uint32Array(2);

  constructor(key?: Uint8Array) {
    const init = blowfishPiWords();
    this.p = init.slice(0, BLOWFISH_P_WORDS);
    this.s = init.slice(BLOWFISH_P_WORDS);
    if (key !== undefined) {
      if (key.length > BLOWFISH_MAX_KEY_BYTES) throw new SshError('INVAL', `Blowfish key: at most ${BLOWFISH_MAX_KEY_BYTES} bytes`);
      this.expand0State(key);
    }
  }

  /** Encipher the word pair w[off] (left), w[off+1] (right) in place: 16 rounds, P[16], P[17]. */
  encryptWords(w: Uint32Array, off = 0): void {
    const { p, s } = this;
    let l = w[off]!;
    let r = w[off + 1]!;
    l ^= p[0]!;
    for (let i = 1; i <= 16; i += 2) {
      // F(x) = ((S1[a] + S2[b]) ⊕ S3[c]) + S4[d], a..d the bytes of x from the top
      r ^= (((s[l >>> 24]! + s[0x100 | ((l >>> 16) & 0xff)]!) ^ s[0x200 | ((l >>> 8) & 0xff)]!) + s[0x300 | (l & 0xff)]!) ^ p[i]!;
      l ^= (((s[r >>> 24]! + s[0x100 | ((r >>> 16) & 0xff)]!) ^ s[0x200 | ((r >>> 8) & 0xff)]!) + s[0x300 | (r & 0xff)]!) ^ p[i + 1]!;
    }
    w[off] = r ^ p[17]!;
    w[off + 1] = l;
  }

  /** Decipher the word pair in place: the rounds with P in reverse order. */
  decryptWords(w: Uint32Array, off = 0): void {
    const { p, s } = this;
    let l = w[off]!;
    let r = w[off + 1]!;
    l ^= p[17]!;
    for (let i = 16; i >= 1; i -= 2) {
      r ^= (((s[l >>> 24]! + s[0x100 | ((l >>> 16) & 0xff)]!) ^ s[0x200 | ((l >>> 8) & 0xff)]!) + s[0x300 | (l & 0xff)]!) ^ p[i]!;
      l ^= (((s[r >>> 24]! + s[0x100 | ((r >>> 16) & 0xff)]!) ^ s[0x200 | ((r >>> 8) & 0xff)]!) + s[0x300 | (r & 0xff)]!) ^ p[i - 1]!;
    }
    w[off] = r ^ p[0]!;
    w[off + 1] = l;
  }

  /**
   * Blowfish_expandstate(salt, key) (bcrypt's EksBlowfishSetup step): P ⊕= key (cycled),
   * then P and S are replaced, pair by pair, by encrypting the running block XORed with
   * the next two words of `salt` (cycled).
   */
  expandState(salt: Uint8Array, key: Uint8Array): void {
    checkKey(key, 'key');
    checkKey(salt, 'salt');
    this.expand(key, salt);
  }

  /**
   * Blowfish_expand0state(key): Schneier's original key schedule — P ⊕= key (cycled),
   * then P and S are replaced by successive encryptions of the all-zero block.
   */
  expand0State(key: Uint8Array): void {
    checkKey(key, 'key');
    this.expand(key, null);
  }

  private expand(key: Uint8Array, salt: Uint8Array | null): void {
    const { p, s, lr } = this;
    const k = { pos: 0 };
    for (let i = 0; i < BLOWFISH_P_WORDS; i++) p[i] = p[i]! ^ streamToWord(key, k);
    const d = { pos: 0 };
    lr[0] = 0;
    lr[1] = 0;
    const fill = (table: Uint32Array): void => {
      for (let i = 0; i < table.length; i += 2) {
        if (salt) {
          lr[0] = lr[0]! ^ streamToWord(salt, d);
          lr[1] = lr[1]! ^ streamToWord(salt, d);
        }
        this.encryptWords(lr, 0);
        table[i] = lr[0]!;
        table[i + 1] = lr[1]!;
      }
    };
    fill(p);
    fill(s);
    lr.fill(0);
  }

  dispose(): void {
    this.p.fill(0);
    this.s.fill(0);
    this.lr.fill(0);
  }
}
