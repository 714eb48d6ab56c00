/**
 * Hashed known_hosts names (OpenSSH hostfile.c, HashKnownHosts):
 * `|1|` base64(salt) `|` base64(HMAC-SHA1(key = salt, data = name)), salt 20 random bytes,
 * name as `hostPortName` writes it ("host" or "[host]:port").
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { base64Encode } from '../crypto/encoding.js';
import { equalConstantTime } from '../wire/bytes.js';
import { HASH_MAGIC, HASH_SIZE, KnownHostsError } from './parse.js';

const utf8 = new TextEncoder();

/**
 * The hashed form of `name`; a fresh random salt unless one is given.
 * @example hashHostName('example.com') // '|1|…=|…='
 */
export function hashHostName(name: string, salt: Uint8Array = randomBytes(HASH_SIZE)): string {
  if (salt.length !== HASH_SIZE) throw new KnownHostsError(`hash salt must be ${HASH_SIZE} bytes`);
  const digest = hmac(sha1, salt, utf8.encode(name));
  return `${HASH_MAGIC}${base64Encode(salt)}|${base64Encode(digest)}`;
}

/** Whether a hashed entry (salt, hash) was made from `name`. */
export function hashedNameMatches(salt: Uint8Array, hash: Uint8Array, name: string): boolean {
  return equalConstantTime(hmac(sha1, salt, utf8.encode(name)), hash);
}
