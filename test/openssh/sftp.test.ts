/**
 * SFTP v3 against two independent servers: OpenSSH's sftp-server (sshd subsystem) and
 * asyncssh's SFTP server. Every request, every extension each server announces, 64-bit
 * offsets on a sparse file past 4 GiB, non-UTF-8 names, a 10,000-entry directory, and the
 * errors with their SSH_FX codes and paths. Big transfers are in sftp-transfer.test.ts.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  rmSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
  ftruncateSync,
} from 'node:fs';
import { join } from 'node:path';
import type { SshClient } from '../../src/client.js';
import { SftpClient } from '../../src/sftp/client.js';
import { EXT, FX } from '../../src/sftp/constants.js';
import { SftpError, SftpFailureError, SftpNoSuchFileError, SftpOpUnsupportedError, SftpPermissionDeniedError } from '../../src/sftp/errors.js';
import { decodeName, encodeName, joinPath } from '../../src/sftp/names.js';
import { isDirectory, isFile, isSymlink } from '../../src/sftp/attrs.js';
import { startAsyncsshSftp, startOpenSshSftp, type SftpServer } from '../support/sftp-servers.js';

const te = new TextEncoder();
const td = new TextDecoder();
const GiB = 2 ** 30;

/** The extensions each server is known to announce (checked exactly, so nothing is silently untested). */
const EXPECTED_EXTENSIONS: Record<SftpServer['name'], string[]> = {
  openssh: Object.values(EXT),
  asyncssh: [EXT.POSIX_RENAME, EXT.HARDLINK, EXT.FSYNC, EXT.STATVFS, EXT.FSTATVFS],
};

export async function rejection(p: Promise<unknown>): Promise<SftpError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e, 'expected the request to fail').to.be.instanceOf(SftpError);
  return e as SftpError;
}

const SERVERS = [
  ['openssh', startOpenSshSftp],
  ['asyncssh', startAsyncsshSftp],
] as const;

