/**
 * UMAC (RFC 4418) with AES-128, for 8- and 16-byte tags: what OpenSSH's umac.c computes for
 * umac-64@openssh.com and umac-128@openssh.com. Tag = UHASH(K, M) xor PDF(K, Nonce) (§3):
 *
 *  - KDF (§3.2.1): AES-128 under K of uint64(index) ‖ uint64(block counter), counter from 1.
 *  - PDF (§3.2.2): AES of the nonce padded with zeros, under KDF(K, 0, 16). For 8-byte tags
 *    the nonce's lowest bit picks a half of the block and is cleared first, so consecutive
 *    nonces 2n, 2n+1 share one AES call; we keep the last block.
 *  - UHASH (§5): one independent hash per 4 tag bytes ("stream"), each of three layers. L1 (NH)
 *    and L2 (POLY mod 2^64 - 59) see the whole message and are the kernels' work (below, and
 *    ./wasm/umac.ts); L3, an inner product mod 2^36 - 5, runs once per tag here.
 *
 * Messages are limited to 2^24 bytes: longer ones need the 128-bit POLY (§5.3), which OpenSSH
 * does not implement either; SSH packets are far below it.
 */
import { ecb, unsafe } from '@noble/ciphers/aes.js';
import { SshError } from '../errors.js';
import { readBE32, writeBE32 } from '../wire/bytes.js';
import { createWasmUhash } from './wasm/umac.js';

/** UHASH's longest message: the 64-bit POLY alone covers 2^24 bytes (RFC 4418 §5.3). */
export const UMAC_MAX_MESSAGE = 1 << 24;
/** L1 (NH) hashes the message in chunks of this many bytes (§5.2.1). */
export const NH_CHUNK = 1024;
/** 2^36 - 5, L3's prime (§5.4) */
const P36 = 2 ** 36 - 5;
const TWO32 = 4294967296;

/** Key material of UHASH's first two layers, as the kernels take it. */
export interface UhashKeys {
  /** 2 (8-byte tags) or 4 (16-byte tags) */
  readonly streams: number;
  /** NH key words, big-endian words of KDF(K, 1, 1024 + 16·(streams-1)) (§5.1); stream i starts at word 4i */
  readonly nhKey: Uint32Array;
  /** POLY keys (§5.3), masked with 0x01ffffff01ffffff: [high word, low word] per stream */
  readonly polyKey: Uint32Array;
}

/**
 * UHASH's L1 and L2 over a whole message (RFC 4418 §5.2, §5.3): for each stream i, the 64-bit
 * value L3 takes, as res[2i] (high word) and res[2i+1] (low word). For a message of up to
 * 1024 bytes that is NH + bit length; beyond, POLY over the chunks' NH values, reduced mod p64.
 */
export interface UhashKernel {
  hash(msg: Uint8Array, res: Uint32Array): void;
  /** Zero the keys. */
  dispose(): void;
}

export type UhashKernelFactory = (keys: UhashKeys) => UhashKernel;

/** One keyed UMAC: the tag of `msg` under a 64-bit nonce given as two big-endian words. */
export interface Umac {
  readonly tagLength: 8 | 16;
  tag(nonceHigh: number, nonceLow: number, msg: Uint8Array, out: Uint8Array, offset?: number): void;
  dispose(): void;
}

/** KDF(K, index, n) (§3.2.1): AES-128 in counter mode over uint64(index) ‖ uint64(i), i = 1, 2, … */
function kdf(key: Uint8Array, index: number, n: number): Uint8Array {
  const blocks = Math.ceil(n / 16);
  const input = new Uint8Array(16 * blocks);
  for (let i = 0; i < blocks; i++) {
    writeBE32(input, 16 * i + 4, index);
    writeBE32(input, 16 * i + 12, i + 1);
  }
  return ecb(key, { disablePadding: true }).encrypt(input).subarray(0, n);
}

