/**
 * `"sideEffects": false` (package.json) is true: no module of the Node entry changes anything
 * when it is imported, so a bundler that drops unused modules changes no behaviour. A script
 * that imports only parsePrivateKey from the Node entry, bundled with tree-shaking, still
 * derives public halves with OpenSSL (the node provider) and not with noble.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { expect } from 'chai';
import ts from 'typescript';
import { NODE_ENTRY, bundleScript, cryptoSpy, type Bundle } from '../support/bundle.js';

const ROOT = resolve(NODE_ENTRY, '../..');

/** Top-level code of `file` that runs for its effect on something else: anything but declarations. */
function topLevelEffects(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const declarations = new Set([
    ts.SyntaxKind.ImportDeclaration,
    ts.SyntaxKind.ImportEqualsDeclaration,
    ts.SyntaxKind.ExportDeclaration,
    ts.SyntaxKind.VariableStatement,
    ts.SyntaxKind.FunctionDeclaration,
    ts.SyntaxKind.ClassDeclaration,
    ts.SyntaxKind.InterfaceDeclaration,
    ts.SyntaxKind.TypeAliasDeclaration,
    ts.SyntaxKind.EnumDeclaration,
    ts.SyntaxKind.ModuleDeclaration,
  ]);
  const found: string[] = [];
  const where = (n: ts.Node): string => `${relative(ROOT, file)}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
  // Assignments to properties (a static hook, a registry) inside initializers, outside function bodies.
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionLike(n) || ts.isClassLike(n)) return;
    if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment) {
      if (ts.isPropertyAccessExpression(n.left) || ts.isElementAccessExpression(n.left)) found.push(`${where(n)} ${n.getText()}`);
    }
    ts.forEachChild(n, visit);
  };
  for (const st of sf.statements) {
    if (!declarations.has(st.kind)) found.push(`${where(st)} ${st.getText().split('\n')[0]}`);
    else if (ts.isVariableStatement(st)) visit(st);
  }
  return found;
}

describe('tree-shaking the Node entry ("sideEffects": false)', function () {
  let bundle: Bundle;
  const ed = generateKeyPairSync('ed25519');
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pems = [ed, ec].map((k) => k.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());

  before(async () => {
    bundle = await bundleScript(`${cryptoSpy(['createPrivateKey', 'createECDH'])}
import { parsePrivateKey } from ${JSON.stringify(NODE_ENTRY)};
const blobs = JSON.parse(process.argv[2]).map((pem) => Buffer.from(parsePrivateKey(pem).publicKey.blob).toString('hex'));
console.log(JSON.stringify({ blobs, cryptoCalls }));
`);
  });
  after(() => bundle?.remove());

  it('package.json declares no side effects', () => {
    const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { sideEffects?: unknown };
    expect(pkg.sideEffects).to.equal(false);
  });

  it('no module in the bundle has top-level code other than declarations', () => {
    const inputs = Object.keys(bundle.metafile.inputs)
      .map((p) => resolve(p))
      .filter((p) => p.startsWith(resolve(ROOT, 'src') + '/'));
    expect(inputs).to.include(NODE_ENTRY);
    expect(inputs.length).to.be.greaterThan(10);
    expect(inputs.flatMap(topLevelEffects)).to.deep.equal([]);
  });

  it('the check finds import-time hooks, and leaves function bodies alone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'puressh-probe-'));
    try {
      const probe = join(dir, 'probe.ts');
      const lines = [
        "import { Key } from './key.js';",
        'Key.derive = fast;',
        'export const X = (Key.other = 2);',
        'export function f(): void {',
        '  Key.z = 3;',
        '}',
        '',
      ];
      writeFileSync(probe, lines.join('\n'));
      expect(topLevelEffects(probe).map((l) => l.replace(/^.*probe\.ts:/, ''))).to.deep.equal(['2 Key.derive = fast;', '3 Key.other = 2']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the bundled parsePrivateKey derives Ed25519 and ECDSA public halves with OpenSSL, the same keys', async () => {
    const { blobs, cryptoCalls } = JSON.parse(await bundle.run([JSON.stringify(pems)])) as { blobs: string[]; cryptoCalls: Record<string, number> };
    const a = Buffer.from(ed.publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex');
    const jwk = ec.publicKey.export({ format: 'jwk' });
    const q = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]).toString('hex');
    expect(blobs[0]!.endsWith(a)).to.equal(true);
    expect(blobs[1]!.endsWith(q)).to.equal(true);
    // One Ed25519 key object for the seed (the public half), one ECDH context for Q = d·G.
    expect(cryptoCalls).to.deep.equal({ createPrivateKey: 1, createECDH: 1 });
  });
});
