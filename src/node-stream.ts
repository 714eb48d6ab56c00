/**
 * ByteStream adapters for Node (Node-only: imports node:net).
 */
import * as net from 'node:net';
import { ConnectionLostError, SshError, TimeoutError } from './errors.js';
import type { ByteStream } from './transport/stream.js';
import { freeWholeBuffer } from './wire/free.js';

/**
 * Bytes per receive slab: consecutive socket reads land back to back in one of these. Up to
 * FREE_SLABS + 1 stay allocated per socket, so they are kept small: 1 MiB slabs cost a
 * 512 MiB download ~2 MiB more peak RSS than these, at the same CPU time.
 */
const SLAB_BYTES = 256 * 1024;
/** A slab with less room than this left is retired and the next read starts a new one. */
const MIN_READ = 64 * 1024;
/** Received bytes buffered (not yet taken by the transport) before the socket is paused. */
const READ_HIGH_WATER = 4 * 1024 * 1024;
/** Socket write buffer before write() reports backpressure (Node's default is 16 KiB). */
const WRITE_HIGH_WATER = 1024 * 1024;

interface SlabSink {
  data(chunk: Uint8Array): boolean;
}

/** One receive slab: bytes read into it so far, bytes the reader has released, whether reads moved on. */
interface Slab {
  readonly bytes: Uint8Array;
  filled: number;
  released: number;
  retired: boolean;
}

/** Per socket made by connectTcp: where its reads go, and its slabs. */
interface SlabState {
  sink: SlabSink | null;
  early: Uint8Array[];
  slabs: WeakMap<ArrayBufferLike, Slab>;
  free: Uint8Array[];
}

/** Sockets made by connectTcp read into slabs; the sink is attached by socketStream. */
const slabStates = new WeakMap<net.Socket, SlabState>();
/** Fully released slabs kept for reuse, per socket. */
const FREE_SLABS = 4;

function recycle(state: SlabState, slab: Slab): void {
  // Every byte read into the slab came back through release(): nothing references it.
  if (slab.retired && slab.released === slab.filled && state.free.length < FREE_SLABS) {
    state.slabs.delete(slab.bytes.buffer);
    state.free.push(slab.bytes);
  }
}

/**
 * Read options for net.connect that receive into 256 KiB slabs instead of a fresh 64 KiB
 * Buffer per read: fewer allocations (less GC), reads as large as the kernel has ready,
 * and consecutive reads adjacent in memory, so the packet decoder can take a packet that
 * spans two reads as one view without copying it. Slabs whose bytes were all released
 * (the decoder copied or decrypted them out) are reused.
 */
function slabReader(state: SlabState): net.OnReadOpts {
  const newSlab = (): Slab => {
    const slab: Slab = { bytes: state.free.pop() ?? new Uint8Array(SLAB_BYTES), filled: 0, released: 0, retired: false };
    state.slabs.set(slab.bytes.buffer, slab);
    return slab;
  };
  let slab = newSlab();
  return {
    buffer: () => {
      if (SLAB_BYTES - slab.filled < MIN_READ) {
        slab.retired = true;
        recycle(state, slab);
        slab = newSlab();
      }
      return slab.bytes.subarray(slab.filled);
    },
    callback: (n: number, buf: Uint8Array): boolean => {
      const chunk = buf.subarray(0, n);
      slab.filled += n;
      if (!state.sink) {
        state.early.push(chunk);
        return true;
      }
      return state.sink.data(chunk);
    },
  };
}

/** Join chunks that sit back to back in one ArrayBuffer (slab reads) into one view. */
function adjacent(a: Uint8Array, b: Uint8Array): boolean {
  return a.buffer === b.buffer && a.byteOffset + a.byteLength === b.byteOffset;
}

/**
 * Adapt a connected socket. Reads are pulled (the socket is paused while more than a few
 * MiB wait unread), writes made in one tick are corked into one writev, and writes resolve
 * when the kernel buffer drains, so backpressure reaches the channel layer.
 */
export function socketStream(socket: net.Socket): ByteStream {
  const chunks: Uint8Array[] = [];
  let queued = 0;
  let ended = false;
  let failure: Error | null = null;
  /** read()'s promise while it waits for data (resolved directly: no closure per wait). */
  let waiting: (() => void) | null = null;
  const wake = (): void => {
    const resolve = waiting;
    waiting = null;
    resolve?.();
  };
  let paused = false;
  socket.setNoDelay(true);
  const onData = (d: Uint8Array): boolean => {
    const last = chunks[chunks.length - 1];
    // Slab reads that follow each other in memory become one chunk: one decoder push.
    if (last && adjacent(last, d)) chunks[chunks.length - 1] = new Uint8Array(d.buffer, last.byteOffset, last.byteLength + d.byteLength);
    else chunks.push(d);
    queued += d.byteLength;
    wake();
    if (queued > READ_HIGH_WATER) {
      paused = true;
      return false;
    }
    return true;
  };
  const slabs = slabStates.get(socket);
  if (slabs) {
    slabs.sink = { data: onData };
    for (const c of slabs.early.splice(0)) onData(c);
  } else {
    socket.on('data', (d: Buffer) => {
      if (!onData(new Uint8Array(d.buffer, d.byteOffset, d.byteLength))) socket.pause();
    });
  }
  socket.on('end', () => {
    ended = true;
    wake();
  });
  socket.on('close', () => {
    ended = true;
    wake();
  });
  socket.on('error', (e) => {
    failure = e;
    wake();
  });
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  return {
    async read(): Promise<Uint8Array | null> {
      for (;;) {
        const c = chunks.shift();
        if (c) {
          queued -= c.byteLength;
          if (paused && queued < READ_HIGH_WATER / 4) {
            paused = false;
            socket.resume();
          }
          return c;
        }
        if (failure) throw new ConnectionLostError(`socket error: ${failure.message}`, { cause: failure });
        if (ended) return null;
        await new Promise<void>((resolve) => {
          waiting = resolve;
        });
      }
    },
    write(data: Uint8Array, owned?: boolean): Promise<void> | void {
      if (socket.destroyed) throw new ConnectionLostError('socket is closed');
      // Everything written until the current tick's microtasks have run goes out in one writev.
      if (!corked) {
        corked = true;
        socket.cork();
        process.nextTick(uncork);
      }
      // Backpressure at our own mark, not the socket's: an accepted socket's is 16 KiB, which
      // would stop the sender at every 32 KiB packet until the kernel took it all.
      // Node calls back once the bytes are in the kernel (or the write failed): then nobody needs them.
      if (owned) socket.write(data, () => freeWholeBuffer(data));
      else socket.write(data);
      if (socket.writableLength < WRITE_HIGH_WATER) return;
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
    release(chunk: Uint8Array): void {
      if (!slabs) return;
      const slab = slabs.slabs.get(chunk.buffer);
      if (!slab) return;
      slab.released += chunk.byteLength;
      recycle(slabs, slab);
    },
    close(): void {
      socket.end();
      socket.destroySoon();
      setTimeout(() => socket.destroy(), 1000).unref();
    },
  };
}

/** Open a TCP connection with a timeout; errors are SshErrors that say what failed. */
export function connectTcp(host: string, port: number, timeoutMs?: number, signal?: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const state: SlabState = { sink: null, early: [], slabs: new WeakMap(), free: [] };
    const socket = net.connect({ host, port, onread: slabReader(state), writableHighWaterMark: WRITE_HIGH_WATER } as net.NetConnectOpts);
    slabStates.set(socket, state);
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
