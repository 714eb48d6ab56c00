/**
 * File names are bytes on the wire (filexfer-02 §6.2 leaves their encoding to the server).
 * The API takes a `string` or a `Uint8Array`. Strings are UTF-8, and bytes that are not
 * valid UTF-8 are carried in strings as lone surrogates U+DC80..U+DCFF (Python's
 * "surrogateescape", PEP 383), so every name a server returns as a string goes back to it
 * byte for byte.
 */
import { SshError } from '../errors.js';

/** A remote path: a string (sent as UTF-8) or the raw bytes of a name. */
export type SftpPath = string | Uint8Array;

const utf8 = new TextEncoder();
const strict = new TextDecoder('utf-8', { fatal: true });
const SURROGATE = /[\uD800-\uDFFF]/;

/** The wire bytes of a name. */
export function encodeName(name: SftpPath): Uint8Array {
  if (typeof name !== 'string') return name;
  if (!SURROGATE.test(name)) return utf8.encode(name);
  const out: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0xdc80 && c <= 0xdcff) {
      out.push(c - 0xdc00);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < name.length) {
      const d = name.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
        i++;
        continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      throw new SshError('INVAL', `file name has a lone surrogate U+${c.toString(16).toUpperCase()} that stands for no byte`);
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return Uint8Array.from(out);
}

/** A name as a string: UTF-8, with undecodable bytes escaped as U+DC80..U+DCFF. */
export function decodeName(bytes: Uint8Array): string {
  try {
    return strict.decode(bytes);
  } catch {
    return decodeEscaped(bytes);
  }
}

/** Length of the valid UTF-8 sequence starting at i (RFC 3629 §4 table), or 0. */
function sequenceLength(b: Uint8Array, i: number): number {
  const b0 = b[i]!;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => i + k < b.length && b[i + k]! >= lo && b[i + k]! <= hi;
  if (b0 < 0x80) return 1;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((b0 >= 0xe1 && b0 <= 0xec) || b0 === 0xee || b0 === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (b0 === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0; // no encoded surrogates
  if (b0 === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b0 >= 0xf1 && b0 <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b0 === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

function decodeEscaped(b: Uint8Array): string {
  let s = '';
  let i = 0;
  while (i < b.length) {
    const n = sequenceLength(b, i);
    if (n === 0) {
      s += String.fromCharCode(0xdc00 + b[i]!);
      i++;
    } else {
      s += strict.decode(b.subarray(i, i + n));
      i += n;
    }
  }
  return s;
}

/** A printable form for messages: undecodable bytes as \xNN. */
export function displayName(name: SftpPath): string {
  const s = typeof name === 'string' ? name : decodeName(name);
  return s.replace(/[\uDC80-\uDCFF]/g, (c) => `\\x${(c.charCodeAt(0) - 0xdc00).toString(16).padStart(2, '0')}`);
}

/** Join remote path segments with "/" (SFTP paths are POSIX-style). */
export function joinPath(dir: SftpPath, name: SftpPath): SftpPath {
  if (typeof dir === 'string' && typeof name === 'string') return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
  const d = encodeName(dir);
  const n = encodeName(name);
  const slash = d.length > 0 && d[d.length - 1] === 0x2f ? 0 : 1;
  const out = new Uint8Array(d.length + slash + n.length);
  out.set(d);
  if (slash) out[d.length] = 0x2f;
  out.set(n, d.length + slash);
  return out;
}
