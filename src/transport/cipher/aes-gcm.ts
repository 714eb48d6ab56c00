/**
 * aes128-gcm@openssh.com, aes256-gcm@openssh.com (RFC 5647, as profiled by OpenSSH PROTOCOL §1.6).
 *
 * - The 12-byte nonce is a 4-byte fixed field and an 8-byte big-endian invocation counter,
 *   both initialised from the IV; the counter is incremented after every packet (RFC 5647 §7.1).
 * - packet_length stays in the clear and is the AAD; padding_length, payload and padding are
 *   encrypted; the 16-byte tag follows (RFC 5647 §7.2, §7.3). No MAC is negotiated (§5.1).
 * - Padding aligns the encrypted part (without the length field) to 16 bytes.
 * noble's `gcm` is single-use per key+nonce and derives everything per message: the AES key
 * schedule, H = E_K(0^128) and a GHASH table of 4096 objects, per packet. Here they are made
 * once per direction (the key never changes within one): our AES counter mode
 * (../../crypto/aes-ctr32.ts) and our GHASH with a flat table (../../crypto/ghash.ts). Per
 * packet: J0, E_K(J0), CTR over the body, GHASH.
 */
import { aesCtr32, expandAesKey } from '../../crypto/aes-ctr32.js';
import { Ghash } from '../../crypto/ghash.js';
import { MacError } from '../../errors.js';
import { equalConstantTime } from '../../wire/bytes.js';
import type { AeadCipherState, CipherAlgorithm } from '../../crypto/cipher-types.js';
import { addBigEndian, checkLength } from './util.js';

const BLOCK = 16;
const TAG = 16;
const NONCE = 12;
/** packet_length, the AAD: 4 bytes, 32 bits (RFC 5647 §7.2) */
const AAD_BITS = 32;

function createGcm(name: string, keyLength: number, key: Uint8Array, iv: Uint8Array): AeadCipherState {
  checkLength(key, keyLength, `${name} key`);
  checkLength(iv, NONCE, `${name} IV`);
  const rk = expandAesKey(key);
  const nonce = iv.slice();
  const nonceView = new DataView(nonce.buffer);
  const mask = new Uint8Array(BLOCK);
  const tag = new Uint8Array(TAG);
  // H = E_K(0^128) (SP 800-38D §7.1 step 1).
  const h = new Uint8Array(BLOCK);
  aesCtr32(rk, 0, 0, 0, 0, h);
  const ghash = new Ghash(h);
  h.fill(0);

  // RFC 5647 §7.1: only the 64-bit invocation counter (bytes 4..12) advances, wrapping within it.
  const advance = (): void => addBigEndian(nonce, 1, 4, NONCE);
  /**
   * J0 = nonce ‖ 0^31 ‖ 1 (§7.1 step 2, 96-bit IV): mask = E_K(J0), then CTR from inc32(J0)
   * over `data` in place (decrypting or encrypting).
   */
  const begin = (): void => {
    mask.fill(0);
    aesCtr32(rk, nonceView.getUint32(0), nonceView.getUint32(4), nonceView.getUint32(8), 1, mask);
  };
  const xorStream = (data: Uint8Array): void => {
    aesCtr32(rk, nonceView.getUint32(0), nonceView.getUint32(4), nonceView.getUint32(8), 2, data);
  };
  /** GHASH(A ‖ C ‖ lengths) XOR E_K(J0) (§7.1 steps 5-6) into `out`. */
  const computeTag = (aad: Uint8Array, ciphertext: Uint8Array, out: Uint8Array): void => {
    ghash.reset();
    ghash.update(aad);
    ghash.update(ciphertext);
    const bits = ciphertext.length * 8;
    ghash.block(0, AAD_BITS, Math.floor(bits / 2 ** 32), bits >>> 0);
    ghash.digestInto(out);
    ghash.reset();
    for (let i = 0; i < TAG; i++) out[i]! ^= mask[i]!;
  };

  return {
    kind: 'aead',
    decryptLength(_seq: number, first4: Uint8Array): number {
      return ((first4[0]! << 24) | (first4[1]! << 16) | (first4[2]! << 8) | first4[3]!) >>> 0;
    },
    seal(_seq: number, packet: Uint8Array): void {
      const end = packet.length - TAG;
      const body = packet.subarray(4, end);
      begin();
      xorStream(body);
      computeTag(packet.subarray(0, 4), body, tag);
      packet.set(tag, end);
      tag.fill(0);
      mask.fill(0);
      advance();
    },
    open(_seq: number, packet: Uint8Array): void {
      const end = packet.length - TAG;
      if (end < 4) throw new MacError('AES-GCM: packet too short');
      const body = packet.subarray(4, end);
      begin();
      computeTag(packet.subarray(0, 4), body, tag);
      const ok = equalConstantTime(tag, packet.subarray(end));
      tag.fill(0);
      if (!ok) {
        mask.fill(0);
        throw new MacError('AES-GCM tag check failed');
      }
      xorStream(body);
      mask.fill(0);
      advance();
    },
    dispose(): void {
      rk.fill(0);
      ghash.dispose();
      nonce.fill(0);
      mask.fill(0);
    },
  };
}

function aesGcm(name: string, keyLength: number): CipherAlgorithm {
  return Object.freeze({
    name,
    keyLength,
    ivLength: NONCE,
    blockSize: BLOCK,
    tagLength: TAG,
    aead: true,
    insecure: false,
    create: (key: Uint8Array, iv: Uint8Array) => createGcm(name, keyLength, key, iv),
  });
}

export const AES128_GCM: CipherAlgorithm = /* @__PURE__ */ aesGcm('aes128-gcm@openssh.com', 16);
export const AES256_GCM: CipherAlgorithm = /* @__PURE__ */ aesGcm('aes256-gcm@openssh.com', 32);
