/**
 * What a Transport is given: its role (the client verifies the server's proof of its host
 * key, the server proves it), algorithm lists, randomness, limits and hooks.
 */
import type { CryptoProvider } from '../crypto/provider.js';
import type { KexClientOptions, RandomSource } from '../kex/types.js';
import type { KexInitLists } from './negotiate.js';

/** Callbacks for the transport-generic messages a peer sends (RFC 4253 §11). */
export interface TransportEvents {
  /** SSH_MSG_IGNORE with its data (RFC 4253 §11.2) */
  ignore?(data: Uint8Array): void;
  /** SSH_MSG_DEBUG (RFC 4253 §11.3) */
  debug?(alwaysDisplay: boolean, message: string, language: string): void;
  /** a packet failed its MAC or AEAD tag check; the connection is then closed regardless */
  macError?(): void;
}

/** The client's part: it verifies the server's proof of its host key and decides on the key. */
export interface ClientRole {
  readonly kind: 'client';
  /**
   * Called once per key exchange after the server proved possession of the host key
   * (signature over H verified). Throw (HostKeyError) to refuse the server.
   */
  checkHostKey(blob: Uint8Array, algorithm: string, firstKex: boolean): Promise<void>;
  /** Verify the host key signature over H with the negotiated algorithm. */
  verifyHostKeySignature(blob: Uint8Array, algorithm: string, H: Uint8Array, signature: Uint8Array): boolean;
  kexOptions?: KexClientOptions | undefined;
}

/** A host key as the server holds it: its public blob, the algorithms it signs with, and signing. */
export interface ServerHostKey {
  readonly blob: Uint8Array;
  /** host-key algorithm names this key signs with, e.g. rsa-sha2-512, rsa-sha2-256 for one RSA key */
  readonly algorithms: readonly string[];
  /** Sign `data` with `algorithm`; returns the signature blob (string algorithm, string signature). */
  sign(algorithm: string, data: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/** The server's part: it proves possession of one of its host keys. */
export interface ServerRole {
  readonly kind: 'server';
  readonly hostKeys: readonly ServerHostKey[];
  /**
   * RFC 8308 §2.4: the extensions (e.g. server-sig-algs) sent in EXT_INFO right after our
   * first NEWKEYS when the client's first KEXINIT carried ext-info-c.
   */
  readonly extensions?: ReadonlyArray<readonly [string, Uint8Array]> | undefined;
}

export interface TransportConfig {
  role: ClientRole | ServerRole;
  /** our algorithm lists, best first (pseudo-algorithms are added here) */
  algorithms: KexInitLists;
  random: RandomSource;
  rekeyBytes?: number | undefined;
  rekeySeconds?: number | undefined;
  debug?: ((line: string) => void) | undefined;
  /** transport-generic messages from the peer, for callers that want them (libssh2's callbacks) */
  events?: TransportEvents | undefined;
  /** the identification we send; defaults to puressh's */
  version?: string | undefined;
  /** cipher/MAC implementations (default: pure JS) */
  provider?: CryptoProvider | undefined;
  /** milliseconds since some epoch, for rekey-by-time (default Date.now) */
  clock?: (() => number) | undefined;
  /**
   * The peer sent a message that asks for no answer (DEBUG, or GLOBAL_REQUEST without
   * want_reply): a policy may send something so that the TCP ACK is not delayed.
   */
  onUnsolicited?: (() => void) | undefined;
}
