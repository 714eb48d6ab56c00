/**
 * DES (FIPS 46-3) and Triple-DES EDE with three keys (NIST SP 800-67 Rev. 2 §3.2, keying
 * option 1), the cipher of SSH's `3des-cbc` (RFC 4253 §6.3). Insecure: kept only so that
 * old servers can be reached.
 *
 * Written from the standard's tables below (bit numbers are 1-based from the most
 * significant bit, as in FIPS 46-3). For speed the S-boxes are merged with the permutation
 * P into eight 64-entry tables, and IP / IP⁻¹ are applied byte-wise through lookup tables;
 * all of these are computed from the FIPS tables on first use, not written out.
 *
 * Table lookups are indexed by key-dependent data: like every software DES this is not
 * constant-time. (SSH's threat model for 3des-cbc is "old device on a trusted network".)
 */
import { SshError } from '../../errors.js';
import type { WordBlockCipher } from './block64.js';
import { readBE32 } from '../../wire/bytes.js';

// ---- FIPS 46-3 tables ----

/** Initial permutation IP: output bit i comes from input bit IP[i]. */
const IP = [
  58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4, 62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24, 16, 8, 57, 49, 41, 33, 25, 17, 9, 1, 59,
  51, 43, 35, 27, 19, 11, 3, 61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31, 23, 15, 7,
];

/** Permutation P applied to the S-box outputs. */
const P = [16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, 2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25];

/** Permuted choice 1: the 56 key bits kept, as C (first 28) and D (last 28). */
const PC1 = [
  57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36, 63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30,
  22, 14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
];

/** Permuted choice 2: the 48 bits of each round key, taken from C‖D. */
const PC2 = [
  14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2, 41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48, 44, 49, 39, 56, 34,
  53, 46, 42, 50, 36, 29, 32,
];

/** Left rotations of C and D before each round. */
const SHIFTS = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1];

/** S1..S8, each 4 rows × 16 columns; row = bits 1 and 6 of the 6-bit input, column = bits 2..5. */
const S = [
  [
    14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7, 0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8, 4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10,
    5, 0, 15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13,
  ],
  [
    15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10, 3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5, 0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3,
    2, 15, 13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9,
  ],
  [
    10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8, 13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1, 13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10,
    14, 7, 1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12,
  ],
  [
    7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15, 13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9, 10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2,
    8, 4, 3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14,
  ],
  [
    2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9, 14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6, 4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3,
    0, 14, 11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3,
  ],
  [
    12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11, 10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8, 9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13,
    11, 6, 4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13,
  ],
  [
    4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1, 13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6, 1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5,
    9, 2, 6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12,
  ],
  [
    13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7, 1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2, 7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3,
    5, 8, 2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11,
  ],
];

/** The raw FIPS 46-3 tables, for tests that check their structure. */
export const __TABLES = Object.freeze({ IP, P, PC1, PC2, SHIFTS, S });

// ---- derived lookup tables (built once) ----

interface Tables {
  /** SP[i·64 + v]: S-box i applied to the 6-bit v, placed in its nibble and permuted by P */
  sp: Uint32Array;
  /** byte-wise IP: [(byteIndex·256 + byte)·2 + half] → output word contribution */
  ip: Uint32Array;
  /** byte-wise IP⁻¹ */
  fp: Uint32Array;
}

let TABLES: Tables | undefined;

/** Bit `n` (1-based from the MSB) of the 64-bit value (hi, lo). */
function bit64(hi: number, lo: number, n: number): number {
  return n <= 32 ? (hi >>> (32 - n)) & 1 : (lo >>> (64 - n)) & 1;
}

/** Byte-wise lookup table for a 64→64-bit permutation `perm` (output bit i ← input bit perm[i]). */
function permutationTable(perm: readonly number[]): Uint32Array {
  const t = new Uint32Array(8 * 256 * 2);
  for (let byteIndex = 0; byteIndex < 8; byteIndex++) {
    for (let v = 0; v < 256; v++) {
      // the input with only this byte set
      const hi = byteIndex < 4 ? (v << (24 - 8 * byteIndex)) >>> 0 : 0;
      const lo = byteIndex >= 4 ? (v << (24 - 8 * (byteIndex - 4))) >>> 0 : 0;
      let oh = 0;
      let ol = 0;
      for (let i = 0; i < 64; i++) {
        if (!bit64(hi, lo, perm[i]!)) continue;
        if (i < 32) oh |= 1 << (31 - i);
        else ol |= 1 << (63 - i);
      }
      t[(byteIndex * 256 + v) * 2] = oh >>> 0;
      t[(byteIndex * 256 + v) * 2 + 1] = ol >>> 0;
    }
  }
  return t;
}

