/**
 * Decryption of the private section of encrypted OpenSSH keys (PROTOCOL.key; sshkey.c
 * private2_decrypt): key ‖ IV = bcrypt_pbkdf(passphrase, salt, rounds), then the cipher
 * (with sequence number 0 and no AAD for the AEAD ones), the tag following the section.
 */
import { cbc, ctr, gcm } from '@noble/ciphers/aes.js';
import { chacha20orig } from '@noble/ciphers/chacha.js';
import { poly1305 } from '@noble/ciphers/_poly1305.js';
import { KeyError } from '../../errors.js';
import { Reader } from '../../wire/reader.js';
import { bcryptPbkdf } from '../bcrypt-pbkdf.js';
import { asKeyError } from './common.js';
import { equalConstantTime } from '../../wire/bytes.js';

interface KeyFileCipher {
  readonly keyLength: number;
  readonly ivLength: number;
  readonly blockSize: number;
  readonly tagLength: number;
  /** plaintext, or null when the tag does not verify */
  decrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array, tag: Uint8Array): Uint8Array | null;
}

const aesCtr = (keyLength: number): KeyFileCipher => ({
  keyLength,
  ivLength: 16,
  blockSize: 16,
  tagLength: 0,
  decrypt: (key, iv, data) => ctr(key, iv).decrypt(data),
});
const aesCbc = (keyLength: number): KeyFileCipher => ({
  keyLength,
  ivLength: 16,
  blockSize: 16,
  tagLength: 0,
  decrypt: (key, iv, data) => cbc(key, iv, { disablePadding: true }).decrypt(data),
});
const aesGcm = (keyLength: number): KeyFileCipher => ({
  keyLength,
  ivLength: 12,
  blockSize: 16,
  tagLength: 16,
  decrypt: (key, iv, data, tag) => {
    const joined = new Uint8Array(data.length + tag.length);
    joined.set(data);
    joined.set(tag, data.length);
    try {
      return gcm(key, iv).decrypt(joined);
    } catch {
      return null;
    }
  },
});
/** PROTOCOL.chacha20poly1305 with seqnr 0 and no length header: main key = first 32 bytes. */
const chachaPoly: KeyFileCipher = {
  keyLength: 64,
  ivLength: 0,
  blockSize: 8,
  tagLength: 16,
  decrypt: (key, _iv, data, tag) => {
    const mainKey = key.subarray(0, 32);
    const nonce = new Uint8Array(8);
    const polyKey = chacha20orig(mainKey, nonce, new Uint8Array(32));
    if (!equalConstantTime(poly1305(data, polyKey), tag)) return null;
    return chacha20orig(mainKey, nonce, data, undefined, 1);
  },
};

const CIPHERS: ReadonlyMap<string, KeyFileCipher> = new Map([
  ['aes128-ctr', aesCtr(16)],
  ['aes192-ctr', aesCtr(24)],
  ['aes256-ctr', aesCtr(32)],
  ['aes128-cbc', aesCbc(16)],
  ['aes192-cbc', aesCbc(24)],
  ['aes256-cbc', aesCbc(32)],
  ['aes128-gcm@openssh.com', aesGcm(16)],
  ['aes256-gcm@openssh.com', aesGcm(32)],
  ['chacha20-poly1305@openssh.com', chachaPoly],
]);

/** Refuse absurd work factors from a hostile file (ssh-keygen's default is 16). */
export const MAX_BCRYPT_ROUNDS = 16384;

/** Authentication tag length for a key-file cipher (0 for non-AEAD); throws KeyError if unsupported. */
export function keyFileCipherTagLength(cipher: string): number {
  const c = CIPHERS.get(cipher);
  if (!c) throw new KeyError(`unsupported private key cipher "${cipher}"`, 'ALGO_UNSUPPORTED');
  return c.tagLength;
}

/**
 * Decrypt an encrypted private section. A wrong passphrase shows up as a bad tag here or
 * as differing check integers later; both are KEYFILE_AUTH_FAILED.
 */
export function decryptPrivateSection(
  cipherName: string,
  kdf: string,
  kdfOptions: Uint8Array,
  encrypted: Uint8Array,
  tag: Uint8Array,
  passphrase: string,
): { plain: Uint8Array; blockSize: number } {
  const cipher = CIPHERS.get(cipherName);
  if (!cipher) throw new KeyError(`unsupported private key cipher "${cipherName}"`, 'ALGO_UNSUPPORTED');
  if (kdf !== 'bcrypt') throw new KeyError(`unsupported private key kdf "${kdf}"`, 'ALGO_UNSUPPORTED');
  const { salt, rounds } = asKeyError('bcrypt kdf options', () => {
    const r = new Reader(kdfOptions, 0, 'bcrypt kdf options');
    const salt = r.string('salt');
    const rounds = r.u32('rounds');
    r.end();
    return { salt, rounds };
  });
  if (salt.length === 0 || rounds === 0 || rounds > MAX_BCRYPT_ROUNDS) {
    throw new KeyError(`unsupported bcrypt parameters (salt ${salt.length} bytes, ${rounds} rounds)`);
  }
  if (encrypted.length === 0 || encrypted.length % cipher.blockSize !== 0) {
    throw new KeyError('encrypted private section is not a multiple of the cipher block size');
  }
  if (tag.length !== cipher.tagLength) throw new KeyError('encrypted private key: bad authentication tag length');
  const material = bcryptPbkdf(new TextEncoder().encode(passphrase), salt, rounds, cipher.keyLength + cipher.ivLength);
  const key = material.subarray(0, cipher.keyLength);
  const iv = material.subarray(cipher.keyLength);
  const plain = cipher.decrypt(key, iv, encrypted, tag);
  material.fill(0);
  if (!plain) throw new KeyError('wrong passphrase for the private key', 'KEYFILE_AUTH_FAILED');
  return { plain, blockSize: cipher.blockSize };
}
