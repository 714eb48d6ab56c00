/**
 * `puressh sftp` and `puressh scp` (run in-process through the CLI's main) against OpenSSH:
 * OpenSSH sftp's batch commands and flags, scp's flags and [user@]host:path arguments.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, utimesSync, chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { startOpenSshSftp, type SftpServer } from '../support/sftp-servers.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(argv: string[], stdin = ''): Promise<Run> {
  const out = new PassThrough();
  const err = new PassThrough();
  const o: Buffer[] = [];
  const e: Buffer[] = [];
  out.on('data', (b: Buffer) => o.push(b));
  err.on('data', (b: Buffer) => e.push(b));
  const io: CliIo = {
    stdin: Readable.from(stdin ? [Buffer.from(stdin)] : []),
    stdout: out,
    stderr: err,
    home: '/nonexistent-home',
    localUser: 'root',
    prompt: async () => null,
    version: 'test',
  };
  const code = await main(argv, io);
  return { code, stdout: Buffer.concat(o).toString(), stderr: Buffer.concat(e).toString() };
}

describe('puressh sftp / scp command line against OpenSSH', function () {
  this.timeout(120_000);
  let srv: SftpServer;
  let dir: string;
  let common: string[];
  let dest: string;

  before(async () => {
    srv = await startOpenSshSftp();
    dir = mkdtempSync('/dev/shm/puressh-cli-');
    common = [
      '-P',
      String(srv.port),
      '-i',
      srv.keyPath,
      '-o',
      `UserKnownHostsFile=${srv.sshd!.knownHostsPath}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'BatchMode=yes',
    ];
    dest = `${srv.user}@127.0.0.1`;
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await srv?.stop();
  });

  it('sftp -b runs the batch commands, echoing each one', async () => {
    const data = randomBytes(700_000);
    writeFileSync(join(dir, 'local.bin'), data);
    const remote = join(dir, 'r');
    const batch = join(dir, 'batch.txt');
    writeFileSync(
      batch,
      [
        `mkdir ${remote}`,
        `cd ${remote}`,
        'pwd',
        `lcd ${dir}`,
        'put local.bin up.bin',
        'get up.bin down.bin',
        'rename up.bin moved.bin',
        'ln -s moved.bin link.bin',
        'ln moved.bin hard.bin',
        'chmod 600 moved.bin',
        'mkdir sub',
        'ls',
        'ls -l moved.bin',
        'df',
        'rmdir sub',
        'rm hard.bin',
        '-rm does-not-exist',
        'exit',
      ].join('\n'),
    );
    const r = await cli(['sftp', ...common, '-b', batch, dest]);
    expect(r.stderr).to.match(/No such file/); // from the "-rm" line, which may fail
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include(`sftp> cd ${remote}\n`);
    expect(r.stdout).to.include(`Remote working directory: ${remote}\n`);
    // sftp's columns: 80 / (longest name + 2) of them, each 80 / columns wide
    expect(r.stdout).to.include(`sftp> ls\n${['hard.bin', 'link.bin', 'moved.bin', 'sub'].map((n) => n.padEnd(11)).join('')}\n`);
    expect(r.stdout).to.match(/sftp> ls -l moved\.bin\n-rw------- .* 700000 .* moved\.bin\n/);
    expect(r.stdout).to.match(/Size +Used +Avail +\(root\) +%Capacity/);
    expect(readFileSync(join(remote, 'moved.bin')).equals(data)).to.equal(true);
    expect(readFileSync(join(dir, 'down.bin')).equals(data)).to.equal(true);
    expect(readlinkSync(join(remote, 'link.bin'))).to.equal('moved.bin');
    expect(statSync(join(remote, 'moved.bin')).mode & 0o777).to.equal(0o600);
    expect(existsSync(join(remote, 'sub'))).to.equal(false);
    expect(existsSync(join(remote, 'hard.bin'))).to.equal(false);
  });

  it('sftp -b stops at the first failing command with status 1', async () => {
    const batch = join(dir, 'fail.txt');
    writeFileSync(batch, `cd ${dir}\nrm no-such-file\nmkdir never-made\n`);
    const r = await cli(['sftp', ...common, '-b', batch, dest]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/no-such-file.*No such file/);
    expect(existsSync(join(dir, 'never-made'))).to.equal(false);
  });

  it('sftp -r -p copies directory trees with modes and times; commands from stdin', async () => {
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'a', 'b'), { recursive: true });
    writeFileSync(join(tree, 'a', 'b', 'f'), 'deep');
    writeFileSync(join(tree, 'top'), 'top');
    chmodSync(join(tree, 'top'), 0o640);
    utimesSync(join(tree, 'top'), 1000, 2000);
    const r = await cli(['sftp', ...common, '-r', '-p', '-b', '-', dest], `lcd ${dir}\ncd ${dir}\nput tree tree-up\nget tree-up tree-down\n`);
    expect(r.code, r.stderr).to.equal(0);
    for (const t of ['tree-up', 'tree-down']) {
      expect(readFileSync(join(dir, t, 'a', 'b', 'f'), 'utf8')).to.equal('deep');
      expect(statSync(join(dir, t, 'top')).mode & 0o777).to.equal(0o640);
      expect(statSync(join(dir, t, 'top')).mtimeMs).to.equal(2_000_000);
    }
  });

  it('sftp host:dir starts there; host:file fetches the file', async () => {
    writeFileSync(join(dir, 'fetch-me'), 'fetched');
    const r = await cli(['sftp', ...common, '-b', '-', `${dest}:${dir}`], 'pwd\n');
    expect(r.stdout).to.include(`Remote working directory: ${dir}`);
    const cwd = process.cwd();
    const here = mkdtempSync('/dev/shm/puressh-cwd-');
    process.chdir(here);
    try {
      const r2 = await cli(['sftp', ...common, `${dest}:${join(dir, 'fetch-me')}`]);
      expect(r2.code, r2.stderr).to.equal(0);
      expect(readFileSync(join(here, 'fetch-me'), 'utf8')).to.equal('fetched');
    } finally {
      process.chdir(cwd);
      rmSync(here, { recursive: true, force: true });
    }
  });

  it('sftp with a bad host key fails like ssh (status 255), an unknown flag like sftp (status 1)', async () => {
    const r = await cli(
      [
        'sftp',
        '-P',
        String(srv.port),
        '-i',
        srv.keyPath,
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'StrictHostKeyChecking=yes',
        '-o',
        'BatchMode=yes',
        '-b',
        '-',
        dest,
      ],
      'pwd\n',
    );
    expect(r.code).to.equal(255);
    expect(r.stderr).to.match(/Host key verification failed/);
    expect((await cli(['sftp', '-Z', dest])).code).to.equal(1);
  });

  for (const proto of [[], ['-O']]) {
    const label = proto.length ? 'legacy SCP (-O)' : 'SFTP';
    it(`scp up and down over ${label}, with -p`, async () => {
      const src = join(dir, `scp-src${proto.length}`);
      writeFileSync(src, randomBytes(1_000_000));
      chmodSync(src, 0o604);
      utimesSync(src, 3000, 4000);
      const up = join(dir, `scp-up${proto.length}`);
      const r = await cli(['scp', ...common, ...proto, '-p', src, `${dest}:${up}`]);
      expect(r.code, r.stderr).to.equal(0);
      expect(readFileSync(up).equals(readFileSync(src))).to.equal(true);
      expect(statSync(up).mtimeMs).to.equal(4_000_000);
      expect(statSync(up).mode & 0o777).to.equal(0o604);
      const downDir = join(dir, `scp-down${proto.length}`);
      mkdirSync(downDir);
      const r2 = await cli(['scp', ...common, ...proto, '-p', `${dest}:${up}`, downDir]);
      expect(r2.code, r2.stderr).to.equal(0);
      const down = join(downDir, `scp-up${proto.length}`);
      expect(readFileSync(down).equals(readFileSync(src))).to.equal(true);
      expect(statSync(down).mtimeMs).to.equal(4_000_000);
    });

    it(`scp reports a missing remote file over ${label} with status 1`, async () => {
      const r = await cli(['scp', ...common, ...proto, `${dest}:${join(dir, 'missing')}`, join(dir, 'x')]);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(/missing.*No such file|No such file.*missing/);
      expect(existsSync(join(dir, 'x'))).to.equal(false);
    });
  }

  it('scp -r copies a directory tree', async () => {
    const tree = join(dir, 'scptree');
    mkdirSync(join(tree, 'x'), { recursive: true });
    writeFileSync(join(tree, 'x', 'y'), 'yy');
    const target = join(dir, 'scptarget');
    mkdirSync(target);
    const r = await cli(['scp', ...common, '-r', tree, `${dest}:${target}`]);
    expect(r.code, r.stderr).to.equal(0);
    expect(readFileSync(join(target, 'scptree', 'x', 'y'), 'utf8')).to.equal('yy');
    expect(lstatSync(join(target, 'scptree')).isDirectory()).to.equal(true);
    const r2 = await cli(['scp', ...common, tree, `${dest}:${target}`]);
    expect(r2.code).to.equal(1);
    expect(r2.stderr).to.match(/not a regular file/);
  });
});
