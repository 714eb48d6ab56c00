/**
 * CBC decryption with PKCS#7 padding (RFC 8018 §6.1.1 step 4, RFC 1423 §1.1) for the PEM-era
 * key file encryptions: legacy "DEK-Info" PEM and PKCS#8 PBES2. AES-CBC comes from noble;
 * DES-EDE3-CBC and DES-CBC from our 64-bit block primitives (legacy, decryption only).
 */
import { cbc } from '@noble/ciphers/aes.js';
import { KeyError } from '../../errors.js';
import { Cbc64, type WordBlockCipher } from '../primitives/block64.js';
import { Des, TripleDes } from '../primitives/des.js';

export interface KeyFileCbcCipher {
  readonly name: string;
  readonly keyLength: number;
  readonly blockSize: number;
  /** raw CBC decryption of whole blocks (padding not removed); iv is blockSize bytes */
  decryptBlocks(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;
}

const aes = (bits: 128 | 192 | 256): KeyFileCbcCipher => ({
  name: `AES-${bits}-CBC`,
  keyLength: bits / 8,
  blockSize: 16,
  decryptBlocks: (key, iv, data) => cbc(key, iv, { disablePadding: true }).decrypt(data),
});

const block64 = (name: string, keyLength: number, make: (key: Uint8Array) => WordBlockCipher): KeyFileCbcCipher => ({
  name,
  keyLength,
  blockSize: 8,
  decryptBlocks: (key, iv, data) => {
    const out = data.slice();
    const c = new Cbc64(make(key), iv);
    c.decrypt(out);
    c.dispose();
    return out;
  },
});

export const AES_128_CBC = aes(128);
export const AES_192_CBC = aes(192);
export const AES_256_CBC = aes(256);
/** Triple DES EDE with a 24-byte key (OpenSSL "DES-EDE3-CBC"; PKCS#5 des-ede3-cbc). */
export const DES_EDE3_CBC = block64('DES-EDE3-CBC', 24, (k) => new TripleDes(k));
/** Single DES, 56-bit key: only ever found in very old PEM files. */
export const DES_CBC = block64('DES-CBC', 8, (k) => new Des(k));

/**
 * Decrypt `data` and strip its PKCS#7 padding. Throws KeyError (FILE) when the length is not a
 * whole number of blocks; returns null when the padding is malformed: with a wrong key it is garbage
 * (and with ≈1/256 chance looks right, so callers must still check what they decrypted).
 */
export function decryptCbcPadded(cipher: KeyFileCbcCipher, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array | null {
  if (key.length !== cipher.keyLength || iv.length !== cipher.blockSize) {
    throw new KeyError(`${cipher.name}: bad key or IV length`);
  }
  if (data.length === 0 || data.length % cipher.blockSize !== 0) {
    throw new KeyError(`${cipher.name}: encrypted data is not a whole number of blocks`);
  }
  const plain = cipher.decryptBlocks(key, iv, data);
  const pad = plain[plain.length - 1]!;
  let bad = pad === 0 || pad > cipher.blockSize ? 1 : 0;
  for (let i = 1; i <= Math.min(pad, cipher.blockSize); i++) bad |= plain[plain.length - i]! ^ pad;
  if (bad) {
    plain.fill(0);
    return null;
  }
  return plain.subarray(0, plain.length - pad);
}

/** AES-CBC encryption with PKCS#7 padding (what OpenSSL writes for `ssh-keygen -m PEM|PKCS8 -N …`). */
export function encryptAesCbcPadded(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  if ((key.length !== 16 && key.length !== 24 && key.length !== 32) || iv.length !== 16) throw new KeyError('AES-CBC: bad key or IV length');
  return cbc(key, iv).encrypt(data);
}
