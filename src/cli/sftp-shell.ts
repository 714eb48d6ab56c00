/**
 * The command interpreter behind `puressh sftp` (OpenSSH sftp's batch commands): get, put,
 * ls, cd, lcd, pwd, lpwd, mkdir, rmdir, rm, rename, ln, symlink, chmod, chown, chgrp, df,
 * exit. Remote paths are relative to the remote working directory, local ones to the local.
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import * as lpath from 'node:path';
import type { Writable } from 'node:stream';
import { isDirectory, type SftpAttrs } from '../sftp/attrs.js';
import { EXT } from '../sftp/constants.js';
import type { SftpClient } from '../sftp/client.js';
import { progressMeter } from './remote.js';

const rpath = lpath.posix;

export class CommandError extends Error {
  override name = 'CommandError';
}

/** Split a command line into words: quotes ('…', "…") and backslash escapes as sftp does. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new CommandError('unterminated quote');
  if (inWord) words.push(cur);
  return words;
}

function options(words: string[], allowed: string): { opts: Set<string>; args: string[] } {
  const opts = new Set<string>();
  let i = 0;
  for (; i < words.length && words[i]!.startsWith('-') && words[i] !== '-'; i++) {
    if (words[i] === '--') {
      i++;
      break;
    }
    for (const c of words[i]!.slice(1)) {
      if (!allowed.includes(c)) throw new CommandError(`unknown option -${c}`);
      opts.add(c);
    }
  }
  return { opts, args: words.slice(i) };
}

export interface ShellOptions {
  progress: boolean;
  /** -p on the command line: preserve for every get/put */
  preserve: boolean;
  /** -r on the command line: recursive for every get/put */
  recursive: boolean;
  concurrency?: number;
  quiet: boolean;
}

export class SftpShell {
  cwd = '/';
  lcwd = process.cwd();
  done = false;

  constructor(
    private readonly sftp: SftpClient,
    private readonly out: Writable & { isTTY?: boolean; columns?: number },
    private readonly opts: ShellOptions,
  ) {}

  async init(): Promise<void> {
    this.cwd = await this.sftp.realpath('.');
  }

  remote(p: string): string {
    return rpath.resolve(this.cwd, p);
  }

  local(p: string): string {
    return lpath.resolve(this.lcwd, p);
  }

  private say(line: string): void {
    this.out.write(line + '\n');
  }

  /** Run one command line; throws CommandError (or an SshError) when it fails. */
  async run(line: string): Promise<void> {
    const words = splitWords(line);
    if (words.length === 0) return;
    const [cmd, ...rest] = words;
    switch (cmd) {
      case 'exit':
      case 'quit':
      case 'bye':
        this.done = true;
        return;
      case 'pwd':
        return this.say(`Remote working directory: ${this.cwd}`);
      case 'lpwd':
        return this.say(`Local working directory: ${this.lcwd}`);
      case 'cd': {
        const dir = this.remote(rest[0] ?? (await this.sftp.realpath('.')));
        if (!isDirectory(await this.sftp.stat(dir))) throw new CommandError(`Can't change directory: "${dir}" is not a directory`);
        this.cwd = await this.sftp.realpath(dir);
        return;
      }
      case 'lcd': {
        const dir = this.local(rest[0] ?? process.env.HOME ?? '/');
        if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new CommandError(`Couldn't change local directory to "${dir}": not a directory`);
        this.lcwd = dir;
        return;
      }
      case 'ls':
        return this.ls(rest);
      case 'get':
        return this.get(rest);
      case 'put':
        return this.put(rest);
      case 'mkdir':
        return this.sftp.mkdir(this.remote(need(rest, 1, 'mkdir path')[0]!));
      case 'rmdir':
        return this.sftp.rmdir(this.remote(need(rest, 1, 'rmdir path')[0]!));
      case 'rm':
        for (const p of need(rest, 1, 'rm path')) await this.sftp.remove(this.remote(p));
        return;
      case 'rename': {
        const [a, b] = need(rest, 2, 'rename oldpath newpath');
        if (this.sftp.hasExtension(EXT.POSIX_RENAME)) return this.sftp.posixRename(this.remote(a!), this.remote(b!));
        return this.sftp.rename(this.remote(a!), this.remote(b!));
      }
      case 'ln':
      case 'symlink': {
        const { opts, args } = options(rest, 's');
        const [a, b] = need(args, 2, `${cmd} oldpath newpath`);
        if (cmd === 'symlink' || opts.has('s')) return this.sftp.symlink(a!, this.remote(b!));
        return this.sftp.hardlink(this.remote(a!), this.remote(b!));
      }
      case 'chmod': {
        const [mode, ...paths] = need(rest, 2, 'chmod mode path');
        if (!/^[0-7]{1,4}$/.test(mode!)) throw new CommandError(`Invalid mode "${mode}"`);
        for (const p of paths) await this.sftp.chmod(this.remote(p), parseInt(mode!, 8));
        return;
      }
      case 'chown':
      case 'chgrp': {
        const [id, ...paths] = need(rest, 2, `${cmd} id path`);
        if (!/^\d+$/.test(id!)) throw new CommandError(`Invalid ${cmd === 'chown' ? 'user' : 'group'} id "${id}"`);
        for (const p of paths) {
          const st = await this.sftp.stat(this.remote(p));
          const uid = cmd === 'chown' ? Number(id) : st.uid!;
          const gid = cmd === 'chgrp' ? Number(id) : st.gid!;
          await this.sftp.chown(this.remote(p), uid, gid);
        }
        return;
      }
      case 'df':
        return this.df(rest);
      case 'help':
      case '?':
        return this.say('commands: cd lcd pwd lpwd ls get put mkdir rmdir rm rename ln symlink chmod chown chgrp df exit');
      default:
        throw new CommandError(`Invalid command "${cmd}"`);
    }
  }

