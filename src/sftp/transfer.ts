/**
 * Fast whole-file transfers (get/put) with many requests in flight, sized from the
 * server's limits@openssh.com. A transfer writes to a temporary name and renames it into
 * place only after every byte is acknowledged, so a failure never leaves a file under the
 * final name that looks complete (unless the caller asks to write in place).
 */
import { SshError } from '../errors.js';
import { EXT, FX, FXF } from './constants.js';
import type { SftpClient } from './client.js';
import { SftpError } from './errors.js';
import type { LocalFile, LocalFs } from './local.js';
import { encodeName, type SftpPath } from './names.js';
import { concatBytes } from '../wire/writer.js';

/** Options of {@link sftpGet} and {@link sftpPut}: local filesystem, concurrency, progress, resume, preserve. */
export interface TransferOptions {
  /** local file access (Node: `nodeLocalFs`); defaults to the client's `localFs` */
  fs?: LocalFs;
  /** requests in flight (default: 64, or 4 MiB of data if fewer) */
  concurrency?: number;
  /** bytes per request (default and maximum: the server's limit) */
  chunkSize?: number;
  /** called as bytes are confirmed: (bytes done including any resumed part, total) */
  onProgress?: (transferred: number, total: number) => void;
  /** continue a previous partial transfer from the destination's current size */
  resume?: boolean;
  /** copy permission bits and access/modification times */
  preserve?: boolean;
  /** write straight to the final name instead of temp name + rename */
  inPlace?: boolean;
  /** suffix of the temporary name (default ".part") */
  tempSuffix?: string;
  /** on failure keep the temporary file (for a later `resume`) instead of deleting it */
  keepPartial?: boolean;
}

/** Run a local file operation, turning its failure into a typed error. */
async function local<T>(what: string, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof SshError) throw e;
    throw new SshError('FILE', `local ${what}: ${(e as Error | undefined)?.message ?? String(e)}`, { cause: e });
  }
}

function localFs(client: SftpClient, o: TransferOptions): LocalFs {
  const fs = o.fs ?? client.localFs;
  if (!fs) throw new SshError('INVAL', 'no local file system: pass options.fs (nodeLocalFs on Node)');
  return fs;
}

/**
 * Local writes batched to ~1 MiB and kept in flight (two at a time) while the network
 * keeps delivering: the download never waits for the disk between chunks. Each chunk is
 * given to `written` once it is on disk (the download releases it to the SFTP engine).
 */
class BatchedWriter {
  private parts: Uint8Array[] = [];
  private bytes = 0;
  private readonly inflight: Promise<void>[] = [];

  constructor(
    private readonly file: LocalFile,
    private pos: number,
    private readonly what: string,
    private readonly onWritten: (pos: number) => void,
    private readonly written: (chunk: Uint8Array) => void,
    private readonly batch = 1024 * 1024,
    private readonly depth = 2,
  ) {}

  async push(chunk: Uint8Array): Promise<void> {
    this.parts.push(chunk);
    this.bytes += chunk.length;
    if (this.bytes >= this.batch) await this.flush();
  }

  private async flush(): Promise<void> {
    while (this.inflight.length >= this.depth) await this.inflight.shift();
    const parts = this.parts;
    const at = this.pos;
    this.pos += this.bytes;
    const end = this.pos;
    this.parts = [];
    this.bytes = 0;
    const io =
      parts.length === 1 ? this.file.write(parts[0]!, at) : this.file.writev ? this.file.writev(parts, at) : this.file.write(concatBytes(...parts), at);
    const p = local(this.what, io).then(() => {
      for (const part of parts) this.written(part);
      this.onWritten(end);
    });
    p.catch(() => {});
    this.inflight.push(p);
  }

  /** Write what is left and wait for every write. */
  async finish(): Promise<void> {
    if (this.bytes > 0) await this.flush();
    await Promise.all(this.inflight.splice(0));
  }

  /** Wait for writes already started, ignoring their outcome (after a failure). */
  async abandon(): Promise<void> {
    await Promise.allSettled(this.inflight.splice(0));
  }
}

function withSuffix(path: SftpPath, suffix: string): SftpPath {
  if (typeof path === 'string') return path + suffix;
  const s = encodeName(suffix);
  const out = new Uint8Array(path.length + s.length);
  out.set(path);
  out.set(s, path.length);
  return out;
}

