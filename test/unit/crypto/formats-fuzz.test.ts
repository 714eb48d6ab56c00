/**
 * fast-check: mutated key files of every format (PKCS#1, SEC1, DSA, PKCS#8 plain and
 * encrypted, legacy encrypted PEM, PuTTY v2/v3 plain and encrypted, RFC 4716, PEM/DER public
 * keys) and random DER trees only ever yield a KeyError — or a key that is whole: one that
 * signs data its own public key verifies.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';
import { parsePrivateKey, parsePublicKey, type PrivateKey } from '../../../src/crypto/keys/index.js';
import { KeyError } from '../../../src/errors.js';
import { der, pem, run, runBytes, TempDir } from './formats-helpers.js';

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'cut'; at: number }
  | { kind: 'insert'; at: number; byte: number }
  | { kind: 'set'; at: number; byte: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.constantFrom(0, 0x30, 0x7f, 0x80, 0x81, 0xff) }),
);
const mutations = fc.array(mutation, { minLength: 1, maxLength: 3 });

function mutate(data: Uint8Array, ms: Mutation[], from = 0): Uint8Array {
  let d = data.slice();
  for (const m of ms) {
    if (d.length <= from) break;
    const at = from + (m.at % (d.length - from));
    if (m.kind === 'flip') d[at]! ^= 1 << m.bit;
    else if (m.kind === 'set') d[at] = m.byte;
    else if (m.kind === 'cut') d = d.slice(0, at);
    else d = new Uint8Array([...d.subarray(0, at), m.byte, ...d.subarray(at)]);
  }
  return d;
}

const latin1 = (b: Uint8Array) => Buffer.from(b).toString('latin1');
const derOf = (text: string) => new Uint8Array(Buffer.from(text.replace(/-----[^-]+-----|^[A-Za-z-]+: .*$|\s/gm, ''), 'base64'));

/** A key that parsed must be whole: it signs, and its public key verifies that signature. */
async function whole(key: PrivateKey): Promise<void> {
  const data = new TextEncoder().encode('whole?');
  const alg = key.signatureAlgorithms[0]!;
  expect(key.publicKey.verify(alg, data, await key.sign(alg, data)), 'a parsed key must be consistent').to.equal(true);
}

async function onlyKeyError(fn: () => unknown): Promise<void> {
  let out: unknown;
  try {
    out = fn();
  } catch (e) {
    expect(e, String(e)).to.be.instanceOf(KeyError);
    return;
  }
  if (out && typeof out === 'object' && 'sign' in out) await whole(out as PrivateKey);
}

