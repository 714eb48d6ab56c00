/**
 * SFTP servers for tests: Debian's OpenSSH sshd with its sftp-server subsystem, and an
 * independent implementation, asyncssh's SFTP server (Debian's python3-asyncssh, run with
 * /usr/bin/python3 from a script generated into a temp dir). Both listen on 127.0.0.1 and
 * accept the same ed25519 user key. If a server is missing the error names the package.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../../src/node.js';
import type { SshClient } from '../../src/client.js';
import { parsePrivateKey, parsePublicKeyLine } from '../../src/crypto/keys/index.js';
import { generateKey, startSshd, type Sshd } from './sshd.js';

export const PYTHON = '/usr/bin/python3';
export const ASYNCSSH_INSTALL_COMMAND = 'apt-get install -y python3-asyncssh';

export interface SftpServer {
  name: 'openssh' | 'asyncssh';
  host: string;
  port: number;
  user: string;
  /** a scratch directory on the server's file system (absolute) */
  dir: string;
  /** private key file of the accepted user key */
  keyPath: string;
  /** accepted host key blobs, base64 */
  hostKeys: Set<string>;
  connect(): Promise<SshClient>;
  /** SIGKILL the process serving SFTP (OpenSSH: the session's sftp-server; asyncssh: the server) */
  killSftp(): void;
  stop(): Promise<void>;
  sshd?: Sshd;
}

function connector(s: Omit<SftpServer, 'connect' | 'killSftp' | 'stop'>): () => Promise<SshClient> {
  const key = parsePrivateKey(readFileSync(s.keyPath, 'utf8'));
  return () =>
    connect({
      host: s.host,
      port: s.port,
      username: s.user,
      hostKeyVerifier: (info) => s.hostKeys.has(Buffer.from(info.blob).toString('base64')),
      privateKeys: [key],
      timeout: 30_000,
    });
}

/** Processes whose command line is OpenSSH's sftp-server and whose HOME is `home` (sshd's SetEnv). */
export function sftpServerPids(home: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (!cmd.includes('sftp-server')) continue;
      const env = readFileSync(`/proc/${name}/environ`, 'utf8').split('\0');
      if (env.includes(`HOME=${home}`)) out.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return out;
}

export async function startOpenSshSftp(config: string[] = []): Promise<SftpServer> {
  const sshd = await startSshd({ hostKeyTypes: ['ed25519'], config });
  const { key } = parsePublicKeyLine(sshd.hostKeys.ed25519!.publicLine);
  const base = {
    name: 'openssh' as const,
    host: sshd.host,
    port: sshd.port,
    user: sshd.user,
    dir: sshd.dir,
    keyPath: sshd.userKeys.ed25519.privatePath,
    hostKeys: new Set([Buffer.from(key.blob).toString('base64')]),
    sshd,
  };
  return {
    ...base,
    connect: connector(base),
    killSftp: () => {
      for (const pid of sftpServerPids(sshd.dir)) process.kill(pid, 'SIGKILL');
    },
    stop: () => sshd.stop(),
  };
}

const ASYNCSSH_SCRIPT = `
import asyncio, os, sys, warnings
warnings.simplefilter('ignore')
import asyncssh

async def main():
    d = sys.argv[1]
    server = await asyncssh.listen('127.0.0.1', 0, server_host_keys=[os.path.join(d, 'host_key')],
                                   authorized_client_keys=os.path.join(d, 'authorized_keys'),
                                   sftp_factory=True, allow_scp=True)
    print('LISTENING', server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Future()

asyncio.run(main())
`;

export async function startAsyncsshSftp(): Promise<SftpServer> {
  if (!existsSync(PYTHON)) throw new Error(ASYNCSSH_INSTALL_COMMAND);
  const dir = await mkdtemp(join(tmpdir(), 'puressh-asyncssh-'));
  const [hostLine, userLine] = await Promise.all([generateKey('ed25519', join(dir, 'host_key')), generateKey('ed25519', join(dir, 'id_ed25519'))]);
  await writeFile(join(dir, 'authorized_keys'), userLine + '\n');
  await writeFile(join(dir, 'server.py'), ASYNCSSH_SCRIPT);
  const child: ChildProcess = spawn(PYTHON, [join(dir, 'server.py'), dir], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`asyncssh server did not start:\n${logs.join('')}`)), 15_000);
    child.stdout!.on('data', (b: Buffer) => {
      logs.push(b.toString());
      const m = /LISTENING (\d+)/.exec(logs.join(''));
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.stderr!.on('data', (b: Buffer) => logs.push(b.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      const text = logs.join('');
      reject(new Error(/No module named 'asyncssh'/.test(text) ? ASYNCSSH_INSTALL_COMMAND : `asyncssh server exited (${code}):\n${text}`));
    });
  });
  const onExit = () => child.kill('SIGKILL');
  process.on('exit', onExit);
  const { key } = parsePublicKeyLine(hostLine);
  const base = {
    name: 'asyncssh' as const,
    host: '127.0.0.1',
    port,
    user: 'tester',
    dir,
    keyPath: join(dir, 'id_ed25519'),
    hostKeys: new Set([Buffer.from(key.blob).toString('base64')]),
  };
  return {
    ...base,
    connect: connector(base),
    killSftp: () => child.kill('SIGKILL'),
    stop: async () => {
      process.off('exit', onExit);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
