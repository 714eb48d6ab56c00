/**
 * Where the packet layer gets its cipher and MAC implementations.
 * The pure provider is the registries of noble-based modules (the default everywhere, the
 * only one in a browser); the Node entry point layers node:crypto implementations on top.
 * A provider only changes how an algorithm is computed, never which algorithms exist.
 */
import { SshError } from '../errors.js';
import { getCipher } from '../transport/cipher/index.js';
import type { CipherAlgorithm } from '../transport/cipher/types.js';
import { getMac } from '../transport/mac/index.js';
import type { MacAlgorithm } from '../transport/mac/types.js';

/** NIST curves by their SSH identifier (RFC 5656 §10.1). */
export type NistCurve = 'nistp256' | 'nistp384' | 'nistp521';
export type HashName = 'sha1' | 'sha256' | 'sha384' | 'sha512';

/** RSA private components (big-endian), CRT values included. */
export interface RsaPrivateParts {
  n: bigint;
  e: bigint;
  d: bigint;
  p: bigint;
  q: bigint;
  dp: bigint;
  dq: bigint;
  iqmp: bigint;
}

/** DSA private key: domain parameters, public value y and secret x. */
export interface DsaPrivateParts {
  p: bigint;
  q: bigint;
  g: bigint;
  y: bigint;
  x: bigint;
}

/**
 * Public-key arithmetic a provider may take over from the pure (noble, BigInt) code. Same
 * inputs and outputs as the pure code (differential-tested), so callers only choose who
 * computes. Methods throw on invalid peer values, as the pure code does.
 */
export interface PublicKeyOps {
  /** RFC 7748 X25519(secret, 9) */
  x25519Public(secret: Uint8Array): Uint8Array;
  /** RFC 7748 X25519(secret, peer); throws on an all-zero result */
  x25519Shared(secret: Uint8Array, peer: Uint8Array): Uint8Array;
  /** uncompressed SEC1 point of scalar `secret` (big-endian, curve size) */
  ecdhPublic(curve: NistCurve, secret: Uint8Array): Uint8Array;
  /** x coordinate of secret·peer; throws if `peer` is not a valid uncompressed point */
  ecdhShared(curve: NistCurve, secret: Uint8Array, peer: Uint8Array): Uint8Array;
  /**
   * An ephemeral finite-field DH pair in the group (p, g) (odd p, 1 < g < p-1), with the
   * private exponent chosen and kept inside the provider: `exponentBits` bits where the
   * provider picks the size itself only for groups it knows. Null when it cannot take the
   * group (the caller then computes in BigInt).
   */
  dhGroup(p: bigint, g: bigint, exponentBits: number): { publicKey: bigint; shared(peer: bigint): bigint } | null;
  /** RFC 8032 Ed25519 (strict) */
  ed25519Verify(point: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean;
  ed25519Sign(seed: Uint8Array, data: Uint8Array): Uint8Array;
  /** ECDSA over hash(data); signature as r ‖ s, each curve-size bytes */
  ecdsaVerify(curve: NistCurve, point: Uint8Array, hash: HashName, data: Uint8Array, signature: Uint8Array): boolean;
  ecdsaSign(curve: NistCurve, point: Uint8Array, d: Uint8Array, hash: HashName, data: Uint8Array): Uint8Array;
  /** RSASSA-PKCS1-v1_5; `signature` is modulus-length */
  rsaVerify(n: bigint, e: bigint, hash: HashName, data: Uint8Array, signature: Uint8Array): boolean;
  rsaSign(key: RsaPrivateParts, hash: HashName, data: Uint8Array): Uint8Array;
  /** FIPS 186 DSA with SHA-1 over data; signature as r ‖ s, each q-size bytes (ssh-dss: 20) */
  dsaSign(key: DsaPrivateParts, data: Uint8Array): Uint8Array;
}

export interface CryptoProvider {
  readonly name: string;
  /** the implementation of cipher `name`; throws SshError ALGO_UNSUPPORTED if unknown */
  cipher(name: string): CipherAlgorithm;
  mac(name: string): MacAlgorithm;
  /** faster (and constant-time) public-key operations; absent: the pure code computes them */
  readonly publicKey?: PublicKeyOps;
}

export const pureProvider: CryptoProvider = Object.freeze({
  name: 'pure',
  cipher: getCipher,
  mac: getMac,
});

/** A provider that overrides some algorithms and falls back to another for the rest. */
export function layeredProvider(
  name: string,
  overrides: { ciphers?: readonly CipherAlgorithm[]; macs?: readonly MacAlgorithm[]; publicKey?: PublicKeyOps },
  fallback: CryptoProvider = pureProvider,
): CryptoProvider {
  const ciphers = new Map((overrides.ciphers ?? []).map((c) => [c.name, c]));
  const macs = new Map((overrides.macs ?? []).map((m) => [m.name, m]));
  const publicKey = overrides.publicKey ?? fallback.publicKey;
  return Object.freeze({
    name,
    ...(publicKey ? { publicKey } : {}),
    cipher: (n: string) => {
      const c = ciphers.get(n) ?? fallback.cipher(n);
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a fallback provider written in JavaScript may return undefined
      if (!c) throw new SshError('ALGO_UNSUPPORTED', `unknown cipher ${n}`);
      return c;
    },
    mac: (n: string) => {
      const m = macs.get(n) ?? fallback.mac(n);
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a fallback provider written in JavaScript may return undefined
      if (!m) throw new SshError('ALGO_UNSUPPORTED', `unknown MAC ${n}`);
      return m;
    },
  });
}