  private async ls(words: string[]): Promise<void> {
    const { opts, args } = options(words, '1alf');
    const target = this.remote(args[0] ?? '.');
    const st = await this.sftp.stat(target);
    if (!isDirectory(st)) {
      const name = args[0] ?? target;
      this.say(opts.has('l') ? longLine(name, await this.sftp.lstat(target)) : name);
      return;
    }
    const entries = (await this.sftp.readdir(target, { dotEntries: opts.has('a') }))
      .filter((e) => opts.has('a') || !e.filename.startsWith('.'))
      .sort((x, y) => (x.filename < y.filename ? -1 : x.filename > y.filename ? 1 : 0));
    const prefix = args[0] !== undefined && args[0] !== '.' ? `${args[0].replace(/\/+$/, '')}/` : '';
    for (const e of entries) this.say(opts.has('l') ? e.longname || longLine(`${prefix}${e.filename}`, e.attrs) : `${prefix}${e.filename}`);
  }

  private async df(words: string[]): Promise<void> {
    const { opts, args } = options(words, 'hi');
    const v = await this.sftp.statvfs(this.remote(args[0] ?? '.'));
    const k = (blocks: bigint): string => (opts.has('h') ? human(Number(blocks * v.frsize)) : String((blocks * v.frsize) / 1024n));
    if (opts.has('i')) {
      this.say('      Inodes        Used       Avail      (root)    %Capacity');
      this.say(`${String(v.files).padStart(12)}${String(v.files - v.ffree).padStart(12)}${String(v.favail).padStart(12)}${String(v.ffree).padStart(12)}${pct(v.files - v.ffree, v.files).padStart(12)}`);
      return;
    }
    this.say('        Size         Used        Avail       (root)    %Capacity');
    this.say(`${k(v.blocks).padStart(12)} ${k(v.blocks - v.bfree).padStart(12)} ${k(v.bavail).padStart(12)} ${k(v.bfree).padStart(12)} ${pct(v.blocks - v.bfree, v.blocks).padStart(12)}`);
  }

  private async get(words: string[]): Promise<void> {
    const { opts, args } = options(words, 'afpPr');
    const [src, dst] = need(args, 1, 'get remote [local]');
    const remote = this.remote(src!);
    let local = this.local(dst ?? rpath.basename(remote));
    if (statSync(local, { throwIfNoEntry: false })?.isDirectory() && !(await this.isRemoteDir(remote))) local = lpath.join(local, rpath.basename(remote));
    await this.getOne(remote, local, opts.has('p') || opts.has('P') || this.opts.preserve, opts.has('r') || this.opts.recursive, opts.has('a'));
  }

  private async isRemoteDir(p: string): Promise<boolean> {
    const st = await this.sftp.exists(p);
    return st !== null && isDirectory(st);
  }