function deriveUhashKeys(key: Uint8Array, streams: number): { uhash: UhashKeys; l3: Float64Array; l3Mask: Uint32Array } {
  const nhBytes = kdf(key, 1, NH_CHUNK + 16 * (streams - 1));
  const nhKey = new Uint32Array(nhBytes.length / 4);
  for (let i = 0; i < nhKey.length; i++) nhKey[i] = readBE32(nhBytes, 4 * i);
  // L2 key: 24 bytes per stream, of which the 64-bit POLY uses the first 8 (§5.3).
  const l2 = kdf(key, 2, 24 * streams);
  const polyKey = new Uint32Array(2 * streams);
  for (let i = 0; i < streams; i++) {
    polyKey[2 * i] = readBE32(l2, 24 * i) & 0x01ffffff;
    polyKey[2 * i + 1] = readBE32(l2, 24 * i + 4) & 0x01ffffff;
  }
  // L3 key 1: eight 64-bit words per stream, mod p36 (§5.4). L3's input is zeroes(8) ‖ the
  // 64-bit L2 value, so the first four words only ever multiply zeros: keep the last four.
  const k1 = kdf(key, 3, 64 * streams);
  const l3 = new Float64Array(4 * streams);
  for (let i = 0; i < streams; i++) {
    for (let j = 0; j < 4; j++) {
      const o = 64 * i + 32 + 8 * j;
      l3[4 * i + j] = Number(((BigInt(readBE32(k1, o)) << 32n) | BigInt(readBE32(k1, o + 4))) % BigInt(P36));
    }
  }
  const k2 = kdf(key, 4, 4 * streams);
  const l3Mask = new Uint32Array(streams);
  for (let i = 0; i < streams; i++) l3Mask[i] = readBE32(k2, 4 * i);
  nhBytes.fill(0);
  l2.fill(0);
  k1.fill(0);
  k2.fill(0);
  return { uhash: { streams, nhKey, polyKey }, l3, l3Mask };
}

/**
 * A UMAC with 8- or 16-byte tags under a 16-byte key. `kernel` computes L1 and L2; the default
 * is WebAssembly where the runtime has it, else plain JavaScript.
 */
export function createUmac(key: Uint8Array, tagLength: 8 | 16, kernel: UhashKernelFactory = defaultUhashKernel): Umac {
  if (!(key instanceof Uint8Array) || key.length !== 16) throw new SshError('INVAL', 'UMAC key: expected 16 bytes');
  const streams = tagLength / 4;
  const { uhash, l3, l3Mask } = deriveUhashKeys(key, streams);
  const layers = kernel(uhash);
  uhash.nhKey.fill(0);
  uhash.polyKey.fill(0);
  const pdfKey = kdf(key, 0, 16);
  // One AES block per tag (two tags for 8-byte ones): noble's single-use ecb would expand the
  // key each time, so we keep the expanded key and encrypt blocks in place.
  const xk = unsafe.expandKeyLE(pdfKey);
  pdfKey.fill(0);
  const pad = new Uint8Array(16);
  let padHigh = -1;
  let padLow = -1;
  const res = new Uint32Array(2 * streams);

  return {
    tagLength,
    tag(nonceHigh: number, nonceLow: number, msg: Uint8Array, out: Uint8Array, offset = 0): void {
      if (msg.length > UMAC_MAX_MESSAGE) throw new SshError('INVAL', 'UMAC: message longer than 2^24 bytes');
      layers.hash(msg, res);
      // PDF (§3.2.2): for 8-byte tags the nonce's low bit picks the half of the AES block.
      const half = tagLength === 8 ? nonceLow & 1 : 0;
      const low = (nonceLow & ~half) >>> 0;
      if (low !== padLow || nonceHigh >>> 0 !== padHigh) {
        pad.fill(0);
        writeBE32(pad, 0, nonceHigh);
        writeBE32(pad, 4, low);
        unsafe.encryptBlock(xk, pad);
        padHigh = nonceHigh >>> 0;
        padLow = low;
      }
      for (let i = 0; i < streams; i++) {
        // L3 (§5.4): Σ k_j · (16-bit piece j of the 64-bit value) mod p36, low 32 bits, xor mask.
        const hi = res[2 * i]!;
        const lo = res[2 * i + 1]!;
        let t = (l3[4 * i]! * (hi >>> 16)) % P36;
        t = (t + l3[4 * i + 1]! * (hi & 0xffff)) % P36;
        t = (t + l3[4 * i + 2]! * (lo >>> 16)) % P36;
        t = (t + l3[4 * i + 3]! * (lo & 0xffff)) % P36;
        const word = ((t % TWO32) ^ l3Mask[i]! ^ readBE32(pad, 8 * half + 4 * i)) >>> 0;
        writeBE32(out, offset + 4 * i, word);
      }
      res.fill(0);
    },
    dispose(): void {
      layers.dispose();
      l3.fill(0);
      l3Mask.fill(0);
      xk.fill(0);
      pad.fill(0);
      padHigh = padLow = -1;
    },
  };
}

// ---------------------------------------------------------------------------------------
// L1 and L2 in plain JavaScript (the fallback where WebAssembly is missing or refused).

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const INV32 = 1 / TWO32;

