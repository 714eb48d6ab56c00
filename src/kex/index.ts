/**
 * The key-exchange registry (RFC 4253 §7): wire name → KexAlgorithm, with ordered lists.
 *
 * DEFAULT_KEX follows the OpenSSH 10 client order for the methods we implement: the
 * post-quantum hybrids first, then the OpenSSH 9.x classic order.
 * Insecure methods (SHA-1, 1024-bit group) are registered but only used when a caller
 * names them explicitly. Later modules (e.g. faster providers) call registerKex().
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

/** Every registered method by wire name. */
export const KEX_ALGORITHMS: Map<string, KexAlgorithm> = new Map();

/** Default client preference, best first (OpenSSH 10 order). */
export const DEFAULT_KEX: string[] = [
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
];

/** Methods that are registered but never enabled unless asked for by name. */
export const INSECURE_KEX: string[] = [
  'diffie-hellman-group14-sha1',
  'diffie-hellman-group-exchange-sha1',
  'diffie-hellman-group1-sha1',
];

/** Every supported method: the defaults, then the insecure ones, then later registrations. */
export const SUPPORTED_KEX: string[] = [...DEFAULT_KEX, ...INSECURE_KEX];

export interface RegisterKexOptions {
  /** replace an existing registration of the same name (a faster provider) */
  replace?: boolean;
  /** also insert the name into DEFAULT_KEX at this index (0 = most preferred) */
  defaultPosition?: number;
}

/**
 * Register a method by its wire name. Throws if the name is taken unless `replace` is set.
 *
 * @example
 * registerKex(mlkem768x25519Sha256, { defaultPosition: 0 });
 */
export function registerKex(alg: KexAlgorithm, options: RegisterKexOptions = {}): void {
  if (KEX_ALGORITHMS.has(alg.name) && !options.replace) {
    throw new Error(`kex algorithm ${alg.name} is already registered`);
  }
  KEX_ALGORITHMS.set(alg.name, alg);
  if (alg.insecure) {
    if (!INSECURE_KEX.includes(alg.name)) INSECURE_KEX.push(alg.name);
  } else if (options.defaultPosition !== undefined && !DEFAULT_KEX.includes(alg.name)) {
    DEFAULT_KEX.splice(options.defaultPosition, 0, alg.name);
  }
  if (!SUPPORTED_KEX.includes(alg.name)) SUPPORTED_KEX.push(alg.name);
}

/** The method registered under `name`, if any. */
export function getKex(name: string): KexAlgorithm | undefined {
  return KEX_ALGORITHMS.get(name);
}

for (const alg of [
  mlkem768x25519Sha256,
  sntrup761x25519Sha512,
  sntrup761x25519Sha512OpenSSH,
  curve25519Sha256,
  curve25519Sha256Libssh,
  ...ECDH_NIST_KEX,
  dhGexSha256,
  ...DH_GROUP_KEX,
  dhGexSha1,
]) {
  registerKex(alg);
}
