/**
 * A hermetic `puressh sshd` for tests, the twin of sshd.ts: a temp dir with fresh host and
 * user keys, an authorized_keys and a known_hosts, a generated sshd_config (caller's lines
 * FIRST: the first value of a keyword wins), and `puressh sshd -D -e -f cfg` run from source
 * through tsx on a free 127.0.0.1 port, waited for until it listens. Sessions run as the
 * current user (root in CI) with HOME set to the temp dir by SetEnv.
 */
import { hermeticSshOptions } from './ssh-client.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { buildConfig, descendants, freePort, generateKey, requireSshd, type HostKeyFiles, type HostKeyType, type KeyFiles } from './sshd.js';

const CLI = join(import.meta.dirname, 'puressh-cli.ts');
const MAX_LOG_CHARS = 4 * 1024 * 1024;

export type PuresshUserKey = 'ed25519' | 'ecdsa256' | 'rsa';

export interface PuresshSshdOptions {
  /** sshd_config lines placed first (first value wins); lines from the first `Match` on go last */
  config?: string[];
  hostKeyTypes?: HostKeyType[];
  startTimeoutMs?: number;
  /** run the compiled CLI (bin/puressh over dist/, as users run it; `npm run build` first) instead of the sources through tsx */
  compiled?: boolean;
}

