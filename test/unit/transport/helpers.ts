/**
 * Test-only helpers for the transport unit tests: a seeded PRNG (reproducible runs), and
 * independent reference implementations used to cross-check our ciphers: the OpenSSH
 * chacha20-poly1305 construction from node:crypto's ChaCha20 plus a BigInt Poly1305.
 */
import { createCipheriv } from 'node:crypto';

/** mulberry32: a small deterministic PRNG, so failures reproduce from the seed. */
export function prng(seed: number): { int: (max: number) => number; bytes: (n: number) => Uint8Array; next: () => number } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (max: number) => Math.floor(next() * max),
    bytes(n: number): Uint8Array {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = Math.floor(next() * 256);
      return out;
    },
  };
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/[\s:]/g, ''), 'hex'));

export function u32be(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0);
  return b;
}

function leToBigint(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
}

/** Poly1305 (RFC 8439 §2.5), written directly from the definition with BigInt. */
export function poly1305Ref(key: Uint8Array, msg: Uint8Array): Uint8Array {
  const r = leToBigint(key.subarray(0, 16)) & 0x0ffffffc0ffffffc0ffffffc0fffffffn;
  const s = leToBigint(key.subarray(16, 32));
  const p = (1n << 130n) - 5n;
  let acc = 0n;
  for (let i = 0; i < msg.length; i += 16) {
    const block = msg.subarray(i, i + 16);
    acc = ((acc + leToBigint(block) + (1n << BigInt(8 * block.length))) * r) % p;
  }
  acc = (acc + s) & ((1n << 128n) - 1n);
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = Number((acc >> BigInt(8 * i)) & 0xffn);
  return out;
}

/**
 * DJB's original ChaCha20 (64-bit counter, 64-bit nonce) via OpenSSL: its 16-byte IV is state
 * words 12..15, i.e. counter (LE, 64-bit) followed by the nonce.
 */
export function chachaOrig(key: Uint8Array, nonce8: Uint8Array, counter: number, data: Uint8Array): Uint8Array {
  const iv = new Uint8Array(16);
  new DataView(iv.buffer).setUint32(0, counter, true);
  iv.set(nonce8, 8);
  const c = createCipheriv('chacha20', key, iv);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}

/**
 * chacha20-poly1305@openssh.com seal, from PROTOCOL.chacha20poly1305: `plain` is
 * uint32 length ‖ body; returns enc(length) ‖ enc(body) ‖ tag.
 */
export function chachaPolySealRef(key64: Uint8Array, seq: number, plain: Uint8Array): Uint8Array {
  const k2 = key64.subarray(0, 32); // main key
  const k1 = key64.subarray(32, 64); // header key
  const nonce = concat(new Uint8Array(4), u32be(seq));
  const encLen = chachaOrig(k1, nonce, 0, plain.subarray(0, 4));
  const encBody = chachaOrig(k2, nonce, 1, plain.subarray(4));
  const polyKey = chachaOrig(k2, nonce, 0, new Uint8Array(32));
  const sealed = concat(encLen, encBody);
  return concat(sealed, poly1305Ref(polyKey, sealed));
}
