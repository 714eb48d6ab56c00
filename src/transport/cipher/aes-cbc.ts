/**
 * aes128-cbc, aes192-cbc, aes256-cbc (RFC 4253 §6.3). Kept for old servers only: marked
 * insecure and never in the defaults.
 *
 * The IV chains across packets: each packet starts from the last ciphertext block of the
 * previous one in the same direction (RFC 4253 §6.3 "the whole packet ... as if it were a
 * single stream"). noble's `cbc` is single-use, so one is built per call with the current IV.
 */
import { cbc } from '@noble/ciphers/aes.js';
import type { BlockCipherState, CipherAlgorithm } from '../../crypto/cipher-types.js';
import { blockCipherAlgorithm, checkBlocks, checkLength } from './util.js';

const BLOCK = 16;

function createCbc(name: string, keyLength: number, key: Uint8Array, iv: Uint8Array): BlockCipherState {
  checkLength(key, keyLength, `${name} key`);
  checkLength(iv, BLOCK, `${name} IV`);
  const k = key.slice();
  const chain = iv.slice();
  return {
    kind: 'block',
    encrypt(data: Uint8Array): void {
      checkBlocks(data, BLOCK, name);
      if (data.length === 0) return;
      const out = cbc(k, chain, { disablePadding: true }).encrypt(data);
      data.set(out);
      chain.set(out.subarray(out.length - BLOCK));
      out.fill(0);
    },
    decrypt(data: Uint8Array): void {
      checkBlocks(data, BLOCK, name);
      if (data.length === 0) return;
      const out = cbc(k, chain, { disablePadding: true }).decrypt(data);
      chain.set(data.subarray(data.length - BLOCK));
      data.set(out);
      out.fill(0);
    },
    dispose(): void {
      k.fill(0);
      chain.fill(0);
    },
  };
}

function aesCbc(name: string, keyLength: number): CipherAlgorithm {
  return blockCipherAlgorithm(name, { keyLength, ivLength: BLOCK, blockSize: BLOCK }, true, (key, iv) => createCbc(name, keyLength, key, iv));
}

export const AES128_CBC: CipherAlgorithm = /* @__PURE__ */ aesCbc('aes128-cbc', 16);
export const AES192_CBC: CipherAlgorithm = /* @__PURE__ */ aesCbc('aes192-cbc', 24);
export const AES256_CBC: CipherAlgorithm = /* @__PURE__ */ aesCbc('aes256-cbc', 32);
