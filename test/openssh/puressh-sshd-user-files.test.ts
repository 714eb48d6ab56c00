/**
 * `puressh sshd` run as root reads a user's authorized_keys, AuthorizedPrincipalsFile and
 * ~/.ssh/environment with the user's ids, as OpenSSH's sshd does (temporarily_use_uid): a file
 * the user cannot read authorizes nothing, even when StrictModes would accept it (root may own
 * it). Every case runs against Debian's sshd too, with the same configuration, and the two
 * verdicts are asserted side by side. Needs root and the test account puressh-test.
 */
import { hermeticSshOptions } from '../support/ssh-client.js';
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPuresshSshd, type PuresshSshd } from '../support/puressh-sshd.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { ensureTestUser, type TestUser } from '../support/test-user.js';
import { runProgram } from '../support/run-program.js';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

const run = (cmd: string, args: string[]): Promise<Result> => runProgram(cmd, args, { install: 'apt-get install -y openssh-client' });

/** The keys of the cases, each authorized only by the file of its case. */
const CASES = ['user-owned', 'root-owned-0600', 'symlink-to-root-only', 'in-root-only-dir'] as const;

describe('puressh sshd reads the user files as the user (side by side with OpenSSH sshd)', function () {
  this.timeout(180_000);
  let user: TestUser;
  let keys = '';
  /** the user's directory for this run, inside the home */
  let area = '';
  /** a root-only directory outside the home (every component root-owned, so StrictModes passes) */
  let rootOnly = '';
  let puressh: PuresshSshd;
  let openssh: Sshd;

  /** "ok <user>" when the key logs in, else the ssh exit code and last stderr line. */
  async function verdict(server: { port: number; knownHostsPath: string }, key: string, extra: string[] = []): Promise<string> {
    const r = await run('ssh', [...hermeticSshOptions(server, user.name, [key], extra), '127.0.0.1', 'echo "ok $(id -un) env=$FROM_ENV_FILE"']);
    return r.code === 0 ? r.stdout.trim() : `refused ${r.code}: ${r.stderr.trim().split('\n').pop()}`;
  }

  const both = async (key: string, extra: string[] = []): Promise<{ puressh: string; openssh: string }> => ({
    puressh: await verdict(puressh, key, extra),
    openssh: await verdict(openssh, key, extra),
  });

  before(async () => {
    user = ensureTestUser();
    keys = mkdtempSync(join(tmpdir(), 'puressh-user-files-'));
    for (const name of [...CASES, 'user_ca', 'certified']) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', join(keys, name)]);
    execFileSync('ssh-keygen', ['-q', '-s', join(keys, 'user_ca'), '-I', 'certified', '-n', 'principal-x', join(keys, 'certified.pub')]);
    const pub = (name: string): string => execFileSync('cat', [join(keys, `${name}.pub`)], { encoding: 'utf8' });

    area = join(user.home, `user-files-${process.pid}`);
    mkdirSync(area, { mode: 0o755 });
    chownSync(area, user.uid, user.gid);
    // readable by the user, owned by the user: authorizes
    writeFileSync(join(area, 'user-owned'), pub('user-owned'), { mode: 0o600 });
    chownSync(join(area, 'user-owned'), user.uid, user.gid);
    // owned by root (StrictModes allows it) but unreadable by the user
    writeFileSync(join(area, 'root-owned-0600'), pub('root-owned-0600'), { mode: 0o600 });
    // a user-made symlink to a file only root can reach
    rootOnly = mkdtempSync('/var/lib/puressh-root-only-');
    chmodSync(rootOnly, 0o700);
    writeFileSync(join(rootOnly, 'keys'), pub('symlink-to-root-only'), { mode: 0o644 });
    symlinkSync(join(rootOnly, 'keys'), join(area, 'symlink-to-root-only'));
    execFileSync('chown', ['-h', `${user.uid}:${user.gid}`, join(area, 'symlink-to-root-only')]);
    // a readable file in a directory the user cannot enter
    mkdirSync(join(area, 'closed'), { mode: 0o700 });
    writeFileSync(join(area, 'closed', 'keys'), pub('in-root-only-dir'), { mode: 0o644 });
    // principals for the certificate: root-owned 0600 at first
    writeFileSync(join(area, 'principals'), 'principal-x\n', { mode: 0o600 });
    const config = [
      `AuthorizedKeysFile %h/user-files-${process.pid}/user-owned %h/user-files-${process.pid}/root-owned-0600 %h/user-files-${process.pid}/symlink-to-root-only %h/user-files-${process.pid}/closed/keys`,
      `AuthorizedPrincipalsFile %h/user-files-${process.pid}/principals`,
      `TrustedUserCAKeys ${join(keys, 'user_ca.pub')}`,
      'StrictModes yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitUserEnvironment FROM_ENV_FILE',
      'LogLevel VERBOSE',
    ];
    [puressh, openssh] = await Promise.all([startPuresshSshd({ config }), startSshd({ config })]);
  });

  after(async () => {
    await puressh?.stop();
    await openssh?.stop();
    if (area) rmSync(area, { recursive: true, force: true });
    if (rootOnly) rmSync(rootOnly, { recursive: true, force: true });
    if (keys) rmSync(keys, { recursive: true, force: true });
  });

  it('authorized_keys: only the file the user can read authorizes; both servers agree on every case', async () => {
    const got: Record<string, { puressh: string; openssh: string }> = {};
    for (const c of CASES) got[c] = await both(join(keys, c));
    const refused = 'refused 255: puressh-test@127.0.0.1: Permission denied (publickey).';
    const same = (v: string): { puressh: string; openssh: string } => ({ puressh: v, openssh: v });
    expect(got).to.deep.equal({
      'user-owned': same('ok puressh-test env='),
      'root-owned-0600': same(refused),
      'symlink-to-root-only': same(refused),
      'in-root-only-dir': same(refused),
    });
    // sshd's INFO line for a file it could not open, from both
    const line = `Could not open user 'puressh-test' authorized keys '${join(area, 'root-owned-0600')}': Permission denied`;
    expect(puressh.logs()).to.include(line);
    expect(openssh.logs()).to.include(line);
  });

  it("AuthorizedPrincipalsFile: refused while only root can read it, accepted once it is the user's", async () => {
    const key = join(keys, 'certified');
    const cert = ['-o', `CertificateFile=${key}-cert.pub`];
    expect(await both(key, cert)).to.deep.equal({
      puressh: 'refused 255: puressh-test@127.0.0.1: Permission denied (publickey).',
      openssh: 'refused 255: puressh-test@127.0.0.1: Permission denied (publickey).',
    });
    chownSync(join(area, 'principals'), user.uid, user.gid);
    try {
      expect(await both(key, cert)).to.deep.equal({ puressh: 'ok puressh-test env=', openssh: 'ok puressh-test env=' });
    } finally {
      chownSync(join(area, 'principals'), 0, 0);
    }
  });

  it('~/.ssh/environment: read as the user, so a symlink to a root-only file sets nothing', async () => {
    const env = join(user.home, '.ssh', 'environment');
    const target = join(rootOnly, 'environment');
    writeFileSync(target, 'FROM_ENV_FILE=secret-of-root\n', { mode: 0o644 });
    mkdirSync(join(user.home, '.ssh'), { recursive: true, mode: 0o700 });
    chownSync(join(user.home, '.ssh'), user.uid, user.gid);
    rmSync(env, { force: true });
    symlinkSync(target, env);
    try {
      const key = join(keys, 'user-owned');
      expect(await both(key)).to.deep.equal({ puressh: 'ok puressh-test env=', openssh: 'ok puressh-test env=' });
      // the same content in a file the user can read is taken by both
      rmSync(env);
      user.writeHomeFile('.ssh/environment', 'FROM_ENV_FILE=users-own\n', 0o600);
      expect(await both(key)).to.deep.equal({ puressh: 'ok puressh-test env=users-own', openssh: 'ok puressh-test env=users-own' });
    } finally {
      rmSync(env, { force: true });
    }
  });
});
