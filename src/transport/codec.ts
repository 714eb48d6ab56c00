/**
 * The binary packet codec (RFC 4253 §6): framing, padding, encryption, MAC, sequence
 * numbers. Pure: no I/O, no timers. One PacketEncoder for the bytes we send,
 * one PacketDecoder for the bytes we receive; each owns its direction's keys.
 *
 *   uint32  packet_length   (not counting itself or the MAC)
 *   byte    padding_length  (≥ 4)
 *   byte[]  payload
 *   byte[]  random padding
 *   byte[]  MAC or AEAD tag
 *
 * Four protections (chosen by setKeys):
 *  - clear: before the first NEWKEYS; block size 8, no MAC.
 *  - MAC-then-encrypt (RFC 4253 §6.4): MAC(seq ‖ plaintext packet); the whole packet is encrypted.
 *  - encrypt-then-MAC (OpenSSH PROTOCOL §1.7, `-etm@openssh.com`): length in clear,
 *    MAC(seq ‖ length ‖ ciphertext), checked before anything is decrypted.
 *  - AEAD (RFC 5647 AES-GCM; chacha20-poly1305@openssh.com): the cipher seals and opens the packet.
 * For ETM and AEAD the length field is not part of the block alignment.
 */
import { MacError, ProtocolError, SshError } from '../errors.js';
import type { AeadCipherState, BlockCipherState } from '../crypto/cipher-types.js';
import { pureProvider, type CryptoProvider } from '../crypto/provider.js';
import type { MacState } from '../crypto/mac-types.js';
import { getCipher } from './cipher/index.js';
import { getMac } from './mac/index.js';
import type { DirectionKeys } from './protection.js';
import { readBE32, writeBE32 } from '../wire/bytes.js';
import { freeBuffer, freeWholeBuffer } from '../wire/free.js';

/** OpenSSH's PACKET_MAX_SIZE: the largest packet_length we accept by default. */
export const PACKET_MAX_SIZE = 256 * 1024;

/** RFC 4253 §6: at least 4 bytes of padding; alignment to max(block size, 8). */
const MIN_PADDING = 4;
const MIN_BLOCK = 8;
/** padding_length byte + 4 bytes of padding */
const MIN_PACKET_LENGTH = 1 + MIN_PADDING;
const EMPTY = new Uint8Array(0);

export { keySizes } from './cipher/index.js';

type Protection =
  | { readonly mode: 'clear'; readonly blockSize: number; readonly trailer: 0 }
  | {
      readonly mode: 'mte' | 'etm';
      readonly blockSize: number;
      readonly trailer: number;
      readonly cipher: BlockCipherState;
      readonly cipherBlock: number;
      readonly mac: MacState;
    }
  | { readonly mode: 'aead'; readonly blockSize: number; readonly trailer: number; readonly cipher: AeadCipherState };

const CLEAR: Protection = Object.freeze({ mode: 'clear', blockSize: MIN_BLOCK, trailer: 0 });

function assertOpen(disposed: boolean): void {
  if (disposed) throw new SshError('BAD_USE', 'packet codec used after dispose()');
}

/** The built-in descriptors decide sizes and modes; the provider may supply the implementation. */
function makeProtection(keys: DirectionKeys, provider: CryptoProvider): Protection {
  const c = getCipher(keys.cipher);
  const createCipher = provider.cipher?.(c.name) ?? c.create;
  const blockSize = Math.max(c.blockSize, MIN_BLOCK);
  if (c.aead) {
    const cipher = createCipher(keys.key, keys.iv);
    if (cipher.kind !== 'aead') {
      cipher.dispose();
      throw new SshError('INVAL', `cipher ${c.name} claims AEAD but is not`);
    }
    return { mode: 'aead', blockSize, trailer: c.tagLength, cipher };
  }
  const m = getMac(keys.mac);
  const createMac = provider.mac?.(m.name) ?? m.create;
  const cipher = createCipher(keys.key, keys.iv);
  if (cipher.kind !== 'block') {
    cipher.dispose();
    throw new SshError('INVAL', `cipher ${c.name} is AEAD but not flagged so`);
  }
  let mac: MacState;
  try {
    mac = createMac(keys.macKey);
  } catch (e) {
    cipher.dispose();
    throw e;
  }
  return { mode: m.etm ? 'etm' : 'mte', blockSize, trailer: m.length, cipher, cipherBlock: c.blockSize, mac };
}

