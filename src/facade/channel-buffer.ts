/**
 * Read-side bookkeeping for a facade Channel: bytes taken from the core channel but not yet
 * handed to the caller, per stream (stdout, stderr). A core read already in flight is kept
 * (never duplicated), so `read2` can wait on both streams and lose nothing.
 */
import type { SshError } from '../errors.js';
import { concatBytes } from '../wire/writer.js';

export class StreamBuffer {
  private chunks: Uint8Array[] = [];
  private size = 0;
  private pending: Promise<void> | null = null;
  private failure: SshError | null = null;
  /** the core stream reported its end (EOF or close) */
  ended = false;

  constructor(private readonly take: () => Promise<Uint8Array | null>) {}

  get length(): number {
    return this.size;
  }

  get error(): SshError | null {
    return this.failure;
  }

  /** Start (or join) one core read; resolves when it has added data or seen the end. */
  fill(): Promise<void> {
    if (this.ended || this.failure) return Promise.resolve();
    this.pending ??= this.take().then(
      (c) => {
        this.pending = null;
        if (c === null) this.ended = true;
        else if (c.length > 0) {
          this.chunks.push(c);
          this.size += c.length;
        }
      },
      (e: SshError) => {
        this.pending = null;
        this.failure = e;
      },
    );
    return this.pending;
  }

  /** Up to `max` buffered bytes (possibly none). */
  shift(max: number): Uint8Array {
    if (this.size === 0) return new Uint8Array(0);
    const all = this.chunks.length === 1 ? this.chunks[0]! : concatBytes(...this.chunks);
    const out = all.subarray(0, Math.min(max, all.length));
    const rest = all.subarray(out.length);
    this.chunks = rest.length ? [rest] : [];
    this.size = rest.length;
    return out.slice();
  }

  /** The offset just past the first `marker` in the buffered bytes, or -1. */
  find(marker: Uint8Array): number {
    if (marker.length === 0 || this.size < marker.length) return -1;
    if (this.chunks.length > 1) this.chunks = [concatBytes(...this.chunks)];
    const hay = this.chunks[0]!;
    const first = marker[0]!;
    for (let i = hay.indexOf(first); i >= 0 && i + marker.length <= hay.length; i = hay.indexOf(first, i + 1)) {
      let j = 1;
      while (j < marker.length && hay[i + j] === marker[j]) j++;
      if (j === marker.length) return i + marker.length;
    }
    return -1;
  }

  /** Drop what is buffered; returns the count. */
  clear(): number {
    const n = this.size;
    this.chunks = [];
    this.size = 0;
    return n;
  }
}