/** Download `remote` to the local file `localPath`; resolves with the bytes transferred. */
export async function sftpGet(client: SftpClient, remote: SftpPath, localPath: string, o: TransferOptions = {}): Promise<number> {
  const fs = localFs(client, o);
  const dest = o.inPlace ? localPath : localPath + (o.tempSuffix ?? '.part');
  const chunkSize = Math.min(o.chunkSize ?? Infinity, client.limits.maxReadLength);
  const file = await client.open(remote, 'r');
  let out: LocalFile | null = null;
  let writer: BatchedWriter | null = null;
  let ok = false;
  try {
    const attrs = await file.stat();
    const total = attrs.size;
    let start = 0;
    if (o.resume) {
      const st = await local(`stat ${dest}`, fs.stat(dest));
      if (st && (total === undefined || st.size <= total)) start = st.size;
    }
    out = await local(`open ${dest}`, fs.open(dest, start > 0 ? 'update' : 'write'));
    let pos = start;
    o.onProgress?.(pos, total ?? 0);
    // Pieces of DATA replies, written out: the engine may free their memory now (SftpEngine.release).
    const engine = client.engine;
    writer = new BatchedWriter(
      out,
      start,
      `write ${dest}`,
      (end) => o.onProgress?.(end, total ?? end),
      (piece) => engine.release(piece),
    );
    for await (const chunk of file.chunks(start, total, { concurrency: o.concurrency, chunkSize })) {
      await writer.push(chunk);
      pos += chunk.length;
    }
    await writer.finish();
    await local(`close ${dest}`, out.close());
    out = null;
    await file.close();
    if (o.preserve) {
      if (attrs.permissions !== undefined) await local(`chmod ${dest}`, fs.chmod(dest, attrs.permissions & 0o7777));
      if (attrs.mtime !== undefined) await local(`utimes ${dest}`, fs.utimes(dest, attrs.atime!, attrs.mtime));
    }
    if (!o.inPlace) await local(`rename ${dest}`, fs.rename(dest, localPath));
    ok = true;
    return pos - start;
  } finally {
    if (!ok) {
      await writer?.abandon();
      await out?.close().catch(() => {});
      await file.close().catch(() => {});
      if (!o.inPlace && !o.keepPartial) await fs.unlink(dest).catch(() => {});
    }
  }
}

/** Upload the local file `localPath` to `remote`; resolves with the bytes transferred. */
export async function sftpPut(client: SftpClient, localPath: string, remote: SftpPath, o: TransferOptions = {}): Promise<number> {
  const fs = localFs(client, o);
  const st = await local(`stat ${localPath}`, fs.stat(localPath));
  if (!st) throw new SshError('FILE', `local file ${localPath} does not exist`);
  const dest = o.inPlace ? remote : withSuffix(remote, o.tempSuffix ?? '.part');
  const chunkSize = Math.min(o.chunkSize ?? Infinity, client.limits.maxWriteLength);
  let start = 0;
  if (o.resume) {
    const a = await client.exists(dest);
    if (a?.size !== undefined && a.size <= st.size) start = a.size;
  }
  const input = await local(`open ${localPath}`, fs.open(localPath, 'read'));
  let ok = false;
  let file: Awaited<ReturnType<SftpClient['open']>> | null = null;
  try {
    const flags = FXF.WRITE | FXF.CREAT | (start > 0 ? 0 : FXF.TRUNC);
    file = await client.open(dest, flags, o.preserve ? { permissions: st.mode & 0o7777 } : {});
    o.onProgress?.(start, st.size);
    // WRITE requests built in place from local reads that run ahead of the network.
    const written = await file.writeFromFile(input, start, st.size, {
      chunkSize,
      concurrency: o.concurrency,
      source: localPath,
      onProgress: (b) => o.onProgress?.(start + b, st.size),
    });
    if (o.preserve) await file.setstat({ permissions: st.mode & 0o7777, atime: st.atime, mtime: st.mtime });
    await file.close();
    if (!o.inPlace) await replace(client, dest, remote);
    ok = true;
    return written;
  } finally {
    await input.close().catch(() => {});
    if (!ok) {
      await file?.close().catch(() => {});
      if (!o.inPlace && !o.keepPartial && file) await client.remove(dest).catch(() => {});
    }
  }
}

/** Rename `from` over `to`: atomically with posix-rename@openssh.com, else remove then rename. */
export async function replace(client: SftpClient, from: SftpPath, to: SftpPath): Promise<void> {
  if (client.hasExtension(EXT.POSIX_RENAME)) return client.posixRename(from, to);
  try {
    await client.rename(from, to);
  } catch (e) {
    if (!(e instanceof SftpError) || (e.status !== FX.FAILURE && e.status !== FX.FILE_ALREADY_EXISTS)) throw e;
    await client.remove(to);
    await client.rename(from, to);
  }
}
