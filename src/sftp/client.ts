/**
 * The SFTP v3 client (draft-ietf-secsh-filexfer-02 with OpenSSH's extensions, PROTOCOL §4).
 * Universal: it runs over any SftpStream, normally a session channel started with the
 * "sftp" subsystem (`SshClient.sftp()`). Every method may be called many times at once;
 * requests are pipelined by id.
 *
 * @example
 * ```ts
 * const sftp = await ssh.sftp();
 * await sftp.mkdir('upload');
 * const f = await sftp.open('upload/a.txt', 'w');
 * await f.write(new TextEncoder().encode('hello'));
 * await f.close();
 * for await (const e of sftp.list('upload')) console.log(e.filename, e.attrs.size);
 * ```
 */
import { SshError } from '../errors.js';
import type { Writer } from '../wire/writer.js';
import { writeAttrs, type SftpAttrs } from './attrs.js';
import { EXT, FXF, FXP, FX, SFTP_VERSION } from './constants.js';
import { SftpEngine, expectType, type RequestContext, type SftpStream } from './engine.js';
import { SftpOpUnsupportedError, sftpError } from './errors.js';
import { SftpDir } from './dir.js';
import { SftpFile } from './file.js';
import { decodeName, encodeName, displayName, type SftpPath } from './names.js';
import type { LocalFs } from './local.js';
import { decodeLimits, decodeStatVfs, decodeUsersGroups, type SftpLimits, type SftpName, type SftpStatVfs } from './packets.js';
import { sftpGet, sftpPut, type TransferOptions } from './transfer.js';

/** Options of {@link SftpClient}: packet size and limits, and server quirks (symlink argument order). */
export interface SftpClientOptions {
  /**
   * Argument order of SSH_FXP_SYMLINK. OpenSSH's sftp-server reads (target, link), the
   * reverse of filexfer-02 §6.10 (PROTOCOL §3.1). Default: 'openssh' if the server's SSH
   * version names OpenSSH, else 'standard'.
   */
  symlinkOrder?: 'openssh' | 'standard';
  /** the SSH server's version line, used to pick the symlink order */
  serverVersion?: string;
  /** largest packet accepted from the server (default 16 MiB) */
  maxPacket?: number;
  /**
   * Read/write sizes to use when the server does not announce limits@openssh.com
   * (default 32 KiB, which every server accepts; asyncssh, for one, takes far more).
   */
  limits?: Partial<SftpLimits>;
  /** local file access for get/put when their options name none (the Node entry's connect passes nodeLocalFs) */
  localFs?: LocalFs;
}

/** Read/write sizes when the server does not announce limits@openssh.com (what every server takes). */
export const DEFAULT_LIMITS: SftpLimits = { maxPacketLength: 34000, maxReadLength: 32768, maxWriteLength: 32768, maxOpenHandles: 0 };

/** open() modes in Node's notation, or SSH_FXF_* bits. */
export type OpenFlags = 'r' | 'r+' | 'w' | 'wx' | 'w+' | 'wx+' | 'a' | 'ax' | 'a+' | 'ax+' | number;

const MODE_FLAGS: Record<string, number> = {
  r: FXF.READ,
  'r+': FXF.READ | FXF.WRITE,
  w: FXF.WRITE | FXF.CREAT | FXF.TRUNC,
  wx: FXF.WRITE | FXF.CREAT | FXF.TRUNC | FXF.EXCL,
  'w+': FXF.READ | FXF.WRITE | FXF.CREAT | FXF.TRUNC,
  'wx+': FXF.READ | FXF.WRITE | FXF.CREAT | FXF.TRUNC | FXF.EXCL,
  a: FXF.WRITE | FXF.APPEND | FXF.CREAT,
  ax: FXF.WRITE | FXF.APPEND | FXF.CREAT | FXF.EXCL,
  'a+': FXF.READ | FXF.WRITE | FXF.APPEND | FXF.CREAT,
  'ax+': FXF.READ | FXF.WRITE | FXF.APPEND | FXF.CREAT | FXF.EXCL,
};

