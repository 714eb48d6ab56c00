/** HMACs over node:crypto (Node-only), by wire name; sizes and flags stay the built-in descriptors'. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { MacState } from '../mac-types.js';
import type { MacFactory } from '../provider.js';

/** base name → [OpenSSL hash, tag bytes on the wire (the -96 variants truncate, RFC 4253 §6.4)] */
const HASHES: ReadonlyArray<readonly [string, string, number]> = [
  ['hmac-sha2-256', 'sha256', 32],
  ['hmac-sha2-512', 'sha512', 64],
  ['hmac-sha1', 'sha1', 20],
  ['hmac-sha1-96', 'sha1', 12],
  ['hmac-md5', 'md5', 16],
  ['hmac-md5-96', 'md5', 12],
];

function nodeMac(hash: string, length: number): MacFactory {
  return (key: Uint8Array): MacState => {
    const k = Buffer.from(key);
    const seqBuf = Buffer.alloc(4);
    const digest = (seq: number, data: Uint8Array): Buffer => {
      seqBuf.writeUInt32BE(seq >>> 0, 0);
      return createHmac(hash, k).update(seqBuf).update(data).digest();
    };
    return {
      length,
      compute(seq: number, data: Uint8Array, out: Uint8Array, offset = 0): void {
        out.set(digest(seq, data).subarray(0, length), offset);
      },
      verify(seq: number, data: Uint8Array, tag: Uint8Array): boolean {
        const d = digest(seq, data).subarray(0, length);
        return tag.length === d.length && timingSafeEqual(d, tag);
      },
      dispose(): void {
        k.fill(0);
      },
    };
  };
}

/** Each HMAC under its plain and its encrypt-then-MAC name (OpenSSH PROTOCOL §1.7: same tag, other input). */
export const NODE_MACS: ReadonlyMap<string, MacFactory> = new Map(
  HASHES.flatMap(([base, hash, length]) => {
    const create = nodeMac(hash, length);
    return [
      [base, create],
      [`${base}-etm@openssh.com`, create],
    ] as const;
  }),
);
