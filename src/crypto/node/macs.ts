/** HMACs over node:crypto (Node-only); sizes and flags from the pure descriptors. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { MacAlgorithm, MacState } from '../../transport/mac/types.js';
import { getMac } from '../../transport/mac/index.js';

const HASHES: Record<string, string> = {
  'hmac-sha2-256': 'sha256',
  'hmac-sha2-512': 'sha512',
  'hmac-sha1': 'sha1',
  'hmac-sha1-96': 'sha1',
  'hmac-md5': 'md5',
  'hmac-md5-96': 'md5',
};

function nodeMac(name: string, hash: string): MacAlgorithm {
  const pure = getMac(name);
  const create = (key: Uint8Array): MacState => {
    const k = Buffer.from(key);
    const seqBuf = Buffer.alloc(4);
    const digest = (seq: number, data: Uint8Array): Buffer => {
      seqBuf.writeUInt32BE(seq >>> 0, 0);
      return createHmac(hash, k).update(seqBuf).update(data).digest();
    };
    return {
      length: pure.length,
      compute(seq: number, data: Uint8Array, out: Uint8Array, offset = 0): void {
        out.set(digest(seq, data).subarray(0, pure.length), offset);
      },
      verify(seq: number, data: Uint8Array, tag: Uint8Array): boolean {
        const d = digest(seq, data).subarray(0, pure.length);
        return tag.length === d.length && timingSafeEqual(d, tag);
      },
      dispose(): void {
        k.fill(0);
      },
    };
  };
  return Object.freeze({ ...pure, create });
}

export const NODE_MACS: readonly MacAlgorithm[] = Object.entries(HASHES).flatMap(([base, hash]) => {
  const names = [base, `${base}-etm@openssh.com`];
  return names.filter((n) => {
    try {
      getMac(n);
      return true;
    } catch {
      return false;
    }
  }).map((n) => nodeMac(n, hash));
});
