// The API reference (`npm run docs`, into docs/api/): the three entry points of package.json's
// "exports". Every exported declaration must carry a doc comment, and any warning fails the build.
import { readFileSync } from 'node:fs';
import { URL } from 'node:url';

// The Net::SSH2 constants are documented by their export tag (TAG_* in src/facade/constants.ts,
// one doc comment per tag, as Net::SSH2's POD does), not one by one.
const constants = readFileSync(new URL('./src/facade/constants.ts', import.meta.url), 'utf8');
// `export const { A, B } = TABLE;`, on one line or, as the formatter lays out long ones, several.
const constantNames = [...constants.matchAll(/^export const \{([^}]*)\} = \w+;$/gm)].flatMap((m) =>
  m[1]
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '')
    .map((n) => `facade.${n}`),
);

/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  name: 'puressh',
  entryPoints: ['src/node.ts', 'src/index.ts', 'src/facade/index.ts'],
  tsconfig: 'tsconfig.json',
  out: 'docs/api',
  readme: 'none',
  excludeInternal: true,
  excludePrivate: true,
  excludeProtected: true,
  disableSources: true,
  validation: { notExported: true, invalidLink: true, notDocumented: true },
  requiredToBeDocumented: ['Class', 'Interface', 'Function', 'Variable', 'TypeAlias', 'Enum', 'Namespace'],
  intentionallyNotDocumented: constantNames,
  treatWarningsAsErrors: true,
};
