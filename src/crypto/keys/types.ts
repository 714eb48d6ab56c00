import type { PublicKeyOps } from '../provider.js';
import type { Certificate } from './certificate.js';
import type { SecurityKeySignatureInfo } from './sk-common.js';

/**
 * Public and private key interfaces shared by host-key verification and user auth.
 * Key blobs and signature blobs are in SSH wire form (RFC 4253 §6.6).
 */

export interface PublicKey {
  /** key type as in the blob, e.g. "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ssh-dss" */
  readonly type: string;
  /** the SSH wire public key blob */
  readonly blob: Uint8Array;
  /** key size in bits (RSA/DSA modulus, curve size), for display */
  readonly bits: number;
  /**
   * Verify a signature blob (string algorithm, string signature) over data.
   * `algorithm` is the signature algorithm that was negotiated/expected (e.g. "rsa-sha2-256"
   * for an ssh-rsa key); a blob naming a different algorithm fails. Returns false on any
   * mismatch; throws only KeyError for a malformed key. With `ops` (a provider's public-key
   * arithmetic, e.g. node:crypto) the check may be computed there.
   */
  verify(algorithm: string, data: Uint8Array, signature: Uint8Array, ops?: PublicKeyOps): boolean;
  /**
   * FIDO security keys (and their certificates) only (PROTOCOL.u2f): check the signature
   * without any user-presence policy and return the authenticator's flags and counter, or
   * null when the signature is bad. `verify` is this plus "the user-presence flag is set".
   */
  verifySecurityKey?(algorithm: string, data: Uint8Array, signature: Uint8Array, ops?: PublicKeyOps): SecurityKeySignatureInfo | null;
}

/** A private key read by {@link parsePrivateKey}: signs, and knows its public half. */
export interface PrivateKey {
  readonly type: string;
  readonly comment: string;
  /** the matching public key */
  readonly publicKey: PublicKey;
  /** signature algorithms this key can make, best first (rsa: rsa-sha2-512, rsa-sha2-256, ssh-rsa) */
  readonly signatureAlgorithms: readonly string[];
  /**
   * Sign data; returns the signature blob (string algorithm, string signature). With `ops`
   * (a provider's public-key arithmetic, e.g. node:crypto) the key may let it compute.
   */
  sign(algorithm: string, data: Uint8Array, ops?: PublicKeyOps): Uint8Array | Promise<Uint8Array>;
}

/** The server's host key as the client saw it during key exchange, for host key checks (known_hosts). */
export interface HostKeyInfo {
  /** key type, e.g. "ssh-ed25519" */
  type: string;
  /** the negotiated host key signature algorithm, e.g. "rsa-sha2-512" */
  algorithm: string;
  /** SSH wire blob of the public key */
  blob: Uint8Array;
  /** "SHA256:<base64>" as ssh-keygen -l prints it */
  fingerprint: string;
  /**
   * When the host key is an OpenSSH certificate: the certificate, and `certificateProblem`,
   * why it is not a valid host certificate now (CA signature, type, validity) in OpenSSH's
   * words, or null. Whether its CA is trusted and its principals name the host is the
   * verifier's to decide (knownhosts' hostKeyVerifier does it with `@cert-authority` lines).
   */
  certificate?: Certificate;
  /** See `certificate`. */
  certificateProblem?: string | null;
}

/**
 * A private key's numbers, as openssh-key-v1 stores them (PROTOCOL.key; sshkey_private_serialize):
 * what the key file writers (OpenSSH, PEM, PKCS#8) serialize.
 */
export type KeyMaterial =
  | { readonly kind: 'ed25519'; readonly seed: Uint8Array; readonly point: Uint8Array }
  | { readonly kind: 'ecdsa'; readonly curve: 'nistp256' | 'nistp384' | 'nistp521'; readonly d: bigint; readonly point: Uint8Array }
  | { readonly kind: 'rsa'; readonly n: bigint; readonly e: bigint; readonly d: bigint; readonly p: bigint; readonly q: bigint; readonly iqmp: bigint }
  | SecurityKeyMaterial;

/**
 * A FIDO security key's file fields (PROTOCOL.u2f): the public point (Ed25519 32 bytes, P-256
 * SEC1 uncompressed), the application, the key's flags, the key handle, the reserved string.
 */
export interface SecurityKeyMaterial {
  readonly kind: 'sk-ed25519' | 'sk-ecdsa';
  readonly point: Uint8Array;
  readonly application: string;
  readonly flags: number;
  readonly keyHandle: Uint8Array;
  readonly reserved: Uint8Array;
}
