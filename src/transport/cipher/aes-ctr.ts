/**
 * aes128-ctr, aes192-ctr, aes256-ctr (RFC 4344 §4).
 *
 * The counter X is initialised from the IV and incremented (as a 128-bit big-endian integer)
 * once per block, across packet boundaries: the keystream is one stream per direction.
 * noble's `ctr(key, nonce)` is single-use, so we keep our own 16-byte counter, build one
 * `ctr` per call starting at it, and advance it by the number of blocks processed (the
 * public API; `unsafe.ctrCounter` would avoid re-expanding the key per call
 * and is the next step if profiling asks for it).
 */
import { ctr } from '@noble/ciphers/aes.js';
import type { BlockCipherState, CipherAlgorithm } from '../../crypto/cipher-types.js';
import { addBigEndian, blockCipherAlgorithm, checkBlocks, checkLength, isAligned32 } from './util.js';

const BLOCK = 16;

function createCtr(name: string, keyLength: number, key: Uint8Array, iv: Uint8Array): BlockCipherState {
  checkLength(key, keyLength, `${name} key`);
  checkLength(iv, BLOCK, `${name} IV`);
  const k = key.slice();
  const counter = iv.slice();
  const xor = (data: Uint8Array): void => {
    checkBlocks(data, BLOCK, name);
    if (data.length === 0) return;
    const c = ctr(k, counter);
    if (isAligned32(data)) c.encrypt(data, data);
    else data.set(c.encrypt(data));
    addBigEndian(counter, data.length / BLOCK);
  };
  return {
    kind: 'block',
    encrypt: xor,
    decrypt: xor,
    dispose(): void {
      k.fill(0);
      counter.fill(0);
    },
  };
}

function aesCtr(name: string, keyLength: number): CipherAlgorithm {
  return blockCipherAlgorithm(name, { keyLength, ivLength: BLOCK, blockSize: BLOCK }, false, (key, iv) => createCtr(name, keyLength, key, iv));
}

export const AES128_CTR: CipherAlgorithm = /* @__PURE__ */ aesCtr('aes128-ctr', 16);
export const AES192_CTR: CipherAlgorithm = /* @__PURE__ */ aesCtr('aes192-ctr', 24);
export const AES256_CTR: CipherAlgorithm = /* @__PURE__ */ aesCtr('aes256-ctr', 32);
