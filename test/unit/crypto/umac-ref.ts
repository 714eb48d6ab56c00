/**
 * Test-only UMAC (RFC 4418) written straight from the RFC's pseudocode with BigInt and
 * node:crypto's AES-128-ECB: slow and independent of src/crypto/umac.ts and its kernels.
 */
import { createCipheriv } from 'node:crypto';

const P36 = (1n << 36n) - 5n;
const P64 = (1n << 64n) - 59n;
const M64 = (1n << 64n) - 1n;

function aes(key: Uint8Array, blocks: Uint8Array): Uint8Array {
  const c = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(blocks), c.final()]));
}

function be(b: Uint8Array, o: number, n: number): bigint {
  let v = 0n;
  for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(b[o + i]!);
  return v;
}

function le32(b: Uint8Array, o: number): bigint {
  return BigInt(b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + (BigInt(b[o + 3]!) << 24n);
}

/** §3.2.1 */
export function refKdf(key: Uint8Array, index: number, n: number): Uint8Array {
  const blocks = Math.ceil(n / 16);
  const input = new Uint8Array(16 * blocks);
  for (let i = 0; i < blocks; i++) {
    input[16 * i + 7] = index;
    new DataView(input.buffer).setUint32(16 * i + 12, i + 1);
  }
  return aes(key, input).subarray(0, n);
}

/** §3.2.2 with an 8-byte nonce */
function refPdf(key: Uint8Array, nonce: Uint8Array, tagLength: number): Uint8Array {
  const n = new Uint8Array(16);
  n.set(nonce);
  let index = 0;
  if (tagLength === 8) {
    index = nonce[7]! & 1;
    n[7] = n[7]! ^ index;
  }
  const t = aes(refKdf(key, 0, 16), n);
  return t.subarray(index * tagLength, (index + 1) * tagLength);
}

/** NH (§5.2.2): message words little-endian, key words big-endian. */
export function refNh(key: Uint8Array, msg: Uint8Array): bigint {
  let y = 0n;
  for (let i = 0; i < msg.length; i += 32) {
    for (let j = 0; j < 4; j++) {
      const a = (le32(msg, i + 4 * j) + be(key, i + 4 * j, 4)) & 0xffffffffn;
      const b = (le32(msg, i + 4 * j + 16) + be(key, i + 4 * j + 16, 4)) & 0xffffffffn;
      y = (y + a * b) & M64;
    }
  }
  return y;
}

/** L1 (§5.2.1) then L2 (§5.3) for one stream: the 64-bit value L3 takes. */
export function refL1L2(l1Key: Uint8Array, polyKey: bigint, msg: Uint8Array): bigint {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < Math.max(1, msg.length); i += 1024) chunks.push(msg.subarray(i, i + 1024));
  const nhs = chunks.map((c) => {
    const padded = new Uint8Array(Math.max(32, Math.ceil(c.length / 32) * 32));
    padded.set(c);
    return (refNh(l1Key, padded) + BigInt(8 * c.length)) & M64;
  });
  if (msg.length <= 1024) return nhs[0]!;
  let y = 1n;
  for (const m of nhs) {
    if (m >= (1n << 64n) - (1n << 32n)) {
      y = (y * polyKey + (P64 - 1n)) % P64;
      y = (y * polyKey + (m - 59n)) % P64;
    } else {
      y = (y * polyKey + m) % P64;
    }
  }
  return y;
}

/** L3 (§5.4) of zeroes(8) ‖ value */
function refL3(k1: Uint8Array, k2: Uint8Array, value: bigint): Uint8Array {
  const m = new Uint8Array(16);
  for (let i = 0; i < 8; i++) m[8 + i] = Number((value >> BigInt(56 - 8 * i)) & 0xffn);
  let y = 0n;
  for (let i = 0; i < 8; i++) y += be(m, 2 * i, 2) * (be(k1, 8 * i, 8) % P36);
  const w = Number((y % P36) & 0xffffffffn) ^ Number(be(k2, 0, 4));
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, w >>> 0);
  return out;
}

/** The stream-i keys (§5.1). */
export function refStreamKeys(key: Uint8Array, streams: number, i: number): { l1: Uint8Array; poly: bigint } {
  const l1 = refKdf(key, 1, 1024 + 16 * (streams - 1)).subarray(16 * i, 16 * i + 1024);
  const poly = be(refKdf(key, 2, 24 * streams), 24 * i, 8) & 0x01ffffff01ffffffn;
  return { l1, poly };
}

/** UMAC(K, M, Nonce, taglen) (§3). */
export function refUmac(key: Uint8Array, nonce: Uint8Array, msg: Uint8Array, tagLength: number): Uint8Array {
  const streams = tagLength / 4;
  const l3k1 = refKdf(key, 3, 64 * streams);
  const l3k2 = refKdf(key, 4, 4 * streams);
  const pad = refPdf(key, nonce, tagLength);
  const out = new Uint8Array(tagLength);
  for (let i = 0; i < streams; i++) {
    const { l1, poly } = refStreamKeys(key, streams, i);
    const y = refL3(l3k1.subarray(64 * i, 64 * i + 64), l3k2.subarray(4 * i, 4 * i + 4), refL1L2(l1, poly, msg));
    for (let j = 0; j < 4; j++) out[4 * i + j] = y[j]! ^ pad[4 * i + j]!;
  }
  return out;
}
