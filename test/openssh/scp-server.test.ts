/**
 * `puressh scp-server` (the remote end of `scp -O`) driven by OpenSSH's real scp client,
 * with no SSH server: `scp -O -S <wrapper>` runs the wrapper instead of ssh, and the wrapper
 * ignores the host and runs the remote command through sh, replacing `scp` with puressh's
 * scp-server, or, for the reference, leaving Debian's /usr/bin/scp to run it. Transfers of
 * 0 B .. 64 MiB files and a tree with a 3000-entry directory (-r, -p) must move exactly the
 * bytes, modes and times; failures must print the same stderr, exit with the same status
 * and leave the same remote tree as the real `scp -t`/`scp -f` (run as an unprivileged
 * user, so that permission bits count).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const SCP = '/usr/bin/scp';
const INSTALL = 'apt-get install -y openssh-client util-linux';
const NOBODY = 65534;
const CLI = resolve('test/support/puressh-cli.ts');
/** tsx by absolute URL: the server runs in the remote directory, outside the project. */
const TSX = import.meta.resolve('tsx');

function requirePeers(): void {
  for (const bin of [SCP, '/usr/bin/setpriv']) if (!existsSync(bin)) throw new Error(`${bin} is missing: ${INSTALL}`);
}

type Side = 'ours' | 'theirs';

/** The program `scp -S` runs: it ignores ssh's options and the host, and runs the command in `remote`. */
function wrapper(dir: string, side: Side, remote: string): string {
  const run = side === 'ours' ? `exec ${process.execPath} --import ${TSX} ${CLI} scp-server \${cmd#scp }` : 'exec $cmd';
  const path = join(dir, `scp-${side}-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(path, `#!/bin/sh\nfor cmd; do :; done\ncd '${remote}' || exit 1\nexec sh -c "${run}"\n`, { mode: 0o755 });
  return path;
}

interface Run {
  stderr: string;
  status: number | null;
}

/** scp -O with `args`, from `cwd`, as root or (for permission checks) as nobody. */
function scp(server: string, args: string[], cwd: string, asNobody = false): Run {
  const argv = ['-O', '-q', '-S', server, ...args];
  const r = asNobody
    ? spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', SCP, ...argv], { cwd, encoding: 'utf8', timeout: 300_000 })
    : spawnSync(SCP, argv, { cwd, encoding: 'utf8', timeout: 300_000 });
  return { stderr: r.stderr ?? '', status: r.status };
}

const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

/** Every entry under `dir`: type, permission bits, size, mtime, and a hash of file contents. */
function listing(dir: string, times = true): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const st = statSync(p);
      const r = rel ? `${rel}/${n}` : n;
      const what = st.isDirectory() ? 'd' : `f ${st.size} ${st.mode & 0o444 ? sha(p).slice(0, 16) : '-'}`;
      out.push(`${r} ${what} ${(st.mode & 0o7777).toString(8)}${times && !st.isDirectory() ? ` ${Math.floor(st.mtimeMs / 1000)}` : ''}`);
      if (st.isDirectory() && st.mode & 0o100) walk(p, r);
    }
  };
  walk(dir, '');
  return out;
}

