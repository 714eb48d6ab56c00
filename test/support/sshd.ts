/**
 * A hermetic Debian OpenSSH sshd for tests, demo and bench.
 *
 * `startSshd()` makes a temp dir with fresh host and user keys, an authorized_keys and a
 * known_hosts, writes an sshd_config (caller's lines FIRST: sshd keeps the first value of a
 * keyword), starts `sshd -D -e -f cfg` on a free 127.0.0.1 port and waits until it listens.
 * Remote commands see HOME=<temp dir>, so the user's own rc files (e.g. root's .bashrc) are
 * not read. If sshd is absent this throws an Error whose message is the install command:
 * tests FAIL, never skip.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export const SSHD_PATH = '/usr/sbin/sshd';
export const SSH_KEYGEN_PATH = 'ssh-keygen';
/** What a missing sshd error says: the command that installs it (Debian). */
export const SSHD_INSTALL_COMMAND = 'apt-get install -y openssh-server';

export type HostKeyType = 'ed25519' | 'ecdsa256' | 'ecdsa384' | 'ecdsa521' | 'rsa' | 'dsa';
export type UserKeyType = 'ed25519' | 'ecdsa256' | 'ecdsa384' | 'ecdsa521' | 'rsa';
export const USER_KEY_TYPES: readonly UserKeyType[] = ['ed25519', 'ecdsa256', 'ecdsa384', 'ecdsa521', 'rsa'];
export const DEFAULT_HOST_KEY_TYPES: readonly HostKeyType[] = ['ed25519', 'ecdsa256', 'ecdsa384', 'ecdsa521', 'rsa'];

export interface KeyFiles {
  privatePath: string;
  publicPath: string;
  /** the .pub line: "type base64 comment" */
  publicLine: string;
}

export interface HostKeyFiles {
  path: string;
  publicLine: string;
}

export interface SshdOptions {
  /** sshd_config lines placed FIRST (first value wins). Lines from the first `Match` on go last. */
  config?: string[];
  /** host keys to generate and load; default ed25519, ecdsa256/384/521, rsa. 'dsa' also enables ssh-dss. */
  hostKeyTypes?: HostKeyType[];
  /** RSA modulus size for the generated host and user keys (default 3072, like ssh-keygen). */
  rsaBits?: number;
  /** how long to wait for sshd to listen (default 10 s) */
  startTimeoutMs?: number;
}

export interface Sshd {
  host: '127.0.0.1';
  port: number;
  /** the temp dir holding config, keys and known_hosts; also the remote $HOME */
  dir: string;
  configPath: string;
  /** the current user's name: the account tests log in as */
  user: string;
  userKeys: Record<UserKeyType, KeyFiles>;
  hostKeys: Partial<Record<HostKeyType, HostKeyFiles>>;
  /** known_hosts listing every host key for [127.0.0.1]:port */
  knownHostsPath: string;
  authorizedKeysPath: string;
  /** sshd's stdout+stderr so far (at LogLevel VERBOSE unless the config says otherwise) */
  logs(): string;
  /** the listening sshd's process id (its sessions are descendants) */
  pid: number;
  stop(): Promise<void>;
}

const KEYGEN_ARGS: Record<HostKeyType, string[]> = {
  ed25519: ['-t', 'ed25519'],
  ecdsa256: ['-t', 'ecdsa', '-b', '256'],
  ecdsa384: ['-t', 'ecdsa', '-b', '384'],
  ecdsa521: ['-t', 'ecdsa', '-b', '521'],
  rsa: ['-t', 'rsa'],
  dsa: ['-t', 'dsa'],
};

const MAX_LOG_CHARS = 8 * 1024 * 1024;

/** Throws (with the install command as message) unless sshd and ssh-keygen are present. */
/**
 * A server's log once it matches `re` (or as it is after 5 s): a server may log a line after
 * the client has its answer (sshd's pre-auth child through its monitor; a refusal logged once
 * the account is looked up).
 */
export async function logMatching(server: { logs(): string }, re: RegExp): Promise<string> {
  for (let i = 0; i < 50 && !re.test(server.logs()); i++) await new Promise((r) => setTimeout(r, 100));
  return server.logs();
}

