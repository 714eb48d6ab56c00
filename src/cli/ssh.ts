/**
 * `puressh ssh`: OpenSSH's command line over the puressh client. Runs the command (or the
 * login shell), streams stdin to it and its stdout/stderr back, and exits with its exit
 * status, or 255 with a one-line reason when connecting, the host key or authentication fails.
 */
import type { Readable, Writable } from 'node:stream';
import type { SshClient } from '../client.js';
import type { Channel } from '../connection/channel.js';
import { connectForCli } from './client-options.js';
import { logFailure } from './failure.js';
import { makeLog, type CliIo, type Log } from './io.js';
import { startHostKeyUpdate } from './update-host-keys.js';
import { dumpConfig, queryList, resolveSettings, sessionEnvironment, type SshSettings } from './settings.js';
import { loadSshConfig } from './ssh-config.js';
import { invalidNameMessage, parseSshArgs, USAGE, UsageError } from './ssh-args.js';
import { withSessionFeatures } from './ssh-session.js';
import { backgroundChild, runInBackground } from './fork.js';
import { enableEarlyFree } from '../node-free.js';

export async function runSsh(argv: readonly string[], io: CliIo): Promise<number> {
  enableEarlyFree();
  let args;
  try {
    args = parseSshArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`puressh: ${e.message}\n${USAGE}\n`);
    return 255;
  }
  if (args.version) {
    io.stderr.write(`puressh ${io.version} (pure TypeScript SSH client)\n`);
    return 0;
  }
  if (args.query !== null) {
    const list = queryList(args.query);
    if (!list) {
      io.stderr.write(`puressh: Unsupported query "${args.query}"\n`);
      return 255;
    }
    io.stdout.write(list.join('\n') + '\n');
    return 0;
  }
  if (args.destination === null) {
    io.stderr.write(USAGE + '\n');
    return 255;
  }
  const invalid = invalidNameMessage(args);
  if (invalid !== null) {
    io.stderr.write(invalid + '\n');
    return 255;
  }
  let settings: SshSettings;
  try {
    loadSshConfig(args, io);
    settings = resolveSettings(args, io);
  } catch (e) {
    io.stderr.write(`puressh: ${(e as Error).message}\n`);
    return 255;
  }
  if (args.printConfig) {
    io.stdout.write(dumpConfig(args.host!, settings));
    return 0;
  }
  const background = settings.forkAfterAuthentication ? backgroundChild() : null;
  if (settings.forkAfterAuthentication && !background) {
    if (settings.command === null && !settings.session.noCommand) {
      // ssh's fatal(): its log lines end in \r\n
      io.stderr.write('Cannot fork into background without a command to execute.\r\n');
      return 255;
    }
    return runInBackground(['ssh', ...argv]);
  }
  const log = makeLog(io.stderr, settings);
  for (const n of args.notes) log.debug(n);

  const connected = await connectForCli(settings, io, log);
  if (typeof connected === 'number') return connected;
  const { client, state, ctx } = connected;
  try {
    log.debug(`Authenticated to ${settings.host} ([${settings.host}]:${settings.port}) using "${client.authMethod}".`);
    // A key accepted despite a mismatch (StrictHostKeyChecking=no) must not vouch for others.
    const hostKeysUpdated = state.passwordDisabled ? async () => {} : startHostKeyUpdate(client, settings, log);
    const env = sessionEnvironment(settings, process.env, log.debug);
    const status = await withSessionFeatures(client, { ...settings, env }, io, log, () => runCommand(client, settings, env, io, log), background?.ready);
    await hostKeysUpdated();
    return status;
  } catch (e) {
    logFailure(log, e, ctx);
    return 255;
  } finally {
    await client.disconnect().catch(() => {});
  }
}

async function runCommand(client: SshClient, settings: SshSettings, env: Record<string, string>, io: CliIo, log: Log): Promise<number> {
  const ch = settings.command !== null ? await client.exec(settings.command, { env }) : await client.shell({ env });
  if (settings.command === null) log.debug('no command given: running the login shell without a pseudo-terminal');
  const release = (chunk: Uint8Array): void => ch.release(chunk);
  const output = Promise.all([pumpOut(() => ch.read(), release, io.stdout), pumpOut(() => ch.readStderr(), release, io.stderr)]);
  if (settings.noStdin) await ch.eof();
  else void pumpIn(io.stdin, ch, log);
  try {
    await output;
  } catch (e) {
    if (!(e instanceof BrokenPipe)) throw e;
    // like ssh: a reader that went away (`| head`) ends the session with status 255
    log.debug(`${e.message}; closing the channel`);
    ch.closeNow();
    return 255;
  }
  const status = await ch.exit;
  if (status.signal) log.debug(`remote command killed by signal ${status.signal}${status.message ? `: ${status.message}` : ''}`);
  log.debug(`exit status ${status.code ?? 'none'}`);
  return status.code ?? 255;
}

class BrokenPipe extends Error {}

/**
 * Channel output to a local stream, waiting for 'drain' so the window tracks the consumer.
 * Each chunk is released to the channel once written, so its memory goes back at once.
 */
async function pumpOut(read: () => Promise<Uint8Array | null>, release: (chunk: Uint8Array) => void, out: Writable): Promise<void> {
  let failed = null as Error | null; // set by onError: `as` keeps TypeScript from narrowing it to null
  const onError = (e: Error): void => {
    failed = e;
  };
  out.on('error', onError);
  try {
    for (;;) {
      const chunk = await read();
      if (chunk === null) return;
      if (failed || out.destroyed) throw new BrokenPipe(`write: ${failed?.message ?? 'output closed'}`);
      if (!out.write(chunk, () => release(chunk))) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            out.off('drain', done);
            out.off('close', done);
            out.off('error', done);
            resolve();
          };
          out.on('drain', done);
          out.on('close', done);
          out.on('error', done);
        });
      }
    }
  } finally {
    out.off('error', onError);
  }
}

/** Local stdin to the channel, chunk by chunk with the channel's backpressure, then EOF. */
async function pumpIn(stdin: Readable, ch: Channel, log: Log): Promise<void> {
  try {
    for await (const chunk of stdin) {
      if (ch.isClosed) break;
      await ch.write(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : (chunk as Uint8Array));
    }
    if (!ch.isClosed) await ch.eof();
  } catch (e) {
    log.debug(`stdin: ${(e as Error).message}`);
  }
}
