/**
 * Builds the `puressh` command as bundles, dist/cli-bundle/: what bin/puressh loads when
 * present. main.js dispatches; each command is one self-contained file that main.js imports
 * when that command runs (sshd.js; ssh.js loading ssh.cjs, below). Resolving, reading and
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
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
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

/** The ES module main.js imports for a command: loads its CommonJS bundle and re-exports its run function. */
function commandStub(name: string, run: string): string {
  return [
    `// ${name}: loads ${name}.cjs (scripts/build-cli.ts)`,
    `import { fileURLToPath } from 'node:url';`,
    `import { loadCommandBundle } from './compile-cache.js';`,
    `const m = loadCommandBundle(fileURLToPath(new URL('./${name}.cjs', import.meta.url)), true).exports;`,
    `export const ${run} = m.${run};`,
    '',
  ].join('\n');
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

/** Bundle the CLI into `outdir`: main.js, and per command its bundle (and the code-cache loader and a stub for those cached). */
export async function buildCliBundle(outdir: string = CLI_BUNDLE_DIR): Promise<void> {
  rmSync(outdir, { recursive: true, force: true });
  const commands = cliCommands();
  const cached = commands.filter((c) => CODE_CACHED.has(c.name));
  const plain = commands.filter((c) => !CODE_CACHED.has(c.name));
  const srcDir = fileURLToPath(new URL('../src/cli/', import.meta.url));
  const entries = (list: typeof commands): Record<string, string> => Object.fromEntries(list.map((c) => [c.name, join(srcDir, `${c.name}.ts`)]));
  await Promise.all([
    // the dispatcher, with each command left as an import of its own module
    build({ ...COMMON, entryPoints: { main: CLI_ENTRY }, outdir, external: commands.map((c) => `./${c.name}.js`) }),
    // servers and helpers: each an ES module with everything it uses
    build({ ...COMMON, entryPoints: entries(plain), outdir }),
    // the commands a person types: CommonJS that node:vm compiles with the code cache
    build({ ...COMMON, entryPoints: { 'compile-cache': join(srcDir, 'compile-cache.ts') }, outdir }),
    build({
      ...COMMON,
      plugins: [evaluatedOnFirstUse(EVALUATED_ON_FIRST_USE)],
      format: 'cjs',
      outExtension: { '.js': '.cjs' },
      entryPoints: entries(cached),
      outdir,
    }),
  ]);
  for (const c of cached) writeFileSync(join(outdir, `${c.name}.js`), commandStub(c.name, c.run));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildCliBundle(process.argv[2] ?? CLI_BUNDLE_DIR);
}
