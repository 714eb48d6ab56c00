/**
 * The read side shared by the stream adapters: bytes pushed by a callback-style source
 * (WebSocket messages, Bun socket data) wait here until the transport's read() takes them.
 */
import { ConnectionLostError, SshError } from '../errors.js';

export class ChunkQueue {
  private readonly chunks: Uint8Array[] = [];
  private queuedBytes = 0;
  private ended = false;
  private failure: SshError | null = null;
  private wake: (() => void) | null = null;

  /** Bytes pushed and not yet read: an adapter that can pause its source compares this to its high water mark. */
  get queued(): number {
    return this.queuedBytes;
  }

  /** True once the source ended or failed: nothing more will be pushed. */
  get done(): boolean {
    return this.ended || this.failure !== null;
  }

  push(chunk: Uint8Array): void {
    if (this.done || chunk.byteLength === 0) return;
    this.chunks.push(chunk);
    this.queuedBytes += chunk.byteLength;
    this.notify();
  }

  /** The source ended cleanly: read() returns null once the queued bytes are taken. */
  end(): void {
    this.ended = true;
    this.notify();
  }

  /** The source failed: read() rejects with `error` once the queued bytes are taken. The first failure wins. */
  fail(error: unknown): void {
    if (this.done) return;
    this.failure =
      error instanceof SshError ? error : new ConnectionLostError(`stream error: ${(error as Error | undefined)?.message ?? String(error)}`, { cause: error });
    this.notify();
  }

  async read(): Promise<Uint8Array | null> {
    for (;;) {
      const c = this.chunks.shift();
      if (c) {
        this.queuedBytes -= c.byteLength;
        return c;
      }
      if (this.failure) throw this.failure;
      if (this.ended) return null;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
}
