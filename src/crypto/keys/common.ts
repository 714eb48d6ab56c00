/**
 * Shared plumbing for the per-key-type modules: the descriptor each one exports,
 * signature-blob framing (RFC 4253 §6.6) and mapping of decode errors to KeyError.
 */
import { KeyError, SshError } from '../../errors.js';
import { Reader } from '../../wire/reader.js';
import { Writer } from '../../wire/writer.js';
import type { PublicKeyOps } from '../provider.js';
import type { PrivateKey, PublicKey } from './types.js';

/** One key type (the string that starts a public key blob), registered by name in keys/index.ts. */
export interface KeyType {
  /** e.g. "ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa", "ssh-dss" */
  readonly type: string;
  /** signature algorithms keys of this type can make, best first */
  readonly signatureAlgorithms: readonly string[];
  /** Decode the public key fields that follow the type string; `blob` is the whole blob. Must consume `r` fully. */
  readPublic(r: Reader, blob: Uint8Array): PublicKey;
  /**
   * Decode the private key fields that follow the type string in an OpenSSH private key
   * section (PROTOCOL.key); returns a constructor taking the comment that follows them and
   * the provider's public-key operations, if any (to derive the public half, see ed25519.ts).
   */
  readPrivate(r: Reader): (comment: string, ops?: PublicKeyOps) => PrivateKey;
}

/** Run a decoder, turning wire-level ProtocolErrors into KeyErrors (the caller's contract). */
export function asKeyError<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof KeyError) throw e;
    if (e instanceof SshError) throw new KeyError(`${what}: ${e.message}`);
    throw e;
  }
}

/** Public key blob for `type` followed by fields written by `body`. */
export function encodeBlob(type: string, body: (w: Writer) => void): Uint8Array {
  const w = new Writer(128);
  w.string(type);
  body(w);
  return w.finish().slice();
}

/** Signature blob: string algorithm, string signature (RFC 4253 §6.6). */
export function encodeSignature(algorithm: string, signature: Uint8Array): Uint8Array {
  return new Writer(signature.length + 64).string(algorithm).string(signature).finish().slice();
}

/**
 * The signature bytes inside a signature blob, or null if the blob is malformed,
 * has trailing data, or names an algorithm other than `algorithm`.
 */
export function decodeSignature(sigBlob: Uint8Array, algorithm: string): Uint8Array | null {
  try {
    const r = new Reader(sigBlob, 0, 'signature');
    const name = r.ascii('signature algorithm');
    const sig = r.string('signature');
    r.end();
    return name === algorithm ? sig : null;
  } catch (e) {
    if (e instanceof SshError) return null;
    throw e;
  }
}

/** Reject a private key whose embedded public part does not match its secret. */
export function checkConsistent(ok: boolean, type: string): void {
  if (!ok) throw new KeyError(`${type} private key is inconsistent (public part does not match the secret)`);
}
