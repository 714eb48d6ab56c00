/**
 * The `puressh` command (Node only). `bin/puressh` calls `cli()`.
 *
 *   puressh ssh [-p port] [-l user] [-i identity]... [-o Name=Value]... [-C] [-v]
 *               [-Q kex|cipher|mac|key|compression] [user@]host [command...]
 */
import { readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import type { Writable } from 'node:stream';
import { makePrompter } from './prompt.js';
import type { CliIo } from './io.js';
import { USAGE } from './ssh-args.js';
import { setTransferFlag } from '../node-free.js';
import { keepYoungGenerationSmall } from '../node-heap.js';

const HELP = `puressh: an SSH client in pure TypeScript

commands:
  puressh ssh [options] [user@]host [command...]   run a command like OpenSSH's ssh
  puressh sftp [options] [user@]host[:path]        file transfer like OpenSSH's sftp (-b batchfile)
  puressh scp [options] source ... target          copy files like OpenSSH's scp ([user@]host:path)
  puressh sftp-server [-R] [-d dir] [-u umask]     serve SFTP on stdin/stdout like OpenSSH's sftp-server
  puressh ssh-keygen [options]                     generate keys, fingerprints, certificates like ssh-keygen
  puressh sshd [-t|-T] [-f config] [-o option]...   check or print an sshd_config like OpenSSH's sshd (-t, -T)
  puressh websocket-proxy [options] [host:]port [name=]host:port...
                                                   bridge browsers' WebSockets to SSH servers (websockify-compatible)
  puressh --version

${USAGE}`;

export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function defaultIo(): CliIo {
  let localUser = process.env.USER ?? '';
  try {
    localUser = userInfo().username;
  } catch {
    /* no passwd entry: keep $USER */
  }
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    home: process.env.HOME ?? homedir(),
    localUser,
    prompt: makePrompter(process.env),
    version: packageVersion(),
  };
}

/** Run the command line (without "node" and the script path); resolves with the exit status. */
export async function main(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  const [command, ...rest] = argv;
  // Each command's modules load only when it runs: start-up time is what `ssh host true` pays.
  switch (command) {
    case 'ssh':
      return (await import('./ssh.js')).runSsh(rest, io);
    case 'sftp':
      return (await import('./sftp.js')).runSftp(rest, io);
    case 'scp':
      return (await import('./scp.js')).runScp(rest, io);
    case 'sftp-server':
      return (await import('./sftp-server.js')).runSftpServer(rest, io);
    case 'scp-server':
      return (await import('./scp-server.js')).runScpServer(rest, io);
    case 'ssh-keygen':
      return (await import('./ssh-keygen.js')).runSshKeygen(rest, io);
    case 'sshd':
      return (await import('./sshd.js')).runSshd(rest, io);
    case 'websocket-proxy':
      return (await import('./websocket-proxy.js')).runWebSocketProxy(rest, io);
    case '-V':
    case '--version':
      io.stdout.write(`puressh ${io.version}\n`);
      return 0;
    case '-h':
    case '--help':
    case 'help':
      io.stdout.write(HELP + '\n');
      return 0;
    case undefined:
      io.stderr.write(HELP + '\n');
      return 255;
    default:
      io.stderr.write(`puressh: unknown command "${command}"\n${HELP}\n`);
      return 255;
  }
}

function flush(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.writableEnded || stream.errored) return resolve();
    stream.write('', () => resolve());
  });
}

/**
 * The one stderr line for an error nothing else described: its message on one line, never
 * a stack trace (ssh prints no backtraces either). Set PURESSH_DEBUG_STACK=1 to see the stack.
 */
export function internalErrorLine(e: unknown, env: NodeJS.ProcessEnv = process.env): string {
  if (env.PURESSH_DEBUG_STACK === '1' && e instanceof Error && e.stack) return `puressh: internal error: ${e.stack}`;
  const text = e instanceof Error ? e.message || e.name : String(e);
  return `puressh: internal error: ${text.replace(/\s*[\r\n]+\s*/g, ' ').trim()}`;
}

/** The process entry: run, flush stdout and stderr, exit with the status. */
export async function cli(argv: readonly string[] = process.argv.slice(2)): Promise<never> {
  // First, before a command's modules load (sshd serves many connections and keeps V8's sizing).
  if (argv[0] !== 'sshd') keepYoungGenerationSmall();
  // Before the code loads too, as V8 tags cached code with the flags; each command then
  // calls enableEarlyFree itself, since each command's bundle has its own ../wire/free.ts.
  setTransferFlag();
  // A closed or full stdout/stderr must not crash us; the pumps notice and stop.
  for (const s of [process.stdout, process.stderr]) s.on('error', () => {});
  // An error that escapes every handler (a stray rejection, a throw in a callback) ends the
  // process as ssh's fatal() does: one line, status 255, instead of Node's stack dump.
  const fatal = (e: unknown): void => {
    process.stderr.write(internalErrorLine(e) + '\n');
    void flush(process.stderr).then(() => process.exit(255));
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  let code: number;
  try {
    code = await main(argv);
  } catch (e) {
    process.stderr.write(internalErrorLine(e) + '\n');
    code = 255;
  }
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  process.exit(code);
}
