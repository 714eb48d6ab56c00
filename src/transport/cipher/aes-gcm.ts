/**
 * aes128-gcm@openssh.com, aes256-gcm@openssh.com (RFC 5647, as profiled by OpenSSH PROTOCOL §1.6).
 *
 * - The 12-byte nonce is a 4-byte fixed field and an 8-byte big-endian invocation counter,
 *   both initialised from the IV; the counter is incremented after every packet (RFC 5647 §7.1).
 * - packet_length stays in the clear and is the AAD; padding_length, payload and padding are
 *   encrypted; the 16-byte tag follows (RFC 5647 §7.2, §7.3). No MAC is negotiated (§5.1).
 * - Padding aligns the encrypted part (without the length field) to 16 bytes.
 * noble's `gcm` is single-use per key+nonce, so one is built per packet.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { MacError } from '../../errors.js';
import type { AeadCipherState, CipherAlgorithm } from '../../crypto/cipher-types.js';
import { addBigEndian, checkLength } from './util.js';

const BLOCK = 16;
const TAG = 16;
const NONCE = 12;

function createGcm(name: string, keyLength: number, key: Uint8Array, iv: Uint8Array): AeadCipherState {
  checkLength(key, keyLength, `${name} key`);
  checkLength(iv, NONCE, `${name} IV`);
  const k = key.slice();
  const nonce = iv.slice();
  // RFC 5647 §7.1: only the 64-bit invocation counter (bytes 4..12) advances, wrapping within it.
  const advance = (): void => addBigEndian(nonce, 1, 4, NONCE);
  return {
    kind: 'aead',
    decryptLength(_seq: number, first4: Uint8Array): number {
      return ((first4[0]! << 24) | (first4[1]! << 16) | (first4[2]! << 8) | first4[3]!) >>> 0;
    },
    seal(_seq: number, packet: Uint8Array): void {
      const aad = packet.subarray(0, 4);
      const sealed = gcm(k, nonce, aad).encrypt(packet.subarray(4, packet.length - TAG));
      packet.set(sealed, 4);
      sealed.fill(0);
      advance();
    },
    open(_seq: number, packet: Uint8Array): void {
      const aad = packet.subarray(0, 4);
      let plain: Uint8Array;
      try {
        plain = gcm(k, nonce, aad).decrypt(packet.subarray(4));
      } catch {
        throw new MacError('AES-GCM tag check failed');
      }
      packet.set(plain, 4);
      plain.fill(0);
      advance();
    },
    dispose(): void {
      k.fill(0);
      nonce.fill(0);
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
