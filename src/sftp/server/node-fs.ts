/**
 * The SFTP server's file system over node:fs (Node only), optionally confined to a root
 * directory that the client sees as "/".
 *
 * How confinement holds (Linux): paths are resolved here, component by component, never by
 * the kernel. Each directory on the way is opened with O_PATH|O_DIRECTORY|O_NOFOLLOW
 * relative to the descriptor of its parent (through /proc/self/fd/N/name, the openat(2) that
 * node:fs lacks), so a component swapped for a symlink after it was checked makes the open
 * fail instead of leading out. `..` is handled by name (popping the stack, never above the
 * root); symlinks are read and their targets resolved the same way, absolute ones from the
 * root, as in a chroot. The final operation names one component relative to a pinned parent
 * descriptor; operations that would follow a final symlink (open, setstat) add O_NOFOLLOW or
 * act on a descriptor opened with it. Limits: it needs /proc (Linux); files reached through
 * hard links made outside the root are inside it by definition; a symlink created inside
 * the root points wherever its text says for other programs on the host.
 * Without `root`, the same resolution runs from "/" (paths relative to the start directory).
 */
import * as fs from 'node:fs';
import {
  FsError,
  type FsDir,
  type FsDirEntry,
  type FsFile,
  type FsOpenFlags,
  type FsSetAttrs,
  type FsStats,
  type FsStatVfs,
  type SftpFileSystem,
} from './fs.js';
import { isAbsolute, joinAbsolute, MAX_SYMLINKS, splitPath, utf8 } from './path.js';

const C = fs.constants;
/** O_PATH (Linux, asm-generic/fcntl.h): a descriptor that only names a file. Node passes it through. */
const O_PATH = 0o10000000;

/** Options of {@link NodeFs}. */
export interface NodeFsOptions {
  /** confine the client to this directory, which it sees as "/" */
  root?: string;
  /** the start directory (sftp-server -d): inside the root when confined; default the root, or process.cwd() */
  home?: string;
  /** extra bits to clear from the modes of created files and directories (the process umask applies too) */
  umask?: number;
}

type Fd = number;
const DOT = new Uint8Array([0x2e]);
const proc = (fd: Fd, name?: Uint8Array): Buffer => (name ? Buffer.concat([Buffer.from(`/proc/self/fd/${fd}/`), name]) : Buffer.from(`/proc/self/fd/${fd}`));

function call<T>(fn: (cb: (err: NodeJS.ErrnoException | null, v: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));
}
const openFd = (p: Buffer, flags: number, mode = 0o666): Promise<Fd> => call<Fd>((cb) => fs.open(p, flags, mode, cb));
const closeFd = (fd: Fd): Promise<void> => call<void>((cb) => fs.close(fd, (e) => cb(e, undefined)));

/** lstat of a resolved target (a path ending at a directory comes as "<fd>/.", see NodeFs.with). */
async function statTarget(p: Buffer): Promise<FsStats> {
  return toStats(await call<fs.Stats>((cb) => fs.lstat(p, cb)));
}

function toStats(s: fs.Stats): FsStats {
  return {
    mode: s.mode,
    size: s.size,
    uid: s.uid,
    gid: s.gid,
    atime: Math.floor(s.atimeMs / 1000),
    mtime: Math.floor(s.mtimeMs / 1000),
    nlink: s.nlink,
    dev: s.dev,
    ino: s.ino,
  };
}

/** A resolved path: its canonical components, a pinned parent (or the dir itself) and the last name. */
interface Target {
  parts: Uint8Array[];
  /** the descriptor of the directory holding `name` (or of the target itself when name is null) */
  dirFd: Fd;
  name: Uint8Array | null;
  /** what the last component is, or null if it does not exist */
  kind: 'dir' | 'link' | 'other' | null;
  release(): void;
}

