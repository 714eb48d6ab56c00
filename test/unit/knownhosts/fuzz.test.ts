/** Bad input: random and mutated known_hosts lines produce KnownHostsError only, never another error. */
import { expect } from 'chai';
import fc from 'fast-check';
import { Ed25519PrivateKey } from '../../../src/crypto/keys/ed25519.js';
import { KnownHosts, KnownHostsError, parseKnownHostsLine, hashHostName } from '../../../src/knownhosts/index.js';

const k = new Ed25519PrivateKey(new Uint8Array(32).fill(4)).publicKey;
const good = [
  `host.example,10.0.0.1 ssh-ed25519 ${Buffer.from(k.blob).toString('base64')} comment`,
  `@revoked [h]:2222 ssh-ed25519 ${Buffer.from(k.blob).toString('base64')}`,
  `@cert-authority *.example,!x.example ssh-ed25519 ${Buffer.from(k.blob).toString('base64')} ca`,
  `${hashHostName('h')} ssh-ed25519 ${Buffer.from(k.blob).toString('base64')}`,
];

function onlyTyped(line: string): void {
  try {
    const c = parseKnownHostsLine(line);
    expect(['entry', 'comment', 'blank']).to.include(c.kind);
  } catch (e) {
    if (!(e instanceof KnownHostsError)) throw e;
    expect(e.code).to.equal('KNOWN_HOSTS');
  }
}

describe('knownhosts: fuzzing', () => {
  it('arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => onlyTyped(s)),
      { numRuns: 3000 },
    );
  });

  it('arbitrary token soup from the known_hosts alphabet', () => {
    const token = fc.constantFrom(
      '@revoked',
      '@cert-authority',
      '@x',
      '|1|',
      '|',
      ',',
      '!',
      '*',
      '?',
      '[',
      ']:',
      '22',
      'ssh-ed25519',
      'ssh-rsa',
      'AAAA',
      '====',
      ' ',
      '\t',
      '#',
      'host',
      '\r',
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 30 }), (t) => onlyTyped(t.join(''))),
      { numRuns: 3000 },
    );
  });

  it('mutations of valid lines (byte flips, truncation, insertions)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...good), fc.nat(), fc.integer({ min: 0, max: 127 }), fc.constantFrom('flip', 'cut', 'insert'), (line, pos, ch, op) => {
        const i = pos % (line.length + 1);
        const c = String.fromCharCode(ch);
        const m = op === 'flip' ? line.slice(0, i) + c + line.slice(i + 1) : op === 'cut' ? line.slice(0, i) : line.slice(0, i) + c + line.slice(i);
        onlyTyped(m);
      }),
      { numRuns: 5000 },
    );
  });

  it('whole files never throw on parse, round-trip exactly, and check/find stay typed', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(...good), fc.string({ maxLength: 80 })), { maxLength: 12 }),
        fc.constantFrom('\n', '\r\n'),
        (lines, eol) => {
          const text = lines.join(eol);
          const db = KnownHosts.parse(text);
          expect(db.toString()).to.equal(text);
          db.find('host.example');
          expect(['match', 'mismatch', 'notfound', 'revoked']).to.include(db.check('h', 2222, k.blob).status);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
