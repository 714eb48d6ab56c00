/**
 * An in-memory file system for the SFTP server (universal: tests, browsers, fixtures).
 * Files, directories and symlinks in a tree keyed by name bytes; one owner, whose
 * permission bits (owner rwx) are enforced so that "permission denied" can be exercised.
 */
import { S_IF } from '../constants.js';
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
import { joinAbsolute, resolvePath, splitPath, utf8, type ResolveOps } from './path.js';

interface NodeBase {
  mode: number;
  uid: number;
  gid: number;
  atime: number;
  mtime: number;
  ino: number;
  nlink: number;
}
interface FileNode extends NodeBase {
  kind: 'file';
  data: Uint8Array;
  size: number;
}
interface DirNode extends NodeBase {
  kind: 'dir';
  entries: Map<string, { name: Uint8Array; node: MemNode }>;
  parent: DirNode | null;
}
interface LinkNode extends NodeBase {
  kind: 'link';
  target: Uint8Array;
}
type MemNode = FileNode | DirNode | LinkNode;

/** Options of {@link MemoryFs}. */
export interface MemoryFsOptions {
  /** owner of every file (default 1000 / 1000) */
  uid?: number;
  gid?: number;
  /** names for `ls -l` and users-groups-by-id (default: none, numbers are shown) */
  users?: Readonly<Record<number, string>>;
  groups?: Readonly<Record<number, string>>;
  /** the start directory, created if missing (default "/") */
  home?: string | Uint8Array;
  /** umask applied to created files and directories (default 0o022) */
  umask?: number;
  /** total file bytes allowed (default 1 GiB); writes beyond fail with ENOSPC */
  maxBytes?: number;
  /** clock in seconds (default Date.now()/1000) */
  now?: () => number;
}

const key = (name: Uint8Array): string => String.fromCharCode(...name);
const bytes = (p: string | Uint8Array): Uint8Array => (typeof p === 'string' ? utf8.encode(p) : p);

/**
 * A file tree in memory that {@link SftpServer} can serve.
 *
 * @example
 * ```ts
 * const fs = new MemoryFs();
 * fs.writeFile('/hello.txt', 'hi');
 * await new SftpServer(stream, { fs }).serve();
 * ```
 */
export class MemoryFs implements SftpFileSystem {
  private readonly root: DirNode;
  private readonly cwd: Uint8Array[];
  private readonly uid: number;
  private readonly gid: number;
  private readonly umask: number;
  private readonly maxBytes: number;
  private readonly now: () => number;
  private nextIno = 2;
  private used = 0;

  constructor(private readonly options: MemoryFsOptions = {}) {
    this.uid = options.uid ?? 1000;
    this.gid = options.gid ?? 1000;
    this.umask = options.umask ?? 0o022;
    this.maxBytes = options.maxBytes ?? 1024 * 1024 * 1024;
    this.now = options.now ?? ((): number => Math.floor(Date.now() / 1000));
    this.root = this.newDir(0o755, null);
    this.cwd = [];
    const home = splitPath(bytes(options.home ?? '/'));
    if (home.length) this.mkdirp(joinAbsolute(home));
    this.cwd = home;
  }

  // ---- conveniences for fixtures and tests (synchronous) ----

  /** Create a directory and its missing parents. */
  mkdirp(path: string | Uint8Array, mode = 0o755): void {
    let dir = this.root;
    for (const c of splitPath(this.absolute(bytes(path)))) {
      const e = dir.entries.get(key(c));
      if (!e) {
        const d = this.newDir(mode, dir);
        dir.entries.set(key(c), { name: c.slice(), node: d });
        dir.nlink++;
        dir = d;
      } else if (e.node.kind === 'dir') dir = e.node;
      else throw new FsError('ENOTDIR', `${key(c)} is not a directory`);
    }
  }

