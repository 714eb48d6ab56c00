/**
 * The openssh-key-v1 container (PROTOCOL.key): integrity checks, refusal of other formats,
 * encrypted keys, and the one-line public key form.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { pemDecode, pemEncode } from '../../../src/crypto/encoding.js';
import { parsePrivateKey, parsePublicKeyLine } from '../../../src/crypto/keys/index.js';
import { KeyError } from '../../../src/errors.js';
import { Reader } from '../../../src/wire/reader.js';
import { Writer } from '../../../src/wire/writer.js';
import { generateKey, keygen, TempDir, type GeneratedKey } from './keygen.js';

interface Container {
  cipher: string;
  kdf: string;
  kdfOptions: Uint8Array;
  count: number;
  publicBlob: Uint8Array;
  section: Uint8Array;
}

function split(text: string): Container {
  const r = new Reader(pemDecode(text).data);
  r.raw(15);
  const c = { cipher: r.ascii(), kdf: r.ascii(), kdfOptions: r.string(), count: r.u32(), publicBlob: r.string(), section: r.string() };
  r.end();
  return c;
}

function join(c: Container, extraPublic: Uint8Array[] = []): string {
  const w = new Writer().raw(new TextEncoder().encode('openssh-key-v1\0')).string(c.cipher).string(c.kdf).string(c.kdfOptions).u32(c.count);
  w.string(c.publicBlob);
  for (const p of extraPublic) w.string(p);
  w.string(c.section);
  return pemEncode('OPENSSH PRIVATE KEY', w.finish());
}

/** Rebuild an unencrypted private section: check ints, body (type fields + comment), padding. */
function section(check1: number, check2: number, body: Uint8Array, pad?: number[]): Uint8Array {
  const w = new Writer().u32(check1).u32(check2).raw(body);
  const padding = pad ?? Array.from({ length: (8 - (w.length % 8)) % 8 }, (_, i) => i + 1);
  for (const b of padding) w.u8(b);
  return w.finish().slice();
}

function body(c: Container): { check: number; body: Uint8Array } {
  const r = new Reader(c.section);
  const check = r.u32();
  r.u32();
  const rest = r.rest();
  // strip padding: trailing bytes 1..n
  let end = rest.length;
  const n = rest[end - 1]!;
  if (n > 0 && n < 8 && rest.subarray(end - n).every((b, i) => b === i + 1)) end -= n;
  return { check, body: rest.slice(0, end) };
}

function expectKeyError(fn: () => unknown, code: string, message?: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(KeyError);
    expect((e as KeyError).code).to.equal(code);
    if (message) expect((e as Error).message).to.match(message);
    return;
  }
  expect.fail('expected a KeyError');
}

