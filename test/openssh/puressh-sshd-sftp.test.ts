/**
 * `puressh sshd` serving files to other users (run from source, test/support/puressh-sshd.ts):
 * OpenSSH 9.2's sftp and scp against `Subsystem sftp internal-sftp -u … -d …` as the test
 * account puressh-test (a per-user `puressh sftp-server` process), and `ForceCommand
 * internal-sftp` with `ChrootDirectory` for a temporary account whose shell is nologin:
 * confinement seen from the client, sshd's answer to non-sftp sessions, sshd's refusal of a
 * chroot with bad ownership or modes. Needs root (accounts, root-owned chroot).
 */
import { logMatching } from '../support/sshd.js';
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPuresshSshd, type PuresshSshd } from '../support/puressh-sshd.js';
import { ensureTestUser, type TestUser } from '../support/test-user.js';
import { runProgram } from '../support/run-program.js';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

const run = (cmd: string, args: string[], input = ''): Promise<Result> => runProgram(cmd, args, { input, install: 'apt-get install -y openssh-client' });

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A temporary account whose shell is nologin and whose home exists only inside the chroot. */
function createNologinUser(name: string): { uid: number; gid: number; home: string } {
  if (existsSync('/usr/sbin/nologin') === false) throw new Error('/usr/sbin/nologin missing: apt-get install -y login');
  execFileSync('useradd', ['-M', '-d', `/home/${name}`, '-s', '/usr/sbin/nologin', name], { stdio: 'ignore' });
  const f = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).trim().split(':');
  return { uid: Number(f[2]), gid: Number(f[3]), home: f[5]! };
}

