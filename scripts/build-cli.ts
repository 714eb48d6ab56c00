/**
 * Builds the `puressh` command as bundles, dist/cli-bundle/: what bin/puressh loads when
 * present. main.cjs dispatches; each command is one self-contained file that main.cjs loads
 * when that command runs (sshd.js; ssh.cjs through the code cache, below). Resolving, reading and
 * compiling the ~250 modules tsc emits cost more than half of `puressh ssh host true`; one
 * file per command also lets the bundler drop everything that command does not use (shared
 * chunks would carry the library's server and SFTP server into `ssh`, through the entry
 * points' re-exports).
 * The commands a person types (ssh, sftp, scp, ssh-keygen) are CommonJS, which node:vm
 * compiles with V8's code cache (src/cli/compile-cache.ts), so they reuse the compiled code
 * of earlier runs. `npm run prepare` and `npm run build` run this after tsc.
 *
 *   tsx scripts/build-cli.ts [outdir]
 */
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { EVALUATED_ON_FIRST_USE, evaluatedOnFirstUse } from './first-use.js';

export const CLI_ENTRY = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
/** At the depth of dist/cli/: main.ts finds ../../package.json from either. */
export const CLI_BUNDLE_DIR = fileURLToPath(new URL('../dist/cli-bundle', import.meta.url));

/** The command modules main.ts loads with (await import('./name.js')).runName(…): one bundle each, and the function main.ts calls. */
export function cliCommands(): { name: string; run: string }[] {
  const source = readFileSync(CLI_ENTRY, 'utf8');
  const found = [...source.matchAll(/\(await import\('\.\/([\w-]+)\.js'\)\)\.(\w+)\(/g)].map((m) => ({ name: m[1]!, run: m[2]! }));
  if (found.length === 0) throw new Error(`no (await import('./command.js')).run…( found in ${CLI_ENTRY}`);
  return found.filter((c, i) => found.findIndex((d) => d.name === c.name) === i);
}

/** Commands a person runs by hand, whose start-up the code cache shortens; servers and helpers spawned per session write no cache. */
const CODE_CACHED = new Set(['ssh', 'sftp', 'scp', 'ssh-keygen']);

/**
 * main.cjs loads a code-cached command through a module of its own, bundled into main.cjs:
 * it loads the command's CommonJS bundle with the code cache and gives its run function.
 * esbuild turns main.ts's import() of a bundled module into a lazy initializer, so no ES
 * module is loaded on the way to `ssh` (Node's ES module loader costs ~7 ms per start here).
 * The other commands stay ES modules, imported from main.cjs when they run.
 */
function commandLoaders(commands: { name: string; run: string }[], cached: ReadonlySet<string>): Plugin {
  const compileCache = fileURLToPath(new URL('../src/cli/compile-cache.ts', import.meta.url));
  return {
    name: 'command-loaders',
    setup(b) {
      b.onResolve({ filter: /^\.\/[\w-]+\.js$/ }, (args) => {
        const command = commands.find((c) => `./${c.name}.js` === args.path);
        if (args.importer !== CLI_ENTRY || !command) return undefined;
        return cached.has(command.name) ? { path: command.name, namespace: 'cached-command' } : { path: args.path, external: true };
      });
      b.onLoad({ filter: /.*/, namespace: 'cached-command' }, (args) => {
        const { name, run } = commands.find((c) => c.name === args.path)!;
        const contents = [
          `import { join } from 'node:path';`,
          `import { loadCommandBundle } from ${JSON.stringify(compileCache)};`,
          `export const ${run} = loadCommandBundle(join(__dirname, ${JSON.stringify(`${name}.cjs`)}), true).exports.${run};`,
        ].join('\n');
        return { contents, loader: 'js', resolveDir: dirname(compileCache) };
      });
    },
  };
}

const COMMON: BuildOptions = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // smaller source parses faster; names kept for error names and stacks
  minify: true,
  keepNames: true,
  treeShaking: true,
  legalComments: 'eof',
  logLevel: 'warning',
};

/** Bundle the CLI into `outdir`: main.cjs, and per command its bundle. */
export async function buildCliBundle(outdir: string = CLI_BUNDLE_DIR): Promise<void> {
  rmSync(outdir, { recursive: true, force: true });
  const commands = cliCommands();
  const cached = commands.filter((c) => CODE_CACHED.has(c.name));
  const plain = commands.filter((c) => !CODE_CACHED.has(c.name));
  const srcDir = fileURLToPath(new URL('../src/cli/', import.meta.url));
  const entries = (list: typeof commands): Record<string, string> => Object.fromEntries(list.map((c) => [c.name, join(srcDir, `${c.name}.ts`)]));
  await Promise.all([
    // the dispatcher (CommonJS, for bin/puressh to require), with the code-cached commands'
    // loaders in it; import.meta.url (main.ts finds package.json with it) is main.cjs's URL
    build({
      ...COMMON,
      format: 'cjs',
      outExtension: { '.js': '.cjs' },
      entryPoints: { main: CLI_ENTRY },
      outdir,
      plugins: [commandLoaders(commands, CODE_CACHED)],
      define: { 'import.meta.url': 'importMetaUrl' },
      banner: { js: "const importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    }),
    // servers and helpers: each an ES module with everything it uses
    build({ ...COMMON, entryPoints: entries(plain), outdir }),
    // the commands a person types: CommonJS that node:vm compiles with the code cache
    build({
      ...COMMON,
      plugins: [evaluatedOnFirstUse(EVALUATED_ON_FIRST_USE)],
      format: 'cjs',
      outExtension: { '.js': '.cjs' },
      entryPoints: entries(cached),
      outdir,
    }),
  ]);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildCliBundle(process.argv[2] ?? CLI_BUNDLE_DIR);
}
