/**
 * AES encryption (FIPS 197) for GCM's counter mode: the key schedule once per key, then a
 * keystream from a 128-bit counter block whose last 32 bits count (SP 800-38D §6.2 inc32).
 * aes*-ctr (RFC 4344), whose counter is all 128 bits, uses it too and carries past the low
 * word itself.
 *
 * Why not noble's `unsafe.ctr32`: its block function calls small helpers per round and returns
 * an object; Node's V8 inlines them, Chromium's (a newer V8, whose inlining budget the larger
 * caller exceeds) did not, and the same AES ran at ~0.7× Node's speed there. This is the
 * classic four-table ("T-table") formulation written as one function, which every tier
 * handles alike. Like noble's, its table lookups are indexed by secret state, so it is not
 * cache-timing constant (neither is any table AES in JavaScript).
 */

const ROUND_CONSTANTS = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36];

interface Tables {
  sbox: Uint8Array;
  /** T0..T3: the S-box, MixColumns column (2·s, s, s, 3·s) and its rotations */
  t0: Uint32Array;
  t1: Uint32Array;
  t2: Uint32Array;
  t3: Uint32Array;
}

let tables: Tables | undefined;

/** The S-box (FIPS 197 §5.1.1) and the round tables, built on first use. */
function getTables(): Tables {
  if (tables) return tables;
  const sbox = new Uint8Array(256);
  // Walk the multiplicative group with generator 3: p = 3^i, q = 3^-i = p^-1 (GF(2^8) mod x^8+x^4+x^3+x+1).
  let p = 1;
  let q = 1;
  do {
    p = (p ^ (p << 1) ^ (p & 0x80 ? 0x1b : 0)) & 0xff;
    q ^= q << 1;
    q ^= q << 2;
    q ^= q << 4;
    q &= 0xff;
    if (q & 0x80) q ^= 0x09;
    // The affine transformation of the inverse.
    const rot = (v: number, n: number) => ((v << n) | (v >>> (8 - n))) & 0xff;
    sbox[p] = q ^ rot(q, 1) ^ rot(q, 2) ^ rot(q, 3) ^ rot(q, 4) ^ 0x63;
  } while (p !== 1);
  sbox[0] = 0x63;
  const t0 = new Uint32Array(256);
  const t1 = new Uint32Array(256);
  const t2 = new Uint32Array(256);
  const t3 = new Uint32Array(256);
  for (let x = 0; x < 256; x++) {
    const s = sbox[x]!;
    const s2 = ((s << 1) ^ (s & 0x80 ? 0x1b : 0)) & 0xff;
    const w = ((s2 << 24) | (s << 16) | (s << 8) | (s2 ^ s)) >>> 0;
    t0[x] = w;
    t1[x] = ((w >>> 8) | (w << 24)) >>> 0;
    t2[x] = ((w >>> 16) | (w << 16)) >>> 0;
    t3[x] = ((w >>> 24) | (w << 8)) >>> 0;
  }
  return (tables = { sbox, t0, t1, t2, t3 });
}

/** The encryption round keys (FIPS 197 §5.2) as big-endian words, 4·(rounds+1) of them. */
export function expandAesKey(key: Uint8Array): Uint32Array {
  const nk = key.length / 4;
  if (nk !== 4 && nk !== 6 && nk !== 8) throw new RangeError('aes: the key must be 16, 24 or 32 bytes');
  const { sbox } = getTables();
  const total = 4 * (nk + 7);
  const w = new Uint32Array(total);
  for (let i = 0; i < nk; i++) w[i] = ((key[4 * i]! << 24) | (key[4 * i + 1]! << 16) | (key[4 * i + 2]! << 8) | key[4 * i + 3]!) >>> 0;
  const subWord = (v: number) => ((sbox[v >>> 24]! << 24) | (sbox[(v >>> 16) & 0xff]! << 16) | (sbox[(v >>> 8) & 0xff]! << 8) | sbox[v & 0xff]!) >>> 0;
  for (let i = nk; i < total; i++) {
    let t = w[i - 1]!;
    if (i % nk === 0) t = subWord(((t << 8) | (t >>> 24)) >>> 0) ^ (ROUND_CONSTANTS[i / nk - 1]! << 24);
    else if (nk > 6 && i % nk === 4) t = subWord(t);
    w[i] = (w[i - nk]! ^ t) >>> 0;
  }
  return w;
}

