/**
 * arcfour (RFC 4253 §6.3: RC4 with a 128-bit key) and arcfour128 / arcfour256 (RFC 4345:
 * 128- and 256-bit keys, the first 1536 keystream bytes discarded). No IV. One keystream
 * per direction runs on from packet to packet. Broken; removed from OpenSSH in 7.2; kept for
 * old servers. Insecure: opt-in only.
 *
 * As a stream cipher it aligns packets to 8 bytes (OpenSSH's cipher table gives it block
 * size 8, the RFC 4253 §6 minimum), so MAC-then-encrypt reads the length from 8 bytes.
 */
import { Rc4 } from '../../crypto/primitives/rc4.js';
import type { BlockCipherState, CipherAlgorithm } from '../../crypto/cipher-types.js';
import { blockCipherAlgorithm, checkLength } from './util.js';

/** RFC 4345 §4: "the first 1536 bytes of keystream ... MUST be discarded". */
export const ARCFOUR_DISCARD = 1536;

function createArcfour(name: string, keyLength: number, discard: number, key: Uint8Array, iv: Uint8Array): BlockCipherState {
  checkLength(key, keyLength, `${name} key`);
  checkLength(iv, 0, `${name} IV`);
  const rc4 = new Rc4(key);
  rc4.skip(discard);
  return {
    kind: 'block',
    // Encryption and decryption are the same keystream XOR.
    encrypt: (data: Uint8Array) => rc4.process(data),
    decrypt: (data: Uint8Array) => rc4.process(data),
    dispose: () => rc4.dispose(),
  };
}

function arcfour(name: string, keyLength: number, discard: number): CipherAlgorithm {
  // RC4 is a stream cipher; 8 is the padding alignment RFC 4253 §6 asks for at least.
  return blockCipherAlgorithm(name, { keyLength, ivLength: 0, blockSize: 8 }, true, (key, iv) => createArcfour(name, keyLength, discard, key, iv));
}

export const ARCFOUR: CipherAlgorithm = /* @__PURE__ */ arcfour('arcfour', 16, 0);
export const ARCFOUR128: CipherAlgorithm = /* @__PURE__ */ arcfour('arcfour128', 16, ARCFOUR_DISCARD);
export const ARCFOUR256: CipherAlgorithm = /* @__PURE__ */ arcfour('arcfour256', 32, ARCFOUR_DISCARD);