  /** Create or replace a file (parents are created). */
  writeFile(path: string | Uint8Array, data: string | Uint8Array, mode = 0o644): void {
    const parts = splitPath(this.absolute(bytes(path)));
    const name = parts.pop();
    if (!name) throw new FsError('EISDIR', 'cannot write the root');
    this.mkdirp(joinAbsolute(parts));
    const dir = this.walkSync(parts) as DirNode;
    const content = bytes(data).slice();
    const old = dir.entries.get(key(name));
    if (old?.node.kind === 'file') this.used -= old.node.size;
    this.used += content.length;
    dir.entries.set(key(name), { name: name.slice(), node: { ...this.base(mode | S_IF.REG), kind: 'file', data: content, size: content.length } });
  }

  /** A file's contents, or undefined if there is no such file. */
  readFile(path: string | Uint8Array): Uint8Array | undefined {
    const n = this.walkSync(splitPath(this.absolute(bytes(path))));
    return n?.kind === 'file' ? n.data.slice(0, n.size) : undefined;
  }

  // ---- SftpFileSystem ----

  async open(path: Uint8Array, flags: FsOpenFlags, mode: number): Promise<FsFile> {
    const parts = await this.resolve(path, true);
    const { dir, name } = this.parentOf(parts);
    let entry = dir.entries.get(key(name));
    if (entry && flags.create && flags.exclusive) throw new FsError('EEXIST', 'file exists');
    if (!entry) {
      if (!flags.create) throw new FsError('ENOENT', 'no such file');
      this.access(dir, 0o200);
      const node: FileNode = { ...this.base(S_IF.REG | (mode & 0o7777 & ~this.umask)), kind: 'file', data: new Uint8Array(0), size: 0 };
      entry = { name: name.slice(), node };
      dir.entries.set(key(name), entry);
      dir.mtime = this.now();
    } else {
      if (entry.node.kind === 'dir' && flags.write) throw new FsError('EISDIR', 'is a directory');
      if (flags.read) this.access(entry.node, 0o400);
      if (flags.write || flags.truncate) this.access(entry.node, 0o200);
    }
    const node = entry.node;
    if (node.kind === 'file' && flags.truncate && flags.write) {
      this.used -= node.size;
      node.size = 0;
      node.mtime = this.now();
    }
    return new MemFile(this, node, flags);
  }

  async opendir(path: Uint8Array): Promise<FsDir> {
    const parts = await this.resolve(path, true, false);
    const node = this.walkSync(parts);
    if (!node) throw new FsError('ENOENT', 'no such file');
    if (node.kind !== 'dir') throw new FsError('ENOTDIR', 'not a directory');
    this.access(node, 0o400);
    // A snapshot: entries created or removed while listing are not seen (as readdir(3) may).
    const list: FsDirEntry[] = [
      { name: utf8.encode('.'), stats: this.statOf(node) },
      { name: utf8.encode('..'), stats: this.statOf(node.parent ?? node) },
    ];
    for (const e of node.entries.values()) list.push({ name: e.name, stats: this.statOf(e.node) });
    let pos = 0;
    return {
      read: async (max) => {
        if (pos >= list.length) return null;
        const out = list.slice(pos, pos + max);
        pos += out.length;
        return out;
      },
      close: async () => {},
    };
  }

  async stat(path: Uint8Array): Promise<FsStats> {
    return this.statOf(await this.existing(path, true));
  }

  async lstat(path: Uint8Array): Promise<FsStats> {
    return this.statOf(await this.existing(path, false));
  }

  async setstat(path: Uint8Array, attrs: FsSetAttrs): Promise<void> {
    this.apply(await this.existing(path, true), attrs);
  }

  async lsetstat(path: Uint8Array, attrs: FsSetAttrs): Promise<void> {
    this.apply(await this.existing(path, false), attrs);
  }

