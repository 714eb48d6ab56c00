/**
 * sshd's check of a FIDO security key signature (PROTOCOL.u2f) against what authorized_keys
 * (or the certificate) said about the key: auth2-pubkey.c userauth_pubkey refuses a signature
 * without the user-presence flag unless no-touch-required, and one without user verification
 * under verify-required; PubkeyAuthOptions touch-required / verify-required apply to every key.
 */
import { fingerprintSHA256 } from '../crypto/fingerprint.js';
import { securityKeyPolicyProblem, type SecurityKeySignatureInfo } from '../crypto/keys/sk-common.js';
import type { PublicKey } from '../crypto/keys/types.js';
import type { KeyOptions } from './options.js';
import { keyTypeLabel } from './evaluate.js';

/** Who signed, and sshd's PubkeyAuthOptions, for the log line. */
export interface SecurityKeyCheckContext {
  readonly user: string;
  readonly address: string;
  readonly port?: number;
  /** PubkeyAuthOptions touch-required / verify-required */
  readonly pubkeyAuthOptions?: { readonly touchRequired?: boolean; readonly verifyRequired?: boolean };
}

/**
 * Null when the signature's flags satisfy the key's options, else the line sshd logs when it
 * refuses (its trailing blank included).
 * @example checkSecurityKeySignature(key, request.securityKey, verdict.options, { user: 'alice', address: '192.0.2.7', port: 50022 })
 */
export function checkSecurityKeySignature(
  key: PublicKey,
  info: SecurityKeySignatureInfo,
  options: KeyOptions,
  context: SecurityKeyCheckContext,
): string | null {
  const server = context.pubkeyAuthOptions ?? {};
  const problem = securityKeyPolicyProblem(info, {
    userPresence: server.touchRequired === true || !options.noRequireUserPresence,
    userVerification: server.verifyRequired === true || options.requireVerify,
  });
  if (problem === null) return null;
  const what = problem === 'user-presence' ? 'user presence (authenticator touch)' : 'user verification';
  return (
    `public key ${keyTypeLabel(key.type)} ${fingerprintSHA256(key.blob)} signature for ${context.user} from ${context.address} ` +
    `port ${context.port ?? 0} rejected: ${what} requirement not met `
  );
}
