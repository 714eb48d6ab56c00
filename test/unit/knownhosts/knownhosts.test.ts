/**
 * known_hosts: parsing every line form, OpenSSH pattern matching, hashed names (HMAC-SHA1
 * cross-checked with node:crypto), check results, adding/removing with byte-exact write-back.
 */
import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import { Ed25519PrivateKey } from '../../../src/crypto/keys/ed25519.js';
import { ecdsaPrivateKey } from '../../../src/crypto/keys/ecdsa.js';
import { base64Encode } from '../../../src/crypto/encoding.js';
import {
  KnownHosts,
  KnownHostsError,
  hashHostName,
  hostPortName,
  matchPattern,
  matchPatternList,
  parseKnownHostsLine,
  parseKnownHosts,
  KNOWNHOST_CHECK,
} from '../../../src/knownhosts/index.js';

const seed = (n: number) => new Uint8Array(32).fill(n);
const k1 = new Ed25519PrivateKey(seed(1)).publicKey;
const k2 = new Ed25519PrivateKey(seed(2)).publicKey;
const k3 = new Ed25519PrivateKey(seed(3)).publicKey;
const line = (hosts: string, k: { type: string; blob: Uint8Array }, rest = '') => `${hosts} ${k.type} ${base64Encode(k.blob)}${rest}`;

describe('knownhosts: patterns', () => {
  it('host names are "host" on 22 and "[host]:port" otherwise, lower-cased', () => {
    expect(hostPortName('Example.COM')).to.equal('example.com');
    expect(hostPortName('example.com', 22)).to.equal('example.com');
    expect(hostPortName('example.com', 2222)).to.equal('[example.com]:2222');
    expect(hostPortName('::1', 2200)).to.equal('[::1]:2200');
  });

  it('* and ? wildcards, case-insensitive', () => {
    const cases: [string, string, boolean][] = [
      ['a.example.com', '*.example.com', true],
      ['example.com', '*.example.com', false],
      ['a.b.example.com', '*.example.com', true],
      ['host1', 'host?', true],
      ['host12', 'host?', false],
      ['HOST', 'host', true],
      ['host', 'HO*', true],
      ['anything', '*', true],
      ['', '*', true],
      ['abc', 'a*b*c', true],
      ['abxc', 'a*b*c', true],
      ['acb', 'a*b*c', false],
      ['[h]:2222', '[h]:22*', true],
      ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaab', '*a*a*a*a*a*a*c', false],
    ];
    for (const [name, pat, want] of cases) expect(matchPattern(name, pat), `${name} ~ ${pat}`).to.equal(want);
  });

  it('negation vetoes the entry (OpenSSH match_pattern_list)', () => {
    expect(matchPatternList('a.example.com', ['*.example.com', '!b.example.com'])).to.equal(1);
    expect(matchPatternList('b.example.com', ['*.example.com', '!b.example.com'])).to.equal(-1);
    expect(matchPatternList('b.example.com', ['!b.example.com'])).to.equal(-1);
    expect(matchPatternList('c.example.org', ['!b.example.com'])).to.equal(0);
  });
});

describe('knownhosts: hashed names', () => {
  it('|1|salt|HMAC-SHA1(salt, name) matches node:crypto', () => {
    const salt = new Uint8Array(20).map((_, i) => i * 7);
    const h = hashHostName('[example.com]:2222', salt);
    const want = createHmac('sha1', salt).update('[example.com]:2222').digest('base64');
    expect(h).to.equal(`|1|${Buffer.from(salt).toString('base64')}|${want}`);
    const db = KnownHosts.parse(line(h, k1) + '\n');
    expect(db.find('example.com', 2222)).to.have.length(1);
    expect(db.find('EXAMPLE.com', 2222)).to.have.length(1);
    expect(db.find('example.com', 22)).to.have.length(0);
    expect(db.find('example.org', 2222)).to.have.length(0);
  });

  it('fresh salts differ', () => {
    expect(hashHostName('a')).to.not.equal(hashHostName('a'));
  });

  it('malformed hashed fields are errors', () => {
    for (const bad of ['|1|AAAA|BBBB', '|1|onlyone', '|2|x|y', `|1|${'A'.repeat(28)}|!!!!`]) {
      expect(() => parseKnownHostsLine(line(bad, k1))).to.throw(KnownHostsError);
    }
  });
});

