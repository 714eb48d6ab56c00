/**
 * Builds the universal core (src/index.ts) as one ES module, dist/puressh.universal.js: for a
 * `<script type="module">`, a CDN URL, a Worker or Deno without a bundler. No `node:*`, no
 * eval, minified, with a source map. `npm run build` runs this after tsc.
 *
 *   tsx scripts/build-universal.ts [outfile]
 */
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const UNIVERSAL_ENTRY = fileURLToPath(new URL('../src/index.ts', import.meta.url));
export const UNIVERSAL_BUNDLE = fileURLToPath(new URL('../dist/puressh.universal.js', import.meta.url));

export interface BundleSize {
  raw: number;
  gzip: number;
}

/** Bundle the universal entry into `outfile`; returns its raw and gzipped sizes in bytes. */
export async function buildUniversalBundle(outfile: string = UNIVERSAL_BUNDLE): Promise<BundleSize> {
  await build({
    entryPoints: [UNIVERSAL_ENTRY],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    minify: true,
    sourcemap: 'linked',
    treeShaking: true,
    legalComments: 'eof',
    logLevel: 'warning',
  });
  const bytes = readFileSync(outfile);
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = process.argv[2] ?? UNIVERSAL_BUNDLE;
  const size = await buildUniversalBundle(out);
  console.log(`${out}: ${(size.raw / 1024).toFixed(1)} KiB, ${(size.gzip / 1024).toFixed(1)} KiB gzipped`);
}
