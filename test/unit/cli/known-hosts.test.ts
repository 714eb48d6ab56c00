/**
 * The CLI's known_hosts lookup (over src/knownhosts), checked against files written and hashed by
 * OpenSSH's ssh-keygen (-H) and against its own lookup (ssh-keygen -F).
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkKnownHost, knownHostName, lookupKnownHosts } from '../../../src/cli/known-hosts.js';
import { addKnownHost } from '../../../src/knownhosts/file.js';
import { hostFieldMatches as fieldMatches, parseKnownHostsLine } from '../../../src/knownhosts/index.js';
import { generateKey } from '../../support/sshd.js';

const blobOf = (publicLine: string) => new Uint8Array(Buffer.from(publicLine.split(' ')[1]!, 'base64'));

describe('cli: known_hosts', function () {
  this.timeout(30_000);
  let dir: string;
  let ed: string;
  let ed2: string;
  let ec: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'puressh-kh-'));
    [ed, ed2, ec] = await Promise.all([
      generateKey('ed25519', join(dir, 'a')),
      generateKey('ed25519', join(dir, 'b')),
      generateKey('ecdsa256', join(dir, 'c')),
    ]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const key = (line: string) => ({ type: line.split(' ')[0]!, blob: blobOf(line) });
  const body = (line: string) => line.split(' ').slice(0, 2).join(' ');

  it('names hosts as ssh does', () => {
    expect(knownHostName('Example.ORG', 22)).to.equal('example.org');
    expect(knownHostName('127.0.0.1', 2222)).to.equal('[127.0.0.1]:2222');
  });

  it('matches plain names, comma lists, wildcards and negation', () => {
    const hostFieldMatches = (field: string, name: string): boolean => {
      const c = parseKnownHostsLine(`${field} ${body(ed)}`);
      if (c.kind !== 'entry') throw new Error('not an entry');
      return fieldMatches(c.hosts, name);
    };
    expect(hostFieldMatches('a.example,b.example', 'b.example')).to.equal(true);
    expect(hostFieldMatches('*.example,!bad.example', 'good.example')).to.equal(true);
    expect(hostFieldMatches('*.example,!bad.example', 'bad.example')).to.equal(false);
    expect(hostFieldMatches('[127.0.0.1]:2222', '[127.0.0.1]:2222')).to.equal(true);
    expect(hostFieldMatches('127.0.0.1', '[127.0.0.1]:2222')).to.equal(false);
    expect(hostFieldMatches('host?', 'host1')).to.equal(true);
  });

  it('finds match, mismatch, unknown and revoked', () => {
    const f = join(dir, 'kh1');
    writeFileSync(
      f,
      [
        '# comment',
        '',
        `other.example ${body(ed2)}`,
        `[127.0.0.1]:2222,myhost ${body(ed)} a comment`,
        `@revoked revoked.example ${body(ec)}`,
        'garbage',
        `@cert-authority *.example ${body(ec)}`,
      ].join('\n'),
    );
    const notes: string[] = [];
    const m = checkKnownHost([f], '[127.0.0.1]:2222', key(ed), (n) => notes.push(n));
    expect(m.status).to.equal('match');
    expect(m.status === 'match' && m.entry.line).to.equal(4);
    expect(checkKnownHost([f], 'myhost', key(ed2)).status).to.equal('mismatch');
    const u = checkKnownHost([f], 'myhost', key(ec));
    expect(u.status).to.equal('unknown');
    expect(u.status === 'unknown' && u.others.map((k) => k.type)).to.deep.equal(['ssh-ed25519']);
    expect(checkKnownHost([f], 'nobody.example', key(ed)).status).to.equal('unknown');
    expect(checkKnownHost([f], 'revoked.example', key(ec)).status).to.equal('revoked');
    expect(notes.some((n) => n.includes('malformed'))).to.equal(true);
    expect(checkKnownHost([join(dir, 'missing'), f], 'myhost', key(ed)).status).to.equal('match');
  });

  it('reads entries hashed by ssh-keygen -H, and writes hashed entries ssh-keygen -F finds', async () => {
    const f = join(dir, 'kh2');
    writeFileSync(f, `[127.0.0.1]:2222 ${body(ed)}\nplain.example ${body(ec)}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', f], { stdio: 'ignore' });
    expect(readFileSync(f, 'utf8')).to.match(/^\|1\|/);
    expect(checkKnownHost([f], '[127.0.0.1]:2222', key(ed)).status).to.equal('match');
    expect(checkKnownHost([f], 'plain.example', key(ec)).status).to.equal('match');
    expect(checkKnownHost([f], 'plain.example', key(ed)).status).to.equal('unknown');

    const g = join(dir, 'sub', 'kh3');
    writeFileSync(join(dir, 'kh-nonl'), `x ${body(ed2)}`); // no trailing newline
    await addKnownHost(join(dir, 'kh-nonl'), 'y', 0, key(ed).blob);
    expect(readFileSync(join(dir, 'kh-nonl'), 'utf8').split('\n')).to.have.length(3);
    await addKnownHost(g, '[127.0.0.1]:2200', 0, key(ed).blob, { hashed: true });
    await addKnownHost(g, 'plain.example', 0, key(ec).blob);
    const found = execFileSync('ssh-keygen', ['-F', '[127.0.0.1]:2200', '-f', g], { encoding: 'utf8' });
    expect(found).to.contain(body(ed).split(' ')[1]);
    expect(lookupKnownHosts([g], '[127.0.0.1]:2200')).to.have.length(1);
    expect(lookupKnownHosts([g], 'plain.example')[0]!.type).to.equal('ecdsa-sha2-nistp256');
  });
});