/**
 * NH (§5.2.2) of `words` [0, n) for two streams at once (keys from words `ko` and `ko` + 4,
 * the Toeplitz shift), plus `bits`, mod 2^64, into out[at..at+4) as (high, low) pairs. Each
 * 32×32-bit product is split exactly: Math.imul gives its low word, and the double product
 * minus that word is the high word times 2^32 give or take 2^12. A chunk sums at most 128
 * products per stream, so the low words' sum stays below 2^39 (exact) and the high parts'
 * accumulated error below 2^26, far under the 2^31 that rounding to a multiple of 2^32 allows.
 */
function nhPair(words: Uint32Array, n: number, key: Uint32Array, ko: number, bits: number, out: Uint32Array, at: number): void {
  let lo0 = bits;
  let hi0 = 0;
  let lo1 = bits;
  let hi1 = 0;
  for (let i = 0; i < n; i += 8) {
    const m0 = words[i]!;
    const m1 = words[i + 1]!;
    const m2 = words[i + 2]!;
    const m3 = words[i + 3]!;
    const m4 = words[i + 4]!;
    const m5 = words[i + 5]!;
    const m6 = words[i + 6]!;
    const m7 = words[i + 7]!;
    const k = ko + i;
    const k4 = key[k + 4]!;
    const k5 = key[k + 5]!;
    const k6 = key[k + 6]!;
    const k7 = key[k + 7]!;
    let a = (m0 + key[k]!) >>> 0;
    let b = (m4 + k4) >>> 0;
    let l = Math.imul(a, b) >>> 0;
    lo0 += l;
    hi0 += a * b - l;
    a = (m1 + key[k + 1]!) >>> 0;
    b = (m5 + k5) >>> 0;
    l = Math.imul(a, b) >>> 0;
    lo0 += l;
    hi0 += a * b - l;
    a = (m2 + key[k + 2]!) >>> 0;
    b = (m6 + k6) >>> 0;
    l = Math.imul(a, b) >>> 0;
    lo0 += l;
    hi0 += a * b - l;
    a = (m3 + key[k + 3]!) >>> 0;
    b = (m7 + k7) >>> 0;
    l = Math.imul(a, b) >>> 0;
    lo0 += l;
    hi0 += a * b - l;
    a = (m0 + k4) >>> 0;
    b = (m4 + key[k + 8]!) >>> 0;
    l = Math.imul(a, b) >>> 0;
    lo1 += l;
    hi1 += a * b - l;
    a = (m1 + k5) >>> 0;
    b = (m5 + key[k + 9]!) >>> 0;
    l = Math.imul(a, b) >>> 0;
    lo1 += l;
    hi1 += a * b - l;
    a = (m2 + k6) >>> 0;
    b = (m6 + key[k + 10]!) >>> 0;
    l = Math.imul(a, b) >>> 0;
    lo1 += l;
    hi1 += a * b - l;
    a = (m3 + k7) >>> 0;
    b = (m7 + key[k + 11]!) >>> 0;
    l = Math.imul(a, b) >>> 0;
    lo1 += l;
    hi1 += a * b - l;
  }
  let carry = Math.floor(lo0 * INV32);
  out[at] = (Math.round(hi0 * INV32) + carry) % TWO32;
  out[at + 1] = lo0 - carry * TWO32;
  carry = Math.floor(lo1 * INV32);
  out[at + 2] = (Math.round(hi1 * INV32) + carry) % TWO32;
  out[at + 3] = lo1 - carry * TWO32;
}

/**
 * y = (y·k + m) mod p64, p64 = 2^64 - 59 (§5.3), on 16-bit limbs so every product and column
 * sum is an exact double: y is acc[at] (high), acc[at+1] (low), kept below 2^64 but not
 * necessarily below p64; k's words are below 2^25.
 */
