/**
 * The command interpreter behind `puressh sftp`: OpenSSH 9.2 sftp's commands, parsed and
 * answered as sftp.c does (same messages, same output formats). Remote paths are made
 * absolute by appending them to the remote working directory, as sftp does, without
 * normalising; local ones are relative to the local working directory. `get`, `put`, `rm`,
 * `ls`, `chmod`, `chown` and `chgrp` expand glob patterns (sftp-glob.ts). Command lines are
 * read by sftp-commands.ts, `ls -l` lines made by sftp-ls.ts, names written by sftp-output.ts.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, lstatSync, type Stats } from 'node:fs';
import { chmod as lchmodFile, utimes } from 'node:fs/promises';
import * as lpath from 'node:path';
import { Writable } from 'node:stream';
import { isDirectory, type SftpAttrs } from '../sftp/attrs.js';
import type { SftpClient } from '../sftp/client.js';
import { EXT, FXF } from '../sftp/constants.js';
import { SshError } from '../errors.js';
import { SftpError } from '../sftp/errors.js';
import { decodeName, encodeName } from '../sftp/names.js';
import { progressMeter } from './remote.js';
import { CommandError, HELP, parseCommand, type Parsed } from './sftp-commands.js';
import { glob, quoteGlob, type GlobFs } from './sftp-glob.js';
import { columnLines, fmtScaled, lsFile, lsView, sortEntries, type LsView, type OwnerNames } from './sftp-ls.js';
import { baseName, byteNamedFs, makeAbsolute, pathAppend, pathStrip } from './sftp-paths.js';
import { errnoText, fx2txt } from './strerror.js';
import { byteLength, logVisible, visible } from './sftp-output.js';

export { CommandError };

export interface ShellOptions {
  progress: boolean;
  /** -p on the command line: preserve for every get/put */
  preserve: boolean;
  /** -r on the command line: recursive for every get/put */
  recursive: boolean;
  /** -a on the command line: resume every get/put */
  resume?: boolean;
  concurrency?: number;
  quiet: boolean;
  /** the terminal's width when stdin is a terminal (ls columns), else 80 */
  width?: number;
  /** -q: informational messages (log.c logit) are not shown */
  quietLog?: boolean;
  /** whether names may be written as UTF-8 (the locale), see sftp-output.ts */
  utf8?: boolean;
}

type Out = Writable & { isTTY?: boolean; columns?: number };

export class SftpShell {
  cwd = '/';
  startDir = '/';
  lcwd = process.cwd();
  done = false;
  private progress: boolean;

  constructor(
    private readonly sftp: SftpClient,
    private readonly out: Out,
    private readonly opts: ShellOptions,
    private err: Writable = process.stderr,
  ) {
    this.progress = opts.progress;
  }

  async init(): Promise<void> {
    this.cwd = await this.sftp.realpath('.');
    this.startDir = this.cwd;
  }

  /** A remote path as the server gets it: appended to the working directory. */
  remote(p: string): string {
    return makeAbsolute(p, this.cwd);
  }

  local(p: string): string | Buffer {
    const abs = lpath.resolve(this.lcwd, p);
    return /[\uD800-\uDFFF]/.test(abs) ? Buffer.from(encodeName(abs)) : abs;
  }

  private say(line: string): void {
    this.out.write(visible(line + '\n', this.opts.utf8 === true));
  }

  /** An informational line (log.c logit), hidden by -q. */
  private logit(msg: string): void {
    if (!this.opts.quietLog) this.error(msg);
  }

  /** An error line, as log.c writes it. */
  private error(msg: string): void {
    this.err.write(Buffer.concat([logVisible(msg), Buffer.from('\r\n')]));
  }

