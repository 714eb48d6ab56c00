/**
 * A ByteStream over a WHATWG ReadableStream/WritableStream pair: Deno's `Deno.connect()`
 * connection, Cloudflare Workers' `connect()` socket (cloudflare:sockets), or any duplex
 * byte stream shaped like them.
 */
import { ConnectionLostError } from '../errors.js';
import type { ByteStream } from '../transport/stream.js';

/** The reader of a ReadableStream of bytes (WHATWG Streams §4.3). */
export interface ReadableStreamReaderLike {
  /** The next chunk, or done at the end of the stream. */
  read(): Promise<{ done: boolean; value?: Uint8Array }>;
  /** Stop reading: the source may be released. */
  cancel(reason?: unknown): Promise<void>;
}

/** The writer of a WritableStream of bytes (WHATWG Streams §5.3). */
export interface WritableStreamWriterLike {
  readonly ready: Promise<unknown>;
  readonly desiredSize: number | null;
  /** Queue a chunk; the promise settles when the sink took it. */
  write(chunk: Uint8Array): Promise<void>;
  /** Close the sink once queued chunks are written. */
  close(): Promise<void>;
}

/**
 * A duplex byte stream as a pair of WHATWG streams. `opened` (Workers' sockets) is awaited
 * before use; `close()` (Deno's connections, Workers' sockets) is called on close.
 */
export interface WebStreamPair {
  /** bytes from the peer */
  readonly readable: {
    /** Lock the stream to one reader. */
    getReader(): ReadableStreamReaderLike;
  };
  /** bytes to the peer */
  readonly writable: {
    /** Lock the stream to one writer. */
    getWriter(): WritableStreamWriterLike;
  };
  /** settles once the connection is up (Workers' sockets) */
  readonly opened?: Promise<unknown>;
  /** Close both directions (Deno's connections, Workers' sockets). */
  close?(): unknown;
}

/**
 * Adapt a ReadableStream/WritableStream pair to a {@link ByteStream}; resolves once the pair
 * is open (`opened`, where it has one). A failed read, write or open becomes a
 * ConnectionLostError. Reads are pulled, so the readable stream's own backpressure reaches the
 * peer; write() waits for the writer's `ready` while its queue is full.
 *
 * @example Deno
 * ```ts
 * const stream = await webStreamPair(await Deno.connect({ hostname: 'example.com', port: 22 }));
 * ```
 * @example Cloudflare Workers
 * ```ts
 * import { connect } from 'cloudflare:sockets';
 * const stream = await webStreamPair(connect({ hostname: 'example.com', port: 22 }));
 * ```
 */
export async function webStreamPair(pair: WebStreamPair): Promise<ByteStream> {
  if (pair.opened) {
    try {
      await pair.opened;
    } catch (e) {
      throw new ConnectionLostError(`connection failed: ${(e as Error | undefined)?.message ?? String(e)}`, { cause: e });
    }
  }
  const reader = pair.readable.getReader();
  const writer = pair.writable.getWriter();
  let closed = false;
  let writeFailure: ConnectionLostError | null = null;
  const lost = (what: string, e: unknown): ConnectionLostError =>
    new ConnectionLostError(`${what} failed: ${(e as Error | undefined)?.message ?? String(e)}`, { cause: e });
  const ignore = (): void => {};

  return {
    async read(): Promise<Uint8Array | null> {
      for (;;) {
        let result: { done: boolean; value?: Uint8Array };
        try {
          result = await reader.read();
        } catch (e) {
          if (closed) return null;
          throw lost('read', e);
        }
        if (closed || result.done || !result.value) return null;
        // Some sources hand out empty chunks; the transport takes only bytes.
        if (result.value.byteLength > 0) return result.value;
      }
    },
    write(data: Uint8Array): Promise<void> | void {
      if (writeFailure) throw writeFailure;
      if (closed) throw new ConnectionLostError('stream is closed');
      // Not awaited: writes made back to back queue in the stream; a failure shows in the next write or wait.
      writer.write(data).catch((e: unknown) => {
        writeFailure ??= lost('write', e);
      });
      if (writer.desiredSize !== null && writer.desiredSize <= 0) {
        return writer.ready.then(
          () => {
            if (writeFailure) throw writeFailure;
          },
          (e: unknown) => {
            throw writeFailure ?? lost('write', e);
          },
        );
      }
    },
    close(): void {
      if (closed) return;
      closed = true;
      if (pair.close) {
        try {
          const r = pair.close();
          if (r instanceof Promise) r.catch(ignore);
        } catch {
          /* already closed */
        }
      } else {
        writer.close().catch(ignore);
        reader.cancel().catch(ignore);
      }
    },
  };
}