describe('crypto/keys formats: fuzzing (fast-check)', function () {
  const dir = new TempDir();
  after(() => dir.remove());
  const PASS = 'fuzz pass';
  /** unencrypted DER bodies with their PEM labels */
  const plain: { label: string; der: Uint8Array }[] = [];
  /** encrypted files (text), mutated after their header lines */
  const encrypted: { text: string; headerEnd: number }[] = [];
  const ppk: Uint8Array[] = [];
  const publics: string[] = [];

  before(() => {
    const passFile = dir.file('pass');
    writeFileSync(passFile, PASS);
    const empty = dir.file('empty');
    writeFileSync(empty, '');
    for (const [type, bits] of [['rsa', 1024], ['ecdsa', 256], ['ecdsa', 521], ['dsa']] as [string, number?][]) {
      const path = dir.file(`${type}${bits ?? ''}`);
      run('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', String(bits)] : []), '-m', 'PEM', '-N', '', '-f', path]);
      const text = readFileSync(path, 'utf8');
      plain.push({ label: /BEGIN ([A-Z ]+)-----/.exec(text)![1]!, der: derOf(text) });
      plain.push({ label: 'PRIVATE KEY', der: runBytes('openssl', ['pkey', '-in', path, '-outform', 'DER']) });
      publics.push(run('ssh-keygen', ['-e', '-m', 'PKCS8', '-f', path + '.pub']), run('ssh-keygen', ['-e', '-f', path + '.pub']));
      if (type === 'rsa') publics.push(run('ssh-keygen', ['-e', '-m', 'PEM', '-f', path + '.pub']));
      if (type !== 'dsa') {
        const legacy = run('openssl', ['pkey', '-in', path, '-traditional', type === 'rsa' ? '-des3' : '-aes256', '-passout', `pass:${PASS}`]);
        encrypted.push({ text: legacy, headerEnd: legacy.indexOf('\n\n') + 2 });
      }
      const p8 = run('openssl', ['pkcs8', '-topk8', '-in', path, '-v2', type === 'ecdsa' ? 'des3' : 'aes-256-cbc', '-iter', '64', '-passout', `pass:${PASS}`]);
      encrypted.push({ text: p8, headerEnd: p8.indexOf('\n') + 1 });
    }
    const ed = run('openssl', ['genpkey', '-algorithm', 'ed25519']);
    plain.push({ label: 'PRIVATE KEY', der: derOf(ed) });
    publics.push(run('openssl', ['pkey', '-pubout'], { input: ed }));

    for (const [type, bits] of [['ed25519'], ['ecdsa', 384], ['rsa', 1024], ['dsa', 1024]] as [string, number?][]) {
      const base = dir.file(`${type}.ppk`);
      run('puttygen', ['-t', type, ...(bits ? ['-b', String(bits)] : []), '-C', 'fuzz', '-o', base, '--new-passphrase', empty]);
      const v2 = dir.file(`${type}.v2.ppk`);
      run('puttygen', [base, '-o', v2, '-C', 'fuzz', '--ppk-param', 'version=2']);
      const enc3 = dir.file(`${type}.enc3.ppk`);
      run('puttygen', [base, '-o', enc3, '-P', '--new-passphrase', passFile, '--ppk-param', 'passes=1,memory=32']);
      const enc2 = dir.file(`${type}.enc2.ppk`);
      run('puttygen', [base, '-o', enc2, '-P', '--new-passphrase', passFile, '--ppk-param', 'version=2']);
      for (const f of [base, v2, enc3, enc2]) ppk.push(new Uint8Array(readFileSync(f)));
      publics.push(run('puttygen', [base, '-O', 'public']));
    }
  });

  it('mutated PKCS#1 / SEC1 / DSA / PKCS#8 bodies (PEM and bare DER): KeyError or a whole key', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), mutations, async (i, ms) => {
        const { label, der: body } = plain[i % plain.length]!;
        const bad = mutate(body, ms);
        await onlyKeyError(() => parsePrivateKey(pem(label, bad)));
        await onlyKeyError(() => parsePrivateKey(bad));
        await onlyKeyError(() => parsePrivateKey(pem(label, bad), PASS));
      }),
      { numRuns: 400 },
    );
  });

  it('mutated encrypted PKCS#8 and legacy encrypted PEM (body and headers): KeyError or a whole key', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), mutations, fc.boolean(), async (i, ms, headers) => {
        const { text, headerEnd } = encrypted[i % encrypted.length]!;
        const bytes = new Uint8Array(Buffer.from(text, 'latin1'));
        const bad = latin1(headers ? mutate(bytes.subarray(0, headerEnd), ms) : mutate(bytes, ms, headerEnd)) + (headers ? text.slice(headerEnd) : '');
        await onlyKeyError(() => parsePrivateKey(bad, PASS));
        const body = derOf(text.slice(text.indexOf('\n\n') > 0 ? text.indexOf('\n\n') : 0));
        if (text.startsWith('-----BEGIN ENCRYPTED')) await onlyKeyError(() => parsePrivateKey(mutate(body, ms), PASS));
      }),
      { numRuns: 200 },
    );
  });

  it('mutated PuTTY files (v2 and v3, plain and encrypted): KeyError or a whole key', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), mutations, async (i, ms) => {
        const bad = mutate(ppk[i % ppk.length]!, ms);
        await onlyKeyError(() => parsePrivateKey(bad, PASS));
        await onlyKeyError(() => parsePrivateKey(latin1(bad)));
      }),
      { numRuns: 300 },
    );
  });

  it('mutated public key files (SPKI, PKCS#1, RFC 4716 from ssh-keygen and puttygen): KeyError only', () => {
    fc.assert(
      fc.property(fc.nat(), mutations, fc.boolean(), (i, ms, asDer) => {
        const text = publics[i % publics.length]!;
        const input = asDer && text.startsWith('-----') ? mutate(derOf(text), ms) : latin1(mutate(new Uint8Array(Buffer.from(text, 'latin1')), ms));
        try {
          parsePublicKey(input);
        } catch (e) {
          expect(e, String(e)).to.be.instanceOf(KeyError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('random DER trees under every label, and as bare DER: KeyError only', async () => {
    const leaf = fc.oneof(
      fc.bigInt({ min: 0n, max: (1n << 600n) - 1n }).map((v) => der.int(v)),
      fc.constantFrom(0n, 1n, 2n, 3n).map((v) => der.int(v)),
      fc.uint8Array({ maxLength: 70 }).map((b) => der.octets(b)),
      fc.uint8Array({ maxLength: 70 }).map((b) => der.bits(b)),
      fc.constant(der.null()),
      fc
        .constantFrom(
          '1.2.840.113549.1.1.1',
          '1.2.840.10045.2.1',
          '1.2.840.10040.4.1',
          '1.3.101.112',
          '1.2.840.10045.3.1.7',
          '1.3.132.0.35',
          '1.2.840.113549.1.5.13',
          '1.2.840.113549.1.5.12',
          '2.16.840.1.101.3.4.1.42',
          '1.2.840.113549.2.9',
        )
        .map((o) => der.oid(o)),
    );
    const tree = fc.letrec<{ node: Uint8Array }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.array(tie('node'), { maxLength: 5 }).map((kids) => der.seq(...kids)),
        fc.tuple(fc.constantFrom(0xa0, 0xa1, 0x81), tie('node')).map(([t, k]) => der.tlv(t, k)),
        tie('node').map((k) => der.octets(k)),
      ),
    })).node;
    const labels = ['RSA PRIVATE KEY', 'EC PRIVATE KEY', 'DSA PRIVATE KEY', 'PRIVATE KEY', 'ENCRYPTED PRIVATE KEY'];
    await fc.assert(
      fc.asyncProperty(fc.array(tree, { maxLength: 6 }), fc.constantFrom(...labels), async (kids, label) => {
        const body = der.seq(...kids);
        await onlyKeyError(() => parsePrivateKey(pem(label, body), PASS));
        await onlyKeyError(() => parsePrivateKey(body, PASS));
        await onlyKeyError(() => parsePublicKey(pem(label.includes('RSA') ? 'RSA PUBLIC KEY' : 'PUBLIC KEY', body)));
        await onlyKeyError(() => parsePublicKey(body));
      }),
      { numRuns: 400 },
    );
  });

  it('random text as a PuTTY file or an RFC 4716 block: KeyError only', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        for (const text of [
          `PuTTY-User-Key-File-3: ${s}`,
          `PuTTY-User-Key-File-2: ssh-ed25519\nEncryption: none\nComment: ${s}`,
          `---- BEGIN SSH2 PUBLIC KEY ----\n${s}\n---- END SSH2 PUBLIC KEY ----\n`,
        ]) {
          try {
            if (text.startsWith('PuTTY')) parsePrivateKey(text, 'x');
            else parsePublicKey(text);
          } catch (e) {
            expect(e, String(e)).to.be.instanceOf(KeyError);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
