/**
 * internal-sftp's command line (session.c IS_INTERNAL_SFTP, the split at spaces), the chroot
 * path's expansion (tilde, %h %u %U %%) and sshd's safely_chroot checks on real directories
 * (root-owned ones need root), and the program line of the per-user sftp-server process.
 */
import { expect } from 'chai';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chrootProblem, connectionChroot, expandChrootPath, internalSftpArgs, isInternalSftp, sftpServerProgram } from '../../../src/cli/sshd-internal-sftp.js';
import type { PasswdEntry } from '../../../src/server/node-passwd.js';

const alice: PasswdEntry = { name: 'alice', uid: 1234, gid: 1234, gecos: '', home: '/home/alice', shell: '/bin/sh' };

describe('cli/sshd-internal-sftp', () => {
  it('recognises internal-sftp as sshd does: alone or followed by a space or tab', () => {
    expect(['internal-sftp', 'internal-sftp -R', 'internal-sftp\t-d /x'].map(isInternalSftp)).to.deep.equal([true, true, true]);
    expect(['internal-sftpx', '/usr/lib/openssh/sftp-server', ' internal-sftp', 'Internal-sftp'].map(isInternalSftp)).to.deep.equal([
      false,
      false,
      false,
      false,
    ]);
  });

  it('splits the arguments at spaces, without quoting', () => {
    expect(internalSftpArgs('internal-sftp')).to.deep.equal([]);
    expect(internalSftpArgs('internal-sftp  -d /upload -R  -u 0022 -l INFO')).to.deep.equal(['-d', '/upload', '-R', '-u', '0022', '-l', 'INFO']);
    expect(internalSftpArgs('internal-sftp -d "/a b"')).to.deep.equal(['-d', '"/a', 'b"']);
  });

  it('expands ~, %h, %u, %U and %%, and refuses an unknown token', async () => {
    expect(await expandChrootPath('/srv/%u/%U/%%', alice)).to.equal('/srv/alice/1234/%');
    expect(await expandChrootPath('%h', alice)).to.equal('/home/alice');
    expect(await expandChrootPath('~/jail', alice)).to.equal('/home/alice/jail');
    expect(await expandChrootPath('~root/jail', alice)).to.equal('/root/jail');
    let err: unknown;
    await expandChrootPath('/srv/%x', alice).catch((e: unknown) => (err = e));
    expect((err as Error).message).to.equal('percent_expand: unknown key %x');
  });

  it('checks every component as safely_chroot does, with its messages', async function () {
    if (process.getuid?.() !== 0) throw new Error('this test needs root (root-owned directories)');
    const base = mkdtempSync('/var/lib/puressh-chroot-unit-');
    try {
      chmodSync(base, 0o755);
      const jail = join(base, 'jail');
      mkdirSync(jail, { mode: 0o755 });
      expect(await chrootProblem(jail)).to.equal(null);
      expect(await chrootProblem(`${jail}/`)).to.equal(null);
      expect(await connectionChroot(jail, alice)).to.equal(jail);
      expect(await connectionChroot('none', alice)).to.equal(null);
      expect(await connectionChroot(null, alice)).to.equal(null);
      expect(await chrootProblem('jail')).to.equal('chroot path does not begin at root');
      expect(await chrootProblem(join(base, 'missing'))).to.equal(`safely_chroot: stat("${base}/missing"): No such file or directory`);
      writeFileSync(join(base, 'file'), '');
      chmodSync(join(base, 'file'), 0o644);
      expect(await chrootProblem(join(base, 'file'))).to.equal(`chroot path "${base}/file" is not a directory`);
      chmodSync(jail, 0o775);
      expect(await chrootProblem(jail)).to.equal(`bad ownership or modes for chroot directory "${jail}"`);
      chmodSync(jail, 0o755);
      chownSync(jail, 1, 1);
      expect(await chrootProblem(jail)).to.equal(`bad ownership or modes for chroot directory "${jail}"`);
      let err: unknown;
      await connectionChroot(jail, alice).catch((e: unknown) => (err = e));
      expect((err as Error).message).to.equal(`bad ownership or modes for chroot directory "${jail}"`);
      chownSync(jail, 0, 0);
      chmodSync(base, 0o757);
      expect(await chrootProblem(jail)).to.equal(`bad ownership or modes for chroot directory component "${base}/"`);
      // /tmp is world-writable: no chroot can be under it
      expect(await chrootProblem('/tmp')).to.equal('bad ownership or modes for chroot directory "/tmp"');
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('runs this same puressh as the sftp-server, module specifiers made absolute', () => {
    const p = sftpServerProgram(['--chroot', '/srv/x', '-R']);
    expect(p.file).to.equal(process.execPath);
    expect(p.args.slice(-4)).to.deep.equal(['sftp-server', '--chroot', '/srv/x', '-R']);
    expect(p.args.at(-5)).to.equal(process.argv[1]);
    expect(p.args.slice(0, -5)).to.have.length(process.execArgv.length);
    // (that a bare --import specifier becomes absolute is shown end to end: puressh-sshd-sftp.test.ts
    // runs the server with --import tsx, and the user's process starts in a home without tsx)
  });
});