  /**
   * Run one line as sftp.c parse_dispatch_command: a leading `-` ignores errors, `@` suppresses
   * the echo; errors are written to stderr. Returns -1 for an error that ends a batch, 1 to quit.
   */
  async dispatch(line: string, errAbort: boolean, echo: boolean): Promise<-1 | 0 | 1> {
    let cp = line.slice(line.length - line.replace(/^[ \t\r\n]+/, '').length);
    let ignoreErrors = false;
    let noEcho = false;
    while (cp[0] === '-' || cp[0] === '@') {
      if (cp[0] === '-') ignoreErrors = true;
      else noEcho = true;
      cp = cp.slice(1);
    }
    cp = cp.replace(/^[ \t\r\n]+/, '');
    if (ignoreErrors) errAbort = false;
    let parsed: Parsed | null = null;
    let failed = false;
    if (cp !== '' && !cp.startsWith('#')) {
      try {
        parsed = parseCommand(cp);
      } catch (e) {
        if (!(e instanceof CommandError)) throw e;
        this.error(e.message);
        failed = true;
      }
    }
    if (echo && !noEcho) this.say(`sftp> ${line}`);
    if (parsed) {
      try {
        failed = !(await this.execute(parsed, errAbort));
      } catch (e) {
        if (!(e instanceof CommandError)) throw e;
        this.error(e.message);
        failed = true;
      }
    }
    if (errAbort && failed) return -1;
    return parsed?.cmd === 'quit' ? 1 : 0;
  }

  /** Compatibility entry: run a line, throwing CommandError with the first message on failure. */
  async run(line: string): Promise<void> {
    const errors: string[] = [];
    const err = this.err;
    this.err = new Writable({
      write(chunk: Buffer, _encoding, done) {
        errors.push(chunk.toString('utf8').replace(/\r\n$/, ''));
        done();
      },
    });
    try {
      const r = await this.dispatch(line, true, false);
      if (r === 1) this.done = true;
      if (r === -1) throw new CommandError(errors.join('\n'));
    } finally {
      this.err = err;
    }
  }

