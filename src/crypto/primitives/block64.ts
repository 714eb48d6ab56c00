/**
 * The shape shared by the 64-bit block ciphers (DES/3DES, Blowfish, CAST-128), and CBC mode
 * over them (NIST SP 800-38A §6.2), as SSH uses it: one chain per direction, carried from
 * packet to packet (RFC 4253 §6.3).
 *
 * All three ciphers are defined on a big-endian pair of 32-bit words (left, right), so the
 * interface works on words, and the byte conversion happens once, here.
 */
import { SshError } from '../../errors.js';
import { readBE32, writeBE32 } from '../../wire/bytes.js';

/** A 64-bit block cipher transforming `w[off]` (left half) and `w[off+1]` (right half) in place. */
export interface WordBlockCipher {
  encryptWords(w: Uint32Array, off?: number): void;
  decryptWords(w: Uint32Array, off?: number): void;
  /** Zero the key schedule; the object is unusable afterwards. */
  dispose(): void;
}

/**
 * Encrypt one 8-byte block of `src` at `srcOff` into `dst` at `dstOff` (ECB; for tests and KATs).
 *
 * @example
 * ```ts
 * const out = new Uint8Array(8);
 * ecbEncryptBlock(new Des(key), plain, 0, out, 0);
 * ```
 */
export function ecbEncryptBlock(c: WordBlockCipher, src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
  const w = new Uint32Array([readBE32(src, srcOff), readBE32(src, srcOff + 4)]);
  c.encryptWords(w, 0);
  writeBE32(dst, dstOff, w[0]!);
  writeBE32(dst, dstOff + 4, w[1]!);
}

/** Decrypt one 8-byte block (ECB). */
export function ecbDecryptBlock(c: WordBlockCipher, src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
  const w = new Uint32Array([readBE32(src, srcOff), readBE32(src, srcOff + 4)]);
  c.decryptWords(w, 0);
  writeBE32(dst, dstOff, w[0]!);
  writeBE32(dst, dstOff + 4, w[1]!);
}

/**
 * CBC over a 64-bit block cipher, in place, keeping the chaining value between calls.
 * Owns the cipher: dispose() zeroes both.
 *
 * @example
 * ```ts
 * const enc = new Cbc64(new TripleDes(key24), iv8);
 * enc.encrypt(packet); // packet.length % 8 === 0
 * ```
 */
export class Cbc64 {
  private readonly chain = new Uint32Array(2);
  private readonly w = new Uint32Array(2);

  constructor(
    private readonly cipher: WordBlockCipher,
    iv: Uint8Array,
  ) {
    if (!(iv instanceof Uint8Array) || iv.length !== 8) throw new SshError('INVAL', 'CBC IV: expected 8 bytes');
    this.chain[0] = readBE32(iv, 0);
    this.chain[1] = readBE32(iv, 4);
  }

  /** C_i = E(P_i ⊕ C_{i-1}) over whole 8-byte blocks. */
  encrypt(data: Uint8Array): void {
    checkWhole(data);
    const { cipher, chain, w } = this;
    for (let i = 0; i < data.length; i += 8) {
      w[0] = readBE32(data, i) ^ chain[0]!;
      w[1] = readBE32(data, i + 4) ^ chain[1]!;
      cipher.encryptWords(w, 0);
      chain[0] = w[0]!;
      chain[1] = w[1]!;
      writeBE32(data, i, w[0]);
      writeBE32(data, i + 4, w[1]);
    }
  }

  /** P_i = D(C_i) ⊕ C_{i-1} over whole 8-byte blocks. */
  decrypt(data: Uint8Array): void {
    checkWhole(data);
    const { cipher, chain, w } = this;
    for (let i = 0; i < data.length; i += 8) {
      const c0 = readBE32(data, i);
      const c1 = readBE32(data, i + 4);
      w[0] = c0;
      w[1] = c1;
      cipher.decryptWords(w, 0);
      writeBE32(data, i, w[0] ^ chain[0]!);
      writeBE32(data, i + 4, w[1] ^ chain[1]!);
      chain[0] = c0;
      chain[1] = c1;
    }
  }

  dispose(): void {
    this.cipher.dispose();
    this.chain.fill(0);
    this.w.fill(0);
  }
}

function checkWhole(data: Uint8Array): void {
  if (data.length % 8 !== 0) throw new SshError('BAD_USE', 'CBC: data is not a multiple of the 8-byte block size');
}
