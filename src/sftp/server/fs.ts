/**
 * The file system an SFTP server serves: a small handle-based interface that the
 * in-memory tree (memory-fs.ts), the Node file system (node-fs.ts) and an application's
 * own storage implement. Paths and names are bytes (filexfer-02 §6.2 leaves their encoding
 * to the server), so names that are not UTF-8 are served exactly. Failures are FsErrors
 * carrying an errno-style code, which the server maps to SSH_FX status codes the way
 * OpenSSH's sftp-server maps errno (sftp-server.c errno_to_portable).
 */
import { SshError } from '../../errors.js';
import { FX } from '../constants.js';

/** errno names an implementation reports; the server maps them to SSH_FX codes. */
export type FsErrorCode =
  | 'ENOENT'
  | 'ENOTDIR'
  | 'EBADF'
  | 'ELOOP'
  | 'EPERM'
  | 'EACCES'
  | 'ENAMETOOLONG'
  | 'EINVAL'
  | 'ENOSYS'
  | 'EEXIST'
  | 'ENOTEMPTY'
  | 'EISDIR'
  | 'EXDEV'
  | 'ENOSPC'
  | 'EMFILE'
  | 'EROFS'
  | 'EBUSY'
  | 'EIO';

/** A file-system failure: `fsCode` (an errno name) says which, the message is for logs. */
export class FsError extends SshError {
  override name = 'FsError';
  constructor(
    readonly fsCode: FsErrorCode,
    message: string = fsCode,
    options?: { cause?: unknown },
  ) {
    super('FILE', message, options);
  }
}

/**
 * The SSH_FX status for an error, as sftp-server.c errno_to_portable: ENOENT, ENOTDIR, EBADF
 * and ELOOP are NO_SUCH_FILE; EPERM and EACCES PERMISSION_DENIED; ENAMETOOLONG and EINVAL
 * BAD_MESSAGE; ENOSYS OP_UNSUPPORTED; anything else (EEXIST, ENOTEMPTY ...) FAILURE.
 */
export function fsErrorStatus(e: unknown): number {
  const code = e instanceof FsError ? e.fsCode : typeof (e as { code?: unknown } | null)?.code === 'string' ? (e as { code: string }).code : '';
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
    case 'EBADF':
    case 'ELOOP':
      return FX.NO_SUCH_FILE;
    case 'EPERM':
    case 'EACCES':
      return FX.PERMISSION_DENIED;
    case 'ENAMETOOLONG':
    case 'EINVAL':
      return FX.BAD_MESSAGE;
    case 'ENOSYS':
      return FX.OP_UNSUPPORTED;
    default:
      return FX.FAILURE;
  }
}

/** What stat returns: POSIX st_* values (mode holds the type and permission bits). */
export interface FsStats {
  /** st_mode: S_IF* type bits and permission bits */
  mode: number;
  size: number;
  uid: number;
  gid: number;
  /** seconds since the epoch */
  atime: number;
  mtime: number;
  /** link count, shown in `ls -l` long names (1 if unknown) */
  nlink?: number;
  /** device and inode, when known: copy-data refuses to copy a file onto itself */
  dev?: number;
  ino?: number;
}

/** Attributes to change (SETSTAT and friends): only the fields present are applied. */
export interface FsSetAttrs {
  size?: number;
  uid?: number;
  gid?: number;
  /** permission bits (07777); type bits are ignored */
  mode?: number;
  atime?: number;
  mtime?: number;
}

/** statvfs(3) values (OpenSSH PROTOCOL §4.4); numbers beyond 2^53 are bigints. */
export interface FsStatVfs {
  bsize: number | bigint;
  frsize: number | bigint;
  blocks: number | bigint;
  bfree: number | bigint;
  bavail: number | bigint;
  files: number | bigint;
  ffree: number | bigint;
  favail: number | bigint;
  fsid: number | bigint;
  /** ST_RDONLY 1, ST_NOSUID 2 */
  flag: number | bigint;
  namemax: number | bigint;
}

/** SSH_FXF_* open flags (filexfer-02 §6.3), as the server received them. */
export interface FsOpenFlags {
  read: boolean;
  write: boolean;
  append: boolean;
  create: boolean;
  truncate: boolean;
  exclusive: boolean;
}