  private async getOne(remote: string, local: string, preserve: boolean, recursive: boolean, resume: boolean): Promise<void> {
    const st = await this.sftp.stat(remote);
    if (isDirectory(st)) {
      if (!recursive) throw new CommandError(`Cannot download non-regular file: ${remote}`);
      if (!this.opts.quiet) this.say(`Retrieving ${remote}`);
      mkdirSync(local, { recursive: true });
      for (const e of await this.sftp.readdir(remote)) await this.getOne(rpath.join(remote, e.filename), lpath.join(local, e.filename), preserve, recursive, resume);
      if (preserve) await this.preserveLocalDir(local, st);
      return;
    }
    if (!this.opts.quiet) this.say(`Fetching ${remote} to ${local}`);
    const meter = progressMeter(this.out, rpath.basename(remote), this.opts.progress);
    await this.sftp.get(remote, local, { preserve, resume, concurrency: this.opts.concurrency, onProgress: (n, t) => meter.update(n, t) });
    meter.finish();
  }

  private async preserveLocalDir(local: string, st: SftpAttrs): Promise<void> {
    const { chmod, utimes } = await import('node:fs/promises');
    if (st.permissions !== undefined) await chmod(local, st.permissions & 0o7777);
    if (st.mtime !== undefined) await utimes(local, st.atime!, st.mtime);
  }

  private async put(words: string[]): Promise<void> {
    const { opts, args } = options(words, 'afpPr');
    const [src, dst] = need(args, 1, 'put local [remote]');
    const local = this.local(src!);
    let remote = this.remote(dst ?? lpath.basename(local));
    if (!statSync(local, { throwIfNoEntry: false })?.isDirectory() && (await this.isRemoteDir(remote))) remote = rpath.join(remote, lpath.basename(local));
    await this.putOne(local, remote, opts.has('p') || opts.has('P') || this.opts.preserve, opts.has('r') || this.opts.recursive, opts.has('a'));
  }

  private async putOne(local: string, remote: string, preserve: boolean, recursive: boolean, resume: boolean): Promise<void> {
    const st = statSync(local, { throwIfNoEntry: false });
    if (!st) throw new CommandError(`stat local "${local}": No such file or directory`);
    if (st.isDirectory()) {
      if (!recursive) throw new CommandError(`Skipping non-regular file ${local}`);
      if (!this.opts.quiet) this.say(`Entering ${local}`);
      if (!(await this.isRemoteDir(remote))) await this.sftp.mkdir(remote, { permissions: st.mode & 0o777 });
      for (const name of readdirSync(local)) await this.putOne(lpath.join(local, name), rpath.join(remote, name), preserve, recursive, resume);
      if (preserve) await this.sftp.setstat(remote, { permissions: st.mode & 0o7777, atime: Math.floor(st.atimeMs / 1000), mtime: Math.floor(st.mtimeMs / 1000) });
      return;
    }
    if (!this.opts.quiet) this.say(`Uploading ${local} to ${remote}`);
    const meter = progressMeter(this.out, lpath.basename(local), this.opts.progress);
    await this.sftp.put(local, remote, { preserve, resume, concurrency: this.opts.concurrency, onProgress: (n, t) => meter.update(n, t) });
    meter.finish();
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** An `ls -l` line from attributes (for servers' names without a longname, and single files). */
export function longLine(name: string, a: SftpAttrs): string {
  const p = a.permissions ?? 0;
  const type = { 0o040000: 'd', 0o120000: 'l', 0o020000: 'c', 0o060000: 'b', 0o010000: 'p', 0o140000: 's' }[p & 0o170000] ?? '-';
  let mode = type;
  for (const shift of [6, 3, 0]) {
    const bits = (p >> shift) & 7;
    mode += (bits & 4 ? 'r' : '-') + (bits & 2 ? 'w' : '-') + (bits & 1 ? 'x' : '-');
  }
  const d = new Date((a.mtime ?? 0) * 1000);
  const when = `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2)} ${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  return `${mode}    ? ${String(a.uid ?? '?').padEnd(8)} ${String(a.gid ?? '?').padEnd(8)} ${String(a.size ?? 0).padStart(8)} ${when} ${name}`;
}

function need(args: string[], n: number, usage: string): string[] {
  if (args.length < n) throw new CommandError(`usage: ${usage}`);
  return args;
}

function pct(used: bigint, total: bigint): string {
  return total === 0n ? '0%' : `${Number((used * 100n) / total)}%`;
}

function human(n: number): string {
  const units = ['B', 'K', 'M', 'G', 'T', 'P'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)}${units[i]}`;
}