export function requireSshd(): void {
  if (!existsSync(SSHD_PATH)) throw new Error(SSHD_INSTALL_COMMAND);
  try {
    execFileSync(SSH_KEYGEN_PATH, ['-?'], { stdio: 'ignore' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(SSHD_INSTALL_COMMAND, { cause: e });
    // ssh-keygen -? exits non-zero after printing usage: it exists.
  }
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

/** Generate an unencrypted OpenSSH-format key pair at `path` (+ `.pub`); returns the .pub line. */
export async function generateKey(type: HostKeyType, path: string, opts: { rsaBits?: number; comment?: string } = {}): Promise<string> {
  const args = [...KEYGEN_ARGS[type]];
  if (type === 'rsa') args.push('-b', String(opts.rsaBits ?? 3072));
  args.push('-q', '-N', '', '-C', opts.comment ?? `puressh-test-${type}`, '-f', path);
  await run(SSH_KEYGEN_PATH, args);
  return (await readFile(`${path}.pub`, 'utf8')).trim();
}

/** A port that was free a moment ago (bind 127.0.0.1:0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

// ---- process bookkeeping: every sshd dies with us ----

const live = new Set<{ child: ChildProcess; dir: string }>();
let exitHookInstalled = false;

function cleanupAll(): void {
  for (const s of live) {
    killTree(s.child.pid, 'SIGKILL');
    try {
      rmSync(s.dir, { recursive: true, force: true });
    } catch {
      /* best effort at exit */
    }
  }
  live.clear();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', cleanupAll);
  // A signal kills us without 'exit': clean up, then die of the same signal unless someone else handles it.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      cleanupAll();
      process.removeListener(sig, onSignal);
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

/** Every live descendant of `pid` (via /proc; sshd's session children call setsid, so no group kill). */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // "pid (comm) state ppid ..."; comm may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(name));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

function killTree(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  for (const p of [...descendants(pid), pid]) {
    try {
      process.kill(p, signal);
    } catch {
      /* already gone */
    }
  }
}

// ---- config ----

/** The key a config line sets: its keyword, or "subsystem NAME" (sshd refuses a second one). */
function configKey(line: string): string {
  const [kw = '', arg = ''] = line.trim().split(/\s+/);
  const k = kw.toLowerCase();
  return k === 'subsystem' ? `${k} ${arg}` : k;
}

/** Keywords that accumulate, so the harness keeps its own lines beside the caller's. */
const ACCUMULATING = new Set(['hostkey']);

/**
 * Caller's lines first, so the caller's value wins. A default whose keyword the caller set is
 * dropped: some keywords are last-wins (MaxStartups) or fatal when repeated (Subsystem).
 * A caller's Match block must stay at the end.
 */
export function buildConfig(userLines: readonly string[], defaults: readonly string[]): string {
  const firstMatch = userLines.findIndex((l) => /^\s*match\s/i.test(l));
  const head = firstMatch < 0 ? userLines : userLines.slice(0, firstMatch);
  const tail = firstMatch < 0 ? [] : userLines.slice(firstMatch);
  const set = new Set(head.map(configKey));
  for (const l of head) {
    const k = configKey(l);
    if (k === 'port' || k === 'listenaddress') throw new Error(`startSshd picks ${k} itself; do not set "${l}"`);
  }
  const kept = defaults.filter((l) => ACCUMULATING.has(configKey(l)) || !set.has(configKey(l)));
  return [...head, ...kept, ...tail].join('\n') + '\n';
}

function defaultConfigLines(dir: string, port: number, hostKeyPaths: string[], withDsa: boolean): string[] {
  const lines = [
    'ListenAddress 127.0.0.1',
    `Port ${port}`,
    ...hostKeyPaths.map((p) => `HostKey ${p}`),
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'StrictModes no',
    'UsePAM no',
    'PidFile none',
    'PermitRootLogin yes',
    `SetEnv HOME=${dir}`,
    'PermitUserRC no',
    'PermitUserEnvironment no',
    'PrintMotd no',
    'PrintLastLog no',
    'UseDNS no',
    'MaxStartups 100',
    'MaxSessions 100',
    'LogLevel VERBOSE',
  ];
  if (withDsa) lines.push('HostKeyAlgorithms +ssh-dss');
  if (existsSync('/usr/lib/openssh/sftp-server')) lines.push('Subsystem sftp /usr/lib/openssh/sftp-server');
  return lines;
}

// ---- start ----

/** Start a throwaway sshd on 127.0.0.1. Always `await sshd.stop()` (an exit hook also kills it). */
export async function startSshd(opts: SshdOptions = {}): Promise<Sshd> {
  requireSshd();
  try {
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  } catch (e) {
    // Only root needs the privilege-separation dir; others cannot create it and do not need it.
    if (process.getuid?.() === 0) throw e;
  }
  const dir = await mkdtemp(join(tmpdir(), 'puressh-sshd-'));
  try {
    return await startIn(dir, opts);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

async function startIn(dir: string, opts: SshdOptions): Promise<Sshd> {
  const hostTypes = opts.hostKeyTypes ?? [...DEFAULT_HOST_KEY_TYPES];
  const rsaBits = opts.rsaBits;
  // Generate all keys concurrently (RSA dominates: ~0.7 s for 3072 bits).
  const hostKeys: Partial<Record<HostKeyType, HostKeyFiles>> = {};
  const userKeys = {} as Record<UserKeyType, KeyFiles>;
  await Promise.all([
    ...hostTypes.map(async (t) => {
      const path = join(dir, `ssh_host_${t}_key`);
      hostKeys[t] = { path, publicLine: await generateKey(t, path, { rsaBits, comment: `host-${t}` }) };
    }),
    ...USER_KEY_TYPES.map(async (t) => {
      const privatePath = join(dir, `id_${t}`);
      const publicLine = await generateKey(t, privatePath, { rsaBits, comment: `user-${t}` });
      userKeys[t] = { privatePath, publicPath: `${privatePath}.pub`, publicLine };
    }),
  ]);
  const authorizedKeysPath = join(dir, 'authorized_keys');
  await writeFile(authorizedKeysPath, USER_KEY_TYPES.map((t) => userKeys[t].publicLine).join('\n') + '\n', { mode: 0o600 });

  const configPath = join(dir, 'sshd_config');
  const knownHostsPath = join(dir, 'known_hosts');
  const timeout = opts.startTimeoutMs ?? 10_000;
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 8; attempt++) {
    const port = await freePort();
    const defaults = defaultConfigLines(
      dir,
      port,
      hostTypes.map((t) => hostKeys[t]!.path),
      hostTypes.includes('dsa'),
    );
    await writeFile(configPath, buildConfig(opts.config ?? [], defaults), { mode: 0o600 });
    const started = await launch(configPath, timeout);
    if ('retry' in started) {
      lastError = started.retry;
      continue;
    }
    const { child, logs } = started;
    const knownHosts = hostTypes.map((t) => `[127.0.0.1]:${port} ${stripComment(hostKeys[t]!.publicLine)}`);
    await writeFile(knownHostsPath, knownHosts.join('\n') + '\n');
    const entry = { child, dir };
    live.add(entry);
    installExitHook();
    let stopping: Promise<void> | undefined;
    return {
      host: '127.0.0.1',
      port,
      dir,
      configPath,
      user: userInfo().username,
      userKeys,
      hostKeys,
      knownHostsPath,
      authorizedKeysPath,
      logs: () => logs.join(''),
      pid: child.pid!,
      stop: () =>
        (stopping ??= stopProcess(child).finally(() => {
          live.delete(entry);
          rmSync(dir, { recursive: true, force: true });
        })),
    };
  }
  throw lastError ?? new Error('sshd did not start');
}

function stripComment(publicLine: string): string {
  return publicLine.split(/\s+/).slice(0, 2).join(' ');
}

type Launched = { child: ChildProcess; logs: string[] } | { retry: Error };

/** Spawn sshd; resolve once it logs "Server listening", ask for a retry if the port was taken. */
function launch(configPath: string, timeoutMs: number): Promise<Launched> {
  return new Promise((resolve, reject) => {
    const child = spawn(SSHD_PATH, ['-D', '-e', '-f', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    const logs: string[] = [];
    let size = 0;
    let ready = false;
    const onData = (chunk: Buffer): void => {
      const s = chunk.toString('utf8');
      logs.push(s);
      size += s.length;
      while (size > MAX_LOG_CHARS && logs.length > 1) size -= logs.shift()!.length;
      if (!ready && /Server listening on 127\.0\.0\.1 port \d+/.test(logs.join(''))) {
        ready = true;
        clearTimeout(timer);
        resolve({ child, logs });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => {
      killTree(child.pid, 'SIGKILL');
      reject(new Error(`sshd did not start listening within ${timeoutMs} ms:\n${logs.join('')}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject((e as NodeJS.ErrnoException).code === 'ENOENT' ? new Error(SSHD_INSTALL_COMMAND) : e);
    });
    child.on('exit', (code, signal) => {
      if (ready) return;
      clearTimeout(timer);
      const text = logs.join('');
      const msg = `sshd exited during startup (${signal ?? `status ${code}`}):\n${text}`;
      if (/Address already in use/.test(text)) resolve({ retry: new Error(msg) });
      else reject(new Error(msg));
    });
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Sessions first (they are not in sshd's process group), then the listener.
  killTree(child.pid, 'SIGTERM');
  const timer = setTimeout(() => killTree(child.pid, 'SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

// ---- queries ----

export type QueryKind = 'kex' | 'cipher' | 'mac' | 'key' | 'key-sig' | 'compression' | 'sig';
const supportedCache = new Map<string, string[]>();

/** Algorithm names this OpenSSH build supports (`ssh -Q kind`; sshd shares the same lists). */
export function sshdSupported(kind: QueryKind): string[] {
  let list = supportedCache.get(kind);
  if (!list) {
    list = execFileSync('ssh', ['-Q', kind], { encoding: 'utf8' })
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
    supportedCache.set(kind, list);
  }
  return [...list];
}

/**
 * The effective server config (`sshd -T -f cfg`), keywords lower-cased, every value of a
 * repeated keyword (hostkey, subsystem, ...) in order. `connection` is sshd's -C spec for Match
 * evaluation, e.g. "user=root,host=localhost,addr=127.0.0.1".
 */
export function sshdEffectiveConfig(configOrSshd: string | Pick<Sshd, 'configPath'>, connection?: string): Record<string, string[]> {
  const cfg = typeof configOrSshd === 'string' ? configOrSshd : configOrSshd.configPath;
  const args = ['-T', '-f', cfg];
  if (connection) args.push('-C', connection);
  const out = execFileSync(SSHD_PATH, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const result: Record<string, string[]> = {};
  for (const line of out.split('\n')) {
    const m = /^(\S+)\s*(.*)$/.exec(line.trim());
    if (!m) continue;
    (result[m[1]!.toLowerCase()] ??= []).push(m[2]!);
  }
  return result;
}
