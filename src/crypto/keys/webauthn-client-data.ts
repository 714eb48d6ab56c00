/**
 * The start of the WebAuthn clientDataJSON that sshd checks for a
 * webauthn-sk-ecdsa-sha2-nistp256@openssh.com signature (ssh-ecdsa-sk.c
 * webauthn_check_prepare_hash): {"type":"webauthn.get","challenge":"<base64url of the signed
 * data, unpadded>","origin":"<origin>" — the order WebAuthn Level 2 §5.8.1.1 serializes them
 * in; whatever follows (crossOrigin, …) is not checked.
 */
import { base64Encode } from '../encoding.js';

/** RFC 4648 §5 base64url without padding. */
export function base64UrlEncode(data: Uint8Array): string {
  return base64Encode(data, false).replace(/\+/g, '-').replace(/\//g, '_');
}

/** The bytes a clientDataJSON must begin with for `message` signed from `origin`. */
export function webauthnClientDataPrefix(message: Uint8Array, origin: string): Uint8Array {
  return new TextEncoder().encode(`{"type":"webauthn.get","challenge":"${base64UrlEncode(message)}","origin":"${origin}"`);
}
