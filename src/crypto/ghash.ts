/**
 * GHASH (NIST SP 800-38D §6.4) with its multiplication table built once per hash key, for
 * AES-GCM connections where the key H = E_K(0^128) is fixed for every packet of a direction.
 *
 * Multiplying by H is linear over GF(2), so X·H is the XOR over X's 16 bytes of
 * T[p][X_p] = (X_p at byte p)·H: 16 lookups of four 32-bit words per block, no reduction
 * step. The table (16 × 256 × 4 words, 64 KiB) lives in one Int32Array: noble's GHASH keeps
 * a table of objects and builds it per message, which costs about as much as hashing a
 * 16 KiB packet, and V8 with pointer compression (Chromium; not Node) boxes the object
 * fields that do not fit a small integer. Like noble's, the lookups are indexed by the
 * hashed data XORed with the state, so they are not cache-timing constant.
 */

/** words per 128-bit element */
const W = 4;
const TABLE_WORDS = 16 * 256 * W;
/** x^0 · ... · x^7 of GCM's bit order: the reduction constant R = 11100001 ‖ 0^120 (§6.3) */
const R = 0xe1000000 | 0;

/** A GHASH state under one key: absorb blocks, read the result, start again. */
export class Ghash {
  private readonly table = new Int32Array(TABLE_WORDS);
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  /** the block being multiplied, as words */
  private readonly x = new Int32Array(W);

  /** `h`: the 16-byte hash key (E_K(0^128) for GCM). */
  constructor(h: Uint8Array) {
    if (h.length !== 16) throw new RangeError('ghash: the key must be 16 bytes');
    const t = this.table;
    let v0 = be32(h, 0);
    let v1 = be32(h, 4);
    let v2 = be32(h, 8);
    let v3 = be32(h, 12);
    // Bit i of a block (byte i >> 3, mask 0x80 >> (i & 7)) is the coefficient of x^i, so the
    // single-bit entries are H·x^i: H "shifted right" i times with reduction (§6.3, Algorithm 1).
    for (let p = 0; p < 16; p++) {
      const base = p * 256 * W;
      for (let bit = 0x80; bit > 0; bit >>>= 1) {
        const at = base + bit * W;
        t[at] = v0;
        t[at + 1] = v1;
        t[at + 2] = v2;
        t[at + 3] = v3;
        const carry = v3 & 1;
        v3 = (v3 >>> 1) | (v2 << 31);
        v2 = (v2 >>> 1) | (v1 << 31);
        v1 = (v1 >>> 1) | (v0 << 31);
        v0 = (v0 >>> 1) ^ (R & -carry);
      }
      // Every other byte value is the XOR of its bits' entries: v = (highest bit) ^ rest.
      for (let v = 2; v < 256; v++) {
        const high = 1 << (31 - Math.clz32(v));
        if (v === high) continue;
        const at = base + v * W;
        const a = base + high * W;
        const b = base + (v ^ high) * W;
        t[at] = t[a]! ^ t[b]!;
        t[at + 1] = t[a + 1]! ^ t[b + 1]!;
        t[at + 2] = t[a + 2]! ^ t[b + 2]!;
        t[at + 3] = t[a + 3]! ^ t[b + 3]!;
      }
    }
  }

  /** Start a new message. */
  reset(): void {
    this.s0 = this.s1 = this.s2 = this.s3 = 0;
  }

  /** Absorb `data`, its last partial block padded with zeros (§6.4: each field is padded on its own). */
  update(data: Uint8Array): void {
    const n = data.length;
    const full = n & ~15;
    for (let i = 0; i < full; i += 16) this.block(be32(data, i), be32(data, i + 4), be32(data, i + 8), be32(data, i + 12));
    if (full < n) {
      const last = new Uint8Array(16);
      last.set(data.subarray(full));
      this.block(be32(last, 0), be32(last, 4), be32(last, 8), be32(last, 12));
    }
  }

  /** Absorb one block given as four big-endian words (e.g. the lengths block). */
  block(w0: number, w1: number, w2: number, w3: number): void {
    const x = this.x;
    x[0] = this.s0 ^ w0;
    x[1] = this.s1 ^ w1;
    x[2] = this.s2 ^ w2;
    x[3] = this.s3 ^ w3;
    const t = this.table;
    let z0 = 0;
    let z1 = 0;
    let z2 = 0;
    let z3 = 0;
    // Byte p of X (big-endian across the four words) picks its entry in table p.
    for (let p = 0; p < 16; p++) {
      const e = (p * 256 + ((x[p >> 2]! >>> (24 - 8 * (p & 3))) & 0xff)) * W;
      z0 ^= t[e]!;
      z1 ^= t[e + 1]!;
      z2 ^= t[e + 2]!;
      z3 ^= t[e + 3]!;
    }
    this.s0 = z0;
    this.s1 = z1;
    this.s2 = z2;
    this.s3 = z3;
  }

  /** The hash so far, big-endian, into out[offset..offset+16]. */
  digestInto(out: Uint8Array, offset = 0): void {
    put32(out, offset, this.s0);
    put32(out, offset + 4, this.s1);
    put32(out, offset + 8, this.s2);
    put32(out, offset + 12, this.s3);
  }

  /** Zero the table and the state. */
  dispose(): void {
    this.table.fill(0);
    this.reset();
  }
}

function be32(b: Uint8Array, i: number): number {
  return (b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!;
}

function put32(b: Uint8Array, i: number, v: number): void {
  b[i] = v >>> 24;
  b[i + 1] = v >>> 16;
  b[i + 2] = v >>> 8;
  b[i + 3] = v;
}