function parseDb(file: string): Map<number, { name: string; home: string }> {
  const out = new Map<number, { name: string; home: string }>();
  try {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length >= 3 && !out.has(Number(f[2]))) out.set(Number(f[2]), { name: f[0]!, home: f[5] ?? '' });
    }
  } catch {
    /* no database: numbers are shown */
  }
  return out;
}

/**
 * The local file system for {@link SftpServer}, confined to `root` when given.
 *
 * @example
 * ```ts
 * const files = new NodeFs({ root: '/srv/upload' });
 * await new SftpServer(stream, { fs: files }).serve();
 * files.dispose();
 * ```
 */
export class NodeFs implements SftpFileSystem {
  private readonly rootFd: Fd;
  private readonly rootPath: string;
  private readonly confined: boolean;
  private readonly cwd: Uint8Array[];
  private readonly umask: number;
  private users: Map<number, { name: string; home: string }> | null = null;
  private groups: Map<number, { name: string; home: string }> | null = null;

  constructor(options: NodeFsOptions = {}) {
    if (!fs.existsSync('/proc/self/fd')) throw new FsError('ENOSYS', 'NodeFs needs /proc/self/fd (Linux) to resolve paths safely');
    this.confined = options.root !== undefined;
    this.rootPath = fs.realpathSync(options.root ?? '/');
    this.rootFd = fs.openSync(this.rootPath, O_PATH | C.O_DIRECTORY);
    this.umask = options.umask ?? 0;
    const home = options.home ?? (this.confined ? '/' : process.cwd());
    // The start directory is taken as given (components, no symlinks resolved), as chdir would.
    this.cwd = splitPath(utf8.encode(home));
  }

  /** Close the root descriptor (the instance cannot be used after). */
  dispose(): void {
    fs.closeSync(this.rootFd);
  }

  // ---- resolution ----

  /**
   * Walk `path` from the root (or the start directory) holding a descriptor per directory.
   * `follow` resolves a final symlink; `mustExist` refuses a missing last component.
   */
  private async resolve(path: Uint8Array, follow: boolean, mustExist: boolean): Promise<Target> {
    if (path.length === 0) throw new FsError('ENOENT', 'empty path');
    if (path.includes(0)) throw new FsError('EINVAL', 'path contains a NUL byte');
    const stack: Fd[] = [];
    const parts: Uint8Array[] = [];
    const top = (): Fd => stack[stack.length - 1] ?? this.rootFd;
    const release = (): void => {
      for (const fd of stack.splice(0)) fs.close(fd, () => {});
    };
    const popTo = (n: number): void => {
      while (stack.length > n) fs.close(stack.pop()!, () => {});
      parts.length = n;
    };
    try {
      let left = isAbsolute(path) ? splitPath(path) : [...this.cwd, ...splitPath(path)];
      let links = 0;
      while (left.length > 0) {
        const c = left[0]!;
        left = left.slice(1);
        if (c.length === 1 && c[0] === 0x2e) continue;
        if (c.length === 2 && c[0] === 0x2e && c[1] === 0x2e) {
          popTo(Math.max(0, parts.length - 1));
          continue;
        }
        const last = left.length === 0;
        let st: fs.Stats | null = null;
        try {
          st = await call<fs.Stats>((cb) => fs.lstat(proc(top(), c), cb));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }
        if (!st) {
          if (!last || mustExist) throw new FsError('ENOENT', 'no such file or directory');
          parts.push(c);
          return { parts, dirFd: top(), name: c, kind: null, release };
        }
        if (st.isSymbolicLink() && (!last || follow)) {
          if (++links > MAX_SYMLINKS) throw new FsError('ELOOP', 'too many levels of symbolic links');
          const target = await call<Buffer>((cb) => fs.readlink(proc(top(), c), { encoding: 'buffer' }, cb));
          if (isAbsolute(target)) popTo(0);
          left = [...splitPath(target), ...left];
          continue;
        }
        if (last) {
          parts.push(c);
          return { parts, dirFd: top(), name: c, kind: st.isSymbolicLink() ? 'link' : st.isDirectory() ? 'dir' : 'other', release };
        }
        if (!st.isDirectory()) throw new FsError('ENOTDIR', 'not a directory');
        // Pin the directory: O_NOFOLLOW makes a symlink swapped in since the lstat fail (ELOOP/ENOTDIR).
        stack.push(await openFd(proc(top(), c), O_PATH | C.O_DIRECTORY | C.O_NOFOLLOW));
        parts.push(c);
      }
      return { parts, dirFd: top(), name: null, kind: 'dir', release };
    } catch (e) {
      release();
      throw e;
    }
  }

