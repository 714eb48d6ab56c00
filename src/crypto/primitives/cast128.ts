/**
 * CAST-128 (RFC 2144), the cipher of SSH's `cast128-cbc` (RFC 4253 §6.3, 128-bit key).
 * Insecure by today's standards (64-bit block); kept only for old servers.
 *
 * A 12- or 16-round Feistel network on a big-endian word pair. Keys of 5..16 bytes are
 * zero-padded to 16 (RFC 2144 §2.5); keys of 80 bits or less use 12 rounds.
 * S-box lookups are indexed by secret data: not constant-time.
 */
import { SshError } from '../../errors.js';
import type { WordBlockCipher } from './block64.js';
import { castSboxes } from './cast128-sboxes.js';
import { readBE32, writeBE32 } from '../../wire/bytes.js';

const S5 = 4 * 256;
const S6 = 5 * 256;
const S7 = 6 * 256;
const S8 = 7 * 256;

/**
 * The key-extraction equations of RFC 2144 §2.4, per group of four subkeys: for subkey j,
 * K = S5[a] ⊕ S6[b] ⊕ S7[c] ⊕ S8[d] ⊕ S(5+j)[e], with [a, b, c, d, e] byte indexes into the
 * array (z or x) the group reads.
 */
const EXTRACT: readonly (readonly (readonly number[])[])[] = [
  // K1..K4 (and K17..K20), from z
  [
    [0x8, 0x9, 0x7, 0x6, 0x2],
    [0xa, 0xb, 0x5, 0x4, 0x6],
    [0xc, 0xd, 0x3, 0x2, 0x9],
    [0xe, 0xf, 0x1, 0x0, 0xc],
  ],
  // K5..K8, from x
  [
    [0x3, 0x2, 0xc, 0xd, 0x8],
    [0x1, 0x0, 0xe, 0xf, 0xd],
    [0x7, 0x6, 0x8, 0x9, 0x3],
    [0x5, 0x4, 0xa, 0xb, 0x7],
  ],
  // K9..K12, from z
  [
    [0x3, 0x2, 0xc, 0xd, 0x9],
    [0x1, 0x0, 0xe, 0xf, 0xc],
    [0x7, 0x6, 0x8, 0x9, 0x2],
    [0x5, 0x4, 0xa, 0xb, 0x6],
  ],
  // K13..K16, from x
  [
    [0x8, 0x9, 0x7, 0x6, 0x3],
    [0xa, 0xb, 0x5, 0x4, 0x7],
    [0xc, 0xd, 0x3, 0x2, 0x8],
    [0xe, 0xf, 0x1, 0x0, 0xd],
  ],
];

const EXTRACT_FLAT = Uint8Array.from(EXTRACT.flat(2));

// z0z1z2z3 = x0x1x2x3 ⊕ S5[xD] ⊕ S6[xF] ⊕ S7[xC] ⊕ S8[xE] ⊕ S7[x8], and so on (RFC 2144 §2.4)
function zFromX(s: Uint32Array, x: Uint8Array, z: Uint8Array): void {
  writeBE32(z, 0, readBE32(x, 0) ^ s[S5 + x[0xd]!]! ^ s[S6 + x[0xf]!]! ^ s[S7 + x[0xc]!]! ^ s[S8 + x[0xe]!]! ^ s[S7 + x[0x8]!]!);
  writeBE32(z, 4, readBE32(x, 8) ^ s[S5 + z[0x0]!]! ^ s[S6 + z[0x2]!]! ^ s[S7 + z[0x1]!]! ^ s[S8 + z[0x3]!]! ^ s[S8 + x[0xa]!]!);
  writeBE32(z, 8, readBE32(x, 12) ^ s[S5 + z[0x7]!]! ^ s[S6 + z[0x6]!]! ^ s[S7 + z[0x5]!]! ^ s[S8 + z[0x4]!]! ^ s[S5 + x[0x9]!]!);
  writeBE32(z, 12, readBE32(x, 4) ^ s[S5 + z[0xa]!]! ^ s[S6 + z[0x9]!]! ^ s[S7 + z[0xb]!]! ^ s[S8 + z[0x8]!]! ^ s[S6 + x[0xb]!]!);
}

// x0x1x2x3 = z8z9zAzB ⊕ S5[z5] ⊕ S6[z7] ⊕ S7[z4] ⊕ S8[z6] ⊕ S7[z0], and so on
function xFromZ(s: Uint32Array, x: Uint8Array, z: Uint8Array): void {
  writeBE32(x, 0, readBE32(z, 8) ^ s[S5 + z[0x5]!]! ^ s[S6 + z[0x7]!]! ^ s[S7 + z[0x4]!]! ^ s[S8 + z[0x6]!]! ^ s[S7 + z[0x0]!]!);
  writeBE32(x, 4, readBE32(z, 0) ^ s[S5 + x[0x0]!]! ^ s[S6 + x[0x2]!]! ^ s[S7 + x[0x1]!]! ^ s[S8 + x[0x3]!]! ^ s[S8 + z[0x2]!]!);
  writeBE32(x, 8, readBE32(z, 4) ^ s[S5 + x[0x7]!]! ^ s[S6 + x[0x6]!]! ^ s[S7 + x[0x5]!]! ^ s[S8 + x[0x4]!]! ^ s[S5 + z[0x1]!]!);
  writeBE32(x, 12, readBE32(z, 12) ^ s[S5 + x[0xa]!]! ^ s[S6 + x[0x9]!]! ^ s[S7 + x[0xb]!]! ^ s[S8 + x[0x8]!]! ^ s[S6 + z[0x3]!]!);
}

