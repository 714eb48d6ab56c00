/**
 * `puressh sftp-server`: the SFTP server on stdin/stdout, as OpenSSH's sftp-server runs
 * (sftp-server(8)): -d start directory, -R read-only, -u umask, -e log to stderr, -l level,
 * -p/-P request allow/deny lists, -Q requests. It serves the local file system unconfined,
 * as sftp-server does, unless `puressh sshd` started it for a ChrootDirectory with the
 * internal option `--chroot DIR` first: then DIR is "/" (a confined NodeFs), and the start
 * directory is the home directory inside it when that exists, else "/" (session.c).
 */
import type { Readable, Writable } from 'node:stream';
import { lookupUserById } from '../server/node-passwd.js';
import { NodeFs } from '../sftp/server/node-fs.js';
import { SftpServer, type SftpRequestName } from '../sftp/server/server.js';
import type { ByteStream } from '../transport/stream.js';
import type { CliIo } from './io.js';
import { parseFlags, UsageError } from './ssh-args.js';

const USAGE = `usage: sftp-server [-ehR] [-d start_directory] [-f log_facility] [-l log_level]
	[-P denied_requests] [-p allowed_requests] [-u umask]
       sftp-server -Q protocol_feature`;

const REQUESTS: readonly SftpRequestName[] = [
  'open',
  'close',
  'read',
  'write',
  'lstat',
  'fstat',
  'setstat',
  'fsetstat',
  'opendir',
  'readdir',
  'remove',
  'mkdir',
  'rmdir',
  'realpath',
  'stat',
  'rename',
  'readlink',
  'symlink',
  'posix-rename',
  'statvfs',
  'fstatvfs',
  'hardlink',
  'fsync',
  'lsetstat',
  'limits',
  'expand-path',
  'copy-data',
  'home-directory',
  'users-groups-by-id',
];

/** A Readable and a Writable as one ByteStream; reading pauses while chunks wait. */
export function stdioStream(input: Readable, output: Writable): ByteStream {
  const queue: Uint8Array[] = [];
  let ended = false;
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  input.on('data', (c: Buffer) => {
    queue.push(c);
    if (queue.length >= 16) input.pause();
    notify();
  });
  input.on('end', () => {
    ended = true;
    notify();
  });
  input.on('error', (e) => {
    failure = e;
    notify();
  });
  output.on('error', () => {});
  // One wait for 'drain' shared by every write that finds the buffer full.
  let drained: Promise<void> | null = null;
  const drain = (): Promise<void> =>
    (drained ??= new Promise<void>((resolve) => {
      const done = (): void => {
        output.off('drain', done);
        output.off('close', done);
        drained = null;
        resolve();
      };
      output.on('drain', done);
      output.on('close', done);
    }));
  return {
    async read() {
      while (queue.length === 0 && !ended && failure === null) await new Promise<void>((r) => (wake = r));
      const c = queue.shift();
      if (c) {
        if (queue.length < 4) input.resume();
        return c;
      }
      if (failure !== null) throw failure instanceof Error ? failure : new Error('standard input failed');
      return null;
    },
    write(b) {
      if (output.destroyed || output.writableEnded) return;
      if (output.write(b)) return;
      return drain();
    },
    close() {
      input.pause();
      if (!output.writableEnded) output.end();
    },
  };
}

/**
 * The option `puressh sshd` passes first, and only it, to serve a ChrootDirectory: the next
 * argument is the directory the client sees as "/" (internal; not one of sftp-server's flags).
 */
export const CHROOT_OPTION = '--chroot';

const LOG_LEVELS = ['QUIET', 'FATAL', 'ERROR', 'INFO', 'VERBOSE', 'DEBUG', 'DEBUG1', 'DEBUG2', 'DEBUG3'];

/** A directory of `fs` named by `path`, or false. */
async function isDirectory(fs: NodeFs, path: string): Promise<boolean> {
  try {
    return ((await fs.stat(new TextEncoder().encode(path))).mode & 0o170000) === 0o040000;
  } catch {
    return false;
  }
}

