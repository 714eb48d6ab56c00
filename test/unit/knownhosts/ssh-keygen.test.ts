/**
 * Agreement with OpenSSH over a file mixing every entry form: `ssh-keygen -F host -f file`
 * finds exactly the lines our `find()` finds, before and after `ssh-keygen -H`, and over
 * our own `hashAll()` output (which must equal ssh-keygen -H's apart from the random salts).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { KnownHosts } from '../../../src/knownhosts/index.js';

function keygen(dir: string, name: string, args: string[]): string {
  execFileSync('ssh-keygen', ['-q', ...args, '-N', '', '-C', name, '-f', join(dir, name)]);
  return readFileSync(join(dir, `${name}.pub`), 'utf8')
    .trim()
    .split(' ')
    .slice(0, 2)
    .join(' ');
}

/** Line numbers ssh-keygen -F reports for `name`, with their marker tag ("", "CA", "REVOKED"). */
function keygenFind(file: string, name: string): string[] {
  let out: string;
  try {
    out = execFileSync('ssh-keygen', ['-F', name, '-f', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (e) {
    // exit status 1 with no output: not found
    out = (e as { stdout?: string }).stdout ?? '';
  }
  return [...out.matchAll(/^# Host .* found: line (\d+) ?(\S*)$/gm)].map((m) => `${m[1]}${m[2] ? ' ' + m[2] : ''}`);
}

function ourFind(db: KnownHosts, name: string): string[] {
  const m = /^\[(.*)\]:(\d+)$/.exec(name);
  const found = m ? db.find(m[1]!, Number(m[2])) : db.find(name, 22);
  return found.map((f) => `${f.line.number}${f.entry.marker === 'revoked' ? ' REVOKED' : f.entry.marker === 'cert-authority' ? ' CA' : ''}`);
}

const QUERIES = [
  'alpha.example.com',
  'ALPHA.example.com',
  '10.0.0.1',
  '[beta.example.com]:2222',
  'beta.example.com',
  '[beta.example.com]:22',
  'x.wild.example.com',
  'bad.wild.example.com',
  'gamma1.example.com',
  'gamma12.example.com',
  'foo.ca.example.com',
  'delta.example.com',
  'epsilon.example.com',
  '[a.example.org]:2200',
  '[a.example.org]:2201',
  'hashed.example.net',
  '[hashed.example.net]:4242',
  'zeta.example.com',
  'nothing.example',
];

describe('knownhosts: agreement with ssh-keygen -F / -H', function () {
  this.timeout(60_000);
  let dir: string;
  let mixed: string;
  let hashable: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'puressh-kh-'));
    const ed = keygen(dir, 'ed', ['-t', 'ed25519']);
    const ec = keygen(dir, 'ec', ['-t', 'ecdsa', '-b', '384']);
    const rsa = keygen(dir, 'rsa', ['-t', 'rsa', '-b', '2048']);
    // one hashed entry made by ssh-keygen itself
    writeFileSync(join(dir, 'seed'), `hashed.example.net ${ed}\n[hashed.example.net]:4242 ${ec}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', join(dir, 'seed')], { stdio: 'ignore' });
    const hashedLines = readFileSync(join(dir, 'seed'), 'utf8').trimEnd();
    const entries = [
      '# comment line',
      '',
      `alpha.example.com,10.0.0.1 ${ed} c1`,
      `[beta.example.com]:2222 ${ec}`,
      `*.wild.example.com,!bad.wild.example.com ${ed} wild`,
      `gamma?.example.com ${rsa}`,
      `@cert-authority *.ca.example.com ${ec} ca`,
      `@revoked alpha.example.com ${rsa}`,
      `  delta.example.com\t${ed}   trailing comment  `,
      `[*.example.org]:2200 ${rsa}`,
      hashedLines,
      `Zeta.Example.COM ${ec}`,
      `   # indented comment`,
    ];
    hashable = entries.join('\n') + `\nepsilon.example.com ${ec}`; // no final newline
    // ssh-keygen -H refuses files with invalid lines; -F tolerates them
    mixed = hashable.replace('# comment line', '# comment line\ngarbage line here\n@unknown-marker x ssh-ed25519 AAAA');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('plain file with every form (and invalid lines): same lines as ssh-keygen -F', () => {
    const file = join(dir, 'mixed');
    writeFileSync(file, mixed);
    const db = KnownHosts.parse(mixed);
    expect(db.allLines.filter((l) => l.content.kind === 'invalid')).to.have.length(2);
    let total = 0;
    for (const q of QUERIES) {
      const want = keygenFind(file, q);
      total += want.length;
      expect(ourFind(db, q), q).to.deep.equal(want);
    }
    expect(total).to.be.greaterThan(12);
    expect(db.toString()).to.equal(mixed);
  });

  it('after ssh-keygen -H: the same answers, and our hashAll() writes what ssh-keygen -H writes', () => {
    const file = join(dir, 'hashable');
    writeFileSync(file, hashable);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    const theirs = readFileSync(file, 'utf8');
    const theirDb = KnownHosts.parse(theirs);
    for (const q of QUERIES.filter((q) => q === q.toLowerCase())) {
      expect(ourFind(theirDb, q), q).to.deep.equal(keygenFind(file, q));
    }

    const ours = KnownHosts.parse(hashable);
    ours.hashAll();
    const oursText = ours.toString();
    const strip = (t: string) => t.split('\n').map((l) => l.replace(/^\|1\|[^ ]+ /, '|1|HASH '));
    // ssh-keygen always ends the file with a newline
    expect(strip(oursText + (oursText.endsWith('\n') ? '' : '\n'))).to.deep.equal(strip(theirs));

    const ourFile = join(dir, 'ours-hashed');
    writeFileSync(ourFile, oursText);
    for (const q of QUERIES.filter((q) => q === q.toLowerCase())) {
      expect(ourFind(KnownHosts.parse(oursText), q), q).to.deep.equal(keygenFind(ourFile, q));
      expect(keygenFind(ourFile, q), q).to.deep.equal(keygenFind(file, q));
    }
  });

  it('entries we add (plain and hashed) are found by ssh-keygen -F', () => {
    const ed = readFileSync(join(dir, 'ed.pub'), 'utf8');
    const blob = Buffer.from(ed.split(' ')[1]!, 'base64');
    const db = KnownHosts.parse(mixed);
    db.add('added.example.com', 22, blob);
    db.add('added-hashed.example.com', 2022, blob, { hashed: true, comment: 'h' });
    const file = join(dir, 'added');
    writeFileSync(file, db.toString());
    const n = db.allLines.length;
    expect(keygenFind(file, 'added.example.com')).to.deep.equal([String(n - 1)]);
    expect(keygenFind(file, '[added-hashed.example.com]:2022')).to.deep.equal([String(n)]);
    expect(db.toString().startsWith(mixed + '\n')).to.equal(true);
  });
});
