import type { PublicKeyOps } from '../crypto/provider.js';

/**
 * Key exchange interface (RFC 4253 §7, §8). Each algorithm is one module that runs its whole
 * exchange over a KexConn and returns the shared secret and exchange hash. It never
 * verifies the host key: the handshake does that.
 */

/** The kex sees only packets of message numbers 30-49 (RFC 4253 §12). */
export interface KexConn {
  send(payload: Uint8Array): Promise<void> | void;
  /** Next kex-method packet from the peer (payload, first byte is the message number). */
  receive(): Promise<Uint8Array>;
}

/** The inputs to the exchange hash common to every method (RFC 4253 §8). */
export interface KexMagics {
  /** identification strings without CR LF */
  clientVersion: string;
  serverVersion: string;
  /** full KEXINIT payloads, including the message number byte */
  clientKexInit: Uint8Array;
  serverKexInit: Uint8Array;
}

import type { RandomSource } from '../crypto/random-source.js';

export type { RandomSource };

export interface KexResult {
  /**
   * The shared secret exactly as it enters the exchange hash and key derivation:
   * the mpint encoding (with its uint32 length) for classic methods, the string
   * encoding for the hybrid post-quantum ones.
   */
  K: Uint8Array;
  /** exchange hash H */
  H: Uint8Array;
  /** K_S, the server's public host key blob */
  hostKey: Uint8Array;
  /** the signature blob over H, as sent by the server */
  signature: Uint8Array;
}

/** A host key as the server side of a kex needs it (test-only server, pair tests). */
export interface HostKeySigner {
  blob: Uint8Array;
  /** sign H, returning the signature blob (string algo + string sig) */
  sign(data: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

export interface KexClientOptions {
  /** a provider's public-key arithmetic (node:crypto); absent: noble and BigInt */
  publicKey?: PublicKeyOps;
  /** RFC 4419 group-exchange sizes in bits */
  gexMin?: number;
  gexPreferred?: number;
  gexMax?: number;
}

export interface KexAlgorithm {
  readonly name: string;
  /** the hash used for H and key derivation */
  readonly hash: (data: Uint8Array) => Uint8Array;
  readonly insecure?: boolean;
  client(conn: KexConn, magics: KexMagics, random: RandomSource, options?: KexClientOptions): Promise<KexResult>;
  server(conn: KexConn, magics: KexMagics, hostKey: HostKeySigner, random: RandomSource): Promise<KexResult>;
}