/** Four subkeys K[at..at+3] from `from` (z or x) by the equations of EXTRACT[group]. */
function extract(s: Uint32Array, from: Uint8Array, group: number, K: Uint32Array, at: number): void {
  const eq = EXTRACT_FLAT;
  for (let j = 0, q = group * 20; j < 4; j++, q += 5) {
    K[at + j] =
      s[S5 + from[eq[q]!]!]! ^ s[S6 + from[eq[q + 1]!]!]! ^ s[S7 + from[eq[q + 2]!]!]! ^ s[S8 + from[eq[q + 3]!]!]! ^ s[S5 + 256 * j + from[eq[q + 4]!]!]!;
  }
}

/** Scratch for the key schedule (synchronous, zeroed after each use). */
const X = new Uint8Array(16);
const Z = new Uint8Array(16);
const K = new Uint32Array(32);

/**
 * The 32 subkey words K1..K32 of RFC 2144 §2.4 from a 5..16-byte key (zero-padded to x),
 * into the shared scratch `K`: the caller copies them out and zeroes `K`.
 */
function subkeys(key: Uint8Array): Uint32Array {
  const s = castSboxes();
  const x = X;
  const z = Z;
  x.fill(0);
  x.set(key);
  // K1..K16, then the same steps again (continuing from the current x) for K17..K32
  for (let half = 0; half < 32; half += 16) {
    zFromX(s, x, z);
    extract(s, z, 0, K, half);
    xFromZ(s, x, z);
    extract(s, x, 1, K, half + 4);
    zFromX(s, x, z);
    extract(s, z, 2, K, half + 8);
    xFromZ(s, x, z);
    extract(s, x, 3, K, half + 12);
  }
  x.fill(0);
  z.fill(0);
  return K;
}

/**
 * CAST-128 with a 5..16-byte key.
 *
 * @example
 * ```ts
 * const cbc = new Cbc64(new Cast128(key16), iv8); // cast128-cbc
 * ```
 */
export class Cast128 implements WordBlockCipher {
  /** masking subkeys Km1..Km16 */
  private readonly km = new Uint32Array(16);
  /** rotation subkeys Kr1..Kr16 (5 bits each) */
  private readonly kr = new Uint8Array(16);
  private readonly rounds: number;
  private readonly s: Uint32Array;

  constructor(key: Uint8Array) {
    if (!(key instanceof Uint8Array) || key.length < 5 || key.length > 16) {
      throw new SshError('INVAL', 'CAST-128 key: expected 5 to 16 bytes');
    }
    const K = subkeys(key);
    for (let i = 0; i < 16; i++) {
      this.km[i] = K[i]!;
      this.kr[i] = K[16 + i]! & 31;
    }
    K.fill(0);
    this.rounds = key.length <= 10 ? 12 : 16;
    this.s = castSboxes();
  }

  /** f_i of round i (0-based): types 1, 2, 3 in turn (RFC 2144 §2.2). */
  private f(i: number, d: number): number {
    const s = this.s;
    const km = this.km[i]!;
    const kr = this.kr[i]!;
    let v: number;
    switch (i % 3) {
      case 0:
        v = (km + d) >>> 0;
        v = ((v << kr) | (v >>> (32 - kr))) >>> 0;
        return ((s[v >>> 24]! ^ s[0x100 | ((v >>> 16) & 0xff)]!) - s[0x200 | ((v >>> 8) & 0xff)]! + s[0x300 | (v & 0xff)]!) >>> 0;
      case 1:
        v = (km ^ d) >>> 0;
        v = ((v << kr) | (v >>> (32 - kr))) >>> 0;
        return ((s[v >>> 24]! - s[0x100 | ((v >>> 16) & 0xff)]! + s[0x200 | ((v >>> 8) & 0xff)]!) ^ s[0x300 | (v & 0xff)]!) >>> 0;
      default:
        v = (km - d) >>> 0;
        v = ((v << kr) | (v >>> (32 - kr))) >>> 0;
        return (((s[v >>> 24]! + s[0x100 | ((v >>> 16) & 0xff)]!) ^ s[0x200 | ((v >>> 8) & 0xff)]!) - s[0x300 | (v & 0xff)]!) >>> 0;
    }
  }

  /** L_i = R_{i-1}; R_i = L_{i-1} ⊕ f_i(R_{i-1}); output (R_n, L_n) (RFC 2144 §2.1). */
  encryptWords(w: Uint32Array, off = 0): void {
    let l = w[off]!;
    let r = w[off + 1]!;
    for (let i = 0; i < this.rounds; i++) {
      const t = (l ^ this.f(i, r)) >>> 0;
      l = r;
      r = t;
    }
    w[off] = r;
    w[off + 1] = l;
  }

  /** The same network with the subkeys in reverse order (RFC 2144 §2.1). */
  decryptWords(w: Uint32Array, off = 0): void {
    let l = w[off]!;
    let r = w[off + 1]!;
    for (let i = this.rounds - 1; i >= 0; i--) {
      const t = (l ^ this.f(i, r)) >>> 0;
      l = r;
      r = t;
    }
    w[off] = r;
    w[off + 1] = l;
  }

  dispose(): void {
    this.km.fill(0);
    this.kr.fill(0);
  }
}
