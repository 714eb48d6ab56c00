/**
 * `puressh sshd` (run from source, test/support/puressh-sshd.ts) against real clients:
 * OpenSSH 9.2's ssh (exec, every algorithm both implement, pty, SendEnv, shell, -L, -R, -W,
 * -D, -A, RekeyLimit, concurrency, refusals), paramiko, asyncssh, PuTTY's plink and libssh2
 * through Net::SSH2. Outputs, hashes and exit codes are asserted exactly.
 */
import { runProgramBytes } from '../support/run-program.js';
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { CIPHERS } from '../../src/transport/cipher/index.js';
import { MACS } from '../../src/transport/mac/index.js';
import { KEX_ALGORITHMS } from '../../src/kex/index.js';
import { startPuresshSshd, type PuresshSshd } from '../support/puressh-sshd.js';
import { freePort, generateKey } from '../support/sshd.js';
import { startAgent } from '../support/ssh-agent.js';

const PYTHON = '/usr/bin/python3';

interface Result {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

const run = (cmd: string, args: string[], input: string | Buffer = '', env?: NodeJS.ProcessEnv): Promise<Result> =>
  runProgramBytes(cmd, args, {
    input,
    ...(env ? { env } : {}),
    install: 'apt-get install -y openssh-client putty-tools libnet-ssh2-perl python3-paramiko python3-asyncssh',
  });

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function queryList(kind: string): string[] {
  const r = spawnSync('ssh', ['-Q', kind], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error('ssh missing: apt-get install -y openssh-client');
  return r.stdout.split('\n').filter(Boolean);
}

/** A TCP echo server on 127.0.0.1. */
async function echoServer(): Promise<{ port: number; close(): void }> {
  const srv = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as net.AddressInfo).port, close: () => srv.close() };
}

/** Connect to port (retrying while the forwarder comes up), send `data`, read until EOF. */
async function roundTrip(port: number, data: Buffer, prelude?: (s: net.Socket) => Promise<void>): Promise<Buffer> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await new Promise<Buffer>((resolve, reject) => {
        const s = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
        const chunks: Buffer[] = [];
        s.once('error', reject);
        s.once('connect', () => {
          void (async () => {
            if (prelude) await prelude(s);
            s.on('data', (d: Buffer) => chunks.push(d));
            s.on('end', () => resolve(Buffer.concat(chunks)));
            s.end(data);
          })().catch(reject);
        });
      });
    } catch (e) {
      if (attempt > 100) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Read exactly n bytes from a socket. */
function readN(s: net.Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= n) {
        s.off('data', onData);
        s.pause();
        if (buf.length > n) s.unshift(buf.subarray(n));
        resolve(buf.subarray(0, n));
      }
    };
    s.on('data', onData);
    s.once('error', reject);
    // a 'data' listener does not restart a stream paused by the previous read
    s.resume();
  });
}

/** The SOCKS5 handshake (RFC 1928) to 127.0.0.1:port, no authentication. */
function socks5To(port: number): (s: net.Socket) => Promise<void> {
  return async (s) => {
    s.write(Buffer.from([5, 1, 0]));
    expect([...(await readN(s, 2))]).to.deep.equal([5, 0]);
    s.write(Buffer.from([5, 1, 0, 1, 127, 0, 0, 1, port >> 8, port & 0xff]));
    const reply = await readN(s, 10);
    expect(reply[1]).to.equal(0);
    s.resume();
  };
}

/** The server's log once it matches `re` (it logs a closed connection a moment after the client is gone). */
async function logMatching(server: PuresshSshd, re: RegExp): Promise<string> {
  for (let i = 0; i < 50 && !re.test(server.logs()); i++) await new Promise((r) => setTimeout(r, 100));
  return server.logs();
}

