/**
 * The local side of get/put, kept behind a small interface so the SFTP core stays
 * universal; `nodeLocalFs` (node-fs.ts) implements it with node:fs.
 */

export interface LocalFile {
  /** Read into `buffer` at file offset `position`; resolves with the count (0 at EOF). */
  read(buffer: Uint8Array, position: number): Promise<number>;
  /** Optional: read into `buffers` back to back from `position` in one call (readv); resolves with the count. */
  readv?(buffers: Uint8Array[], position: number): Promise<number>;
  /** Write all of `data` at file offset `position`. */
  write(data: Uint8Array, position: number): Promise<void>;
  /** Optional: write `chunks` back to back from `position` in one call (writev). */
  writev?(chunks: Uint8Array[], position: number): Promise<void>;
  /** Close the file. */
  close(): Promise<void>;
}

/** What get/put need to know about a local file. */
export interface LocalStat {
  size: number;
  /** st_mode (type and permission bits) */
  mode: number;
  /** seconds since the epoch */
  atime: number;
  mtime: number;
}

/** The local filesystem that get/put read and write (node:fs on Node; anything else elsewhere). */
export interface LocalFs {
  /** 'read'; 'write' creates or truncates; 'update' creates if missing and keeps the contents */
  open(path: string, mode: 'read' | 'write' | 'update'): Promise<LocalFile>;
  /** null if the path does not exist */
  stat(path: string): Promise<LocalStat | null>;
  /** replace `to` with `from` */
  rename(from: string, to: string): Promise<void>;
  /** Remove a file. */
  unlink(path: string): Promise<void>;
  /** Set permission bits. */
  chmod(path: string, mode: number): Promise<void>;
  /** Set access and modification times (seconds). */
  utimes(path: string, atime: number, mtime: number): Promise<void>;
}
