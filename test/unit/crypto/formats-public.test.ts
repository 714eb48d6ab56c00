/**
 * Public key files: RFC 4716 (`ssh-keygen -e`, `puttygen -O public`, hand-written headers and
 * continuations), PEM "PUBLIC KEY" / "RSA PUBLIC KEY" (`ssh-keygen -e -m PKCS8|PEM`,
 * `openssl pkey -pubout`), bare DER, and the OpenSSH line, all through parsePublicKey; our
 * RFC 4716 output is read back by `ssh-keygen -i`.
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { formatPublicKeyRfc4716, parsePrivateKey, parsePublicKey } from '../../../src/crypto/keys/index.js';
import { parseRfc4716 } from '../../../src/crypto/keys/rfc4716.js';
import { Writer } from '../../../src/wire/writer.js';
import { b64, der, expectKeyError, lineBlob, pem, run, runBytes, TempDir } from './formats-helpers.js';

const TYPES: [string, number?][] = [['ed25519'], ['ecdsa', 256], ['ecdsa', 384], ['ecdsa', 521], ['rsa', 2048], ['rsa', 4096], ['dsa']];

describe('crypto/keys formats: public key files', function () {
  const dir = new TempDir();
  after(() => dir.remove());
  const keys: { name: string; path: string; line: string; blob: Uint8Array }[] = [];
  before(() => {
    for (const [type, bits] of TYPES) {
      const name = bits ? `${type}-${bits}` : type;
      const path = dir.file(name);
      run('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', String(bits)] : []), '-N', '', '-C', `me@${name}`, '-f', path]);
      const line = readFileSync(path + '.pub', 'utf8').trim();
      keys.push({ name, path, line, blob: lineBlob(line) });
    }
  });

  it('OpenSSH one-line form, as text and bytes', () => {
    for (const k of keys) {
      const { key, comment } = parsePublicKey(k.line + '\n');
      expect(b64(key.blob)).to.equal(b64(k.blob));
      expect(comment).to.equal(`me@${k.name}`);
      expect(b64(parsePublicKey(new TextEncoder().encode(k.line)).key.blob)).to.equal(b64(k.blob));
    }
  });

  it('RFC 4716 from ssh-keygen -e (every type): blob and Comment', () => {
    for (const k of keys) {
      const out = run('ssh-keygen', ['-e', '-f', k.path + '.pub']);
      expect(out.split('\n')[0]).to.equal('---- BEGIN SSH2 PUBLIC KEY ----');
      const { key, comment } = parsePublicKey(out);
      expect(b64(key.blob), k.name).to.equal(b64(k.blob));
      expect(comment).to.equal(/^Comment: "(.*)"$/m.exec(out)![1]);
      expect(comment).to.match(/converted by .* from OpenSSH/);
      // also with CRLF and CR line ends
      expect(b64(parsePublicKey(out.replace(/\n/g, '\r\n')).key.blob)).to.equal(b64(k.blob));
      expect(b64(parsePublicKey(out.replace(/\n/g, '\r')).key.blob)).to.equal(b64(k.blob));
    }
  });

  it('our RFC 4716 output: byte-identical to ssh-keygen -e for a short comment, read back by ssh-keygen -i', () => {
    for (const k of keys) {
      const { key } = parsePublicKey(k.line);
      const theirs = run('ssh-keygen', ['-e', '-f', k.path + '.pub']);
      const comment = /^Comment: "(.*)"$/m.exec(theirs)![1]!;
      const ours = formatPublicKeyRfc4716(key, comment);
      if (comment.length + 11 <= 72) expect(ours).to.equal(theirs);
      // a long comment is continued with "\" (RFC 4716 §3.3); ssh-keygen -i must still read it
      const long = formatPublicKeyRfc4716(key, `${'x'.repeat(100)} end`);
      expect(long.split('\n').every((l) => l.length <= 72)).to.equal(true);
      expect(parseRfc4716(long).comment).to.equal(`${'x'.repeat(100)} end`);
      for (const [i, text] of [ours, long].entries()) {
        const file = dir.file(`${k.name}.${i}.rfc4716`);
        writeFileSync(file, text);
        expect(lineBlob(run('ssh-keygen', ['-i', '-f', file]))).to.deep.equal(k.blob);
      }
    }
  });

  it('RFC 4716 from puttygen -O public (every PuTTY key type)', () => {
    for (const [type, bits] of [['ed25519'], ['ecdsa', 384], ['rsa', 2048], ['dsa', 1024]] as [string, number?][]) {
      const ppk = dir.file(`${type}.ppk`);
      const empty = dir.file('empty');
      writeFileSync(empty, '');
      run('puttygen', ['-t', type, ...(bits ? ['-b', String(bits)] : []), '-C', `putty ${type}`, '-o', ppk, '--new-passphrase', empty]);
      const out = run('puttygen', [ppk, '-O', 'public']);
      const { key, comment } = parsePublicKey(out);
      expect(comment).to.equal(`putty ${type}`);
      expect(b64(key.blob)).to.equal(b64(lineBlob(run('puttygen', [ppk, '-O', 'public-openssh']))));
      expect(b64(parsePrivateKey(readFileSync(ppk)).publicKey.blob)).to.equal(b64(key.blob));
    }
  });

  it('RFC 4716 headers: continuation lines, x- and Subject tags, unquoted comment, text around the block', () => {
    const k = keys[0]!;
    const body = b64(k.blob).replace(/.{1,64}/g, '$&\n');
    const text =
      "garbage before\n---- BEGIN SSH2 PUBLIC KEY ----\nSubject: me\nx-command: /home/me/bin/lock-in-guest.sh\nComment: This is my public key for use on \\\nservers which I don't like.\nx-empty:\n" +
      body +
      '---- END SSH2 PUBLIC KEY ----\ntrailing\n';
    const r = parseRfc4716(text);
    expect(b64(r.blob)).to.equal(b64(k.blob));
    expect(r.comment).to.equal("This is my public key for use on servers which I don't like.");
    expect(r.headers.map((h) => h.tag)).to.deep.equal(['Subject', 'x-command', 'Comment', 'x-empty']);
    expect(r.headers[1]!.value).to.equal('/home/me/bin/lock-in-guest.sh');
    expect(parsePublicKey(text).comment).to.equal(r.comment);
  });

  it('RFC 4716 errors: missing END, bad base64, bad tag, continuation past the end, unknown key type', () => {
    const k = keys[0]!;
    const ok = formatPublicKeyRfc4716(parsePublicKey(k.line).key, 'c');
    expectKeyError(() => parsePublicKey(ok.replace('---- END SSH2 PUBLIC KEY ----', '')), 'FILE', /END/);
    expectKeyError(() => parsePublicKey(ok.replace(/^AAAA/m, 'AA!A')), 'FILE', /base64/);
    expectKeyError(() => parsePublicKey(ok.replace('Comment:', 'Com ment:')), 'FILE', /tag/);
    expectKeyError(() => parsePublicKey(ok.replace(/^Comment: .*$/m, 'Comment: a \\')), 'FILE');
    expectKeyError(() => parsePublicKey(ok.replace(/\n[A-Za-z0-9+/=\n]+---- END/, '\nAAAA---- END')), 'FILE');
    const unknown = new Writer().string('ssh-foo').string('x').finish();
    const text = `---- BEGIN SSH2 PUBLIC KEY ----\n${b64(unknown)}\n---- END SSH2 PUBLIC KEY ----\n`;
    expectKeyError(() => parsePublicKey(text), 'ALGO_UNSUPPORTED', /ssh-foo/);
    expectKeyError(() => formatPublicKeyRfc4716(parsePublicKey(k.line).key, 'two\nlines'), 'FILE');
  });

  it('PEM "PUBLIC KEY" (ssh-keygen -e -m PKCS8) and "RSA PUBLIC KEY" (-m PEM), as text and DER', () => {
    for (const k of keys.filter((x) => x.name !== 'ed25519')) {
      const p8 = run('ssh-keygen', ['-e', '-m', 'PKCS8', '-f', k.path + '.pub']);
      expect(p8.split('\n')[0]).to.equal('-----BEGIN PUBLIC KEY-----');
      expect(b64(parsePublicKey(p8).key.blob), k.name).to.equal(b64(k.blob));
      const derFile = dir.file(`${k.name}.spki.pem`);
      writeFileSync(derFile, p8);
      expect(b64(parsePublicKey(runBytes('openssl', ['pkey', '-pubin', '-in', derFile, '-outform', 'DER'])).key.blob)).to.equal(b64(k.blob));
      const p1 = run('ssh-keygen', ['-e', '-m', 'PEM', '-f', k.path + '.pub']);
      if (k.name.startsWith('rsa')) {
        expect(p1.split('\n')[0]).to.equal('-----BEGIN RSA PUBLIC KEY-----');
        expect(b64(parsePublicKey(p1).key.blob)).to.equal(b64(k.blob));
        expect(b64(parsePublicKey(new Uint8Array(Buffer.from(p1.replace(/-----[^-]+-----|\s/g, ''), 'base64'))).key.blob)).to.equal(b64(k.blob));
      }
    }
  });

  it('openssl pkey -pubout: ed25519 (RFC 8410) and compressed EC points', () => {
    const ed = dir.file('ossl-ed25519.pem');
    run('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', ed]);
    const pub = run('openssl', ['pkey', '-in', ed, '-pubout']);
    const key = parsePublicKey(pub).key;
    expect(key.type).to.equal('ssh-ed25519');
    expect(b64(key.blob)).to.equal(b64(parsePrivateKey(readFileSync(ed, 'utf8')).publicKey.blob));
    const ec = keys.find((k) => k.name === 'ecdsa-384')!;
    const ecPem = dir.file('ec.pem');
    writeFileSync(ecPem, run('ssh-keygen', ['-e', '-m', 'PKCS8', '-f', ec.path + '.pub']));
    const compressed = run('openssl', ['ec', '-pubin', '-in', ecPem, '-pubout', '-conv_form', 'compressed']);
    expect(Buffer.from(compressed.replace(/-----[^-]+-----|\s/g, ''), 'base64').length).to.equal(2 + 18 + 3 + 49); // SEQUENCE { AlgorithmIdentifier, BIT STRING { 0, 02|03 ‖ X } }
    expect(b64(parsePublicKey(compressed).key.blob)).to.equal(b64(ec.blob));
  });

  it('PEM public key errors: unknown label FILE, unknown algorithm ALGO_UNSUPPORTED, point off the curve FILE', () => {
    expectKeyError(() => parsePublicKey(pem('CERTIFICATE', der.seq())), 'FILE', /CERTIFICATE/);
    const x448 = run('openssl', ['pkey', '-pubout'], { input: run('openssl', ['genpkey', '-algorithm', 'x448']) });
    expectKeyError(() => parsePublicKey(x448), 'ALGO_UNSUPPORTED', /X448/);
    const badPoint = new Uint8Array(65);
    badPoint[0] = 4;
    badPoint[64] = 7;
    const spki = der.seq(der.seq(der.oid('1.2.840.10045.2.1'), der.oid('1.2.840.10045.3.1.7')), der.bits(badPoint));
    expectKeyError(() => parsePublicKey(pem('PUBLIC KEY', spki)), 'FILE', /not on the curve/);
    const k1 = der.seq(der.seq(der.oid('1.2.840.10045.2.1'), der.oid('1.3.132.0.10')), der.bits(badPoint));
    expectKeyError(() => parsePublicKey(pem('PUBLIC KEY', k1)), 'ALGO_UNSUPPORTED', /curve/);
  });
});