  /** Returns false when the command failed (its errors already written). */
  private async execute(p: Parsed, errAbort: boolean): Promise<boolean> {
    const f = p.flags;
    switch (p.cmd) {
      case 'quit':
        this.done = true;
        return true;
      case 'get':
      case 'reget':
        return this.get(p.path1!, p.path2, f.has('p') || f.has('P'), f.has('r') || f.has('R'), p.cmd === 'reget' || f.has('a'));
      case 'put':
      case 'reput':
        return this.put(p.path1!, p.path2, f.has('p') || f.has('P'), f.has('r') || f.has('R'), p.cmd === 'reput' || f.has('a'));
      case 'copy':
        return this.copy(this.remote(p.path1!), this.remote(p.path2!));
      case 'rename': {
        const [a, b] = [this.remote(p.path1!), this.remote(p.path2!)];
        return this.attempt(
          () => (!f.has('l') && this.sftp.hasExtension(EXT.POSIX_RENAME) ? this.sftp.posixRename(a, b) : this.sftp.rename(a, b)),
          `remote rename "${a}" to "${b}"`,
        );
      }
      case 'symlink':
      case 'ln': {
        const symbolic = p.cmd === 'symlink' || f.has('s');
        const a = symbolic ? p.path1! : this.remote(p.path1!);
        const b = this.remote(p.path2!);
        if (symbolic) return this.attempt(() => this.sftp.symlink(a, b), `remote symlink file "${a}" to "${b}"`);
        if (!this.sftp.hasExtension(EXT.HARDLINK)) throw new CommandError('Server does not support hardlink@openssh.com extension');
        return this.attempt(() => this.sftp.hardlink(a, b), `remote link "${a}" to "${b}"`);
      }
      case 'rm': {
        const g = await this.remoteGlob(this.remoteGlobPath(p.path1!), { nocheck: true });
        let ok = true;
        for (const path of g.paths) {
          if (!this.opts.quiet) this.say(`Removing ${path}`);
          ok = await this.attempt(() => this.sftp.remove(path), `remote delete ${path}`, false);
          if (!ok && errAbort) break;
        }
        return ok;
      }
      case 'mkdir': {
        const path = this.remote(p.path1!);
        return this.attempt(() => this.sftp.mkdir(path, { permissions: 0o777 }), `remote mkdir "${path}"`);
      }
      case 'rmdir': {
        const path = this.remote(p.path1!);
        return this.attempt(() => this.sftp.rmdir(path), `remote rmdir "${path}"`);
      }
      case 'cd':
        return this.cd(p.path1);
      case 'ls':
        return this.ls(p.path1, f);
      case 'df':
        return this.df(this.remote(p.path1 ?? this.cwd), f.has('h'), f.has('i'));
      case 'lcd': {
        const home = process.env.HOME ?? '/';
        const dir = p.path1 === undefined || p.path1 === '' || p.path1 === '~' ? home : p.path1.replace(/^~\//, `${home.replace(/\/$/, '')}/`);
        const abs = lpath.resolve(this.lcwd, dir);
        try {
          if (!statSync(this.local(abs)).isDirectory()) throw Object.assign(new Error(), { code: 'ENOTDIR' });
        } catch (e) {
          throw new CommandError(`Couldn't change local directory to "${dir}": ${errnoText(e)}`);
        }
        this.lcwd = abs;
        return true;
      }
      case 'lmkdir':
        try {
          mkdirSync(this.local(p.path1!), 0o777);
          return true;
        } catch (e) {
          throw new CommandError(`Couldn't create local directory "${p.path1!}": ${errnoText(e)}`);
        }
      case 'lls':
        await this.shell(p.rest ? `/bin/ls ${p.rest}` : '/bin/ls');
        return true;
      case 'shell':
        await this.shell(p.rest ?? '');
        return true;
      case 'lumask':
        process.umask(p.num!);
        this.say(`Local umask: ${p.num!.toString(8).padStart(3, '0')}`);
        return true;
      case 'chmod': {
        const g = await this.remoteGlob(this.remoteGlobPath(p.path1!), { nocheck: true });
        let ok = true;
        const attrs = { permissions: p.num! };
        for (const path of g.paths) {
          if (!this.opts.quiet) this.say(`Changing mode on ${path}`);
          ok = f.has('h')
            ? await this.attempt(() => this.sftp.lsetstat(path, attrs), `remote lsetstat "${path}"`, false)
            : await this.attempt(() => this.sftp.setstat(path, attrs), `remote setstat "${path}"`, false);
          if (!ok && errAbort) break;
        }
        return ok;
      }
      case 'chown':
      case 'chgrp':
        return this.chown(p, errAbort);
      case 'pwd':
        this.say(`Remote working directory: ${this.cwd}`);
        return true;
      case 'lpwd':
        this.say(`Local working directory: ${this.lcwd}`);
        return true;
      case 'help':
        this.out.write(HELP);
        return true;
      case 'version':
        this.say(`SFTP protocol version ${this.sftp.version}`);
        return true;
      case 'progress':
        this.progress = !this.progress;
        this.say(this.progress ? 'Progress meter enabled' : 'Progress meter disabled');
        return true;
      default:
        throw new CommandError('Invalid command.');
    }
  }

  /** Run a request; on an SFTP status error write "<what>: <status text>" and return false. */
  private async attempt(fn: () => Promise<unknown>, what: string, throwIt = true): Promise<boolean> {
    try {
      await fn();
      return true;
    } catch (e) {
      const msg = `${what}: ${fx2txt(e)}`;
      if (throwIt) throw new CommandError(msg);
      this.error(msg);
      return false;
    }
  }

  /** do_stat: the attributes, or a written "stat remote" error and null. */
  private async statRemote(path: string, link = false): Promise<SftpAttrs | null> {
    try {
      return await (link ? this.sftp.lstat(path) : this.sftp.stat(path));
    } catch (e) {
      this.error(`stat remote: ${fx2txt(e)}`);
      return null;
    }
  }

  private remoteGlobPath(p: string): string {
    return makeAbsolute(p, quoteGlob(this.cwd));
  }

  private remoteFs(): GlobFs<SftpAttrs> {
    const quietly = async <T>(fn: () => Promise<T>): Promise<T | null> => {
      try {
        return await fn();
      } catch (e) {
        if (e instanceof SftpError) return null;
        throw e;
      }
    };
    return {
      readdir: (dir) => quietly(async () => (await this.sftp.readdir(dir, { dotEntries: true })).map((e) => e.filename)),
      lstat: (path) => quietly(() => this.sftp.lstat(path)),
      stat: (path) => quietly(() => this.sftp.stat(path)),
      isDir: (st) => isDirectory(st),
      isLink: (st) => ((st.permissions ?? 0) & 0o170000) === 0o120000,
    };
  }

  private remoteGlob(pattern: string, options: { mark?: boolean; nocheck?: boolean; sort?: boolean }) {
    return glob(pattern, this.remoteFs(), options);
  }

  private localFs(): GlobFs<Stats> {
    const quietly = <T>(fn: () => T): T | null => {
      try {
        return fn();
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== undefined) return null;
        throw e;
      }
    };
    return {
      readdir: async (dir) => quietly(() => readdirSync(this.local(dir), { encoding: 'buffer' }).map((b) => decodeName(b))),
      lstat: async (path) => quietly(() => lstatSync(this.local(path))),
      stat: async (path) => quietly(() => statSync(this.local(path))),
      isDir: (st) => st.isDirectory(),
      isLink: (st) => st.isSymbolicLink(),
    };
  }

