/**
 * SshServer over TCP (the Node listener) with real clients: OpenSSH's `ssh` (Debian 9.2),
 * paramiko and asyncssh (Debian packages, run by /usr/bin/python3). A test-defined exec
 * handler echoes the command on stdout, writes stderr and exits 3; outputs and codes are
 * asserted exactly.
 */
import { runProgram } from '../support/run-program.js';
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatPublicKeyLine, generateKeyPair, parsePublicKeyLine } from '../../src/crypto/keys/index.js';
import { listen, type SshListener } from '../../src/server/node-listen.js';
import type { SessionHandler } from '../../src/server/session.js';
import { randomBytes } from 'node:crypto';

const PYTHON = '/usr/bin/python3';
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

const run = (cmd: string, args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  runProgram(cmd, args, { input, install: 'apt-get install -y openssh-client python3-paramiko python3-asyncssh' });

const handler: SessionHandler = {
  pty: () => true,
  exec(command, session) {
    void (async () => {
      if (command === 'upper') {
        let input = '';
        for (let c = await session.read(); c !== null; c = await session.read()) input += dec(c);
        await session.write(enc(input.toUpperCase()));
        await session.sendExitStatus(0);
        return;
      }
      if (command === 'tty') {
        await session.write(enc(`term=${session.pty?.term ?? 'none'} cols=${session.pty?.cols ?? 0}\r\n`));
        await session.sendExitStatus(0);
        return;
      }
      await session.write(enc(`ran: ${command}\n`));
      await session.writeStderr(enc(`warn: ${command}\n`));
      await session.sendExitStatus(3);
    })();
    return true;
  },
};

describe('SshServer over TCP with real clients', function () {
  let dir: string;
  let listener: SshListener;
  let keyPath: string;
  let knownHosts: string;
  const logins: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'puressh-server-'));
    keyPath = join(dir, 'id_ed25519');
    const kg = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyPath]);
    if (kg.status !== 0) throw new Error('ssh-keygen failed or missing: apt-get install -y openssh-client');
    const userPub = parsePublicKeyLine(readFileSync(`${keyPath}.pub`, 'utf8')).key;
    const hostKey = generateKeyPair({ type: 'ed25519' }, (n) => new Uint8Array(randomBytes(n))).privateKey;
    listener = await listen({
      host: '127.0.0.1',
      port: 0,
      hostKeys: [hostKey],
      auth: {
        publicKey: ({ username, key }) => username === 'alice' && key.blob.every((v, i) => v === userPub.blob[i]) && key.blob.length === userPub.blob.length,
        password: ({ username, password }) => username === 'alice' && password === 'hunter2',
      },
      handlers: {
        session: (conn) => {
          logins.push(`${conn.username}:${conn.user.methods.join(',')}`);
          return handler;
        },
      },
      limits: { authFailureDelay: false },
    });
    knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, `[127.0.0.1]:${listener.port} ${formatPublicKeyLine(hostKey.publicKey)}\n`);
  });

  after(async () => {
    await listener.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const sshArgs = (...rest: string[]): string[] => [
    '-F',
    '/dev/null',
    '-p',
    String(listener.port),
    '-i',
    keyPath,
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'IdentityAgent=none',
    ...rest,
  ];

  it('ssh: exec with stdout, stderr and exit status 3', async () => {
    const r = await run('ssh', sshArgs('alice@127.0.0.1', 'echo hello'));
    expect(r).to.deep.equal({ code: 3, stdout: 'ran: echo hello\n', stderr: 'warn: echo hello\n' });
  });

  it('ssh: stdin to the command, EOF, exit status 0', async () => {
    const r = await run('ssh', sshArgs('alice@127.0.0.1', 'upper'), 'some input\nmore\n');
    expect(r).to.deep.equal({ code: 0, stdout: 'SOME INPUT\nMORE\n', stderr: '' });
  });

  it('ssh -tt: the pty request reaches the session', async () => {
    const r = await run('ssh', sshArgs('-tt', '-o', 'LogLevel=ERROR', 'alice@127.0.0.1', 'tty'));
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/^term=\S+ cols=\d+\r\n$/);
  });

  it('ssh: a wrong user is refused with exit status 255', async () => {
    const r = await run('ssh', sshArgs('mallory@127.0.0.1', 'true'));
    expect(r.code).to.equal(255);
    expect(r.stderr).to.contain('Permission denied (publickey,password)');
  });

  it('paramiko: exec with publickey and with password', async () => {
    const script = `
import json, sys, paramiko
out = []
for kw in ({'key_filename': sys.argv[2], 'look_for_keys': False, 'allow_agent': False},
           {'password': 'hunter2', 'look_for_keys': False, 'allow_agent': False}):
    c = paramiko.SSHClient()
    c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    c.connect('127.0.0.1', port=int(sys.argv[1]), username='alice', **kw)
    stdin, stdout, stderr = c.exec_command('paramiko says hi')
    out.append([stdout.read().decode(), stderr.read().decode(), stdout.channel.recv_exit_status()])
    c.close()
print(json.dumps(out))
`;
    const r = await run(PYTHON, ['-c', script, String(listener.port), keyPath]);
    if (r.code !== 0) throw new Error(`paramiko failed (apt-get install -y python3-paramiko): ${r.stderr}`);
    expect(JSON.parse(r.stdout)).to.deep.equal([
      ['ran: paramiko says hi\n', 'warn: paramiko says hi\n', 3],
      ['ran: paramiko says hi\n', 'warn: paramiko says hi\n', 3],
    ]);
  });

  it('asyncssh: exec with publickey and with password', async () => {
    const script = `
import asyncio, json, sys, warnings
warnings.simplefilter('ignore')
import asyncssh
async def main():
    out = []
    for kw in ({'client_keys': [sys.argv[2]], 'password': None}, {'client_keys': None, 'password': 'hunter2'}):
        async with asyncssh.connect('127.0.0.1', port=int(sys.argv[1]), username='alice', known_hosts=None, agent_path=None, **kw) as c:
            r = await c.run('asyncssh says hi')
            out.append([r.stdout, r.stderr, r.exit_status])
    print(json.dumps(out))
asyncio.run(main())
`;
    const r = await run(PYTHON, ['-W', 'ignore', '-c', script, String(listener.port), keyPath]);
    if (r.code !== 0) throw new Error(`asyncssh failed (apt-get install -y python3-asyncssh): ${r.stderr}`);
    expect(JSON.parse(r.stdout)).to.deep.equal([
      ['ran: asyncssh says hi\n', 'warn: asyncssh says hi\n', 3],
      ['ran: asyncssh says hi\n', 'warn: asyncssh says hi\n', 3],
    ]);
  });

  it('every login went through the handlers with the method used', () => {
    expect(logins).to.include('alice:publickey');
    expect(logins).to.include('alice:password');
  });
});
