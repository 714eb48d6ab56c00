/**
 * The `none` cipher (RFC 4253 §6.3): packets travel in clear. Never listed or offered
 * unless a caller names it; the client warns through its debug hook when it is offered.
 * Kept outside the CIPHERS table (like OpenSSH, which omits it from `ssh -Q cipher`), so
 * "every cipher" sweeps and lists never include it by accident; getCipher('none') finds it.
 */
import type { BlockCipherState, CipherAlgorithm } from '../../crypto/cipher-types.js';
import { checkBlocks, checkLength } from './util.js';

export const NONE_CIPHER_NAME = 'none';

function createNone(key: Uint8Array, iv: Uint8Array): BlockCipherState {
  checkLength(key, 0, 'none key');
  checkLength(iv, 0, 'none IV');
  return {
    kind: 'block',
    encrypt: (data: Uint8Array) => checkBlocks(data, 8, NONE_CIPHER_NAME),
    decrypt: (data: Uint8Array) => checkBlocks(data, 8, NONE_CIPHER_NAME),
    dispose: () => undefined,
  };
}

export const NONE_CIPHER: CipherAlgorithm = Object.freeze({
  name: NONE_CIPHER_NAME,
  keyLength: 0,
  ivLength: 0,
  // OpenSSH's cipher table: block size 8, the RFC 4253 §6 minimum
  blockSize: 8,
  tagLength: 0,
  aead: false,
  insecure: true,
  create: createNone,
});