  private async cd(arg: string | undefined): Promise<boolean> {
    const path = this.remote(arg === undefined || arg === '' ? this.startDir : arg);
    let real: string;
    try {
      real = await this.sftp.realpath(path);
    } catch (e) {
      const msg = e instanceof SftpError && e.serverMessage ? e.serverMessage : fx2txt(e);
      throw new CommandError(`realpath ${path}: ${msg}`);
    }
    const st = await this.statRemote(real);
    if (!st) return false;
    if (st.permissions === undefined) throw new CommandError("Can't change directory: Can't check target");
    if (!isDirectory(st)) throw new CommandError(`Can't change directory: "${real}" is not a directory`);
    this.cwd = real;
    return true;
  }

  // ------------------------------------------------------------------ ls

  private async ls(arg: string | undefined, flags: Set<string>): Promise<boolean> {
    const view = lsView(flags);
    if (arg === undefined) {
      await this.lsDir(this.cwd, this.cwd, view);
      return true;
    }
    const strip = arg.startsWith('/') ? null : this.cwd;
    const pattern = this.remoteGlobPath(arg);
    const g = await this.remoteGlob(pattern, { mark: true, nocheck: true, sort: false });
    if (g.matched === 0) throw new CommandError(`Can't ls: "${pattern}" not found`);
    if (g.matched === 1 && g.stats[0] && isDirectory(g.stats[0])) return this.lsDir(g.paths[0]!, strip, view);
    const entries = g.paths.map((path, i) => ({ path, attrs: g.stats[i] ?? null }));
    const m = Math.max(0, ...entries.map((e) => byteLength(e.path)));
    if (view.sort)
      sortEntries(
        entries,
        view,
        (e) => e.path,
        (e) => e.attrs ?? {},
      );
    const names = await this.ownerNames(entries.map((e) => e.attrs ?? {}));
    const rows: string[] = [];
    for (const e of entries) {
      const fname = pathStrip(e.path, strip);
      if (view.long) {
        if (!e.attrs) {
          this.error(`no stat information for ${fname}`);
          continue;
        }
        this.say(lsFile(fname, e.attrs, view.si, names));
      } else rows.push(fname);
    }
    for (const line of columnLines(rows, view.short ? 0 : m, this.opts.width ?? 80)) this.say(line);
    return true;
  }

  private async lsDir(path: string, strip: string | null, view: LsView): Promise<boolean> {
    let list;
    try {
      list = await this.sftp.readdir(path, { dotEntries: true });
    } catch (e) {
      this.error(`Couldn't read directory: ${fx2txt(e)}`);
      return false;
    }
    const shown = list.filter((e) => view.all || !e.filename.startsWith('.'));
    const m = Math.max(0, ...shown.map((e) => byteLength(e.filename))) + byteLength(pathStrip(path, strip));
    if (view.sort)
      sortEntries(
        list,
        view,
        (e) => e.filename,
        (e) => e.attrs,
      );
    const names = await this.ownerNames(list.map((e) => e.attrs));
    const rows: string[] = [];
    for (const e of list) {
      if (e.filename.startsWith('.') && !view.all) continue;
      const fname = pathStrip(pathAppend(path, e.filename), strip);
      if (view.long) {
        if (view.numeric || view.si || names) this.say(lsFile(fname, e.attrs, view.si, names));
        else this.say(e.longname);
      } else rows.push(fname);
    }
    for (const line of columnLines(rows, view.short ? 0 : m, this.opts.width ?? 80)) this.say(line);
    return true;
  }