function polyStep(acc: Uint32Array, at: number, kh: number, kl: number, mh: number, ml: number): void {
  const yh = acc[at]!;
  const yl = acc[at + 1]!;
  const y0 = yl & 0xffff;
  const y1 = yl >>> 16;
  const y2 = yh & 0xffff;
  const y3 = yh >>> 16;
  const k0 = kl & 0xffff;
  const k1 = kl >>> 16;
  const k2 = kh & 0xffff;
  const k3 = kh >>> 16;
  // Columns at 2^0, 2^16, … of y·k; those at 2^64 and above fold back × 59 (2^64 ≡ 59).
  let c0 = y0 * k0 + 59 * (y1 * k3 + y2 * k2 + y3 * k1) + (ml & 0xffff);
  let c1 = y0 * k1 + y1 * k0 + 59 * (y2 * k3 + y3 * k2) + (ml >>> 16);
  let c2 = y0 * k2 + y1 * k1 + y2 * k0 + 59 * (y3 * k3) + (mh & 0xffff);
  let c3 = y0 * k3 + y1 * k2 + y2 * k1 + y3 * k0 + (mh >>> 16);
  // Two carry passes: the first leaves < 2^64 + 2^32, so the second's 59 never overflows.
  for (let pass = 0; pass < 2; pass++) {
    let q = Math.floor(c0 / 65536);
    c0 -= q * 65536;
    c1 += q;
    q = Math.floor(c1 / 65536);
    c1 -= q * 65536;
    c2 += q;
    q = Math.floor(c2 / 65536);
    c2 -= q * 65536;
    c3 += q;
    q = Math.floor(c3 / 65536);
    c3 -= q * 65536;
    c0 += 59 * q;
  }
  acc[at] = c2 + c3 * 65536;
  acc[at + 1] = c0 + c1 * 65536;
}

/** POLY's step for one NH value m, with §5.3's marker for m ≥ 2^64 - 2^32. */
function polyAbsorb(acc: Uint32Array, at: number, kh: number, kl: number, mh: number, ml: number): void {
  if (mh === 0xffffffff) {
    polyStep(acc, at, kh, kl, 0xffffffff, 0xffffffc4); // p64 - 1
    const borrow = ml < 59 ? 1 : 0;
    polyStep(acc, at, kh, kl, mh - borrow, (ml - 59 + borrow * TWO32) >>> 0);
  } else {
    polyStep(acc, at, kh, kl, mh, ml);
  }
}

/** y mod p64 for y < 2^64, written back in place. */
export function reduceP64(acc: Uint32Array, at: number): void {
  if (acc[at] === 0xffffffff && acc[at + 1]! >= 0xffffffc5) {
    acc[at] = 0;
    acc[at + 1] = acc[at + 1]! + 59 - TWO32;
  }
}

/** L1 and L2 in plain JavaScript. */
export const jsUhashKernel: UhashKernelFactory = (keys: UhashKeys): UhashKernel => {
  const streams = keys.streams;
  const nhKey = keys.nhKey.slice();
  const polyKey = keys.polyKey.slice();
  const chunk = new Uint8Array(NH_CHUNK);
  const words = new Uint32Array(chunk.buffer);
  const nhOut = new Uint32Array(2 * streams);

  /** The chunk at msg[from, to) zero-padded to a multiple of 32 bytes (at least 32), as words. */
  const load = (msg: Uint8Array, from: number, to: number): number => {
    const len = to - from;
    const padded = Math.max(32, (len + 31) & ~31);
    chunk.set(msg.subarray(from, to));
    chunk.fill(0, len, padded);
    const n = padded / 4;
    if (!LITTLE_ENDIAN) {
      for (let i = 0; i < n; i++) {
        const w = words[i]!;
        words[i] = ((w >>> 24) | ((w >>> 8) & 0xff00) | ((w & 0xff00) << 8) | (w << 24)) >>> 0;
      }
    }
    return n;
  };

  return {
    hash(msg: Uint8Array, res: Uint32Array): void {
      const len = msg.length;
      if (len <= NH_CHUNK) {
        const n = load(msg, 0, len);
        for (let s = 0; s < streams; s += 2) nhPair(words, n, nhKey, 4 * s, 8 * len, res, 2 * s);
        return;
      }
      for (let s = 0; s < streams; s++) {
        res[2 * s] = 0;
        res[2 * s + 1] = 1; // POLY starts from 1 (§5.3)
      }
      for (let from = 0; from < len; from += NH_CHUNK) {
        const to = Math.min(len, from + NH_CHUNK);
        const n = load(msg, from, to);
        for (let s = 0; s < streams; s += 2) nhPair(words, n, nhKey, 4 * s, 8 * (to - from), nhOut, 2 * s);
        for (let s = 0; s < streams; s++) {
          polyAbsorb(res, 2 * s, polyKey[2 * s]!, polyKey[2 * s + 1]!, nhOut[2 * s]!, nhOut[2 * s + 1]!);
        }
      }
      for (let s = 0; s < streams; s++) reduceP64(res, 2 * s);
      chunk.fill(0);
      nhOut.fill(0);
    },
    dispose(): void {
      nhKey.fill(0);
      polyKey.fill(0);
      chunk.fill(0);
    },
  };
};

/** The WebAssembly kernel where this runtime compiles WebAssembly, else the JavaScript one. */
export const defaultUhashKernel: UhashKernelFactory = (keys) => createWasmUhash(keys) ?? jsUhashKernel(keys);
