/**
 * `puressh sftp`: OpenSSH sftp's command line. Commands come from a batch file (-b, "-" for
 * stdin: every line echoed, the first failure ends the run with status 1 unless the line
 * starts with "-") or interactively from stdin. A progress meter shows on a terminal.
 *
 *   puressh sftp [-Cpqrv] [-b batchfile] [-c cipher] [-F ssh_config] [-i identity_file]
 *                [-o ssh_option] [-P port] [-R num_requests] destination
 */
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { SshError } from '../errors.js';
import { isDirectory } from '../sftp/attrs.js';
import { connectionLost, connectWithSshArgs, parseFlags, reportLostConnection, sshFlagsFrom, splitRemote } from './remote.js';
import { SftpShell } from './sftp-shell.js';
import { strerror } from './strerror.js';
import type { CliIo } from './io.js';
import { parseDestination, UsageError } from './ssh-args.js';

export const SFTP_USAGE = `usage: puressh sftp [-Cpqrv] [-B buffer_size] [-b batchfile] [-c cipher] [-F ssh_config]
          [-i identity_file] [-J destination] [-o ssh_option] [-P port] [-R num_requests] destination`;

export async function runSftp(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseFlags(argv, 'Cpqrv46', 'BbcFiJloPR');
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
  const batchFile = flags.get('b')?.[0];
  if (batchFile !== undefined && batchFile !== '-') {
    // as sftp: a batch file that cannot be opened ends the run before connecting
    try {
      closeSync(openSync(batchFile, 'r'));
    } catch (e) {
      io.stderr.write(`${strerror(e)} (${batchFile}).\n`);
      return 255;
    }
  }
  const conn = await connectWithSshArgs(sshArgv, io, 'Connection closed');
  if (typeof conn === 'number') return conn;
  const { client, log } = conn;
  // as OpenSSH's sftp: -b implies -q
  const quiet = flags.has('q') || flags.has('b');
  const batch = flags.get('b')?.[0];
  try {
    const sftp = await client.sftp();
    const requests = Number(flags.get('R')?.[0] ?? 64);
    const stdout = io.stdout as NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
    const shell = new SftpShell(sftp, io.stdout, {
      progress: !quiet && batch === undefined ? stdout.isTTY === true : !quiet && stdout.isTTY === true,
      preserve: flags.has('p'),
      recursive: flags.has('r'),
      concurrency: Number.isInteger(requests) && requests > 0 ? requests : 64,
      quiet,
    });
    await shell.init();
    // the host as typed, as sftp says it
    if (!quiet) log.info(`Connected to ${parseDestination(dest).host}.`);
    if (path !== null) {
      const target = shell.remote(path);
      const st = await sftp.stat(target);
      if (isDirectory(st)) await shell.run(`cd "${target.replace(/(["\\])/g, '\\$1')}"`);
      else {
        // like sftp host:file: fetch it and stop
        await shell.run(`get "${target.replace(/(["\\])/g, '\\$1')}"`);
        return 0;
      }
    }
    const lines = batch !== undefined ? batchLines(batch, io) : interactiveLines(io);
    for await (const raw of lines) {
      let line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      let ignoreError = false;
      let echo = batch !== undefined;
      while (line.startsWith('-') || line.startsWith('@')) {
        if (line[0] === '-') ignoreError = true;
        else echo = false;
        line = line.slice(1);
      }
      if (echo) io.stdout.write(`sftp> ${line}\n`);
      try {
        await shell.run(line);
      } catch (e) {
        if (!(e instanceof SshError) && !(e instanceof Error && e.name === 'CommandError') && !(e as NodeJS.ErrnoException).code) throw e;
        if (await connectionLost(conn)) return reportLostConnection(io, conn, 'Connection closed');
        io.stderr.write(`${(e as Error).message}\n`);
        if (batch !== undefined && !ignoreError) return 1;
      }
      if (shell.done) break;
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

async function* batchLines(file: string, io: CliIo): AsyncGenerator<string> {
  if (file === '-') {
    yield* interactiveLines(io, false);
    return;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SshError('FILE', `${file}: ${(e as Error).message}`);
  }
  yield* text.split('\n');
}

async function* interactiveLines(io: CliIo, prompt = true): AsyncGenerator<string> {
  const tty = (io.stdin as { isTTY?: boolean }).isTTY === true && prompt;
  const rl = createInterface({ input: io.stdin, terminal: false });
  const it = rl[Symbol.asyncIterator]();
  try {
    for (;;) {
      if (tty) io.stdout.write('sftp> ');
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  } finally {
    rl.close();
  }
}