  private async with<T>(path: Uint8Array, follow: boolean, mustExist: boolean, fn: (t: Target, p: Buffer) => Promise<T>): Promise<T> {
    const t = await this.resolve(path, follow, mustExist);
    try {
      // The directory itself as "<fd>/.": lstat and O_NOFOLLOW would otherwise act on the /proc magic link.
      return await fn(t, proc(t.dirFd, t.name ?? DOT));
    } finally {
      t.release();
    }
  }

  /** A descriptor of the (existing, non-symlink) target, opened with O_NOFOLLOW. */
  private async pinTarget(p: Buffer, flags = O_PATH): Promise<Fd> {
    const fd = await openFd(p, flags | C.O_NOFOLLOW);
    return fd;
  }

  // ---- SftpFileSystem ----

  async open(path: Uint8Array, flags: FsOpenFlags, mode: number): Promise<FsFile> {
    let f = flags.read && flags.write ? C.O_RDWR : flags.write ? C.O_WRONLY : C.O_RDONLY;
    if (flags.append) f |= C.O_APPEND;
    if (flags.create) f |= C.O_CREAT;
    if (flags.truncate) f |= C.O_TRUNC;
    if (flags.exclusive) f |= C.O_EXCL;
    // O_NOFOLLOW: a final symlink was resolved above; one swapped in since is refused.
    const fd = await this.with(path, true, false, (_t, p) => openFd(p, f | C.O_NOFOLLOW, mode & 0o7777 & ~this.umask));
    return new NodeFile(fd, flags.append);
  }

  async opendir(path: Uint8Array): Promise<FsDir> {
    const fd = await this.with(path, true, true, (_t, p) => this.pinTarget(p, O_PATH | C.O_DIRECTORY));
    try {
      const dir = await fs.promises.opendir(proc(fd).toString(), { encoding: 'buffer' as BufferEncoding, bufferSize: 128 });
      return new NodeDir(fd, dir);
    } catch (e) {
      await closeFd(fd).catch(() => {});
      throw e;
    }
  }

  stat(path: Uint8Array): Promise<FsStats> {
    return this.with(path, true, true, (_t, p) => statTarget(p));
  }

  lstat(path: Uint8Array): Promise<FsStats> {
    return this.with(path, false, true, (_t, p) => statTarget(p));
  }

  setstat(path: Uint8Array, attrs: FsSetAttrs): Promise<void> {
    return this.with(path, true, true, async (_t, p) => {
      const fd = await this.pinTarget(p);
      try {
        await applyAttrs(proc(fd), attrs, false);
      } finally {
        await closeFd(fd).catch(() => {});
      }
    });
  }

  lsetstat(path: Uint8Array, attrs: FsSetAttrs): Promise<void> {
    return this.with(path, false, true, async (t, p) => {
      if (t.kind !== 'link') {
        const fd = await this.pinTarget(p);
        try {
          return await applyAttrs(proc(fd), attrs, false);
        } finally {
          await closeFd(fd).catch(() => {});
        }
      }
      await applyAttrs(p, attrs, true);
    });
  }

  remove(path: Uint8Array): Promise<void> {
    return this.with(path, false, true, (_t, p) => fs.promises.unlink(p));
  }

  mkdir(path: Uint8Array, mode: number): Promise<void> {
    return this.with(path, false, false, async (t, p) => {
      if (t.kind !== null) throw new FsError('EEXIST', 'file exists');
      await fs.promises.mkdir(p, mode & 0o7777 & ~this.umask);
    });
  }

