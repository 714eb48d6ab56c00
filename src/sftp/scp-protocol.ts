/**
 * The SCP protocol's messages, for both ends (the client in scp.ts, the server in
 * server/scp.ts): the control records `T`, `C`, `D`, `E` and the acknowledgements that
 * answer each of them (one byte: 0 ok, 1 warning, 2 fatal; the latter two followed by a
 * message line). SCP has no specification but OpenSSH's scp.c; the record grammar and the
 * reasons given for a bad record are those of its sink().
 */
import { SshError } from '../errors.js';

export class ScpError extends SshError {
  override name = 'ScpError';
  constructor(
    message: string,
    /** the remote scp's own message or stderr, if any */
    readonly remoteMessage = '',
  ) {
    super('SCP_PROTOCOL', message);
  }
}

/**
 * A control record that does not parse. `text` is what OpenSSH's scp reports for it after
 * "scp: " ("protocol error: bad mode", "error: unexpected filename: ..."): bytes, since
 * it may quote a file name.
 */
export class ScpRecordError extends ScpError {
  override name = 'ScpRecordError';
  constructor(readonly text: Uint8Array) {
    super(`bad SCP control record: ${new TextDecoder().decode(text)}`);
  }
}

/** The acknowledgement bytes. */
export const SCP_ACK = { OK: 0, WARNING: 1, FATAL: 2 } as const;

/**
 * The longest record OpenSSH's sink and response() read, newline included (their buffers
 * are 2048 bytes with a terminating NUL); longer lines are cut there.
 */
export const SCP_MAX_RECORD = 2047;

/** One record, as sink() tells them apart. */
export type ScpRecord =
  /** times of the next file or directory (scp -p); `valid` false if beyond time_t, then ignored */
  | { kind: 'T'; mtime: number; atime: number; valid: boolean }
  /** a file (C) follows, or a directory (D) is entered; `mode` holds the permission bits */
  | { kind: 'C' | 'D'; mode: number; size: number; name: Uint8Array }
  /** the end of a directory */
  | { kind: 'E' }
  /** a warning (1) or fatal error (2) from the peer, its line without the newline */
  | { kind: 'warning' | 'fatal'; message: Uint8Array }
  /** anything else: sink() calls it "expected control record", or, first, prints it */
  | { kind: 'other'; line: Uint8Array };

const ascii = new TextEncoder();
const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;
const SP = 0x20;
const NL = 0x0a;
/** 2^63 - 1: off_t and time_t on the platforms OpenSSH's scp runs on */
const INT64_MAX = 0x7fffffffffffffffn;

const protocolError = (why: string): ScpRecordError => new ScpRecordError(ascii.encode(`protocol error: ${why}`));

/** strtoull(3) from `i` (digits only: callers check the first one): the value and where it stopped. */
function unsigned(b: Uint8Array, i: number): [bigint, number] {
  let end = i;
  while (isDigit(b[end])) end++;
  // A run of digits too long for 64 bits saturates, as strtoull does (ERANGE).
  if (end - i > 20) return [0xffffffffffffffffn, end];
  let v = 0n;
  for (let k = i; k < end; k++) v = v * 10n + BigInt(b[k]! - 0x30);
  return [v > 0xffffffffffffffffn ? 0xffffffffffffffffn : v, end];
}

/** strtol(3) from `i`: leading white space and a sign allowed; no digits converts nothing. */
function signed(b: Uint8Array, i: number): [number, number] {
  let k = i;
  while (b[k] === SP || (b[k]! >= 0x09 && b[k]! <= 0x0d)) k++;
  let sign = 1;
  if (b[k] === 0x2b || b[k] === 0x2d) sign = b[k++] === 0x2d ? -1 : 1;
  if (!isDigit(b[k])) return [0, i];
  let v = 0;
  // Values are only compared with 0..999999: stop growing past that.
  while (isDigit(b[k])) v = Math.min(v * 10 + (b[k++]! - 0x30), 1e7);
  return [sign * v, k];
}

