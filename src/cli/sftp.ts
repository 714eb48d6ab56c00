/**
 * `puressh sftp`: OpenSSH sftp's command line. Commands come from a batch file (-b, "-" for
 * stdin: every line echoed, the first failure ends the run with status 1 unless the line
 * starts with "-") or interactively from stdin. A progress meter shows on a terminal.
 *
 *   puressh sftp [-Cpqrv] [-b batchfile] [-c cipher] [-F ssh_config] [-i identity_file]
 *                [-o ssh_option] [-P port] [-R num_requests] destination
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { SshError } from '../errors.js';
import { isDirectory } from '../sftp/attrs.js';
import { decodeName } from '../sftp/names.js';
import { connectionLost, connectWithSshArgs, reportLostConnection, sshFlagsFrom, splitRemote } from './remote.js';
import { utf8Locale } from './sftp-output.js';
import { SftpShell } from './sftp-shell.js';
import { strerror } from './strerror.js';
import type { CliIo } from './io.js';
import { parseDestination, parseFlags, UsageError } from './ssh-args.js';
import { enableEarlyFree } from '../node-free.js';

export const SFTP_USAGE = `usage: puressh sftp [-aCfNpqrv] [-B buffer_size] [-b batchfile] [-c cipher] [-F ssh_config]
          [-i identity_file] [-J destination] [-o ssh_option] [-P port] [-R num_requests] destination`;

export async function runSftp(argv: readonly string[], io: CliIo): Promise<number> {
  enableEarlyFree();
  let parsed;
  try {
    parsed = parseFlags(argv, 'aCfNpqrv46', 'BbcFiJloPR');
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`puressh sftp: ${e.message}\n${SFTP_USAGE}\n`);
    return 1;
  }
  const { flags, rest } = parsed;
  if (rest.length !== 1) {
    io.stderr.write(SFTP_USAGE + '\n');
    return 1;
  }
  let dest = rest[0]!;
  let path: string | null = null;
  const url = /^sftp:\/\/(?:([^@/]+)@)?(\[[^\]]+\]|[^:/]+)(?::(\d+))?(\/.*)?$/.exec(dest);
  const sshArgv = sshFlagsFrom(flags);
  if (url) {
    dest = `${url[1] ? `${url[1]}@` : ''}${url[2]}`;
    if (url[3]) sshArgv.push('-p', url[3]);
    path = url[4] ? url[4].slice(1) || '/' : null;
  } else {
    const r = splitRemote(dest);
    if (r) {
      dest = `${r.user ? `${r.user}@` : ''}${r.host}`;
      path = r.path || null;
    }
  }
  sshArgv.push(dest);
  const batch = flags.get('b')?.[0];
  let batchFile: string[] | null = null;
  if (batch !== undefined && batch !== '-') {
    try {
      batchFile = readBatch(batch);
    } catch (e) {
      // sftp's fatal("%s (%s).", strerror(errno), batchfile), before connecting
      io.stderr.write(`${strerror(e)} (${batch}).\r\n`);
      return 255;
    }
  }
  const conn = await connectWithSshArgs(sshArgv, io, 'Connection closed');
  if (typeof conn === 'number') return conn;
  const { client, log } = conn;
  // as OpenSSH's sftp: -b implies -q, unless -N
  const quiet = flags.has('q') || (flags.has('b') && !flags.has('N'));
  const stdinTty = (io.stdin as { isTTY?: boolean }).isTTY === true;
  const interactive = batch === undefined && stdinTty;
  try {
    const sftp = await client.sftp();
    // -R counts requests; without it the library's default applies: 64 requests, or 4 MiB of
    // data if fewer. OpenSSH's 64 requests are of 32 KiB (2 MiB in flight); ours are of the
    // server's maximum (255 KiB from OpenSSH), so 64 of them would keep 16 MiB in flight.
    const requests = Number(flags.get('R')?.[0]);
    const stdout = io.stdout as NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
    const shell = new SftpShell(
      sftp,
      io.stdout,
      {
        progress: !quiet && stdout.isTTY === true,
        preserve: flags.has('p'),
        recursive: flags.has('r'),
        resume: flags.has('a'),
        concurrency: Number.isInteger(requests) && requests > 0 ? requests : undefined,
        quiet,
        quietLog: flags.has('q'),
        // sftp asks the terminal on stdin for its width
        width: stdinTty ? (stdout.columns ?? 80) : 80,
        utf8: utf8Locale(process.env),
      },
      io.stderr,
    );
    await shell.init();
    // the host as typed, as sftp says it
    if (!quiet) log.info(`Connected to ${parseDestination(dest).host}.`);
    if (path !== null) {
      const target = shell.remote(path);
      const st = await sftp.exists(target);
      if (st && isDirectory(st)) {
        if (!quiet) io.stdout.write(`Changing to: ${target}\n`);
        if ((await shell.dispatch(`cd "${target}"`, true, false)) !== 0) return 1;
      } else {
        // like sftp host:file: fetch it and stop
        return (await shell.dispatch(`get${flags.has('a') ? ' -a' : ''} ${target}`, true, false)) === 0 ? 0 : 1;
      }
    }
    const lines = batchFile !== null ? batchFile : interactive ? terminalLines(io) : streamLines(io);
    for await (const line of lines) {
      const r = await shell.dispatch(line, batch !== undefined, !interactive);
      // as sftp when its ssh exits under it: ssh's line, then sftp's own, status 255
      if (r === -1 && (await connectionLost(conn))) return reportLostConnection(io, conn, 'Connection closed');
      if (r === -1) return 1;
      if (r === 1) break;
    }
    return 0;
  } catch (e) {
    if (!(e instanceof SshError)) throw e;
    if (await connectionLost(conn)) return reportLostConnection(io, conn, 'Connection closed');
    io.stderr.write(`${e.message}\n`);
    return 1;
  } finally {
    await client.disconnect().catch(() => {});
  }
}

/** The lines of a batch file, read before connecting; their bytes kept (names need not be UTF-8). */
function readBatch(file: string): string[] {
  const lines = splitLines(readFileSync(file));
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function splitLines(bytes: Uint8Array): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0x0a) continue;
    out.push(decodeName(bytes.subarray(start, i)));
    start = i + 1;
  }
  out.push(decodeName(bytes.subarray(start)));
  return out;
}

