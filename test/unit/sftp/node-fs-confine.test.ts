/**
 * NodeFs confined to a root: every way out is refused or lands inside the root — `..`,
 * absolute paths, symlinks (relative, absolute, chained, in the middle of a path) pointing
 * out, hard links and renames out, and a directory swapped for a symlink while requests run.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsError, openFlagsOf } from '../../../src/sftp/server/fs.js';
import { NodeFs } from '../../../src/sftp/server/node-fs.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return e instanceof FsError ? e.fsCode : ((e as { code?: string }).code ?? String(e));
  }
}

describe('NodeFs confined to a root directory', function () {
  this.timeout(60_000);
  let base: string;
  let root: string;
  let fsys: NodeFs;

  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'puressh-confine-'));
    root = join(base, 'root');
    mkdirSync(join(root, 'sub'), { recursive: true });
    writeFileSync(join(base, 'secret'), 'outside');
    writeFileSync(join(root, 'inside'), 'inside');
    symlinkSync('../secret', join(root, 'rel-out'));
    symlinkSync(join(base, 'secret'), join(root, 'abs-out'));
    symlinkSync('..', join(root, 'sub', 'up'));
    symlinkSync(base, join(root, 'dir-out'));
    symlinkSync('/inside', join(root, 'abs-in'));
    fsys = new NodeFs({ root });
  });
  afterEach(() => {
    fsys.dispose();
    rmSync(base, { recursive: true, force: true });
  });

  const read = async (p: string): Promise<string> => {
    const f = await fsys.open(enc(p), openFlagsOf(1), 0);
    const buf = new Uint8Array(100);
    const n = await f.read(buf, 0);
    await f.close();
    return dec(buf.subarray(0, n));
  };

  it('`..` and absolute paths stop at the root', async () => {
    expect(dec(await fsys.realpath(enc('../../..')))).to.equal('/');
    expect(dec(await fsys.realpath(enc('/../../sub/../..')))).to.equal('/');
    expect(await read('../../inside')).to.equal('inside');
    expect(await code(read('../secret'))).to.equal('ENOENT');
    expect(await code(read(join(base, 'secret')))).to.equal('ENOENT');
  });

  it('the root itself (and a path ending at a pinned directory) is the directory, not the /proc link to it', async () => {
    for (const p of ['/', '.', '/sub/..', 'sub/up']) {
      expect((await fsys.stat(enc(p))).mode & 0o170000, p).to.equal(0o040000);
      // lstat of sub/up is the symlink itself
      expect((await fsys.lstat(enc(p))).mode & 0o170000, p).to.equal(p === 'sub/up' ? 0o120000 : 0o040000);
      const dir = await fsys.opendir(enc(p));
      const names = ((await dir.read(100)) ?? []).map((e) => dec(e.name)).sort();
      await dir.close();
      expect(names, p).to.include.members(['.', '..', 'inside', 'sub']);
    }
    await fsys.setstat(enc('/'), { mode: 0o750 });
    expect((await fsys.stat(enc('/'))).mode & 0o7777).to.equal(0o750);
  });

  it('symlinks pointing out resolve inside the root, as in a chroot', async () => {
    expect(await code(read('rel-out'))).to.equal('ENOENT');
    expect(await code(read('abs-out'))).to.equal('ENOENT');
    expect(await code(read('dir-out/secret'))).to.equal('ENOENT');
    expect(await code(read('sub/up/up/up/secret'))).to.equal('ENOENT');
    expect(await read('abs-in')).to.equal('inside');
    expect(await read('sub/up/inside')).to.equal('inside');
    expect(dec(await fsys.realpath(enc('rel-out')))).to.equal('/secret');
    expect(await code(fsys.realpath(enc('abs-out')))).to.equal('ENOENT');
    // Creating through a link that points out: its target's directory does not exist inside.
    expect(await code(fsys.open(enc('dir-out/secret'), openFlagsOf(0x02 | 0x08), 0o644))).to.equal('ENOENT');
    // A dangling link to an absolute name is created inside the root.
    const f = await fsys.open(enc('abs-out2'), openFlagsOf(0x02 | 0x08), 0o644);
    await f.close();
    symlinkSync('/made-by-link', join(root, 'dangling'));
    const g = await fsys.open(enc('dangling'), openFlagsOf(0x02 | 0x08), 0o644);
    await g.write(enc('new'), 0);
    await g.close();
    expect(readFileSync(join(root, 'made-by-link'), 'utf8')).to.equal('new');
    expect(existsSync('/made-by-link')).to.equal(false);
    expect(readFileSync(join(base, 'secret'), 'utf8')).to.equal('outside');
  });

  it('no operation reaches outside: stat, setstat, remove, rename, link, symlink, opendir, mkdir', async () => {
    expect(await code(fsys.stat(enc('abs-out')))).to.equal('ENOENT');
    expect((await fsys.lstat(enc('abs-out'))).mode & 0o170000).to.equal(0o120000);
    expect(await code(fsys.setstat(enc('rel-out'), { mode: 0o777 }))).to.equal('ENOENT');
    expect(await code(fsys.remove(enc('dir-out/secret')))).to.equal('ENOENT');
    expect(await code(fsys.rename(enc('dir-out/secret'), enc('stolen'), true))).to.equal('ENOENT');
    expect(await code(fsys.link(enc('dir-out/secret'), enc('stolen')))).to.equal('ENOENT');
    expect(await code(fsys.opendir(enc('dir-out')))).to.equal('ENOENT');
    await fsys.rename(enc('inside'), enc('../../moved'), true);
    expect(existsSync(join(root, 'moved'))).to.equal(true);
    await fsys.symlink(enc('/etc/passwd'), enc('pw'));
    expect(await code(read('pw'))).to.equal('ENOENT');
    await fsys.mkdir(enc('../../made'), 0o755);
    expect(existsSync(join(root, 'made'))).to.equal(true);
    expect(existsSync(join(base, 'made'))).to.equal(false);
    // The link named by remove is removed, not what it points to.
    await fsys.remove(enc('abs-out'));
    expect(readFileSync(join(base, 'secret'), 'utf8')).to.equal('outside');
  });

  it('a directory swapped for a symlink out while requests run never leads out', async () => {
    mkdirSync(join(root, 'race'));
    writeFileSync(join(root, 'race', 'secret'), 'inside-race');
    let stop = false;
    // (EINVAL: a link read back after it was replaced by a directory.)
    // Flip root/race between a real directory and a symlink to `base` as fast as we can.
    const flipper = (async () => {
      while (!stop) {
        try {
          renameSync(join(root, 'race'), join(root, 'race-dir'));
          symlinkSync(base, join(root, 'race'));
          await new Promise((r) => setImmediate(r));
          rmSync(join(root, 'race'));
          renameSync(join(root, 'race-dir'), join(root, 'race'));
        } catch {
          /* a step lost a race with itself: go on */
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) {
      try {
        seen.add(await read('race/secret'));
      } catch (e) {
        seen.add(e instanceof FsError ? e.fsCode : ((e as { code?: string }).code ?? 'error'));
      }
    }
    stop = true;
    await flipper;
    expect(seen.has('outside')).to.equal(false);
    expect(
      [...seen].every((s) => ['inside-race', 'ENOENT', 'ELOOP', 'ENOTDIR', 'EINVAL'].includes(s)),
      [...seen].join(','),
    ).to.equal(true);
  });
});