  /** users-groups-by-id@openssh.com names for the ids in a listing, or null without it. */
  private async ownerNames(attrs: SftpAttrs[]): Promise<OwnerNames | null> {
    if (!this.sftp.hasExtension(EXT.USERS_GROUPS_BY_ID)) return null;
    const uids = [...new Set(attrs.map((a) => a.uid).filter((u): u is number => u !== undefined))];
    const gids = [...new Set(attrs.map((a) => a.gid).filter((g): g is number => g !== undefined))];
    const users = new Map<number, string>();
    const groups = new Map<number, string>();
    try {
      const r = await this.sftp.usersGroupsById(uids, gids);
      uids.forEach((u, i) => r.users[i] && users.set(u, r.users[i]));
      gids.forEach((g, i) => r.groups[i] && groups.set(g, r.groups[i]));
    } catch (e) {
      if (!(e instanceof SftpError)) throw e;
    }
    return { users, groups };
  }

  private async df(path: string, h: boolean, i: boolean): Promise<boolean> {
    if (!this.sftp.hasExtension(EXT.STATVFS)) throw new CommandError('Server does not support statvfs@openssh.com extension');
    let v;
    try {
      v = await this.sftp.statvfs(path);
    } catch (e) {
      throw new CommandError(`remote statvfs: ${fx2txt(e)}`);
    }
    const icap = v.files === 0n ? 'ERR' : `${String((100n * (v.files - v.ffree)) / v.files).padStart(3)}%`;
    const dcap = v.blocks === 0n ? 'ERR' : `${String((100n * (v.blocks - v.bfree)) / v.blocks).padStart(3)}%`;
    const n = (x: bigint, w: number): string => String(x).padStart(w);
    if (i) {
      this.say('     Inodes        Used       Avail      (root)    %Capacity');
      this.say(`${n(v.files, 11)} ${n(v.files - v.ffree, 11)} ${n(v.favail, 11)} ${n(v.ffree, 11)}         ${icap}`);
    } else if (h) {
      const s = (x: bigint): string => `${fmtScaled(x * v.frsize).padStart(7)}B`;
      this.say('    Size     Used    Avail   (root)    %Capacity');
      this.say(`${s(v.blocks)} ${s(v.blocks - v.bfree)} ${s(v.bavail)} ${s(v.bfree)}         ${dcap}`);
    } else {
      const k = (x: bigint): string => n((v.frsize * x) / 1024n, 12);
      this.say('        Size         Used        Avail       (root)    %Capacity');
      this.say(`${k(v.blocks)} ${k(v.blocks - v.bfree)} ${k(v.bavail)} ${k(v.bfree)}         ${dcap}`);
    }
    return true;
  }

  private async chown(p: Parsed, errAbort: boolean): Promise<boolean> {
    const link = p.flags.has('h');
    const g = await this.remoteGlob(this.remoteGlobPath(p.path1!), { nocheck: true });
    let ok = true;
    for (const path of g.paths) {
      const st = await this.statRemote(path, link);
      if (!st) {
        if (errAbort) return false;
        continue;
      }
      if (st.uid === undefined || st.gid === undefined) {
        this.error(`Can't get current ownership of remote file "${path}"`);
        if (errAbort) return false;
        continue;
      }
      if (!this.opts.quiet) this.say(`Changing ${p.cmd === 'chown' ? 'owner' : 'group'} on ${path}`);
      const attrs = { uid: p.cmd === 'chown' ? p.num! : st.uid, gid: p.cmd === 'chgrp' ? p.num! : st.gid };
      ok = link
        ? await this.attempt(() => this.sftp.lsetstat(path, attrs), `remote lsetstat "${path}"`, false)
        : await this.attempt(() => this.sftp.setstat(path, attrs), `remote setstat "${path}"`, false);
      if (!ok && errAbort) break;
    }
    return ok;
  }