describe('crypto/keys: OpenSSH private key container', () => {
  const dir = new TempDir();
  let ed: GeneratedKey;
  let ec: GeneratedKey;
  before(() => {
    ed = generateKey(dir, 'ed25519');
    ec = generateKey(dir, 'ecdsa', 256);
  });
  after(() => dir.remove());

  it('the rebuilding helpers are faithful (unchanged container parses)', () => {
    const c = split(ed.privateText);
    const b = body(c);
    const rebuilt = join({ ...c, section: section(b.check, b.check, b.body) });
    expect(parsePrivateKey(rebuilt).comment).to.equal(ed.comment);
  });

  it('rejects differing check integers', () => {
    const c = split(ed.privateText);
    const b = body(c);
    expectKeyError(() => parsePrivateKey(join({ ...c, section: section(b.check, b.check ^ 1, b.body) })), 'FILE', /check integers/);
  });

  it('rejects wrong padding; accepts a whole extra block of it, as OpenSSH does (puttygen writes such files)', () => {
    const c = split(ed.privateText);
    const b = body(c);
    const need = (8 - ((8 + b.body.length) % 8)) % 8 || 8;
    const wrong = Array.from({ length: need }, (_, i) => (i === need - 1 ? 9 : i + 1));
    expectKeyError(() => parsePrivateKey(join({ ...c, section: section(b.check, b.check, b.body, wrong) })), 'FILE', /padding|block size/);
    const full = Array.from({ length: need + 8 }, (_, i) => i + 1);
    expect(parsePrivateKey(join({ ...c, section: section(b.check, b.check, b.body, full) })).comment).to.equal(ed.comment);
    const short = Array.from({ length: need + 1 }, (_, i) => i + 1);
    expectKeyError(() => parsePrivateKey(join({ ...c, section: section(b.check, b.check, b.body, short) })), 'FILE', /block size/);
  });

  it('rejects a public key that does not match the private one, and key counts other than 1', () => {
    const c = split(ed.privateText);
    const other = split(generateKey(dir, 'ed25519').privateText);
    expectKeyError(() => parsePrivateKey(join({ ...c, publicBlob: other.publicBlob })), 'FILE', /does not match/);
    expectKeyError(() => parsePrivateKey(join({ ...c, count: 2 }, [c.publicBlob])), 'FILE', /exactly one key/);
    expectKeyError(() => parsePrivateKey(join({ ...c, count: 0 })), 'FILE');
  });

  it('rejects an inconsistent private key (ecdsa scalar for another point)', () => {
    const a = split(ec.privateText);
    const b = split(generateKey(dir, 'ecdsa', 256).privateText);
    // keep a's type, curve and point but take b's scalar: parse both bodies
    const ra = new Reader(body(a).body);
    const rb = new Reader(body(b).body);
    const [ta, ca, qa] = [ra.string(), ra.string(), ra.string()];
    [rb.string(), rb.string(), rb.string()];
    const mixed = new Writer().string(ta).string(ca).string(qa).string(rb.string()).string('x').finish();
    expectKeyError(() => parsePrivateKey(join({ ...a, section: section(7, 7, mixed) })), 'FILE', /inconsistent/);
  });

  it('rejects an unknown key type with ALGO_UNSUPPORTED', () => {
    const c = split(ed.privateText);
    const fake = new Writer().string('ssh-ed448').string(new Uint8Array(57)).string('c').finish();
    expectKeyError(() => parsePrivateKey(join({ ...c, section: section(1, 1, fake) })), 'ALGO_UNSUPPORTED', /ssh-ed448/);
  });

  it('rejects a bad magic and trailing data after the container', () => {
    const data = pemDecode(ed.privateText).data.slice();
    data[3]! ^= 0x20;
    expectKeyError(() => parsePrivateKey(pemEncode('OPENSSH PRIVATE KEY', data)), 'FILE', /openssh-key-v1/);
    const longer = new Uint8Array([...pemDecode(ed.privateText).data, 0]);
    expectKeyError(() => parsePrivateKey(pemEncode('OPENSSH PRIVATE KEY', longer)), 'FILE', /trailing/);
  });

  it('encrypted key: KEYFILE_AUTH_FAILED without a passphrase, ALGO_UNSUPPORTED for an unknown cipher', () => {
    const enc = generateKey(dir, 'ed25519', undefined, 'correct horse');
    expect(split(enc.privateText).cipher).to.equal('aes256-ctr');
    expectKeyError(() => parsePrivateKey(enc.privateText), 'KEYFILE_AUTH_FAILED', /passphrase/);
    const c = split(enc.privateText);
    expectKeyError(() => parsePrivateKey(join({ ...c, cipher: '3des-cbc' }), 'x'), 'ALGO_UNSUPPORTED', /3des-cbc/);
    expectKeyError(() => parsePrivateKey(join({ ...c, kdf: 'scrypt' }), 'x'), 'ALGO_UNSUPPORTED', /scrypt/);
    const hostile = new Writer()
      .string(new Uint8Array(16))
      .u32(1 << 30)
      .finish();
    expectKeyError(() => parsePrivateKey(join({ ...c, kdfOptions: hostile }), 'x'), 'FILE', /rounds/);
  });

  // PEM, PKCS#8 and PuTTY keys are read too: see formats-*.test.ts
  it('ssh.com and unknown formats are refused, and a broken PuTTY file is FILE, with a KeyError naming the format', () => {
    expectKeyError(() => parsePrivateKey('PuTTY-User-Key-File-3: ssh-ed25519\n'), 'FILE', /PuTTY/);
    expectKeyError(() => parsePrivateKey('---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nx\n'), 'ALGO_UNSUPPORTED', /ssh\.com/);
    expectKeyError(() => parsePrivateKey('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'), 'FILE', /CERTIFICATE/);
    expectKeyError(() => parsePrivateKey(''), 'FILE');
  });

  it('accepts the raw binary body and text bytes', () => {
    const data = pemDecode(ed.privateText).data;
    expect(parsePrivateKey(data).comment).to.equal(ed.comment);
    expect(parsePrivateKey(new Uint8Array(readFileSync(ed.path))).comment).to.equal(ed.comment);
  });

  it('parsePublicKeyLine: comments with spaces, no comment, and errors', () => {
    const [type, b64] = ed.publicLine.split(' ');
    expect(parsePublicKeyLine(`${type} ${b64} two words  here `).comment).to.equal('two words  here');
    expect(parsePublicKeyLine(`  ${type}\t${b64}`).comment).to.equal('');
    expectKeyError(() => parsePublicKeyLine(`ssh-rsa ${b64}`), 'FILE', /says "ssh-rsa"/);
    expectKeyError(() => parsePublicKeyLine(`${type}`), 'FILE');
    expectKeyError(() => parsePublicKeyLine(`${type} ${b64!.slice(0, -4)}`), 'FILE');
    expectKeyError(() => parsePublicKeyLine(`${type} not*base64`), 'FILE', /base64/);
    // a fingerprint of the blob ssh-keygen agrees with (sanity of the line decoding)
    expect(keygen(['-l', '-f', ed.path + '.pub'])).to.contain(ed.comment);
  });
});
