/**
 * SCP (scp -t / scp -f over exec) against OpenSSH's scp and asyncssh's own SCP server: 0 B, 1 B and 64 MiB files both ways,
 * modes and times with -p, and a missing remote file surfacing the remote scp's message.
 */
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SshClient } from '../../src/client.js';
import { ScpError, scpGetFile, scpPutFile } from '../../src/sftp/scp.js';
import { nodeLocalFs } from '../../src/sftp/node-fs.js';
import type { LocalFs } from '../../src/sftp/local.js';
import { SshError } from '../../src/errors.js';
import { startAsyncsshSftp, startOpenSshSftp, type SftpServer } from '../support/sftp-servers.js';

const MiB = 1024 * 1024;
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

const SERVERS = [
  ['openssh', startOpenSshSftp],
  ['asyncssh', startAsyncsshSftp],
] as const;

for (const [name, start] of SERVERS)
  describe(`scp against ${name}`, function () {
    this.timeout(120_000);
    let srv: SftpServer;
    let ssh: SshClient;
    let dir: string;

    before(async () => {
      srv = await start();
      ssh = await srv.connect();
      dir = mkdtempSync('/dev/shm/puressh-scp-');
    });
    after(async () => {
      rmSync(dir, { recursive: true, force: true });
      await ssh?.disconnect().catch(() => {});
      await srv?.stop();
    });

    for (const size of [0, 1, 64 * MiB]) {
      it(`puts and gets ${size} bytes`, async () => {
        const data = randomBytes(size);
        const remote = join(dir, `up-${size}`);
        await ssh.scpPut(remote, data, size, { mode: 0o640 });
        const onDisk = readFileSync(remote);
        expect(onDisk.length).to.equal(size);
        expect(sha(onDisk)).to.equal(sha(data));
        // OpenSSH's sink applies the mode to a new file; asyncssh's only with -p (tested below)
        if (name === 'openssh') expect(statSync(remote).mode & 0o777).to.equal(0o640);
        const parts: Buffer[] = [];
        const info = await ssh.scpGet(remote, (c) => void parts.push(Buffer.from(c)));
        const back = Buffer.concat(parts);
        expect(info).to.deep.equal({ size, mode: statSync(remote).mode & 0o7777, name: `up-${size}` });
        expect(sha(back)).to.equal(sha(data));
      });
    }

    it('streams a source of many chunks', async () => {
      const chunks = Array.from({ length: 50 }, () => randomBytes(10_000));
      await ssh.scpPut(join(dir, 'chunks'), chunks, 500_000);
      expect(sha(readFileSync(join(dir, 'chunks')))).to.equal(sha(Buffer.concat(chunks)));
    });

    it('-p carries mode and times both ways', async () => {
      const remote = join(dir, 'times');
      await ssh.scpPut(remote, Buffer.from('t'), 1, { mode: 0o604, mtime: 1_500_000_000, atime: 1_400_000_000 });
      const st = statSync(remote);
      expect(st.mode & 0o777).to.equal(0o604);
      expect(st.mtimeMs).to.equal(1_500_000_000_000);
      expect(st.atimeMs).to.equal(1_400_000_000_000);
      utimesSync(remote, 1_300_000_000, 1_200_000_000);
      const info = await ssh.scpGet(remote, () => {}, { preserve: true });
      expect(info).to.deep.equal({ size: 1, mode: 0o604, name: 'times', mtime: 1_200_000_000, atime: 1_300_000_000 });
    });

    it('file helpers: temp name + rename locally, preserve from the local file', async () => {
      const local = join(dir, 'local-src');
      writeFileSync(local, randomBytes(300_000));
      chmodSync(local, 0o611);
      utimesSync(local, 1_000_000, 2_000_000);
      await scpPutFile(ssh, local, join(dir, 'helper-up'), nodeLocalFs, { preserve: true });
      expect(statSync(join(dir, 'helper-up')).mtimeMs).to.equal(2_000_000_000);
      expect(statSync(join(dir, 'helper-up')).mode & 0o777).to.equal(0o611);
      const info = await scpGetFile(ssh, join(dir, 'helper-up'), join(dir, 'helper-down'), nodeLocalFs, { preserve: true });
      expect(info.size).to.equal(300_000);
      expect(readFileSync(join(dir, 'helper-down')).equals(readFileSync(local))).to.equal(true);
      expect(statSync(join(dir, 'helper-down')).mtimeMs).to.equal(2_000_000_000);
      expect(existsSync(join(dir, 'helper-down.part'))).to.equal(false);
    });

    it('local file system failures (a missing directory, a full disk) are FILE errors naming the file', async () => {
      // a connection of its own: asyncssh ends the whole connection when an SCP channel is closed mid-transfer
      const own = await srv.connect();
      const remote = join(dir, 'to-a-full-disk');
      writeFileSync(remote, randomBytes(256 * 1024));
      const missingDir = join(dir, 'no-such-dir', 'x');
      const e1 = await scpGetFile(own, remote, missingDir, nodeLocalFs).then(
        () => null,
        (x: unknown) => x,
      );
      expect(e1).to.be.instanceOf(SshError);
      expect((e1 as SshError).code).to.equal('FILE');
      expect((e1 as SshError).message).to.match(new RegExp(`^local open ${missingDir}\\.part: ENOENT`));
      // A disk that fills up: the file system's own error for a write, as Node reports it.
      const full: LocalFs = {
        ...nodeLocalFs,
        open: async (path, mode) => {
          const f = await nodeLocalFs.open(path, mode);
          const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
          return mode === 'read' ? f : { ...f, write: () => Promise.reject(enospc) };
        },
      };
      const local = join(dir, 'never-written');
      const e2 = await scpGetFile(own, remote, local, full).then(
        () => null,
        (x: unknown) => x,
      );
      expect(e2).to.be.instanceOf(SshError);
      expect((e2 as SshError).code).to.equal('FILE');
      expect((e2 as SshError).message).to.equal(`local write ${local}.part: ENOSPC: no space left on device, write`);
      expect(existsSync(`${local}.part`)).to.equal(false);
      if (name === 'openssh') expect((await own.run('echo still here')).stdout).to.deep.equal(new TextEncoder().encode('still here\n'));
      await own.disconnect().catch(() => {});
    });

    it('a missing remote file is a clear ScpError with the remote message', async () => {
      const missing = join(dir, 'no such file');
      const e = await ssh
        .scpGet(missing, () => {})
        .then(
          () => null,
          (x: unknown) => x,
        );
      expect(e).to.be.instanceOf(ScpError);
      expect((e as ScpError).code).to.equal('SCP_PROTOCOL');
      expect((e as ScpError).message).to.include(missing);
      expect((e as ScpError).message).to.match(/No such file or directory/);
      const e2 = await scpGetFile(ssh, missing, join(dir, 'never'), nodeLocalFs).then(
        () => null,
        (x: unknown) => x,
      );
      expect(e2).to.be.instanceOf(ScpError);
      expect(existsSync(join(dir, 'never'))).to.equal(false);
      expect(existsSync(join(dir, 'never.part'))).to.equal(false);
    });

    it('an unwritable remote target is a clear ScpError', async () => {
      const e = await ssh.scpPut('/sys/kernel/puressh-scp', Buffer.from('x'), 1).then(
        () => null,
        (x: unknown) => x,
      );
      expect(e).to.be.instanceOf(ScpError);
      expect((e as ScpError).message).to.include('/sys/kernel/puressh-scp');
      expect((e as ScpError).message).to.include('Permission denied');
    });

    it('a directory is refused (no recursive mode)', async () => {
      const e = await ssh
        .scpGet(dir, () => {})
        .then(
          () => null,
          (x: unknown) => x,
        );
      expect(e).to.be.instanceOf(ScpError);
    });

    it('a source that breaks its announced size is refused before the remote sees a complete file', async () => {
      const e = await ssh.scpPut(join(dir, 'short'), Buffer.from('abc'), 10).then(
        () => null,
        (x: unknown) => x,
      );
      expect((e as Error).message).to.match(/3 bytes, 10 announced/);
    });
  });
