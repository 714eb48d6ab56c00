/**
 * What the transport hands the packet codec when keys change (RFC 4253 §7.2, §6).
 * The codec (codec.ts) turns these into a per-direction sealer/opener.
 */
export interface DirectionKeys {
  /** negotiated cipher wire name, e.g. "aes128-ctr" */
  cipher: string;
  /** negotiated MAC wire name; ignored for AEAD ciphers (pass "" or the negotiated name) */
  mac: string;
  /** encryption key, exactly keyLength bytes */
  key: Uint8Array;
  /** IV, exactly ivLength bytes */
  iv: Uint8Array;
  /** MAC key, exactly macKeyLength bytes (empty for AEAD) */
  macKey: Uint8Array;
}

/** How many bytes of key material a cipher+MAC pair needs (RFC 4253 §7.2). */
export interface KeySizes {
  keyLength: number;
  ivLength: number;
  macKeyLength: number;
}