/**
 * XOR `data` (in place) with the keystream E(K, c0‖c1‖c2‖c3), E(K, c0‖c1‖c2‖c3+1), … where
 * the c are big-endian words and only c3 counts, mod 2^32. Returns the next c3. With
 * `data` of 16 zero bytes this is one block encryption.
 */
export function aesCtr32(rk: Uint32Array, c0: number, c1: number, c2: number, c3: number, data: Uint8Array): number {
  const { sbox, t0, t1, t2, t3 } = getTables();
  const rounds = rk.length / 4 - 1;
  const n = data.length;
  for (let at = 0; at < n; at += 16) {
    let s0 = c0 ^ rk[0]!;
    let s1 = c1 ^ rk[1]!;
    let s2 = c2 ^ rk[2]!;
    let s3 = c3 ^ rk[3]!;
    let k = 4;
    for (let r = 1; r < rounds; r++, k += 4) {
      const u0 = t0[s0 >>> 24]! ^ t1[(s1 >>> 16) & 0xff]! ^ t2[(s2 >>> 8) & 0xff]! ^ t3[s3 & 0xff]! ^ rk[k]!;
      const u1 = t0[s1 >>> 24]! ^ t1[(s2 >>> 16) & 0xff]! ^ t2[(s3 >>> 8) & 0xff]! ^ t3[s0 & 0xff]! ^ rk[k + 1]!;
      const u2 = t0[s2 >>> 24]! ^ t1[(s3 >>> 16) & 0xff]! ^ t2[(s0 >>> 8) & 0xff]! ^ t3[s1 & 0xff]! ^ rk[k + 2]!;
      const u3 = t0[s3 >>> 24]! ^ t1[(s0 >>> 16) & 0xff]! ^ t2[(s1 >>> 8) & 0xff]! ^ t3[s2 & 0xff]! ^ rk[k + 3]!;
      s0 = u0;
      s1 = u1;
      s2 = u2;
      s3 = u3;
    }
    // Last round: SubBytes and ShiftRows only (§5.1).
    const k0 = (sbox[s0 >>> 24]! << 24) | (sbox[(s1 >>> 16) & 0xff]! << 16) | (sbox[(s2 >>> 8) & 0xff]! << 8) | sbox[s3 & 0xff]!;
    const k1 = (sbox[s1 >>> 24]! << 24) | (sbox[(s2 >>> 16) & 0xff]! << 16) | (sbox[(s3 >>> 8) & 0xff]! << 8) | sbox[s0 & 0xff]!;
    const k2 = (sbox[s2 >>> 24]! << 24) | (sbox[(s3 >>> 16) & 0xff]! << 16) | (sbox[(s0 >>> 8) & 0xff]! << 8) | sbox[s1 & 0xff]!;
    const k3 = (sbox[s3 >>> 24]! << 24) | (sbox[(s0 >>> 16) & 0xff]! << 16) | (sbox[(s1 >>> 8) & 0xff]! << 8) | sbox[s2 & 0xff]!;
    const w0 = k0 ^ rk[k]!;
    const w1 = k1 ^ rk[k + 1]!;
    const w2 = k2 ^ rk[k + 2]!;
    const w3 = k3 ^ rk[k + 3]!;
    if (n - at >= 16) {
      data[at]! ^= w0 >>> 24;
      data[at + 1]! ^= w0 >>> 16;
      data[at + 2]! ^= w0 >>> 8;
      data[at + 3]! ^= w0;
      data[at + 4]! ^= w1 >>> 24;
      data[at + 5]! ^= w1 >>> 16;
      data[at + 6]! ^= w1 >>> 8;
      data[at + 7]! ^= w1;
      data[at + 8]! ^= w2 >>> 24;
      data[at + 9]! ^= w2 >>> 16;
      data[at + 10]! ^= w2 >>> 8;
      data[at + 11]! ^= w2;
      data[at + 12]! ^= w3 >>> 24;
      data[at + 13]! ^= w3 >>> 16;
      data[at + 14]! ^= w3 >>> 8;
      data[at + 15]! ^= w3;
    } else {
      const words = [w0, w1, w2, w3];
      for (let i = at; i < n; i++) data[i]! ^= words[(i - at) >> 2]! >>> (24 - 8 * ((i - at) & 3));
    }
    c3 = (c3 + 1) >>> 0;
  }
  return c3;
}
