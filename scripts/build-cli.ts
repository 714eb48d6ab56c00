/**
 * Builds the `puressh` command as bundled ES modules, dist/cli-bundle/: what bin/puressh
 * loads when present. main.js dispatches; each command (ssh.js, sftp.js, sshd.js, …) is one
 * self-contained file that main.js imports when that command runs. Resolving, reading and
 * compiling the ~250 modules tsc emits cost more than half of `puressh ssh host true`; one
 * file per command also lets the bundler drop everything that command does not use (shared
 * chunks would carry the library's server and SFTP server into `ssh`, through the entry
 * points' re-exports). `npm run prepare` and `npm run build` run this after tsc.
 *
 *   tsx scripts/build-cli.ts [outdir]
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';

export const CLI_ENTRY = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
/** At the depth of dist/cli/: main.ts finds ../../package.json from either. */
export const CLI_BUNDLE_DIR = fileURLToPath(new URL('../dist/cli-bundle', import.meta.url));

/** The command modules main.ts loads with import('./name.js'): one bundle each. */
export function cliCommandModules(): string[] {
  const source = readFileSync(CLI_ENTRY, 'utf8');
  const names = [...source.matchAll(/import\('\.\/([\w-]+)\.js'\)/g)].map((m) => m[1]!);
  if (names.length === 0) throw new Error(`no import('./command.js') found in ${CLI_ENTRY}`);
  return [...new Set(names)];
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

/** Bundle the CLI into `outdir`: main.js plus one file per command. */
export async function buildCliBundle(outdir: string = CLI_BUNDLE_DIR): Promise<void> {
  rmSync(outdir, { recursive: true, force: true });
  const commands = cliCommandModules();
  const srcDir = fileURLToPath(new URL('../src/cli/', import.meta.url));
  await Promise.all([
    // the dispatcher, with each command left as an import of its own bundle
    build({ ...COMMON, entryPoints: { main: CLI_ENTRY }, outdir, external: commands.map((c) => `./${c}.js`) }),
    // each command with everything it uses
    build({ ...COMMON, entryPoints: Object.fromEntries(commands.map((c) => [c, join(srcDir, `${c}.ts`)])), outdir }),
  ]);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildCliBundle(process.argv[2] ?? CLI_BUNDLE_DIR);
}
