/**
 * The PEM/PKCS#8 writers and the DER writer: every key written reads back as the same key
 * (plain and encrypted, every format), and fast-check mutations of what they write, or of an
 * openssh-key-v1 file holding a certificate, only ever give a KeyError or a whole key.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { DerReader } from '../../../src/crypto/keys/asn1/der.js';
import { derOid, derUint } from '../../../src/crypto/keys/asn1/der-writer.js';
import {
  generateKeyPair,
  parsePrivateKey,
  parsePublicKey,
  signCertificate,
  CERT_TYPE_USER,
  CERT_VALID_FOREVER,
  type KeyMaterial,
} from '../../../src/crypto/keys/index.js';
import { formatPublicKeyPem, writePemPrivateKey } from '../../../src/crypto/keys/pem-writer.js';
import { base64Decode, pemEncode } from '../../../src/crypto/encoding.js';
import { KeyError } from '../../../src/errors.js';
import { Writer } from '../../../src/wire/writer.js';

let seed = 1;
const random = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);

const keys = [
  generateKeyPair({ type: 'ed25519' }, random),
  generateKeyPair({ type: 'ecdsa', bits: 256 }, random),
  generateKeyPair({ type: 'ecdsa', bits: 521 }, random),
  generateKeyPair({ type: 'rsa', bits: 1024 }, random),
];

/** A private key read back from `text` must be whole: it signs what its public half verifies. */
async function whole(text: string | Uint8Array, passphrase?: string): Promise<void> {
  const key = parsePrivateKey(text, passphrase);
  const data = new Uint8Array([1, 2, 3]);
  const alg = key.signatureAlgorithms[0]!;
  expect(key.publicKey.verify(alg, data, await key.sign(alg, data))).to.equal(true);
}

describe('PEM and PKCS#8 key writers', () => {
  it('DER INTEGERs and OIDs encode as X.690 says and read back', () => {
    for (const v of [0n, 1n, 127n, 128n, 255n, 256n, (1n << 1024n) - 1n]) {
      expect(new DerReader(derUint(v)).uint('v')).to.equal(v);
    }
    expect(Buffer.from(derUint(128)).toString('hex')).to.equal('02020080');
    expect(Buffer.from(derOid('1.2.840.10045.3.1.7')).toString('hex')).to.equal('06082a8648ce3d030107');
    expect(new DerReader(derOid('1.3.132.0.35')).oid('o')).to.equal('1.3.132.0.35');
  });

  for (const k of keys) {
    const m: KeyMaterial = k.material;
    for (const format of ['PEM', 'PKCS8'] as const) {
      if (m.kind === 'ed25519' && format === 'PEM') continue;
      for (const pass of ['', 'secret-pass']) {
        it(`${k.privateKey.type} ${format}${pass ? ' encrypted' : ''} reads back as the same key`, async () => {
          const text = writePemPrivateKey(m, format, random, pass);
          const back = parsePrivateKey(text, pass || undefined);
          expect(back.publicKey.blob).to.deep.equal(k.privateKey.publicKey.blob);
          await whole(text, pass || undefined);
          if (pass) expect(() => parsePrivateKey(text, 'wrong-pass')).to.throw(KeyError);
        });
      }
      it(`${k.privateKey.type} public key as ${format} reads back`, () => {
        expect(parsePublicKey(formatPublicKeyPem(k.privateKey.publicKey, format)).key.blob).to.deep.equal(k.privateKey.publicKey.blob);
      });
    }
  }

  it('refuses an ed25519 key as PEM and a passphrase under 5 characters', () => {
    expect(() => writePemPrivateKey(keys[0]!.material, 'PEM', random)).to.throw(KeyError);
    expect(() => writePemPrivateKey(keys[1]!.material, 'PKCS8', random, 'abcd')).to.throw(KeyError, /too short/);
  });

  it('material() of a loaded key writes the same file bytes again', () => {
    for (const k of keys.slice(1)) {
      const text = writePemPrivateKey(k.material, 'PKCS8', random);
      const again = (parsePrivateKey(text) as unknown as { material(): KeyMaterial }).material();
      expect(writePemPrivateKey(again, 'PKCS8', random)).to.equal(text);
    }
  });

  it('fast-check: mutated PEM/PKCS#8 output (plain and encrypted) gives a KeyError or a whole key', async () => {
    const texts = keys.flatMap((k) =>
      (['PEM', 'PKCS8'] as const)
        .filter((f) => !(k.material.kind === 'ed25519' && f === 'PEM'))
        .flatMap((f) => ['', 'secret-pass'].map((p) => ({ text: writePemPrivateKey(k.material, f, random, p), pass: p }))),
    );
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }), async (which, edits) => {
        const { text, pass } = texts[which % texts.length]!;
        const lines = text.split('\n');
        const bodyAt = lines.findIndex((l, i) => i > 0 && !l.includes(': ') && l !== '');
        const der = base64Decode(lines.slice(bodyAt, -2).join(''));
        for (const [at, byte] of edits) der[at % der.length] = byte;
        const label = lines[0]!.slice(11, -5);
        const headers = lines.slice(1, bodyAt).join('\n');
        const mutated = pemEncode(label, der, 64).replace('-----\n', `-----\n${headers ? headers + '\n' : ''}`);
        try {
          await whole(mutated, pass || undefined);
        } catch (e) {
          if (!(e instanceof KeyError)) throw e;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('fast-check: a mutated openssh-key-v1 file holding a certificate gives a KeyError or a whole key', async () => {
    const ca = keys[1]!.privateKey;
    const user = keys[0]!;
    const cert = await signCertificate(
      {
        key: user.privateKey.publicKey,
        nonce: random(32),
        serial: 1n,
        certType: CERT_TYPE_USER,
        keyId: 'k',
        principals: ['p'],
        validAfter: 0n,
        validBefore: CERT_VALID_FOREVER,
        criticalOptions: [],
        extensions: [],
      },
      ca,
    );
    const m = user.material as Extract<KeyMaterial, { kind: 'ed25519' }>;
    const secret = new Uint8Array([...m.seed, ...m.point]);
    const section = new Writer(2048).u32(7).u32(7).string(cert.type).string(cert.blob).string(m.point).string(secret).string('c');
    for (let pad = 1; section.length % 8 !== 0; pad++) section.u8(pad);
    const file = new Writer(4096)
      .raw(new TextEncoder().encode('openssh-key-v1\0'))
      .string('none')
      .string('none')
      .string(new Uint8Array(0))
      .u32(1)
      .string(cert.blob)
      .string(section.finish())
      .finish()
      .slice();
    const key = parsePrivateKey(file);
    expect(key.publicKey.blob).to.deep.equal(cert.blob);
    await whole(file);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }), async (edits) => {
        const d = file.slice();
        for (const [at, byte] of edits) d[15 + (at % (d.length - 15))] = byte;
        try {
          await whole(d);
        } catch (e) {
          if (!(e instanceof KeyError)) throw e;
        }
      }),
      { numRuns: 300 },
    );
  });
});