function disposeProtection(p: Protection): void {
  if (p.mode === 'clear') return;
  p.cipher.dispose();
  if (p.mode !== 'aead') p.mac.dispose();
}

function initialSequence(options?: CodecOptions): number {
  const s = options?.initialSequence ?? 0;
  if (!Number.isInteger(s) || s < 0 || s > 0xffffffff) {
    throw new SshError('INVAL', 'initialSequence must be a uint32');
  }
  return s;
}

/** Options shared by both codec directions. */
export interface CodecOptions {
  /** Starting sequence number (uint32). For tests of the 2^32 wrap; the protocol starts at 0. */
  initialSequence?: number;
  /** where cipher and MAC implementations come from (default: the pure registries) */
  provider?: CryptoProvider;
}

/** Padding bytes drawn from the random source at a time (a packet takes 4–255). */
const PADDING_POOL = 2048;
/**
 * Smallest payload sealed as pieces (encodeParts): below it one buffer costs less than the
 * extra writes; above it the saved allocation and copy-back win (~4-7 µs per 32 KiB here).
 */
const PARTS_MIN_PAYLOAD = 4096;

/**
 * Turns payloads into wire packets for one direction.
 *
 * @example
 * ```ts
 * const enc = new PacketEncoder(randomBytes);
 * socket.write(enc.encode(kexinitPayload));
 * enc.setKeys({ cipher: 'aes128-ctr', mac: 'hmac-sha2-256', key, iv, macKey }); // after our NEWKEYS
 * ```
 */
