/**
 * An open remote file (a handle from SSH_FXP_OPEN). Positional reads and writes with
 * 64-bit offsets, a sequential position with seek/tell, fstat/fsetstat, and OpenSSH's
 * fsync, fstatvfs and copy-data extensions. Large reads and writes are split into
 * requests of the server's maximum size and pipelined.
 */
import { concatBytes } from '../wire/writer.js';
import { SshError } from '../errors.js';
import { writeAttrs, type SftpAttrs } from './attrs.js';
import { EXT, FXP, FX } from './constants.js';
import { expectType } from './engine.js';
import type { SftpClient } from './client.js';
import type { SftpPath } from './names.js';
import { decodeStatVfs, type SftpStatVfs } from './packets.js';
import { readRange, writeChunks } from './pipeline.js';
import type { LocalFile } from './local.js';
import { uploadFrom, type UploadOptions } from './upload.js';

/** Offsets are uint64 on the wire; JS numbers are exact up to 2^53. */
function offset(v: number | bigint, what = 'offset'): bigint {
  const b = BigInt(v);
  if (b < 0n || b > 0xffffffffffffffffn) throw new SshError('INVAL', `${what} ${v} is outside 0..2^64-1`);
  return b;
}

/** An open file handle with a position, like a file descriptor. */
export class SftpFile {
  /** the position used by read()/write() without an explicit offset */
  position = 0;
  private closed = false;

  constructor(
    private readonly client: SftpClient,
    /** the server's opaque handle */
    readonly handle: Uint8Array,
    /** the path it was opened with */
    readonly path: SftpPath,
  ) {}

  /**
   * One SSH_FXP_READ of up to `length` bytes at `at` (no position change). Resolves with
   * the data (possibly shorter), or null at end of file.
   */
  async readChunk(length: number, at: number | bigint): Promise<Uint8Array | null> {
    const parts = await this.readParts(length, at);
    if (parts === null) return null;
    return parts.length === 1 ? parts[0]! : concatBytes(...parts);
  }

  /**
   * readChunk without joining: the data as the views it arrived in (one, or several when
   * the reply spanned channel packets), or null at end of file.
   */
  async readParts(length: number, at: number | bigint): Promise<Uint8Array[] | null> {
    const ctx = { request: 'READ', path: this.path };
    const r = await this.client.engine.send(FXP.READ, 32, (w) => w.string(this.handle).u64(offset(at)).u32(length), ctx);
    if (r.type === FXP.STATUS && r.code === FX.EOF) return null;
    return expectType(r, FXP.DATA, ctx).chunks;
  }

  /** READs for the pipeline that keep each reply's pieces (joined once, by whoever needs them joined). */
  private readonly pieces = { readChunk: (length: number, at: number) => this.readParts(length, at) };

  /** One SSH_FXP_WRITE of `data` at `at` (the caller keeps data within the server's limit). */
  writeChunk(data: Uint8Array, at: number | bigint): Promise<void> {
    return this.client.engine.status(FXP.WRITE, data.length + 32, (w) => w.string(this.handle).u64(offset(at)).string(data), {
      request: 'WRITE',
      path: this.path,
    });
  }

  /**
   * Read up to `length` bytes at `position` (default: the current position, which then
   * advances). Pipelines requests of the server's maximum read size; short only at EOF;
   * null if already at EOF.
   */
  async read(length: number, position?: number): Promise<Uint8Array | null> {
    const at = position ?? this.position;
    const parts: Uint8Array[] = [];
    let n = 0;
    for await (const chunk of readRange(this.pieces, at, at + length, { chunkSize: this.client.limits.maxReadLength })) {
      parts.push(chunk);
      n += chunk.length;
    }
    if (position === undefined) this.position += n;
    if (n === 0 && length > 0) return null;
    // A copy that lets the packet go (a Node Buffer's slice() would be a view of it).
    if (parts.length === 1) return new Uint8Array(parts[0]!);
    return concatBytes(...parts);
  }

