/**
 * docs/net-ssh2.md cannot drift: its method tables must list exactly the public methods of
 * each exported class, must cover every method of the reference METHODS.md (Net::SSH2 0.73),
 * and every method must be exercised by some test under test/facade.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as F from '../../src/facade/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLASSES: Record<string, { prototype: object }> = {
  SSH2: F.SSH2,
  Channel: F.Channel,
  SFTP: F.SFTP,
  File: F.File,
  Dir: F.Dir,
  KnownHosts: F.KnownHosts,
  PublicKey: F.PublicKey,
  Listener: F.Listener,
};
const SECTIONS: Record<string, string> = {
  'Net::SSH2 (session)': 'SSH2',
  'Net::SSH2::Channel (also a tied filehandle)': 'Channel',
  'Net::SSH2::SFTP': 'SFTP',
  'Net::SSH2::File (also a tied filehandle)': 'File',
  'Net::SSH2::Dir': 'Dir',
  'Net::SSH2::KnownHosts (POD: "experimental")': 'KnownHosts',
  'Net::SSH2::PublicKey (POD: "experimental and mostly abandoned")': 'PublicKey',
  'Net::SSH2::Listener': 'Listener',
};

function documented(): Map<string, Set<string>> {
  const text = readFileSync(join(root, 'docs/net-ssh2.md'), 'utf8');
  const out = new Map<string, Set<string>>();
  for (const m of text.matchAll(/^\| (\w+) \| `(\w+)` \|/gm)) {
    if (!out.has(m[1]!)) out.set(m[1]!, new Set());
    out.get(m[1]!)!.add(m[2]!);
  }
  return out;
}

function exported(C: { prototype: object }): Set<string> {
  const names = new Set(Object.getOwnPropertyNames(C.prototype).filter((n) => n !== 'constructor' && !n.startsWith('_')));
  for (const n of Object.getOwnPropertyNames(C)) if (typeof (C as unknown as Record<string, unknown>)[n] === 'function' && !n.startsWith('_')) names.add(n);
  return names;
}

describe('docs/net-ssh2.md method tables', () => {
  it('list exactly the public methods of each class', () => {
    const docs = documented();
    expect([...docs.keys()].sort()).to.deep.equal(Object.keys(CLASSES).sort());
    for (const [name, C] of Object.entries(CLASSES)) expect([...docs.get(name)!].sort(), name).to.deep.equal([...exported(C)].sort());
  });

  it('cover every method of the reference METHODS.md', () => {
    const ref = readFileSync('/work/shared/reference/net-ssh2/METHODS.md', 'utf8');
    const docs = documented();
    let count = 0;
    for (const block of ref.split(/^### /m).slice(1)) {
      const title = block.split('\n')[0]!.trim();
      const cls = SECTIONS[title];
      if (!cls) continue;
      for (const row of block.matchAll(/^\| (`[^|]+`|tie interface|internals)[^|]*\| ([^|]*)\|/gm)) {
        let names: string[];
        if (row[1] === 'internals') continue;
        if (row[1] === 'tie interface')
          names = row[2]!
            .replace(/`/g, '')
            .replace(/\([^)]*\)/g, '')
            .trim()
            .split(/\s+/);
        else names = [row[1]!.replace(/`/g, '')];
        for (const n of names) {
          expect(docs.get(cls)!.has(n), `${cls}.${n}`).to.equal(true);
          count++;
        }
      }
    }
    expect(count).to.be.greaterThan(110);
  });

  it('every method is exercised by a test under test/facade', () => {
    const dir = join(root, 'test/facade');
    const src = readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && f !== 'docs.test.ts')
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join('\n');
    const missing: string[] = [];
    for (const [name, C] of Object.entries(CLASSES)) {
      for (const m of exported(C)) if (!src.includes(`${name}.${m}`) && !new RegExp(`\\.${m}\\b`).test(src)) missing.push(`${name}.${m}`);
    }
    expect(missing).to.deep.equal([]);
  });
});