for (const [name, start] of SERVERS) {
  describe(`sftp against ${name}`, function () {
    this.timeout(120_000);
    let srv: SftpServer;
    let ssh: SshClient;
    let sftp: SftpClient;
    let base: string;
    let n = 0;
    /** a fresh absolute path under the scratch dir */
    const fresh = (stem = 'f'): string => join(base, `${stem}-${++n}`);

    before(async () => {
      srv = await start();
      ssh = await srv.connect();
      sftp = await ssh.sftp();
      base = join(srv.dir, 'work');
      mkdirSync(base);
    });
    const cleanup: string[] = [];
    after(async () => {
      for (const d of cleanup) rmSync(d, { recursive: true, force: true });
      await sftp?.end().catch(() => {});
      await ssh?.disconnect().catch(() => {});
      await srv?.stop();
    });

    it('speaks version 3 and announces the expected extensions and limits', () => {
      expect(sftp.version).to.equal(3);
      const announced = EXPECTED_EXTENSIONS[name].filter((e) => sftp.hasExtension(e));
      expect(announced).to.deep.equal(EXPECTED_EXTENSIONS[name]);
      for (const e of Object.values(EXT)) if (!EXPECTED_EXTENSIONS[name].includes(e)) expect(sftp.hasExtension(e), e).to.equal(false);
      if (name === 'openssh') {
        expect(sftp.limits.maxReadLength).to.equal(261120);
        expect(sftp.limits.maxWriteLength).to.equal(261120);
        expect(sftp.limits.maxPacketLength).to.equal(262144);
      } else {
        expect(sftp.limits.maxReadLength).to.equal(32768);
      }
    });

    it('open with creat/trunc/excl/append/read/write flags', async () => {
      const p = fresh();
      const f = await sftp.open(p, 'w', { permissions: 0o640 });
      await f.write(te.encode('hello world'));
      await f.close();
      expect(readFileSync(p, 'utf8')).to.equal('hello world');
      expect(statSync(p).mode & 0o777).to.equal(0o640);
      // excl on an existing file fails
      const ex = await rejection(sftp.open(p, 'wx'));
      expect([FX.FAILURE, FX.FILE_ALREADY_EXISTS]).to.include(ex.status);
      expect(ex.path).to.equal(p);
      // append writes at the end whatever the offset
      const a = await sftp.open(p, 'a');
      await a.write(te.encode('!!'), 0);
      await a.close();
      expect(readFileSync(p, 'utf8')).to.equal('hello world!!');
      // r+ writes in place without truncating
      const rw = await sftp.open(p, 'r+');
      await rw.write(te.encode('J'), 0);
      expect(td.decode((await rw.read(5, 0))!)).to.equal('Jello');
      await rw.close();
      // trunc empties
      const t = await sftp.open(p, 'w');
      expect((await t.stat()).size).to.equal(0);
      await t.close();
      // read-only on a missing file does not create it
      expect((await rejection(sftp.open(`${p}-missing`, 'r'))).status).to.equal(FX.NO_SUCH_FILE);
      expect(existsSync(`${p}-missing`)).to.equal(false);
      // creat without trunc keeps contents
      writeFileSync(p, 'keep');
      const c = await sftp.open(p, 'a+');
      expect(td.decode(await c.readAll())).to.equal('keep');
      await c.close();
    });

    it('read/write at offsets, sequential position with seek/tell, fstat, fsetstat', async () => {
      const p = fresh();
      const f = await sftp.open(p, 'w+');
      await f.write(te.encode('abc'));
      await f.write(te.encode('def'));
      expect(f.tell()).to.equal(6);
      await f.write(te.encode('XY'), 10); // leaves a hole of zeros
      f.seek(1);
      expect(td.decode((await f.read(4))!)).to.equal('bcde');
      expect(f.tell()).to.equal(5);
      expect([...(await f.read(100, 4))!]).to.deep.equal([...te.encode('ef'), 0, 0, 0, 0, ...te.encode('XY')]);
      expect(await f.read(10, 12)).to.equal(null);
      const st = await f.stat();
      expect(st.size).to.equal(12);
      expect(isFile(st)).to.equal(true);
      await f.truncate(3);
      await f.setstat({ permissions: 0o600, atime: 1_000_000, mtime: 2_000_000 });
      await f.close();
      expect(f.isClosed).to.equal(true);
      const s = statSync(p);
      expect(s.mode & 0o777).to.equal(0o600);
      expect(s.mtimeMs).to.equal(2_000_000_000);
      expect(s.size).to.equal(3);
    });

    it('readFile and writeFile move whole files', async () => {
      const p = fresh();
      const data = new Uint8Array(1_000_003).map((_, i) => (i * 31) & 0xff);
      await sftp.writeFile(p, data, { permissions: 0o640 });
      expect(readFileSync(p).equals(data)).to.equal(true);
      expect(statSync(p).mode & 0o777).to.equal(0o640);
      expect(Buffer.from(await sftp.readFile(p)).equals(data)).to.equal(true);
      expect(await sftp.readFile(fresh('missing')).catch((e: SftpError) => e.status)).to.equal(FX.NO_SUCH_FILE);
    });

    it('stat, lstat, setstat (chmod, chown, utimes, truncate)', async () => {
      const p = fresh();
      writeFileSync(p, '0123456789');
      const st = await sftp.stat(p);
      expect(st.size).to.equal(10);
      expect(st.uid).to.equal(process.getuid!());
      expect(st.mtime).to.equal(Math.floor(statSync(p).mtimeMs / 1000));
      await sftp.chmod(p, 0o604);
      await sftp.chown(p, process.getuid!(), process.getgid!());
      await sftp.truncate(p, 4);
      await sftp.utimes(p, 1234, 5678);
      const after = await sftp.lstat(p);
      expect(after.permissions! & 0o7777).to.equal(0o604);
      expect([after.atime, after.mtime, after.size]).to.deep.equal([1234, 5678, 4]);
      expect(await sftp.exists(`${p}.nope`)).to.equal(null);
    });

    it('mkdir, opendir/readdir, rmdir, remove', async () => {
      const d = fresh('dir');
      await sftp.mkdir(d, { permissions: 0o750 });
      expect(statSync(d).isDirectory()).to.equal(true);
      expect(statSync(d).mode & 0o777).to.equal(0o750);
      writeFileSync(join(d, 'one'), '1');
      mkdirSync(join(d, 'sub'));
      const all = await sftp.readdir(d, { dotEntries: true });
      expect(all.map((e) => e.filename).sort()).to.deep.equal(['.', '..', 'one', 'sub']);
      const entries = await sftp.readdir(d);
      expect(entries.map((e) => e.filename).sort()).to.deep.equal(['one', 'sub']);
      const one = entries.find((e) => e.filename === 'one')!;
      expect(one.attrs.size).to.equal(1);
      expect(isDirectory(entries.find((e) => e.filename === 'sub')!.attrs)).to.equal(true);
      const dir = await sftp.opendir(d);
      const batch = await dir.read();
      expect(batch!.length).to.be.greaterThan(0);
      await dir.close();
      await sftp.remove(join(d, 'one'));
      await sftp.rmdir(join(d, 'sub'));
      await sftp.rmdir(d);
      expect(existsSync(d)).to.equal(false);
    });

    it('rename (refuses to replace), posix-rename (replaces)', async () => {
      const a = fresh();
      const b = fresh();
      writeFileSync(a, 'A');
      writeFileSync(b, 'B');
      const e = await rejection(sftp.rename(a, b));
      expect(e.status).to.equal(FX.FAILURE);
      expect(e.path).to.equal(`${a} -> ${b}`);
      const c = fresh();
      await sftp.rename(a, c);
      expect(readFileSync(c, 'utf8')).to.equal('A');
      await sftp.posixRename(c, b);
      expect(readFileSync(b, 'utf8')).to.equal('A');
      expect(existsSync(c)).to.equal(false);
    });

    it('symlink (server argument order), readlink, lstat vs stat, realpath', async () => {
      const target = fresh();
      writeFileSync(target, 'target!');
      const link = fresh('link');
      await sftp.symlink(target, link);
      expect(readlinkSync(link)).to.equal(target);
      expect(await sftp.readlink(link)).to.equal(target);
      expect(isSymlink(await sftp.lstat(link))).to.equal(true);
      expect((await sftp.stat(link)).size).to.equal(7);
      expect(await sftp.realpath(`${base}/./../work//${target.split('/').pop()}`)).to.equal(target);
      expect(await sftp.realpath(link)).to.equal(target);
      const home = await sftp.realpath('.');
      expect(home.startsWith('/')).to.equal(true);
      const rel = fresh('rellink');
      await sftp.symlink('relative/target', rel);
      expect(await sftp.readlink(rel)).to.equal('relative/target');
    });

    it('statvfs and fstatvfs (statvfs@openssh.com, fstatvfs@openssh.com)', async () => {
      const v = await sftp.statvfs(base);
      const df = execFileSync('stat', ['-f', '-c', '%S %b %l', base], { encoding: 'utf8' }).trim().split(' ').map(BigInt);
      expect([v.bsize, v.blocks, v.namemax]).to.deep.equal(df.length === 3 ? [v.bsize, df[1], df[2]] : []);
      expect(v.frsize).to.equal(df[0]);
      const p = fresh();
      writeFileSync(p, 'x');
      const f = await sftp.open(p, 'r');
      const fv = await f.statvfs();
      expect(fv.blocks).to.equal(v.blocks);
      await f.close();
    });

    it('hardlink@openssh.com and fsync@openssh.com', async () => {
      const p = fresh();
      writeFileSync(p, 'linked');
      const q = fresh();
      await sftp.hardlink(p, q);
      expect(statSync(q).ino).to.equal(statSync(p).ino);
      const f = await sftp.open(p, 'r+');
      await f.write(te.encode('L'), 0);
      await f.sync();
      await f.close();
      expect(readFileSync(q, 'utf8')).to.equal('Linked');
    });

    it('lsetstat@openssh.com changes the link, not its target (or OP_UNSUPPORTED)', async () => {
      const target = fresh();
      writeFileSync(target, 't');
      const link = fresh('link');
      symlinkSync(target, link);
      if (!EXPECTED_EXTENSIONS[name].includes(EXT.LSETSTAT)) {
        expect(await rejection(sftp.lsetstat(link, { atime: 1, mtime: 2 }))).to.be.instanceOf(SftpOpUnsupportedError);
        return;
      }
      await sftp.lsetstat(link, { atime: 100, mtime: 200 });
      expect(lstatSync(link).mtimeMs).to.equal(200_000);
      expect(statSync(target).mtimeMs).to.not.equal(200_000);
    });

    it('expand-path@openssh.com and home-directory (or OP_UNSUPPORTED)', async () => {
      if (!EXPECTED_EXTENSIONS[name].includes(EXT.EXPAND_PATH)) {
        expect(await rejection(sftp.expandPath('~'))).to.be.instanceOf(SftpOpUnsupportedError);
        expect(await rejection(sftp.homeDirectory('root'))).to.be.instanceOf(SftpOpUnsupportedError);
        return;
      }
      const home = execFileSync('sh', ['-c', 'getent passwd "$(id -un)" | cut -d: -f6'], { encoding: 'utf8' }).trim();
      expect(await sftp.expandPath('~')).to.equal(home);
      const up = home
        .split('/')
        .filter(Boolean)
        .map(() => '..')
        .join('/');
      expect(await sftp.expandPath(`~/${up}${base}/../work`)).to.equal(base);
      expect(await sftp.homeDirectory(srv.user)).to.equal(home);
    });

    it('copy-data copies between handles on the server (or OP_UNSUPPORTED)', async () => {
      const src = fresh();
      writeFileSync(src, '0123456789');
      const dst = fresh();
      const a = await sftp.open(src, 'r');
      const b = await sftp.open(dst, 'w');
      try {
        if (!EXPECTED_EXTENSIONS[name].includes(EXT.COPY_DATA)) {
          expect(await rejection(a.copyTo(b))).to.be.instanceOf(SftpOpUnsupportedError);
          return;
        }
        await a.copyTo(b);
        await a.copyTo(b, 2, 3, 20);
      } finally {
        await a.close();
        await b.close();
      }
      expect(readFileSync(dst)).to.deep.equal(Buffer.concat([Buffer.from('0123456789'), Buffer.alloc(10), Buffer.from('234')]));
    });

    it('users-groups-by-id@openssh.com (or OP_UNSUPPORTED)', async () => {
      if (!EXPECTED_EXTENSIONS[name].includes(EXT.USERS_GROUPS_BY_ID)) {
        expect(await rejection(sftp.usersGroupsById([0], [0]))).to.be.instanceOf(SftpOpUnsupportedError);
        return;
      }
      const user = execFileSync('id', ['-un'], { encoding: 'utf8' }).trim();
      const group = execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim();
      expect(await sftp.usersGroupsById([process.getuid!(), 4_000_000_000], [process.getgid!()])).to.deep.equal({ users: [user, ''], groups: [group] });
    });

    describe('errors carry the SSH_FX code and the path', () => {
      it('missing file: NO_SUCH_FILE', async () => {
        const p = join(base, 'no', 'such', 'file');
        for (const [e, req] of [
          [await rejection(sftp.open(p, 'r')), 'OPEN'],
          [await rejection(sftp.stat(p)), 'STAT'],
          [await rejection(sftp.remove(p)), 'REMOVE'],
          [await rejection(sftp.opendir(p)), 'OPENDIR'],
        ] as const) {
          expect(e).to.be.instanceOf(SftpNoSuchFileError);
          expect(e.status).to.equal(FX.NO_SUCH_FILE);
          expect(e.path).to.equal(p);
          expect(e.request).to.equal(req);
          expect(e.message).to.include(p);
        }
      });

      it('permission denied: PERMISSION_DENIED (paths root cannot write)', async () => {
        // sysfs refuses new files even to root (EACCES); an immutable file refuses removal (EPERM,
        // which OpenSSH maps to PERMISSION_DENIED and asyncssh to FAILURE).
        const sys = '/sys/kernel/puressh-test';
        const e = await rejection(sftp.open(sys, 'w'));
        expect(e).to.be.instanceOf(SftpPermissionDeniedError);
        expect(e.status).to.equal(FX.PERMISSION_DENIED);
        expect(e.path).to.equal(sys);
        const p = fresh('immutable');
        writeFileSync(p, 'x');
        execFileSync('chattr', ['+i', p]);
        try {
          const e2 = await rejection(sftp.remove(p));
          expect(e2.status).to.equal(name === 'openssh' ? FX.PERMISSION_DENIED : FX.FAILURE);
          expect(e2.path).to.equal(p);
        } finally {
          execFileSync('chattr', ['-i', p]);
        }
      });

      it('directory not empty: FAILURE (v3 has no DIR_NOT_EMPTY)', async () => {
        const d = fresh('full');
        mkdirSync(d);
        writeFileSync(join(d, 'x'), '');
        const e = await rejection(sftp.rmdir(d));
        expect(e).to.be.instanceOf(SftpFailureError);
        expect(e.status).to.equal(FX.FAILURE);
        expect(e.path).to.equal(d);
      });
    });

    it('names with non-UTF-8 bytes round-trip as bytes and as strings', async () => {
      const dir = fresh('bytes');
      mkdirSync(dir);
      const nameBytes = Uint8Array.from([0x6e, 0xff, 0xfe, 0x80, 0x2e, 0xc3, 0xa9]); // "n\xff\xfe\x80.é"
      const f = await sftp.open(joinPath(dir, nameBytes), 'w');
      await f.write(te.encode('raw'));
      await f.close();
      const onDisk = readdirSync(Buffer.from(dir), { encoding: 'buffer' });
      expect(onDisk.map((b) => b.toString('hex'))).to.deep.equal([Buffer.from(nameBytes).toString('hex')]);
      const [entry] = await sftp.readdir(dir);
      expect(Buffer.from(entry!.filenameBytes).toString('hex')).to.equal(Buffer.from(nameBytes).toString('hex'));
      expect(entry!.filename).to.equal('n\udcff\udcfe\udc80.é');
      // the string form addresses the same file
      expect((await sftp.stat(`${dir}/${entry!.filename}`)).size).to.equal(3);
      const other = Uint8Array.from([0x80, 0x81]);
      await sftp.rename(joinPath(dir, entry!.filename), joinPath(dir, other));
      await sftp.symlink(joinPath(dir, other), joinPath(dir, Uint8Array.from([0x6c, 0xfe])));
      const target = await sftp.readlinkBytes(joinPath(dir, Uint8Array.from([0x6c, 0xfe])));
      expect(Buffer.from(target).toString('hex')).to.equal(Buffer.from(encodeName(joinPath(dir, other))).toString('hex'));
      expect(decodeName(target)).to.equal(`${dir}/\udc80\udc81`);
    });

    it('lists a 10,000-entry directory completely', async () => {
      // tmpfs: creating 10,000 files on a loaded disk can take longer than listing them
      const dir = mkdtempSync('/dev/shm/puressh-big-');
      cleanup.push(dir);
      for (let i = 0; i < 10_000; i++) closeSync(openSync(join(dir, `entry-${i}`), 'w'));
      let count = 0;
      const seen = new Set<string>();
      for await (const e of sftp.list(dir)) {
        count++;
        seen.add(e.filename);
      }
      expect(count).to.equal(10_000);
      for (let i = 0; i < 10_000; i += 997) expect(seen.has(`entry-${i}`)).to.equal(true);
      expect(seen.size).to.equal(10_000);
    });

    it('stats a sparse 5 GiB file and reads and writes beyond 4 GiB', async () => {
      const p = fresh('sparse');
      const fd = openSync(p, 'w');
      ftruncateSync(fd, 5 * GiB);
      const marker = Buffer.from('puressh-marker-past-4GiB');
      writeSync(fd, marker, 0, marker.length, 4.5 * GiB);
      closeSync(fd);
      expect((await sftp.stat(p)).size).to.equal(5 * GiB);
      const f = await sftp.open(p, 'r+');
      expect(Buffer.from((await f.read(marker.length, 4.5 * GiB))!).toString()).to.equal(marker.toString());
      expect(await f.read(16, 5 * GiB)).to.equal(null);
      await f.write(te.encode('written-at-4.75GiB'), 4.75 * GiB);
      f.seek(4.5 * GiB + 8);
      expect(td.decode((await f.read(6))!)).to.equal('marker');
      await f.close();
      const check = Buffer.alloc(18);
      const rfd = openSync(p, 'r');
      (await import('node:fs')).readSync(rfd, check, 0, 18, 4.75 * GiB);
      closeSync(rfd);
      expect(check.toString()).to.equal('written-at-4.75GiB');
    });
  });
}
