/**
 * Protocol version exchange (RFC 4253 §4.2).
 * The server may send other lines before its version line; each line, the version line
 * included, is at most 255 bytes with CR LF. We accept a bare LF as OpenSSH does.
 */
import { ProtocolError } from '../errors.js';
import { latin1 } from '../wire/bytes.js';

export const CLIENT_SOFTWARE = 'puressh_0.1';

/** Part of the message of every error for a connection that ended before the peer's identification line. */
export const BEFORE_IDENTIFICATION = 'before the SSH identification';
/** Start of the message for an identification line of another protocol version (SSH-1.x). */
export const UNSUPPORTED_VERSION = 'server speaks an unsupported protocol version';
export const CLIENT_VERSION = `SSH-2.0-${CLIENT_SOFTWARE}`;
/** The server's identification by default. */
export const SERVER_VERSION = `SSH-2.0-${CLIENT_SOFTWARE}`;
/** What a server writes in plain text to a client whose first line is not an identification (as sshd does). */
export const INVALID_IDENTIFICATION = 'Invalid SSH identification string.';
const INVALID_IDENTIFICATION_LOG = 'client sent invalid protocol identifier';

/** RFC 4253 §4.2: maximum length of the identification line including CR LF. */
const MAX_LINE = 255;
/** Bound on the pre-version banner so a hostile peer cannot make us buffer forever. */
const MAX_PREAMBLE_LINES = 1024;

export interface VersionResult {
  /** the peer's identification string without CR LF */
  version: string;
  /** lines the server sent before its version line */
  preamble: string[];
  /** bytes after the version line (the start of the binary packet stream) */
  rest: Uint8Array;
}

/**
 * Incremental parser for the peer's identification. `push` returns the result once the
 * version line is complete, or null if it needs more bytes.
 */
export class VersionParser {
  private buf = new Uint8Array(0);
  readonly preamble: string[] = [];
  private readonly allowPreamble: boolean;

  /** `allowPreamble`: lines before the identification are kept (a server's); otherwise refused (a client must send none). */
  constructor(options: { allowPreamble?: boolean } = {}) {
    this.allowPreamble = options.allowPreamble ?? true;
  }

  push(chunk: Uint8Array): VersionResult | null {
    const merged = new Uint8Array(this.buf.length + chunk.length);
    merged.set(this.buf);
    merged.set(chunk, this.buf.length);
    this.buf = merged;
    for (;;) {
      const nl = this.buf.indexOf(0x0a);
      if (nl < 0) {
        if (this.buf.length > MAX_LINE) throw new ProtocolError(`identification line longer than ${MAX_LINE} bytes`, 'BANNER_RECV');
        return null;
      }
      if (nl + 1 > MAX_LINE) throw new ProtocolError(`identification line longer than ${MAX_LINE} bytes`, 'BANNER_RECV');
      let end = nl;
      if (end > 0 && this.buf[end - 1] === 0x0d) end--;
      const line = latin1(this.buf.subarray(0, end));
      const rest = this.buf.subarray(nl + 1);
      this.buf = rest;
      if (line.startsWith('SSH-')) {
        if (!line.startsWith('SSH-2.0-') && !line.startsWith('SSH-1.99-')) {
          throw new ProtocolError(`${UNSUPPORTED_VERSION}: ${printable(line)}`, 'BANNER_RECV');
        }
        if (line.includes('\0')) throw new ProtocolError('identification line contains a NUL byte', 'BANNER_RECV');
        return { version: line, preamble: this.preamble, rest };
      }
      if (!this.allowPreamble) throw new ProtocolError(`${INVALID_IDENTIFICATION_LOG}: ${JSON.stringify(printable(line))}`, 'BANNER_RECV');
      if (this.preamble.length >= MAX_PREAMBLE_LINES) {
        throw new ProtocolError('no SSH identification line: the peer does not look like an SSH server', 'BANNER_RECV');
      }
      this.preamble.push(line);
    }
  }
}

/** Make a peer-supplied string safe to show in one line of an error message. */
export function printable(s: string, max = 80): string {
  const clean = s.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > max ? clean.slice(0, max) + '…' : clean;
}
