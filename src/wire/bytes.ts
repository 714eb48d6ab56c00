/**
 * Byte helpers every layer uses: big-endian uint32 (RFC 4251 §5 `uint32`), Latin-1 text
 * (one char per byte) and a constant-time comparison.
 */

/** Big-endian uint32 at b[i..i+4]. */
export function readBE32(b: Uint8Array, i: number): number {
  return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
}

/** Store `v` big-endian at b[i..i+4]. */
export function writeBE32(b: Uint8Array, i: number, v: number): void {
  b[i] = v >>> 24;
  b[i + 1] = v >>> 16;
  b[i + 2] = v >>> 8;
  b[i + 3] = v;
}

/** Bytes as a string of one char per byte (U+0000..U+00FF), never failing on non-UTF-8 data. */
export function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 0x2000) s += String.fromCharCode(...b.subarray(i, i + 0x2000));
  return s;
}

/** The inverse of {@link latin1}: each char's low 8 bits as one byte. */
export function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/**
 * Byte-string equality whose time depends only on the lengths, never on where the first
 * differing byte is: for MAC and AEAD tags, hashes and key material (the length is not secret).
 */
export function equalConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
