/**
 * Builds the `puressh` command as a few ES modules, dist/cli-bundle/: what bin/puressh loads
 * when present. One file per command plus shared chunks start much faster than the ~250
 * modules tsc emits (module resolution and compilation dominate `puressh ssh host true`), and
 * each command still loads only its own code. `npm run prepare` and `npm run build` run this
 * after tsc.
 *
 *   tsx scripts/build-cli.ts [outdir]
 */
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const CLI_ENTRY = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
/** At the depth of dist/cli/: main.ts finds ../../package.json from either. */
export const CLI_BUNDLE_DIR = fileURLToPath(new URL('../dist/cli-bundle', import.meta.url));

/** Bundle the CLI entry into `outdir` (main.js and its chunks). */
export async function buildCliBundle(outdir: string = CLI_BUNDLE_DIR): Promise<void> {
  // chunk names carry content hashes: clear out the previous build's
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: { main: CLI_ENTRY },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // smaller source parses faster; names kept for error names and stacks
    minify: true,
    keepNames: true,
    sourcemap: 'linked',
    treeShaking: true,
    legalComments: 'eof',
    logLevel: 'warning',
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildCliBundle(process.argv[2] ?? CLI_BUNDLE_DIR);
}
