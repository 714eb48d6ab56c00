/**
 * Certificates through `puressh sshd` with OpenSSH 9.2's ssh: user certificates under
 * TrustedUserCAKeys (an empty authorized_keys: only the CA is trusted), refused when the
 * principal does not name the user, when expired, or when source-address excludes us; and
 * the server's HostCertificate accepted by ssh under `@cert-authority` with
 * StrictHostKeyChecking=yes. Certificates are made by the real ssh-keygen.
 */
import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { startPuresshSshd, type PuresshSshd } from '../support/puressh-sshd.js';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function ssh(args: string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => reject(new Error(`ssh missing (${e.message}): apt-get install -y openssh-client`)));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('puressh sshd: certificates with OpenSSH ssh', function () {
  this.timeout(120_000);
  let sshd: PuresshSshd;
  let dir = '';
  let user = '';

  /** Sign the ed25519 user key for `principal` with extra ssh-keygen options; returns the -cert.pub path. */
  function userCert(name: string, principal: string, extra: string[] = []): string {
    const key = join(dir, name);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    execFileSync('ssh-keygen', ['-q', '-s', join(dir, 'user_ca'), '-I', name, '-n', principal, ...extra, `${key}.pub`]);
    return key;
  }

  /** ssh with the user certificate, the host known only through its CA (@cert-authority). */
  const login = (key: string, extra: string[] = []): Promise<Result> =>
    ssh([
      ...sshd.sshArgs(
        [
          ...extra,
          '-o',
          `CertificateFile=${key}-cert.pub`,
          '-o',
          `UserKnownHostsFile=${join(dir, 'known_hosts_ca')}`,
          '-o',
          'HostKeyAlgorithms=ssh-ed25519-cert-v01@openssh.com',
        ],
        [key],
      ),
      '127.0.0.1',
      'echo certified',
    ]);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'puressh-sshd-certs-'));
    user = userInfo().username;
    for (const name of ['user_ca', 'host_ca', 'host_key']) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, name)]);
    execFileSync('ssh-keygen', ['-q', '-s', join(dir, 'host_ca'), '-I', 'host', '-h', '-n', '127.0.0.1', join(dir, 'host_key.pub')]);
    // Our host key first (sshd keeps every HostKey; the certificate goes with this one).
    sshd = await startPuresshSshd({
      config: [
        `HostKey ${join(dir, 'host_key')}`,
        `HostCertificate ${join(dir, 'host_key-cert.pub')}`,
        'AuthorizedKeysFile none',
        `TrustedUserCAKeys ${join(dir, 'user_ca.pub')}`,
      ],
      hostKeyTypes: ['ed25519'],
    });
    writeFileSync(join(dir, 'known_hosts_ca'), `@cert-authority [127.0.0.1]:${sshd.port} ${readFileSync(join(dir, 'host_ca.pub'), 'utf8')}`);
  });

  after(async () => {
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a user certificate for the user logs in with no authorized_keys at all', async () => {
    const key = userCert('good', user);
    const r = await login(key);
    expect({ code: r.code, out: r.stdout }, r.stderr + sshd.logs().slice(-3000)).to.deep.equal({ code: 0, out: 'certified\n' });
  });

  it('refuses a certificate whose principals do not name the user, an expired one, and one whose source-address excludes us', async () => {
    for (const [name, principal, extra] of [
      ['other', 'someone-else', []],
      ['expired', user, ['-V', '20200101:20200102']],
      ['elsewhere', user, ['-O', 'source-address=192.0.2.0/24']],
    ] as const) {
      const key = userCert(name, principal, [...extra]);
      const r = await login(key);
      expect({ name, code: r.code, denied: r.stderr.includes('Permission denied (publickey)') }).to.deep.equal({ name, code: 255, denied: true });
    }
  });

  it('the HostCertificate is verified by ssh against @cert-authority under StrictHostKeyChecking=yes', async () => {
    const key = userCert('host-check', user);
    const r = await login(key, ['-v']);
    expect(r.stderr).to.match(/Server host certificate: ssh-ed25519-cert-v01@openssh\.com .* ID "host" CA ssh-ed25519/);
    expect({ code: r.code, out: r.stdout }).to.deep.equal({ code: 0, out: 'certified\n' });
  });
});
