/**
 * `puressh ssh` with an agent: keys from $SSH_AUTH_SOCK or -o IdentityAgent, -A forwarding
 * (a remote `ssh-add -l` lists the local agent's keys), IdentityAgent=none; and
 * keyboard-interactive answered through SSH_ASKPASS (PAM sshd, the test account).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { startAgent, type TestAgent } from '../support/ssh-agent.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { ensureTestUser } from '../support/test-user.js';

const entry = join(import.meta.dirname, '../support/puressh-cli.ts');

function pssh(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', entry, 'ssh', ...argv], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout: out, stderr: err }));
    p.stdin.end('');
  });
}

function baseEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  if (!('SSH_AUTH_SOCK' in extra)) delete env.SSH_AUTH_SOCK;
  return env;
}

describe('puressh ssh CLI: agent and keyboard-interactive', function () {
  this.timeout(120_000);
  let sshd: Sshd;
  let agent: TestAgent;
  let dir: string;
  before(async () => {
    [sshd, agent] = await Promise.all([startSshd({ hostKeyTypes: ['ed25519'] }), startAgent()]);
    await agent.sshAdd([sshd.userKeys.ed25519.privatePath, sshd.userKeys.rsa.privatePath]);
    dir = mkdtempSync(join(tmpdir(), 'puressh-clia-'));
  });
  after(async () => {
    await Promise.all([sshd?.stop(), agent?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // (no IdentitiesOnly: with it, as in ssh, the agent's keys would not be offered; HOME has no key files)
  const common = () => ['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-p', String(sshd.port)];
  const target = () => `${sshd.user}@127.0.0.1`;

  it('-A with the agent from $SSH_AUTH_SOCK: the remote ssh-add -l lists the local keys', async () => {
    const r = await pssh([...common(), '-A', target(), 'ssh-add -l'], baseEnv({ SSH_AUTH_SOCK: agent.socket, HOME: dir }));
    expect(r.stderr).to.not.include('Permission denied');
    expect(r.code).to.equal(0);
    expect(r.stdout).to.equal((await agent.sshAdd(['-l'])).stdout);
  });

  it('-o IdentityAgent=<socket> authenticates and forwards (-o ForwardAgent=yes) without SSH_AUTH_SOCK', async () => {
    const r = await pssh(
      [...common(), '-o', `IdentityAgent=${agent.socket}`, '-o', 'ForwardAgent=yes', target(), 'ssh-add -l | wc -l'],
      baseEnv({ HOME: dir }),
    );
    expect(r.code).to.equal(0);
    expect(r.stdout.trim()).to.equal('2');
  });

  it('without -A the remote side has no agent; -a overrides a later ForwardAgent=yes', async () => {
    const env = baseEnv({ SSH_AUTH_SOCK: agent.socket, HOME: dir });
    expect((await pssh([...common(), target(), 'ssh-add -l'], env)).code).to.equal(2);
    expect((await pssh([...common(), '-a', '-o', 'ForwardAgent=yes', target(), 'ssh-add -l'], env)).code).to.equal(2);
  });

  it('IdentityAgent=none: no agent keys, so no way in (BatchMode, no key files)', async () => {
    const r = await pssh([...common(), '-o', 'IdentityAgent=none', target(), 'true'], baseEnv({ SSH_AUTH_SOCK: agent.socket, HOME: dir }));
    expect(r.code).to.equal(255);
    expect(r.stderr).to.include('Permission denied');
  });

  it('keyboard-interactive (PAM) answered through SSH_ASKPASS', async () => {
    const user = ensureTestUser();
    const pam = await startSshd({ hostKeyTypes: ['ed25519'], config: ['UsePAM yes', 'KbdInteractiveAuthentication yes', 'PasswordAuthentication no'] });
    try {
      const askpass = join(dir, 'askpass.sh');
      const log = join(dir, 'asked');
      writeFileSync(askpass, `#!/bin/sh\necho "$1" >> '${log}'\nprintf '%s\\n' '${user.password}'\n`, { mode: 0o755 });
      const env = baseEnv({ HOME: dir, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' });
      const r = await pssh(
        [
          '-o',
          'StrictHostKeyChecking=no',
          '-o',
          'UserKnownHostsFile=/dev/null',
          '-o',
          'PreferredAuthentications=keyboard-interactive',
          '-p',
          String(pam.port),
          `${user.name}@127.0.0.1`,
          'id -un',
        ],
        env,
      );
      expect(r.stdout, r.stderr).to.equal(`${user.name}\n`);
      expect(readFileSync(log, 'utf8')).to.equal('Password: \n');
    } finally {
      await pam.stop();
    }
  });
});
