/**
 * Bundles a small script that imports from the Node entry (src/node.ts) the way an
 * application bundler would: esbuild, tree-shaking on, package.json's `"sideEffects": false`
 * honoured, node:* left external. Also: a spy on node:crypto for the bundled script, so it can
 * report whether OpenSSL did the work.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';

/** src/node.ts, as a path an entry script can import. */
export const NODE_ENTRY = fileURLToPath(new URL('../../src/node.ts', import.meta.url));

/**
 * Source to put first in a bundled script: wraps the named node:crypto functions with call
 * counters and makes ES-module imports of node:crypto see the wrappers
 * (module.syncBuiltinESMExports). The script reads the counts from `cryptoCalls`.
 */
export function cryptoSpy(names: readonly string[]): string {
  return `
import * as nodeCryptoNs from 'node:crypto';
import { createRequire, syncBuiltinESMExports } from 'node:module';
const nodeCrypto = createRequire(import.meta.url)('node:crypto');
const cryptoCalls = {};
for (const name of ${JSON.stringify(names)}) {
  const original = nodeCrypto[name];
  cryptoCalls[name] = 0;
  nodeCrypto[name] = function (...args) {
    cryptoCalls[name]++;
    return original.apply(this, args);
  };
}
syncBuiltinESMExports();
for (const name of ${JSON.stringify(names)}) {
  if (nodeCryptoNs[name] !== nodeCrypto[name]) throw new Error('node:crypto spy not installed for ' + name);
}
`;
}

export interface Bundle {
  /** the bundled script */
  path: string;
  metafile: Metafile;
  /** Run the bundle with node; resolves with its stdout. */
  run(args?: readonly string[]): Promise<string>;
  remove(): Promise<void>;
}

/** Bundle `source` (an ES module that imports NODE_ENTRY) into a temporary directory. */
export async function bundleScript(source: string): Promise<Bundle> {
  const dir = await mkdtemp(join(tmpdir(), 'puressh-bundle-'));
  const entry = join(dir, 'entry.mjs');
  const out = join(dir, 'bundle.mjs');
  await writeFile(entry, source);
  const result = await build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    treeShaking: true,
    metafile: true,
    logLevel: 'silent',
  });
  return {
    path: out,
    metafile: result.metafile,
    run: (args = []) =>
      new Promise((resolve, reject) => {
        execFile(process.execPath, [out, ...args], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
          if (err) reject(new Error(`node ${out} failed: ${stderr || err.message}`));
          else resolve(stdout);
        });
      }),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