describe('knownhosts: parsing', () => {
  it('every form of line', () => {
    const text = [
      '# a comment',
      '',
      '   \t',
      line('a.example.com,10.0.0.1', k1, ' my comment  here'),
      line('[b.example.com]:2222', k2),
      '@cert-authority ' + line('*.ca.example.com', k3, ' ca'),
      '@revoked ' + line('*', k3),
      'not a valid line',
      '  ' + line('c.example.com', k1, '\ttabbed'),
    ].join('\n');
    const lines = parseKnownHosts(text);
    expect(lines.map((l) => l.content.kind)).to.deep.equal(['comment', 'blank', 'blank', 'entry', 'entry', 'entry', 'entry', 'invalid', 'entry']);
    const e = lines[3]!.content;
    if (e.kind !== 'entry') throw new Error('entry');
    expect(e.hosts).to.deep.equal({ hashed: false, patterns: ['a.example.com', '10.0.0.1'] });
    expect(e.keyType).to.equal('ssh-ed25519');
    expect(e.keyBlob).to.deep.equal(k1.blob);
    expect(e.comment).to.equal('my comment  here');
    expect(lines[5]!.content).to.include({ marker: 'cert-authority', comment: 'ca' });
    expect(lines[6]!.content).to.include({ marker: 'revoked' });
    expect((lines[8]!.content as { comment: string }).comment).to.equal('tabbed');
    expect(lines[8]!.eol).to.equal('');
    expect(KnownHosts.parse(text).toString()).to.equal(text);
  });

  it('rejects bad lines with KnownHostsError naming the problem', () => {
    const bad: [string, RegExp][] = [
      ['host ssh-ed25519', /expected/],
      ['@bogus host ssh-ed25519 AAAA', /unknown marker/],
      [`host ssh-rsa ${base64Encode(k1.blob)}`, /does not match/],
      ['host ssh-ed25519 !!!notbase64', /base64/],
      ['host ssh-ed25519 AAAA', /truncated/],
      [line(',a', k1), /empty host pattern/],
      [line('a,,b', k1), /empty host pattern/],
    ];
    for (const [l, re] of bad) {
      let err: unknown;
      try {
        parseKnownHostsLine(l);
      } catch (e) {
        err = e;
      }
      expect(err, l).to.be.instanceOf(KnownHostsError);
      expect((err as KnownHostsError).code).to.equal('KNOWN_HOSTS');
      expect((err as Error).message, l).to.match(re);
    }
  });

  it('CRLF files round-trip', () => {
    const text = `# c\r\n${line('a', k1)}\r\n${line('b', k2)}\n`;
    const db = KnownHosts.parse(text);
    expect(db.find('a')).to.have.length(1);
    expect(db.toString()).to.equal(text);
  });
});

describe('knownhosts: check', () => {
  const text =
    [
      line('a.example.com,10.0.0.1', k1),
      line('[a.example.com]:2222', k2),
      line('*.wild.example.com,!bad.wild.example.com', k1),
      '@revoked ' + line('rev.example.com', k2),
      line('rev.example.com', k2),
      '@cert-authority ' + line('*.example.com', k3),
      line(hashHostName('hashed.example.com'), k3),
    ].join('\n') + '\n';
  const db = KnownHosts.parse(text);

  it('match, mismatch, notfound, revoked', () => {
    expect(db.check('a.example.com', 22, k1.blob).status).to.equal('match');
    expect(db.check('A.EXAMPLE.COM', 22, k1).status).to.equal('match');
    expect(db.check('10.0.0.1', 22, k1).status).to.equal('match');
    const mm = db.check('a.example.com', 22, k2);
    expect(mm.status).to.equal('mismatch');
    expect(mm.found!.line.number).to.equal(1);
    expect(db.check('a.example.com', 2222, k2).status).to.equal('match');
    expect(db.check('a.example.com', 2222, k1).status).to.equal('mismatch');
    expect(db.check('x.wild.example.com', 22, k1).status).to.equal('match');
    expect(db.check('bad.wild.example.com', 22, k1).status).to.equal('notfound');
    expect(db.check('rev.example.com', 22, k2).status).to.equal('revoked');
    expect(db.check('hashed.example.com', 22, k3).status).to.equal('match');
    expect(db.check('hashed.example.com', 22, k1).status).to.equal('mismatch');
    // the CA line names *.example.com but never matches a plain key
    expect(db.check('other.example.com', 22, k3).status).to.equal('notfound');
    expect(db.check('nowhere.example.org', 22, k1)).to.deep.equal({ status: 'notfound', found: null, known: [] });
  });

  it('a key of another type is notfound, with the known keys listed (libssh2/OpenSSH)', () => {
    const ec = ecdsaPrivateKey('nistp256', 5n).publicKey;
    const r = db.check('a.example.com', 22, ec);
    expect(r.status).to.equal('notfound');
    expect(r.known.map((f) => f.line.number)).to.deep.equal([1]);
  });

  it('libssh2 codes', () => {
    expect(KNOWNHOST_CHECK).to.deep.equal({ MATCH: 0, MISMATCH: 1, NOTFOUND: 2, FAILURE: 3 });
  });

  it('a malformed key blob is a KnownHostsError', () => {
    expect(() => db.check('a', 22, new Uint8Array([0, 0, 0]))).to.throw(KnownHostsError);
  });
});

