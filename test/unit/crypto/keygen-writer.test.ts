/**
 * Key generation and the openssh-key-v1 writer: generated keys of every type round-trip through
 * the writer and our reader (plain and encrypted), sign and verify; bad sizes and passphrases
 * give KeyError; ssh-keygen's -V validity syntax.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { formatValidity, parseValidity } from '../../../src/cli/ssh-keygen.js';
import { CERT_VALID_FOREVER, generateKeyPair, parsePrivateKey, writeOpenSSHPrivateKey, type KeyGenSpec } from '../../../src/crypto/keys/index.js';
import { KeyError } from '../../../src/errors.js';
import { keygen, TempDir } from './keygen.js';
import { writeFileSync } from 'node:fs';

const random = (n: number) => new Uint8Array(randomBytes(n));

describe('crypto/keys: generation and the openssh-key-v1 writer', function () {
  this.timeout(120_000);
  const dir = new TempDir();
  after(() => dir.remove());
  const data = new TextEncoder().encode('signed data');

  const specs: KeyGenSpec[] = [
    { type: 'ed25519' },
    { type: 'ecdsa', bits: 256 },
    { type: 'ecdsa', bits: 384 },
    { type: 'ecdsa', bits: 521 },
    { type: 'rsa', bits: 1024 },
  ];
  for (const spec of specs) {
    it(`${spec.type}${spec.bits ? `-${spec.bits}` : ''}: written, read back (plain and encrypted), signs; ssh-keygen -y agrees`, async () => {
      const { privateKey, material } = generateKeyPair({ ...spec, comment: 'gen test' }, random);
      for (const passphrase of ['', 'pw']) {
        const text = writeOpenSSHPrivateKey(material, 'gen test', random, { passphrase, rounds: 2 });
        expect(text.startsWith('-----BEGIN OPENSSH PRIVATE KEY-----\n')).to.equal(true);
        expect(
          text
            .split('\n')
            .slice(1, -3)
            .every((l) => l.length === 70),
        ).to.equal(true);
        const back = parsePrivateKey(text, passphrase || undefined);
        expect(back.publicKey.blob).to.deep.equal(privateKey.publicKey.blob);
        expect(back.comment).to.equal('gen test');
        const alg = back.signatureAlgorithms[0]!;
        expect(privateKey.publicKey.verify(alg, data, await back.sign(alg, data))).to.equal(true);
        const path = dir.file(`${spec.type}${spec.bits ?? ''}${passphrase}`);
        writeFileSync(path, text, { mode: 0o600 });
        expect(keygen(['-y', '-P', passphrase, '-f', path]).split(' ').slice(0, 2)).to.deep.equal([
          privateKey.publicKey.type,
          Buffer.from(privateKey.publicKey.blob).toString('base64'),
        ]);
        if (passphrase) expect(() => parsePrivateKey(text, 'wrong')).to.throw(KeyError);
      }
    });
  }

  it('RSA keys have exactly the asked size and e = 65537', () => {
    const { material } = generateKeyPair({ type: 'rsa', bits: 1536 }, random);
    if (material.kind !== 'rsa') throw new Error('not rsa');
    expect(material.n.toString(2).length).to.equal(1536);
    expect(material.e).to.equal(65537n);
    expect(material.p * material.q).to.equal(material.n);
  });

  it('bad sizes and types are KeyErrors', () => {
    expect(() => generateKeyPair({ type: 'ecdsa', bits: 255 }, random)).to.throw(KeyError, 'Invalid ECDSA key length');
    expect(() => generateKeyPair({ type: 'rsa', bits: 512 }, random)).to.throw(KeyError, 'Invalid RSA key length');
    expect(() => generateKeyPair({ type: 'dsa' } as unknown as KeyGenSpec, random)).to.throw(KeyError, 'unknown key type');
    const { material } = generateKeyPair({ type: 'ed25519' }, random);
    expect(() => writeOpenSSHPrivateKey(material, '', random, { passphrase: 'x', rounds: 0 })).to.throw(KeyError, 'bcrypt rounds');
  });

  it('-V validity as ssh-keygen parses and prints it', () => {
    const now = Date.UTC(2026, 0, 15, 12, 0, 30) / 1000;
    // backdated to the minute before now - 59 s, as ssh-keygen does
    expect(parseValidity('+1h', now)).to.deep.equal([BigInt(now - 90), BigInt(now + 3600)]);
    expect(parseValidity('-5m:+1d', now)).to.deep.equal([BigInt(now - 300), BigInt(now + 86400)]);
    expect(parseValidity('always:forever', now)).to.deep.equal([0n, CERT_VALID_FOREVER]);
    expect(parseValidity('20200101000000Z:20300101Z', now)).to.deep.equal([BigInt(Date.UTC(2020, 0, 1) / 1000), BigInt(Date.UTC(2030, 0, 1) / 1000)]);
    expect(() => parseValidity('+1h:', now)).to.throw('Invalid certificate life specification +1h:');
    expect(() => parseValidity('+2h:+1h', now)).to.throw('Empty certificate validity interval');
    expect(formatValidity(0n, CERT_VALID_FOREVER)).to.equal('forever');
    expect(formatValidity(0n, 100n)).to.match(/^before \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  });
});