/**
 * The file system of a chroot: the home directory inside it if there is one (session.c
 * do_child, silently), then -d inside it (sftp-server.c: an error and no change when it fails).
 */
async function confinedFs(root: string, startDir: string | undefined, io: CliIo, warn: boolean): Promise<NodeFs> {
  const probe = new NodeFs({ root });
  let start = (await isDirectory(probe, io.home)) ? io.home : '/';
  if (startDir !== undefined) {
    const wanted = startDir.startsWith('/') ? startDir : `${start.replace(/\/$/, '')}/${startDir}`;
    if (await isDirectory(probe, wanted)) start = wanted;
    else if (warn) io.stderr.write(`sftp-server: chdir to "${startDir}" failed\n`);
  }
  probe.dispose();
  return new NodeFs({ root, home: start });
}

/** Run `puressh sftp-server [options]`; resolves with the exit status when the client leaves. */
export async function runSftpServer(argv: readonly string[], io: CliIo): Promise<number> {
  let root: string | undefined;
  if (argv[0] === CHROOT_OPTION && argv.length >= 2) {
    root = argv[1]!;
    argv = argv.slice(2);
  }
  let parsed;
  try {
    parsed = parseFlags(argv, 'cehR', 'dflPpQu');
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`sftp-server: ${e.message}\n${USAGE}\n`);
    return 1;
  }
  const { flags } = parsed;
  const one = (k: string): string | undefined => flags.get(k)?.at(-1);
  if (flags.has('h')) {
    io.stderr.write(USAGE + '\n');
    return 1;
  }
  const query = one('Q');
  if (query !== undefined) {
    if (query.toLowerCase() !== 'requests') {
      io.stderr.write('Invalid query type\n');
      return 1;
    }
    io.stdout.write(REQUESTS.join('\n') + '\n');
    return 0;
  }
  const umask = one('u');
  if (umask !== undefined) {
    if (!/^[0-7]{1,4}$/.test(umask) || parseInt(umask, 8) > 0o777) {
      io.stderr.write(`sftp-server: Invalid umask "${umask}"\n`);
      return 1;
    }
    process.umask(parseInt(umask, 8));
  }
  // sftp-server.c: the account is getpwuid(getuid()): %d, %u, ~ and the chroot's home come from it, not $HOME.
  const uid = process.getuid?.();
  const account = uid !== undefined ? await lookupUserById(uid).catch(() => null) : null;
  if (account) io = { ...io, home: account.home, localUser: account.name };
  const level = (one('l') ?? 'ERROR').toUpperCase();
  if (!LOG_LEVELS.includes(level)) io.stderr.write(`sftp-server: Invalid log level "${level}"\n`);
  const verbose = flags.has('e') && ['INFO', 'VERBOSE', 'DEBUG', 'DEBUG1', 'DEBUG2', 'DEBUG3'].includes(level);
  const allow = one('p')?.split(',');
  const deny = one('P')?.split(',');
  let home = one('d');
  if (home?.startsWith('~')) home = io.home + home.slice(1);
  home = home?.replace(/%d/g, io.home).replace(/%u/g, io.localUser);
  let fsys: NodeFs;
  if (root !== undefined) {
    fsys = await confinedFs(root, home, io, flags.has('e'));
  } else {
    fsys = new NodeFs(home !== undefined ? { home: home.startsWith('/') ? home : `${process.cwd()}/${home}` } : {});
  }
  const server = new SftpServer(stdioStream(io.stdin, io.stdout), {
    fs: fsys,
    readOnly: flags.has('R'),
    ...(allow || deny ? { authorize: (r) => !deny?.includes(r.name) && (!allow || allow.includes(r.name)) } : {}),
    ...(verbose ? { log: (line: string) => void io.stderr.write(line + '\n') } : {}),
  });
  await server.serve();
  fsys.dispose();
  return 0;
}
