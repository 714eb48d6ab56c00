/**
 * Base64 (RFC 4648 §4) and PEM-style armor (RFC 7468) without Buffer, atob or btoa,
 * so the same code runs in Node and in browsers.
 */
import { KeyError } from '../errors.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = /* @__PURE__ */ (() => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) t[ALPHABET.charCodeAt(i)] = i;
  return t;
})();

/**
 * Standard base64 with `=` padding; `pad = false` drops the padding (as OpenSSH's SHA256 fingerprints do).
 * @example base64Encode(new Uint8Array([1, 2, 3])) // 'AQID'
 */
export function base64Encode(data: Uint8Array, pad = true): string {
  let out = '';
  let i = 0;
  for (; i + 2 < data.length; i += 3) {
    const n = (data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!;
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const left = data.length - i;
  if (left === 1) {
    const n = data[i]! << 16;
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + (pad ? '==' : '');
  } else if (left === 2) {
    const n = (data[i]! << 16) | (data[i + 1]! << 8);
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]! + (pad ? '=' : '');
  }
  return out;
}

/**
 * Strict standard base64 decoder. ASCII whitespace is skipped (PEM bodies are wrapped);
 * padding is optional but, when present, must be correct; any other character, a
 * dangling single character, or non-zero trailing bits throw KeyError.
 * @example base64Decode('AQID') // Uint8Array [1, 2, 3]
 */
export function base64Decode(text: string): Uint8Array {
  const vals: number[] = [];
  let padding = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) continue;
    if (c === 0x3d /* = */) {
      padding++;
      continue;
    }
    const v = c < 128 ? DECODE[c]! : -1;
    if (v < 0 || padding > 0) throw new KeyError('invalid base64 data');
    vals.push(v);
  }
  const rem = vals.length % 4;
  if (rem === 1 || padding > 2 || (padding > 0 && (rem === 0 || rem + padding !== 4))) {
    throw new KeyError('invalid base64 length or padding');
  }
  const out = new Uint8Array(Math.floor((vals.length * 3) / 4));
  let o = 0;
  let i = 0;
  for (; i + 3 < vals.length; i += 4) {
    const n = (vals[i]! << 18) | (vals[i + 1]! << 12) | (vals[i + 2]! << 6) | vals[i + 3]!;
    out[o++] = n >>> 16;
    out[o++] = (n >>> 8) & 0xff;
    out[o++] = n & 0xff;
  }
  if (rem === 2) {
    const n = (vals[i]! << 18) | (vals[i + 1]! << 12);
    if (n & 0xffff) throw new KeyError('invalid base64 trailing bits');
    out[o] = n >>> 16;
  } else if (rem === 3) {
    const n = (vals[i]! << 18) | (vals[i + 1]! << 12) | (vals[i + 2]! << 6);
    if (n & 0xff) throw new KeyError('invalid base64 trailing bits');
    out[o++] = n >>> 16;
    out[o] = (n >>> 8) & 0xff;
  }
  return out;
}

/** One armored block: `-----BEGIN <label>-----`, optional RFC 1421 headers, base64 body. */
export interface PemBlock {
  readonly label: string;
  /** `Name: value` headers before the body (legacy encrypted PEM uses Proc-Type and DEK-Info) */
  readonly headers: ReadonlyMap<string, string>;
  readonly data: Uint8Array;
}

const BEGIN = /^-----BEGIN ([A-Z0-9 ]+)-----$/;

/**
 * Decode the first armored block in `text` (text before it is ignored, as OpenSSH does).
 * Throws KeyError if there is no block, the END line does not match, or the body is not base64.
 * @example pemDecode(pemEncode('OPENSSH PRIVATE KEY', bytes)).data // bytes
 */
export function pemDecode(text: string): PemBlock {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const start = lines.findIndex((l) => BEGIN.test(l));
  if (start < 0) throw new KeyError('no PEM "-----BEGIN" line found');
  const label = BEGIN.exec(lines[start]!)![1]!;
  const endLine = `-----END ${label}-----`;
  const end = lines.indexOf(endLine, start + 1);
  if (end < 0) throw new KeyError(`missing "${endLine}"`);
  const headers = new Map<string, string>();
  let i = start + 1;
  // Headers (RFC 1421 §4.6) end with a blank line; a continuation line starts with whitespace,
  // but our lines are trimmed, so only single-line headers are supported (all OpenSSL emits).
  if (i < end && /^[A-Za-z-]+:/.test(lines[i]!)) {
    while (i < end && lines[i] !== '') {
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(lines[i]!);
      if (!m) throw new KeyError('malformed PEM header');
      headers.set(m[1]!, m[2]!);
      i++;
    }
  }
  const body = lines.slice(i, end).join('');
  return { label, headers, data: base64Decode(body) };
}

/**
 * Armor `data` under `label`, with base64 lines of `width` characters (OpenSSH uses 70, OpenSSL 64).
 * @example pemEncode('OPENSSH PRIVATE KEY', bytes)
 */
export function pemEncode(label: string, data: Uint8Array, width = 70): string {
  const b64 = base64Encode(data);
  let out = `-----BEGIN ${label}-----\n`;
  for (let i = 0; i < b64.length; i += width) out += b64.slice(i, i + width) + '\n';
  return out + `-----END ${label}-----\n`;
}

/** Lower-case hex of bytes. */
export function toHex(data: Uint8Array, separator = ''): string {
  const parts: string[] = [];
  for (let i = 0; i < data.length; i++) parts.push(data[i]!.toString(16).padStart(2, '0'));
  return parts.join(separator);
}