export class PacketEncoder {
  private seq: number;
  private readonly provider: CryptoProvider;
  private prot: Protection = CLEAR;
  private disposed = false;
  /** random bytes for padding, served from `poolAt` on: one call to the source per ~100 packets */
  private pool: Uint8Array = new Uint8Array(0);
  private poolAt = 0;
  /** encodeParts' plaintext body, reused packet after packet */
  private scratch: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly random: (n: number) => Uint8Array,
    options?: CodecOptions,
  ) {
    if (typeof random !== 'function') throw new SshError('INVAL', 'PacketEncoder needs a random source');
    this.seq = initialSequence(options);
    this.provider = options?.provider ?? pureProvider;
  }

  /** Sequence number of the next packet (uint32, wraps at 2^32; RFC 4253 §6.4). */
  get sequence(): number {
    return this.seq;
  }

  /** Switch to new keys (after sending NEWKEYS); the old keys are zeroed. */
  setKeys(keys: DirectionKeys): void {
    assertOpen(this.disposed);
    const next = makeProtection(keys, this.provider);
    disposeProtection(this.prot);
    this.prot = next;
  }

  /** Strict KEX (OpenSSH PROTOCOL §1.10): the sequence number restarts at 0 after NEWKEYS. */
  resetSequence(): void {
    this.seq = 0;
  }

  /**
   * The wire bytes of one packet carrying `payload` (then `rest`), as pieces to write in order. A bulk
   * payload under a cipher that encrypts into new buffers (node:crypto's AES-GCM) is sealed
   * from a reused plaintext buffer, without building the packet and copying the ciphertext
   * back into it; anything else is the one buffer of `encode`.
   */
  encodeParts(payload: Uint8Array, rest: Uint8Array = EMPTY): Uint8Array[] {
    assertOpen(this.disposed);
    const p = this.prot;
    const length = payload.length + rest.length;
    if (p.mode !== 'aead' || !p.cipher.sealParts || length < PARTS_MIN_PAYLOAD) return [this.encode(payload, rest)];
    const padding = this.paddingFor(p, length);
    const packetLength = 1 + length + padding;
    if (this.scratch.length < packetLength) this.scratch = new Uint8Array(Math.max(packetLength, 2 * this.scratch.length));
    const body = this.scratch.subarray(0, packetLength);
    body[0] = padding;
    body.set(payload, 1);
    body.set(rest, 1 + payload.length);
    this.fillPadding(body, 1 + length, padding);
    const head = new Uint8Array(4);
    writeBE32(head, 0, packetLength);
    const parts = p.cipher.sealParts(this.seq, head, body);
    this.seq = (this.seq + 1) >>> 0;
    return parts;
  }

  /** RFC 4253 §6: padding so that the aligned part is a multiple of the block size, at least 4 bytes. */
  private paddingFor(p: Protection, payloadLength: number): number {
    const bs = p.blockSize;
    // (length ‖ padlen ‖ payload ‖ padding) is aligned; ETM and AEAD leave the length out.
    const unaligned = (p.mode === 'etm' || p.mode === 'aead' ? 0 : 4) + 1 + payloadLength;
    let padding = bs - (unaligned % bs);
    if (padding < MIN_PADDING) padding += bs;
    return padding;
  }

  /**
   * The complete wire bytes of one packet carrying `payload`, followed by `rest` if given: a
   * payload in two pieces (a message header and bulk data) is joined here, in the one copy
   * that encoding makes anyway.
   */
  encode(payload: Uint8Array, rest: Uint8Array = EMPTY): Uint8Array {
    assertOpen(this.disposed);
    const p = this.prot;
    const length = payload.length + rest.length;
    const padding = this.paddingFor(p, length);
    const packetLength = 1 + length + padding;
    const end = 4 + packetLength;
    const out = new Uint8Array(end + p.trailer);
    writeBE32(out, 0, packetLength);
    out[4] = padding;
    out.set(payload, 5);
    out.set(rest, 5 + payload.length);
    this.fillPadding(out, 5 + length, padding);
    const seq = this.seq;
    switch (p.mode) {
      case 'clear':
        break;
      case 'mte':
        p.mac.compute(seq, out.subarray(0, end), out, end);
        p.cipher.encrypt(out.subarray(0, end));
        break;
      case 'etm':
        p.cipher.encrypt(out.subarray(4, end));
        p.mac.compute(seq, out.subarray(0, end), out, end);
        break;
      case 'aead':
        p.cipher.seal(seq, out);
        break;
      default: {
        const never: never = p;
        throw new SshError('BAD_USE', `unknown protection ${String(never)}`);
      }
    }
    this.seq = (seq + 1) >>> 0;
    return out;
  }

  /** RFC 4253 §6: random padding, from a pool refilled by the random source. */
  private fillPadding(out: Uint8Array, at: number, n: number): void {
    if (this.poolAt + n > this.pool.length) {
      const fresh = this.random(PADDING_POOL);
      if (fresh.length !== PADDING_POOL) throw new SshError('RANDGEN', 'random source returned the wrong number of bytes');
      this.pool = fresh;
      this.poolAt = 0;
    }
    out.set(this.pool.subarray(this.poolAt, this.poolAt + n), at);
    this.poolAt += n;
  }

  /** Zero the keys (on close). Any later use throws. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    disposeProtection(this.prot);
    this.prot = CLEAR;
    this.scratch.fill(0);
  }
}

/** A packet whose length is known; its bytes are still in the chunk queue. */
interface Pending {
  /** wire bytes of the whole packet: length field, body, MAC or tag */
  readonly total: number;
  /** MtE only: the first cipher block(s), already decrypted (the length is inside) */
  readonly head: Uint8Array | null;
}

/** Whether `b` starts where `a` ends, in the same ArrayBuffer (consecutive socket reads into one slab). */
function adjacent(a: Uint8Array, b: Uint8Array): boolean {
  return a.buffer === b.buffer && a.byteOffset + a.byteLength === b.byteOffset;
}

/** Options of a PacketDecoder. */
export interface DecoderOptions extends CodecOptions {
  /** largest packet_length accepted (default PACKET_MAX_SIZE) */
  maxPacketLength?: number;
  /**
   * The decoder owns the pushed chunks and may decrypt in them (the transport does: socket
   * reads belong to nobody else). A packet that lies in one chunk is then decrypted where
   * it is, without a copy. Default false: each packet is copied out before decryption.
   */
  inPlace?: boolean;
  /**
   * Called with each pushed chunk (or run of merged chunks) once every byte of it has been
   * consumed and no returned payload is a view of it, so its memory may be reused.
   */
  release?: (chunk: Uint8Array) => void;
}

