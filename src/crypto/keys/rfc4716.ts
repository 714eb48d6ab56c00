/**
 * The SSH public key file format of RFC 4716 (`ssh-keygen -e`, `-m RFC4716`; ssh.com, PuTTY):
 *
 *   ---- BEGIN SSH2 PUBLIC KEY ----
 *   Comment: "256-bit ED25519, converted by me@host from OpenSSH"
 *   x-private-tag: a value that goes on \
 *   and on
 *   AAAAC3NzaC1lZDI1NTE5AAAAI…           (base64 of the RFC 4253 §6.6 key blob)
 *   ---- END SSH2 PUBLIC KEY ----
 *
 * Headers are "Tag: value" (§3.3); a line ending in a backslash continues on the next (§3.3);
 * lines end in CR, LF or CRLF (§3). The key blob itself is decoded by the caller.
 */
import { KeyError } from '../../errors.js';
import { base64Decode, base64Encode } from '../encoding.js';

export const RFC4716_BEGIN = '---- BEGIN SSH2 PUBLIC KEY ----';
export const RFC4716_END = '---- END SSH2 PUBLIC KEY ----';
/** §3.3: header tags are at most 64 bytes, values at most 1024. */
const MAX_TAG = 64;
const MAX_VALUE = 1024;
/** §3: no line is longer than 72 bytes (we enforce it when writing only; ssh-keygen writes longer Comment lines). */
const LINE = 72;

export interface Rfc4716PublicKey {
  /** the public key blob */
  readonly blob: Uint8Array;
  /** the Comment header without surrounding quotes, or '' */
  readonly comment: string;
  /** every header in file order, tags as written (compare them case-insensitively, §3.3) */
  readonly headers: readonly { tag: string; value: string }[];
}

/**
 * Decode the first RFC 4716 block in `text`. Throws KeyError (FILE) on a malformed block.
 * @example parseRfc4716(execSync('ssh-keygen -e -f id_ed25519.pub', 'utf8')).comment
 */
export function parseRfc4716(text: string): Rfc4716PublicKey {
  const lines = text.split(/\r\n|\r|\n/);
  const start = lines.findIndex((l) => l.trim() === RFC4716_BEGIN);
  if (start < 0) throw new KeyError(`no "${RFC4716_BEGIN}" line found`);
  const end = lines.findIndex((l, i) => i > start && l.trim() === RFC4716_END);
  if (end < 0) throw new KeyError(`missing "${RFC4716_END}"`);
  const headers: { tag: string; value: string }[] = [];
  let i = start + 1;
  while (i < end && lines[i]!.includes(':')) {
    let line = lines[i++]!;
    // §3.3: a trailing backslash joins the next line
    while (line.endsWith('\\')) {
      if (i >= end) throw new KeyError('RFC 4716: header continues past the end of the block');
      line = line.slice(0, -1) + lines[i++]!;
    }
    const colon = line.indexOf(':');
    const tag = line.slice(0, colon);
    const value = line.slice(colon + 1).replace(/^ /, '');
    // §3.3: tag = printable US-ASCII without ':' and space
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(tag) || tag.length > MAX_TAG) throw new KeyError('RFC 4716: malformed header tag');
    if (value.length > MAX_VALUE) throw new KeyError('RFC 4716: header value too long');
    headers.push({ tag, value });
  }
  const body = lines.slice(i, end).join('');
  if (!/^[A-Za-z0-9+/=\s]+$/.test(body)) throw new KeyError('RFC 4716: the key body is not base64');
  const blob = base64Decode(body);
  const c = headers.find((h) => h.tag.toLowerCase() === 'comment')?.value ?? '';
  const comment = c.length >= 2 && c.startsWith('"') && c.endsWith('"') ? c.slice(1, -1) : c;
  return { blob, comment, headers };
}

/** Split "Tag: value" into lines of at most 72 bytes, each but the last ending in "\" (§3.3). */
function headerLines(tag: string, value: string): string[] {
  let rest = `${tag}: ${value}`;
  const out: string[] = [];
  while (rest.length > LINE) {
    out.push(rest.slice(0, LINE - 1) + '\\');
    rest = rest.slice(LINE - 1);
  }
  out.push(rest);
  return out;
}

/**
 * Encode a public key blob as an RFC 4716 block, as `ssh-keygen -e` does (quoted Comment,
 * base64 wrapped at 70 columns), but with long header lines continued per §3.3.
 * @example formatRfc4716(key.blob, '256-bit ED25519') // '---- BEGIN SSH2 PUBLIC KEY ----\nComment: …'
 */
export function formatRfc4716(blob: Uint8Array, comment = ''): string {
  if (comment.length > MAX_VALUE - 2 || /[\r\n]/.test(comment)) throw new KeyError('RFC 4716: comment too long or multi-line');
  const lines = [RFC4716_BEGIN];
  if (comment) lines.push(...headerLines('Comment', `"${comment}"`));
  const b64 = base64Encode(blob);
  for (let i = 0; i < b64.length; i += 70) lines.push(b64.slice(i, i + 70));
  lines.push(RFC4716_END);
  return lines.join('\n') + '\n';
}
