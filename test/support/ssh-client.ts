/**
 * OpenSSH's own `ssh` client run hermetically against a test sshd: the reference that
 * puressh is compared with in tests and in the bench. No user config (-F /dev/null), no
 * agent, only the given key, strict host-key checking against the sshd's known_hosts.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import type { Sshd, UserKeyType } from './sshd.js';

export const SSH_PATH = 'ssh';

export interface OpenSshOptions {
  /** a user key type of the sshd (default 'ed25519') or a path to a private key */
  key?: UserKeyType | (string & {});
  /** login name (default sshd.user) */
  user?: string;
  /** `-o` options as "Name=Value"; they come first, so they win over the harness defaults */
  options?: string[];
  /** extra flags put before the destination, e.g. ['-C'] or ['-v'] */
  flags?: string[];
  env?: NodeJS.ProcessEnv;
}

const KEY_TYPES = new Set(['ed25519', 'ecdsa256', 'ecdsa384', 'ecdsa521', 'rsa']);

type Target = Pick<Sshd, 'host' | 'port' | 'user' | 'knownHostsPath'> & { userKeys: Sshd['userKeys'] };

/** The full argv (without "ssh") for running `command` on the sshd. */
export function opensshArgs(sshd: Target, command: string | null, opts: OpenSshOptions = {}): string[] {
  const key = opts.key ?? 'ed25519';
  const keyPath = KEY_TYPES.has(key) ? sshd.userKeys[key as UserKeyType].privatePath : key;
  const args = ['-F', '/dev/null'];
  for (const o of opts.options ?? []) args.push('-o', o);
  args.push(
    '-o',
    'BatchMode=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'IdentityAgent=none',
    '-o',
    `UserKnownHostsFile=${sshd.knownHostsPath}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'LogLevel=ERROR',
    '-i',
    keyPath,
    '-p',
    String(sshd.port),
    '-l',
    opts.user ?? sshd.user,
    ...(opts.flags ?? []),
    sshd.host,
  );
  if (command !== null) args.push(command);
  return args;
}

/**
 * ssh's options for a test server known by its port and known_hosts file, logging in as
 * `login` with `identities` only: no user config, no agent prompts, quiet. `extra` comes
 * first (ssh keeps the first value of an option). Without the destination.
 */
export function hermeticSshOptions(
  server: { port: number; knownHostsPath: string },
  login: string,
  identities: readonly string[],
  extra: readonly string[] = [],
): string[] {
  return [
    ...extra,
    '-p',
    String(server.port),
    '-o',
    'BatchMode=yes',
    '-o',
    `UserKnownHostsFile=${server.knownHostsPath}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'LogLevel=ERROR',
    '-F',
    'none',
    ...identities.flatMap((i) => ['-i', i]),
    '-l',
    login,
  ];
}

/** Spawn `ssh` (stdio piped unless `spawnOptions.stdio` says otherwise). */
export function spawnOpenSsh(sshd: Target, command: string, opts: OpenSshOptions = {}, spawnOptions: SpawnOptions = {}): ChildProcess {
  return spawn(SSH_PATH, opensshArgs(sshd, command, opts), {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: opts.env ?? process.env,
    ...spawnOptions,
  });
}

export interface OpenSshResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/** Run `command` with OpenSSH's ssh, feed `input` (or nothing) to stdin, collect the output. */
export function runOpenSsh(
  sshd: Target,
  command: string,
  opts: OpenSshOptions & { input?: Uint8Array | string; timeoutMs?: number } = {},
): Promise<OpenSshResult> {
  return new Promise((resolve, reject) => {
    const child = spawnOpenSsh(sshd, command, opts);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ssh ${command} timed out after ${opts.timeoutMs ?? 30_000} ms: ${Buffer.concat(err).toString()}`));
    }, opts.timeoutMs ?? 30_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin!.on('error', () => {
      /* EPIPE when the remote command does not read stdin */
    });
    child.stdin!.end(opts.input ?? '');
  });
}