  async remove(path: Uint8Array): Promise<void> {
    const parts = await this.resolve(path, false, false);
    const { dir, name } = this.parentOf(parts);
    const e = dir.entries.get(key(name));
    if (!e) throw new FsError('ENOENT', 'no such file');
    if (e.node.kind === 'dir') throw new FsError('EISDIR', 'is a directory');
    this.access(dir, 0o200);
    this.unlinkEntry(dir, name);
  }

  async mkdir(path: Uint8Array, mode: number): Promise<void> {
    const parts = await this.resolve(path, false);
    const { dir, name } = this.parentOf(parts);
    if (dir.entries.has(key(name))) throw new FsError('EEXIST', 'file exists');
    this.access(dir, 0o200);
    dir.entries.set(key(name), { name: name.slice(), node: this.newDir(mode & 0o7777 & ~this.umask, dir) });
    dir.nlink++;
    dir.mtime = this.now();
  }

  async rmdir(path: Uint8Array): Promise<void> {
    const parts = await this.resolve(path, false, false);
    if (parts.length === 0) throw new FsError('EBUSY', 'cannot remove the root');
    const { dir, name } = this.parentOf(parts);
    const e = dir.entries.get(key(name));
    if (!e) throw new FsError('ENOENT', 'no such file');
    if (e.node.kind !== 'dir') throw new FsError('ENOTDIR', 'not a directory');
    if (e.node.entries.size > 0) throw new FsError('ENOTEMPTY', 'directory not empty');
    this.access(dir, 0o200);
    dir.entries.delete(key(name));
    dir.nlink--;
    dir.mtime = this.now();
  }

  async realpath(path: Uint8Array): Promise<Uint8Array> {
    return joinAbsolute(await this.resolve(path, true));
  }

  async rename(from: Uint8Array, to: Uint8Array, overwrite: boolean): Promise<void> {
    const src = this.parentOf(await this.resolve(from, false, false));
    const dst = this.parentOf(await this.resolve(to, false));
    const e = src.dir.entries.get(key(src.name));
    if (!e) throw new FsError('ENOENT', 'no such file');
    const old = dst.dir.entries.get(key(dst.name));
    if (old === e) return;
    if (old && !overwrite) throw new FsError('EEXIST', 'file exists');
    this.access(src.dir, 0o200);
    this.access(dst.dir, 0o200);
    if (e.node.kind === 'dir') {
      for (let d: DirNode | null = dst.dir; d; d = d.parent) if (d === e.node) throw new FsError('EINVAL', 'cannot move a directory into itself');
    }
    if (old) {
      if (old.node.kind === 'dir' && e.node.kind !== 'dir') throw new FsError('EISDIR', 'is a directory');
      if (old.node.kind === 'dir' && old.node.entries.size > 0) throw new FsError('ENOTEMPTY', 'directory not empty');
      if (old.node.kind !== 'dir' && e.node.kind === 'dir') throw new FsError('ENOTDIR', 'not a directory');
      this.unlinkEntry(dst.dir, dst.name);
    }
    src.dir.entries.delete(key(src.name));
    dst.dir.entries.set(key(dst.name), { name: dst.name.slice(), node: e.node });
    if (e.node.kind === 'dir') {
      src.dir.nlink--;
      dst.dir.nlink++;
      e.node.parent = dst.dir;
    }
    src.dir.mtime = dst.dir.mtime = this.now();
  }

  async readlink(path: Uint8Array): Promise<Uint8Array> {
    const n = await this.existing(path, false);
    if (n.kind !== 'link') throw new FsError('EINVAL', 'not a symbolic link');
    return n.target.slice();
  }

  async symlink(target: Uint8Array, linkpath: Uint8Array): Promise<void> {
    const { dir, name } = this.parentOf(await this.resolve(linkpath, false));
    if (dir.entries.has(key(name))) throw new FsError('EEXIST', 'file exists');
    this.access(dir, 0o200);
    dir.entries.set(key(name), { name: name.slice(), node: { ...this.base(S_IF.LNK | 0o777), kind: 'link', target: target.slice() } });
  }

