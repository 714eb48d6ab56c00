/**
 * MAC descriptors and per-direction MAC states (RFC 4253 §6.4). The built-in descriptors live
 * in src/transport/mac; a CryptoProvider (./provider.ts) may supply another `create` for one.
 */

/** One direction's keyed MAC. */
export interface MacState {
  /** tag bytes on the wire (truncated for the -96 variants) */
  readonly length: number;
  /** MAC(key, uint32 seq ‖ data), written to out[offset .. offset+length] (RFC 4253 §6.4). */
  compute(seq: number, data: Uint8Array, out: Uint8Array, offset?: number): void;
  /** Recompute and compare with `tag` in constant time. */
  verify(seq: number, data: Uint8Array, tag: Uint8Array): boolean;
  /** Zero the key-derived state. Unusable afterwards. */
  dispose(): void;
}

/** A MAC as registered under its wire name. */
export interface MacAlgorithm {
  /** wire name, e.g. "hmac-sha2-256-etm@openssh.com" */
  readonly name: string;
  /** key bytes taken from the kex output (RFC 4253 §7.2) */
  readonly keyLength: number;
  /** tag bytes on the wire */
  readonly length: number;
  /** encrypt-then-MAC (OpenSSH PROTOCOL §1.7): length in clear, MAC over the ciphertext */
  readonly etm: boolean;
  /** kept only for compatibility (opt-in, never in defaults) */
  readonly insecure: boolean;
  /** State for one direction. The key is consumed into the HMAC state; the caller may zero it. */
  create: (key: Uint8Array) => MacState;
}
