/**
 * Bulk SFTP transfers against OpenSSH's sftp-server and asyncssh: 256 MiB each way
 * (sha256-identical), progress, resume, preserve, in-place writes, and a server killed
 * mid-transfer (typed error, nothing under the final name). Big files live on tmpfs so the
 * numbers measure SSH, not the disk.
 */
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import type { SshClient } from '../../src/client.js';
import { SshError } from '../../src/errors.js';
import type { SftpClient } from '../../src/sftp/client.js';
import { SftpConnectionLostError, SftpError } from '../../src/sftp/errors.js';
import { FX } from '../../src/sftp/constants.js';
import { execFileSync } from 'node:child_process';
import { nodeLocalFs } from '../../src/sftp/node-fs.js';
import { createReadStream, createWriteStream } from '../../src/sftp/node-streams.js';
import { pipeline } from 'node:stream/promises';
import { createReadStream as localReadStream, createWriteStream as localWriteStream } from 'node:fs';
import { startAsyncsshSftp, startOpenSshSftp, type SftpServer } from '../support/sftp-servers.js';

const MiB = 1024 * 1024;
const fs = nodeLocalFs;

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

const SERVERS = [
  ['openssh', startOpenSshSftp],
  ['asyncssh', startAsyncsshSftp],
] as const;

