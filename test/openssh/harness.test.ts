/**
 * Smoke test of the real-peer harness itself (test/support): the hermetic sshd, OpenSSH's
 * own client against it, and the misbehaving servers, all checked with the reference `ssh`.
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { startSshd, sshdEffectiveConfig, sshdSupported, buildConfig, USER_KEY_TYPES, type Sshd } from '../support/sshd.js';
import { runOpenSsh, spawnOpenSsh } from '../support/ssh-client.js';
import { closedPort, httpServer, partialKexServer, ssh1Server, silentServer } from '../support/bad-servers.js';

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

describe('openssh harness', function () {
  this.timeout(60_000);
  let sshd: Sshd;

  before(async () => {
    sshd = await startSshd({
      config: ['Ciphers aes256-ctr,aes128-gcm@openssh.com', 'MaxStartups 7', 'Match User nobody', 'PasswordAuthentication no'],
    });
  });
  after(async () => {
    await sshd?.stop();
  });

  it('runs a command through OpenSSH ssh with the ed25519 key', async () => {
    const r = await runOpenSsh(sshd, 'echo hi');
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    expect(r.stdout.toString()).to.equal('hi\n');
  });

  it('accepts every generated user key, with the temp dir as remote $HOME', async () => {
    for (const key of USER_KEY_TYPES) {
      const r = await runOpenSsh(sshd, 'echo "$HOME"', { key });
      expect(r.code, `${key}: ${r.stderr}`).to.equal(0);
      expect(r.stdout.toString()).to.equal(`${sshd.dir}\n`);
    }
  });

  it('passes stdin, stderr and the exit status through', async () => {
    const r = await runOpenSsh(sshd, 'cat; echo oops >&2; exit 3', { input: 'abc' });
    expect(r.code).to.equal(3);
    expect(r.stdout.toString()).to.equal('abc');
    expect(r.stderr).to.equal('oops\n');
  });

  it('puts the caller lines first (first value wins) and Match blocks last', () => {
    const cfg = sshdEffectiveConfig(sshd, `user=${sshd.user},host=localhost,addr=127.0.0.1`);
    expect(cfg.ciphers).to.deep.equal(['aes256-ctr,aes128-gcm@openssh.com']);
    expect(cfg.maxstartups).to.deep.equal(['7:30:7']);
    expect(cfg.port).to.deep.equal([String(sshd.port)]);
    expect(cfg.listenaddress).to.deep.equal(['127.0.0.1:' + sshd.port]);
    expect(cfg.permitrootlogin).to.deep.equal(['yes']);
    expect(cfg.usepam).to.deep.equal(['no']);
    expect(cfg.strictmodes).to.deep.equal(['no']);
    expect(cfg.hostkey).to.have.length(5);
    expect(cfg.passwordauthentication).to.deep.equal(['yes']);
    const nobody = sshdEffectiveConfig(sshd, 'user=nobody,host=localhost,addr=127.0.0.1');
    expect(nobody.passwordauthentication).to.deep.equal(['no']);
  });

  it('builds the config with Match blocks after the defaults', () => {
    expect(buildConfig(['A 1', 'Match User x', 'B 2'], ['C 3'])).to.equal('A 1\nC 3\nMatch User x\nB 2\n');
    expect(buildConfig([], ['C 3'])).to.equal('C 3\n');
    // a default the caller set is dropped (MaxStartups is last-wins; a second Subsystem sftp is fatal)
    expect(buildConfig(['maxstartups 5', 'Subsystem sftp /x'], ['MaxStartups 100', 'Subsystem sftp /y', 'Subsystem other /z'])).to.equal(
      'maxstartups 5\nSubsystem sftp /x\nSubsystem other /z\n',
    );
    // HostKey accumulates: the harness keys stay
    expect(buildConfig(['HostKey /a'], ['HostKey /b'])).to.equal('HostKey /a\nHostKey /b\n');
    expect(() => buildConfig(['Port 22'], [])).to.throw(/picks port itself/);
  });

  it('lists a known_hosts line for every host key', async () => {
    const { readFile } = await import('node:fs/promises');
    const lines = (await readFile(sshd.knownHostsPath, 'utf8')).trim().split('\n');
    expect(lines.map((l) => l.split(' ')[1])).to.deep.equal(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa']);
    for (const l of lines) expect(l.startsWith(`[127.0.0.1]:${sshd.port} `)).to.equal(true);
    // Each host key verifies with strict checking when it is the only one offered.
    for (const alg of ['ssh-ed25519', 'ecdsa-sha2-nistp384', 'rsa-sha2-512']) {
      const r = await runOpenSsh(sshd, 'true', { options: [`HostKeyAlgorithms=${alg}`] });
      expect(r.code, `${alg}: ${r.stderr}`).to.equal(0);
    }
  });

  it('reports the algorithm lists of this OpenSSH build', () => {
    expect(sshdSupported('cipher')).to.include('chacha20-poly1305@openssh.com');
    expect(sshdSupported('kex')).to.include('curve25519-sha256');
    expect(sshdSupported('mac')).to.include('hmac-sha2-256-etm@openssh.com');
    expect(sshdSupported('key')).to.include('ssh-ed25519');
  });

  it('loads a DSA host key when asked, and enables ssh-dss', async () => {
    const dsa = await startSshd({ hostKeyTypes: ['dsa'] });
    try {
      const r = await runOpenSsh(dsa, 'echo dss', { options: ['HostKeyAlgorithms=ssh-dss'] });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout.toString()).to.equal('dss\n');
    } finally {
      await dsa.stop();
    }
  });

  it('stop() ends live sessions, frees the port and removes the temp dir', async () => {
    const s = await startSshd({ hostKeyTypes: ['ed25519'], rsaBits: 2048 });
    const child = spawnOpenSsh(s, 'echo started; sleep 60');
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    await s.stop();
    expect(await exited).to.equal(255);
    expect(await refused(s.port)).to.equal(true);
    expect(existsSync(s.dir)).to.equal(false);
    expect(s.logs()).to.match(/Accepted publickey for /);
  });
});

describe('bad servers (checked with OpenSSH ssh)', function () {
  this.timeout(30_000);
  const target = (port: number) => ({
    host: '127.0.0.1' as const,
    port,
    user: 'nobody',
    knownHostsPath: '/dev/null',
    userKeys: { ed25519: { privatePath: '/dev/null' } } as never,
  });
  const run = (port: number) => runOpenSsh(target(port), 'true', { key: '/dev/null', options: ['ConnectTimeout=5', 'LogLevel=INFO'] });

  it('closed port: connection refused', async () => {
    const s = await closedPort();
    const r = await run(s.port);
    expect(r.code).to.equal(255);
    expect(r.stderr).to.contain(`connect to host 127.0.0.1 port ${s.port}: Connection refused`);
  });

  it('HTTP server: not an SSH identification', async () => {
    const s = await httpServer();
    try {
      const r = await run(s.port);
      expect(r.code).to.equal(255);
      expect(r.stderr).to.match(/kex_exchange_identification|Invalid SSH identification/);
      expect(s.connections()).to.equal(1);
    } finally {
      await s.close();
    }
  });

  it('SSH-1.5 server: protocol version mismatch', async () => {
    const s = await ssh1Server();
    try {
      const r = await run(s.port);
      expect(r.code).to.equal(255);
      expect(r.stderr).to.match(/Protocol major versions differ: 2 vs\. 1/);
    } finally {
      await s.close();
    }
  });

  it('partial KEXINIT then drop: connection closed during kex', async () => {
    const s = await partialKexServer();
    try {
      const r = await run(s.port);
      expect(r.code).to.equal(255);
      expect(r.stderr).to.match(/Connection closed by 127\.0\.0\.1 port \d+|Connection reset/);
    } finally {
      await s.close();
    }
  });

  it('silent server: ssh times out', async () => {
    const s = await silentServer();
    try {
      const r = await runOpenSsh(target(s.port), 'true', { key: '/dev/null', options: ['ConnectTimeout=1', 'LogLevel=INFO'] });
      expect(r.code).to.equal(255);
      expect(r.stderr).to.match(/timed out/i);
    } finally {
      await s.close();
    }
  });
});
