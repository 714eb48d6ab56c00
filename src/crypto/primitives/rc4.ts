/**
 * RC4 (ARCFOUR), the stream cipher of SSH's `arcfour` (RFC 4253 §6.3) and `arcfour128` /
 * `arcfour256` (RFC 4345, which discard the first 1536 keystream bytes). Broken: kept only
 * for old servers. Checked against the keystreams of RFC 6229.
 *
 * Key scheduling (KSA) permutes S = 0..255 by the cycled key; each output byte then comes
 * from the generator (PRGA): i += 1; j += S[i]; swap S[i], S[j]; out = S[S[i] + S[j]].
 * Indexes depend on the key: not constant-time.
 *
 * @example
 * ```ts
 * const rc4 = new Rc4(key32);
 * rc4.skip(1536);      // RFC 4345 §4
 * rc4.process(data);   // XOR the keystream into data, in place
 * ```
 */
import { SshError } from '../../errors.js';

export class Rc4 {
  private readonly s = new Uint8Array(256);
  private i = 0;
  private j = 0;

  /** `key`: 1..256 bytes. */
  constructor(key: Uint8Array) {
    if (!(key instanceof Uint8Array) || key.length < 1 || key.length > 256) {
      throw new SshError('INVAL', 'RC4 key: expected 1 to 256 bytes');
    }
    const s = this.s;
    for (let n = 0; n < 256; n++) s[n] = n;
    for (let n = 0, j = 0; n < 256; n++) {
      const t = s[n]!;
      j = (j + t + key[n % key.length]!) & 0xff;
      s[n] = s[j]!;
      s[j] = t;
    }
  }

  /** XOR the next `data.length` keystream bytes into `data`, in place. */
  process(data: Uint8Array): void {
    const s = this.s;
    let i = this.i;
    let j = this.j;
    for (let n = 0; n < data.length; n++) {
      i = (i + 1) & 0xff;
      const si = s[i]!;
      j = (j + si) & 0xff;
      const sj = s[j]!;
      s[i] = sj;
      s[j] = si;
      data[n] = data[n]! ^ s[(si + sj) & 0xff]!;
    }
    this.i = i;
    this.j = j;
  }

  /** Discard `n` keystream bytes. */
  skip(n: number): void {
    if (!Number.isInteger(n) || n < 0) throw new SshError('INVAL', 'RC4 skip: expected a non-negative integer');
    const scratch = new Uint8Array(Math.min(n, 4096));
    for (let left = n; left > 0; left -= scratch.length) this.process(left >= scratch.length ? scratch : scratch.subarray(0, left));
    scratch.fill(0);
  }

  /** Zero the state; unusable afterwards. */
  dispose(): void {
    this.s.fill(0);
    this.i = 0;
    this.j = 0;
  }
}
