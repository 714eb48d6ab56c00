/**
 * A hermetic tinysshd (Debian's tinysshd, https://tinyssh.org) for interop tests.
 *
 * tinysshd serves exactly one connection on stdin/stdout (it is meant to run under
 * tcpserver, inetd or systemd socket activation), so `startTinysshd()` is that accept loop:
 * a Node TCP server on 127.0.0.1 that spawns `tinysshd -v <keydir>` per connection with the
 * socket as the child's stdin and stdout.
 *
 * Hermetic authorized_keys: tinysshd reads ~/.ssh/authorized_keys of the login user and
 * takes "~" from the password database (getpwnam), not from $HOME, and it has no option
 * to point elsewhere. So each tinysshd runs in a private mount namespace
 * (`unshare --mount --propagation private`) in which a temp dir holding
 * .ssh/authorized_keys is bind-mounted over the user's home directory. The real home is
 * never touched and the mount vanishes with the process. Remote commands also see that temp
 * dir as their home. As root this needs nothing more; an unprivileged user gets the same
 * through a user namespace (`--map-root-user`) and logs in as "root" inside it.
 *
 * If tinysshd (or unshare) is missing this throws an Error whose message is the install
 * command: tests FAIL, never skip.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { generateKey, type KeyFiles } from './sshd.js';

export const TINYSSHD_PATH = '/usr/sbin/tinysshd';
export const TINYSSHD_INSTALL_COMMAND = 'apt-get install -y tinysshd';
const UNSHARE_PATH = '/usr/bin/unshare';
const MAX_LOG_CHARS = 4 * 1024 * 1024;

export interface Tinysshd {
  host: '127.0.0.1';
  port: number;
  /** the account to log in as */
  user: string;
  /** temp dir: keys, the bind-mounted home */
  dir: string;
  /** the host key as tinysshd-printkey prints it: "ssh-ed25519 <base64>" */
  hostKeyLine: string;
  /** an ed25519 user key listed in the (bind-mounted) ~/.ssh/authorized_keys */
  userKey: KeyFiles;
  /** connections accepted so far */
  connections(): number;
  /** stderr of every tinysshd so far (-v: one line per event) */
  logs(): string;
  stop(): Promise<void>;
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

/** Throws (with the install command as message) unless tinysshd and unshare are present. */
export function requireTinysshd(): void {
  if (!existsSync(TINYSSHD_PATH) || !existsSync(`${TINYSSHD_PATH}-makekey`)) throw new Error(TINYSSHD_INSTALL_COMMAND);
  if (!existsSync(UNSHARE_PATH)) throw new Error('apt-get install -y util-linux');
}

/** Start the accept loop on a free 127.0.0.1 port. Always `await tinysshd.stop()`. */
export async function startTinysshd(options: { tinysshdArgs?: string[] } = {}): Promise<Tinysshd> {
  requireTinysshd();
  const dir = await mkdtemp(join(tmpdir(), 'puressh-tinysshd-'));
  try {
    return await startIn(dir, options.tinysshdArgs ?? []);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

async function startIn(dir: string, extraArgs: string[]): Promise<Tinysshd> {
  const keyDir = join(dir, 'keys');
  await run(`${TINYSSHD_PATH}-makekey`, ['-q', keyDir]);
  const hostKeyLine = (await run(`${TINYSSHD_PATH}-printkey`, [keyDir])).trim();

  // The home that tinysshd will see: <dir>/home with .ssh/authorized_keys (0700/0600, ours).
  const home = join(dir, 'home');
  await mkdir(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  const privatePath = join(dir, 'id_ed25519');
  const publicLine = await generateKey('ed25519', privatePath, { comment: 'tinysshd-test-user' });
  await writeFile(join(home, '.ssh', 'authorized_keys'), `${publicLine}\n`, { mode: 0o600 });

  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? userInfo().username : 'root';
  const passwdHome = asRoot ? userInfo().homedir : '/root';
  const unshareArgs = ['--mount', '--propagation', 'private', ...(asRoot ? [] : ['--map-root-user'])];
  // sh -c 'mount --bind HOME PASSWDHOME && exec tinysshd ARGS... KEYDIR'
  const script = 'mount --bind "$1" "$2" && shift 2 && exec "$@"';
  const argv = [...unshareArgs, '--', '/bin/sh', '-c', script, 'sh', home, passwdHome, TINYSSHD_PATH, '-v', ...extraArgs, keyDir];

  const logs: string[] = [];
  let logSize = 0;
  const log = (s: string): void => {
    logs.push(s);
    logSize += s.length;
    while (logSize > MAX_LOG_CHARS && logs.length > 1) logSize -= logs.shift()!.length;
  };
  const children = new Set<ChildProcess>();
  let accepted = 0;

  const server: Server = createServer({ pauseOnConnect: true }, (socket: Socket) => {
    accepted++;
    const child = spawn(UNSHARE_PATH, argv, { stdio: [socket, socket, 'pipe'] });
    children.add(child);
    child.stderr.on('data', (b: Buffer) => log(b.toString('utf8')));
    child.on('error', (e) => {
      log(`spawn failed: ${e.message}\n`);
      socket.destroy();
    });
    child.on('exit', (code, signal) => {
      children.delete(child);
      if (code !== 0) log(`tinysshd exited (${signal ?? `status ${code}`})\n`);
    });
    // The child holds its own copy of the socket; closing ours lets the peer see EOF when
    // tinysshd exits (closing a duplicated descriptor sends nothing on the wire).
    socket.destroy();
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : 0);
    });
  });

  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.all(
      [...children].map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGTERM');
            setTimeout(() => c.kill('SIGKILL'), 2000).unref();
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  return {
    host: '127.0.0.1',
    port,
    user,
    dir,
    hostKeyLine,
    userKey: { privatePath, publicPath: `${privatePath}.pub`, publicLine },
    connections: () => accepted,
    logs: () => logs.join(''),
    stop: () => (stopping ??= stop()),
  };
}