/**
 * Turns received bytes into payloads for one direction. Decryption is lazy (done in next()),
 * so after the NEWKEYS payload is returned the caller can setKeys and the bytes already
 * pushed are decoded with the new keys.
 *
 * `push` keeps a reference to each chunk: do not modify a chunk after pushing it.
 * Payloads returned by `next` are never overwritten; they may be views into pushed chunks.
 *
 * @example
 * ```ts
 * const dec = new PacketDecoder();
 * dec.push(chunk);
 * for (let p = dec.next(); p; p = dec.next()) handle(p);
 * ```
 */
export class PacketDecoder {
  private readonly maxPacketLength: number;
  private readonly inPlace: boolean;
  private readonly release: ((chunk: Uint8Array) => void) | undefined;
  /** chunks a returned payload is a view of: never released */
  private readonly tainted = new WeakSet<Uint8Array>();
  /** chunks fully consumed by the packet being decoded, released once it is known no view escapes */
  private done: Uint8Array[] = [];
  /** the chunk that only the last returned payload is a view of (see discard), and whether it was fully consumed */
  private lastView: Uint8Array | null = null;
  private lastViewConsumed = false;
  private lastOwned = false;
  private seq: number;
  private prot: Protection = CLEAR;
  private chunks: Uint8Array[] = [];
  private head = 0;
  private headOffset = 0;
  private queued = 0;
  private pending: Pending | null = null;
  private readonly provider: CryptoProvider;
  private readonly headBuf = new Uint8Array(64);
  private failure: SshError | null = null;
  private disposed = false;

  constructor(options?: DecoderOptions) {
    const max = options?.maxPacketLength ?? PACKET_MAX_SIZE;
    if (!Number.isInteger(max) || max < 64 || max > 0x7fffffff) {
      throw new SshError('INVAL', 'maxPacketLength must be an integer between 64 and 2^31-1');
    }
    this.maxPacketLength = max;
    this.inPlace = options?.inPlace ?? false;
    this.release = options?.release;
    this.seq = initialSequence(options);
    this.provider = options?.provider ?? pureProvider;
  }

  /** Sequence number of the next packet (uint32, wraps at 2^32). */
  get sequence(): number {
    return this.seq;
  }

  /**
   * Whether the payload the last next() returned lies in a buffer nobody else holds: a copy
   * made here, or a new buffer the cipher decrypted into (node:crypto's). Whoever ends up
   * holding that payload alone may then free its memory early (../wire/free.ts); a payload
   * decrypted in place in a pushed chunk is not owned (the chunk's memory is reused).
   */
  get ownsLastPayload(): boolean {
    return this.lastOwned;
  }

  /** Bytes pushed that are not yet part of a returned payload. */
  get buffered(): number {
    return this.queued;
  }

  /** Switch to new keys (right after next() returned the peer's NEWKEYS); the old keys are zeroed. */
  setKeys(keys: DirectionKeys): void {
    assertOpen(this.disposed);
    if (this.pending) throw new SshError('BAD_USE', 'setKeys in the middle of a packet');
    const next = makeProtection(keys, this.provider);
    disposeProtection(this.prot);
    this.prot = next;
  }

  /** Strict KEX (OpenSSH PROTOCOL §1.10): the sequence number restarts at 0 after NEWKEYS. */
  resetSequence(): void {
    this.seq = 0;
  }