/** SSH_FXF_* bits for an fopen-style mode ('r', 'w', 'a+' ...) or passed through. */
export function openFlags(flags: OpenFlags): number {
  if (typeof flags === 'number') return flags;
  const f = MODE_FLAGS[flags];
  if (f === undefined) throw new SshError('INVAL', `unknown open mode "${flags}"`);
  return f;
}

/**
 * An SFTP v3 client (draft-ietf-secsh-filexfer-02) over a subsystem channel. Paths are
 * strings (UTF-8) or raw bytes.
 */
export class SftpClient {
  /** server limits (limits@openssh.com, or conservative defaults) */
  limits: SftpLimits = DEFAULT_LIMITS;

  private constructor(
    /** @internal the request engine, shared with files and directories */
    readonly engine: SftpEngine,
    /** the protocol version the server answered with */
    readonly version: number,
    /** extensions the server announced, name → data */
    readonly extensions: ReadonlyMap<string, Uint8Array>,
    private readonly symlinkOrder: 'openssh' | 'standard',
    /** local file access for get/put when their options name none */
    readonly localFs: LocalFs | undefined,
  ) {}

  /** Run the INIT/VERSION exchange over `stream` and query limits@openssh.com if announced. */
  static async open(stream: SftpStream, options: SftpClientOptions = {}): Promise<SftpClient> {
    const engine = new SftpEngine(stream, options.maxPacket);
    let v: Awaited<ReturnType<SftpEngine['init']>>;
    try {
      v = await engine.init(SFTP_VERSION);
    } catch (e) {
      engine.abandon();
      throw e;
    }
    if (v.version < 3) {
      engine.abandon();
      throw new SshError('SFTP_PROTOCOL', `the server speaks SFTP version ${v.version}; version 3 is required`);
    }
    const order = options.symlinkOrder ?? (/OpenSSH/i.test(options.serverVersion ?? '') ? 'openssh' : 'standard');
    const client = new SftpClient(engine, Math.min(v.version, SFTP_VERSION), v.extensions, order, options.localFs);
    client.limits = { ...DEFAULT_LIMITS, ...options.limits };
    if (client.hasExtension(EXT.LIMITS)) {
      let l: ReturnType<typeof decodeLimits>;
      try {
        l = decodeLimits(await client.extended(EXT.LIMITS, () => {}, {}));
      } catch (e) {
        engine.abandon();
        throw e;
      }
      client.limits = {
        maxPacketLength: l.maxPacketLength || DEFAULT_LIMITS.maxPacketLength,
        maxReadLength: l.maxReadLength || DEFAULT_LIMITS.maxReadLength,
        maxWriteLength: l.maxWriteLength || DEFAULT_LIMITS.maxWriteLength,
        maxOpenHandles: l.maxOpenHandles,
      };
    }
    return client;
  }

  /** Whether the server announced extension `name` (and, if given, that version string). */
  hasExtension(name: string, version?: string): boolean {
    const data = this.extensions.get(name);
    if (data === undefined) return false;
    return version === undefined || decodeName(data) === version;
  }

  /** Close the SFTP channel. Open files and pending requests fail with CONNECTION_LOST. */
  end(): Promise<void> {
    return this.engine.close();
  }

  // ------------------------------------------------------------------ files and directories

  /** SSH_FXP_OPEN (filexfer-02 §6.3). */
  async open(path: SftpPath, flags: OpenFlags = 'r', attrs: SftpAttrs = {}): Promise<SftpFile> {
    const ctx = { request: 'OPEN', path };
    const r = await this.engine.send(FXP.OPEN, 64, (w) => writeAttrs(w.string(encodeName(path)).u32(openFlags(flags)), attrs), ctx);
    return new SftpFile(this, expectType(r, FXP.HANDLE, ctx).handle, path);
  }

  /** SSH_FXP_OPENDIR (filexfer-02 §6.7). */
  async opendir(path: SftpPath): Promise<SftpDir> {
    const ctx = { request: 'OPENDIR', path };
    const r = await this.engine.send(FXP.OPENDIR, 64, (w) => w.string(encodeName(path)), ctx);
    return new SftpDir(this, expectType(r, FXP.HANDLE, ctx).handle, path);
  }