  rmdir(path: Uint8Array): Promise<void> {
    return this.with(path, false, true, (t, p) => {
      if (t.name === null) throw new FsError('EBUSY', 'cannot remove the root');
      return fs.promises.rmdir(p);
    });
  }

  async realpath(path: Uint8Array): Promise<Uint8Array> {
    return this.with(path, true, false, async (t) => joinAbsolute(t.parts));
  }

  async rename(from: Uint8Array, to: Uint8Array, overwrite: boolean): Promise<void> {
    const a = await this.resolve(from, false, true);
    try {
      const b = await this.resolve(to, false, false);
      try {
        if (a.name === null || b.name === null) throw new FsError('EBUSY', 'cannot rename the root');
        const pa = proc(a.dirFd, a.name);
        const pb = proc(b.dirFd, b.name);
        if (overwrite) return await fs.promises.rename(pa, pb);
        // SSH_FXP_RENAME must not replace (filexfer-02 §6.5): a regular file moves by link and
        // unlink, which cannot clobber; others are checked first (racy, as in sftp-server.c).
        if (a.kind === 'other') {
          const st = await fs.promises.lstat(pa);
          if (st.isFile()) {
            await fs.promises.link(pa, pb);
            try {
              await fs.promises.unlink(pa);
            } catch (e) {
              await fs.promises.unlink(pb).catch(() => {});
              throw e;
            }
            return;
          }
        }
        if (b.kind !== null) throw new FsError('EEXIST', 'file exists');
        await fs.promises.rename(pa, pb);
      } finally {
        b.release();
      }
    } finally {
      a.release();
    }
  }

  readlink(path: Uint8Array): Promise<Uint8Array> {
    return this.with(path, false, true, async (_t, p) => new Uint8Array(await call<Buffer>((cb) => fs.readlink(p, { encoding: 'buffer' }, cb))));
  }

  symlink(target: Uint8Array, linkpath: Uint8Array): Promise<void> {
    if (target.includes(0)) return Promise.reject(new FsError('EINVAL', 'target contains a NUL byte'));
    return this.with(linkpath, false, false, (_t, p) => fs.promises.symlink(Buffer.from(target), p));
  }

  async link(existing: Uint8Array, newpath: Uint8Array): Promise<void> {
    const a = await this.resolve(existing, false, true);
    try {
      await this.with(newpath, false, false, (_t, p) => fs.promises.link(proc(a.dirFd, a.name ?? undefined), p));
    } finally {
      a.release();
    }
  }

  statvfs(path: Uint8Array): Promise<FsStatVfs> {
    return this.with(path, true, true, async (_t, p) => statfsOf(p));
  }

  async homeDirectory(user: string): Promise<Uint8Array> {
    if (user === '') return joinAbsolute(this.cwd);
    if (this.confined) throw new FsError('ENOENT', 'no such user');
    this.users ??= parseDb('/etc/passwd');
    for (const u of this.users.values()) if (u.name === user) return utf8.encode(u.home);
    throw new FsError('ENOENT', 'no such user');
  }

  userName(uid: number): string {
    this.users ??= parseDb('/etc/passwd');
    return this.users.get(uid)?.name ?? '';
  }

  groupName(gid: number): string {
    this.groups ??= parseDb('/etc/group');
    return this.groups.get(gid)?.name ?? '';
  }
}

async function statfsOf(p: Buffer): Promise<FsStatVfs> {
  const s = await fs.promises.statfs(p, { bigint: true });
  // node's statfs has no frsize, favail, fsid, flag or namemax: the usual values stand in.
  return {
    bsize: s.bsize,
    frsize: s.bsize,
    blocks: s.blocks,
    bfree: s.bfree,
    bavail: s.bavail,
    files: s.files,
    ffree: s.ffree,
    favail: s.ffree,
    fsid: 0,
    flag: 0,
    namemax: 255,
  };
}