function tables(): Tables {
  if (TABLES) return TABLES;
  const sp = new Uint32Array(8 * 64);
  for (let i = 0; i < 8; i++) {
    for (let v = 0; v < 64; v++) {
      const row = ((v >>> 4) & 2) | (v & 1);
      const col = (v >>> 1) & 0xf;
      const s = S[i]![row * 16 + col]! << (28 - 4 * i); // nibble i of the 32-bit S output
      let out = 0;
      for (let j = 0; j < 32; j++) if ((s >>> (32 - P[j]!)) & 1) out |= 1 << (31 - j);
      sp[i * 64 + v] = out >>> 0;
    }
  }
  const inverse = new Array<number>(64);
  for (let i = 0; i < 64; i++) inverse[IP[i]! - 1] = i + 1;
  TABLES = { sp, ip: permutationTable(IP), fp: permutationTable(inverse) };
  return TABLES;
}

/** Apply a byte-wise permutation table to w[off], w[off+1] in place. */
function permute(t: Uint32Array, w: Uint32Array, off: number): void {
  const a = w[off]!;
  const b = w[off + 1]!;
  let hi = 0;
  let lo = 0;
  for (let k = 0; k < 4; k++) {
    const ia = (k * 256 + ((a >>> (24 - 8 * k)) & 0xff)) * 2;
    const ib = ((k + 4) * 256 + ((b >>> (24 - 8 * k)) & 0xff)) * 2;
    hi |= t[ia]! | t[ib]!;
    lo |= t[ia + 1]! | t[ib + 1]!;
  }
  w[off] = hi;
  w[off + 1] = lo;
}

/**
 * The 16 round keys, each as eight 6-bit groups (one per S-box), for encryption; decryption
 * uses them in reverse round order.
 */
function keySchedule(key: Uint8Array, at: number): Uint8Array {
  const hi = readBE32(key, at);
  const lo = readBE32(key, at + 4);
  // C and D as arrays of bits (PC-1 ignores the parity bits 8, 16, ..., 64)
  const cd = PC1.map((n) => bit64(hi, lo, n));
  const sub = new Uint8Array(16 * 8);
  for (let round = 0; round < 16; round++) {
    for (let s = 0; s < SHIFTS[round]!; s++) {
      cd.splice(0, 28, ...cd.slice(1, 28), cd[0]!);
      cd.splice(28, 28, ...cd.slice(29, 56), cd[28]!);
    }
    for (let g = 0; g < 8; g++) {
      let v = 0;
      for (let b = 0; b < 6; b++) v = (v << 1) | cd[PC2[g * 6 + b]! - 1]!;
      sub[round * 8 + g] = v;
    }
  }
  cd.fill(0);
  return sub;
}

function reverseRounds(sub: Uint8Array): Uint8Array {
  const out = new Uint8Array(sub.length);
  for (let r = 0; r < 16; r++) out.set(sub.subarray((15 - r) * 8, (16 - r) * 8), r * 8);
  return out;
}

/**
 * The 16 Feistel rounds on (L, R) = w[off], w[off+1], then the final swap (the "preoutput"
 * R16‖L16). f(R, K) = P(S(E(R) ⊕ K)); E's eight 6-bit groups are bits 4i..4i+5 of R,
 * wrapping from bit 32 to bit 1.
 */