  async link(existing: Uint8Array, newpath: Uint8Array): Promise<void> {
    const n = await this.existing(existing, false);
    if (n.kind === 'dir') throw new FsError('EPERM', 'cannot hard-link a directory');
    const { dir, name } = this.parentOf(await this.resolve(newpath, false));
    if (dir.entries.has(key(name))) throw new FsError('EEXIST', 'file exists');
    this.access(dir, 0o200);
    dir.entries.set(key(name), { name: name.slice(), node: n });
    n.nlink++;
  }

  async statvfs(): Promise<FsStatVfs> {
    const blocks = Math.ceil(this.maxBytes / 4096);
    const free = Math.max(0, blocks - Math.ceil(this.used / 4096));
    return {
      bsize: 4096,
      frsize: 4096,
      blocks,
      bfree: free,
      bavail: free,
      files: 1 << 20,
      ffree: (1 << 20) - this.nextIno,
      favail: (1 << 20) - this.nextIno,
      fsid: 0,
      flag: 0,
      namemax: 255,
    };
  }

  async homeDirectory(): Promise<Uint8Array> {
    return joinAbsolute(this.cwd);
  }

  userName(uid: number): string {
    return this.options.users?.[uid] ?? '';
  }

  groupName(gid: number): string {
    return this.options.groups?.[gid] ?? '';
  }

  // ---- internals ----

  /** @internal Account for a file growing or shrinking; refuses to pass maxBytes. */
  charge(delta: number): void {
    if (delta > 0 && this.used + delta > this.maxBytes) throw new FsError('ENOSPC', 'no space left on device');
    this.used += delta;
  }

  private statOf(n: MemNode): FsStats {
    return statOf(n);
  }

  private apply(n: MemNode, a: FsSetAttrs): void {
    applyAttrs(this, n, a);
  }

  private access(n: MemNode, bit: number): void {
    access(n, bit);
  }

  private base(mode: number): NodeBase {
    const t = this.now();
    return { mode, uid: this.uid, gid: this.gid, atime: t, mtime: t, ino: this.nextIno++, nlink: 1 };
  }

  private newDir(mode: number, parent: DirNode | null): DirNode {
    return { ...this.base(S_IF.DIR | mode), kind: 'dir', entries: new Map(), parent, nlink: 2 };
  }

  private unlinkEntry(dir: DirNode, name: Uint8Array): void {
    const e = dir.entries.get(key(name));
    if (!e) return;
    dir.entries.delete(key(name));
    e.node.nlink--;
    if (e.node.kind === 'file' && e.node.nlink === 0) this.used -= e.node.size;
    dir.mtime = this.now();
  }

  private absolute(p: Uint8Array): Uint8Array {
    return p[0] === 0x2f ? p : joinAbsolute([...this.cwd, ...splitPath(p)]);
  }

  private walkSync(parts: readonly Uint8Array[]): MemNode | undefined {
    let n: MemNode = this.root;
    for (const c of parts) {
      if (n.kind !== 'dir') return undefined;
      const e = n.entries.get(key(c));
      if (!e) return undefined;
      n = e.node;
    }
    return n;
  }

  private readonly ops: ResolveOps = {
    kind: async (parts) => {
      const parent = this.walkSync(parts.slice(0, -1));
      if (parent?.kind !== 'dir') throw new FsError('ENOTDIR', 'not a directory');
      if ((parent.mode & 0o100) === 0) throw new FsError('EACCES', 'permission denied');
      const n = parent.entries.get(key(parts[parts.length - 1]!))?.node;
      return n === undefined ? null : n.kind === 'link' ? 'link' : n.kind === 'dir' ? 'dir' : 'other';
    },
    readlink: async (parts) => (this.walkSync(parts) as LinkNode).target,
  };

  private resolve(path: Uint8Array, followLast: boolean, allowMissingLast = true): Promise<Uint8Array[]> {
    if (path.length === 0) throw new FsError('ENOENT', 'empty path');
    return resolvePath(path, this.cwd, this.ops, followLast, allowMissingLast);
  }