describe('puressh sshd: internal-sftp for other users, ForceCommand internal-sftp, ChrootDirectory (OpenSSH 9.2 sftp/scp)', function () {
  this.timeout(180_000);
  let sshd: PuresshSshd;
  let user: TestUser;
  /** the test user's directory for this run, inside its home */
  let area: string;
  /** a root-owned directory holding the chroots (/var/lib: every component root-owned, 0755) */
  let jails: string;
  const jailUser = `pssh-nl-${process.pid}`;
  let jailAccount: { uid: number; gid: number; home: string };
  let jail: string;

  before(async () => {
    user = ensureTestUser();
    area = join(user.home, `sftp-${process.pid}`);
    mkdirSync(join(area, 'start'), { recursive: true });
    chownSync(area, user.uid, user.gid);
    chownSync(join(area, 'start'), user.uid, user.gid);
    jails = mkdtempSync('/var/lib/puressh-chroot-');
    chmodSync(jails, 0o755);
    jailAccount = createNologinUser(jailUser);
    // ChrootDirectory …/%u: the jail is root-owned, the home inside it the user's.
    jail = join(jails, jailUser);
    mkdirSync(join(jail, jailAccount.home), { recursive: true, mode: 0o755 });
    chownSync(join(jail, jailAccount.home), jailAccount.uid, jailAccount.gid);
    writeFileSync(join(jails, 'secret.txt'), 'outside the chroot\n');
    writeFileSync(join(jail, 'inside.txt'), 'inside the chroot\n');
    symlinkSync(jails, join(jail, 'out-absolute'));
    symlinkSync('../..', join(jail, 'out-relative'));
    sshd = await startPuresshSshd({
      config: [
        // replaces the harness's SetEnv HOME=…: sessions get the account's own HOME
        'SetEnv PURESSH_SFTP_TEST=1',
        `Subsystem sftp internal-sftp -u 0027 -d %d/sftp-${process.pid}/start -l INFO`,
        'LogLevel DEBUG1',
        `Match User ${jailUser}`,
        '  ForceCommand internal-sftp -l INFO',
        `  ChrootDirectory ${jails}/%u`,
      ],
    });
  });

  after(async () => {
    await sshd?.stop();
    if (area) rmSync(area, { recursive: true, force: true });
    if (jails) rmSync(jails, { recursive: true, force: true });
    try {
      execFileSync('userdel', [jailUser], { stdio: 'ignore' });
    } catch {
      /* never created */
    }
  });

  const sftpArgs = (login: string, extra: string[] = []): string[] => [
    ...extra,
    '-P',
    String(sshd.port),
    '-o',
    'BatchMode=yes',
    '-o',
    `UserKnownHostsFile=${sshd.knownHostsPath}`,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'LogLevel=ERROR',
    '-F',
    'none',
    '-i',
    sshd.userKeys.ed25519.privatePath,
    `${login}@127.0.0.1`,
  ];
  const sshAs = (login: string, command: string): Promise<Result> => {
    const args = sshd.sshArgs();
    args[args.indexOf('-l') + 1] = login;
    return run('ssh', [...args, '127.0.0.1', command]);
  };

  it('internal-sftp as another user: put/get by hash, files owned by that user, -u and -d applied, ls', async () => {
    const local = join(sshd.dir, 'up.bin');
    const back = join(sshd.dir, 'down.bin');
    const data = randomBytes(1_000_003);
    writeFileSync(local, data);
    chmodSync(local, 0o666);
    const batch = ['pwd', `put ${local}`, `get up.bin ${back}`, 'ls -l', `ls -ln ${area}/start`].join('\n') + '\n';
    const r = await run('sftp', ['-b', '-', ...sftpArgs(user.name)], batch);
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    const remote = join(area, 'start', 'up.bin');
    expect(sha256(readFileSync(remote))).to.equal(sha256(data));
    expect(sha256(readFileSync(back))).to.equal(sha256(data));
    const st = statSync(remote);
    expect({ uid: st.uid, gid: st.gid, mode: st.mode & 0o777 }).to.deep.equal({ uid: user.uid, gid: user.gid, mode: 0o640 });
    const lines = r.stdout.split('\n');
    expect(lines).to.include(`Remote working directory: ${area}/start`);
    // OpenSSH 9.2's sftp formats long listings itself, names from users-groups-by-id@openssh.com
    const listed = lines.filter((l) => l.startsWith('-'));
    const entry = (name: string): RegExp => new RegExp(`^-rw-r----- +\\? puressh-test +puressh-test +1000003 \\w{3} [ \\d]\\d [ \\d]\\d:\\d\\d ${name}$`);
    expect(listed, r.stdout).to.have.length(2);
    expect(listed[0]).to.match(entry('up\\.bin'));
    expect(listed[1]).to.match(entry(`${area}/start/up\\.bin`));
    const log = await logMatching(sshd, /Starting session: subsystem 'sftp' for puressh-test/);
    expect(log).to.match(/Starting session: subsystem 'sftp' for puressh-test from 127\.0\.0\.1 port \d+ id \d+/);
  });

  it('scp (SFTP protocol) and scp -O (scp -t/-f through the shell) with 5 MiB, both ways', async () => {
    const data = randomBytes(5 * 1024 * 1024);
    const local = join(sshd.dir, 'five.bin');
    writeFileSync(local, data);
    const scpArgs = sftpArgs(user.name).slice(0, -1);
    for (const mode of [[], ['-O']]) {
      const remote = join(area, `five${mode.join('')}.bin`);
      const back = join(sshd.dir, `five${mode.join('')}.back`);
      const up = await run('scp', [...mode, ...scpArgs, local, `${user.name}@127.0.0.1:${remote}`]);
      expect({ mode, code: up.code, err: up.stderr }).to.deep.equal({ mode, code: 0, err: '' });
      const down = await run('scp', [...mode, ...scpArgs, `${user.name}@127.0.0.1:${remote}`, back]);
      expect({ mode, code: down.code, err: down.stderr }).to.deep.equal({ mode, code: 0, err: '' });
      expect(sha256(readFileSync(remote))).to.equal(sha256(data));
      expect(sha256(readFileSync(back))).to.equal(sha256(data));
      expect(statSync(remote).uid).to.equal(user.uid);
    }
  });

  it('ForceCommand internal-sftp + ChrootDirectory for a nologin user: the chroot is "/", the home inside it the start', async () => {
    const local = join(sshd.dir, 'jail-up.bin');
    const data = randomBytes(70_000);
    writeFileSync(local, data);
    const batch = ['pwd', `put ${local} mine.bin`, 'cd ..', 'cd ..', 'cd ..', 'pwd', 'ls -1 /', `get inside.txt ${sshd.dir}/inside.txt`].join('\n') + '\n';
    const r = await run('sftp', ['-b', '-', ...sftpArgs(jailUser)], batch);
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    const out = r.stdout.split('\n');
    expect(out).to.include(`Remote working directory: ${jailAccount.home}`);
    expect(out).to.include('Remote working directory: /');
    expect(out.filter((l) => /^\/[\w.-]+$/.test(l.trim())).map((l) => l.trim())).to.deep.equal(['/home', '/inside.txt', '/out-absolute', '/out-relative']);
    expect(readFileSync(join(sshd.dir, 'inside.txt'), 'utf8')).to.equal('inside the chroot\n');
    const stored = join(jail, jailAccount.home, 'mine.bin');
    expect(sha256(readFileSync(stored))).to.equal(sha256(data));
    expect(statSync(stored).uid).to.equal(jailAccount.uid);
    expect(await logMatching(sshd, /Changed root directory to/)).to.include(`Changed root directory to "${jail}"`);
  });

  it('inside the chroot, "..", absolute paths and symlinks pointing out stay inside', async () => {
    const attempts = [
      `${jails}/secret.txt`,
      '../../secret.txt',
      '/../secret.txt',
      'out-absolute/secret.txt',
      'out-relative/secret.txt',
      '/out-relative/secret.txt',
    ];
    for (const path of attempts) {
      const target = join(sshd.dir, 'leak.txt');
      const r = await run('sftp', ['-b', '-', ...sftpArgs(jailUser)], `cd /\nget ${path} ${target}\n`);
      expect({ path, code: r.code, leaked: existsSync(target) }).to.deep.equal({ path, code: 1, leaked: false });
      expect(r.stderr).to.match(/not found|No such file/);
    }
    // The links resolve inside: out-relative ("../..") is "/".
    const target = join(sshd.dir, 'via-link.txt');
    const r = await run('sftp', ['-b', '-', ...sftpArgs(jailUser)], `get /out-relative/inside.txt ${target}\n`);
    expect({ code: r.code, err: r.stderr }).to.deep.equal({ code: 0, err: '' });
    expect(readFileSync(target, 'utf8')).to.equal('inside the chroot\n');
  });

  it('ForceCommand internal-sftp: an exec session gets sshd\'s "sftp connections only" answer and status 1', async () => {
    const r = await sshAs(jailUser, 'id');
    expect({ code: r.code, out: r.stdout }).to.deep.equal({ code: 1, out: 'This service allows sftp connections only.\n' });
    expect(await logMatching(sshd, /refusing non-sftp session/)).to.match(/Connection from 127\.0\.0\.1 port \d+: refusing non-sftp session/);
  });

  it("a chroot with bad ownership or modes drops the connection after authentication, with sshd's message", async () => {
    chownSync(jail, jailAccount.uid, jailAccount.gid);
    try {
      const r = await run('sftp', ['-b', '-', ...sftpArgs(jailUser)], 'pwd\n');
      expect({ code: r.code, out: r.stdout }).to.deep.equal({ code: 255, out: '' });
      expect(r.stderr).to.include('Connection closed');
      expect(await logMatching(sshd, /bad ownership or modes for chroot directory "/)).to.include(`bad ownership or modes for chroot directory "${jail}"`);
    } finally {
      chownSync(jail, 0, 0);
    }
    chmodSync(jails, 0o775);
    try {
      const r = await run('sftp', ['-b', '-', ...sftpArgs(jailUser)], 'pwd\n');
      expect({ code: r.code, out: r.stdout }).to.deep.equal({ code: 255, out: '' });
      expect(r.stderr).to.include('Connection closed');
      const re = /bad ownership or modes for chroot directory component "/;
      expect(await logMatching(sshd, re)).to.include(`bad ownership or modes for chroot directory component "${jails}/"`);
    } finally {
      chmodSync(jails, 0o755);
    }
  });

  it('without the home directory inside the chroot the session starts at "/"', async () => {
    const home = join(jail, jailAccount.home);
    const aside = join(jail, 'home', 'aside');
    renameSync(home, aside);
    try {
      const r = await run('sftp', ['-b', '-', ...sftpArgs(jailUser)], 'pwd\n');
      expect({ code: r.code, out: r.stdout, err: r.stderr }).to.deep.equal({ code: 0, out: 'sftp> pwd\nRemote working directory: /\n', err: '' });
    } finally {
      renameSync(aside, home);
    }
  });

  it('ChrootDirectory without ForceCommand: Subsystem internal-sftp is confined, other sessions are refused; key command="internal-sftp" serves sftp', async () => {
    const other = await startPuresshSshd({
      config: ['Subsystem sftp internal-sftp', `Match User ${jailUser}`, `  ChrootDirectory ${jails}/%u`],
    });
    try {
      const args = (extra: string[] = []): string[] => {
        const a = sftpArgs(jailUser, extra);
        a[a.indexOf('-P') + 1] = String(other.port);
        a[a.indexOf(`UserKnownHostsFile=${sshd.knownHostsPath}`)] = `UserKnownHostsFile=${other.knownHostsPath}`;
        a[a.indexOf(sshd.userKeys.ed25519.privatePath)] = other.userKeys.ed25519.privatePath;
        return a;
      };
      const r = await run('sftp', ['-b', '-', ...args()], 'pwd\nls -1 /\n');
      expect({ code: r.code, err: r.stderr }).to.deep.equal({ code: 0, err: '' });
      expect(r.stdout).to.include(`Remote working directory: ${jailAccount.home}\n`);
      expect(r.stdout).to.include('/inside.txt\n');
      const sshArgs = other.sshArgs();
      sshArgs[sshArgs.indexOf('-l') + 1] = jailUser;
      const exec = await run('ssh', [...sshArgs, '127.0.0.1', 'id']);
      expect({ code: exec.code, out: exec.stdout }).to.deep.equal({ code: 255, out: '' });
      expect(exec.stderr).to.include('exec request failed on channel 0');
      const re = new RegExp(
        `ChrootDirectory "${jail}" applies to ${jailUser}: puressh sshd serves only internal-sftp inside a chroot; refusing the command session`,
      );
      expect(await logMatching(other, re)).to.match(re);
      // authorized_keys command="internal-sftp" (key-option ForceCommand): sftp, confined, with its options
      const original = readFileSync(other.authorizedKeysPath, 'utf8');
      const line = other.userKeys.ed25519.publicLine;
      writeFileSync(other.authorizedKeysPath, original.replace(line, `command="internal-sftp -R" ${line}`));
      const forced = await run('sftp', ['-b', '-', ...args()], `pwd\n-put ${join(other.dir, 'sshd_config')} /x\n`);
      expect(forced.code, forced.stderr).to.equal(0);
      expect(forced.stdout).to.include(`Remote working directory: ${jailAccount.home}\n`);
      expect(forced.stderr).to.match(/Permission denied|Failure/);
      expect(existsSync(join(jail, 'x'))).to.equal(false);
      const refused = await run('ssh', [...sshArgs, '127.0.0.1', 'id']);
      expect({ code: refused.code, out: refused.stdout }).to.deep.equal({ code: 1, out: 'This service allows sftp connections only.\n' });
    } finally {
      await other.stop();
    }
  });
});
