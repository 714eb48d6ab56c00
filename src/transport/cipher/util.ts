/** Small helpers shared by the cipher modules. */
import { SshError } from '../../errors.js';
import type { BlockCipherState, CipherAlgorithm } from '../../crypto/cipher-types.js';

/** The frozen descriptor of a non-AEAD cipher (it needs a separate MAC). */
export function blockCipherAlgorithm(
  name: string,
  sizes: { keyLength: number; ivLength: number; blockSize: number },
  insecure: boolean,
  create: (key: Uint8Array, iv: Uint8Array) => BlockCipherState,
): CipherAlgorithm {
  return Object.freeze({ name, ...sizes, tagLength: 0, aead: false, insecure, create });
}

/** Assert a key or IV has exactly the length the algorithm needs (noble-style `abytes`). */
export function checkLength(bytes: Uint8Array, length: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new SshError('INVAL', `${what}: expected ${length} bytes`);
  }
}

/** Assert data handed to a block transform is whole blocks. */
export function checkBlocks(data: Uint8Array, blockSize: number, what: string): void {
  if (data.length % blockSize !== 0) {
    throw new SshError('BAD_USE', `${what}: data is not a multiple of the ${blockSize}-byte block size`);
  }
}

/**
 * Add `n` (a non-negative safe integer) to the big-endian integer held in
 * `bytes[start..end]`, wrapping modulo 2^(8·(end-start)).
 */
export function addBigEndian(bytes: Uint8Array, n: number, start = 0, end = bytes.length): void {
  let carry = n;
  for (let i = end - 1; i >= start && carry > 0; i--) {
    const sum = bytes[i]! + (carry % 256);
    bytes[i] = sum & 0xff;
    carry = Math.floor(carry / 256) + (sum >>> 8);
  }
}
