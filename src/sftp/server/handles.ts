/**
 * The server's open handles: 4-byte strings (as OpenSSH's sftp-server uses) naming open
 * files and directories, capped in number, each with the ordering state that lets reads
 * and writes on one handle run at once while other requests on it wait their turn.
 */
import type { FsDir, FsDirEntry, FsFile, FsOpenFlags } from './fs.js';

interface HandleBase {
  id: number;
  /** the path it was opened with, for logs */
  path: Uint8Array;
  /** settles when every earlier non-I/O request on this handle has finished */
  barrier: Promise<void>;
  /** reads and writes in flight */
  io: Set<Promise<void>>;
  bytesRead: number;
  bytesWritten: number;
}

export interface FileHandle extends HandleBase {
  kind: 'file';
  file: FsFile;
  flags: FsOpenFlags;
}

export interface DirHandle extends HandleBase {
  kind: 'dir';
  dir: FsDir;
  /** entries read but not yet sent (a batch that overflowed one reply) */
  carry: FsDirEntry[];
}

export type Handle = FileHandle | DirHandle;

/** Handle strings are exactly this long (the id as a big-endian uint32). */
const HANDLE_BYTES = 4;

export class HandleTable {
  private readonly open = new Map<number, Handle>();
  private next = 1;

  constructor(readonly max: number) {}

  get size(): number {
    return this.open.size;
  }

  /** A new handle, or null when `max` are open. */
  add(
    h: Omit<FileHandle, 'id' | 'barrier' | 'io' | 'bytesRead' | 'bytesWritten'> | Omit<DirHandle, 'id' | 'barrier' | 'io' | 'bytesRead' | 'bytesWritten'>,
  ): Handle | null {
    if (this.open.size >= this.max) return null;
    // Ids are not reused until 2^32 handles later, so a stale handle names nothing.
    while (this.open.has(this.next) || this.next === 0) this.next = (this.next + 1) >>> 0;
    const full = { ...h, id: this.next, barrier: Promise.resolve(), io: new Set<Promise<void>>(), bytesRead: 0, bytesWritten: 0 };
    this.next = (this.next + 1) >>> 0;
    this.open.set(full.id, full);
    return full;
  }

  /** The handle a request named, if open (and of the kind asked for). */
  get<K extends Handle['kind']>(bytes: Uint8Array, kind?: K): Extract<Handle, { kind: K }> | undefined {
    if (bytes.length !== HANDLE_BYTES) return undefined;
    const id = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0);
    const h = this.open.get(id);
    if (!h || (kind !== undefined && h.kind !== kind)) return undefined;
    return h as Extract<Handle, { kind: K }>;
  }

  delete(h: Handle): void {
    this.open.delete(h.id);
  }

  /** Remove and return every open handle (the session ended). */
  drain(): Handle[] {
    const all = [...this.open.values()];
    this.open.clear();
    return all;
  }
}

/** The wire form of a handle. */
export function handleBytes(h: Handle): Uint8Array {
  const b = new Uint8Array(HANDLE_BYTES);
  new DataView(b.buffer).setUint32(0, h.id);
  return b;
}
