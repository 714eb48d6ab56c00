/**
 * A ByteStream over a Bun TCP socket (`Bun.connect`), whose API is callbacks, not streams.
 * Bun also runs the Node entry (`connect` over node:net); this serves the universal core.
 */
import { ConnectionLostError, SshError } from '../errors.js';
import type { ByteStream } from '../transport/stream.js';
import { ChunkQueue } from './chunk-queue.js';

/** The part of a Bun TCP socket the adapter uses. */
export interface BunSocketLike {
  /** Bytes taken by the kernel now (the rest is for a later drain), or -1 once closed. */
  write(data: Uint8Array): number;
  /** Close the socket once written bytes are sent. */
  end(): void;
}

/** The socket handlers `Bun.connect({ socket })` takes. */
export interface BunSocketHandlers {
  /** Bytes arrived. */
  data(socket: BunSocketLike, data: Uint8Array): void;
  /** The socket can take more bytes. */
  drain(socket: BunSocketLike): void;
  /** The peer ended its side. */
  end(socket: BunSocketLike): void;
  /** The socket closed, with the error that closed it if any. */
  close(socket: BunSocketLike, error?: Error): void;
  /** The socket failed. */
  error(socket: BunSocketLike, error: Error): void;
  /** The connection could not be made (Bun.connect's promise rejects too). */
  connectError(socket: BunSocketLike, error: Error): void;
}

/** `Bun.connect`, as much of it as the adapter calls. */
export type BunConnect = (options: { hostname: string; port: number; socket: BunSocketHandlers }) => Promise<BunSocketLike>;

/**
 * Open a TCP connection with Bun's `Bun.connect` and adapt it to a {@link ByteStream}.
 * `bunConnect` defaults to the global `Bun.connect`. Bun's socket.write() may take only part
 * of the bytes; the rest waits for the drain callback and write() waits with it.
 *
 * @example
 * ```ts
 * const stream = await bunSocketStream({ hostname: 'example.com', port: 22 });
 * ```
 */
export async function bunSocketStream(target: { hostname: string; port: number }, bunConnect?: BunConnect): Promise<ByteStream> {
  const connect = bunConnect ?? (globalThis as { Bun?: { connect: BunConnect } }).Bun?.connect;
  if (!connect) throw new SshError('SOCKET_NONE', 'bunSocketStream needs Bun (no global Bun.connect)');
  const queue = new ChunkQueue();
  let pending: Uint8Array[] = [];
  let drained: { resolve: () => void; reject: (e: Error) => void } | null = null;
  let closed = false;

  const flush = (socket: BunSocketLike): void => {
    while (pending.length > 0) {
      const head = pending[0]!;
      const n = socket.write(head);
      if (n < 0) return fail(new ConnectionLostError('socket closed while writing'));
      if (n < head.byteLength) {
        pending[0] = head.subarray(n);
        return;
      }
      pending.shift();
    }
    const d = drained;
    drained = null;
    d?.resolve();
  };
  const fail = (e: Error): void => {
    closed = true;
    pending = [];
    queue.fail(e);
    const d = drained;
    drained = null;
    d?.reject(e);
  };

  let socket: BunSocketLike;
  try {
    socket = await connect.call((globalThis as { Bun?: unknown }).Bun, {
      hostname: target.hostname,
      port: target.port,
      socket: {
        // Bun may reuse the buffer it passes after the callback returns: keep a copy.
        data: (_s, data) => queue.push(data.slice()),
        drain: (s) => flush(s),
        end: () => queue.end(),
        close: (_s, error) => (error ? fail(new ConnectionLostError(`socket error: ${error.message}`, { cause: error })) : queue.end()),
        error: (_s, error) => fail(new ConnectionLostError(`socket error: ${error.message}`, { cause: error })),
        connectError: () => {},
      },
    });
  } catch (e) {
    throw new SshError('SOCKET_NONE', `connect to host ${target.hostname} port ${target.port}: ${(e as Error | undefined)?.message ?? String(e)}`, {
      cause: e,
    });
  }

  return {
    read: () => queue.read(),
    write(data: Uint8Array): Promise<void> | void {
      if (closed) throw new ConnectionLostError('socket is closed');
      if (pending.length > 0) pending.push(data);
      else {
        const n = socket.write(data);
        if (n < 0) throw new ConnectionLostError('socket is closed');
        if (n === data.byteLength) return;
        pending.push(data.subarray(n));
      }
      return new Promise<void>((resolve, reject) => {
        const previous = drained;
        drained = {
          resolve: () => {
            previous?.resolve();
            resolve();
          },
          reject: (e) => {
            previous?.reject(e);
            reject(e);
          },
        };
      });
    },
    close(): void {
      if (closed) return;
      closed = true;
      queue.end();
      socket.end();
    },
  };
}