  /** copy-data (OpenSSH's PROTOCOL §4.10): the server copies the bytes itself. */
  private async copy(from: string, to: string): Promise<boolean> {
    if (!this.sftp.hasExtension(EXT.COPY_DATA)) throw new CommandError('Server does not support copy-data extension');
    const st = await this.statRemote(from);
    if (!st) return false;
    if (st.permissions !== undefined && (st.permissions & 0o170000) !== 0o100000) throw new CommandError(`Cannot copy non-regular file: ${from}`);
    const perm = { permissions: (st.permissions ?? 0o666) & 0o777 };
    const src = await this.sftp.open(from, 'r').catch((e: unknown) => {
      throw new CommandError(`Couldn't open file "${from}": ${fx2txt(e)}`);
    });
    try {
      const dst = await this.sftp.open(to, FXF.WRITE | FXF.CREAT | FXF.TRUNC, perm).catch((e: unknown) => {
        throw new CommandError(`Couldn't open file "${to}": ${fx2txt(e)}`);
      });
      try {
        await this.attempt(
          () => this.sftp.extended(EXT.COPY_DATA, (w) => w.string(src.handle).u64(0n).u64(0n).string(dst.handle).u64(0n), { path: from }),
          `Couldn't copy file "${from}" to "${to}"`,
        );
      } finally {
        await dst.close().catch(() => {});
      }
    } finally {
      await src.close().catch(() => {});
    }
    return true;
  }

  private shell(command: string): Promise<void> {
    const sh = process.env.SHELL || '/bin/sh';
    const args = command === '' ? [] : ['-c', command];
    const stdio = this.out === process.stdout ? 'inherit' : 'pipe';
    return new Promise((resolve) => {
      const child = spawn(sh, args, { cwd: this.lcwd, stdio: [process.stdin.isTTY ? 'inherit' : 'ignore', stdio, stdio] });
      child.stdout?.on('data', (b: Buffer) => this.out.write(b));
      child.stderr?.on('data', (b: Buffer) => this.err.write(b));
      child.on('error', (e) => {
        this.err.write(`Couldn't execute "${sh}": ${errnoText(e)}\n`);
        resolve();
      });
      child.on('close', (code) => {
        if (code === null) this.error('Shell exited abnormally');
        else if (code !== 0) this.error(`Shell exited with status ${code}`);
        resolve();
      });
    });
  }

  // ------------------------------------------------------------------ get / put

  private localIsDir(p: string): boolean {
    try {
      return statSync(this.local(p)).isDirectory();
    } catch {
      return false;
    }
  }

  private async get(src: string, dst: string | undefined, preserve: boolean, recursive: boolean, resume: boolean): Promise<boolean> {
    const pattern = this.remoteGlobPath(src);
    const g = await this.remoteGlob(pattern, { mark: true });
    if (g.matched === 0) throw new CommandError(`File "${pattern}" not found.`);
    if (g.matched > 1 && dst !== undefined && !this.localIsDir(dst)) {
      throw new CommandError(`Multiple source paths, but destination "${dst}" is not a directory`);
    }
    let ok = true;
    for (const path of g.paths) {
      const filename = baseName(path);
      const target = dst === undefined ? filename : g.matched > 1 || this.localIsDir(dst) ? pathAppend(dst, filename) : dst;
      resume ||= this.opts.resume === true;
      if (!this.opts.quiet) this.say(resume ? `Resuming ${path} to ${target}` : `Fetching ${path} to ${target}`);
      const dir = path.endsWith('/');
      const r =
        dir && (recursive || this.opts.recursive)
          ? await this.getTree(path, target, preserve || this.opts.preserve, resume)
          : await this.getFile(path, target, preserve || this.opts.preserve, resume);
      if (!r) ok = false;
    }
    return ok;
  }

