/**
 * A session process's output read into a buffer of ours (Node-only: node:net, node:fs).
 *
 * Node reads a child's stdout pipe into a new 64 KiB Buffer per read. For a bulk producer
 * (`cat file`, `head -c 1G /dev/zero`) that is an allocation, a copy and garbage per read,
 * and reads whose size has nothing to do with SSH packets (a 64 KiB read is two 32 KiB
 * packets and a 128-byte one). net's `onread` option reads into a buffer the caller gives,
 * reused read after read, but it exists only for sockets net makes itself. So the child's
 * stdout is one end of a Unix stream socket pair that we connect ourselves: the same kind
 * of descriptor Node's own stdio 'pipe' gives a child (a socketpair). The pair is made
 * through a listening socket in a fresh 0700 directory, removed as soon as the two ends are
 * connected, so no other user can connect to it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Takes each read. The chunk is valid until the call returns, or until the promise it
 * returns settles: reading waits for that promise; a rejected one stops reading.
 */
export type OutputSink = (chunk: Uint8Array) => Promise<void> | undefined;

/** The two ends: `writer` for the child's stdio, `reader` ours. */
export interface OutputSocket {
  /** the child's end: pass it in spawn's stdio, then close our copy with `writer.destroy()` */
  readonly writer: net.Socket;
  /** our end; nothing is read until {@link OutputSocket.read} */
  readonly reader: net.Socket;
  /** Pass every read to `sink` until the output ends or fails (then resolves). Call once. */
  read(sink: OutputSink): Promise<void>;
}

/** A connected pair whose reader reads into one buffer of `readSize` bytes, reused. */
export async function outputSocket(readSize: number): Promise<OutputSocket> {
  const buffer = new Uint8Array(readSize);
  let sink: OutputSink | null = null;
  const dir = await mkdtemp(join(tmpdir(), 'puressh-output-'));
  const server = net.createServer({ pauseOnConnect: true });
  try {
    const path = join(dir, 'stdout');
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const reader = net.connect({
      path,
      onread: {
        buffer,
        callback: (n: number, buf: Uint8Array): boolean => {
          const pending = sink!(buf.subarray(0, n));
          if (!pending) return true;
          // Paused until the sink is done with the buffer that the next read would overwrite.
          pending.then(
            () => void reader.resume(),
            () => reader.destroy(),
          );
          return false;
        },
      },
    });
    // Nothing is read before a sink is attached.
    reader.pause();
    await new Promise<void>((resolve, reject) => {
      reader.once('connect', resolve);
      reader.once('error', (e) => {
        reader.destroy();
        reject(e);
      });
    });
    const writer = await accepted;
    return {
      writer,
      reader,
      read: (s) => {
        sink = s;
        const ended = new Promise<void>((resolve) => {
          reader.once('end', resolve);
          reader.once('close', resolve);
          reader.once('error', () => resolve());
        });
        reader.resume();
        return ended;
      },
    };
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
}
