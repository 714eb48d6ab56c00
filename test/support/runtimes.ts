/**
 * Other JavaScript runtimes for the tests, from the npm packages that ship their binaries
 * (devDependencies), and Debian's Chromium; and the compiled pieces they run: the published
 * universal bundle, the Node entry bundled as an application would, the test runners.
 * A missing runtime makes the test FAIL with the command that installs it.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { buildUniversalBundle, type BundleSize } from '../../scripts/build-universal.js';
import { NODE_ENTRY } from './bundle.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Runtime {
  path: string;
  install: string;
}

export const DENO: Runtime = { path: join(root, 'node_modules/@deno/linux-x64-glibc/deno'), install: 'npm ci (devDependency @deno/linux-x64-glibc)' };
export const BUN: Runtime = { path: join(root, 'node_modules/@oven/bun-linux-x64/bin/bun'), install: 'npm ci (devDependency @oven/bun-linux-x64)' };
export const WORKERD: Runtime = {
  path: join(root, 'node_modules/@cloudflare/workerd-linux-64/bin/workerd'),
  install: 'npm ci (devDependency @cloudflare/workerd-linux-64)',
};
export const CHROMIUM: Runtime = { path: '/usr/bin/chromium', install: 'apt-get install -y chromium' };

/** The runtime's binary, or an Error whose message is the install command. */
export function requireRuntime(r: Runtime): string {
  if (!existsSync(r.path)) throw new Error(`${r.path} is missing; install it with: ${r.install}`);
  return r.path;
}

export interface CompiledPieces {
  dir: string;
  /** the universal core as published (scripts/build-universal.ts) */
  universalBundle: string;
  universalSize: BundleSize;
  /** src/node.ts bundled for a Node-compatible runtime (node:* left to the runtime) */
  nodeEntryBundle: string;
  /** test/runtimes/runner.ts as one JS file */
  runner: string;
  /** test/runtimes/browser-page.ts as one JS file (imports ./puressh.universal.js) */
  browserPage: string;
  /** test/runtimes/webauthn-page.ts as one JS file (imports ./puressh.universal.js) */
  webauthnPage: string;
  remove(): Promise<void>;
}

/** Build everything the runtime tests load into one temporary directory. */
export async function compilePieces(): Promise<CompiledPieces> {
  const dir = await mkdtemp(join(tmpdir(), 'puressh-runtimes-'));
  const universalBundle = join(dir, 'puressh.universal.js');
  const universalSize = await buildUniversalBundle(universalBundle);
  const nodeEntryBundle = join(dir, 'puressh.node.js');
  await build({
    entryPoints: [NODE_ENTRY],
    outfile: nodeEntryBundle,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  // The page imports src/index.ts for its types; in the browser that is the published bundle.
  const toBundle: Plugin = {
    name: 'universal-bundle',
    setup(b) {
      b.onResolve({ filter: /src\/index\.js$/ }, () => ({ path: './puressh.universal.js', external: true }));
    },
  };
  const script = (name: string, plugins: Plugin[] = []) =>
    build({
      entryPoints: [fileURLToPath(new URL(`../runtimes/${name}.ts`, import.meta.url))],
      outfile: join(dir, `${name}.js`),
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      plugins,
      logLevel: 'warning',
    });
  await script('runner');
  await script('browser-page', [toBundle]);
  await script('webauthn-page', [toBundle]);
  return {
    dir,
    universalBundle,
    universalSize,
    nodeEntryBundle,
    runner: join(dir, 'runner.js'),
    browserPage: join(dir, 'browser-page.js'),
    webauthnPage: join(dir, 'webauthn-page.js'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
