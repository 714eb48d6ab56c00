/**
 * Read-side bookkeeping for a facade Channel: bytes taken from the core channel but not yet
 * handed to the caller, per stream (stdout, stderr). A core read already in flight is kept
 * (never duplicated), so `read2` can wait on both streams and lose nothing.
 */
import type { SshError } from '../errors.js';
import { concatBytes } from './state.js';

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
    const all = this.chunks.length === 1 ? this.chunks[0]! : concatBytes(this.chunks);
    const out = all.subarray(0, Math.min(max, all.length));
    const rest = all.subarray(out.length);
    this.chunks = rest.length ? [rest] : [];
    this.size = rest.length;
    return out.slice();
  }

  /** Drop what is buffered; returns the count. */
  clear(): number {
    const n = this.size;
    this.chunks = [];
    this.size = 0;
    return n;
  }
}
