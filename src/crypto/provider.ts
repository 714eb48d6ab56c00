/**
 * The one place where implementations are swapped: a connection's cipher and MAC states,
 * its public-key arithmetic (kex, signatures, deriving the public half of a private key).
 * The pure provider swaps nothing: the built-in noble/BigInt code computes everything (the
 * default everywhere, the only choice in a browser); the Node entry point passes the
 * node:crypto provider. A provider only changes how an algorithm is computed, never which
 * algorithms exist or their sizes: those are the transport's descriptors.
 */
import type { CipherAlgorithm } from './cipher-types.js';
import type { MacAlgorithm } from './mac-types.js';

/** NIST curves by their SSH identifier (RFC 5656 §10.1). */
export type NistCurve = 'nistp256' | 'nistp384' | 'nistp521';
/** A hash used by a signature or key-exchange method. */
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
  dhGroup(
    p: bigint,
    g: bigint,
    exponentBits: number,
  ): {
    publicKey: bigint;
    /** the secret shared with `peer` */
    shared(peer: bigint): bigint;
  } | null;
  /** RFC 8032 §5.1.5: the public key A of a 32-byte seed */
  ed25519Public(seed: Uint8Array): Uint8Array;
  /** RFC 8032 Ed25519 (strict) */
  ed25519Verify(point: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean;
  /** An Ed25519 signature (RFC 8032) with the key of this 32-byte seed. */
  ed25519Sign(seed: Uint8Array, data: Uint8Array): Uint8Array;
  /** ECDSA over hash(data); signature as r ‖ s, each curve-size bytes */
  ecdsaVerify(curve: NistCurve, point: Uint8Array, hash: HashName, data: Uint8Array, signature: Uint8Array): boolean;
  /** An ECDSA signature (RFC 5656 §3.1.2), as the SSH signature blob body. */
  ecdsaSign(curve: NistCurve, point: Uint8Array, d: Uint8Array, hash: HashName, data: Uint8Array): Uint8Array;
  /** RSASSA-PKCS1-v1_5; `signature` is modulus-length */
  rsaVerify(n: bigint, e: bigint, hash: HashName, data: Uint8Array, signature: Uint8Array): boolean;
  /** An RSASSA-PKCS1-v1_5 signature (RFC 8332). */
  rsaSign(key: RsaPrivateParts, hash: HashName, data: Uint8Array): Uint8Array;
  /** FIPS 186 DSA with SHA-1 over data; signature as r ‖ s, each q-size bytes (ssh-dss: 20) */
  dsaSign(key: DsaPrivateParts, data: Uint8Array): Uint8Array;
  /**
   * The digest of `data` (FIPS 180-4), for the key exchange's hashes (exchange hash, key
   * derivation, the hybrid methods' K and sntrup761's internal hashes). Absent: noble's.
   */
  digest?(hash: HashName, data: Uint8Array): Uint8Array;
}

/** Makes one direction's cipher state, as CipherAlgorithm.create does. */
export type CipherFactory = CipherAlgorithm['create'];
/** Makes one direction's MAC state, as MacAlgorithm.create does. */
export type MacFactory = MacAlgorithm['create'];

/**
 * Where a connection gets its implementations of bulk ciphers, MACs and public-key
 * operations: {@link pureProvider} (JavaScript, everywhere) or `nodeProvider` (OpenSSL).
 * It only changes how an algorithm is computed, never which algorithms exist.
 */
export interface CryptoProvider {
  readonly name: string;
  /**
   * Another implementation of cipher `name` (same wire behaviour, the built-in descriptor's
   * sizes), or undefined to use the built-in one.
   */
  cipher?: (name: string) => CipherFactory | undefined;
  /** Another implementation of MAC `name`, or undefined to use the built-in one. */
  mac?: (name: string) => MacFactory | undefined;
  /** faster (and constant-time) public-key operations; absent: the pure code computes them */
  readonly publicKey?: PublicKeyOps;
}

/** The built-in code for everything: JavaScript (noble and puressh's own code), runs in any runtime. */
export const pureProvider: CryptoProvider = Object.freeze({ name: 'pure' });

/** A provider that overrides some algorithms and falls back to another for the rest. */
export function layeredProvider(
  name: string,
  overrides: { ciphers?: ReadonlyMap<string, CipherFactory>; macs?: ReadonlyMap<string, MacFactory>; publicKey?: PublicKeyOps },
  fallback: CryptoProvider = pureProvider,
): CryptoProvider {
  const ciphers = new Map(overrides.ciphers ?? []);
  const macs = new Map(overrides.macs ?? []);
  const publicKey = overrides.publicKey ?? fallback.publicKey;
  return Object.freeze({
    name,
    ...(publicKey ? { publicKey } : {}),
    cipher: (n: string) => ciphers.get(n) ?? fallback.cipher?.(n),
    mac: (n: string) => macs.get(n) ?? fallback.mac?.(n),
  });
}
