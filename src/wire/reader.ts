/**
 * SSH wire decoder (RFC 4251 §5). Every read is bounds-checked; a short or malformed
 * field throws ProtocolError naming the field. `end()` rejects trailing bytes.
 */
import { ProtocolError } from '../errors.js';
import { bytesToBigint } from './writer.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class Reader {
  private pos: number;
  private readonly view: DataView;

  constructor(
    private readonly buf: Uint8Array,
    offset = 0,
    /** what is being decoded, for error messages */
    private readonly what = 'message',
  ) {
    this.pos = offset;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, field: string): void {
    if (n > this.buf.length - this.pos) {
      throw new ProtocolError(`${this.what}: truncated ${field} (need ${n} bytes, have ${this.buf.length - this.pos})`);
    }
  }

  u8(field = 'byte'): number {
    this.need(1, field);
    return this.buf[this.pos++]!;
  }

  bool(field = 'boolean'): boolean {
    return this.u8(field) !== 0;
  }

  u32(field = 'uint32'): number {
    this.need(4, field);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  u64(field = 'uint64'): bigint {
    this.need(8, field);
    const v = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }

  /** `n` raw bytes (a view, not a copy). */
  raw(n: number, field = 'bytes'): Uint8Array {
    this.need(n, field);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** string as bytes (a view, not a copy). */
  string(field = 'string'): Uint8Array {
    const len = this.u32(`${field} length`);
    return this.raw(len, field);
  }

  /** string decoded as UTF-8 (rejects invalid UTF-8). */
  text(field = 'string'): string {
    const bytes = this.string(field);
    try {
      return utf8.decode(bytes);
    } catch {
      throw new ProtocolError(`${this.what}: ${field} is not valid UTF-8`);
    }
  }

  /** string decoded as US-ASCII/Latin-1 bytes to chars, never failing (algorithm names and the like). */
  ascii(field = 'string'): string {
    const bytes = this.string(field);
    let s = '';
    for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
    return s;
  }

  nameList(field = 'name-list'): string[] {
    const s = this.ascii(field);
    return s.length === 0 ? [] : s.split(',');
  }

  /** mpint as bigint (two's complement). */
  mpint(field = 'mpint'): bigint {
    const b = this.string(field);
    if (b.length === 0) return 0n;
    const v = bytesToBigint(b);
    return (b[0]! & 0x80) !== 0 ? v - (1n << BigInt(b.length * 8)) : v;
  }

  /** mpint that must be non-negative, returned as its unsigned magnitude bytes (leading zero stripped). */
  mpintUnsigned(field = 'mpint'): Uint8Array {
    const b = this.string(field);
    if (b.length > 0 && (b[0]! & 0x80) !== 0) throw new ProtocolError(`${this.what}: ${field} is negative`);
    let i = 0;
    while (i < b.length && b[i] === 0) i++;
    return b.subarray(i);
  }

  /** Everything left. */
  rest(): Uint8Array {
    const out = this.buf.subarray(this.pos);
    this.pos = this.buf.length;
    return out;
  }

  /** Assert that the whole buffer was consumed. */
  end(): void {
    if (this.pos !== this.buf.length) {
      throw new ProtocolError(`${this.what}: ${this.buf.length - this.pos} unexpected trailing bytes`);
    }
  }
}
