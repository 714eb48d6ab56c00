/**
 * What the FIDO security key types (OpenSSH PROTOCOL.u2f) share: the flag bits, the
 * signature details a verifier reports (flags, counter), the signer interface an
 * authenticator is reached through, and the wire form of sk signatures.
 *
 * Signature (PROTOCOL.u2f "SSH U2F signatures"):
 *   string type, string signature (ed25519: 64 bytes; ecdsa: mpint r, mpint s),
 *   byte flags, uint32 counter
 *   [webauthn-sk-ecdsa-sha2-nistp256@openssh.com: string origin, string clientData, string extensions]
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { p256 } from '@noble/curves/nist.js';
import { KeyError, SshError } from '../../errors.js';
import { Reader } from '../../wire/reader.js';
import { Writer } from '../../wire/writer.js';
import { bigintToBytes, bytesToBigint } from '../bigint.js';

/** sk-api.h SSH_SK_USER_PRESENCE_REQD; in a signature's flags: the authenticator saw a touch (FIDO "UP"). */
export const SK_USER_PRESENCE = 0x01;
/** sk-api.h SSH_SK_USER_VERIFICATION_REQD; in a signature's flags: PIN or biometric checked (FIDO "UV"). */
export const SK_USER_VERIFICATION = 0x04;
/** sk-api.h SSH_SK_RESIDENT_KEY: a key flag, the credential is stored on the authenticator. */
export const SK_RESIDENT_KEY = 0x20;

export const SK_ED25519 = 'sk-ssh-ed25519@openssh.com';
export const SK_ECDSA = 'sk-ecdsa-sha2-nistp256@openssh.com';
export const SK_WEBAUTHN_ECDSA = 'webauthn-sk-ecdsa-sha2-nistp256@openssh.com';

/** The authenticator's part of a verified sk signature (OpenSSH's sshkey_sig_details). */
export interface SecurityKeySignatureInfo {
  /** the authenticator data flags byte: SK_USER_PRESENCE (0x01), SK_USER_VERIFICATION (0x04), … */
  readonly flags: number;
  /** the authenticator's signature counter */
  readonly counter: number;
  /** the flags have the user-presence bit */
  readonly userPresent: boolean;
  /** the flags have the user-verification bit */
  readonly userVerified: boolean;
  /** for a webauthn-sk-ecdsa-sha2-nistp256@openssh.com signature: the web origin that made it */
  readonly webauthnOrigin?: string;
}

/** What an authenticator is asked to sign (OpenSSH's sk_sign() arguments). */
export interface SecurityKeySignRequest {
  /** "ed25519" or "ecdsa-p256" (sk-api.h SSH_SK_ED25519 / SSH_SK_ECDSA) */
  readonly algorithm: 'ed25519' | 'ecdsa-p256';
  /** the key's application string (FIDO relying party id), e.g. "ssh:" */
  readonly application: string;
  /** the credential id the authenticator made at enrollment */
  readonly keyHandle: Uint8Array;
  /** the key's flags from its key file (SK_USER_PRESENCE: ask for a touch; SK_USER_VERIFICATION: ask for a PIN) */
  readonly flags: number;
  /**
   * The message. A FIDO authenticator signs SHA-256 of it as the client data hash
   * (as OpenSSH's sk-usbhid does); a WebAuthn signer makes it the challenge.
   */
  readonly data: Uint8Array;
  /** the key's SSH public key blob (e.g. to pick the credential) */
  readonly publicKeyBlob: Uint8Array;
}

/** An authenticator's answer. */
export interface SecurityKeySignResponse {
  /** ed25519: the 64-byte signature; ECDSA: r ‖ s (64 bytes) or the X9.62 DER SEQUENCE authenticators return */
  readonly signature: Uint8Array;
  /** the authenticator data flags byte */
  readonly flags: number;
  /** the signature counter */
  readonly counter: number;
  /**
   * When the signature was made through WebAuthn (navigator.credentials.get): the origin and
   * the clientDataJSON the browser signed, and the authenticator extensions (bytes after the
   * counter in authenticatorData). The signature becomes webauthn-sk-ecdsa-sha2-nistp256@openssh.com.
   */
  readonly webauthn?: { readonly origin: string; readonly clientData: Uint8Array; readonly extensions?: Uint8Array };
}

/**
 * The way to a FIDO authenticator: the counterpart of OpenSSH's SecurityKeyProvider
 * middleware (sk-api.h sk_sign). puressh builds the SSH signature from the answer.
 */
export interface SecurityKeySigner {
  /** Ask the authenticator to sign; reject (or throw) when it cannot (no device, user refused). */
  sign(request: SecurityKeySignRequest): Promise<SecurityKeySignResponse> | SecurityKeySignResponse;
}

/** A decoded sk signature blob. */
export interface SkSignatureParts {
  readonly algorithm: string;
  readonly signature: Uint8Array;
  readonly flags: number;
  readonly counter: number;
  readonly webauthn?: { readonly origin: string; readonly clientData: Uint8Array; readonly extensions: Uint8Array };
}

