/**
 * The SFTP v3 server (draft-ietf-secsh-filexfer-02, with OpenSSH's extensions, PROTOCOL §4)
 * over any ByteStream: an SSH session channel running the "sftp" subsystem, a process's
 * stdin/stdout, or an in-memory pipe. The files come from an SftpFileSystem.
 *
 * Requests run concurrently: reads and writes on one handle all proceed at once (their
 * offsets are explicit); any other request on a handle waits for the requests before it on
 * that handle, and path requests run one after another in arrival order. Replies go out in
 * request order, as OpenSSH's sftp-server (which runs requests one at a time) sends them:
 * the draft allows any order, but clients rely on this one (PuTTY's pscp takes a READ reply
 * that overtakes an earlier one for a lost connection). At most `maxInFlight` requests run or
 * wait to be answered at a time; beyond that the server stops reading, so a client cannot
 * make it buffer without bound.
 *
 * Status codes and messages follow OpenSSH's sftp-server (sftp-server.c), so clients see
 * the same failures from either.
 */
import { ProtocolError } from '../../errors.js';
import type { ByteStream } from '../../transport/stream.js';
import { Reader } from '../../wire/reader.js';
import { FX, FXP, SFTP_VERSION } from '../constants.js';
import { readAttrs, type SftpAttrs } from '../attrs.js';
import {
  attrsPacket,
  dataPacket,
  extendedReplyPacket,
  finishDataPacket,
  handlePacket,
  namePacket,
  statusPacket,
  versionPacket,
  type SftpNameOut,
} from '../packets.js';
import { FsError, fsErrorStatus, openFlagsOf, type FsOpenFlags, type SftpFileSystem } from './fs.js';
import { HandleTable, handleBytes, type Handle } from './handles.js';
import { longName } from './longname.js';
import {
  describeFlags,
  EXTENDED_NAME,
  EXTENSIONS,
  StatusReply,
  statusMessage,
  statvfsPacket,
  toAttrs,
  toSetAttrs,
  usersGroupsPacket,
  WRITES,
} from './protocol.js';
import { utf8 } from './path.js';

/** OpenSSH's largest SFTP packet (sftp-common.h SFTP_MAX_MSG_LENGTH). */
export const SFTP_MAX_PACKET = 256 * 1024;
/** Largest read or write it serves in one request (the packet less room for headers). */
export const SFTP_MAX_DATA = SFTP_MAX_PACKET - 1024;

/** A request name as OpenSSH's sftp-server -p/-P lists them (`sftp-server -Q requests`). */
export type SftpRequestName =
  | 'open'
  | 'close'
  | 'read'
  | 'write'
  | 'lstat'
  | 'fstat'
  | 'setstat'
  | 'fsetstat'
  | 'opendir'
  | 'readdir'
  | 'remove'
  | 'mkdir'
  | 'rmdir'
  | 'realpath'
  | 'stat'
  | 'rename'
  | 'readlink'
  | 'symlink'
  | 'posix-rename'
  | 'statvfs'
  | 'fstatvfs'
  | 'hardlink'
  | 'fsync'
  | 'lsetstat'
  | 'limits'
  | 'expand-path'
  | 'copy-data'
  | 'home-directory'
  | 'users-groups-by-id';

/** What the authorize hook is asked about. */
export interface SftpRequestInfo {
  name: SftpRequestName;
  /** whether the request changes the file system (refused in read-only mode) */
  writes: boolean;
  /** the path(s) it names (for handle requests: the path the handle was opened with) */
  paths: Uint8Array[];
  /** open's flags */
  flags?: FsOpenFlags;
}

