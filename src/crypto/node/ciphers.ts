/**
 * Bulk ciphers over node:crypto (Node-only). Same wire behaviour as the noble modules in
 * src/transport/cipher (differential-tested against them), 10-50x faster where OpenSSL
 * has hardware AES. Node has no Poly1305, so chacha20-poly1305 uses Node's ChaCha20 with
 * our Poly1305 (../poly1305.ts: WebAssembly, or floating point where that is missing).
 */
import { createCipheriv, createDecipheriv, timingSafeEqual, type Cipher, type CipherGCM, type Decipher, type DecipherGCM } from 'node:crypto';
import { chachaBlockForSequence, chachaKeyWords } from '../chacha20-block.js';
import { writeLE32 } from '../le32.js';
import { poly1305Into } from '../poly1305.js';
import { hasChachaPolyAead, poly1305CheckWithAead } from './poly1305-aead-check.js';
import { MacError } from '../../errors.js';
import { freeWholeBuffer } from '../../wire/free.js';
import type { AeadCipherState, BlockCipherState } from '../cipher-types.js';
import type { CipherFactory } from '../provider.js';

/** Streaming CTR or CBC: one OpenSSL context per direction carries counter/IV across packets. */
function streamCipher(opensslName: string) {
  return (key: Uint8Array, iv: Uint8Array): BlockCipherState => {
    // Contexts are made now: the caller zeroes its key buffers after create().
    // Each direction only ever uses one of the two.
    let enc: Cipher | null = createCipheriv(opensslName, key, iv).setAutoPadding(false);
    let dec: Decipher | null = createDecipheriv(opensslName, key, iv).setAutoPadding(false);
    return {
      kind: 'block',
      encrypt(data: Uint8Array): void {
        const out = enc!.update(data);
        data.set(out);
        freeWholeBuffer(out);
      },
      decrypt(data: Uint8Array): Uint8Array {
        // OpenSSL writes to a new buffer: hand it back rather than copy it over `data`.
        return dec!.update(data);
      },
      dispose(): void {
        enc = dec = null;
      },
    };
  };
}

/** AES-GCM per RFC 5647: 12-byte nonce = 4-byte fixed ‖ 8-byte invocation counter, length as AAD. */
function gcm(opensslName: string) {
  return (key: Uint8Array, iv: Uint8Array): AeadCipherState => {
    const k = Buffer.from(key);
    const nonce = Buffer.from(iv);
    const bump = (): void => {
      // RFC 5647 §7.1: the invocation counter is the low 64 bits, incremented per packet.
      for (let i = 11; i >= 4; i--) {
        nonce[i] = (nonce[i]! + 1) & 0xff;
        if (nonce[i] !== 0) break;
      }
    };
    return {
      kind: 'aead',
      decryptLength(_seq: number, first4: Uint8Array): number {
        return ((first4[0]! << 24) | (first4[1]! << 16) | (first4[2]! << 8) | first4[3]!) >>> 0;
      },
      seal(_seq: number, packet: Uint8Array): void {
        const end = packet.length - 16;
        const c = createCipheriv(opensslName, k, nonce) as CipherGCM;
        c.setAAD(packet.subarray(0, 4));
        const body = packet.subarray(4, end);
        const out = c.update(body);
        body.set(out);
        freeWholeBuffer(out);
        c.final();
        packet.set(c.getAuthTag(), end);
        bump();
      },
      sealParts(_seq: number, head: Uint8Array, body: Uint8Array): Uint8Array[] {
        const c = createCipheriv(opensslName, k, nonce) as CipherGCM;
        c.setAAD(head);
        const ciphertext = c.update(body);
        c.final();
        bump();
        return [head, ciphertext, c.getAuthTag()];
      },
      open(_seq: number, packet: Uint8Array): Uint8Array {
        const end = packet.length - 16;
        if (end < 4) throw new MacError('aes-gcm: packet too short');
        const d = createDecipheriv(opensslName, k, nonce) as DecipherGCM;
        d.setAAD(packet.subarray(0, 4));
        d.setAuthTag(packet.subarray(end));
        const body = packet.subarray(4, end);
        const plain = d.update(body);
        try {
          d.final();
        } catch {
          throw new MacError('aes-gcm tag check failed');
        }
        bump();
        // Only now, with the tag checked, release the plaintext (a new buffer: no copy back).
        return plain;
      },
      dispose(): void {
        k.fill(0);
      },
    };
  };
}

/**
 * Packets of at least this many bytes (length and body) have their tag checked with OpenSSL's
 * AEAD (./poly1305-aead-check.ts); for shorter ones its cipher context costs more than the
 * WebAssembly Poly1305 saves.
 */
const AEAD_CHECK_MIN = 12288;

let chachaSupport: { chacha20: boolean; aead: boolean } | undefined;
/** What this runtime's node:crypto has of ChaCha20 (Bun's has none of it), probed once. */
function chachaSupported(): { chacha20: boolean; aead: boolean } {
  if (chachaSupport === undefined) {
    let chacha20 = true;
    try {
      createCipheriv('chacha20', new Uint8Array(32), new Uint8Array(16));
    } catch {
      chacha20 = false;
    }
    chachaSupport = { chacha20, aead: chacha20 && hasChachaPolyAead() };
  }
  return chachaSupport;
}

/** Whether node:crypto here implements cipher `wireName` (one of NODE_CIPHERS' names). */
export function nodeHasCipher(wireName: string): boolean {
  return wireName !== 'chacha20-poly1305@openssh.com' || chachaSupported().chacha20;
}