describe('knownhosts: editing', () => {
  it('add keeps every other byte and adds a newline only where one is missing', () => {
    const original = `# keep me  \r\n\n${line('a', k1, '  c  ')}\n   garbage\tline`;
    const db = KnownHosts.parse(original);
    const added = db.add('b.example.com', 2200, k2, { comment: 'new' });
    expect(added.raw).to.equal(line('[b.example.com]:2200', k2, ' new'));
    expect(db.toString()).to.equal(`${original}\n${added.raw}\n`);
    expect(db.check('b.example.com', 2200, k2).status).to.equal('match');
  });

  it('add hashed, with a given salt: exactly the HMAC', () => {
    const db = KnownHosts.empty();
    const salt = new Uint8Array(20).fill(9);
    const l = db.add('host.example', 22, k1, { hashed: true, salt });
    expect(l.raw).to.equal(line(hashHostName('host.example', salt), k1));
    expect(db.check('host.example', 22, k1).status).to.equal('match');
    expect(db.toString()).to.equal(l.raw + '\n');
  });

  it('add with markers', () => {
    const db = KnownHosts.empty();
    db.add('r.example', 22, k1, { marker: 'revoked' });
    expect(db.toString()).to.equal('@revoked ' + line('r.example', k1) + '\n');
    expect(db.check('r.example', 22, k1).status).to.equal('revoked');
  });

  it('refuses host names that would corrupt the file', () => {
    const db = KnownHosts.empty();
    for (const h of ['a b', 'a,b', 'a\nb', '']) expect(() => db.add(h, 22, k1)).to.throw(KnownHostsError);
    expect(() => db.add('a', 22, k1, { comment: 'x\ny' })).to.throw(KnownHostsError);
    expect(db.toString()).to.equal('');
  });

  it('remove drops whole lines for the host, like ssh-keygen -R', () => {
    const text = [line('a,b', k1), '# c', line('[a]:2222', k2), line('c', k3), '@revoked ' + line('a', k3)].join('\n') + '\n';
    const db = KnownHosts.parse(text);
    expect(db.remove('a')).to.equal(2);
    expect(db.toString()).to.equal(['# c', line('[a]:2222', k2), line('c', k3)].join('\n') + '\n');
  });

  it('hashAll hashes plain names, one line per name, leaving wildcards, markers and comments', () => {
    const text = ['# c', line('A.example,10.1.1.1', k1, '  comment  '), line('*.w', k2), '@revoked ' + line('r', k3), line('[p]:2222', k3)].join('\n');
    const db = KnownHosts.parse(text);
    expect(db.hashAll()).to.equal(2);
    const out = db.toString().split('\n');
    expect(out).to.have.length(6);
    expect(out[0]).to.equal('# c');
    expect(out[1]).to.match(/^\|1\|[^ ]+ ssh-ed25519 \S+ {2}comment {2}$/);
    expect(out[3]).to.equal(line('*.w', k2));
    expect(out[4]).to.equal('@revoked ' + line('r', k3));
    expect(out[5]).to.match(/^\|1\|/);
    expect(db.check('a.example', 22, k1).status).to.equal('match');
    expect(db.check('10.1.1.1', 22, k1).status).to.equal('match');
    expect(db.check('p', 2222, k3).status).to.equal('match');
    expect(db.toString().endsWith('\n')).to.equal(false);
  });
});
