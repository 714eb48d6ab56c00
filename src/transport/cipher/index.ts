/**
 * Cipher registry: wire name → descriptor, plus the ordered lists used in KEXINIT; all frozen.
 * The transport looks ciphers up only here; a faster implementation of one (node:crypto)
 * comes from the connection's CryptoProvider, which keeps the descriptor's sizes.
 *
 * @example
 * ```ts
 * import { CIPHERS } from './cipher/index.js';
 * const enc = CIPHERS.get('aes128-ctr')!.create(key, iv);
 * ```
 */
import { SshError } from '../../errors.js';
import { AES128_CBC, AES192_CBC, AES256_CBC } from './aes-cbc.js';
import { AES128_CTR, AES192_CTR, AES256_CTR } from './aes-ctr.js';
import { AES128_GCM, AES256_GCM } from './aes-gcm.js';
import { CHACHA20_POLY1305 } from './chacha20-poly1305.js';
import { TRIPLE_DES_CBC } from './3des-cbc.js';
import { ARCFOUR, ARCFOUR128, ARCFOUR256 } from './arcfour.js';
import { BLOWFISH_CBC } from './blowfish-cbc.js';
import { CAST128_CBC } from './cast128-cbc.js';
import { NONE_CIPHER, NONE_CIPHER_NAME } from './none.js';
import type { CipherAlgorithm } from '../../crypto/cipher-types.js';
import { getMac } from '../mac/index.js';
import type { KeySizes } from '../protection.js';

export type { AeadCipherState, BlockCipherState, CipherAlgorithm, CipherState } from '../../crypto/cipher-types.js';

/** Every cipher we implement, by wire name. */
export const CIPHERS: ReadonlyMap<string, CipherAlgorithm> = new Map(
  [
    CHACHA20_POLY1305,
    AES128_CTR,
    AES192_CTR,
    AES256_CTR,
    AES128_GCM,
    AES256_GCM,
    AES128_CBC,
    AES192_CBC,
    AES256_CBC,
    // libssh2's legacy table: insecure, opt-in by name only
    TRIPLE_DES_CBC,
    BLOWFISH_CBC,
    CAST128_CBC,
    ARCFOUR256,
    ARCFOUR128,
    ARCFOUR,
    // the pre-RFC name of aes256-cbc (OpenSSH < 7.2): an alias, same algorithm
    Object.freeze({ ...AES256_CBC, name: 'rijndael-cbc@lysator.liu.se' }),
  ].map((c) => [c.name, c]),
);

/** Offered by default, in OpenSSH's preference order (ssh_config(5) Ciphers). */
export const DEFAULT_CIPHERS: readonly string[] = Object.freeze([
  'chacha20-poly1305@openssh.com',
  'aes128-ctr',
  'aes192-ctr',
  'aes256-ctr',
  'aes128-gcm@openssh.com',
  'aes256-gcm@openssh.com',
]);

/** Everything a user may enable; the CBC modes and the legacy ciphers are insecure and opt-in. */
export const SUPPORTED_CIPHERS: readonly string[] = Object.freeze([
  ...DEFAULT_CIPHERS,
  'aes128-cbc',
  'aes192-cbc',
  'aes256-cbc',
  '3des-cbc',
  'blowfish-cbc',
  'cast128-cbc',
  'arcfour256',
  'arcfour128',
  'arcfour',
  'rijndael-cbc@lysator.liu.se',
]);

/**
 * `none` (RFC 4253 §6.3): no encryption. Not in CIPHERS or any list; usable only when a
 * caller names it explicitly (the client then warns through its debug hook).
 */
export { NONE_CIPHER_NAME } from './none.js';

/** The descriptor for a wire name, or an ALGO_UNSUPPORTED error. */
export function getCipher(name: string): CipherAlgorithm {
  const c = CIPHERS.get(name) ?? (name === NONE_CIPHER_NAME ? NONE_CIPHER : undefined);
  if (!c) throw new SshError('ALGO_UNSUPPORTED', `unsupported cipher: ${name}`);
  return c;
}

/**
 * Key material sizes for a negotiated cipher and MAC (RFC 4253 §7.2): how many bytes of
 * each derived key the transport must produce. The MAC is ignored for AEAD ciphers.
 */
export function keySizes(cipher: string, mac: string): KeySizes {
  const c = getCipher(cipher);
  return {
    keyLength: c.keyLength,
    ivLength: c.ivLength,
    macKeyLength: c.aead ? 0 : getMac(mac).keyLength,
  };
}
