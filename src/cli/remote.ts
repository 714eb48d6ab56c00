/**
 * Connecting for `puressh sftp` and `puressh scp`: their flags are translated to ssh's
 * (-P port becomes -p, and so on) so that settings, identities, known_hosts and prompts
 * behave exactly as in `puressh ssh`.
 */
import type { SshClient } from '../client.js';
import { connectForCli } from './client-options.js';
import { makeLog, type CliIo, type Log } from './io.js';
import { resolveSettings, type SshSettings } from './settings.js';
import { loadSshConfig } from './ssh-config.js';
import { invalidNameMessage, parseSshArgs, UsageError } from './ssh-args.js';

export interface Connected {
  client: SshClient;
  settings: SshSettings;
  log: Log;
  /** whether the SSH connection has failed (the server dropped it) */
  lost(): boolean;
}

/** Whether a failure came from the connection dropping: asked once the failure's own callbacks have run. */
export async function connectionLost(conn: Connected): Promise<boolean> {
  await new Promise((resolve) => setImmediate(resolve));
  return conn.lost();
}

/**
 * The lines OpenSSH's sftp and scp print when the connection drops under them: their ssh's
 * "Connection to HOST closed by remote host." (clientloop.c), then their own `closedLine`.
 * Returns their exit status, 255.
 */
export function reportLostConnection(io: CliIo, conn: Connected, closedLine: string): number {
  io.stderr.write(`Connection to ${conn.settings.host} closed by remote host.\n${closedLine}\n`);
  return 255;
}

/**
 * Connect with ssh arguments; on failure print ssh's lines, then `closedLine` (what OpenSSH's
 * sftp and scp say when their ssh exits), and resolve with exit status 255.
 */
export async function connectWithSshArgs(sshArgv: string[], io: CliIo, closedLine?: string): Promise<Connected | number> {
  let settings: SshSettings;
  let notes: string[];
  try {
    const args = parseSshArgs(sshArgv);
    const invalid = invalidNameMessage(args);
    if (invalid !== null) {
      // what their ssh says, then their own line
      io.stderr.write(invalid + '\n' + (closedLine !== undefined ? closedLine + '\n' : ''));
      return 255;
    }
    loadSshConfig(args, io);
    settings = resolveSettings(args, io);
    notes = args.notes;
  } catch (e) {
    if (!(e instanceof UsageError) && !(e instanceof Error)) throw e;
    io.stderr.write(`puressh: ${e.message}\n`);
    return 255;
  }
  const log = makeLog(io.stderr, settings);
  for (const n of notes) log.debug(n);
  const connected = await connectForCli(settings, io, log, closedLine);
  if (typeof connected === 'number') return connected;
  const { client } = connected;
  let lost = false;
  void client.closed.then((err) => (lost = err !== null));
  return { client, settings, log, lost: () => lost };
}

/** "[user@]host:path" → parts; null when `spec` is a local path (no colon before any slash). */
export function splitRemote(spec: string): { user: string | null; host: string; path: string } | null {
  const m = /^(?:([^@/:]+)@)?(\[[^\]]+\]|[^:/]+):(.*)$/s.exec(spec);
  if (!m) return null;
  return { user: m[1] ?? null, host: m[2]!.replace(/^\[|\]$/g, ''), path: m[3]! };
}

/** The ssh flags shared by sftp and scp: -P port, -i, -o, -c, -F, -J, -C, -q, -v. */
export function sshFlagsFrom(flags: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const v of flags.get('P') ?? []) out.push('-p', v);
  for (const v of flags.get('i') ?? []) out.push('-i', v);
  for (const v of flags.get('o') ?? []) out.push('-o', v);
  for (const v of flags.get('c') ?? []) out.push('-c', v);
  for (const v of flags.get('F') ?? []) out.push('-F', v);
  for (const v of flags.get('J') ?? []) out.push('-J', v);
  if (flags.has('C')) out.push('-C');
  if (flags.has('q')) out.push('-q');
  for (const _ of flags.get('v') ?? []) out.push('-v');
  return out;
}

/** A one-line progress meter like OpenSSH's: name, percent, bytes, rate, ETA. */
export function progressMeter(
  out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
  name: string,
  enabled: boolean,
): { update(done: number, total: number): void; finish(): void } {
  if (!enabled || !out.isTTY) return { update: () => {}, finish: () => {} };
  const start = Date.now();
  let last = 0;
  const human = (n: number): string => {
    const units = ['B', 'KB', 'MB', 'GB', 'TB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) {
      n /= 1024;
      i++;
    }
    return `${n.toFixed(i === 0 ? 0 : 1)}${units[i]}`;
  };
  const draw = (done: number, total: number): void => {
    const secs = Math.max((Date.now() - start) / 1000, 0.001);
    const rate = done / secs;
    const pct = total > 0 ? Math.floor((done * 100) / total) : 100;
    const eta = rate > 0 && total > done ? Math.ceil((total - done) / rate) : 0;
    const etaText = `${String(Math.floor(eta / 60)).padStart(2, '0')}:${String(eta % 60).padStart(2, '0')}`;
    const right = `${String(pct).padStart(3)}% ${human(done).padStart(8)} ${human(rate).padStart(8)}/s   ${etaText} ETA`;
    const width = out.columns ?? 80;
    const left = name.length > width - right.length - 2 ? name.slice(0, Math.max(0, width - right.length - 2)) : name;
    out.write(`\r${left.padEnd(width - right.length - 1)} ${right}`);
  };
  return {
    update(done, total) {
      const now = Date.now();
      if (now - last < 200 && done < total) return;
      last = now;
      draw(done, total);
    },
    finish() {
      out.write('\n');
    },
  };
}