  /** The whole rest of the file from `position` (default 0). */
  async readAll(position = 0): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for await (const chunk of readRange(this.pieces, position, undefined, { chunkSize: this.client.limits.maxReadLength })) parts.push(chunk);
    return concatBytes(...parts);
  }

  /** Ordered chunks from `start` to `end` (or EOF), with many reads in flight. */
  chunks(start = 0, end?: number, options: { concurrency?: number; chunkSize?: number } = {}): AsyncGenerator<Uint8Array> {
    return readRange(this.pieces, start, end, { chunkSize: options.chunkSize ?? this.client.limits.maxReadLength, concurrency: options.concurrency });
  }

  /** Write all of `data` at `position` (default: the current position, which then advances). */
  async write(data: Uint8Array, position?: number): Promise<void> {
    const at = position ?? this.position;
    await writeChunks(this, single(data), at, { chunkSize: this.client.limits.maxWriteLength });
    if (position === undefined) this.position += data.length;
  }

  /** Write a stream of chunks starting at `position`; resolves with the bytes written. */
  writeFrom(
    source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    position = 0,
    options: { concurrency?: number; onProgress?: (bytes: number) => void } = {},
  ): Promise<number> {
    return writeChunks(this, source, position, { chunkSize: this.client.limits.maxWriteLength, ...options });
  }

  /**
   * Upload bytes [start, end) of the local file `input` to the same offsets here: WRITE
   * requests built in place (the file is read straight into each request's packet), reads
   * ahead of the network, many requests in flight. Resolves with the bytes acknowledged
   * (fewer if the local file ends early).
   */
  writeFromFile(input: LocalFile, start: number, end: number, options: Partial<UploadOptions> = {}): Promise<number> {
    const chunkSize = Math.min(options.chunkSize ?? Infinity, this.client.limits.maxWriteLength);
    return uploadFrom({ engine: this.client.engine, handle: this.handle, path: this.path }, input, start, end, { ...options, chunkSize });
  }

  /** Move the position used by read and write. */
  seek(position: number): void {
    if (!Number.isSafeInteger(position) || position < 0) throw new SshError('INVAL', `bad file position ${position}`);
    this.position = position;
  }

  /** The current position. */
  tell(): number {
    return this.position;
  }

  /** FSTAT. */
  async stat(): Promise<SftpAttrs> {
    const ctx = { request: 'FSTAT', path: this.path };
    const r = await this.client.engine.send(FXP.FSTAT, 32, (w) => w.string(this.handle), ctx);
    return expectType(r, FXP.ATTRS, ctx).attrs;
  }

  /** FSETSTAT. */
  setstat(attrs: SftpAttrs): Promise<void> {
    return this.client.engine.status(FXP.FSETSTAT, 64, (w) => writeAttrs(w.string(this.handle), attrs), { request: 'FSETSTAT', path: this.path });
  }

  /** Set the size (FSETSTAT). */
  truncate(size: number): Promise<void> {
    return this.setstat({ size });
  }

  /** Flush to stable storage (fsync@openssh.com). */
  async sync(): Promise<void> {
    this.client.need(EXT.FSYNC, 'FSYNC', this.path);
    await this.client.extended(EXT.FSYNC, (w) => w.string(this.handle), { path: this.path });
  }

  /** fstatvfs@openssh.com (OpenSSH PROTOCOL §4.4). */
  async statvfs(): Promise<SftpStatVfs> {
    this.client.need(EXT.FSTATVFS, 'FSTATVFS', this.path);
    return decodeStatVfs(await this.client.extended(EXT.FSTATVFS, (w) => w.string(this.handle), { path: this.path }));
  }

  /**
   * Server-side copy (copy-data, PROTOCOL §4.10): `length` bytes (0 = to EOF) from this file
   * at `from` into `dest` at `to`, without the data crossing the network.
   */
  async copyTo(dest: SftpFile, from = 0, length = 0, to = 0): Promise<void> {
    this.client.need(EXT.COPY_DATA, 'COPY-DATA', this.path);
    await this.client.extended(
      EXT.COPY_DATA,
      (w) => w.string(this.handle).u64(offset(from)).u64(offset(length, 'length')).string(dest.handle).u64(offset(to)),
      { path: this.path },
    );
  }

  /** SSH_FXP_CLOSE. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.engine.status(FXP.CLOSE, 32, (w) => w.string(this.handle), { request: 'CLOSE', path: this.path });
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

function* single(data: Uint8Array): Generator<Uint8Array> {
  yield data;
}
