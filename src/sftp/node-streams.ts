/**
 * Node streams over remote files (Node-only: imports node:stream). Reads are pipelined
 * (ordered chunks, many requests in flight); writes are acknowledged in the background
 * with at most `concurrency` in flight, and the stream finishes only once all are.
 */
import { Readable, Writable } from 'node:stream';
import type { SftpClient, OpenFlags } from './client.js';
import type { SftpFile } from './file.js';
import type { SftpPath } from './names.js';
import { requestsInFlight } from './pipeline.js';

/** Options of `sftpReadStream`. */
export interface SftpReadStreamOptions {
  /** first byte (default 0) */
  start?: number;
  /** one past the last byte (default: end of file) */
  end?: number;
  concurrency?: number;
  highWaterMark?: number;
}

/** A Node Readable over a remote file (exported as `sftpReadStream`). */
export function createReadStream(sftp: SftpClient, path: SftpPath, options: SftpReadStreamOptions = {}): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    const file = await sftp.open(path, 'r');
    try {
      for await (const c of file.chunks(options.start ?? 0, options.end, { concurrency: options.concurrency })) {
        yield Buffer.from(c.buffer, c.byteOffset, c.byteLength);
      }
    } finally {
      await file.close().catch(() => {});
    }
  }
  return Readable.from(chunks(), { objectMode: false, highWaterMark: options.highWaterMark ?? 1024 * 1024 });
}

/** Options of `sftpWriteStream`. */
export interface SftpWriteStreamOptions {
  /** open mode (default 'w') */
  flags?: OpenFlags;
  /** permissions for a new file */
  mode?: number;
  /** offset of the first byte (default 0) */
  start?: number;
  concurrency?: number;
}

/** A Node Writable over a remote file (exported as `sftpWriteStream`). */
export function createWriteStream(sftp: SftpClient, path: SftpPath, options: SftpWriteStreamOptions = {}): Writable {
  const max = sftp.limits.maxWriteLength;
  const concurrency = requestsInFlight(max, options.concurrency);
  let file: SftpFile | null = null;
  let pos = options.start ?? 0;
  const inflight: Promise<void>[] = [];
  let failure: Error | null = null;

  const send = async (data: Uint8Array): Promise<void> => {
    for (let off = 0; off < data.length; off += max) {
      if (failure) throw failure;
      if (inflight.length >= concurrency) await inflight.shift();
      const piece = data.subarray(off, off + max);
      const p = file!.writeChunk(piece, pos).catch((e: Error) => {
        failure ??= e;
        throw e;
      });
      p.catch(() => {});
      inflight.push(p);
      pos += piece.length;
    }
  };

  return new Writable({
    highWaterMark: 1024 * 1024,
    construct(cb) {
      sftp.open(path, options.flags ?? 'w', options.mode !== undefined ? { permissions: options.mode } : {}).then(
        (f) => {
          file = f;
          cb();
        },
        (e: Error) => cb(e),
      );
    },
    write(chunk: Buffer, _enc, cb) {
      send(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)).then(
        () => cb(),
        (e: Error) => cb(e),
      );
    },
    final(cb) {
      Promise.all(inflight.splice(0))
        .then(() => file!.close())
        .then(
          () => cb(),
          (e: Error) => cb(e),
        );
    },
    destroy(err, cb) {
      void Promise.allSettled(inflight.splice(0))
        .then(() => file?.close())
        .catch(() => {})
        .then(() => cb(err));
    },
  });
}