/** An open file. Reads and writes are positional, so many may run at once. */
export interface FsFile {
  /** Read up to `buffer.length` bytes at `position` into `buffer`; 0 means end of file. */
  read(buffer: Uint8Array, position: number): Promise<number>;
  /**
   * Write all of `data` at `position` (ignored if opened for append). `data` is a view of
   * the request packet: keep no reference to it after the promise settles.
   */
  write(data: Uint8Array, position: number): Promise<void>;
  /** fstat(2) of the open file. */
  stat(): Promise<FsStats>;
  /** Change the attributes present in `attrs` (FSETSTAT). */
  setstat(attrs: FsSetAttrs): Promise<void>;
  /** Close the file; no other call follows. */
  close(): Promise<void>;
  /** fsync@openssh.com; absent means OP_UNSUPPORTED */
  sync?(): Promise<void>;
  /** fstatvfs@openssh.com; absent means OP_UNSUPPORTED */
  statvfs?(): Promise<FsStatVfs>;
}

/** One directory entry: its name and lstat of it. */
export interface FsDirEntry {
  name: Uint8Array;
  stats: FsStats;
}

/** An open directory, read in batches. */
export interface FsDir {
  /** The next entries (at most `max`), or null once all were returned. */
  read(max: number): Promise<FsDirEntry[] | null>;
  /** Close the directory; no other call follows. */
  close(): Promise<void>;
}

/**
 * A file system to serve. Paths are the bytes the client sent: absolute, or relative to
 * the implementation's working directory (its start directory). Every method may be called
 * while others are still running. Optional methods that are absent make the matching
 * request answer SSH_FX_OP_UNSUPPORTED.
 */
export interface SftpFileSystem {
  /** Open (and with `flags.create` create, with permission bits `mode`) a file. */
  open(path: Uint8Array, flags: FsOpenFlags, mode: number): Promise<FsFile>;
  /** Open a directory for reading. */
  opendir(path: Uint8Array): Promise<FsDir>;
  /** stat(2): symlinks followed. */
  stat(path: Uint8Array): Promise<FsStats>;
  /** lstat(2): a final symlink described itself. */
  lstat(path: Uint8Array): Promise<FsStats>;
  /** Change the attributes present in `attrs`, following symlinks (SETSTAT). */
  setstat(path: Uint8Array, attrs: FsSetAttrs): Promise<void>;
  /** lsetstat@openssh.com: like setstat, without following a final symlink */
  lsetstat?(path: Uint8Array, attrs: FsSetAttrs): Promise<void>;
  /** unlink(2) a file (not a directory). */
  remove(path: Uint8Array): Promise<void>;
  /** Create a directory with permission bits `mode`. */
  mkdir(path: Uint8Array, mode: number): Promise<void>;
  /** Remove an empty directory. */
  rmdir(path: Uint8Array): Promise<void>;
  /** The canonical absolute path (symlinks resolved; a missing last component allowed). */
  realpath(path: Uint8Array): Promise<Uint8Array>;
  /**
   * Rename. `overwrite` false is SSH_FXP_RENAME (fails if `to` exists, filexfer-02 §6.5);
   * true is posix-rename@openssh.com (rename(2): replaces `to`).
   */
  rename(from: Uint8Array, to: Uint8Array, overwrite: boolean): Promise<void>;
  /** A symlink's target, as stored. */
  readlink(path: Uint8Array): Promise<Uint8Array>;
  /** Create `linkpath` pointing to `target`. */
  symlink(target: Uint8Array, linkpath: Uint8Array): Promise<void>;
  /** hardlink@openssh.com */
  link?(existing: Uint8Array, newpath: Uint8Array): Promise<void>;
  /** statvfs@openssh.com */
  statvfs?(path: Uint8Array): Promise<FsStatVfs>;
  /** home-directory: the user's home ('' = the session's user); absent: the start directory */
  homeDirectory?(user: string): Promise<Uint8Array>;
  /** User and group names for `ls -l` long names and users-groups-by-id@openssh.com ('' if unknown). */
  userName?(uid: number): string;
  /** A group's name ('' if unknown). */
  groupName?(gid: number): string;
}

/** The flags of an SSH_FXF_* bit mask (filexfer-02 §6.3). */
export function openFlagsOf(pflags: number): FsOpenFlags {
  return {
    read: (pflags & 0x01) !== 0,
    write: (pflags & 0x02) !== 0,
    append: (pflags & 0x04) !== 0,
    create: (pflags & 0x08) !== 0,
    truncate: (pflags & 0x10) !== 0,
    exclusive: (pflags & 0x20) !== 0,
  };
}
