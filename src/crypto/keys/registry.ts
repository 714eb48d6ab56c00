/**
 * Key types and host-key / signature algorithms by wire name (RFC 4253 §6.6, RFC 5656,
 * RFC 8332, RFC 8709). Weak algorithms are supported only when named explicitly.
 */
import { CERTIFICATE_KEY_TYPES, certTypeFor } from './certificate.js';
import type { KeyType } from './common.js';
import { DSA } from './dsa.js';
import { ECDSA_NISTP256, ECDSA_NISTP384, ECDSA_NISTP521 } from './ecdsa.js';
import { ED25519 } from './ed25519.js';
import { RSA } from './rsa.js';
import { SK_ECDSA_TYPE } from './sk-ecdsa.js';
import { SK_ED25519_TYPE } from './sk-ed25519.js';

/** Key type name (first string of a public key blob) → implementation. */
export const KEY_TYPES: ReadonlyMap<string, KeyType> = new Map(
  [ED25519, ECDSA_NISTP256, ECDSA_NISTP384, ECDSA_NISTP521, RSA, DSA, SK_ED25519_TYPE, SK_ECDSA_TYPE, ...CERTIFICATE_KEY_TYPES].map((k) => [k.type, k]),
);

/** A host-key / public-key signature algorithm. */
export interface HostKeyAlgorithm {
  /** algorithm name as negotiated and as it appears in signature blobs */
  readonly name: string;
  /** key type whose blob it verifies against */
  readonly keyType: string;
  /** SHA-1 based: supported by name only, never offered by default */
  readonly insecure: boolean;
}

const algorithm = (name: string, keyType: string, insecure = false): HostKeyAlgorithm => Object.freeze({ name, keyType, insecure });

/** Signature algorithm name → descriptor. */
export const HOSTKEY_ALGORITHMS: ReadonlyMap<string, HostKeyAlgorithm> = new Map(
  [
    algorithm('ssh-ed25519', 'ssh-ed25519'),
    algorithm('ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp256'),
    algorithm('ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp384'),
    algorithm('ecdsa-sha2-nistp521', 'ecdsa-sha2-nistp521'),
    algorithm('rsa-sha2-512', 'ssh-rsa'),
    algorithm('rsa-sha2-256', 'ssh-rsa'),
    algorithm('ssh-rsa', 'ssh-rsa', true),
    algorithm('ssh-dss', 'ssh-dss', true),
    // PROTOCOL.u2f: user keys only (sshd cannot hold a host key in an authenticator).
    algorithm('sk-ssh-ed25519@openssh.com', 'sk-ssh-ed25519@openssh.com'),
    algorithm('sk-ecdsa-sha2-nistp256@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com'),
    algorithm(certTypeFor('sk-ssh-ed25519@openssh.com'), certTypeFor('sk-ssh-ed25519@openssh.com')),
    algorithm(certTypeFor('sk-ecdsa-sha2-nistp256@openssh.com'), certTypeFor('sk-ecdsa-sha2-nistp256@openssh.com')),
    // PROTOCOL.certkeys: the same algorithms over a certificate of the key.
    algorithm(certTypeFor('ssh-ed25519'), certTypeFor('ssh-ed25519')),
    algorithm(certTypeFor('ecdsa-sha2-nistp256'), certTypeFor('ecdsa-sha2-nistp256')),
    algorithm(certTypeFor('ecdsa-sha2-nistp384'), certTypeFor('ecdsa-sha2-nistp384')),
    algorithm(certTypeFor('ecdsa-sha2-nistp521'), certTypeFor('ecdsa-sha2-nistp521')),
    algorithm(certTypeFor('rsa-sha2-512'), certTypeFor('ssh-rsa')),
    algorithm(certTypeFor('rsa-sha2-256'), certTypeFor('ssh-rsa')),
    algorithm(certTypeFor('ssh-rsa'), certTypeFor('ssh-rsa'), true),
    algorithm(certTypeFor('ssh-dss'), certTypeFor('ssh-dss'), true),
  ].map((a) => [a.name, a]),
);

/** Offered by default, in the OpenSSH 9 client's order (without certificate and FIDO types). */
export const DEFAULT_HOSTKEY_ALGORITHMS: readonly string[] = Object.freeze([
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
]);

/** SHA-1 based algorithms, available only when configured by name. */
export const INSECURE_HOSTKEY_ALGORITHMS: readonly string[] = Object.freeze(['ssh-rsa', 'ssh-dss']);

/** The certificate algorithms (PROTOCOL.certkeys) in the OpenSSH 9 client's order, without FIDO types. */
export const CERT_ALGORITHMS: readonly string[] = Object.freeze([...DEFAULT_HOSTKEY_ALGORITHMS.map(certTypeFor)]);

/** SHA-1 based certificate algorithms, available only when configured by name. */
export const INSECURE_CERT_ALGORITHMS: readonly string[] = Object.freeze(INSECURE_HOSTKEY_ALGORITHMS.map(certTypeFor));

/** FIDO security key algorithms (PROTOCOL.u2f), user authentication only: the plain ones, then their certificates. */
export const SECURITY_KEY_ALGORITHMS: readonly string[] = Object.freeze([
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  certTypeFor('sk-ssh-ed25519@openssh.com'),
  certTypeFor('sk-ecdsa-sha2-nistp256@openssh.com'),
]);

/**
 * OpenSSH 9's default PubkeyAcceptedAlgorithms (myproposal.h KEX_DEFAULT_PK_ALG): certificates
 * first, security keys after the ECDSA ones.
 */
export const DEFAULT_PUBKEY_ALGORITHMS: readonly string[] = Object.freeze([
  ...CERT_ALGORITHMS.slice(0, 4),
  SECURITY_KEY_ALGORITHMS[2]!,
  SECURITY_KEY_ALGORITHMS[3]!,
  ...CERT_ALGORITHMS.slice(4),
  ...DEFAULT_HOSTKEY_ALGORITHMS.slice(0, 4),
  SECURITY_KEY_ALGORITHMS[0]!,
  SECURITY_KEY_ALGORITHMS[1]!,
  ...DEFAULT_HOSTKEY_ALGORITHMS.slice(4),
]);

/** Every plain-key algorithm implemented: the defaults, then the insecure ones. */
export const SUPPORTED_HOSTKEY_ALGORITHMS: readonly string[] = Object.freeze([...DEFAULT_HOSTKEY_ALGORITHMS, ...INSECURE_HOSTKEY_ALGORITHMS]);

/** Every certificate algorithm implemented. */
export const SUPPORTED_CERT_ALGORITHMS: readonly string[] = Object.freeze([...CERT_ALGORITHMS, ...INSECURE_CERT_ALGORITHMS]);

/**
 * Key type a signature algorithm verifies against (rsa-sha2-256/512 → ssh-rsa), or
 * undefined for an unknown algorithm.
 * @example keyTypeForAlgorithm('rsa-sha2-512') // 'ssh-rsa'
 */
export function keyTypeForAlgorithm(algorithm: string): string | undefined {
  return HOSTKEY_ALGORITHMS.get(algorithm)?.keyType;
}

/**
 * Signature algorithms a key type can make, best first (empty for an unknown type).
 * @example signatureAlgorithmsForKeyType('ssh-rsa') // ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']
 */
export function signatureAlgorithmsForKeyType(type: string): readonly string[] {
  return KEY_TYPES.get(type)?.signatureAlgorithms ?? [];
}
