/**
 * The universal entry point (src/index.ts) must run where only plain JavaScript runs:
 * nothing it imports, directly or through other modules, may be a `node:*` module or a
 * Node built-in.
 */
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
const builtins = new Set(builtinModules);

function importsOf(file: string): string[] {
  // Drop comments first: doc examples mention imports that are not real.
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push((m[1] ?? m[2])!);
  return out;
}

describe('universal entry point', () => {
  it('imports no node:* module, transitively', () => {
    const seen = new Set<string>();
    const offenders: string[] = [];
    const stack = [join(root, 'index.ts')];
    while (stack.length) {
      const file = stack.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      for (const spec of importsOf(file)) {
        if (spec.startsWith('node:') || builtins.has(spec)) offenders.push(`${file.slice(root.length + 1)} imports ${spec}`);
        else if (spec.startsWith('.')) stack.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      }
    }
    expect(offenders).to.deep.equal([]);
    // Sanity: the walk really covered the core layers.
    const files = [...seen].map((f) => f.slice(root.length + 1));
    for (const f of ['client.ts', 'transport/transport.ts', 'kex/index.ts', 'auth/index.ts', 'connection/connection.ts']) expect(files).to.include(f);
  });
});
