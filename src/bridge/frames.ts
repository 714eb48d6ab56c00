/**
 * WebSocket framing (RFC 6455 §5) for the server side of a binary bridge: frames from the
 * client are parsed as a stream (data frame payloads pass through in pieces, unmasked, without
 * being gathered), frames to the client are built unmasked (§5.1: a server must not mask).
 */

/** Frame opcodes (RFC 6455 §5.2, §11.8). */
export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** Close codes (RFC 6455 §7.4.1). */
export const CLOSE_CODE = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  unsupportedData: 1003,
  tooBig: 1009,
  internalError: 1011,
} as const;

/** A violation of RFC 6455 by the client: the connection is failed with this close code (§7.1.7). */
export class FrameError extends Error {
  override name = 'FrameError';
  constructor(
    readonly closeCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** What parsing the client's bytes yields: binary payload bytes, or a whole control frame. */
export type FrameEvent = { kind: 'binary'; bytes: Uint8Array } | { kind: 'control'; opcode: number; payload: Uint8Array };

/** Control frames carry at most 125 bytes and are never fragmented (§5.5). */
const MAX_CONTROL_PAYLOAD = 125;

interface FrameHeader {
  fin: boolean;
  opcode: number;
  length: number;
  mask: Uint8Array;
}

/**
 * Parses the client-to-server byte stream. Only binary messages are accepted: a text frame,
 * an unmasked frame, reserved bits (no extension is negotiated), a continuation with no
 * message open, or a data frame longer than `maxFrameBytes` throws a FrameError.
 */
export class ClientFrameParser {
  private buffer: Uint8Array = new Uint8Array(0);
  private header: FrameHeader | null = null;
  /** payload bytes of the current frame seen so far (the mask index) */
  private seen = 0;
  private control: Uint8Array[] = [];
  /** a fragmented binary message is open: continuations belong to it */
  private inMessage = false;

  constructor(private readonly maxFrameBytes: number) {}

  push(chunk: Uint8Array): FrameEvent[] {
    const events: FrameEvent[] = [];
    let data = this.buffer.length ? concat(this.buffer, chunk) : chunk;
    this.buffer = new Uint8Array(0);
    for (;;) {
      if (!this.header) {
        const parsed = this.parseHeader(data);
        if (!parsed) {
          this.buffer = data.slice();
          return events;
        }
        this.header = parsed.header;
        this.seen = 0;
        data = data.subarray(parsed.size);
      }
      const h = this.header;
      const take = Math.min(h.length - this.seen, data.length);
      if (take > 0) {
        const piece = data.slice(0, take);
        for (let i = 0; i < take; i++) piece[i]! ^= h.mask[(this.seen + i) & 3]!;
        this.seen += take;
        data = data.subarray(take);
        if (h.opcode >= 0x8) this.control.push(piece);
        else events.push({ kind: 'binary', bytes: piece });
      }
      if (this.seen < h.length) return events;
      // Frame complete.
      this.header = null;
      if (h.opcode >= 0x8) {
        events.push({ kind: 'control', opcode: h.opcode, payload: concat(...this.control) });
        this.control = [];
      } else this.inMessage = !h.fin;
      if (data.length === 0) return events;
    }
  }

  private parseHeader(data: Uint8Array): { header: FrameHeader; size: number } | null {
    if (data.length < 2) return null;
    const b0 = data[0]!;
    const b1 = data[1]!;
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    if (b0 & 0x70) throw new FrameError(CLOSE_CODE.protocolError, 'reserved bits set (no extension was negotiated)');
    if (!(b1 & 0x80)) throw new FrameError(CLOSE_CODE.protocolError, 'client frame not masked');
    let length = b1 & 0x7f;
    let at = 2;
    if (length === 126) {
      if (data.length < 4) return null;
      length = (data[2]! << 8) | data[3]!;
      at = 4;
    } else if (length === 127) {
      if (data.length < 10) return null;
      const high = ((data[2]! << 24) | (data[3]! << 16) | (data[4]! << 8) | data[5]!) >>> 0;
      const low = ((data[6]! << 24) | (data[7]! << 16) | (data[8]! << 8) | data[9]!) >>> 0;
      if (high & 0x80000000) throw new FrameError(CLOSE_CODE.protocolError, 'frame length has its top bit set');
      length = high * 2 ** 32 + low;
      at = 10;
    }
    if (data.length < at + 4) return null;
    const mask = data.slice(at, at + 4);
    switch (opcode) {
      case OPCODE.text:
        throw new FrameError(CLOSE_CODE.unsupportedData, 'text frame: this bridge carries binary messages only');
      case OPCODE.binary:
        if (this.inMessage) throw new FrameError(CLOSE_CODE.protocolError, 'new message before the previous one ended');
        break;
      case OPCODE.continuation:
        if (!this.inMessage) throw new FrameError(CLOSE_CODE.protocolError, 'continuation frame with no message open');
        break;
      case OPCODE.close:
      case OPCODE.ping:
      case OPCODE.pong:
        if (!fin || length > MAX_CONTROL_PAYLOAD) throw new FrameError(CLOSE_CODE.protocolError, 'control frame fragmented or over 125 bytes');
        break;
      default:
        throw new FrameError(CLOSE_CODE.protocolError, `unknown opcode ${opcode}`);
    }
    if (length > this.maxFrameBytes) throw new FrameError(CLOSE_CODE.tooBig, `frame of ${length} bytes is over the limit of ${this.maxFrameBytes}`);
    return { header: { fin, opcode, length, mask }, size: at + 4 };
  }
}

/** The size of a server frame's header (§5.2) for a payload of `length` bytes: 2, 4 or 10. */
export function serverFrameHeaderSize(length: number): number {
  return length < 126 ? 2 : length < 0x10000 ? 4 : 10;
}

/**
 * Writes the header of an unmasked, final frame from the server (§5.2) whose payload is
 * `length` bytes into `out` at `at` ({@link serverFrameHeaderSize} bytes), so that a payload
 * already in a buffer can be sent with its header in front of it, without a copy.
 */
export function writeServerFrameHeader(out: Uint8Array, at: number, opcode: number, length: number): void {
  out[at] = 0x80 | opcode;
  if (length < 126) out[at + 1] = length;
  else if (length < 0x10000) {
    out[at + 1] = 126;
    out[at + 2] = length >>> 8;
    out[at + 3] = length & 0xff;
  } else {
    out[at + 1] = 127;
    const view = new DataView(out.buffer, out.byteOffset + at + 2, 8);
    view.setUint32(0, Math.floor(length / 2 ** 32));
    view.setUint32(4, length >>> 0);
  }
}

/** The header of an unmasked, final frame from the server (§5.2) whose payload is `length` bytes. */
export function serverFrameHeader(opcode: number, length: number): Uint8Array {
  const out = new Uint8Array(serverFrameHeaderSize(length));
  writeServerFrameHeader(out, 0, opcode, length);
  return out;
}

/** One unmasked, final frame from the server (§5.2), header and payload in one buffer. */
export function serverFrame(opcode: number, payload: Uint8Array): Uint8Array {
  const header = serverFrameHeader(opcode, payload.length);
  const out = new Uint8Array(header.length + payload.length);
  out.set(header);
  out.set(payload, header.length);
  return out;
}

/** A close frame's payload: the code, then a UTF-8 reason cut to fit 125 bytes (§5.5.1). */
export function closePayload(code: number, reason = ''): Uint8Array {
  const text = new TextEncoder().encode(reason).subarray(0, MAX_CONTROL_PAYLOAD - 2);
  const out = new Uint8Array(2 + text.length);
  out[0] = code >>> 8;
  out[1] = code & 0xff;
  out.set(text, 2);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