/** Decode an sk signature blob; null when malformed or with trailing data (sshd: invalid format). */
export function decodeSkSignature(blob: Uint8Array): SkSignatureParts | null {
  try {
    const r = new Reader(blob, 0, 'sk signature');
    const algorithm = r.ascii('signature algorithm');
    const signature = r.string('signature').slice();
    const flags = r.u8('flags');
    const counter = r.u32('counter');
    if (algorithm !== SK_WEBAUTHN_ECDSA) {
      r.end();
      return { algorithm, signature, flags, counter };
    }
    const origin = r.text('webauthn origin');
    const clientData = r.string('webauthn clientData').slice();
    const extensions = r.string('webauthn extensions').slice();
    r.end();
    return { algorithm, signature, flags, counter, webauthn: { origin, clientData, extensions } };
  } catch (e) {
    if (e instanceof SshError) return null;
    throw e;
  }
}

/** Encode an sk signature blob from its parts. */
export function encodeSkSignature(parts: SkSignatureParts): Uint8Array {
  const w = new Writer(parts.signature.length + 128).string(parts.algorithm).string(parts.signature).u8(parts.flags).u32(parts.counter);
  if (parts.webauthn) w.string(parts.webauthn.origin).string(parts.webauthn.clientData).string(parts.webauthn.extensions);
  return w.finish().slice();
}

/** sha256(application) ‖ flags ‖ counter ‖ extensions ‖ sha256(message): what the authenticator signs (PROTOCOL.u2f). */
export function skSignedBlob(application: string, flags: number, counter: number, extensions: Uint8Array, messageHash: Uint8Array): Uint8Array {
  return new Writer(80 + extensions.length)
    .raw(sha256(new TextEncoder().encode(application)))
    .u8(flags)
    .u32(counter)
    .raw(extensions)
    .raw(messageHash)
    .finish()
    .slice();
}

/** The details a verifier reports for a good signature. */
export function signatureInfo(parts: SkSignatureParts): SecurityKeySignatureInfo {
  const info = {
    flags: parts.flags,
    counter: parts.counter,
    userPresent: (parts.flags & SK_USER_PRESENCE) !== 0,
    userVerified: (parts.flags & SK_USER_VERIFICATION) !== 0,
  };
  return parts.webauthn ? { ...info, webauthnOrigin: parts.webauthn.origin } : info;
}

/** What a server requires of an sk signature (sshd: PubkeyAuthOptions and the key's options). */
export interface SecurityKeyPolicy {
  /** the user-presence flag must be set (default true: sshd's unless no-touch-required) */
  readonly userPresence?: boolean;
  /** the user-verification flag must be set (verify-required) */
  readonly userVerification?: boolean;
}

/** Which requirement a signature fails, or null (auth2-pubkey.c userauth_pubkey). */
export function securityKeyPolicyProblem(info: SecurityKeySignatureInfo, policy: SecurityKeyPolicy = {}): 'user-presence' | 'user-verification' | null {
  if ((policy.userPresence ?? true) && !info.userPresent) return 'user-presence';
  if (policy.userVerification && !info.userVerified) return 'user-verification';
  return null;
}

const P256_ORDER = p256.Point.CURVE().n;

/** An ECDSA P-256 signature as r ‖ s (64 bytes) from r ‖ s or DER; throws KeyError when neither. */
export function p256CompactSignature(sig: Uint8Array): Uint8Array {
  if (sig.length === 64) return sig.slice();
  try {
    return p256.Signature.fromBytes(sig, 'der').toBytes('compact');
  } catch {
    throw new KeyError('security key: the ECDSA signature is neither r‖s nor DER');
  }
}

/** mpint r, mpint s from r ‖ s. */
export function ecdsaSignatureField(compact: Uint8Array): Uint8Array {
  return new Writer(80)
    .mpint(bytesToBigint(compact.subarray(0, 32)))
    .mpint(bytesToBigint(compact.subarray(32, 64)))
    .finish()
    .slice();
}

/** r ‖ s from the mpint pair, or null when malformed or out of range. */
export function compactFromEcdsaField(field: Uint8Array): Uint8Array | null {
  try {
    const r = new Reader(field, 0, 'ecdsa signature');
    const sr = r.mpint('r');
    const ss = r.mpint('s');
    r.end();
    if (sr <= 0n || ss <= 0n || sr >= P256_ORDER || ss >= P256_ORDER) return null;
    const out = new Uint8Array(64);
    out.set(bigintToBytes(sr, 32), 0);
    out.set(bigintToBytes(ss, 32), 32);
    return out;
  } catch (e) {
    if (e instanceof SshError) return null;
    throw e;
  }
}

/** The application string of a key (sshbuf_get_cstring: UTF-8 here, no NUL inside). */
export function readApplication(r: Reader): string {
  const application = r.text('sk application');
  if (application.includes('\0')) throw new KeyError('security key application contains a NUL byte');
  return application;
}