describe('puressh scp-server under OpenSSH scp -O (-S wrapper, no SSH server)', function () {
  this.timeout(900_000);
  let base: string;

  before(() => {
    requirePeers();
    base = mkdtempSync(join(tmpdir(), 'puressh-scpd-'));
    chmodSync(base, 0o755);
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  it('moves 0 B, 1 B, 32 KiB ± 1 and 64 MiB files both ways (several sources per run), sha256 compared', () => {
    const local = join(base, 'xfer-local');
    const remote = join(base, 'xfer-remote');
    mkdirSync(join(local, 'down'), { recursive: true });
    mkdirSync(join(remote, 'up'), { recursive: true });
    const sizes = [0, 1, 32767, 32768, 32769, 64 * 1024 * 1024];
    for (const n of sizes) writeFileSync(join(local, `f${n}`), randomBytes(n));
    const server = wrapper(base, 'ours', remote);
    const put = scp(server, [...sizes.map((n) => `f${n}`), 'x:up'], local);
    expect(put, put.stderr).to.deep.equal({ stderr: '', status: 0 });
    for (const n of sizes) expect(sha(join(remote, 'up', `f${n}`)), `f${n}`).to.equal(sha(join(local, `f${n}`)));
    const get = scp(server, [...sizes.map((n) => `x:up/f${n}`), 'down'], local);
    expect(get, get.stderr).to.deep.equal({ stderr: '', status: 0 });
    for (const n of sizes) expect(sha(join(local, 'down', `f${n}`)), `f${n}`).to.equal(sha(join(local, `f${n}`)));
  });

  it('-r -p: a nested tree with a 3000-entry directory both ways, modes and mtimes as the real scp leaves them', () => {
    const src = join(base, 'tree-src');
    mkdirSync(join(src, 'a', 'b', 'c'), { recursive: true });
    mkdirSync(join(src, 'many'));
    mkdirSync(join(src, 'empty'));
    for (let i = 0; i < 3000; i++) writeFileSync(join(src, 'many', `e${i}`), String(i));
    writeFileSync(join(src, 'a', 'b', 'c', 'deep'), randomBytes(100_000));
    writeFileSync(join(src, 'a', 'x'), 'x');
    writeFileSync(join(src, 'zero'), '');
    chmodSync(join(src, 'a', 'x'), 0o600);
    chmodSync(join(src, 'zero'), 0o751);
    chmodSync(join(src, 'a', 'b'), 0o700);
    const when = new Date('2021-05-06T07:08:09Z');
    utimesSync(join(src, 'a', 'x'), when, when);
    utimesSync(join(src, 'a', 'b', 'c', 'deep'), new Date('2001-02-03T04:05:06Z'), new Date('2001-02-03T04:05:06Z'));
    const results: Record<string, string[]> = {};
    for (const side of ['ours', 'theirs'] as const) {
      const remote = join(base, `tree-remote-${side}`);
      const back = join(base, `tree-back-${side}`);
      mkdirSync(remote);
      mkdirSync(back);
      const server = wrapper(base, side, remote);
      const up = scp(server, ['-r', '-p', src, 'x:'], base);
      expect(up, `${side} ${up.stderr}`).to.deep.equal({ stderr: '', status: 0 });
      const upPlain = scp(server, ['-r', src, 'x:plain'], base);
      expect(upPlain, `${side} ${upPlain.stderr}`).to.deep.equal({ stderr: '', status: 0 });
      const down = scp(server, ['-r', '-p', 'x:tree-src', back], base);
      expect(down, `${side} ${down.stderr}`).to.deep.equal({ stderr: '', status: 0 });
      results[side] = [
        '# up -p',
        ...listing(join(remote, 'tree-src')),
        '# up',
        ...listing(join(remote, 'plain'), false),
        '# down -p',
        ...listing(join(back, 'tree-src')),
      ];
    }
    expect(results.ours!.length).to.equal(3 * (3000 + 8) + 3);
    expect(results.ours).to.deep.equal(results.theirs);
    // -p carried the source's modes and times
    expect(listing(join(base, 'tree-remote-ours', 'tree-src'))).to.deep.equal(listing(src));
  });

  it('reports failures as the real scp -t / scp -f do: stderr, exit status and the remote tree', () => {
    const cases: [string, string[]][] = [
      ['missing source', ['x:nope', 'dl']],
      ['missing among several', ['x:a.txt', 'x:nope', 'x:one', 'dl']],
      ['directory without -r', ['x:d', 'dl']],
      ['unreadable source', ['x:secret', 'dl']],
      ['unreadable directory -r', ['-r', 'x:noperm', 'dl']],
      ['missing -r', ['-r', 'x:nope', 'dl']],
      ['target directory missing', ['a.txt', 'x:nodir/sub/f']],
      ['target with slash missing', ['a.txt', 'x:nodir/']],
      ['several sources onto a file (-d)', ['a.txt', 'one', 'x:a.txt']],
      ['several sources into a missing directory (-d)', ['a.txt', 'one', 'x:nodir']],
      ['permission denied in a directory', ['a.txt', 'x:noperm/']],
      ['permission denied on a file', ['a.txt', 'x:locked']],
      ['writing onto a directory', ['one', 'x:full']],
      ['-r into a directory that cannot be written', ['-r', 'ld', 'x:noperm']],
      ['-r onto a file', ['-r', 'ld', 'x:a.txt']],
      ['-r with a file where a directory goes', ['-r', 'ld', 'x:clash']],
      ['-p into a read-only file', ['-p', 'a.txt', 'x:locked']],
    ];
    const outs: Record<Side, string[]> = { ours: [], theirs: [] };
    for (const side of ['ours', 'theirs'] as const) {
      for (const [name, args] of cases) {
        const remote = join(base, `err-${side}-${name.replace(/\W+/g, '-')}`);
        const local = `${remote}-local`;
        for (const d of [remote, local]) mkdirSync(d);
        // the remote tree, owned by nobody except where noted
        mkdirSync(join(remote, 'd'));
        mkdirSync(join(remote, 'full', 'one'), { recursive: true });
        mkdirSync(join(remote, 'noperm'));
        mkdirSync(join(remote, 'clash'));
        writeFileSync(join(remote, 'clash', 'ld'), 'file where a dir goes');
        writeFileSync(join(remote, 'a.txt'), 'hello\n');
        writeFileSync(join(remote, 'one'), '1');
        writeFileSync(join(remote, 'locked'), 'read-only');
        writeFileSync(join(remote, 'secret'), 'unreadable');
        // the local side
        mkdirSync(join(local, 'dl'));
        mkdirSync(join(local, 'ld', 'sub'), { recursive: true });
        writeFileSync(join(local, 'a.txt'), 'local a\n');
        writeFileSync(join(local, 'one'), 'local 1');
        writeFileSync(join(local, 'ld', 'sub', 'f'), 'f');
        for (const d of [remote, local]) {
          spawnSync('chown', ['-R', `${NOBODY}:${NOBODY}`, d]);
          const when = new Date('2020-01-02T03:04:05Z');
          for (const n of readdirSync(d)) utimesSync(join(d, n), when, when);
        }
        chownSync(join(remote, 'noperm'), 0, 0);
        chmodSync(join(remote, 'noperm'), 0o700);
        chmodSync(join(remote, 'locked'), 0o400);
        chmodSync(join(remote, 'secret'), 0o000);
        const r = scp(wrapper(base, side, remote), args, local, true);
        outs[side].push(`## ${name}: ${args.join(' ')}`, r.stderr.split(remote).join('/REMOTE').trimEnd(), `exit ${r.status}`, ...listing(remote, false));
      }
    }
    expect(outs.ours.join('\n')).to.equal(outs.theirs.join('\n'));
    const text = outs.ours.join('\n');
    for (const m of ['No such file or directory', 'Permission denied', 'Not a directory', 'Is a directory', 'not a regular file']) expect(text).to.include(m);
  });
});