/** A time_t as a number, or null beyond 2^63 - 1 (sink() then ignores the times). */
const time = (v: bigint): number | null => (v > INT64_MAX ? null : Number(v));

function parseTimes(b: Uint8Array): ScpRecord {
  let i = 1;
  if (!isDigit(b[i])) throw protocolError('mtime.sec not present');
  const [msec, a] = unsigned(b, i);
  if (b[a] !== SP) throw protocolError('mtime.sec not delimited');
  const [musec, c] = signed(b, a + 1);
  if (b[c] !== SP || musec < 0 || musec > 999999) throw protocolError('mtime.usec not delimited');
  i = c + 1;
  if (!isDigit(b[i])) throw protocolError('atime.sec not present');
  const [asec, d] = unsigned(b, i);
  if (b[d] !== SP) throw protocolError('atime.sec not delimited');
  const [ausec, e] = signed(b, d + 1);
  if (e !== b.length || ausec < 0 || ausec > 999999) throw protocolError('atime.usec not delimited');
  const mtime = time(msec);
  const atime = time(asec);
  return { kind: 'T', mtime: mtime ?? 0, atime: atime ?? 0, valid: mtime !== null && atime !== null };
}

function parseEntry(b: Uint8Array, kind: 'C' | 'D'): ScpRecord {
  let mode = 0;
  for (let i = 1; i < 5; i++) {
    const c = b[i];
    if (c === undefined || c < 0x30 || c > 0x37) throw protocolError('bad mode');
    mode = (mode << 3) | (c - 0x30);
  }
  if (b[5] !== SP) throw protocolError('mode not delimited');
  if (!isDigit(b[6])) throw protocolError('size not present');
  const [size, end] = unsigned(b, 6);
  if (b[end] !== SP) throw protocolError('size not delimited');
  // Beyond 2^53 a size cannot be a file position here; OpenSSH draws the line at 2^63.
  if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw protocolError('size out of range');
  const name = b.subarray(end + 1);
  const dot = name.length === 1 && name[0] === 0x2e;
  const dotdot = name.length === 2 && name[0] === 0x2e && name[1] === 0x2e;
  if (name.length === 0 || name.includes(0x2f) || dot || dotdot) {
    const prefix = ascii.encode('error: unexpected filename: ');
    const text = new Uint8Array(prefix.length + name.length);
    text.set(prefix);
    text.set(name, prefix.length);
    throw new ScpRecordError(text);
  }
  return { kind, mode, size: Number(size), name };
}

/**
 * Parse one record: the bytes of a line as read, its newline (if one was read) still on
 * the end. Throws ScpRecordError with OpenSSH's reason for a malformed T, C or D record.
 */
export function parseRecord(line: Uint8Array): ScpRecord {
  const first = line[0];
  if (first === undefined || first === NL) throw protocolError('unexpected <newline>');
  const body = line[line.length - 1] === NL ? line.subarray(0, line.length - 1) : line;
  if (first === SCP_ACK.WARNING || first === SCP_ACK.FATAL) return { kind: first === SCP_ACK.WARNING ? 'warning' : 'fatal', message: body.subarray(1) };
  switch (String.fromCharCode(first)) {
    case 'E':
      return { kind: 'E' };
    case 'T':
      return parseTimes(body);
    case 'C':
      return parseEntry(body, 'C');
    case 'D':
      return parseEntry(body, 'D');
    default:
      return { kind: 'other', line: body };
  }
}

/** `T<mtime> 0 <atime> 0\n` (negative times are sent as 0, as scp.c's do_times does). */
export function encodeTimes(mtime: number, atime: number): Uint8Array {
  const t = (v: number): string => String(Math.max(0, Math.floor(v)));
  return ascii.encode(`T${t(mtime)} 0 ${t(atime)} 0\n`);
}