  /** Every entry of a directory; "." and ".." only with `dotEntries`. */
  async readdir(path: SftpPath, options: { dotEntries?: boolean } = {}): Promise<SftpName[]> {
    const out: SftpName[] = [];
    for await (const e of this.list(path, options)) out.push(e);
    return out;
  }

  /** Stream a directory's entries, one READDIR batch at a time (large directories stay cheap). */
  async *list(path: SftpPath, options: { dotEntries?: boolean } = {}): AsyncGenerator<SftpName> {
    const dir = await this.opendir(path);
    try {
      for await (const e of dir) {
        if (!options.dotEntries && (e.filename === '.' || e.filename === '..')) continue;
        yield e;
      }
    } finally {
      await dir.close().catch(() => {});
    }
  }

  // ------------------------------------------------------------------ transfers

  /** Download `remote` to `localPath` (pipelined; temp name + rename; see TransferOptions). */
  get(remote: SftpPath, localPath: string, options?: TransferOptions): Promise<number> {
    return sftpGet(this, remote, localPath, options);
  }

  /** Upload `localPath` to `remote` (pipelined; temp name + rename; see TransferOptions). */
  put(localPath: string, remote: SftpPath, options?: TransferOptions): Promise<number> {
    return sftpPut(this, localPath, remote, options);
  }

  /** The whole contents of a remote file (pipelined reads). */
  async readFile(path: SftpPath): Promise<Uint8Array> {
    const f = await this.open(path, 'r');
    try {
      return await f.readAll();
    } finally {
      await f.close().catch(() => {});
    }
  }

  /** Create or replace a remote file with `data` (pipelined writes). */
  async writeFile(path: SftpPath, data: Uint8Array, attrs: SftpAttrs = {}): Promise<void> {
    const f = await this.open(path, 'w', attrs);
    try {
      await f.write(data, 0);
    } catch (e) {
      await f.close().catch(() => {});
      throw e;
    }
    await f.close();
  }

  // ------------------------------------------------------------------ paths

  /** STAT: attributes, following symbolic links. */
  stat(path: SftpPath): Promise<SftpAttrs> {
    return this.attrsOf(FXP.STAT, 'STAT', path);
  }

  /** LSTAT: attributes of a link itself. */
  lstat(path: SftpPath): Promise<SftpAttrs> {
    return this.attrsOf(FXP.LSTAT, 'LSTAT', path);
  }

  /** STAT that answers null when the path does not exist. */
  async exists(path: SftpPath): Promise<SftpAttrs | null> {
    try {
      return await this.stat(path);
    } catch (e) {
      if (e instanceof SshError && (e as { status?: number }).status === FX.NO_SUCH_FILE) return null;
      throw e;
    }
  }

  /** SETSTAT: change the attributes given. */
  setstat(path: SftpPath, attrs: SftpAttrs): Promise<void> {
    return this.engine.status(FXP.SETSTAT, 64, (w) => writeAttrs(w.string(encodeName(path)), attrs), { request: 'SETSTAT', path });
  }

  /** SETSTAT on the link itself, not its target (lsetstat@openssh.com). */
  async lsetstat(path: SftpPath, attrs: SftpAttrs): Promise<void> {
    this.need(EXT.LSETSTAT, 'LSETSTAT', path);
    await this.extended(EXT.LSETSTAT, (w) => writeAttrs(w.string(encodeName(path)), attrs), { path });
  }

  /** Set the permission bits. */
  chmod(path: SftpPath, mode: number): Promise<void> {
    return this.setstat(path, { permissions: mode });
  }

  /** Set the owner and group ids. */
  chown(path: SftpPath, uid: number, gid: number): Promise<void> {
    return this.setstat(path, { uid, gid });
  }

  /** Set access and modification times (seconds since the epoch). */
  utimes(path: SftpPath, atime: number, mtime: number): Promise<void> {
    return this.setstat(path, { atime, mtime });
  }

