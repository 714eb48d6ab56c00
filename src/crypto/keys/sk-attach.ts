/** Give a security key (plain or certified) the signer it signs through. */
import { CertifiedPrivateKey } from './certificate.js';
import type { SecurityKeySigner } from './sk-common.js';
import { SecurityKeyPrivateKey } from './sk-private.js';
import type { PrivateKey } from './types.js';

/** The security key inside `key` (itself, or the key a certificate certifies), or undefined for other keys. */
export function securityKeyOf(key: PrivateKey): SecurityKeyPrivateKey | undefined {
  if (key instanceof SecurityKeyPrivateKey) return key;
  if (key instanceof CertifiedPrivateKey && key.key instanceof SecurityKeyPrivateKey) return key.key;
  return undefined;
}

/**
 * `key` signing through `signer` when it is a FIDO security key (or its certificate);
 * any other key is returned as it is.
 * @example withSecurityKeySigner(parsePrivateKey(text), mySigner)
 */
export function withSecurityKeySigner(key: PrivateKey, signer: SecurityKeySigner): PrivateKey {
  if (key instanceof SecurityKeyPrivateKey) return key.withSigner(signer);
  if (key instanceof CertifiedPrivateKey && key.key instanceof SecurityKeyPrivateKey) return new CertifiedPrivateKey(key.key.withSigner(signer), key.publicKey);
  return key;
}