/** Lines from a pipe or file on stdin (echoed by the caller, as sftp does when stdin is no terminal), bytes kept. */
async function* streamLines(io: CliIo): AsyncGenerator<string> {
  let rest: Uint8Array = new Uint8Array(0);
  for await (const chunk of io.stdin as AsyncIterable<Uint8Array | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const joined = rest.length ? Buffer.concat([rest, bytes]) : bytes;
    const end = joined.lastIndexOf(0x0a);
    if (end < 0) {
      rest = joined;
      continue;
    }
    const lines = splitLines(joined.subarray(0, end));
    rest = joined.slice(end + 1);
    yield* lines;
  }
  if (rest.length) yield decodeName(rest);
}

/** Lines typed at a terminal: the "sftp> " prompt, line editing and history (as sftp's libedit: emacs keys, 100 lines). */
async function* terminalLines(io: CliIo): AsyncGenerator<string> {
  const rl = createInterface({ input: io.stdin, output: io.stdout, terminal: true, prompt: 'sftp> ', historySize: 100, removeHistoryDuplicates: false });
  const queue: string[] = [];
  let closed = false as boolean;
  let wake: (() => void) | null = null;
  rl.on('line', (l) => {
    queue.push(l);
    wake?.();
  });
  rl.on('close', () => {
    closed = true;
    wake?.();
  });
  // ^C at the prompt drops the line and prompts again (sftp's read_interrupt)
  rl.on('SIGINT', () => {
    rl.write(null, { ctrl: true, name: 'e' });
    rl.write(null, { ctrl: true, name: 'u' });
    io.stdout.write('\n');
    rl.prompt();
  });
  try {
    for (;;) {
      rl.prompt();
      while (queue.length === 0 && !closed) await new Promise<void>((r) => (wake = r));
      wake = null;
      const line = queue.shift();
      if (line === undefined) {
        io.stdout.write('\n');
        return;
      }
      rl.pause();
      yield line;
      rl.resume();
    }
  } finally {
    rl.close();
  }
}