  private async getFile(remote: string, local: string, preserve: boolean, resume: boolean): Promise<boolean> {
    const st = await this.statRemote(remote);
    if (!st) return false;
    if (st.permissions !== undefined && (st.permissions & 0o170000) !== 0o100000) {
      this.error(`download ${remote}: not a regular file`);
      return false;
    }
    let unchanged = false;
    if (resume) {
      const have = (() => {
        try {
          return statSync(this.local(local)).size;
        } catch {
          return 0;
        }
      })();
      if (have > (st.size ?? 0)) {
        this.error(`Unable to resume download of "${local}": local file is larger than remote`);
        return false;
      }
      unchanged = have === (st.size ?? 0);
    }
    if (unchanged) {
      this.logit(`File "${local}" was not modified`);
      return true;
    }
    const meter = progressMeter(this.out, baseName(remote), this.progress);
    try {
      const onProgress = (n: number, t: number): void => meter.update(n, t);
      await this.sftp.get(remote, lpath.resolve(this.lcwd, local), { fs: byteNamedFs, preserve, resume, concurrency: this.opts.concurrency, onProgress });
    } catch (e) {
      if (e instanceof SftpError) this.error(`read remote "${remote}" : ${fx2txt(e)}`);
      else if (e instanceof SshError && e.code === 'FILE') this.error(`open local "${local}": ${errnoText(e)}`);
      else throw e;
      return false;
    } finally {
      meter.finish();
    }
    return true;
  }

  /** download_dir: the tree under the canonical remote path. */
  private async getTree(remote: string, local: string, preserve: boolean, resume: boolean): Promise<boolean> {
    const canon = await this.canonical(remote, 'download');
    return canon !== null && this.getDir(canon, local, preserve, resume);
  }

  /** upload_dir: the tree to the canonical remote path. */
  private async putTree(local: string, remote: string, preserve: boolean, resume: boolean): Promise<boolean> {
    const canon = await this.canonical(remote, 'upload');
    return canon !== null && this.putDir(local, canon, preserve, resume);
  }

  /** The server's realpath of `remote`, or null after sftp's "path canonicalization failed". */
  private async canonical(remote: string, verb: 'download' | 'upload'): Promise<string | null> {
    try {
      return await this.sftp.realpath(remote);
    } catch (e) {
      fx2txt(e);
      this.error(`${verb} "${remote}": path canonicalization failed`);
      return null;
    }
  }

  private async getDir(remote: string, local: string, preserve: boolean, resume: boolean): Promise<boolean> {
    const st = await this.statRemote(remote);
    if (!st) return false;
    if (!isDirectory(st)) {
      this.error(`"${remote}" is not a directory`);
      return false;
    }
    this.say(`Retrieving ${remote}`);
    try {
      mkdirSync(this.local(local), { recursive: true, mode: 0o777 });
    } catch (e) {
      this.error(`mkdir ${local}: ${errnoText(e)}`);
      return false;
    }
    let entries;
    try {
      entries = await this.sftp.readdir(remote);
    } catch {
      this.error(`remote readdir "${remote}" failed`);
      return false;
    }
    let ok = true;
    for (const e of entries) {
      const r = pathAppend(remote, e.filename);
      const l = pathAppend(local, e.filename);
      if (isDirectory(e.attrs)) {
        if (!(await this.getDir(r, l, preserve, resume))) ok = false;
      } else if (((e.attrs.permissions ?? 0) & 0o170000) === 0o100000) {
        if (!(await this.getFile(r, l, preserve, resume))) {
          this.error(`Download of file ${r} to ${l} failed`);
          ok = false;
        }
      } else this.logit(`download "${r}": not a regular file`);
    }
    if (preserve) {
      if (st.permissions !== undefined) await lchmodFile(this.local(local), st.permissions & 0o7777);
      if (st.mtime !== undefined) await utimes(this.local(local), st.atime ?? st.mtime, st.mtime);
    }
    return ok;
  }

  private async remoteIsDir(p: string): Promise<boolean> {
    try {
      return isDirectory(await this.sftp.stat(p));
    } catch (e) {
      if (e instanceof SftpError) return false;
      throw e;
    }
  }

