/**
 * Encrypted OpenSSH private keys: bcrypt_pbkdf known answers (OpenBSD regress / jBCrypt
 * vectors), Blowfish's π constants, and keys encrypted by ssh-keygen with every cipher it offers.
 */
import { expect } from 'chai';
import { bcryptPbkdf, piWords } from '../../../src/crypto/bcrypt-pbkdf.js';
import { pemDecode } from '../../../src/crypto/encoding.js';
import { parsePrivateKey, verifySignature } from '../../../src/crypto/keys/index.js';
import { KeyError } from '../../../src/errors.js';
import { Reader } from '../../../src/wire/reader.js';
import { generateKey, TempDir } from './keygen.js';

const utf8 = (s: string) => new TextEncoder().encode(s);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('crypto/bcrypt-pbkdf', () => {
  it('Blowfish constants are π: P[0], P[17], S0[0], S3[255]', () => {
    const w = piWords();
    expect(w.length).to.equal(18 + 1024);
    expect(w[0]!.toString(16)).to.equal('243f6a88');
    expect(w[1]!.toString(16)).to.equal('85a308d3');
    expect(w[17]!.toString(16)).to.equal('8979fb1b');
    expect(w[18]!.toString(16)).to.equal('d1310ba6');
    expect(w[18 + 1023]!.toString(16)).to.equal('3ac372e6');
  });

  const vectors: [string | number[], string | number[], number, string][] = [
    ['password', 'salt', 4, '5bbf0cc293587f1c3635555c27796598d47e579071bf427e9d8fbe842aba34d9'],
    ['password', 'salt', 8, 'e1367ec5151a33faac4cc1c144cd23fa15d5548493ecc99b9b5d9c0d3b27bec76227ea66088b849b20ab7aa478010246e74bba51723fefa9f9474d6508845e8d'],
    ['password', 'salt', 42, '833cf0dcf56db65608e8f0dc0ce882bd'],
    ['password', [0], 4, 'c12b566235eee04c212598970a579a67'],
    ['pass2', 'salt2', 2, Buffer.from([214, 14, 48, 162, 131, 206, 121, 176, 50, 104, 231, 252]).toString('hex')],
    [[0, 1, 102, 111, 111], [1, 2, 102, 111, 111, 111, 51], 5, Buffer.from([46, 189, 32, 185, 94, 85, 232, 10, 84, 26, 44, 161, 49, 126]).toString('hex')],
  ];
  for (const [pass, salt, rounds, expected] of vectors) {
    it(`known answer: ${JSON.stringify(pass)} / ${JSON.stringify(salt)}, ${rounds} rounds, ${expected.length / 2} bytes`, () => {
      const p = typeof pass === 'string' ? utf8(pass) : new Uint8Array(pass);
      const s = typeof salt === 'string' ? utf8(salt) : new Uint8Array(salt);
      expect(hex(bcryptPbkdf(p, s, rounds, expected.length / 2))).to.equal(expected);
    });
  }

  it('rejects zero rounds, empty salt, empty output', () => {
    expect(() => bcryptPbkdf(utf8('p'), utf8('s'), 0, 16)).to.throw(RangeError);
    expect(() => bcryptPbkdf(utf8('p'), new Uint8Array(0), 1, 16)).to.throw(RangeError);
    expect(() => bcryptPbkdf(utf8('p'), utf8('s'), 1, 0)).to.throw(RangeError);
  });
});

describe('crypto/keys: encrypted OpenSSH private keys from ssh-keygen', () => {
  const dir = new TempDir();
  after(() => dir.remove());
  const passphrase = 'correct horse battery stäple';
  const data = utf8('to be signed');

  // every cipher `ssh -Q cipher` lists except 3des-cbc
  const CIPHERS = [
    'aes128-ctr',
    'aes192-ctr',
    'aes256-ctr',
    'aes128-cbc',
    'aes192-cbc',
    'aes256-cbc',
    'aes128-gcm@openssh.com',
    'aes256-gcm@openssh.com',
    'chacha20-poly1305@openssh.com',
  ];
  for (const cipher of CIPHERS) {
    it(`${cipher}: decrypts with the passphrase; a wrong one is KEYFILE_AUTH_FAILED`, async () => {
      const gen = generateKey(dir, 'ed25519', undefined, passphrase, ['-Z', cipher, '-a', '2']);
      const r = new Reader(pemDecode(gen.privateText).data);
      r.raw(15);
      expect(r.ascii()).to.equal(cipher);
      expect(r.ascii()).to.equal('bcrypt');
      const key = parsePrivateKey(gen.privateText, passphrase);
      expect(key.comment).to.equal(gen.comment);
      expect(key.publicKey.blob).to.deep.equal(gen.publicBlob);
      expect(verifySignature(gen.publicBlob, 'ssh-ed25519', data, await key.sign('ssh-ed25519', data))).to.equal(true);
      for (const wrong of ['', 'correct horse battery staple']) {
        try {
          parsePrivateKey(gen.privateText, wrong);
          expect.fail('wrong passphrase accepted');
        } catch (e) {
          expect(e).to.be.instanceOf(KeyError);
          expect((e as KeyError).code).to.equal('KEYFILE_AUTH_FAILED');
        }
      }
    });
  }

  it('default ssh-keygen settings (aes256-ctr, 16 rounds) for RSA and ECDSA keys', () => {
    for (const [type, bits] of [
      ['rsa', 2048],
      ['ecdsa', 384],
    ] as const) {
      const gen = generateKey(dir, type, bits, passphrase);
      const key = parsePrivateKey(gen.privateText, passphrase);
      expect(key.publicKey.blob).to.deep.equal(gen.publicBlob);
      expect(() => parsePrivateKey(gen.privateText)).to.throw(KeyError, /passphrase is required/);
    }
  });

  it('a passphrase given for an unencrypted key is ignored (as OpenSSH does)', () => {
    const gen = generateKey(dir, 'ed25519');
    expect(parsePrivateKey(gen.privateText, 'anything').comment).to.equal(gen.comment);
  });
});
