/**
 * `puressh sftp` compared with OpenSSH's own `sftp` on the same batch file against the same
 * sshd: the same stdout bytes, the same stderr bytes and the same exit status, and the same
 * files left behind. Each run starts from the same fixture (rebuilt in place, fixed times),
 * so paths and listings are equal. Glob expansion, non-UTF-8 names, the commands and flags
 * of sftp 9.2, and the interactive line editor on a pseudo-terminal (script -qc).
 */
import { expect } from 'chai';
import { execFile, spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { lutimesSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { decodeName, encodeName } from '../../src/sftp/names.js';
import { startOpenSshSftp, type SftpServer } from '../support/sftp-servers.js';

const SFTP = '/usr/bin/sftp';
const SFTP_INSTALL_COMMAND = 'apt-get install -y openssh-client';
const SCRIPT = '/usr/bin/script';
const SCRIPT_INSTALL_COMMAND = 'apt-get install -y bsdutils';

interface Run {
  code: number;
  stdout: Buffer;
  stderr: Buffer;
}

const T0 = 1_764_000_000; // fixed times, so `ls -l` prints the same dates in both runs
const NON_UTF8 = Buffer.from([0x6e, 0xe9, 0x65]); // "n\xe9e": Latin-1, not UTF-8

/** A directory tree, built from scratch in place (names as Buffers where they are not UTF-8). */
function buildFixture(root: string): void {
  rmSync(root, { recursive: true, force: true });
  mkdirSync(join(root, 'remote', 'sub'), { recursive: true });
  mkdirSync(join(root, 'local', 'tree', 'deep'), { recursive: true });
  const r = (n: string): string => join(root, 'remote', n);
  writeFileSync(r('cafe.txt'), 'coffee\n');
  writeFileSync(r('caf2'), 'x\n');
  writeFileSync(r('café'), 'accent\n');
  writeFileSync(r('big.log'), Buffer.alloc(5000, 1));
  writeFileSync(r('small.log'), 'log\n');
  writeFileSync(r('.hidden'), '');
  writeFileSync(r('sub/inner.log'), 'inner\n');
  writeFileSync(r('half'), '0123456789');
  writeFileSync(Buffer.concat([Buffer.from(r('') + '/'), NON_UTF8]), 'latin1\n');
  writeFileSync(Buffer.concat([Buffer.from(r('') + '/'), Buffer.from('tab\x01ctl')]), '');
  symlinkSync('cafe.txt', r('link'));
  const l = (n: string): string => join(root, 'local', n);
  writeFileSync(l('a.txt'), 'a\n');
  writeFileSync(l('b.txt'), 'bb\n');
  writeFileSync(l('c.dat'), 'c\n');
  writeFileSync(l('half'), '01234');
  writeFileSync(l('long'), '0123456789abcdef');
  writeFileSync(l('tree/deep/f'), 'deep\n');
  const times = (dir: string, t: number): void => {
    for (const b of readdirSync(Buffer.from(dir), { encoding: 'buffer' })) {
      const p = Buffer.concat([Buffer.from(dir + '/'), b]);
      if (lstatSync(p).isSymbolicLink()) {
        lutimesSync(p, t, t);
        continue;
      }
      if (lstatSync(p).isDirectory()) times(p.toString('latin1'), t);
      utimesSync(p, t, t + b.length * 60); // different mtimes, for ls -t
    }
  };
  times(join(root, 'remote'), T0);
  times(join(root, 'local'), T0);
  utimesSync(r('cafe.txt'), T0, 1_600_000_000); // more than six months old: "%b %e  %Y"
  for (const d of [join(root, 'remote'), join(root, 'local'), root]) utimesSync(d, T0, T0); // "." and ".." of ls -a
}

/** Every file under root: path, type, mode and content hash (what both runs must leave behind). */
function snapshot(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: Buffer): void => {
    for (const b of readdirSync(dir, { encoding: 'buffer' }).sort((a, b) => Buffer.compare(a, b))) {
      const p = Buffer.concat([dir, Buffer.from('/'), b]);
      const st = lstatSync(p);
      const name = p.subarray(root.length).toString('latin1');
      if (st.isSymbolicLink()) out.push(`${name} -> ${readlinkSync(p, 'latin1')}`);
      else if (st.isDirectory()) {
        out.push(`${name}/ ${(st.mode & 0o7777).toString(8)}`);
        walk(p);
      } else out.push(`${name} ${(st.mode & 0o7777).toString(8)} ${readFileSync(p).toString('base64')}`);
    }
  };
  walk(Buffer.from(root));
  return out;
}

describe('puressh sftp commands, byte for byte as OpenSSH sftp', function () {
  this.timeout(120_000);
  let srv: SftpServer;
  let root: string;
  let common: string[];
  let dest: string;

  before(async () => {
    if (!existsSync(SFTP)) throw new Error(`OpenSSH's sftp is missing: ${SFTP_INSTALL_COMMAND}`);
    srv = await startOpenSshSftp();
    root = mkdtempSync('/dev/shm/puressh-sftpcmd-');
    const knownHosts = `UserKnownHostsFile=${srv.sshd!.knownHostsPath}`;
    common = ['-P', String(srv.port), '-i', srv.keyPath, '-o', knownHosts, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes'];
    dest = `${srv.user}@127.0.0.1`;
  });
  after(async () => {
    rmSync(root, { recursive: true, force: true });
    await srv?.stop();
  });

  function openssh(args: string[], locale: string, stdin?: string): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = execFile(SFTP, args, { encoding: 'buffer', env: { ...process.env, LC_ALL: locale }, cwd: root }, (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(err);
        resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
      });
      child.stdin!.on('error', () => {}); // sftp may exit before reading (EPIPE)
      child.stdin!.end(stdin ?? '');
    });
  }

  async function puressh(args: string[], locale: string, stdin?: string): Promise<Run> {
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
    const saved = { lc: process.env.LC_ALL, cwd: process.cwd(), umask: process.umask() };
    process.env.LC_ALL = locale;
    process.chdir(root);
    try {
      const code = await main(['sftp', ...args], io);
      return { code, stdout: Buffer.concat(o), stderr: Buffer.concat(e) };
    } finally {
      if (saved.lc === undefined) delete process.env.LC_ALL;
      else process.env.LC_ALL = saved.lc;
      process.chdir(saved.cwd);
      process.umask(saved.umask);
    }
  }

  /** Run the same batch with both, each from a fresh fixture; expect the same bytes, status and files. */
  async function same(lines: string[], options: { locale?: string; stdin?: boolean; flags?: string[] } = {}): Promise<Run> {
    const locale = options.locale ?? 'C.UTF-8';
    const batch = [`cd ${root}/fx/remote`, `lcd ${root}/fx/local`, ...lines].join('\n') + '\n';
    const file = join('/dev/shm', `${root.split('/').pop()}-batch`);
    writeFileSync(file, encodeName(batch)); // names typed in the batch keep their bytes
    const args = [...(options.flags ?? []), ...(options.stdin ? [] : ['-b', file]), ...common, dest];
    try {
      buildFixture(join(root, 'fx'));
      const a = await openssh(args, locale, options.stdin ? batch : undefined);
      const filesA = snapshot(join(root, 'fx'));
      buildFixture(join(root, 'fx'));
      const b = await puressh(args, locale, options.stdin ? batch : undefined);
      const filesB = snapshot(join(root, 'fx'));
      expect(b.stdout.toString('latin1'), 'stdout').to.equal(a.stdout.toString('latin1'));
      // sftp says "Connected to host." on stderr unless quiet; the rest is its error lines
      expect(b.stderr.toString('latin1'), 'stderr').to.equal(a.stderr.toString('latin1'));
      expect(b.code, 'exit status').to.equal(a.code);
      expect(filesB).to.deep.equal(filesA);
      return a;
    } finally {
      rmSync(file, { force: true });
    }
  }

  it('get, put, rm, ls, chmod, chown and chgrp expand globs; what nothing matches says', async () => {
    const a = await same([
      'get caf* ../local/',
      'get ca?2 copy-of-caf2',
      'put *.txt sub',
      'put [ab].txt',
      'ls',
      'ls *.log',
      'ls -1 sub/*',
      'ls -l [bs]*.log',
      'ls -1 *[!0-9]',
      'chmod 600 *.txt',
      'chgrp 0 sub/*',
      'chown 0 ca*',
      'rm *.log',
      'ls -1',
      'lls -1',
      '-get nothing*',
      '-ls nothing*',
      '-rm nothing*',
      '-chmod 644 nothing*',
      '-chown 0 nothing*',
      '-put nothing* sub',
      '-get caf* c.dat',
      'ls "caf*" sub',
      'get nothing*',
      'pwd',
    ]);
    expect(a.code).to.equal(1);
    expect(a.stderr.toString()).to.include('not found');
  });

  for (const locale of ['C.UTF-8', 'C']) {
    it(`ls writes non-UTF-8 and control bytes in names as sftp does (LC_ALL=${locale})`, async () => {
      const latin = decodeName(NON_UTF8);
      const a = await same(
        ['ls', 'ls -1', 'ls -l', 'ls -1 n*', 'ls -l *ctl', 'get n* ../local/', 'lls -1'].concat([
          `ls -l ${latin}`,
          `get ${latin} typed`,
          `rm ${latin}`,
          'ls -1',
          '-get nothing\\x',
        ]),
        { locale },
      );
      expect(a.stdout.includes(Buffer.from('n\\351e'))).to.equal(true);
    });
  }

  it('ls flags: -1 -a -f -h -l -n -r -S -t, a directory, a file, a link, a glob', async () => {
    await same([
      'ls -a',
      'ls -la',
      'ls -l',
      'ls -n',
      'ls -lh',
      'ls -lS',
      'ls -lSr',
      'ls -lt',
      'ls -ltr',
      'ls -1f',
      'ls -1 -f',
      'ls -l1',
      'ls -1l',
      'ls sub',
      'ls -l sub/',
      'ls -l ../remote/sub',
      'ls cafe.txt',
      'ls -l link',
      'dir -1',
      '-ls -z',
    ]);
  });

  it('reget, reput, get -a, put -a and get/put -r with their messages', async () => {
    await same([
      'get -r sub',
      'put -r tree',
      'ls -1 tree tree/deep',
      'lls -R sub',
      'reget half half',
      '!wc -c half',
      '-reget cafe.txt long',
      'reput long half',
      '-reput half half',
      '-reput long nowhere',
      'get -a caf2 c.dat',
      'put -a c.dat c.dat',
      '-get sub',
      '-put tree',
    ]);
  });

  it('reget/reput/get -r messages when not quiet (commands on stdin, no -b)', async () => {
    const lines = ['get -r sub', 'put -r tree', 'reget half half', 'reput long half', 'get caf* sub', 'rm sub/*', 'put *.txt', 'chmod 640 *.txt'];
    await same([...lines, 'chgrp 0 *.txt', 'chown 0 *.txt', '-reget cafe.txt long'], {
      stdin: true,
    });
  });

  it('version, progress, lumask, lmkdir, lpwd, help, !command, lls, cp, symlink, ln, rename', async () => {
    await same([
      'version',
      'progress',
      'progress',
      'lumask 027',
      'lmkdir made',
      'get cafe.txt made/',
      'lls -1 made',
      '-lmkdir made',
      'help',
      '?',
      '!echo shell says hi; exit 0',
      '!exit 3',
      'lls',
      'cp cafe.txt copied',
      'copy caf2 copied2',
      'symlink cafe.txt sym',
      'ln -s caf2 sym2',
      'ln caf2 hard',
      'rename half renamed',
      'rename -l renamed renamed2',
      'mkdir newdir',
      'rmdir newdir',
      'ls -1',
      'bye',
      'pwd',
    ]);
  });

  it('usage errors and failures in sftp words, batch stops at the first unignored one', async () => {
    await same([
      '-bogus',
      '-get',
      '-get -z x',
      '-ln a',
      '-rename -x a b',
      '-chmod x y',
      '-chmod 9 y',
      '-chown 1',
      '-lumask',
      '-rm',
      '-mkdir',
      '-cd nothing',
      '-cd cafe.txt',
      '-lcd /nonexistent',
      '-mkdir sub',
      '-rmdir nothing',
      '-ln caf2 sub',
      '-rename nothing x',
      "-ls 'unterminated",
      '-df -x',
      '@pwd',
      '-@ls nothing',
      '# a comment',
      '',
      '   pwd   # trailing comment',
      'rm nothing',
      'pwd',
    ]);
  });

  it('a batch file that cannot be read: the reason and status 255 before connecting', async () => {
    const args = ['-b', join(root, 'no-such-batch'), ...common, dest];
    const a = await openssh(args, 'C.UTF-8');
    const b = await puressh(args, 'C.UTF-8');
    expect(b.stderr.toString('latin1')).to.equal(a.stderr.toString('latin1'));
    expect([b.code, b.stdout.length]).to.deep.equal([a.code, a.stdout.length]);
    expect(a.code).to.equal(255);
  });

  it('quoting and escapes: quoted globs are literal', async () => {
    await same(['put "a.txt" "spaced name"', 'ls -1 spaced*', "ls -1 'spaced name'", 'ls -1 spaced\\ name', '-ls caf\\*', '-ls "caf*"']);
    await same(['put "a.txt" "spaced name"', 'get "spaced name" x\\ y', 'lls -1']);
  });

  it('interactive on a terminal: the sftp> prompt, line editing and history recall with the up arrow', async function () {
    if (!existsSync(SCRIPT)) throw new Error(`script(1) is missing: ${SCRIPT_INSTALL_COMMAND}`);
    buildFixture(join(root, 'fx'));
    const cli = ['node', '--import', 'tsx', join(process.cwd(), 'test/support/puressh-cli.ts'), 'sftp', ...common, dest].map((a) => `'${a}'`).join(' ');
    const child = spawn(SCRIPT, ['-qc', cli, '/dev/null'], { cwd: process.cwd(), env: { ...process.env, TERM: 'xterm', LC_ALL: 'C.UTF-8' } });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => chunks.push(b));
    const count = (s: string): number => Buffer.concat(chunks).toString('latin1').split(s).length - 1;
    const waitFor = async (s: string, n: number): Promise<void> => {
      for (let i = 0; i < 600 && count(s) < n; i++) await new Promise((r) => setTimeout(r, 50));
      expect(count(s), `${JSON.stringify(s)} in ${JSON.stringify(Buffer.concat(chunks).toString('latin1'))}`).to.be.at.least(n);
    };
    const type = (s: string): boolean => child.stdin.write(s);
    const here = `Remote working directory: ${root}/fx/remote\r\n`;
    await waitFor('sftp> ', 1);
    type(`cd ${root}/fx/remotX\x7fe\r`); // a typo fixed with backspace
    await waitFor('sftp> ', 2);
    type('pwd\r');
    await waitFor(here, 1);
    type('\x1b[A\r'); // up arrow: the last line again
    await waitFor(here, 2);
    type('exit\r');
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code).to.equal(0);
    expect(count(here)).to.equal(2);
  });
});