  /** Set the size. */
  truncate(path: SftpPath, size: number): Promise<void> {
    return this.setstat(path, { size });
  }

  /** MKDIR. */
  mkdir(path: SftpPath, attrs: SftpAttrs = {}): Promise<void> {
    return this.engine.status(FXP.MKDIR, 64, (w) => writeAttrs(w.string(encodeName(path)), attrs), { request: 'MKDIR', path });
  }

  /** RMDIR. */
  rmdir(path: SftpPath): Promise<void> {
    return this.pathStatus(FXP.RMDIR, 'RMDIR', path);
  }

  /** SSH_FXP_REMOVE (a file, not a directory). */
  remove(path: SftpPath): Promise<void> {
    return this.pathStatus(FXP.REMOVE, 'REMOVE', path);
  }

  /** REMOVE a file. */
  unlink(path: SftpPath): Promise<void> {
    return this.remove(path);
  }

  /** SSH_FXP_RENAME; fails if `newPath` exists (filexfer-02 §6.5). */
  rename(oldPath: SftpPath, newPath: SftpPath): Promise<void> {
    return this.engine.status(FXP.RENAME, 64, (w) => w.string(encodeName(oldPath)).string(encodeName(newPath)), {
      request: 'RENAME',
      path: pair(oldPath, newPath),
    });
  }

  /** rename(2) semantics, replacing `newPath` (posix-rename@openssh.com). */
  async posixRename(oldPath: SftpPath, newPath: SftpPath): Promise<void> {
    const path = pair(oldPath, newPath);
    this.need(EXT.POSIX_RENAME, 'POSIX-RENAME', path);
    await this.extended(EXT.POSIX_RENAME, (w) => w.string(encodeName(oldPath)).string(encodeName(newPath)), { path });
  }

  /** Canonical absolute path (SSH_FXP_REALPATH, filexfer-02 §6.11). */
  async realpath(path: SftpPath): Promise<string> {
    return (await this.oneName(FXP.REALPATH, 'REALPATH', path)).filename;
  }

  /** REALPATH, the name as raw bytes. */
  async realpathBytes(path: SftpPath): Promise<Uint8Array> {
    return (await this.oneName(FXP.REALPATH, 'REALPATH', path)).filenameBytes;
  }

  /** READLINK, the target decoded as UTF-8. */
  async readlink(path: SftpPath): Promise<string> {
    return (await this.oneName(FXP.READLINK, 'READLINK', path)).filename;
  }

  /** READLINK, the target as raw bytes. */
  async readlinkBytes(path: SftpPath): Promise<Uint8Array> {
    return (await this.oneName(FXP.READLINK, 'READLINK', path)).filenameBytes;
  }

  /** Create `linkPath` pointing at `target` (SSH_FXP_SYMLINK, with OpenSSH's argument order when needed). */
  symlink(target: SftpPath, linkPath: SftpPath): Promise<void> {
    const [a, b] = this.symlinkOrder === 'openssh' ? [target, linkPath] : [linkPath, target];
    return this.engine.status(FXP.SYMLINK, 64, (w) => w.string(encodeName(a)).string(encodeName(b)), { request: 'SYMLINK', path: linkPath });
  }

  /** hardlink@openssh.com: `newPath` becomes another name of `oldPath`. */
  async hardlink(oldPath: SftpPath, newPath: SftpPath): Promise<void> {
    const path = pair(oldPath, newPath);
    this.need(EXT.HARDLINK, 'HARDLINK', path);
    await this.extended(EXT.HARDLINK, (w) => w.string(encodeName(oldPath)).string(encodeName(newPath)), { path });
  }

  /** statvfs@openssh.com (OpenSSH PROTOCOL §4.4): filesystem statistics. */
  async statvfs(path: SftpPath): Promise<SftpStatVfs> {
    this.need(EXT.STATVFS, 'STATVFS', path);
    return decodeStatVfs(await this.extended(EXT.STATVFS, (w) => w.string(encodeName(path)), { path }));
  }