function rounds(sp: Uint32Array, sub: Uint8Array, w: Uint32Array, off: number): void {
  let l = w[off]!;
  let r = w[off + 1]!;
  for (let k = 0; k < 128; k += 8) {
    const f =
      sp[(((r & 1) << 5) | (r >>> 27)) ^ sub[k]!]! |
      sp[64 + (((r >>> 23) & 0x3f) ^ sub[k + 1]!)]! |
      sp[128 + (((r >>> 19) & 0x3f) ^ sub[k + 2]!)]! |
      sp[192 + (((r >>> 15) & 0x3f) ^ sub[k + 3]!)]! |
      sp[256 + (((r >>> 11) & 0x3f) ^ sub[k + 4]!)]! |
      sp[320 + (((r >>> 7) & 0x3f) ^ sub[k + 5]!)]! |
      sp[384 + (((r >>> 3) & 0x3f) ^ sub[k + 6]!)]! |
      sp[448 + ((((r & 0x1f) << 1) | (r >>> 31)) ^ sub[k + 7]!)]!;
    const t = (l ^ f) >>> 0;
    l = r;
    r = t;
  }
  w[off] = r;
  w[off + 1] = l;
}

function checkKey(key: Uint8Array, length: number, what: string): void {
  if (!(key instanceof Uint8Array) || key.length !== length) throw new SshError('INVAL', `${what} key: expected ${length} bytes`);
}

/**
 * Single DES with an 8-byte key (parity bits ignored). Only a building block of 3DES and
 * of the known-answer tests: single DES is not an SSH cipher.
 *
 * @example
 * ```ts
 * const des = new Des(key8);
 * const w = new Uint32Array([0x4e6f7720, 0x69732074]); // "Now is t"
 * des.encryptWords(w); // 3fa40e8a 984d4815 (FIPS 81)
 * ```
 */
export class Des implements WordBlockCipher {
  private readonly enc: Uint8Array;
  private readonly dec: Uint8Array;

  constructor(key: Uint8Array) {
    checkKey(key, 8, 'DES');
    this.enc = keySchedule(key, 0);
    this.dec = reverseRounds(this.enc);
  }

  encryptWords(w: Uint32Array, off = 0): void {
    const t = tables();
    permute(t.ip, w, off);
    rounds(t.sp, this.enc, w, off);
    permute(t.fp, w, off);
  }

  decryptWords(w: Uint32Array, off = 0): void {
    const t = tables();
    permute(t.ip, w, off);
    rounds(t.sp, this.dec, w, off);
    permute(t.fp, w, off);
  }

  dispose(): void {
    this.enc.fill(0);
    this.dec.fill(0);
  }
}

/**
 * Triple-DES EDE, keying option 1 (K1, K2, K3 independent; 24-byte key K1‖K2‖K3):
 * C = E_K3(D_K2(E_K1(P))), P = D_K1(E_K2(D_K3(C))) (SP 800-67 §3.2). The inner IP⁻¹/IP pairs
 * cancel, so IP and IP⁻¹ are applied once each.
 *
 * @example
 * ```ts
 * const cbc = new Cbc64(new TripleDes(key24), iv8); // 3des-cbc
 * ```
 */
export class TripleDes implements WordBlockCipher {
  private readonly enc1: Uint8Array;
  private readonly dec2: Uint8Array;
  private readonly enc3: Uint8Array;
  private readonly dec1: Uint8Array;
  private readonly enc2: Uint8Array;
  private readonly dec3: Uint8Array;

  constructor(key: Uint8Array) {
    checkKey(key, 24, '3DES');
    this.enc1 = keySchedule(key, 0);
    this.enc2 = keySchedule(key, 8);
    this.enc3 = keySchedule(key, 16);
    this.dec1 = reverseRounds(this.enc1);
    this.dec2 = reverseRounds(this.enc2);
    this.dec3 = reverseRounds(this.enc3);
  }

  encryptWords(w: Uint32Array, off = 0): void {
    const t = tables();
    permute(t.ip, w, off);
    rounds(t.sp, this.enc1, w, off);
    rounds(t.sp, this.dec2, w, off);
    rounds(t.sp, this.enc3, w, off);
    permute(t.fp, w, off);
  }

  decryptWords(w: Uint32Array, off = 0): void {
    const t = tables();
    permute(t.ip, w, off);
    rounds(t.sp, this.dec3, w, off);
    rounds(t.sp, this.enc2, w, off);
    rounds(t.sp, this.dec1, w, off);
    permute(t.fp, w, off);
  }

  dispose(): void {
    for (const k of [this.enc1, this.enc2, this.enc3, this.dec1, this.dec2, this.dec3]) k.fill(0);
  }
}
