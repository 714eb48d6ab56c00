/**
 * `puressh sftp-server` driven by OpenSSH's own sftp client (`sftp -D`, no SSH server),
 * side by side with Debian's /usr/lib/openssh/sftp-server: the same batch on two identical
 * trees must print the same (failures included, run as an unprivileged user so that
 * permission bits count), and transfers of 0 B .. 64 MiB files and a 3000-entry directory
 * (get/put -r -p -a, reget, reput) must move exactly the bytes (sha256 compared).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  lutimesSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const OPENSSH_SERVER = '/usr/lib/openssh/sftp-server';
const INSTALL = 'apt-get install -y openssh-client openssh-sftp-server util-linux';
const NOBODY = 65534;
const CLI = resolve('test/support/puressh-cli.ts');

function requirePeers(): void {
  for (const bin of ['/usr/bin/sftp', OPENSSH_SERVER, '/usr/bin/setpriv']) if (!existsSync(bin)) throw new Error(`${bin} is missing: ${INSTALL}`);
}

/** A wrapper script sftp -D can run: our server or OpenSSH's, started in `start`. */
function wrapper(dir: string, side: 'ours' | 'theirs', start: string): string {
  const server = side === 'ours' ? `cd ${process.cwd()} && exec ${process.execPath} --import tsx ${CLI} sftp-server` : `exec ${OPENSSH_SERVER}`;
  const path = join(dir, `server-${side}-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(path, `#!/bin/sh\nsh -c '${server} -d ${start}'\n`, { mode: 0o755 });
  return path;
}

function sftpBatch(server: string, batch: string, cwd: string): { out: string; status: number } {
  const file = join(cwd, `batch-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, batch);
  const r = spawnSync('/usr/bin/sftp', ['-D', server, '-b', file], { cwd, encoding: 'utf8', timeout: 300_000, env: { ...process.env, TZ: 'UTC' } });
  rmSync(file);
  return { out: (r.stdout ?? '') + (r.stderr ?? ''), status: r.status ?? -1 };
}

const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

/** The fixture tree, owned by nobody (files fixed in time so listings compare). */
function makeTree(dir: string): void {
  mkdirSync(join(dir, 'd'), { recursive: true });
  mkdirSync(join(dir, 'full'));
  writeFileSync(join(dir, 'a.txt'), 'hello\n');
  writeFileSync(join(dir, 'empty'), '');
  writeFileSync(join(dir, 'one'), 'x');
  writeFileSync(join(dir, 'full', 'f'), 'z');
  writeFileSync(join(dir, 'locked'), 'no');
  mkdirSync(join(dir, 'noperm'));
  symlinkSync('a.txt', join(dir, 'sl'));
  writeFileSync(join(dir, Buffer.from([0x6e, 0xff, 0x41]).toString('latin1')), 'odd');
  const when = new Date('2020-01-02T03:04:05Z');
  for (const n of readdirSync(dir)) {
    if (n === 'sl') continue;
    chownSync(join(dir, n), NOBODY, NOBODY);
    utimesSync(join(dir, n), when, when);
  }
  chownSync(join(dir, 'full', 'f'), NOBODY, NOBODY);
  chownSync(dir, NOBODY, NOBODY);
  chmodSync(join(dir, 'noperm'), 0o700);
  chownSync(join(dir, 'noperm'), 0, 0);
  chmodSync(join(dir, 'locked'), 0o000);
  utimesSync(join(dir, 'full'), when, when);
  utimesSync(dir, when, when);
  lutimesSync(join(dir, 'sl'), when, when);
}

const COMPARE_BATCH = `-ls -la
-ls -l
-ls -ln
-ls -1
-ls -S
-ls -lt
-ls -lr
-ls -lh
-ls -1a
-get nonexist
-get locked
-get noperm/x
-put /etc/hostname noperm/x
-rmdir full
-mkdir d
-mkdir noperm/d
-rename nonexist zz
-rm nonexist
-rm noperm
-rmdir nonexist
-ln a.txt one
-ln -s a.txt one
-cd nonexist
-cd a.txt
-chmod 700 nonexist
-chmod 700 noperm
-chown 0 nonexist
-chown 0 a.txt
-chgrp 0 a.txt
-symlink a.txt sl
-ls noperm
-df
pwd
cd d
pwd
cd ..
get -p a.txt got-a
put -p got-a d/pa
ls -l d
chmod 640 d/pa
ls -ln d
rename d/pa d/pb
ln d/pb d/hard
ln -s pb d/soft
ls -l d
rm d/hard
rm d/soft
rm d/pb
rmdir d
ls -1
`;

describe('puressh sftp-server under OpenSSH sftp (-D, no SSH server)', function () {
  this.timeout(600_000);
  let base: string;

  before(() => {
    requirePeers();
    base = mkdtempSync(join(tmpdir(), 'puressh-sftpd-'));
    chmodSync(base, 0o755);
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  it('prints what it prints against /usr/lib/openssh/sftp-server, failures included', () => {
    const outs: Record<string, string> = {};
    for (const side of ['ours', 'theirs'] as const) {
      const tree = join(base, `tree-${side}`);
      const local = join(base, `local-${side}`);
      mkdirSync(tree);
      mkdirSync(local);
      chownSync(local, NOBODY, NOBODY);
      makeTree(tree);
      const server = wrapper(base, side, tree);
      // sftp itself runs as nobody too, so local files it writes are the server user's.
      const r = spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '/usr/bin/sftp', '-D', server, '-b', '-'], {
        cwd: local,
        input: COMPARE_BATCH,
        encoding: 'utf8',
        timeout: 300_000,
        env: { ...process.env, TZ: 'UTC' },
      });
      outs[side] = ((r.stdout ?? '') + (r.stderr ?? '') + `exit ${r.status}\n`)
        .split(tree)
        .join('/ROOT')
        .replace(/^ +\d+ +\d+ +\d+ +\d+ +\d+%$/gm, '<df>')
        // d/soft is made during the batch: its time is that run's "now" (the two runs may
        // straddle a minute), and OpenSSH prints a year instead of a time when the file's
        // mtime is past time(NULL)'s second, which the kernel's fine-grained file times can be.
        .replace(/ \w{3} [ \d]\d ( \d{4}|\d\d:\d\d) d\/soft$/gm, ' <now> d/soft');
    }
    expect(outs.ours).to.equal(outs.theirs);
    expect(outs.ours).to.include('Permission denied');
    expect(outs.ours).to.include('No such file or directory');
    expect(outs.ours).to.match(/exit 0\n$/, (outs.ours ?? '').slice(-600));
  });

  it('moves 0 B, 1 B, 32 KiB ± 1 and 64 MiB files and a 3000-entry directory exactly (get/put -r -p -a, reget, reput)', () => {
    const tree = join(base, 'xfer');
    const local = join(base, 'xfer-local');
    const src = join(local, 'src');
    mkdirSync(tree);
    mkdirSync(join(src, 'many'), { recursive: true });
    const sizes = [0, 1, 32767, 32768, 32769, 64 * 1024 * 1024];
    for (const n of sizes) writeFileSync(join(src, `f${n}`), randomBytes(n));
    for (let i = 0; i < 3000; i++) writeFileSync(join(src, 'many', `e${i}`), String(i));
    chmodSync(join(src, 'f1'), 0o640);
    utimesSync(join(src, 'f1'), new Date('2021-05-06T07:08:09Z'), new Date('2021-05-06T07:08:09Z'));
    const server = wrapper(base, 'ours', tree);
    const put = sftpBatch(server, `put -r -p ${src} up\nls -1 up/many\n`, local);
    expect(put.status, put.out).to.equal(0);
    expect(put.out.split('\n').filter((l) => /^up\/many\/e\d+$/.test(l)).length).to.equal(3000);
    for (const n of sizes) expect(sha(join(tree, 'up', `f${n}`)), `f${n}`).to.equal(sha(join(src, `f${n}`)));
    expect(statSync(join(tree, 'up', 'f1')).mode & 0o777).to.equal(0o640);
    expect(statSync(join(tree, 'up', 'f1')).mtimeMs).to.equal(Date.parse('2021-05-06T07:08:09Z'));
    expect(readFileSync(join(tree, 'up', 'many', 'e2999'), 'utf8')).to.equal('2999');

    const get = sftpBatch(server, `get -r -p -a up down\n`, local);
    expect(get.status, get.out).to.equal(0);
    for (const n of sizes) expect(sha(join(local, 'down', `f${n}`)), `f${n}`).to.equal(sha(join(src, `f${n}`)));
    expect(readdirSync(join(local, 'down', 'many')).length).to.equal(3000);
    expect(statSync(join(local, 'down', 'f1')).mtimeMs).to.equal(Date.parse('2021-05-06T07:08:09Z'));

    // Resumed transfers: a local prefix completed by reget, a remote prefix by reput.
    const big = join(src, `f${64 * 1024 * 1024}`);
    writeFileSync(join(local, 'partial'), readFileSync(big).subarray(0, 10_000_000));
    writeFileSync(join(tree, 'rpartial'), readFileSync(big).subarray(0, 12_345_678));
    const re = sftpBatch(server, `reget up/f${64 * 1024 * 1024} partial\nreput ${big} rpartial\n`, local);
    expect(re.status, re.out).to.equal(0);
    expect(statSync(join(local, 'partial')).size, re.out).to.equal(64 * 1024 * 1024);
    expect(sha(join(local, 'partial'))).to.equal(sha(big));
    expect(sha(join(tree, 'rpartial'))).to.equal(sha(big));
  });

  it('serves names that are not UTF-8 byte for byte', () => {
    const tree = join(base, 'names');
    const local = join(base, 'names-local');
    mkdirSync(tree);
    mkdirSync(local);
    const odd = Buffer.from([0x6e, 0xff, 0x41]);
    writeFileSync(Buffer.concat([Buffer.from(tree + '/'), odd]), 'odd bytes');
    const server = wrapper(base, 'ours', tree);
    const r = sftpBatch(server, `get -r ${tree} copy\n`, local);
    expect(r.status, r.out).to.equal(0);
    expect(readFileSync(Buffer.concat([Buffer.from(join(local, 'copy') + '/'), odd]), 'utf8')).to.equal('odd bytes');
  });

  it('-R refuses writes with Permission denied, as sftp-server -R', () => {
    const tree = join(base, 'ro');
    mkdirSync(tree);
    writeFileSync(join(tree, 'f'), 'x');
    const outs: string[] = [];
    for (const side of ['ours', 'theirs'] as const) {
      const path = join(base, `ro-${side}.sh`);
      const cmd = side === 'ours' ? `cd ${process.cwd()} && exec ${process.execPath} --import tsx ${CLI} sftp-server` : `exec ${OPENSSH_SERVER}`;
      writeFileSync(path, `#!/bin/sh\nsh -c '${cmd} -R -d ${tree}'\n`, { mode: 0o755 });
      outs.push(sftpBatch(path, '-put /etc/hostname h\n-rm f\n-mkdir x\n-rename f g\nget f got\nls -1\n', base).out);
    }
    expect(outs[0]).to.equal(outs[1]);
    expect(outs[0]).to.include('Permission denied');
  });
});