/** Options of {@link SftpServer}. */
export interface SftpServerOptions {
  /** the files to serve */
  fs: SftpFileSystem;
  /** refuse every request that would change the file system (sftp-server -R) */
  readOnly?: boolean;
  /** called for each request; false (or a rejection) refuses it with SSH_FX_PERMISSION_DENIED */
  authorize?: (request: SftpRequestInfo) => boolean | Promise<boolean>;
  /** most handles open at once (default 1024); more opens fail with SSH_FX_FAILURE */
  maxHandles?: number;
  /** most requests processed at once (default 64); beyond, the server stops reading */
  maxInFlight?: number;
  /**
   * SSH_FXP_SYMLINK argument order: 'openssh' (default) reads (target, linkpath) as OpenSSH's
   * sftp-server does (PROTOCOL §3.1); 'standard' reads (linkpath, target) as filexfer-02 §6.10.
   */
  symlinkOrder?: 'openssh' | 'standard';
  /** log lines in sftp-server's words (open, close, remove ...) */
  log?: (line: string) => void;
}

/** Entries per READDIR reply (sftp-server.c sends up to 100) and a byte budget for them. */
const READDIR_BATCH = 100;
const READDIR_BYTES = 128 * 1024;

const show = (b: Uint8Array): string => new TextDecoder().decode(b);

/**
 * An SFTP v3 server over a byte stream.
 *
 * @example
 * ```ts
 * const fs = new MemoryFs();
 * fs.writeFile('/readme.txt', 'hello');
 * const server = new SftpServer(channel.byteStream(), { fs, readOnly: true });
 * await server.serve(); // until the client goes away
 * ```
 */
export class SftpServer {
  private readonly fs: SftpFileSystem;
  private readonly handles: HandleTable;
  private readonly maxInFlight: number;
  private inFlight = 0;
  /** settles when the latest request's reply has been handed to the stream */
  private replyChain: Promise<void> = Promise.resolve();
  private slotFree: (() => void) | null = null;
  private readonly running = new Set<Promise<void>>();
  /** settles when the previous path request has finished */
  private pathChain: Promise<void> = Promise.resolve();
  private initialized = false;
  private closed = false;

  constructor(
    private readonly stream: ByteStream,
    private readonly options: SftpServerOptions,
  ) {
    this.fs = options.fs;
    this.handles = new HandleTable(options.maxHandles ?? 1024);
    this.maxInFlight = options.maxInFlight ?? 64;
  }

  /** Number of handles open now. */
  get openHandles(): number {
    return this.handles.size;
  }

  /**
   * Serve until the stream ends or the client breaks the protocol (then the stream is
   * closed). Open handles are closed before this resolves; it never rejects.
   */
  async serve(): Promise<void> {
    try {
      await this.readLoop();
    } catch (e) {
      this.log(`session ended: ${(e as Error).message}`);
    }
    this.closed = true;
    await Promise.allSettled([...this.running]);
    for (const h of this.handles.drain()) {
      this.logClose(h, 'forced ');
      await (h.kind === 'file' ? h.file.close() : h.dir.close()).catch(() => {});
    }
    this.stream.close();
  }

  /** Stop serving: the stream is closed and serve() resolves once running requests end. */
  close(): void {
    this.closed = true;
    this.stream.close();
  }

  // ---- framing ----

  private async readLoop(): Promise<void> {
    let pending: Uint8Array[] = [];
    let have = 0;
    let need = 0;
    let lenBuf = new Uint8Array(0);
    for (;;) {
      const chunk = await this.stream.read();
      if (chunk === null || this.closed) return;
      let off = 0;
      while (off < chunk.length) {
        if (need === 0) {
          // The 4-byte length, possibly split across chunks.
          const take = Math.min(4 - lenBuf.length, chunk.length - off);
          const nb = new Uint8Array(lenBuf.length + take);
          nb.set(lenBuf);
          nb.set(chunk.subarray(off, off + take), lenBuf.length);
          lenBuf = nb;
          off += take;
          if (lenBuf.length < 4) break;
          need = new DataView(lenBuf.buffer).getUint32(0);
          lenBuf = new Uint8Array(0);
          if (need === 0 || need > SFTP_MAX_PACKET) throw new ProtocolError(`bad message: packet length ${need}`, 'SFTP_PROTOCOL');
          continue;
        }
        const take = Math.min(need - have, chunk.length - off);
        pending.push(chunk.subarray(off, off + take));
        have += take;
        off += take;
        if (have < need) break;
        // Whole packet: a view of the chunk when it lay in one, else a copy of its pieces.
        let packet: Uint8Array;
        if (pending.length === 1) packet = pending[0]!;
        else {
          packet = new Uint8Array(need);
          let at = 0;
          for (const p of pending) {
            packet.set(p, at);
            at += p.length;
          }
        }
        pending = [];
        have = 0;
        need = 0;
        await this.dispatch(packet);
      }
    }
  }

