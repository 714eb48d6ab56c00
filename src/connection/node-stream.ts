/**
 * Node stream views of a channel (Node-only: imports node:stream; exported from node.ts).
 *
 * `channelDuplex(ch)` is stdin (writable side) and stdout (readable side); `channelStderr(ch)`
 * is the stderr Readable. Backpressure is end to end: the channel is only read when the
 * stream wants more data, so a slow consumer stops re-opening the SSH window and the
 * server stops sending; writes complete only as the peer's window allows.
 *
 * @example
 * ```ts
 * const ch = await client.exec('sort');
 * const { stdio, stderr } = channelStreams(ch);
 * stderr.pipe(process.stderr);
 * await pipeline(createReadStream('in.txt'), stdio, createWriteStream('out.txt'));
 * ```
 */
import { Duplex, Readable, type DuplexOptions, type ReadableOptions } from 'node:stream';
import { SshError } from '../errors.js';
import type { Channel } from './channel.js';

function toBuffer(c: Uint8Array): Buffer {
  return Buffer.from(c.buffer, c.byteOffset, c.byteLength);
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new SshError('SOCKET_DISCONNECT', String(e));
}

/** Pull chunks from `next` while the stream wants them; at most one read in flight. */
class Puller {
  private pulling = false;
  constructor(
    private readonly stream: Readable,
    private readonly next: () => Promise<Uint8Array | null>,
  ) {}

  kick(): void {
    if (this.pulling) return;
    this.pulling = true;
    void this.run();
  }

  private async run(): Promise<void> {
    try {
      for (;;) {
        const c = await this.next();
        if (this.stream.destroyed) return;
        if (c === null) {
          this.stream.push(null);
          return;
        }
        if (!this.stream.push(toBuffer(c))) return;
      }
    } catch (e) {
      this.stream.destroy(asError(e));
    } finally {
      this.pulling = false;
    }
  }
}

/** Options of {@link channelDuplex}: buffering of the Node stream. */
export interface ChannelDuplexOptions extends Pick<DuplexOptions, 'readableHighWaterMark' | 'writableHighWaterMark'> {
  /** close the channel when the stream is destroyed (default true) */
  closeOnDestroy?: boolean;
}

/** A Duplex over the channel's data: writes go to the channel, reads come from stdout. `end()` sends EOF. */
export function channelDuplex(ch: Channel, options: ChannelDuplexOptions = {}): Duplex {
  let puller: Puller;
  const d = new Duplex({
    readableHighWaterMark: options.readableHighWaterMark,
    writableHighWaterMark: options.writableHighWaterMark,
    allowHalfOpen: true,
    read() {
      puller.kick();
    },
    write(chunk: Buffer | string, encoding: BufferEncoding, cb: (err?: Error | null) => void) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
      ch.write(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)).then(
        () => cb(),
        (e: unknown) => cb(asError(e)),
      );
    },
    final(cb: (err?: Error | null) => void) {
      ch.eof().then(
        () => cb(),
        (e: unknown) => cb(asError(e)),
      );
    },
    destroy(err: Error | null, cb: (err: Error | null) => void) {
      if (options.closeOnDestroy !== false) void ch.close().catch(() => {});
      cb(err);
    },
  });
  puller = new Puller(d, () => ch.read());
  return d;
}

/** A Readable over the channel's stderr (extended data type 1). */
export function channelStderr(ch: Channel, options: Pick<ReadableOptions, 'highWaterMark'> = {}): Readable {
  let puller: Puller;
  const r = new Readable({
    highWaterMark: options.highWaterMark,
    read() {
      puller.kick();
    },
  });
  puller = new Puller(r, () => ch.readStderr());
  return r;
}

/** Both views at once. */
export function channelStreams(ch: Channel, options: ChannelDuplexOptions = {}): { stdio: Duplex; stderr: Readable } {
  return { stdio: channelDuplex(ch, options), stderr: channelStderr(ch) };
}