for (const [name, start] of SERVERS) {
  describe(`sftp transfers against ${name}`, function () {
    this.timeout(300_000);
    let srv: SftpServer;
    let ssh: SshClient;
    let sftp: SftpClient;
    let dir: string;

    before(async () => {
      srv = await start();
      ssh = await srv.connect();
      sftp = await ssh.sftp();
      dir = mkdtempSync('/dev/shm/puressh-sftp-');
    });
    after(async () => {
      rmSync(dir, { recursive: true, force: true });
      await sftp?.end().catch(() => {});
      await ssh?.disconnect().catch(() => {});
      await srv?.stop();
    });

    it('puts and gets 256 MiB, sha256-identical, with progress', async () => {
      const size = 256 * MiB;
      const src = join(dir, 'src.bin');
      writeFileSync(src, randomBytes(size));
      const want = sha256File(src);
      const progress: number[] = [];
      let t = performance.now();
      expect(await sftp.put(src, join(dir, 'remote.bin'), { fs, onProgress: (n, total) => (expect(total).to.equal(size), progress.push(n)) })).to.equal(size);
      const putMBs = size / 1e6 / ((performance.now() - t) / 1000);
      expect(progress[progress.length - 1]).to.equal(size);
      expect(progress.every((v, i) => i === 0 || v >= progress[i - 1]!)).to.equal(true);
      expect(existsSync(join(dir, 'remote.bin.part'))).to.equal(false);
      expect(sha256File(join(dir, 'remote.bin'))).to.equal(want);
      rmSync(src);
      t = performance.now();
      expect(await sftp.get(join(dir, 'remote.bin'), join(dir, 'back.bin'), { fs })).to.equal(size);
      const getMBs = size / 1e6 / ((performance.now() - t) / 1000);
      expect(existsSync(join(dir, 'back.bin.part'))).to.equal(false);
      expect(sha256File(join(dir, 'back.bin'))).to.equal(want);
      console.log(`      ${name}: put ${putMBs.toFixed(0)} MB/s, get ${getMBs.toFixed(0)} MB/s (${ssh.algorithms.cipherCS})`);
      rmSync(join(dir, 'remote.bin'));
      rmSync(join(dir, 'back.bin'));
    });

    it('resumes a partial put and a partial get from where they stopped', async () => {
      const data = randomBytes(3 * MiB + 123);
      const src = join(dir, 'resume-src.bin');
      writeFileSync(src, data);
      // a previous upload left the first 1 MiB + 7 under the temporary name
      writeFileSync(join(dir, 'resume-up.bin.part'), data.subarray(0, MiB + 7));
      const seen: number[] = [];
      const sent = await sftp.put(src, join(dir, 'resume-up.bin'), { fs, resume: true, onProgress: (n) => seen.push(n) });
      expect(sent).to.equal(data.length - MiB - 7);
      expect(seen[0]).to.equal(MiB + 7);
      expect(readFileSync(join(dir, 'resume-up.bin')).equals(data)).to.equal(true);
      // and a download with 2 MiB already here
      writeFileSync(join(dir, 'resume-down.bin.part'), data.subarray(0, 2 * MiB));
      const got = await sftp.get(join(dir, 'resume-up.bin'), join(dir, 'resume-down.bin'), { fs, resume: true });
      expect(got).to.equal(data.length - 2 * MiB);
      expect(readFileSync(join(dir, 'resume-down.bin')).equals(data)).to.equal(true);
    });

    it('preserves mode and times when asked, and writes in place when asked', async () => {
      const src = join(dir, 'keep.bin');
      writeFileSync(src, randomBytes(100_000));
      chmodSync(src, 0o614);
      utimesSync(src, 1_111_111, 2_222_222);
      await sftp.put(src, join(dir, 'keep-up.bin'), { fs, preserve: true });
      const up = statSync(join(dir, 'keep-up.bin'));
      expect(up.mode & 0o7777).to.equal(0o614);
      expect(up.mtimeMs).to.equal(2_222_222_000);
      expect(up.atimeMs).to.equal(1_111_111_000);
      await sftp.get(join(dir, 'keep-up.bin'), join(dir, 'keep-down.bin'), { fs, preserve: true, inPlace: true });
      const down = statSync(join(dir, 'keep-down.bin'));
      expect(down.mode & 0o7777).to.equal(0o614);
      expect(down.mtimeMs).to.equal(2_222_222_000);
      await sftp.put(src, join(dir, 'keep-up.bin'), { fs, inPlace: true });
      expect(statSync(join(dir, 'keep-up.bin')).mtimeMs).to.not.equal(2_222_222_000);
      expect(readFileSync(join(dir, 'keep-up.bin')).equals(readFileSync(src))).to.equal(true);
    });

    it('transfers an empty file and replaces an existing destination', async () => {
      writeFileSync(join(dir, 'empty'), '');
      writeFileSync(join(dir, 'empty-up'), 'old contents');
      // no `fs`: the Node entry's connect gave the client node:fs (ClientOptions.localFs)
      expect(await sftp.put(join(dir, 'empty'), join(dir, 'empty-up'))).to.equal(0);
      expect(readFileSync(join(dir, 'empty-up')).length).to.equal(0);
      writeFileSync(join(dir, 'empty-down'), 'old');
      expect(await sftp.get(join(dir, 'empty-up'), join(dir, 'empty-down'), { fs })).to.equal(0);
      expect(readFileSync(join(dir, 'empty-down')).length).to.equal(0);
    });

    it('uses caller limits only when the server announces none', async () => {
      const big = await ssh.sftp({ limits: { maxReadLength: 1024 * 1024, maxWriteLength: 1024 * 1024 } });
      try {
        expect(big.limits.maxReadLength).to.equal(name === 'openssh' ? 261120 : 1024 * 1024);
        const data = randomBytes(8 * MiB + 5);
        writeFileSync(join(dir, 'limits-src'), data);
        await big.put(join(dir, 'limits-src'), join(dir, 'limits-up'), { fs });
        await big.get(join(dir, 'limits-up'), join(dir, 'limits-down'), { fs, chunkSize: 100_000, concurrency: 3 });
        expect(readFileSync(join(dir, 'limits-down')).equals(data)).to.equal(true);
      } finally {
        await big.end();
      }
    });

    it('Node Readable/Writable streams over remote files', async () => {
      const data = randomBytes(5 * MiB + 17);
      writeFileSync(join(dir, 'stream-src'), data);
      await pipeline(localReadStream(join(dir, 'stream-src')), createWriteStream(sftp, join(dir, 'stream-up'), { mode: 0o600 }));
      expect(readFileSync(join(dir, 'stream-up')).equals(data)).to.equal(true);
      expect(statSync(join(dir, 'stream-up')).mode & 0o777).to.equal(0o600);
      await pipeline(createReadStream(sftp, join(dir, 'stream-up'), { start: 1000, end: 4 * MiB }), localWriteStream(join(dir, 'stream-down')));
      expect(readFileSync(join(dir, 'stream-down')).equals(data.subarray(1000, 4 * MiB))).to.equal(true);
      const missing = await pipeline(createReadStream(sftp, join(dir, 'nope')), localWriteStream(join(dir, 'nope-stream'))).then(
        () => null,
        (e: unknown) => e,
      );
      expect(missing).to.be.instanceOf(SshError);
    });

    it('disk full: a typed error, the partial upload removed, nothing under the final name', async () => {
      // a 1 MiB tmpfs (tests run as root) that a 4 MiB upload cannot fit in
      const small = mkdtempSync('/tmp/puressh-full-');
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', small]);
      try {
        writeFileSync(join(dir, 'four'), randomBytes(4 * MiB));
        const e = await sftp.put(join(dir, 'four'), join(small, 'four'), { fs }).then(
          () => null,
          (x: unknown) => x,
        );
        expect(e).to.be.instanceOf(SftpError);
        expect((e as SftpError).status).to.equal(FX.FAILURE);
        expect((e as SftpError).path).to.equal(join(small, 'four.part'));
        expect(existsSync(join(small, 'four'))).to.equal(false);
        expect(existsSync(join(small, 'four.part'))).to.equal(false);
      } finally {
        execFileSync('umount', [small]);
        rmSync(small, { recursive: true, force: true });
      }
    });

    it('a missing remote source or local source fails with a typed error and leaves nothing', async () => {
      const e = await sftp.get(join(dir, 'nope'), join(dir, 'nope-down'), { fs }).then(
        () => null,
        (x: unknown) => x,
      );
      expect(e).to.be.instanceOf(SshError);
      expect(existsSync(join(dir, 'nope-down'))).to.equal(false);
      expect(existsSync(join(dir, 'nope-down.part'))).to.equal(false);
      const e2 = await sftp.put(join(dir, 'nope'), join(dir, 'nope-up'), { fs }).then(
        () => null,
        (x: unknown) => x,
      );
      expect(e2).to.be.instanceOf(SshError);
      expect((e2 as SshError).code).to.equal('FILE');
      // a destination root cannot create (sysfs): PERMISSION_DENIED, nothing left behind
      writeFileSync(join(dir, 'small'), 'x');
      const e3 = await sftp.put(join(dir, 'small'), '/sys/kernel/puressh-put', { fs }).then(
        () => null,
        (x: unknown) => x,
      );
      expect(e3).to.be.instanceOf(SftpError);
      expect((e3 as SftpError).status).to.equal(FX.PERMISSION_DENIED);
      expect(existsSync('/sys/kernel/puressh-put.part')).to.equal(false);
    });
  });

  describe(`sftp against ${name} killed mid-transfer`, function () {
    this.timeout(120_000);
    let dir: string;
    before(() => {
      dir = mkdtempSync('/dev/shm/puressh-kill-');
      writeFileSync(join(dir, 'big.bin'), randomBytes(96 * MiB));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    for (const direction of ['get', 'put'] as const) {
      it(`${direction}: a typed error, and no file under the final name`, async () => {
        const srv = await start();
        let ssh: SshClient | undefined;
        try {
          ssh = await srv.connect();
          const sftp = await ssh.sftp();
          const final = join(dir, `${direction}-final.bin`);
          let killed = false;
          const onProgress = (n: number): void => {
            if (!killed && n >= 8 * MiB) {
              killed = true;
              srv.killSftp();
            }
          };
          const run =
            direction === 'get' ? sftp.get(join(dir, 'big.bin'), final, { fs, onProgress }) : sftp.put(join(dir, 'big.bin'), final, { fs, onProgress });
          const err = await run.then(
            () => null,
            (e: unknown) => e,
          );
          expect(killed).to.equal(true);
          expect(err, 'the transfer must not succeed').to.be.instanceOf(SshError);
          expect(err).to.be.instanceOf(SftpConnectionLostError);
          expect(existsSync(final)).to.equal(false);
          // a download's temporary file is ours to remove; an upload's is on the dead server
          if (direction === 'get') expect(existsSync(`${final}.part`)).to.equal(false);
          else if (existsSync(`${final}.part`)) expect(statSync(`${final}.part`).size).to.be.below(96 * MiB);
        } finally {
          await ssh?.disconnect().catch(() => {});
          await srv.stop();
        }
      });
    }
  });
}
