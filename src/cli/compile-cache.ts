/**
 * Loading a bundled CLI command (dist/cli-bundle/<command>.cjs) with V8's code cache (Node
 * only). Compiling the ~500 KiB bundle of `puressh ssh` is a fifth of `ssh host true`'s
 * CPU, and the functions a connection then runs are compiled again on every start. The
 * first run of a command saves V8's compiled code for the bundle (top level and every
 * function the run used) in the user's cache directory; later runs deserialize it instead
 * of compiling, as Node 22's module.enableCompileCache() does for the modules it loads.
 *
 * A cache file is named by a hash of the bundle's bytes and of Node's version, so an
 * upgrade of either starts a new one (V8 itself only checks the source's length and its own
 * version and flags). One that V8 rejects (other V8 flags in NODE_OPTIONS) is replaced at
 * exit. PURESSH_COMPILE_CACHE=0 turns the cache off; runtimes other than Node (Bun, Deno)
 * load the bundle with require().
 *
 * V8 runs cached code as it finds it, so the cache is used only where nobody else could
 * have written it: the directory and the file must be the user's and writable by no one
 * else (a cache directory on a shared path is not used at all).
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, type Stats, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { constants as vmConstants, Script } from 'node:vm';

type CommandModule = Record<string, unknown>;

/** A loaded command bundle, and what became of its code cache: not used, used, or written at exit (none yet, or V8 rejected it). */
export interface LoadedBundle {
  exports: CommandModule;
  cache: 'off' | 'used' | 'created' | 'replaced';
}

/** What Node's CommonJS loader passes a module, in its order. */
const WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname) { ';
const WRAPPER_TAIL = '\n})';

/** `$XDG_CACHE_HOME/puressh/v8` (else ~/.cache/puressh/v8), or null when there is no home. */
export function codeCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && xdg.startsWith('/')) return join(xdg, 'puressh', 'v8');
  const home = env.HOME || safeHomedir();
  return home ? join(home, '.cache', 'puressh', 'v8') : null;
}

function safeHomedir(): string | null {
  try {
    return homedir();
  } catch {
    return null;
  }
}

/** Whether `st` is the user's own and writable by no one else (where there are uids). */
function privateToUs(st: Stats): boolean {
  const uid = process.getuid?.();
  return uid === undefined || (st.uid === uid && (st.mode & 0o022) === 0);
}

/** A cache directory we may use: ours, or not there yet (saveCodeCache makes it 0700). */
function usableCacheDir(dir: string): boolean {
  try {
    const st = statSync(dir);
    return st.isDirectory() && privateToUs(st);
  } catch {
    return true;
  }
}

/** The cache file's bytes, if it is there and our own. */
function readOwnCache(path: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    return st.isFile() && privateToUs(st) ? readFileSync(fd) : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Whether this runtime compiles with V8 through node:vm as Node does (Bun and Deno have their own engines or loaders). */
function nodeVmUsable(): boolean {
  const versions = process.versions as Record<string, string | undefined>;
  return !versions.bun && !versions.deno && typeof vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER === 'symbol';
}

/**
 * Load the command bundle `file` (CommonJS) and return its exports; with `useCache`, through
 * the code cache when this runtime has one. Never fails because of the cache: a missing,
 * unreadable or rejected cache only means compiling as usual.
 */
export function loadCommandBundle(file: string, useCache: boolean, env: NodeJS.ProcessEnv = process.env): LoadedBundle {
  const dir = useCache && env.PURESSH_COMPILE_CACHE !== '0' && nodeVmUsable() ? codeCacheDir(env) : null;
  if (!dir || !usableCacheDir(dir)) return { exports: createRequire(file)(file) as CommandModule, cache: 'off' };
  const source = readFileSync(file, 'utf8');
  const name = basename(file, '.cjs');
  const key = createHash('sha256').update(process.version).update('\0').update(source).digest('hex').slice(0, 24);
  const cachePath = join(dir, `${name}-${key}.v8`);
  const cachedData = readOwnCache(cachePath);
  const script = new Script(WRAPPER_HEAD + source + WRAPPER_TAIL, {
    filename: file,
    cachedData,
    // the bundle imports user-named modules (a security-key provider) with import()
    importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const cache = cachedData === undefined ? 'created' : script.cachedDataRejected === true ? 'replaced' : 'used';
  // At exit the script holds the code of every function this run compiled.
  if (cache !== 'used') process.once('exit', () => saveCodeCache(script, dir, name, cachePath));
  const module = { exports: {} as CommandModule };
  const wrapper = script.runInThisContext() as (e: CommandModule, r: NodeJS.Require, m: typeof module, f: string, d: string) => void;
  wrapper(module.exports, createRequire(file), module, file, dirname(file));
  return { exports: module.exports, cache };
}

/** A cache file of command `name` (not of another whose name starts with it: ssh, ssh-keygen). */
const ownCacheFile = (name: string): RegExp => new RegExp(`^${name.replace(/[^\w-]/g, '')}-[0-9a-f]{24}\\.v8$`);

/** Write the cache atomically (another run may be reading or writing it) and drop this command's older ones. */
function saveCodeCache(script: Script, dir: string, name: string, cachePath: string): void {
  try {
    const data = script.createCachedData();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!usableCacheDir(dir)) return;
    const tmp = `${cachePath}.${process.pid}.tmp`;
    writeFileSync(tmp, data, { mode: 0o600 });
    renameSync(tmp, cachePath);
    const own = ownCacheFile(name);
    for (const f of readdirSync(dir)) {
      if (own.test(f) && join(dir, f) !== cachePath) rmSync(join(dir, f), { force: true });
    }
  } catch {
    /* an unwritable cache directory: the next run compiles again */
  }
}
