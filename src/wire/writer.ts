/**
 * SSH wire encoder (RFC 4251 §5): byte, boolean, uint32, uint64, string, mpint, name-list.
 * A growable buffer; callers never compute lengths by hand.
 */
const utf8 = new TextEncoder();

export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  private pos: number;

  /** `reserve` leaves room at the front (e.g. for a packet header) that `finish()` excludes unless `withReserved`. */
  constructor(
    initialSize = 256,
    private readonly reserve = 0,
  ) {
    this.buf = new Uint8Array(Math.max(initialSize, reserve + 16));
    this.view = new DataView(this.buf.buffer);
    this.pos = reserve;
  }

  get length(): number {
    return this.pos - this.reserve;
  }

  private ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }

  bool(v: boolean): this {
    return this.u8(v ? 1 : 0);
  }

  u32(v: number): this {
    this.ensure(4);
    this.view.setUint32(this.pos, v >>> 0);
    this.pos += 4;
    return this;
  }

  u64(v: bigint | number): this {
    this.ensure(8);
    this.view.setBigUint64(this.pos, BigInt(v));
    this.pos += 8;
    return this;
  }

  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  /** string: uint32 length + bytes. A JS string is encoded as UTF-8. */
  string(v: Uint8Array | string): this {
    const bytes = typeof v === 'string' ? utf8.encode(v) : v;
    this.u32(bytes.length);
    return this.raw(bytes);
  }

  nameList(names: readonly string[]): this {
    return this.string(names.join(','));
  }

  /** mpint from a bigint (two's complement, minimal length; RFC 4251 §5). */
  mpint(v: bigint): this {
    return this.string(mpintBytes(v));
  }

  /** mpint from an unsigned big-endian magnitude (leading zeros stripped, 0x00 prepended if the top bit is set). */
  mpintFromUnsigned(mag: Uint8Array): this {
    let i = 0;
    while (i < mag.length && mag[i] === 0) i++;
    const body = mag.subarray(i);
    if (body.length > 0 && (body[0]! & 0x80) !== 0) {
      this.u32(body.length + 1);
      this.u8(0);
      return this.raw(body);
    }
    return this.string(body);
  }

  /** The encoded bytes (a view over the internal buffer; copy if you keep writing). */
  finish(withReserved = false): Uint8Array {
    return this.buf.subarray(withReserved ? 0 : this.reserve, this.pos);
  }
}

/** Two's-complement minimal big-endian encoding of a bigint (the body of an mpint). */
export function mpintBytes(v: bigint): Uint8Array {
  if (v === 0n) return new Uint8Array(0);
  if (v < 0n) {
    // Find the smallest byte length whose two's complement range holds v.
    let len = 1;
    while (-(1n << BigInt(len * 8 - 1)) > v) len++;
    const u = (1n << BigInt(len * 8)) + v;
    return bigintToBytes(u, len);
  }
  let hex = v.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  const needsPad = parseInt(hex.slice(0, 2), 16) & 0x80;
  const out = new Uint8Array(hex.length / 2 + (needsPad ? 1 : 0));
  const off = needsPad ? 1 : 0;
  for (let i = 0; i < hex.length / 2; i++) out[off + i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Unsigned big-endian bytes of a non-negative bigint, left-padded to `length` when given. */
export function bigintToBytes(v: bigint, length?: number): Uint8Array {
  let hex = v.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  const n = hex.length / 2;
  const len = length ?? n;
  if (n > len) throw new RangeError('integer does not fit in the requested length');
  const out = new Uint8Array(len);
  for (let i = 0; i < n; i++) out[len - n + i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Unsigned big-endian bytes to bigint. */
export function bytesToBigint(b: Uint8Array): bigint {
  if (b.length === 0) return 0n;
  let hex = '';
  for (let i = 0; i < b.length; i++) hex += b[i]!.toString(16).padStart(2, '0');
  return BigInt('0x' + hex);
}

/** Concatenate byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