/**
 * chacha20-poly1305@openssh.com with Node's ChaCha20. Node implements the IETF layout
 * (32-bit counter ‖ 96-bit nonce); OpenSSH uses DJB's (64-bit counter ‖ 64-bit nonce). The
 * state words coincide when the 16-byte IV is LE32(counter) ‖ 0x00000000 ‖ BE64(seq).
 * Sealing takes one K_2 stream per packet for both the Poly1305 key (block 0, whose second
 * half is discarded) and the body keystream (from block 1 on), and a K_1 context for the
 * length. Opening computes the length's and the Poly1305 key's keystream in JavaScript
 * (../chacha20-block.ts: one block each, cheaper than a cipher context) and starts the K_2
 * stream at block 1, so a packet costs one cipher context to open (the codec takes the length
 * from decryptLength, not from the packet, so open leaves the length field encrypted).
 */
function chachaPoly(key: Uint8Array): AeadCipherState {
  const mainKey = Buffer.from(key.subarray(0, 32));
  const headerKey = Buffer.from(key.subarray(32, 64));
  const mainWords = chachaKeyWords(key.subarray(0, 32));
  const headerWords = chachaKeyWords(key.subarray(32, 64));
  const iv0 = Buffer.alloc(16);
  const iv1 = Buffer.alloc(16);
  iv1[0] = 1;
  const block0 = Buffer.alloc(64);
  const tag = new Uint8Array(16);
  const ks = new Uint32Array(16);
  const setSeq = (seq: number): void => {
    iv0.writeUInt32BE(seq >>> 0, 12);
  };
  /** The K_2 stream for this packet, positioned at block 1; the Poly1305 key is in polyKey. */
  const mainStream = (polyKey: Uint8Array): ReturnType<typeof createCipheriv> => {
    const stream = createCipheriv('chacha20', mainKey, iv0);
    const ks = stream.update(block0);
    polyKey.set(ks.subarray(0, 32));
    ks.fill(0);
    return stream;
  };
  const polyKey = new Uint8Array(32);
  const aeadNonce = Buffer.alloc(12);
  const aeadCheck = chachaSupported().aead;
  return {
    kind: 'aead',
    decryptLength(seq: number, first4: Uint8Array): number {
      chachaBlockForSequence(headerWords, seq, ks);
      const k = ks[0]!;
      const b0 = (first4[0]! ^ k) & 0xff;
      const b1 = (first4[1]! ^ (k >>> 8)) & 0xff;
      const b2 = (first4[2]! ^ (k >>> 16)) & 0xff;
      const b3 = (first4[3]! ^ (k >>> 24)) & 0xff;
      const n = ((b0 << 24) | (b1 << 16) | (b2 << 8) | b3) >>> 0;
      ks.fill(0);
      return n;
    },
    seal(seq: number, packet: Uint8Array): void {
      setSeq(seq);
      const end = packet.length - 16;
      packet.set(createCipheriv('chacha20', headerKey, iv0).update(packet.subarray(0, 4)), 0);
      const stream = mainStream(polyKey);
      const out = stream.update(packet.subarray(4, end));
      packet.set(out, 4);
      freeWholeBuffer(out);
      poly1305Into(packet.subarray(0, end), polyKey, packet, end);
      polyKey.fill(0);
    },
    open(seq: number, packet: Uint8Array): Uint8Array {
      const end = packet.length - 16;
      if (end < 4) throw new MacError('chacha20-poly1305: packet too short');
      chachaBlockForSequence(mainWords, seq, ks);
      let ok: boolean;
      if (end >= AEAD_CHECK_MIN && aeadCheck) {
        aeadNonce.writeUInt32BE(seq >>> 0, 8);
        ok = poly1305CheckWithAead(mainKey, aeadNonce, packet.subarray(0, end), ks, packet.subarray(end));
      } else {
        for (let i = 0; i < 8; i++) writeLE32(polyKey, 4 * i, ks[i]!);
        poly1305Into(packet.subarray(0, end), polyKey, tag);
        polyKey.fill(0);
        ok = timingSafeEqual(tag, packet.subarray(end));
      }
      ks.fill(0);
      if (!ok) throw new MacError('chacha20-poly1305 tag check failed');
      iv1.writeUInt32BE(seq >>> 0, 12);
      return createDecipheriv('chacha20', mainKey, iv1).update(packet.subarray(4, end));
    },
    dispose(): void {
      mainKey.fill(0);
      headerKey.fill(0);
      mainWords.fill(0);
      headerWords.fill(0);
    },
  };
}

/** Implementations by wire name; sizes and flags stay those of the built-in descriptors. */
export const NODE_CIPHERS: ReadonlyMap<string, CipherFactory> = new Map<string, CipherFactory>([
  ['aes128-ctr', streamCipher('aes-128-ctr')],
  ['aes192-ctr', streamCipher('aes-192-ctr')],
  ['aes256-ctr', streamCipher('aes-256-ctr')],
  ['aes128-cbc', streamCipher('aes-128-cbc')],
  ['aes192-cbc', streamCipher('aes-192-cbc')],
  ['aes256-cbc', streamCipher('aes-256-cbc')],
  ['aes128-gcm@openssh.com', gcm('aes-128-gcm')],
  ['aes256-gcm@openssh.com', gcm('aes-256-gcm')],
  ['chacha20-poly1305@openssh.com', chachaPoly],
]);