  private async put(src: string, dst: string | undefined, preserve: boolean, recursive: boolean, resume: boolean): Promise<boolean> {
    const tmpDst = dst === undefined ? undefined : this.remote(dst);
    const g = await glob(src, this.localFs(), { mark: true, nocheck: true });
    const dstIsDir = tmpDst === undefined ? true : await this.remoteIsDir(tmpDst);
    if (g.matched > 1 && tmpDst !== undefined && !dstIsDir) throw new CommandError(`Multiple paths match, but destination "${tmpDst}" is not a directory`);
    let ok = true;
    for (const path of g.paths) {
      let st: Stats;
      try {
        st = statSync(this.local(path));
      } catch (e) {
        this.error(`stat ${path}: ${errnoText(e)}`);
        ok = false;
        continue;
      }
      const filename = baseName(path);
      const target = tmpDst === undefined ? this.remote(filename) : g.matched === 1 && !dstIsDir ? tmpDst : pathAppend(tmpDst, filename);
      resume ||= this.opts.resume === true;
      if (!this.opts.quiet) this.say(resume ? `Resuming upload of ${path} to ${target}` : `Uploading ${path} to ${target}`);
      const r =
        st.isDirectory() && (recursive || this.opts.recursive)
          ? await this.putTree(path, target, preserve || this.opts.preserve, resume)
          : await this.putFile(path, target, preserve || this.opts.preserve, resume);
      if (!r) ok = false;
    }
    return ok;
  }

  private async putFile(local: string, remote: string, preserve: boolean, resume: boolean): Promise<boolean> {
    let st: Stats;
    try {
      st = statSync(this.local(local));
    } catch (e) {
      this.error(`open local "${local}": ${errnoText(e)}`);
      return false;
    }
    if (!st.isFile()) {
      this.error(`local "${local}" is not a regular file`);
      return false;
    }
    if (resume) {
      const rst = await this.statRemote(remote);
      if (!rst) return false;
      if ((rst.size ?? 0) >= st.size) {
        this.error(`resume "${local}": destination file same size or larger`);
        return false;
      }
    }
    const meter = progressMeter(this.out, baseName(local), this.progress);
    try {
      const onProgress = (n: number, t: number): void => meter.update(n, t);
      await this.sftp.put(lpath.resolve(this.lcwd, local), remote, { fs: byteNamedFs, preserve, resume, concurrency: this.opts.concurrency, onProgress });
    } catch (e) {
      if (e instanceof SftpError) this.error(`write remote "${remote}": ${fx2txt(e)}`);
      else if (e instanceof SshError && e.code === 'FILE') this.error(`open local "${local}": ${errnoText(e)}`);
      else throw e;
      return false;
    } finally {
      meter.finish();
    }
    return true;
  }

  private async putDir(local: string, remote: string, preserve: boolean, resume: boolean): Promise<boolean> {
    const st = statSync(this.local(local));
    this.say(`Entering ${local}`);
    const existing = await this.sftp.exists(remote);
    if (existing && !isDirectory(existing)) {
      this.error(`"${remote}" exists but is not a directory`);
      return false;
    }
    if (!existing) {
      const made = await this.attempt(() => this.sftp.mkdir(remote, { permissions: st.mode & 0o777 }), `remote mkdir "${remote}"`, false);
      if (!made) return false;
    }
    let ok = true;
    for (const b of readdirSync(this.local(local), { encoding: 'buffer' })) {
      const name = decodeName(b);
      const l = pathAppend(local, name);
      const r = pathAppend(remote, name);
      let s: Stats;
      try {
        s = lstatSync(this.local(l));
      } catch (e) {
        this.logit(`local lstat "${name}": ${errnoText(e)}`);
        ok = false;
        continue;
      }
      if (s.isDirectory()) {
        if (!(await this.putDir(l, r, preserve, resume))) ok = false;
      } else if (s.isFile()) {
        if (!(await this.putFile(l, r, preserve, resume))) {
          this.error(`upload "${l}" to "${r}" failed`);
          ok = false;
        }
      } else this.logit(`${name}: not a regular file`);
    }
    if (preserve) {
      await this.sftp.setstat(remote, { permissions: st.mode & 0o7777, atime: Math.floor(st.atimeMs / 1000), mtime: Math.floor(st.mtimeMs / 1000) });
    }
    return ok;
  }
}
