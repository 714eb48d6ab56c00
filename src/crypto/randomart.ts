/**
 * OpenSSH's "randomart" picture of a fingerprint (sshkey.c fingerprint_randomart, the
 * "drunken bishop"): a 17×9 field walked two bits at a time over the digest.
 */
const SYMBOLS = ' .o+=*BOX@%&#/^SE';
const WIDTH = 17;
const HEIGHT = 9;

/**
 * The picture for `digest` (raw hash bytes) with the key's title ("ED25519 256") on top and the
 * hash name ("SHA256") below, lines joined by "\n", no final newline.
 * @example randomart(sha256(blob), 'ED25519 256', 'SHA256').split('\n')[0] // '+--[ED25519 256]--+'
 */
export function randomart(digest: Uint8Array, title: string, hashName: string): string {
  const len = SYMBOLS.length - 1;
  const field = Array.from({ length: WIDTH }, () => new Array<number>(HEIGHT).fill(0));
  let x = WIDTH >> 1;
  let y = HEIGHT >> 1;
  for (const byte of digest) {
    let input = byte;
    for (let b = 0; b < 4; b++) {
      x = Math.min(Math.max(x + (input & 1 ? 1 : -1), 0), WIDTH - 1);
      y = Math.min(Math.max(y + (input & 2 ? 1 : -1), 0), HEIGHT - 1);
      if (field[x]![y]! < len - 2) field[x]![y]!++;
      input >>= 2;
    }
  }
  field[WIDTH >> 1]![HEIGHT >> 1] = len - 1;
  field[x]![y] = len;
  const border = (label: string): string => {
    // snprintf into a 17-byte buffer: at most 16 characters
    const t = label.slice(0, WIDTH - 1);
    const left = (WIDTH - t.length) >> 1;
    return '+' + '-'.repeat(left) + t + '-'.repeat(WIDTH - left - t.length) + '+';
  };
  const lines = [border(`[${title}]`)];
  for (let row = 0; row < HEIGHT; row++) {
    let line = '|';
    for (let col = 0; col < WIDTH; col++) line += SYMBOLS[Math.min(field[col]![row]!, len)];
    lines.push(line + '|');
  }
  lines.push(border(`[${hashName}]`));
  return lines.join('\n');
}