/** `C<mode> <size> <name>\n` or `D<mode> 0 <name>\n`: the mode's 07777 bits in four octal digits. */
export function encodeEntry(kind: 'C' | 'D', mode: number, size: number, name: Uint8Array): Uint8Array {
  if (name.includes(NL)) throw new SshError('INVAL', 'SCP file names cannot contain a newline');
  const head = ascii.encode(`${kind}${(mode & 0o7777).toString(8).padStart(4, '0')} ${kind === 'D' ? 0 : size} `);
  const out = new Uint8Array(head.length + name.length + 1);
  out.set(head);
  out.set(name, head.length);
  out[out.length - 1] = NL;
  return out;
}

/** `E\n`: leave the directory. */
export const SCP_END: Uint8Array = ascii.encode('E\n');

/** The one-byte acknowledgement `0`. */
export const SCP_OK: Uint8Array = new Uint8Array([SCP_ACK.OK]);

/** A warning or fatal acknowledgement: the byte, `text`, a newline. */
export function encodeFailure(level: 'warning' | 'fatal', text: Uint8Array | string): Uint8Array {
  const t = typeof text === 'string' ? ascii.encode(text) : text;
  const out = new Uint8Array(t.length + 2);
  out[0] = level === 'warning' ? SCP_ACK.WARNING : SCP_ACK.FATAL;
  out.set(t, 1);
  out[out.length - 1] = NL;
  return out;
}

/**
 * Buffered reads over a byte source: single bytes, lines, and exact byte counts handed on
 * as they arrive (a file's announced size is never allocated).
 */
export class ScpInput {
  private buf: Uint8Array = new Uint8Array(0);
  /** the chunk from `source` that buf is a view of (null when buf is a joined copy) */
  private current: Uint8Array | null = null;

  /**
   * `release`: given each chunk from `source` that exactly() handed to its sink to the end,
   * once the sink is done with it (only when the sink keeps no views: see exactly()).
   */
  constructor(
    private readonly source: () => Promise<Uint8Array | null>,
    private readonly release?: (chunk: Uint8Array) => void,
  ) {}

  private async fill(): Promise<boolean> {
    for (;;) {
      const c = await this.source();
      if (c === null) return false;
      if (c.length === 0) continue;
      if (this.buf.length === 0) {
        this.buf = c;
        this.current = c;
      } else {
        const joined = new Uint8Array(this.buf.length + c.length);
        joined.set(this.buf);
        joined.set(c, this.buf.length);
        this.buf = joined;
        this.current = null;
      }
      return true;
    }
  }

  /** The next byte, or null at the end of the input. */
  async byte(): Promise<number | null> {
    if (this.buf.length === 0 && !(await this.fill())) return null;
    const b = this.buf[0]!;
    this.buf = this.buf.subarray(1);
    return b;
  }

  /**
   * Bytes through the next newline (kept), or the first `max` bytes if no newline comes
   * sooner; null if the input ends first (`partial` then has what was read).
   */
  async line(max: number): Promise<Uint8Array | null> {
    let scanned = 0;
    for (;;) {
      const i = this.buf.subarray(scanned, max).indexOf(NL);
      if (i >= 0 || this.buf.length >= max) {
        const n = i >= 0 ? scanned + i + 1 : max;
        // A copy (a Node Buffer's slice() is a view): the chunk may be released later.
        const out = new Uint8Array(this.buf.subarray(0, n));
        this.buf = this.buf.subarray(n);
        return out;
      }
      scanned = this.buf.length;
      if (!(await this.fill())) return null;
    }
  }

  /**
   * Exactly `n` bytes, handed to `sink` in pieces as they arrive. Returns how many were
   * missing when the input ended early (0 when all came). With a `release` callback the sink
   * must keep no view of a piece once its promise settles: a source chunk whose last byte
   * went to the sink is then released (earlier bytes of it were copied, read or sunk too).
   */
  async exactly(n: number, sink: (chunk: Uint8Array) => void | Promise<void>): Promise<number> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0 && !(await this.fill())) return left;
      const take = Math.min(left, this.buf.length);
      const chunk = this.buf.subarray(0, take);
      this.buf = this.buf.subarray(take);
      left -= take;
      await sink(chunk);
      if (this.buf.length === 0 && this.current && this.release) {
        const done = this.current;
        this.current = null;
        this.release(done);
      }
    }
    return 0;
  }
}
