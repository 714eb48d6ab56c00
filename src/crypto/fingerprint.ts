/**
 * Key fingerprints as OpenSSH prints them (`ssh-keygen -l`, sshkey_fingerprint()), and raw
 * host-key hashes (libssh2_hostkey_hash). All take the public key blob (RFC 4253 §6.6).
 */
import { md5, sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { base64Encode, toHex } from './encoding.js';

/** A hash for {@link hostKeyHash}. */
export type HostKeyHashType = 'md5' | 'sha1' | 'sha256';

/**
 * Raw digest of a key blob (MD5 16 bytes, SHA-1 20, SHA-256 32).
 * @example hostKeyHash(blob, 'sha256').length // 32
 */
export function hostKeyHash(blob: Uint8Array, type: HostKeyHashType): Uint8Array {
  switch (type) {
    case 'md5':
      return md5(blob);
    case 'sha1':
      return sha1(blob);
    case 'sha256':
      return sha256(blob);
    default: {
      const never: never = type;
      throw new TypeError(`unknown hash type ${String(never)}`);
    }
  }
}

/**
 * `SHA256:` + unpadded base64 of SHA-256(blob), OpenSSH's default fingerprint.
 * @example fingerprintSHA256(new Uint8Array(0)) // 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU'
 */
export function fingerprintSHA256(blob: Uint8Array): string {
  return 'SHA256:' + base64Encode(sha256(blob), false);
}

/**
 * `MD5:` + colon-separated lower-case hex of MD5(blob), as `ssh-keygen -l -E md5` prints.
 * @example fingerprintMD5(new Uint8Array(0)) // 'MD5:d4:1d:8c:d9:8f:00:b2:04:e9:80:09:98:ec:f8:42:7e'
 */
export function fingerprintMD5(blob: Uint8Array): string {
  return 'MD5:' + toHex(md5(blob), ':');
}
