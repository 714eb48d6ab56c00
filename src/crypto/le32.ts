/** Little-endian 32-bit words in byte arrays (Poly1305 reads and writes its numbers this way, RFC 8439 §2.5). */

/** The unsigned little-endian word at b[o..o+4]. */
export function readLE32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/** Write w mod 2^32 little-endian at b[o..o+4]. */
export function writeLE32(b: Uint8Array, o: number, w: number): void {
  b[o] = w;
  b[o + 1] = w >>> 8;
  b[o + 2] = w >>> 16;
  b[o + 3] = w >>> 24;
}
