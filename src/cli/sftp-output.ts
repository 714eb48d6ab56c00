/**
 * How OpenSSH's sftp writes names to a terminal. File names are bytes; stdout gets them
 * through mprintf (utf8.c): in a UTF-8 locale, valid printable characters as they are and
 * every other byte as `\ooo`; in any other locale every byte outside printable ASCII as
 * `\ooo`. Messages on stderr go through log.c's strnvis(VIS_SAFE|VIS_OCTAL): bytes outside
 * printable ASCII as `\ooo` and a backslash doubled. Lines on stderr end in CR LF (log.c).
 */
import { encodeName } from '../sftp/names.js';

/** Whether sftp would run in a UTF-8 locale (utf8.c msetlocale: LC_ALL, LC_CTYPE, LANG). */
export function utf8Locale(env: NodeJS.ProcessEnv): boolean {
  const v = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
  return /utf-?8/i.test(v);
}

const octal = (b: number): string => `\\${(b >> 6) & 7}${(b >> 3) & 7}${b & 7}`;
const decoder = new TextDecoder('utf-8', { fatal: true });
// wcwidth() is -1 for these: controls, surrogates, unassigned code points
const UNPRINTABLE = /[\p{Cc}\p{Cs}\p{Cn}]/u;

/** A name or line (surrogate-escaped string) as mprintf writes it. */
export function visible(s: string, utf8: boolean): Buffer {
  const bytes = encodeName(s);
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b === 0x0a || b === 0x0d || b === 0x09 || (b >= 0x20 && b < 0x7f)) {
      out += String.fromCharCode(b);
      i++;
      continue;
    }
    const n = utf8 ? sequenceLength(b) : 0;
    let ch: string | null = null;
    if (n > 1 && i + n <= bytes.length) {
      try {
        ch = decoder.decode(bytes.subarray(i, i + n));
      } catch {
        ch = null;
      }
    }
    if (ch !== null && !UNPRINTABLE.test(ch)) {
      out += ch;
      i += n;
    } else if (ch !== null) {
      for (let k = 0; k < n; k++) out += octal(bytes[i + k]!);
      i += n;
    } else {
      out += octal(b);
      i++;
    }
  }
  return Buffer.from(out, 'utf8');
}

function sequenceLength(b0: number): number {
  if (b0 >= 0xc2 && b0 <= 0xdf) return 2;
  if (b0 >= 0xe0 && b0 <= 0xef) return 3;
  if (b0 >= 0xf0 && b0 <= 0xf4) return 4;
  return 0;
}

/** An error message as log.c writes it on stderr (without the CR LF). */
export function logVisible(s: string): Buffer {
  const bytes = encodeName(s);
  let out = '';
  for (const b of bytes) {
    if (b === 0x5c) out += '\\\\';
    else if ((b > 0x20 && b < 0x7f) || b === 0x20 || b === 0x09 || b === 0x0a || b === 0x08 || b === 0x07 || b === 0x0d) out += String.fromCharCode(b);
    else out += octal(b);
  }
  return Buffer.from(out, 'latin1');
}

/** Bytes in a name's encoding (printf's `%-*s` pads by bytes). */
export function byteLength(s: string): number {
  return encodeName(s).length;
}