/** Run ssh in the background until `stop`; for -L/-R/-D. */
function background(args: string[]): { stop(): Promise<void> } {
  const child = spawn('ssh', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const closed = new Promise<void>((r) => child.once('close', () => r()));
  return {
    async stop() {
      child.kill('SIGTERM');
      await closed;
    },
  };
}

describe('puressh sshd with real clients', function () {
  this.timeout(300_000);
  let sshd: PuresshSshd;
  let echo: { port: number; close(): void };
  const ssh = (extra: string[], command: string[], input: string | Buffer = '', env?: NodeJS.ProcessEnv): Promise<Result> =>
    run('ssh', [...sshd.sshArgs(extra), '127.0.0.1', ...command], input, env);

  const clientCiphers = queryList('cipher').filter((n) => CIPHERS.has(n));
  const clientMacs = queryList('mac').filter((n) => MACS.has(n));
  const clientKex = queryList('kex').filter((n) => KEX_ALGORITHMS.has(n));
  const hostKeyAlgorithms = [
    'ssh-ed25519',
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
    'rsa-sha2-512',
    'rsa-sha2-256',
    'ssh-rsa',
    'ssh-dss',
  ];

  before(async () => {
    sshd = await startPuresshSshd({
      hostKeyTypes: ['ed25519', 'ecdsa256', 'ecdsa384', 'ecdsa521', 'rsa', 'dsa'],
      config: [
        `Ciphers ${clientCiphers.join(',')}`,
        `MACs ${clientMacs.join(',')}`,
        `KexAlgorithms ${clientKex.join(',')}`,
        `HostKeyAlgorithms ${hostKeyAlgorithms.join(',')}`,
        'AcceptEnv PURESSH_*',
        'MaxAuthTries 3',
        'Subsystem sftp /usr/lib/openssh/sftp-server',
        'Subsystem isftp internal-sftp',
      ],
    });
    echo = await echoServer();
  });

  after(async () => {
    echo?.close();
    await sshd?.stop();
  });

  it('runs a command: stdout, stderr and the exit status exactly', async () => {
    const r = await ssh([], ['echo out; echo err >&2; exit 3']);
    expect(r.stdout.toString()).to.equal('out\n');
    expect(r.stderr).to.equal('err\n');
    expect(r.code).to.equal(3);
    expect(sshd.logs()).to.match(new RegExp(`Accepted publickey for ${sshd.user} from 127\\.0\\.0\\.1 port \\d+ ssh2: ED25519 SHA256:`));
  });

  it('reports death by a signal as ssh does (exit 255 after exit-signal)', async () => {
    const r = await ssh([], ['kill -TERM $$']);
    expect(r.code).to.equal(255);
  });

  it('every cipher the client offers that puressh implements', async () => {
    expect(clientCiphers.length).to.be.greaterThan(5);
    for (const c of clientCiphers) {
      const r = await ssh(['-c', c], [`echo ${c}`]);
      expect({ c, out: r.stdout.toString(), code: r.code }).to.deep.equal({ c, out: `${c}\n`, code: 0 });
    }
  });

  it('every MAC the client offers that puressh implements', async () => {
    for (const m of clientMacs) {
      const r = await ssh(['-c', 'aes128-ctr', '-m', m], [`echo ${m}`]);
      expect({ m, out: r.stdout.toString(), code: r.code }).to.deep.equal({ m, out: `${m}\n`, code: 0 });
    }
  });

  it('every key exchange the client offers that puressh implements', async () => {
    for (const k of clientKex) {
      const r = await ssh(['-o', `KexAlgorithms=${k}`], [`echo ${k}`]);
      expect({ k, out: r.stdout.toString(), code: r.code, err: r.stderr }).to.deep.equal({ k, out: `${k}\n`, code: 0, err: '' });
    }
  });

  it('every host-key algorithm, checked against known_hosts', async () => {
    for (const h of hostKeyAlgorithms) {
      const r = await ssh(['-o', `HostKeyAlgorithms=${h}`], [`echo ${h}`]);
      expect({ h, out: r.stdout.toString(), code: r.code }).to.deep.equal({ h, out: `${h}\n`, code: 0 });
    }
  });

  it('allocates a pty (ssh -tt … tty)', async () => {
    const r = await ssh(['-tt'], ['tty']);
    expect(r.stdout.toString()).to.match(/^\/dev\/pts\/\d+\r\n$/);
    expect(r.code).to.equal(0);
  });

  it('passes SendEnv variables that AcceptEnv allows, and only those', async () => {
    const env = { ...process.env, PURESSH_TEST_VAR: 'hello world', OTHER_VAR: 'no' };
    const r = await ssh(['-o', 'SendEnv=PURESSH_TEST_VAR OTHER_VAR'], ['echo "$PURESSH_TEST_VAR|${OTHER_VAR-unset}"'], '', env);
    expect(r.stdout.toString()).to.equal('hello world|unset\n');
  });

  it('runs a shell fed on stdin', async () => {
    const r = await ssh(['-T'], [], 'echo "$((6*7))"; exit 7\n');
    expect(r.stdout.toString()).to.equal('42\n');
    expect(r.code).to.equal(7);
  });

  it('-L local forwarding through direct-tcpip', async () => {
    const port = await freePort();
    const fwd = background([...sshd.sshArgs(['-N', '-o', 'ExitOnForwardFailure=yes', '-L', `127.0.0.1:${port}:127.0.0.1:${echo.port}`]), '127.0.0.1']);
    try {
      const data = randomBytes(200_000);
      expect(sha256(await roundTrip(port, data))).to.equal(sha256(data));
    } finally {
      await fwd.stop();
    }
  });

  it('-R remote forwarding through tcpip-forward', async () => {
    const port = await freePort();
    const fwd = background([...sshd.sshArgs(['-N', '-o', 'ExitOnForwardFailure=yes', '-R', `127.0.0.1:${port}:127.0.0.1:${echo.port}`]), '127.0.0.1']);
    try {
      const data = randomBytes(200_000);
      expect(sha256(await roundTrip(port, data))).to.equal(sha256(data));
    } finally {
      await fwd.stop();
    }
  });

  it('-R with port 0: the server picks the port and ssh reports it', async () => {
    const r = await run('ssh', [...sshd.sshArgs(['-o', 'LogLevel=INFO', '-R', `0:127.0.0.1:${echo.port}`]), '127.0.0.1', 'true']);
    expect(r.code).to.equal(0);
    expect(r.stderr).to.match(/Allocated port \d+ for remote forward to 127\.0\.0\.1:\d+/);
  });

  it('-W stdio forwarding', async () => {
    const data = randomBytes(100_000);
    const r = await ssh(['-W', `127.0.0.1:${echo.port}`], [], data);
    expect(sha256(r.stdout)).to.equal(sha256(data));
  });

  it('-D dynamic forwarding (a SOCKS5 client through it)', async () => {
    const port = await freePort();
    const fwd = background([...sshd.sshArgs(['-N', '-o', 'ExitOnForwardFailure=yes', '-D', `127.0.0.1:${port}`]), '127.0.0.1']);
    try {
      const data = randomBytes(50_000);
      expect(sha256(await roundTrip(port, data, socks5To(echo.port)))).to.equal(sha256(data));
    } finally {
      await fwd.stop();
    }
  });

  it('agent forwarding: ssh-add -l inside sees the client agent', async () => {
    const agent = await startAgent();
    try {
      await agent.sshAdd([sshd.userKeys.ecdsa256.privatePath]);
      const listed = (await agent.sshAdd(['-l'])).stdout;
      const r = await ssh(['-A'], ['ssh-add -l'], '', { ...process.env, SSH_AUTH_SOCK: agent.socket });
      expect(r.stdout.toString()).to.equal(listed);
      expect(r.code).to.equal(0);
    } finally {
      await agent.stop();
    }
  });

  it('serves 20 concurrent clients', async () => {
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => ssh([], [`echo client-${i}`])));
    rs.forEach((r, i) => expect({ out: r.stdout.toString(), code: r.code, err: r.stderr }).to.deep.equal({ out: `client-${i}\n`, code: 0, err: '' }));
  });

  it('refuses a key that is not authorized, then accepts an authorized client', async () => {
    const other = join(sshd.dir, 'id_other');
    await generateKey('ed25519', other);
    const refused = await run('ssh', [...sshd.sshArgs([], [other]), '127.0.0.1', 'true']);
    expect(refused.code).to.equal(255);
    expect(refused.stderr).to.include('Permission denied (publickey).');
    const ok = await ssh([], ['echo fine']);
    expect(ok.stdout.toString()).to.equal('fine\n');
  });

  it('MaxAuthTries: the connection is dropped after too many failed keys', async () => {
    const keys: string[] = [];
    for (let i = 0; i < 4; i++) {
      const p = join(sshd.dir, `id_bad${i}`);
      await generateKey('ed25519', p);
      keys.push(p);
    }
    const args = sshd.sshArgs([], keys);
    const r = await run('ssh', [...args, '127.0.0.1', 'true']);
    expect(r.code).to.equal(255);
    expect(r.stderr).to.include('Too many authentication failures');
    const re = /maximum authentication attempts exceeded for \S+ from 127\.0\.0\.1 port \d+ ssh2 \[preauth\]/;
    expect(await logMatching(sshd, re)).to.match(re);
  });

  it('an unknown user is refused and logged as sshd does', async () => {
    const r = await run('ssh', [...sshd.sshArgs(['-l', 'no-such-user-puressh']), '127.0.0.1', 'true']);
    expect(r.code).to.equal(255);
    expect(r.stderr).to.include('Permission denied (publickey).');
    const re = /Invalid user no-such-user-puressh from 127\.0\.0\.1 port \d+/;
    expect(await logMatching(sshd, re)).to.match(re);
  });

  const sftpGet = async (subsystem: string): Promise<void> => {
    const remote = join(sshd.dir, `remote-${subsystem}.bin`);
    const local = join(sshd.dir, `local-${subsystem}.bin`);
    const data = randomBytes(300_000);
    writeFileSync(remote, data);
    const args = ['-b', '-', '-s', subsystem, '-P', String(sshd.port), '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${sshd.knownHostsPath}`];
    args.push('-o', 'IdentitiesOnly=yes', '-i', sshd.userKeys.ed25519.privatePath, `${sshd.user}@127.0.0.1`);
    const r = await run('sftp', args, `get ${remote} ${local}\n`);
    expect({ code: r.code, err: r.stderr }).to.deep.equal({ code: 0, err: '' });
    expect(sha256(readFileSync(local))).to.equal(sha256(data));
  };

  it('Subsystem with a program path (sftp-server) serves sftp', async () => {
    await sftpGet('sftp');
  });

  it('Subsystem internal-sftp serves sftp in-process (the server runs as this user)', async () => {
    await sftpGet('isftp');
  });

  it('authorized_keys command= replaces the command (SSH_ORIGINAL_COMMAND) and no-pty refuses the pty', async () => {
    const original = readFileSync(sshd.authorizedKeysPath, 'utf8');
    const rsa = sshd.userKeys.rsa.publicLine;
    writeFileSync(sshd.authorizedKeysPath, original.replace(rsa, `command="echo forced:$SSH_ORIGINAL_COMMAND",no-pty ${rsa}`));
    try {
      const r = await run('ssh', [...sshd.sshArgs([], [sshd.userKeys.rsa.privatePath]), '127.0.0.1', 'asked for this']);
      expect({ out: r.stdout.toString(), err: r.stderr, code: r.code }).to.deep.equal({ out: 'forced:asked for this\n', err: '', code: 0 });
      // ssh -tt treats a refused pty as fatal (as against OpenSSH's sshd)
      const tty = await run('ssh', [...sshd.sshArgs(['-tt'], [sshd.userKeys.rsa.privatePath]), '127.0.0.1', 'true']);
      expect({ out: tty.stdout.toString(), err: tty.stderr }).to.deep.equal({ out: '', err: 'PTY allocation request failed on channel 0\r\n' });
    } finally {
      writeFileSync(sshd.authorizedKeysPath, original);
    }
  });

  it('paramiko: publickey auth and exec', async () => {
    const script = `
import paramiko, sys
c = paramiko.SSHClient()
c.load_host_keys(sys.argv[1])
c.connect('127.0.0.1', port=int(sys.argv[2]), username=sys.argv[3], key_filename=sys.argv[4], allow_agent=False, look_for_keys=False)
i, o, e = c.exec_command('echo from-paramiko; echo e >&2; exit 5')
print(repr(o.read()), repr(e.read()), o.channel.recv_exit_status())
c.close()
`;
    const r = await run(PYTHON, ['-c', script, sshd.knownHostsPath, String(sshd.port), sshd.user, sshd.userKeys.ed25519.privatePath]);
    expect(r.stdout.toString()).to.equal("b'from-paramiko\\n' b'e\\n' 5\n");
  });

  it('asyncssh: publickey auth and exec', async () => {
    const script = `
import asyncio, asyncssh, sys
async def main():
    async with asyncssh.connect('127.0.0.1', port=int(sys.argv[2]), username=sys.argv[3], client_keys=[sys.argv[4]], known_hosts=sys.argv[1], agent_path=None) as c:
        r = await c.run('echo from-asyncssh; exit 4')
        print(repr(r.stdout), r.exit_status)
asyncio.run(main())
`;
    const r = await run(PYTHON, ['-W', 'ignore', '-c', script, sshd.knownHostsPath, String(sshd.port), sshd.user, sshd.userKeys.ed25519.privatePath]);
    expect(r.stdout.toString()).to.equal("'from-asyncssh\\n' 4\n");
  });

  it("PuTTY's plink: publickey auth and exec", async () => {
    const ppk = join(sshd.dir, 'id_ed25519.ppk');
    const conv = spawnSync('puttygen', [sshd.userKeys.ed25519.privatePath, '-O', 'private', '-o', ppk], { encoding: 'utf8' });
    if (conv.status !== 0) throw new Error(`puttygen failed (apt-get install -y putty-tools): ${conv.stderr}`);
    const fp = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${sshd.hostKeys.ed25519!.path}.pub`], { encoding: 'utf8' }).stdout.split(' ')[1]!;
    const r = await run('plink', [
      '-batch',
      '-ssh',
      '-P',
      String(sshd.port),
      '-i',
      ppk,
      '-hostkey',
      fp,
      '-l',
      sshd.user,
      '127.0.0.1',
      'echo from-plink; exit 6',
    ]);
    expect(r.stdout.toString()).to.equal('from-plink\n');
    expect(r.code).to.equal(6);
  });

  it('libssh2 (Net::SSH2): publickey auth and exec', async () => {
    const script = `
use Net::SSH2;
my ($port, $user, $key) = @ARGV;
my $s = Net::SSH2->new();
$s->connect('127.0.0.1', $port) or die "connect: " . join(' ', $s->error);
$s->auth_publickey($user, "$key.pub", $key) or die "auth: " . join(' ', $s->error);
my $ch = $s->channel();
$ch->exec('echo from-libssh2; exit 2');
my $out = ''; my $buf;
while ((my $n = $ch->read($buf, 4096)) > 0) { $out .= $buf; }
$ch->send_eof; $ch->wait_closed;
print "$out", $ch->exit_status, "\\n";
`;
    const r = await run('perl', ['-e', script, String(sshd.port), sshd.user, sshd.userKeys.ecdsa256.privatePath]);
    expect({ out: r.stdout.toString(), err: r.stderr }).to.deep.equal({ out: 'from-libssh2\n2\n', err: '' });
  });
});

describe('puressh sshd RekeyLimit', function () {
  this.timeout(300_000);
  let sshd: PuresshSshd;
  before(async () => {
    sshd = await startPuresshSshd({ hostKeyTypes: ['ed25519'], config: ['RekeyLimit 1M'] });
  });
  after(async () => {
    await sshd?.stop();
  });

  it('rekeys every MiB while MiBs flow both ways byte-identical', async () => {
    const data = randomBytes(6 * 1024 * 1024);
    const file = join(sshd.dir, 'down.bin');
    const down = randomBytes(6 * 1024 * 1024);
    writeFileSync(file, down);
    // both directions at once: the upload echoed back, then the file
    const r = await run('ssh', [...sshd.sshArgs(['-o', 'LogLevel=DEBUG1', '-o', 'RekeyLimit=default none']), '127.0.0.1', `cat; cat ${file}`], data);
    expect(r.code).to.equal(0);
    expect(sha256(r.stdout)).to.equal(sha256(Buffer.concat([data, down])));
    const rekeys = r.stderr.split('\n').filter((l) => l.includes('SSH2_MSG_NEWKEYS received')).length;
    expect(rekeys).to.be.greaterThan(5);
  });
});