  /** Expand "~" and "~user" and canonicalise (expand-path@openssh.com). */
  async expandPath(path: SftpPath): Promise<string> {
    this.need(EXT.EXPAND_PATH, 'EXPAND-PATH', path);
    return (await this.extendedName(EXT.EXPAND_PATH, path)).filename;
  }

  /** A user's home directory (home-directory; the empty name is ours). */
  async homeDirectory(user = ''): Promise<string> {
    this.need(EXT.HOME_DIRECTORY, 'HOME-DIRECTORY', user);
    return (await this.extendedName(EXT.HOME_DIRECTORY, user)).filename;
  }

  /** User and group names for ids (users-groups-by-id@openssh.com); unknown ids map to "". */
  async usersGroupsById(uids: readonly number[], gids: readonly number[]): Promise<{ users: string[]; groups: string[] }> {
    this.need(EXT.USERS_GROUPS_BY_ID, 'USERS-GROUPS-BY-ID');
    const ids = (w: Writer, list: readonly number[]): void => {
      w.u32(list.length * 4);
      for (const id of list) w.u32(id);
    };
    const data = await this.extended(
      EXT.USERS_GROUPS_BY_ID,
      (w) => {
        ids(w, uids);
        ids(w, gids);
      },
      {},
    );
    const r = decodeUsersGroups(data);
    if (r.users.length !== uids.length || r.groups.length !== gids.length) {
      throw new SshError('SFTP_PROTOCOL', `users-groups-by-id: asked for ${uids.length}/${gids.length} names, got ${r.users.length}/${r.groups.length}`);
    }
    return r;
  }

  // ------------------------------------------------------------------ internals shared with file/dir

  /** @internal Throw OP_UNSUPPORTED unless the server announced extension `name`. */
  need(name: string, request: string, path?: SftpPath): void {
    if (!this.extensions.has(name)) throw new SftpOpUnsupportedError(FX.OP_UNSUPPORTED, `the server does not support ${name}`, path, request);
  }

  /** @internal SSH_FXP_EXTENDED: resolves with the EXTENDED_REPLY data, or an empty array for STATUS OK. */
  async extended(name: string, body: (w: Writer) => void, ctx: { path?: SftpPath }): Promise<Uint8Array> {
    const c: RequestContext = { request: name, path: ctx.path };
    const r = await this.engine.send(FXP.EXTENDED, 64, (w) => body(w.string(name)), c);
    if (r.type === FXP.STATUS) {
      if (r.code === FX.OK) return new Uint8Array(0);
      throw sftpError(r.code, r.message, c.path, c.request);
    }
    return expectType(r, FXP.EXTENDED_REPLY, c).data;
  }

  private async extendedName(name: string, arg: SftpPath): Promise<SftpName> {
    const ctx = { request: name, path: arg };
    const r = await this.engine.send(FXP.EXTENDED, 64, (w) => w.string(name).string(encodeName(arg)), ctx);
    return single(expectType(r, FXP.NAME, ctx).names, ctx);
  }

  private async attrsOf(type: number, request: string, path: SftpPath): Promise<SftpAttrs> {
    const ctx = { request, path };
    const r = await this.engine.send(type, 64, (w) => w.string(encodeName(path)), ctx);
    return expectType(r, FXP.ATTRS, ctx).attrs;
  }

  private pathStatus(type: number, request: string, path: SftpPath): Promise<void> {
    return this.engine.status(type, 64, (w) => w.string(encodeName(path)), { request, path });
  }

  private async oneName(type: number, request: string, path: SftpPath): Promise<SftpName> {
    const ctx = { request, path };
    const r = await this.engine.send(type, 64, (w) => w.string(encodeName(path)), ctx);
    return single(expectType(r, FXP.NAME, ctx).names, ctx);
  }
}

function single(names: SftpName[], ctx: RequestContext): SftpName {
  if (names.length !== 1) throw new SshError('SFTP_PROTOCOL', `SFTP ${ctx.request}: expected one name, got ${names.length}`);
  return names[0]!;
}

function pair(a: SftpPath, b: SftpPath): string {
  return `${displayName(a)} -> ${displayName(b)}`;
}
