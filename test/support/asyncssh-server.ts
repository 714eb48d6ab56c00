/**
 * A second, independent SSH server for tests: Debian's python3-asyncssh, run by
 * /usr/bin/python3 from a script generated into a temp dir. It listens on 127.0.0.1 on
 * an ephemeral port, accepts the given user keys / password / keyboard-interactive
 * rounds, runs `cat` as an in-process echo and any other command through /bin/sh, and
 * optionally serves SFTP over a root directory.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey } from './sshd.js';

export const ASYNCSSH_PYTHON = '/usr/bin/python3';
export const ASYNCSSH_INSTALL_COMMAND = 'apt-get install -y python3-asyncssh';

export interface AsyncsshOptions {
  kex?: string[];
  ciphers?: string[];
  macs?: string[];
  compression?: string[];
  /** host key type passed to ssh-keygen (default ed25519) */
  hostKeyType?: 'ed25519' | 'rsa' | 'ecdsa256';
  /** OpenSSH public key lines accepted for publickey auth */
  authorizedKeys?: string[];
  password?: string;
  /** keyboard-interactive: rounds of prompts and the expected answers */
  kbdint?: { name: string; instruction: string; prompts: { prompt: string; echo: boolean; answer: string }[] }[];
  /** serve SFTP rooted at this directory (chroot-like) */
  sftpRoot?: string;
  /** Python run once at startup, after asyncssh is imported (e.g. to register extra algorithms) */
  pythonSetup?: string;
}

export interface AsyncsshServer {
  host: '127.0.0.1';
  port: number;
  dir: string;
  hostKeyPublicLine: string;
  logs(): string;
  stop(): Promise<void>;
}

const SCRIPT = String.raw`
import asyncio, json, sys, os, subprocess
import warnings
warnings.filterwarnings('ignore')
import asyncssh

cfg = json.load(open(sys.argv[1]))
exec(cfg.get('pythonSetup') or '')

class Server(asyncssh.SSHServer):
    def begin_auth(self, username):
        self.round = 0
        return True
    def password_auth_supported(self):
        return 'password' in cfg
    def validate_password(self, username, password):
        return password == cfg['password']
    def kbdint_auth_supported(self):
        return 'kbdint' in cfg
    def get_kbdint_challenge(self, username, lang, submethods):
        r = cfg['kbdint'][0]
        self.round = 0
        return (r['name'], r['instruction'], '', [(p['prompt'], p['echo']) for p in r['prompts']])
    def validate_kbdint_response(self, username, responses):
        r = cfg['kbdint'][self.round]
        if list(responses) != [p['answer'] for p in r['prompts']]:
            return False
        self.round += 1
        if self.round == len(cfg['kbdint']):
            return True
        n = cfg['kbdint'][self.round]
        return (n['name'], n['instruction'], '', [(p['prompt'], p['echo']) for p in n['prompts']])

async def handle(process):
    cmd = process.command or ''
    if cmd == 'cat':
        while True:
            data = await process.stdin.read(65536)
            if not data:
                break
            process.stdout.write(data)
            await process.stdout.drain()
        process.exit(0)
        return
    proc = await asyncio.create_subprocess_shell(cmd, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    async def pump_in():
        while True:
            data = await process.stdin.read(65536)
            if not data:
                break
            proc.stdin.write(data)
            await proc.stdin.drain()
        proc.stdin.close()
    async def pump_out(src, dst):
        while True:
            data = await src.read(65536)
            if not data:
                break
            dst.write(data)
            await dst.drain()
    await asyncio.gather(pump_in(), pump_out(proc.stdout, process.stdout), pump_out(proc.stderr, process.stderr))
    process.exit(await proc.wait())

async def main():
    kw = dict(server_host_keys=[cfg['hostKey']], process_factory=handle, encoding=None)
    if cfg.get('authorizedKeys'):
        kw['authorized_client_keys'] = cfg['authorizedKeys']
    for name, key in (('kex', 'kex_algs'), ('ciphers', 'encryption_algs'), ('macs', 'mac_algs'), ('compression', 'compression_algs')):
        if cfg.get(name):
            kw[key] = cfg[name]
    if cfg.get('sftpRoot'):
        root = cfg['sftpRoot']
        kw['sftp_factory'] = lambda chan: asyncssh.SFTPServer(chan, chroot=root.encode())
    server = await asyncssh.create_server(Server, '127.0.0.1', 0, **kw)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
`;

export function requireAsyncssh(): void {
  const r = spawnSync(ASYNCSSH_PYTHON, ['-c', 'import asyncssh'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3-asyncssh is missing: ${ASYNCSSH_INSTALL_COMMAND}`);
}

export async function startAsyncssh(opts: AsyncsshOptions = {}): Promise<AsyncsshServer> {
  requireAsyncssh();
  const dir = mkdtempSync(join(tmpdir(), 'puressh-asyncssh-'));
  const hostKey = join(dir, 'host_key');
  const hostKeyPublicLine = await generateKey(opts.hostKeyType ?? 'ed25519', hostKey);
  const authorizedKeys = join(dir, 'authorized_keys');
  writeFileSync(authorizedKeys, (opts.authorizedKeys ?? []).join('\n') + '\n');
  const cfg = {
    hostKey,
    authorizedKeys: opts.authorizedKeys?.length ? authorizedKeys : null,
    kex: opts.kex,
    ciphers: opts.ciphers,
    macs: opts.macs,
    compression: opts.compression,
    password: opts.password,
    kbdint: opts.kbdint,
    sftpRoot: opts.sftpRoot,
    pythonSetup: opts.pythonSetup,
  };
  for (const k of Object.keys(cfg) as (keyof typeof cfg)[]) if (cfg[k] === undefined) delete cfg[k];
  writeFileSync(join(dir, 'server.py'), SCRIPT);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
  const child: ChildProcess = spawn(ASYNCSSH_PYTHON, [join(dir, 'server.py'), join(dir, 'config.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => {
    if (log.length < 1 << 20) log += d.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`asyncssh server did not start: ${log}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^(\d+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`asyncssh server exited with ${code}: ${log}`));
    });
  });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  return {
    host: '127.0.0.1',
    port,
    dir,
    hostKeyPublicLine,
    logs: () => log,
    stop: async () => {
      process.off('exit', kill);
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
