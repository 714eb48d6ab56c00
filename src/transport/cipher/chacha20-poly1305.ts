/**
 * chacha20-poly1305@openssh.com (OpenSSH PROTOCOL.chacha20poly1305).
 *
 * - 64 bytes of key: the first 32 are K_2 (main key, for the packet body and the Poly1305
 *   key), the last 32 are K_1 (header key, for packet_length only). No IV.
 * - Nonce: the packet sequence number as a 64-bit big-endian integer.
 * - packet_length is encrypted with ChaCha20(K_1, nonce, block counter 0), so a reader needs
 *   only 4 bytes to learn it; the body with ChaCha20(K_2, nonce, counter 1).
 * - The Poly1305 key is the first 32 bytes of ChaCha20(K_2, nonce, counter 0); the tag covers
 *   the encrypted length and the encrypted body.
 * Built from one-block ChaCha20 in JavaScript for the length and the Poly1305 key
 * (crypto/chacha20-block.ts), our WebAssembly ChaCha20 for the body (crypto/chacha20.ts,
 * noble's where WebAssembly is missing) and our Poly1305 (crypto/poly1305.ts).
 * Block size 8 for padding, as OpenSSH declares it.
 */
import { poly1305Into } from '../../crypto/poly1305.js';
import { chachaBlockForSequence, chachaKeyWords } from '../../crypto/chacha20-block.js';
import { chacha20Xor } from '../../crypto/chacha20.js';
import { writeLE32 } from '../../crypto/le32.js';
import { MacError } from '../../errors.js';
import { equalConstantTime } from '../../wire/bytes.js';
import type { AeadCipherState, CipherAlgorithm } from '../../crypto/cipher-types.js';
import { checkLength } from './util.js';

const NAME = 'chacha20-poly1305@openssh.com';
const KEY = 64;
const TAG = 16;

function createChachaPoly(key: Uint8Array, iv: Uint8Array): AeadCipherState {
  checkLength(key, KEY, `${NAME} key`);
  checkLength(iv, 0, `${NAME} IV`);
  const mainKey = key.slice(0, 32);
  const mainWords = chachaKeyWords(mainKey);
  const headerWords = chachaKeyWords(key.subarray(32, 64));
  const nonce = new Uint8Array(8);
  const nonceView = new DataView(nonce.buffer);
  const polyKey = new Uint8Array(32);
  const tag = new Uint8Array(TAG);
  const len4 = new Uint8Array(4);
  const ks = new Uint32Array(16);

  const setNonce = (seq: number): void => {
    nonceView.setUint32(0, 0);
    nonceView.setUint32(4, seq >>> 0);
  };
  /** packet_length's 4 bytes XORed with K_1's keystream block 0, in place. */
  const cryptLength = (seq: number, head: Uint8Array): void => {
    chachaBlockForSequence(headerWords, seq, ks);
    const k = ks[0]!;
    for (let i = 0; i < 4; i++) head[i] = head[i]! ^ ((k >>> (8 * i)) & 0xff);
    ks.fill(0);
  };
  /** Poly1305 over packet[0..end] keyed from ChaCha20(K_2, nonce, 0), into `out`. */
  const authenticate = (seq: number, packet: Uint8Array, end: number, out: Uint8Array): void => {
    chachaBlockForSequence(mainWords, seq, ks);
    for (let i = 0; i < 8; i++) writeLE32(polyKey, 4 * i, ks[i]!);
    ks.fill(0);
    poly1305Into(packet.subarray(0, end), polyKey, out);
    polyKey.fill(0);
  };

  return {
    kind: 'aead',
    decryptLength(seq: number, first4: Uint8Array): number {
      len4.set(first4.subarray(0, 4));
      cryptLength(seq, len4);
      const n = ((len4[0]! << 24) | (len4[1]! << 16) | (len4[2]! << 8) | len4[3]!) >>> 0;
      len4.fill(0);
      return n;
    },
    seal(seq: number, packet: Uint8Array): void {
      setNonce(seq);
      const end = packet.length - TAG;
      cryptLength(seq, packet.subarray(0, 4));
      chacha20Xor(mainKey, nonce, packet.subarray(4, end), packet.subarray(4, end), 1);
      authenticate(seq, packet, end, packet.subarray(end));
    },
    open(seq: number, packet: Uint8Array): void {
      setNonce(seq);
      const end = packet.length - TAG;
      if (end < 4) throw new MacError('chacha20-poly1305: packet too short');
      authenticate(seq, packet, end, tag);
      const ok = equalConstantTime(tag, packet.subarray(end));
      tag.fill(0);
      if (!ok) throw new MacError('chacha20-poly1305 tag check failed');
      cryptLength(seq, packet.subarray(0, 4));
      chacha20Xor(mainKey, nonce, packet.subarray(4, end), packet.subarray(4, end), 1);
    },
    dispose(): void {
      mainKey.fill(0);
      mainWords.fill(0);
      headerWords.fill(0);
    },
  };
}

export const CHACHA20_POLY1305: CipherAlgorithm = /* @__PURE__ */ Object.freeze({
  name: NAME,
  keyLength: KEY,
  ivLength: 0,
  blockSize: 8,
  tagLength: TAG,
  aead: true,
  insecure: false,
  create: createChachaPoly,
});
