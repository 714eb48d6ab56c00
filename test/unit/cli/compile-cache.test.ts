/**
 * The CLI's code cache (src/cli/compile-cache.ts): each case loads a small CommonJS bundle in
 * a fresh Node process, since the cache is written when the process exits.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeCacheDir } from '../../../src/cli/compile-cache.js';
import { execFileSyncWithTimeout } from '../../support/spawn-sync.js';

const loader = fileURLToPath(new URL('../../../src/cli/compile-cache.ts', import.meta.url));

describe('CLI code cache', function () {
  this.timeout(60000);
  let dir: string;
  let cacheHome: string;
  let cacheDir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'puressh-ccache-'));
    cacheHome = join(dir, 'cache');
    cacheDir = join(cacheHome, 'puressh', 'v8');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A bundle named `name` whose function returns `value`. */
  function bundle(name: string, value: number): string {
    const file = join(dir, `${name}.cjs`);
    writeFileSync(file, `'use strict';\nexports.run = function run(x) { return x + ${value}; };\nexports.file = __filename;\n`);
    return file;
  }

  /** Load `file` in a new process; what the loader reported and what the bundle computed. */
  function load(file: string, env: NodeJS.ProcessEnv = {}): { cache: string; result: number; file: string } {
    const code = `import { loadCommandBundle } from ${JSON.stringify(loader)};
const b = loadCommandBundle(${JSON.stringify(file)}, true);
console.log(JSON.stringify({ cache: b.cache, result: b.exports.run(1), file: b.exports.file }));`;
    const out = execFileSyncWithTimeout(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      env: { ...process.env, XDG_CACHE_HOME: cacheHome, PURESSH_COMPILE_CACHE: '', ...env },
      encoding: 'utf8',
    });
    return JSON.parse(out) as { cache: string; result: number; file: string };
  }

  const cacheFiles = (): string[] => (existsSync(cacheDir) ? readdirSync(cacheDir).sort() : []);

  it('the first run writes the cache, the next uses it, and the bundle runs the same', () => {
    const file = bundle('ssh', 41);
    expect(load(file)).to.deep.equal({ cache: 'created', result: 42, file });
    const files = cacheFiles();
    expect(files).to.have.length(1);
    expect(files[0]).to.match(/^ssh-[0-9a-f]{24}\.v8$/);
    expect(load(file)).to.deep.equal({ cache: 'used', result: 42, file });
    expect(cacheFiles()).to.deep.equal(files);
  });

  it('puressh ssh as built: the second run uses the cache the first wrote (the V8 flags it sets come before the load)', () => {
    const bin = fileURLToPath(new URL('../../../bin/puressh', import.meta.url));
    const run = (): string =>
      execFileSync(process.execPath, [bin, 'ssh', '-V'], {
        env: { ...process.env, XDG_CACHE_HOME: cacheHome, PURESSH_COMPILE_CACHE: '' },
        encoding: 'utf8',
        stdio: 'pipe',
      });
    run();
    const files = cacheFiles().filter((f) => f.startsWith('ssh-'));
    expect(files).to.have.length(1);
    const path = join(cacheDir, files[0]!);
    const written = { bytes: readFileSync(path), mtimeMs: statSync(path).mtimeMs };
    run();
    // V8 rejects a cache made under other flags, and the loader then rewrites it at exit.
    expect(statSync(path).mtimeMs).to.equal(written.mtimeMs);
    expect(readFileSync(path).equals(written.bytes)).to.equal(true);
  });

  it('a corrupt cache is rejected by V8 and replaced; the bundle still runs', () => {
    const file = bundle('ssh', 1);
    load(file);
    const [name] = cacheFiles();
    writeFileSync(join(cacheDir, name!), Buffer.alloc(4096, 0x5a));
    expect(load(file)).to.deep.equal({ cache: 'replaced', result: 2, file });
    expect(readFileSync(join(cacheDir, name!)).equals(Buffer.alloc(4096, 0x5a))).to.equal(false);
    expect(load(file).cache).to.equal('used');
  });

  it('a changed bundle (same length) gets a new cache and its own code; the old cache goes, other commands keep theirs', () => {
    const keygen = bundle('ssh-keygen', 5);
    load(keygen);
    const file = bundle('ssh', 1);
    load(file);
    const before = cacheFiles();
    expect(before).to.have.length(2);
    bundle('ssh', 7);
    expect(load(file)).to.deep.equal({ cache: 'created', result: 8, file });
    const after = cacheFiles();
    expect(after).to.have.length(2);
    expect(after.filter((f) => f.startsWith('ssh-keygen-'))).to.deep.equal(before.filter((f) => f.startsWith('ssh-keygen-')));
    expect(after.filter((f) => !f.startsWith('ssh-keygen-'))).to.not.deep.equal(before.filter((f) => !f.startsWith('ssh-keygen-')));
  });

  it('PURESSH_COMPILE_CACHE=0 loads without the cache and writes none', () => {
    const file = bundle('ssh', 2);
    expect(load(file, { PURESSH_COMPILE_CACHE: '0' })).to.deep.equal({ cache: 'off', result: 3, file });
    expect(cacheFiles()).to.deep.equal([]);
  });

  it('an unwritable cache directory only means no cache', () => {
    const file = bundle('ssh', 3);
    writeFileSync(cacheHome, 'not a directory');
    expect(load(file)).to.deep.equal({ cache: 'created', result: 4, file });
    expect(load(file).cache).to.equal('created');
  });

  it('a cache directory others can write is not used: nothing read, nothing written', () => {
    const file = bundle('ssh', 4);
    mkdirSync(cacheDir, { recursive: true });
    chmodSync(cacheDir, 0o777);
    expect(load(file)).to.deep.equal({ cache: 'off', result: 5, file });
    expect(cacheFiles()).to.deep.equal([]);
  });

  it('a cache file others can write is not used, and is replaced by one only we can write', () => {
    const file = bundle('ssh', 5);
    load(file);
    const path = join(cacheDir, cacheFiles()[0]!);
    expect(statSync(path).mode & 0o777).to.equal(0o600);
    chmodSync(path, 0o666);
    expect(load(file)).to.deep.equal({ cache: 'created', result: 6, file });
    expect(statSync(path).mode & 0o777).to.equal(0o600);
    expect(load(file).cache).to.equal('used');
  });

  it('the cache lives under XDG_CACHE_HOME when it is absolute, else under ~/.cache', () => {
    expect(codeCacheDir({ XDG_CACHE_HOME: '/x/cache', HOME: '/home/u' })).to.equal('/x/cache/puressh/v8');
    expect(codeCacheDir({ XDG_CACHE_HOME: 'relative', HOME: '/home/u' })).to.equal('/home/u/.cache/puressh/v8');
    expect(codeCacheDir({ HOME: '/home/u' })).to.equal('/home/u/.cache/puressh/v8');
  });
});