  /** Buffer bytes received from the peer. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    // A merge below would carry the taint to a new view: the last payload keeps its chunk.
    this.lastView = null;
    const n = this.chunks.length;
    const last = n > this.head ? this.chunks[n - 1]! : null;
    // Consecutive reads into one slab are one run of memory: keep them as one chunk, so a
    // packet spanning both is still a single view.
    if (last && adjacent(last, chunk)) {
      const merged = new Uint8Array(chunk.buffer, last.byteOffset, last.byteLength + chunk.byteLength);
      if (this.tainted.has(last)) this.tainted.add(merged);
      this.chunks[n - 1] = merged;
    } else {
      this.chunks.push(chunk);
    }
    this.queued += chunk.length;
  }

  /**
   * The next payload, or null when more bytes are needed.
   * Throws MacError on a bad MAC or tag and ProtocolError on a bad length or padding;
   * after a throw the decoder is dead and rethrows the same error.
   */
  next(): Uint8Array | null {
    assertOpen(this.disposed);
    if (this.failure) throw this.failure;
    try {
      return this.step();
    } catch (e) {
      if (e instanceof SshError) this.failure = e;
      throw e;
    }
  }

  /**
   * The caller keeps no reference to the payload the last next() returned (a dropped
   * IGNORE or DEBUG): the chunk it was a view of may be released and its memory reused, so
   * a flood of dropped messages costs no more memory than the stream's read buffers.
   * Call it before the next push().
   */
  discard(): void {
    const c = this.lastView;
    if (!c) return;
    this.lastView = null;
    this.tainted.delete(c);
    if (this.lastViewConsumed && this.release) this.release(c);
  }

  /** Zero the keys and drop buffered bytes (on close). Any later next() or setKeys() throws. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    disposeProtection(this.prot);
    this.prot = CLEAR;
    this.pending?.head?.fill(0);
    this.pending = null;
    this.lastView = null;
    this.chunks = [];
    this.done = [];
    this.head = 0;
    this.headOffset = 0;
    this.queued = 0;
  }

  private step(): Uint8Array | null {
    this.lastView = null;
    this.lastOwned = false;
    const p = this.prot;
    if (!this.pending && !this.startPacket(p)) return null;
    const pend = this.pending!;
    if (this.queued < pend.total) return null;
    this.pending = null;

    // Decryption writes into the packet unless the cipher hands back a new buffer; a chunk
    // we do not own is copied first. Cleartext packets are never written to.
    const copy = !this.inPlace && p.mode !== 'clear';
    const first = this.chunks[this.head]!;
    const source = copy ? null : first;
    const packet = this.grab(pend.total, copy);
    const copied = packet.buffer !== first.buffer;
    const end = packet.length - p.trailer;
    const seq = this.seq;
    let body: Uint8Array;
    switch (p.mode) {
      case 'clear':
        body = packet.subarray(4, end);
        break;
      case 'mte': {
        // RFC 4253 §6.4: MAC over seq ‖ the whole plaintext packet.
        const head = pend.head!;
        packet.set(head);
        head.fill(0);
        const rest = packet.subarray(head.length, end);
        const out = p.cipher.decrypt(rest);
        if (out) {
          rest.set(out);
          freeWholeBuffer(out);
        }
        if (!p.mac.verify(seq, packet.subarray(0, end), packet.subarray(end))) throw new MacError();
        body = packet.subarray(4, end);
        break;
      }
      case 'etm':
        // OpenSSH PROTOCOL §1.7: check the MAC over the ciphertext before decrypting.
        if (!p.mac.verify(seq, packet.subarray(0, end), packet.subarray(end))) throw new MacError();
        body = packet.subarray(4, end);
        body = p.cipher.decrypt(body) ?? body;
        break;
      case 'aead':
        body = p.cipher.open(seq, packet) ?? packet.subarray(4, end);
        break;
      default: {
        const never: never = p;
        throw new SshError('BAD_USE', `unknown protection ${String(never)}`);
      }
    }
    const packetLength = body.length;
    const padding = body[0]!;
    if (padding < MIN_PADDING || padding > packetLength - 1) {
      throw new ProtocolError(`bad padding length ${padding} in a packet of length ${packetLength}`);
    }
    this.seq = (seq + 1) >>> 0;
    // A new buffer from the cipher covers its whole ArrayBuffer (not a slice of a pool).
    if (body.buffer === packet.buffer) this.lastOwned = copied;
    else {
      this.lastOwned = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength;
      // The ciphertext was copied out of the chunks for a cipher that then decrypted it into a new buffer: nobody holds it.
      if (copied) freeBuffer(packet);
    }
    // A payload that is a view of the chunk (decrypted in place, or clear) pins it.
    if (source && packet.buffer === source.buffer && body.buffer === packet.buffer && !this.tainted.has(source)) {
      this.tainted.add(source);
      this.lastView = source;
      this.lastViewConsumed = false;
    }
    if (this.done.length) this.releaseDone();
    return body.subarray(1, packetLength - padding);
  }

  private releaseDone(): void {
    const done = this.done;
    this.done = [];
    if (!this.release) return;
    for (const c of done) {
      if (!this.tainted.has(c)) this.release(c);
      else if (c === this.lastView) this.lastViewConsumed = true;
    }
  }

  /**
   * Read and check the packet length (the bytes stay queued). Returns false when too few
   * bytes are buffered. Nothing is allocated from an unchecked length.
   */
  private startPacket(p: Protection): boolean {
    // MtE hides the length in the first cipher block; ETM and GCM send it in clear;
    // chacha20-poly1305 encrypts just those 4 bytes with its header key.
    const headLength = p.mode === 'mte' ? Math.max(p.cipherBlock, 4) : 4;
    if (this.queued < headLength) return false;
    const head = this.headBuf.subarray(0, headLength);
    this.peek(head);
    let packetLength: number;
    if (p.mode === 'mte') {
      const out = p.cipher.decrypt(head);
      if (out) head.set(out);
      packetLength = readBE32(head, 0);
    } else if (p.mode === 'aead') {
      packetLength = p.cipher.decryptLength(this.seq, head);
    } else {
      packetLength = readBE32(head, 0);
    }
    const aligned = p.mode === 'etm' || p.mode === 'aead' ? packetLength : packetLength + 4;
    if (packetLength < MIN_PACKET_LENGTH || packetLength > this.maxPacketLength) {
      head.fill(0);
      throw new ProtocolError(`bad packet length ${packetLength}`);
    }
    if (aligned % p.blockSize !== 0) {
      head.fill(0);
      throw new ProtocolError(`packet length ${packetLength} is not aligned to the ${p.blockSize}-byte block size`);
    }
    this.pending = { total: 4 + packetLength + p.trailer, head: p.mode === 'mte' ? head.slice() : null };
    head.fill(0);
    return true;
  }