/** SETSTAT's order and error rule (sftp-server.c): size, mode, times, owner; the last failure is reported. */
async function applyAttrs(p: Buffer, a: FsSetAttrs, noFollow: boolean): Promise<void> {
  let failure: unknown = null;
  const step = async (fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      failure = e;
    }
  };
  if (a.size !== undefined) {
    const size = a.size;
    await step(async () => {
      const fd = await openFd(p, C.O_WRONLY);
      try {
        await call<void>((cb) => fs.ftruncate(fd, size, (e) => cb(e, undefined)));
      } finally {
        await closeFd(fd).catch(() => {});
      }
    });
  }
  if (a.mode !== undefined) {
    const mode = a.mode;
    await step(() => (noFollow ? Promise.reject(new FsError('EIO', 'symbolic links have no mode of their own (Linux)')) : fs.promises.chmod(p, mode & 0o7777)));
  }
  if (a.atime !== undefined || a.mtime !== undefined) {
    const at = a.atime ?? a.mtime!;
    const mt = a.mtime ?? a.atime!;
    await step(() => (noFollow ? fs.promises.lutimes(p, at, mt) : fs.promises.utimes(p, at, mt)));
  }
  if (a.uid !== undefined || a.gid !== undefined) {
    const uid = a.uid ?? -1;
    const gid = a.gid ?? -1;
    await step(() => (noFollow ? fs.promises.lchown(p, uid, gid) : fs.promises.chown(p, uid, gid)));
  }
  if (failure) throw failure;
}

class NodeFile implements FsFile {
  constructor(
    private readonly fd: Fd,
    private readonly append: boolean,
  ) {}

  read(buffer: Uint8Array, position: number): Promise<number> {
    return call<number>((cb) => fs.read(this.fd, buffer, 0, buffer.length, position, cb));
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const n = await call<number>((cb) => fs.write(this.fd, data, done, data.length - done, this.append ? null : position + done, cb));
      if (n === 0) throw new FsError('EIO', 'nothing written');
      done += n;
    }
  }

  async stat(): Promise<FsStats> {
    return toStats(await call<fs.Stats>((cb) => fs.fstat(this.fd, cb)));
  }

  setstat(attrs: FsSetAttrs): Promise<void> {
    return applyAttrs(proc(this.fd), attrs, false);
  }

  close(): Promise<void> {
    return closeFd(this.fd);
  }

  sync(): Promise<void> {
    return call<void>((cb) => fs.fsync(this.fd, (e) => cb(e, undefined)));
  }

  statvfs(): Promise<FsStatVfs> {
    return statfsOf(proc(this.fd));
  }
}

class NodeDir implements FsDir {
  private dotsSent = false;

  constructor(
    private readonly fd: Fd,
    private readonly dir: fs.Dir,
  ) {}

  async read(max: number): Promise<FsDirEntry[] | null> {
    const out: FsDirEntry[] = [];
    if (!this.dotsSent) {
      // readdir(3) lists "." and ".."; node's Dir leaves them out, sftp-server sends them.
      this.dotsSent = true;
      for (const n of ['.', '..']) {
        const st = await call<fs.Stats>((cb) => fs.lstat(proc(this.fd, utf8.encode(n)), cb)).catch(() => null);
        if (st) out.push({ name: utf8.encode(n), stats: toStats(st) });
      }
    }
    while (out.length < max) {
      const e = await this.dir.read();
      if (!e) break;
      const name = e.name as unknown as Buffer;
      // An entry removed since it was listed is skipped (sftp-server.c does the same).
      const st = await call<fs.Stats>((cb) => fs.lstat(proc(this.fd, name), cb)).catch(() => null);
      if (st) out.push({ name: new Uint8Array(name), stats: toStats(st) });
    }
    return out.length ? out : null;
  }

  async close(): Promise<void> {
    await this.dir.close().catch(() => {});
    await closeFd(this.fd);
  }
}
