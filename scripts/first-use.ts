/**
 * An esbuild plugin for the bundles that Node loads (the CLI's commands, the package's Node
 * entries): third-party modules that do real work when evaluated are evaluated at their
 * first use instead.
 */
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';

/** Where the stand-ins' require() resolves from: the repository, whose node_modules has the real modules. */
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Modules that compute tables or curves when they are evaluated: noble's AES builds its
 * T-tables (~1.3 MB of typed arrays, with V8's optimizing compiler started for the loops),
 * its curves and ML-KEM their parameters. A program that never uses them (`puressh ssh`
 * over node:crypto's AES with an Ed25519 key) paid for that at every start: `ssh -V`
 * peaked at 56 MiB instead of 50, and `ssh host true` took ~9 % more CPU.
 */
export const EVALUATED_ON_FIRST_USE = ['@noble/ciphers/aes.js', '@noble/curves/ed25519.js', '@noble/curves/nist.js', '@noble/post-quantum/ml-kem.js'];

/**
 * Each of `modules` is replaced by a stand-in with the same exports that require()s the real
 * one at its first use. esbuild bundles a module reached
 * through require() inside a lazy initializer, which ES imports (evaluated before their
 * importer) cannot be. A function export becomes a function that calls the real one; an
 * object export a proxy that reads the real object's properties (our code only calls these
 * functions and reads these objects' properties).
 */
export function evaluatedOnFirstUse(modules: readonly string[]): Plugin {
  return {
    name: 'evaluated-on-first-use',
    setup(b) {
      // the stand-in's own require() resolves as usual
      const filter = new RegExp(`^(${modules.map((m) => m.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})$`);
      b.onResolve({ filter }, (args) => (args.kind === 'require-call' ? undefined : { path: args.path, namespace: 'first-use' }));
      b.onLoad({ filter: /.*/, namespace: 'first-use' }, async (args) => {
        const real = (await import(args.path)) as Record<string, unknown>;
        const lines = [`let real;`, `const load = () => (real ??= require(${JSON.stringify(args.path)}));`];
        for (const [name, value] of Object.entries(real)) {
          const key = JSON.stringify(name);
          if (typeof value === 'function') lines.push(`export function ${name}(...a) { return load()[${key}](...a); }`);
          else if (typeof value === 'object' && value !== null)
            lines.push(`export const ${name} = new Proxy({}, { get: (_, p) => load()[${key}][p], has: (_, p) => p in load()[${key}] });`);
          else throw new Error(`${args.path}: export ${name} is a ${typeof value}, which a stand-in cannot defer`);
        }
        return { contents: lines.join('\n'), resolveDir: ROOT, loader: 'js' };
      });
    },
  };
}