  /** Copy the first dst.length queued bytes into dst without consuming them. */
  private peek(dst: Uint8Array): void {
    let off = 0;
    let i = this.head;
    let from = this.headOffset;
    while (off < dst.length) {
      const c = this.chunks[i++]!;
      const k = Math.min(c.length - from, dst.length - off);
      dst.set(c.subarray(from, from + k), off);
      off += k;
      from = 0;
    }
  }

  /** Consume the next `n` queued bytes: a view when they lie in one chunk (and `copy` is false), else a copy. */
  private grab(n: number, copy: boolean): Uint8Array {
    const c = this.chunks[this.head]!;
    const at = this.headOffset;
    if (!copy && c.length - at >= n) {
      this.queued -= n;
      this.headOffset += n;
      if (this.headOffset === c.length) {
        this.chunks[this.head++] = EMPTY;
        this.headOffset = 0;
        if (this.release) this.done.push(c);
        this.compact();
      }
      return c.subarray(at, at + n);
    }
    const out = new Uint8Array(n);
    this.take(out, 0, n);
    return out;
  }

  private compact(): void {
    // Drop consumed slots now and then: amortised O(1) per chunk.
    if (this.head >= 32 && this.head * 2 >= this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }

  /** Move `n` bytes (n ≤ queued) from the chunk queue into dst[off..]. */
  private take(dst: Uint8Array, off: number, n: number): void {
    this.queued -= n;
    while (n > 0) {
      const c = this.chunks[this.head]!;
      const k = Math.min(c.length - this.headOffset, n);
      dst.set(c.subarray(this.headOffset, this.headOffset + k), off);
      off += k;
      n -= k;
      this.headOffset += k;
      if (this.headOffset === c.length) {
        this.chunks[this.head++] = EMPTY;
        this.headOffset = 0;
        if (this.release) this.done.push(c);
      }
    }
    this.compact();
  }
}