  private async acquireSlot(): Promise<void> {
    while (this.inFlight >= this.maxInFlight) await new Promise<void>((r) => (this.slotFree = r));
    this.inFlight++;
  }

  private releaseSlot(): void {
    this.inFlight--;
    const f = this.slotFree;
    this.slotFree = null;
    f?.();
  }

  private send(packet: Uint8Array): Promise<void> | void {
    // ByteStreams write in call order (a Channel does), so replies need no queue of their own.
    return this.stream.write(packet);
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  // ---- dispatch ----

  private async dispatch(p: Uint8Array): Promise<void> {
    const type = p[0]!;
    if (type === FXP.INIT) {
      const r = new Reader(p, 1, 'SSH_FXP_INIT');
      const version = r.u32('version');
      this.log(`received client version ${version}`);
      this.initialized = true;
      await this.send(versionPacket(SFTP_VERSION, EXTENSIONS));
      return;
    }
    // sftp-server.c: any request before INIT ends the session.
    if (!this.initialized) throw new ProtocolError(`received ${type} request before init`, 'SFTP_PROTOCOL');
    if (p.length < 5) throw new ProtocolError(`bad message: packet of type ${type} without a request id`, 'SFTP_PROTOCOL');
    const r = new Reader(p, 1, 'SFTP request');
    const id = r.u32('request id');
    await this.acquireSlot();
    let started: Promise<Uint8Array | undefined>;
    try {
      started = this.start(type, id, r);
    } catch (e) {
      // A request whose fields do not parse: BAD_MESSAGE for it, the session goes on.
      started = Promise.reject(e);
    }
    const reply = started.then(
      (packet) => packet,
      (e: unknown) => this.failure(id, e),
    );
    // Sent once every earlier request has been answered.
    const task = Promise.all([this.replyChain, reply]).then(([, packet]) => packet && this.send(packet));
    this.replyChain = task.then(
      () => {},
      () => {},
    );
    const done = task.then(
      () => this.releaseSlot(),
      () => this.releaseSlot(),
    );
    this.running.add(done);
    void done.then(() => this.running.delete(done));
  }

  private failure(id: number, e: unknown): Uint8Array {
    if (e instanceof StatusReply) return statusPacket(id, e.code, e.text ?? statusMessage(e.code));
    if (e instanceof ProtocolError) return statusPacket(id, FX.BAD_MESSAGE, statusMessage(FX.BAD_MESSAGE));
    const code = fsErrorStatus(e);
    return statusPacket(id, code, statusMessage(code));
  }

  /** Check read-only mode and the application's hook; refusals are PERMISSION_DENIED. */
  private async permit(info: SftpRequestInfo): Promise<void> {
    if (this.options.readOnly && info.writes) {
      this.log(`Refusing ${info.name} request in read-only mode`);
      throw new StatusReply(FX.PERMISSION_DENIED);
    }
    if (this.options.authorize) {
      let ok: boolean;
      try {
        ok = await this.options.authorize(info);
      } catch {
        ok = false;
      }
      if (!ok) {
        this.log(`Refusing ${info.name} request`);
        throw new StatusReply(FX.PERMISSION_DENIED);
      }
    }
  }

  /** Run a path request after the path requests before it. */
  private serialPath<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.pathChain;
    const run = prev.then(fn);
    this.pathChain = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  /** Run a request on a handle after every earlier request on it. */
  private serialHandle<T>(h: Handle, fn: () => Promise<T>): Promise<T> {
    const prev = h.barrier;
    const io = [...h.io];
    const run = prev.then(() => Promise.allSettled(io)).then(fn);
    h.barrier = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  /** Run a read or write: after earlier non-I/O requests on the handle, beside other I/O. */
  private ioHandle<T>(h: Handle, fn: () => Promise<T>): Promise<T> {
    const run = h.barrier.then(fn);
    const settled = run.then(
      () => {},
      () => {},
    );
    h.io.add(settled);
    void settled.then(() => h.io.delete(settled));
    return run;
  }

  private path(r: Reader, what = 'path'): Uint8Array {
    return r.string(what);
  }

  /** Decode and start one request; resolves with the reply packet. */
  private start(type: number, id: number, r: Reader): Promise<Uint8Array | undefined> {
    switch (type) {
      case FXP.OPEN: {
        const path = this.path(r);
        const pflags = r.u32('pflags');
        const attrs = readAttrs(r);
        return this.serialPath(() => this.open(id, path, pflags, attrs));
      }
      case FXP.CLOSE:
        return this.close_(id, r.string('handle'));
      case FXP.READ: {
        const hb = r.string('handle');
        const offset = r.u64('offset');
        const len = r.u32('length');
        return this.read(id, hb, offset, len);
      }
      case FXP.WRITE: {
        const hb = r.string('handle');
        const offset = r.u64('offset');
        const data = r.string('data');
        return this.write(id, hb, offset, data);
      }
      case FXP.LSTAT:
      case FXP.STAT: {
        const path = this.path(r);
        const name = type === FXP.STAT ? 'stat' : 'lstat';
        return this.pathOp(id, name, [path], async () => attrsPacket(id, toAttrs(await (type === FXP.STAT ? this.fs.stat(path) : this.fs.lstat(path)))));
      }
      case FXP.FSTAT: {
        const h = this.handles.get(r.string('handle'), 'file');
        return this.handleOp(id, 'fstat', h, FX.FAILURE, async (fh) => attrsPacket(id, toAttrs(await fh.file.stat())));
      }
      case FXP.SETSTAT: {
        const path = this.path(r);
        const attrs = toSetAttrs(readAttrs(r));
        return this.pathOp(id, 'setstat', [path], async () => this.ok(id, await this.fs.setstat(path, attrs)));
      }
      case FXP.FSETSTAT: {
        const h = this.handles.get(r.string('handle'), 'file');
        const attrs = toSetAttrs(readAttrs(r));
        return this.handleOp(id, 'fsetstat', h, FX.FAILURE, async (fh) => this.ok(id, await fh.file.setstat(attrs)));
      }
      case FXP.OPENDIR: {
        const path = this.path(r);
        return this.serialPath(() => this.opendir(id, path));
      }
      case FXP.READDIR: {
        const h = this.handles.get(r.string('handle'), 'dir');
        return this.handleOp(id, 'readdir', h, FX.FAILURE, async (dh) => this.readdir(id, dh));
      }
      case FXP.REMOVE: {
        const path = this.path(r);
        return this.pathOp(id, 'remove', [path], async () => this.ok(id, await this.fs.remove(path)));
      }
      case FXP.MKDIR: {
        const path = this.path(r);
        const a = readAttrs(r);
        const mode = a.permissions !== undefined ? a.permissions & 0o7777 : 0o777;
        this.log(`mkdir name "${show(path)}" mode 0${mode.toString(8)}`);
        return this.pathOp(id, 'mkdir', [path], async () => this.ok(id, await this.fs.mkdir(path, mode)));
      }
      case FXP.RMDIR: {
        const path = this.path(r);
        return this.pathOp(id, 'rmdir', [path], async () => this.ok(id, await this.fs.rmdir(path)));
      }
      case FXP.REALPATH: {
        const p = this.path(r);
        const path = p.length === 0 ? utf8.encode('.') : p;
        return this.pathOp(id, 'realpath', [path], async () => this.oneName(id, await this.fs.realpath(path)));
      }
      case FXP.RENAME: {
        const from = this.path(r, 'oldpath');
        const to = this.path(r, 'newpath');
        this.log(`rename old "${show(from)}" new "${show(to)}"`);
        return this.pathOp(id, 'rename', [from, to], async () => this.ok(id, await this.fs.rename(from, to, false)));
      }
      case FXP.READLINK: {
        const path = this.path(r);
        return this.pathOp(id, 'readlink', [path], async () => this.oneName(id, await this.fs.readlink(path)));
      }
      case FXP.SYMLINK: {
        const a = this.path(r);
        const b = this.path(r);
        const [target, link] = this.options.symlinkOrder === 'standard' ? [b, a] : [a, b];
        this.log(`symlink old "${show(target)}" new "${show(link)}"`);
        return this.pathOp(id, 'symlink', [link, target], async () => this.ok(id, await this.fs.symlink(target, link)));
      }
      case FXP.EXTENDED:
        return this.extended(id, r);
      default:
        // sftp-server.c logs and drops it; filexfer-02 §8 wants OP_UNSUPPORTED, which ends a client's wait.
        this.log(`Unknown message ${type}`);
        return Promise.resolve(statusPacket(id, FX.OP_UNSUPPORTED, statusMessage(FX.OP_UNSUPPORTED)));
    }
  }

  private ok(id: number, _done?: void): Uint8Array {
    return statusPacket(id, FX.OK, statusMessage(FX.OK));
  }

  private oneName(id: number, name: Uint8Array): Uint8Array {
    return namePacket(id, [{ filename: name, longname: name, attrs: {} }]);
  }

  private pathOp(id: number, name: SftpRequestName, paths: Uint8Array[], fn: () => Promise<Uint8Array>): Promise<Uint8Array> {
    return this.serialPath(async () => {
      await this.permit({ name, writes: WRITES.has(name), paths });
      return fn();
    });
  }

  private handleOp<H extends Handle>(
    id: number,
    name: SftpRequestName,
    h: H | undefined,
    badHandle: number,
    fn: (h: H) => Promise<Uint8Array>,
  ): Promise<Uint8Array> {
    if (!h) return Promise.resolve(statusPacket(id, badHandle, statusMessage(badHandle)));
    return this.serialHandle(h, async () => {
      await this.permit({ name, writes: WRITES.has(name), paths: [h.path] });
      return fn(h);
    });
  }

  // ---- requests ----

  private async open(id: number, path: Uint8Array, pflags: number, attrs: SftpAttrs): Promise<Uint8Array> {
    const flags = openFlagsOf(pflags);
    if (!flags.read && !flags.write) flags.read = true; // O_RDONLY is 0 (sftp-server.c flags_from_portable)
    const mode = attrs.permissions ?? 0o666;
    this.log(`open "${show(path)}" flags ${describeFlags(flags)} mode 0${mode.toString(8)}`);
    if (this.options.readOnly && (flags.write || flags.create || flags.truncate)) {
      this.log('Refusing open request in read-only mode');
      throw new StatusReply(FX.PERMISSION_DENIED);
    }
    await this.permit({ name: 'open', writes: flags.write || flags.create || flags.truncate, paths: [path], flags });
    if (this.handles.size >= this.handles.max) throw new StatusReply(FX.FAILURE);
    const file = await this.fs.open(path, flags, mode);
    const h = this.handles.add({ kind: 'file', path: path.slice(), file, flags });
    if (!h || this.closed) {
      await file.close().catch(() => {});
      throw new StatusReply(FX.FAILURE);
    }
    return handlePacket(id, handleBytes(h));
  }

  private async opendir(id: number, path: Uint8Array): Promise<Uint8Array> {
    this.log(`opendir "${show(path)}"`);
    await this.permit({ name: 'opendir', writes: false, paths: [path] });
    if (this.handles.size >= this.handles.max) throw new StatusReply(FX.FAILURE);
    const dir = await this.fs.opendir(path);
    const h = this.handles.add({ kind: 'dir', path: path.slice(), dir, carry: [] });
    if (!h || this.closed) {
      await dir.close().catch(() => {});
      throw new StatusReply(FX.FAILURE);
    }
    return handlePacket(id, handleBytes(h));
  }

  private close_(id: number, hb: Uint8Array): Promise<Uint8Array> {
    const h = this.handles.get(hb);
    // sftp-server.c: closing an unknown handle is ENOENT.
    if (!h) return Promise.resolve(statusPacket(id, FX.NO_SUCH_FILE, statusMessage(FX.NO_SUCH_FILE)));
    // Later requests naming this handle find it gone, as after the close in sftp-server.
    this.handles.delete(h);
    return this.serialHandle(h, async () => {
      this.logClose(h, '');
      await (h.kind === 'file' ? h.file.close() : h.dir.close());
      return this.ok(id);
    });
  }

  private logClose(h: Handle, prefix: string): void {
    if (h.kind === 'file') this.log(`${prefix}close "${show(h.path)}" bytes read ${h.bytesRead} written ${h.bytesWritten}`);
    else this.log(`${prefix}closedir "${show(h.path)}"`);
  }

  private read(id: number, hb: Uint8Array, offset: bigint, len: number): Promise<Uint8Array> {
    const h = this.handles.get(hb, 'file');
    if (!h) return Promise.resolve(statusPacket(id, FX.FAILURE, statusMessage(FX.FAILURE)));
    return this.ioHandle(h, async () => {
      await this.permit({ name: 'read', writes: false, paths: [h.path] });
      if (offset > BigInt(Number.MAX_SAFE_INTEGER)) throw new StatusReply(FX.EOF);
      const n = Math.min(len, SFTP_MAX_DATA);
      const { packet, payload } = dataPacket(id, n);
      const got = n === 0 ? 0 : await h.file.read(payload, Number(offset));
      if (got === 0 && n > 0) throw new StatusReply(FX.EOF);
      h.bytesRead += got;
      return finishDataPacket(packet, got);
    });
  }

  private write(id: number, hb: Uint8Array, offset: bigint, data: Uint8Array): Promise<Uint8Array> {
    const h = this.handles.get(hb, 'file');
    if (!h) return Promise.resolve(statusPacket(id, FX.FAILURE, statusMessage(FX.FAILURE)));
    // Appends land where the file ends, so they must run in arrival order (sftp reput sends them).
    const order = h.flags.append ? this.serialHandle.bind(this) : this.ioHandle.bind(this);
    return order(h, async () => {
      await this.permit({ name: 'write', writes: true, paths: [h.path] });
      if (offset + BigInt(data.length) > BigInt(Number.MAX_SAFE_INTEGER)) throw new FsError('EINVAL', 'offset beyond 2^53');
      await h.file.write(data, Number(offset));
      h.bytesWritten += data.length;
      return this.ok(id);
    });
  }

  private async readdir(id: number, h: Extract<Handle, { kind: 'dir' }>): Promise<Uint8Array> {
    const entries = h.carry.length ? h.carry : await h.dir.read(READDIR_BATCH);
    h.carry = [];
    if (!entries || entries.length === 0) throw new StatusReply(FX.EOF);
    const names: SftpNameOut[] = [];
    let bytes = 0;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      const longname = longName(e.name, e.stats, this.fs.userName?.(e.stats.uid) ?? '', this.fs.groupName?.(e.stats.gid) ?? '');
      names.push({ filename: e.name, longname, attrs: toAttrs(e.stats) });
      bytes += e.name.length + longname.length + 64;
      if (bytes > READDIR_BYTES) {
        // The rest go in the next reply: a NAME packet stays within the client's packet limit.
        h.carry = entries.slice(i + 1);
        break;
      }
    }
    return namePacket(id, names);
  }

  // ---- extensions (PROTOCOL §4) ----

  private extended(id: number, r: Reader): Promise<Uint8Array | undefined> {
    const ext = r.ascii('extended request');
    const name = EXTENDED_NAME[ext];
    if (!name) {
      this.log(`Unknown extended request "${ext.slice(0, 100)}"`);
      return Promise.resolve(statusPacket(id, FX.OP_UNSUPPORTED, statusMessage(FX.OP_UNSUPPORTED)));
    }
    switch (name) {
      case 'posix-rename': {
        const from = this.path(r, 'oldpath');
        const to = this.path(r, 'newpath');
        this.log(`posix-rename old "${show(from)}" new "${show(to)}"`);
        return this.pathOp(id, name, [from, to], async () => this.ok(id, await this.fs.rename(from, to, true)));
      }
      case 'statvfs': {
        const path = this.path(r);
        return this.pathOp(id, name, [path], async () => {
          if (!this.fs.statvfs) throw new StatusReply(FX.OP_UNSUPPORTED);
          return statvfsPacket(id, await this.fs.statvfs(path));
        });
      }
      case 'fstatvfs':
        return this.handleOp(id, name, this.handles.get(r.string('handle'), 'file'), FX.FAILURE, async (h) => {
          if (!h.file.statvfs) throw new StatusReply(FX.OP_UNSUPPORTED);
          return statvfsPacket(id, await h.file.statvfs());
        });
      case 'hardlink': {
        const from = this.path(r, 'oldpath');
        const to = this.path(r, 'newpath');
        return this.pathOp(id, name, [from, to], async () => {
          if (!this.fs.link) throw new StatusReply(FX.OP_UNSUPPORTED);
          return this.ok(id, await this.fs.link(from, to));
        });
      }
      case 'fsync':
        return this.handleOp(id, name, this.handles.get(r.string('handle'), 'file'), FX.NO_SUCH_FILE, async (h) => {
          if (!h.file.sync) throw new StatusReply(FX.OP_UNSUPPORTED);
          return this.ok(id, await h.file.sync());
        });
      case 'lsetstat': {
        const path = this.path(r);
        const a = readAttrs(r);
        return this.pathOp(id, name, [path], async () => {
          // A size is nonsensical for a link (sftp-server.c process_extended_lsetstat).
          if (a.size !== undefined) throw new StatusReply(FX.BAD_MESSAGE);
          if (!this.fs.lsetstat) throw new StatusReply(FX.OP_UNSUPPORTED);
          return this.ok(id, await this.fs.lsetstat(path, toSetAttrs(a)));
        });
      }
      case 'limits':
        return this.permit({ name, writes: false, paths: [] }).then(() =>
          extendedReplyPacket(id, 40, (w) => w.u64(SFTP_MAX_PACKET).u64(SFTP_MAX_DATA).u64(SFTP_MAX_DATA).u64(this.handles.max)),
        );
      case 'expand-path': {
        const path = this.path(r);
        return this.pathOp(id, name, [path], async () => this.oneName(id, await this.expand(path)));
      }
      case 'copy-data': {
        const rh = r.string('read handle');
        const roff = r.u64('read offset');
        const rlen = r.u64('read length');
        const wh = r.string('write handle');
        const woff = r.u64('write offset');
        return this.copyData(id, rh, roff, rlen, wh, woff);
      }
      case 'home-directory': {
        const user = r.text('username');
        return this.pathOp(id, name, [], async () => {
          if (user !== '' && !this.fs.homeDirectory) throw new StatusReply(FX.FAILURE);
          const home = this.fs.homeDirectory ? await this.fs.homeDirectory(user).catch(() => null) : await this.fs.realpath(utf8.encode('.'));
          if (!home) throw new StatusReply(FX.FAILURE);
          return this.oneName(id, home);
        });
      }
      case 'users-groups-by-id': {
        const uids = r.string('uids');
        const gids = r.string('gids');
        if (uids.length % 4 || gids.length % 4) throw new ProtocolError('users-groups-by-id: id list length is not a multiple of 4', 'SFTP_PROTOCOL');
        return this.permit({ name, writes: false, paths: [] }).then(() => usersGroupsPacket(id, this.fs, uids, gids));
      }
      default:
        return Promise.resolve(statusPacket(id, FX.OP_UNSUPPORTED, statusMessage(FX.OP_UNSUPPORTED)));
    }
  }

  /** expand-path@openssh.com: "~" and "~/..." are the start directory; "~user" that user's home. */
  private async expand(path: Uint8Array): Promise<Uint8Array> {
    if (path.length === 0 || path[0] !== 0x7e) return this.fs.realpath(path.length ? path : utf8.encode('.'));
    const slash = path.indexOf(0x2f);
    if (path.length === 1) return this.fs.realpath(utf8.encode('.'));
    if (slash === 1) return this.fs.realpath(path.length > 2 ? path.subarray(2) : utf8.encode('.'));
    const user = show(path.subarray(1, slash < 0 ? path.length : slash));
    const home = this.fs.homeDirectory ? await this.fs.homeDirectory(user).catch(() => null) : null;
    if (!home) throw new StatusReply(FX.NO_SUCH_FILE, 'no such user');
    if (slash < 0) return this.fs.realpath(home);
    const rest = path.subarray(slash);
    const joined = new Uint8Array(home.length + rest.length);
    joined.set(home);
    joined.set(rest, home.length);
    return this.fs.realpath(joined);
  }

  private copyData(id: number, rhb: Uint8Array, roff: bigint, rlen: bigint, whb: Uint8Array, woff: bigint): Promise<Uint8Array> {
    const rh = this.handles.get(rhb, 'file');
    const wh = this.handles.get(whb, 'file');
    if (!rh || !wh) return Promise.resolve(statusPacket(id, FX.NO_SUCH_FILE, statusMessage(FX.NO_SUCH_FILE)));
    const run = async (): Promise<Uint8Array> => {
      await this.permit({ name: 'copy-data', writes: true, paths: [rh.path, wh.path] });
      const [sr, sw] = await Promise.all([rh.file.stat(), wh.file.stat()]);
      const sameInode = sr.ino !== undefined && sr.ino !== 0 && sr.dev !== undefined && sr.dev === sw.dev && sr.ino === sw.ino;
      if (rh === wh || sameInode || show(rh.path) === show(wh.path)) throw new StatusReply(FX.FAILURE);
      const untilEof = rlen === 0n;
      let left = untilEof ? BigInt(Number.MAX_SAFE_INTEGER) : rlen;
      let ro = Number(roff);
      let wo = Number(woff);
      const buf = new Uint8Array(64 * 1024);
      while (left > 0n) {
        const want = Number(left < BigInt(buf.length) ? left : BigInt(buf.length));
        const n = await rh.file.read(buf.subarray(0, want), ro);
        if (n === 0) {
          if (untilEof) break;
          throw new StatusReply(FX.EOF);
        }
        await wh.file.write(buf.subarray(0, n), wo);
        rh.bytesRead += n;
        wh.bytesWritten += n;
        ro += n;
        wo += n;
        left -= BigInt(n);
      }
      return this.ok(id);
    };
    return this.serialHandle(rh, () => this.serialHandle(wh, run));
  }
}