export interface PuresshSshd {
  host: '127.0.0.1';
  port: number;
  dir: string;
  configPath: string;
  user: string;
  userKeys: Record<PuresshUserKey, KeyFiles>;
  hostKeys: Partial<Record<HostKeyType, HostKeyFiles>>;
  knownHostsPath: string;
  authorizedKeysPath: string;
  /** the server's stderr so far */
  logs(): string;
  /** the server's process id (its sessions are descendants) */
  pid: number;
  /**
   * ssh options that reach this server, known_hosts checked: `extra` first (ssh keeps the
   * first value of an option), then the identity (default: the ed25519 user key).
   */
  sshArgs(extra?: string[], identities?: string[]): string[];
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let hooked = false;

function killTree(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  for (const p of [...descendants(pid), pid]) {
    try {
      process.kill(p, signal);
    } catch {
      /* gone */
    }
  }
}

/** Start puressh sshd on 127.0.0.1. Always `await server.stop()`. */
export async function startPuresshSshd(opts: PuresshSshdOptions = {}): Promise<PuresshSshd> {
  requireSshd(); // ssh-keygen
  const dir = await mkdtemp(join(tmpdir(), 'puressh-psshd-'));
  try {
    return await startIn(dir, opts);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

async function startIn(dir: string, opts: PuresshSshdOptions): Promise<PuresshSshd> {
  const hostTypes = opts.hostKeyTypes ?? ['ed25519', 'ecdsa256', 'ecdsa384', 'ecdsa521', 'rsa'];
  const hostKeys: Partial<Record<HostKeyType, HostKeyFiles>> = {};
  const userKeys = {} as Record<PuresshUserKey, KeyFiles>;
  const userTypes: PuresshUserKey[] = ['ed25519', 'ecdsa256', 'rsa'];
  await Promise.all([
    ...hostTypes.map(async (t) => {
      const path = join(dir, `ssh_host_${t}_key`);
      hostKeys[t] = { path, publicLine: await generateKey(t, path, { rsaBits: 2048, comment: `host-${t}` }) };
    }),
    ...userTypes.map(async (t) => {
      const privatePath = join(dir, `id_${t}`);
      const publicLine = await generateKey(t, privatePath, { rsaBits: 2048, comment: `user-${t}` });
      userKeys[t] = { privatePath, publicPath: `${privatePath}.pub`, publicLine };
    }),
  ]);
  const authorizedKeysPath = join(dir, 'authorized_keys');
  // Run as root, the server reads it with the ids of the user logging in (as sshd does): tests
  // that log in as other accounts need the directory searchable and the file readable.
  await writeFile(authorizedKeysPath, userTypes.map((t) => userKeys[t].publicLine).join('\n') + '\n', { mode: 0o644 });
  await chmod(dir, 0o711);
  const configPath = join(dir, 'sshd_config');
  const knownHostsPath = join(dir, 'known_hosts');
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 6; attempt++) {
    const port = await freePort();
    const defaults = [
      'ListenAddress 127.0.0.1',
      `Port ${port}`,
      ...hostTypes.map((t) => `HostKey ${hostKeys[t]!.path}`),
      `AuthorizedKeysFile ${authorizedKeysPath}`,
      'StrictModes no',
      'PidFile none',
      'PermitRootLogin yes',
      `SetEnv HOME=${dir}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PrintMotd no',
      'MaxStartups 100',
      'MaxSessions 100',
      'LogLevel VERBOSE',
    ];
    await writeFile(configPath, buildConfig(opts.config ?? [], defaults), { mode: 0o600 });
    const started = await launch(configPath, port, opts.startTimeoutMs ?? 20_000, opts.compiled ?? false);
    if ('retry' in started) {
      lastError = started.retry;
      continue;
    }
    const { child, logs } = started;
    const strip = (l: string): string => l.split(/\s+/).slice(0, 2).join(' ');
    await writeFile(knownHostsPath, hostTypes.map((t) => `[127.0.0.1]:${port} ${strip(hostKeys[t]!.publicLine)}`).join('\n') + '\n');
    let stopping: Promise<void> | undefined;
    const user = userInfo().username;
    return {
      host: '127.0.0.1',
      port,
      dir,
      configPath,
      user,
      userKeys,
      hostKeys,
      knownHostsPath,
      authorizedKeysPath,
      logs: () => logs.join(''),
      pid: child.pid!,
      sshArgs: (extra = [], identities = [userKeys.ed25519.privatePath]) => hermeticSshOptions({ port, knownHostsPath }, user, identities, extra),
      stop: () =>
        (stopping ??= (async () => {
          if (child.exitCode === null && child.signalCode === null) {
            const exited = new Promise<void>((r) => child.once('exit', () => r()));
            killTree(child.pid, 'SIGTERM');
            const t = setTimeout(() => killTree(child.pid, 'SIGKILL'), 3000);
            await exited;
            clearTimeout(t);
          }
          live.delete(child);
          rmSync(dir, { recursive: true, force: true });
        })()),
    };
  }
  throw lastError ?? new Error('puressh sshd did not start');
}

type Launched = { child: ChildProcess; logs: string[] } | { retry: Error };

function launch(configPath: string, port: number, timeoutMs: number, compiled: boolean): Promise<Launched> {
  return new Promise((resolve, reject) => {
    const entry = compiled ? [join(import.meta.dirname, '..', '..', 'bin', 'puressh')] : ['--import', 'tsx', CLI];
    const child = spawn(process.execPath, [...entry, 'sshd', '-D', '-e', '-f', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    if (!hooked) {
      hooked = true;
      process.on('exit', () => {
        for (const c of live) killTree(c.pid, 'SIGKILL');
      });
    }
    const logs: string[] = [];
    let size = 0;
    let ready = false;
    const onData = (chunk: Buffer): void => {
      const s = chunk.toString('utf8');
      logs.push(s);
      size += s.length;
      while (size > MAX_LOG_CHARS && logs.length > 1) size -= logs.shift()!.length;
      if (!ready && logs.join('').includes(`Server listening on 127.0.0.1 port ${port}.`)) {
        ready = true;
        clearTimeout(timer);
        resolve({ child, logs });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => {
      killTree(child.pid, 'SIGKILL');
      reject(new Error(`puressh sshd did not listen within ${timeoutMs} ms:\n${logs.join('')}`));
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      live.delete(child);
      if (ready) return;
      clearTimeout(timer);
      const text = logs.join('');
      const msg = `puressh sshd exited during startup (${signal ?? `status ${code}`}):\n${text}`;
      if (/Address already in use/.test(text)) resolve({ retry: new Error(msg) });
      else reject(new Error(msg));
    });
  });
}
