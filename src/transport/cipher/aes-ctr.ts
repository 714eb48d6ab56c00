/**
 * aes128-ctr, aes192-ctr, aes256-ctr (RFC 4344 §4).
 *
 * The counter X is initialised from the IV and incremented (as a 128-bit big-endian integer)
 * once per block, across packet boundaries: the keystream is one stream per direction.
 * The key is expanded once per direction; the blocks are ../../crypto/aes-ctr32.ts's, which
 * counts in the low 32 bits of the counter, so the carry into the upper 96 is ours. (noble's
 * `ctr` returned each block's state as an object: in a client's process those allocations
 * took ~7 % of its CPU in garbage collection.)
 */
import { aesCtr32, expandAesKey } from '../../crypto/aes-ctr32.js';
import type { BlockCipherState, CipherAlgorithm } from '../../crypto/cipher-types.js';
import { readBE32 } from '../../wire/bytes.js';
import { blockCipherAlgorithm, checkBlocks, checkLength } from './util.js';

const BLOCK = 16;

function createCtr(name: string, keyLength: number, key: Uint8Array, iv: Uint8Array): BlockCipherState {
  checkLength(key, keyLength, `${name} key`);
  checkLength(iv, BLOCK, `${name} IV`);
  const roundKeys = expandAesKey(key);
  // the counter block as four big-endian words
  let c0 = readBE32(iv, 0);
  let c1 = readBE32(iv, 4);
  let c2 = readBE32(iv, 8);
  let c3 = readBE32(iv, 12);
  const xor = (data: Uint8Array): void => {
    checkBlocks(data, BLOCK, name);
    for (let at = 0; at < data.length;) {
      // as many blocks as the low word counts before it wraps
      const blocks = Math.min((data.length - at) / BLOCK, 0x100000000 - c3);
      c3 = aesCtr32(roundKeys, c0, c1, c2, c3, data.subarray(at, at + blocks * BLOCK));
      at += blocks * BLOCK;
      if (c3 === 0) {
        c2 = (c2 + 1) >>> 0;
        if (c2 === 0) {
          c1 = (c1 + 1) >>> 0;
          if (c1 === 0) c0 = (c0 + 1) >>> 0;
        }
      }
    }
  };
  return {
    kind: 'block',
    encrypt: xor,
    decrypt: xor,
    dispose(): void {
      roundKeys.fill(0);
      c0 = c1 = c2 = c3 = 0;
    },
  };
}

function aesCtr(name: string, keyLength: number): CipherAlgorithm {
  return blockCipherAlgorithm(name, { keyLength, ivLength: BLOCK, blockSize: BLOCK }, false, (key, iv) => createCtr(name, keyLength, key, iv));
}

export const AES128_CTR: CipherAlgorithm = /* @__PURE__ */ aesCtr('aes128-ctr', 16);
export const AES192_CTR: CipherAlgorithm = /* @__PURE__ */ aesCtr('aes192-ctr', 24);
export const AES256_CTR: CipherAlgorithm = /* @__PURE__ */ aesCtr('aes256-ctr', 32);
