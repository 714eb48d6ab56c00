/**
 * ByteStream adapters for Node (Node-only: imports node:net).
 */
import * as net from 'node:net';
import { ConnectionLostError, SshError, TimeoutError } from './errors.js';
import type { ByteStream } from './transport/stream.js';

/**
 * Adapt a connected socket. Reads are pulled (the socket is paused while nobody reads),
 * writes resolve when the kernel buffer drains, so backpressure reaches the channel layer.
 */
export function socketStream(socket: net.Socket): ByteStream {
  const chunks: Uint8Array[] = [];
  let ended = false;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  socket.setNoDelay(true);
  socket.on('data', (d: Buffer) => {
    chunks.push(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    if (chunks.length > 64) socket.pause();
    wake?.();
  });
  socket.on('end', () => {
    ended = true;
    wake?.();
  });
  socket.on('close', () => {
    ended = true;
    wake?.();
  });
  socket.on('error', (e) => {
    failure = e;
    wake?.();
  });
  return {
    async read(): Promise<Uint8Array | null> {
      for (;;) {
        const c = chunks.shift();
        if (c) {
          if (chunks.length < 16 && socket.isPaused()) socket.resume();
          return c;
        }
        if (failure) throw new ConnectionLostError(`socket error: ${(failure as Error).message}`, { cause: failure });
        if (ended) return null;
        await new Promise<void>((resolve) => {
          wake = () => {
            wake = null;
            resolve();
          };
        });
      }
    },
    write(data: Uint8Array): Promise<void> | void {
      if (socket.destroyed) throw new ConnectionLostError('socket is closed');
      if (socket.write(data)) return;
      return new Promise<void>((resolve, reject) => {
        const onDrain = () => {
          socket.off('close', onClose);
          resolve();
        };
        const onClose = () => {
          socket.off('drain', onDrain);
          reject(new ConnectionLostError('socket closed while writing'));
        };
        socket.once('drain', onDrain);
        socket.once('close', onClose);
      });
    },
    close(): void {
      socket.end();
      socket.destroySoon?.();
      setTimeout(() => socket.destroy(), 1000).unref();
    },
  };
}

/** Open a TCP connection with a timeout; errors are SshErrors that say what failed. */
export function connectTcp(host: string, port: number, timeoutMs?: number, signal?: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const cleanup = () => {
      if (timer) clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    const onConnect = () => {
      cleanup();
      resolve(socket);
    };
    const onError = (e: NodeJS.ErrnoException) => {
      cleanup();
      socket.destroy();
      const reason = e.code === 'ECONNREFUSED' ? 'Connection refused' : e.code === 'EHOSTUNREACH' ? 'No route to host' : e.message;
      reject(new SshError('SOCKET_NONE', `connect to host ${host} port ${port}: ${reason}`, { cause: e }));
    };
    const onAbort = () => {
      cleanup();
      socket.destroy();
      reject(new SshError('SOCKET_NONE', `connect to host ${host} port ${port}: aborted`));
    };
    if (timeoutMs !== undefined && timeoutMs > 0) {
      timer = setTimeout(() => {
        cleanup();
        socket.destroy();
        reject(new TimeoutError(`connect to host ${host} port ${port}: Connection timed out`));
      }, timeoutMs);
    }
    socket.once('connect', onConnect);
    socket.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
