/**
 * A minimal DER reader (ITU-T X.690 §8, §10) for key files: SEQUENCE, INTEGER, OCTET STRING,
 * BIT STRING, NULL, OBJECT IDENTIFIER and context-specific tags. Every length is checked
 * against the enclosing element before use; anything malformed throws KeyError (code FILE)
 * naming the field. Only single-byte tags and definite lengths are accepted.
 */
import { KeyError } from '../../../errors.js';
import { bytesToBigint } from '../../bigint.js';

export const TAG = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  SEQUENCE: 0x30,
} as const;

/** Tag byte of context-specific element [n]: constructed (EXPLICIT, or IMPLICIT over a constructed type) or primitive. */
export const contextTag = (n: number, constructed: boolean): number => (constructed ? 0xa0 : 0x80) | n;

/** One element: its tag byte and a view of its contents. */
export interface DerElement {
  readonly tag: number;
  readonly body: Uint8Array;
}

/** Largest element length we accept (4-byte length field; key files are far smaller). */
const MAX_LENGTH_BYTES = 4;

export class DerReader {
  private pos = 0;

  constructor(
    private readonly buf: Uint8Array,
    /** what is being decoded, for error messages */
    private readonly what = 'DER',
  ) {}

  private fail(message: string): never {
    throw new KeyError(`${this.what}: ${message}`);
  }

  /** True when every element has been read. */
  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** Tag byte of the next element, or undefined at the end. */
  peekTag(): number | undefined {
    return this.done ? undefined : this.buf[this.pos];
  }

  /** The next element, whatever its tag (X.690 §8.1: identifier, length, contents). */
  next(field: string): DerElement {
    const buf = this.buf;
    if (this.pos + 2 > buf.length) this.fail(`truncated ${field}`);
    const tag = buf[this.pos]!;
    if ((tag & 0x1f) === 0x1f) this.fail(`${field}: multi-byte tags are not supported`);
    let len = buf[this.pos + 1]!;
    let at = this.pos + 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0) this.fail(`${field}: indefinite length is not DER`);
      if (n > MAX_LENGTH_BYTES) this.fail(`${field}: length too large`);
      if (at + n > buf.length) this.fail(`truncated ${field} length`);
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + buf[at + i]!;
      if (len < 0x80 || buf[at] === 0) this.fail(`${field}: non-minimal length encoding`);
      at += n;
    }
    if (len > buf.length - at) this.fail(`truncated ${field} (need ${len} bytes, have ${buf.length - at})`);
    this.pos = at + len;
    return { tag, body: buf.subarray(at, at + len) };
  }

  /** Contents of the next element, which must carry `tag`. */
  expect(tag: number, field: string): Uint8Array {
    const at = this.peekTag();
    if (at === undefined) this.fail(`missing ${field}`);
    if (at !== tag) this.fail(`${field}: expected tag 0x${tag.toString(16)}, found 0x${at.toString(16)}`);
    return this.next(field).body;
  }

  /** Contents of the next element if it carries `tag`, else undefined (OPTIONAL / DEFAULT fields). */
  optional(tag: number, field: string): Uint8Array | undefined {
    return this.peekTag() === tag ? this.next(field).body : undefined;
  }

  /** A reader over the contents of the next SEQUENCE. */
  sequence(field: string): DerReader {
    return new DerReader(this.expect(TAG.SEQUENCE, field), `${this.what} ${field}`);
  }

  /** INTEGER (two's complement, X.690 §8.3) that must not be negative. */
  uint(field: string): bigint {
    const b = this.expect(TAG.INTEGER, field);
    if (b.length === 0) this.fail(`${field}: empty INTEGER`);
    if (b[0]! & 0x80) this.fail(`${field}: negative INTEGER`);
    return bytesToBigint(b);
  }

  /** Small non-negative INTEGER (versions, iteration counts); fails above `max`. */
  small(field: string, max = 0x7fffffff): number {
    const v = this.uint(field);
    if (v > BigInt(max)) this.fail(`${field}: ${v > 0xffffffffn ? 'too large' : v} exceeds ${max}`);
    return Number(v);
  }

  octetString(field: string): Uint8Array {
    return this.expect(TAG.OCTET_STRING, field);
  }

  /** BIT STRING contents without the unused-bits byte; whole bytes only (keys always are). */
  bitString(field: string): Uint8Array {
    const b = this.expect(TAG.BIT_STRING, field);
    if (b.length === 0 || b[0] !== 0) this.fail(`${field}: BIT STRING with unused bits`);
    return b.subarray(1);
  }

  null(field: string): void {
    if (this.expect(TAG.NULL, field).length !== 0) this.fail(`${field}: NULL with contents`);
  }

  /** OBJECT IDENTIFIER in dotted form, e.g. "1.2.840.113549.1.1.1" (X.690 §8.19). */
  oid(field: string): string {
    const b = this.expect(TAG.OID, field);
    if (b.length === 0) this.fail(`${field}: empty OBJECT IDENTIFIER`);
    const arcs: number[] = [];
    let v = 0;
    for (let i = 0; i < b.length; i++) {
      const byte = b[i]!;
      if (v === 0 && byte === 0x80) this.fail(`${field}: non-minimal OBJECT IDENTIFIER arc`);
      if (v > 0xffffff) this.fail(`${field}: OBJECT IDENTIFIER arc too large`);
      v = v * 128 + (byte & 0x7f);
      if (byte & 0x80) continue;
      if (arcs.length === 0) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else arcs.push(v);
      v = 0;
    }
    if (b[b.length - 1]! & 0x80) this.fail(`${field}: truncated OBJECT IDENTIFIER`);
    return arcs.join('.');
  }

  /** Assert that every element was read. */
  end(): void {
    if (!this.done) this.fail(`${this.buf.length - this.pos} unexpected trailing bytes`);
  }
}

/**
 * Read a whole buffer as exactly one element with `tag` and hand a reader over its contents
 * to `fn`, which must consume them all.
 */
export function readDer<T>(der: Uint8Array, what: string, fn: (r: DerReader) => T): T {
  const outer = new DerReader(der, what);
  const inner = outer.sequence('SEQUENCE');
  outer.end();
  const out = fn(inner);
  inner.end();
  return out;
}

/** AlgorithmIdentifier (RFC 5280 §4.1.1.2): OID and a reader over the parameters (possibly empty). */
export function algorithmIdentifier(r: DerReader, field: string): { oid: string; params: DerReader } {
  const seq = r.sequence(field);
  const oid = seq.oid(`${field} algorithm`);
  return { oid, params: seq };
}
