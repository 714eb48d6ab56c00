/**
 * Shared shape of the 64-bit-block CBC ciphers (3des-cbc, blowfish-cbc, cast128-cbc;
 * RFC 4253 §6.3): an 8-byte IV, 8-byte blocks, and the CBC chain carried from packet to
 * packet in each direction. All are insecure, opt-in only.
 */
import { Cbc64, type WordBlockCipher } from '../../crypto/primitives/block64.js';
import type { BlockCipherState, CipherAlgorithm } from '../../crypto/cipher-types.js';
import { blockCipherAlgorithm, checkBlocks, checkLength } from './util.js';

const BLOCK = 8;

function createState(name: string, keyLength: number, make: (key: Uint8Array) => WordBlockCipher, key: Uint8Array, iv: Uint8Array): BlockCipherState {
  checkLength(key, keyLength, `${name} key`);
  checkLength(iv, BLOCK, `${name} IV`);
  const cbc = new Cbc64(make(key), iv);
  let disposed = false;
  return {
    kind: 'block',
    encrypt(data: Uint8Array): void {
      checkBlocks(data, BLOCK, name);
      cbc.encrypt(data);
    },
    decrypt(data: Uint8Array): void {
      checkBlocks(data, BLOCK, name);
      cbc.decrypt(data);
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      cbc.dispose();
    },
  };
}

/** A frozen descriptor for a CBC cipher over a 64-bit block cipher built by `make(key)`. */
export function cbc64Algorithm(name: string, keyLength: number, make: (key: Uint8Array) => WordBlockCipher): CipherAlgorithm {
  return blockCipherAlgorithm(name, { keyLength, ivLength: BLOCK, blockSize: BLOCK }, true, (key, iv) => createState(name, keyLength, make, key, iv));
}
