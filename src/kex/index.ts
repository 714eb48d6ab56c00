/**
 * The key-exchange registry: wire name → KexAlgorithm, with ordered lists.
 *
 * DEFAULT_KEX follows the OpenSSH 10 client order for the methods we implement: the
 * post-quantum hybrids first, then the OpenSSH 9.x classic order.
 * Insecure methods (SHA-1, 1024-bit group) are implemented but only used when a caller
 * names them explicitly. The lists are frozen; a faster implementation of a method's
 * arithmetic comes from the connection's CryptoProvider (its publicKey operations).
 */
import { curve25519Sha256, curve25519Sha256Libssh } from './curve25519.js';
import { DH_GROUP_KEX } from './dh-group.js';
import { dhGexSha1, dhGexSha256 } from './dh-gex.js';
import { ECDH_NIST_KEX } from './ecdh-nist.js';
import { mlkem768x25519Sha256 } from './mlkem768x25519.js';
import { sntrup761x25519Sha512, sntrup761x25519Sha512OpenSSH } from './sntrup761x25519.js';
import type { KexAlgorithm } from './types.js';

export type * from './types.js';
export { deriveAll, deriveKey, type DerivedKeys, type KeyLetter } from './derive-keys.js';
export { exchangeHash } from './exchange-hash.js';

/** Default client preference, best first (OpenSSH 10 order). */
export const DEFAULT_KEX: readonly string[] = Object.freeze([
  'mlkem768x25519-sha256',
  'sntrup761x25519-sha512',
  'sntrup761x25519-sha512@openssh.com',
  'curve25519-sha256',
  'curve25519-sha256@libssh.org',
  'ecdh-sha2-nistp256',
  'ecdh-sha2-nistp384',
  'ecdh-sha2-nistp521',
  'diffie-hellman-group-exchange-sha256',
  'diffie-hellman-group16-sha512',
  'diffie-hellman-group18-sha512',
  'diffie-hellman-group14-sha256',
]);

/** Methods that are implemented but never enabled unless asked for by name. */
export const INSECURE_KEX: readonly string[] = Object.freeze([
  'diffie-hellman-group14-sha1',
  'diffie-hellman-group-exchange-sha1',
  'diffie-hellman-group1-sha1',
]);

/** Every supported method: the defaults, then the insecure ones. */
export const SUPPORTED_KEX: readonly string[] = Object.freeze([...DEFAULT_KEX, ...INSECURE_KEX]);

/** Every method by wire name. */
export const KEX_ALGORITHMS: ReadonlyMap<string, KexAlgorithm> = new Map(
  [
    mlkem768x25519Sha256,
    sntrup761x25519Sha512,
    sntrup761x25519Sha512OpenSSH,
    curve25519Sha256,
    curve25519Sha256Libssh,
    ...ECDH_NIST_KEX,
    dhGexSha256,
    ...DH_GROUP_KEX,
    dhGexSha1,
  ].map((alg) => [alg.name, alg]),
);

/** The method registered under `name`, if any. */
export function getKex(name: string): KexAlgorithm | undefined {
  return KEX_ALGORITHMS.get(name);
}
