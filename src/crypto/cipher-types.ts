/**
 * Cipher descriptors and per-direction cipher states (RFC 4253 §6.3). The built-in descriptors live in
 * src/transport/cipher; a CryptoProvider (./provider.ts) may supply another `create` for one.
 *
 * A descriptor is a frozen, stateless description of one wire name. `create(key, iv)` makes
 * the state for ONE direction; the packet codec (src/transport/codec.ts) holds one per
 * direction and never shares it. Two shapes exist:
 *  - `block`: a non-AEAD cipher (CTR, CBC) that transforms whole blocks in place and carries
 *    its chaining state (counter, IV) from packet to packet (RFC 4253 §6.3, RFC 4344 §4).
 *    It needs a separate MAC.
 *  - `aead`: a cipher that authenticates the packet itself (AES-GCM, RFC 5647;
 *    chacha20-poly1305@openssh.com). It works on whole packets, uint32 length included.
 */

/** One direction of a non-AEAD cipher. */
export interface BlockCipherState {
  readonly kind: 'block';
  /** Encrypt `data` in place. Its length is a multiple of the block size. */
  encrypt(data: Uint8Array): void;
  /**
   * Decrypt `data` in place. Its length is a multiple of the block size. An implementation
   * whose library cannot write in place may instead return the plaintext in a new buffer
   * of the same length and leave `data` as it was (saves copying it back). That buffer is
   * then the caller's alone, which may free it (../wire/free.ts).
   */
  decrypt(data: Uint8Array): void | Uint8Array;
  /** Zero the key material. The state is unusable afterwards. */
  dispose(): void;
}

/** One direction of an AEAD cipher. `packet` is always `uint32 length ‖ body ‖ tag`. */
export interface AeadCipherState {
  readonly kind: 'aead';
  /**
   * The packet_length field from the packet's first 4 bytes (decrypting them when the mode
   * hides the length). Has no side effects, so it may be called before the whole packet is in.
   */
  decryptLength(seq: number, first4: Uint8Array): number;
  /**
   * Encrypt in place: `packet[0..4]` holds the plain length, `packet[4..-tagLength]` the
   * plaintext body; the last tagLength bytes receive the tag.
   */
  seal(seq: number, packet: Uint8Array): void;
  /**
   * Optional, for libraries that encrypt into a new buffer anyway (node:crypto): seal a packet
   * given as its plain 4-byte length `head` and plaintext `body`, returning the wire pieces in
   * order (length, ciphertext, tag). The encoder then neither allocates the whole packet nor
   * copies the ciphertext back; `body` may be reused as soon as this returns. The returned
   * pieces are the caller's alone, which may free them once written (../wire/free.ts).
   */
  sealParts?(seq: number, head: Uint8Array, body: Uint8Array): Uint8Array[];
  /**
   * Check the tag (throwing MacError, before any plaintext is released), then decrypt
   * `packet[4..-tagLength]` in place, or return that plaintext body in a new buffer and
   * leave `packet` as it was (for libraries that cannot decrypt in place); that buffer is
   * then the caller's alone, which may free it (../wire/free.ts).
   */
  open(seq: number, packet: Uint8Array): void | Uint8Array;
  /** Zero the key material. The state is unusable afterwards. */
  dispose(): void;
}

/** A keyed cipher for one direction: a block/stream cipher (with a separate MAC) or an AEAD cipher. */
export type CipherState = BlockCipherState | AeadCipherState;

/** A cipher as registered under its wire name. */
export interface CipherAlgorithm {
  /** wire name, e.g. "aes128-ctr" */
  readonly name: string;
  /** key bytes taken from the kex output (RFC 4253 §7.2) */
  readonly keyLength: number;
  /** IV bytes taken from the kex output (0 when unused) */
  readonly ivLength: number;
  /** cipher block size: the padding alignment (RFC 4253 §6) */
  readonly blockSize: number;
  /** AEAD tag bytes appended to each packet (0 for non-AEAD) */
  readonly tagLength: number;
  /** true when the cipher authenticates packets itself and no MAC is negotiated (RFC 5647 §5.1) */
  readonly aead: boolean;
  /** true for algorithms kept only for compatibility (opt-in, never in defaults) */
  readonly insecure: boolean;
  /** State for one direction. `key` and `iv` are copied; the caller may zero its own. */
  create: (key: Uint8Array, iv: Uint8Array) => CipherState;
}