  private async existing(path: Uint8Array, follow: boolean): Promise<MemNode> {
    const n = this.walkSync(await this.resolve(path, follow, false));
    if (!n) throw new FsError('ENOENT', 'no such file');
    return n;
  }

  private parentOf(parts: Uint8Array[]): { dir: DirNode; name: Uint8Array } {
    const name = parts[parts.length - 1];
    if (!name) throw new FsError('EISDIR', 'is the root directory');
    const dir = this.walkSync(parts.slice(0, -1));
    if (dir?.kind !== 'dir') throw new FsError('ENOTDIR', 'not a directory');
    return { dir, name };
  }
}

function statOf(n: MemNode): FsStats {
  const size = n.kind === 'file' ? n.size : n.kind === 'link' ? n.target.length : 4096;
  return { mode: n.mode, size, uid: n.uid, gid: n.gid, atime: n.atime, mtime: n.mtime, nlink: n.nlink, dev: 1, ino: n.ino };
}

/** Owner permission bits are checked (the tree has one owner). */
function access(n: MemNode, bit: number): void {
  if ((n.mode & bit) === 0) throw new FsError('EACCES', 'permission denied');
}

function applyAttrs(fs: MemoryFs, n: MemNode, a: FsSetAttrs): void {
  if (a.size !== undefined) {
    if (n.kind !== 'file') throw new FsError(n.kind === 'dir' ? 'EISDIR' : 'EINVAL', 'not a regular file');
    access(n, 0o200);
    resize(fs, n, a.size);
  }
  if (a.mode !== undefined) n.mode = (n.mode & S_IF.MT) | (a.mode & 0o7777);
  if (a.uid !== undefined && a.uid !== n.uid) throw new FsError('EPERM', 'operation not permitted');
  if (a.gid !== undefined && a.gid !== n.gid) throw new FsError('EPERM', 'operation not permitted');
  if (a.atime !== undefined) n.atime = a.atime;
  if (a.mtime !== undefined) n.mtime = a.mtime;
}

function resize(fs: MemoryFs, n: FileNode, size: number): void {
  fs.charge(size - n.size);
  if (size > n.data.length) {
    const grown = new Uint8Array(Math.max(size, Math.min(n.data.length * 2, size + (64 << 20))));
    grown.set(n.data.subarray(0, n.size));
    n.data = grown;
  } else if (size < n.size) n.data.fill(0, size, n.size);
  n.size = size;
  n.mtime = Math.floor(Date.now() / 1000);
}

class MemFile implements FsFile {
  constructor(
    private readonly fs: MemoryFs,
    private readonly node: MemNode,
    private readonly flags: FsOpenFlags,
  ) {}

  async read(buffer: Uint8Array, position: number): Promise<number> {
    const n = this.node;
    if (n.kind === 'dir') throw new FsError('EISDIR', 'is a directory');
    if (n.kind !== 'file' || !this.flags.read) throw new FsError('EBADF', 'not open for reading');
    if (position >= n.size) return 0;
    const len = Math.min(buffer.length, n.size - position);
    buffer.set(n.data.subarray(position, position + len));
    return len;
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    const n = this.node;
    if (n.kind !== 'file' || !this.flags.write) throw new FsError('EBADF', 'not open for writing');
    const at = this.flags.append ? n.size : position;
    if (at + data.length > n.size) resize(this.fs, n, at + data.length);
    n.data.set(data, at);
    n.mtime = Math.floor(Date.now() / 1000);
  }

  async stat(): Promise<FsStats> {
    return statOf(this.node);
  }

  async setstat(attrs: FsSetAttrs): Promise<void> {
    applyAttrs(this.fs, this.node, attrs);
  }

  async close(): Promise<void> {}

  async sync(): Promise<void> {}

  statvfs(): Promise<FsStatVfs> {
    return this.fs.statvfs();
  }
}
