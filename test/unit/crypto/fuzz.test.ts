/**
 * Property tests: random and mutated key blobs, signature blobs, private key files and
 * public key lines only ever produce a result or a KeyError/SshError, never another exception.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { pemDecode, pemEncode } from '../../../src/crypto/encoding.js';
import {
  parsePrivateKey,
  parsePublicKeyBlob,
  parsePublicKeyLine,
  SUPPORTED_HOSTKEY_ALGORITHMS,
  verifySignature,
  type PrivateKey,
} from '../../../src/crypto/keys/index.js';
import { KeyError, SshError } from '../../../src/errors.js';
import { Writer } from '../../../src/wire/writer.js';
import { generateKey, TempDir } from './keygen.js';

const KEY_TYPE_NAMES = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa', 'ssh-dss'];

/** Only KeyError may escape (SshError subclasses are accepted for private-key parsing). */
function onlyKeyError(fn: () => unknown, allowSshError = false): void {
  try {
    fn();
  } catch (e) {
    if (allowSshError) expect(e).to.be.instanceOf(SshError);
    else expect(e, String(e)).to.be.instanceOf(KeyError);
  }
}

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'cut'; at: number }
  | { kind: 'insert'; at: number; byte: number }
  | { kind: 'set'; at: number; byte: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.constantFrom(0, 0x7f, 0x80, 0xff) }),
);

function mutate(data: Uint8Array, ms: Mutation[]): Uint8Array {
  let d = data.slice();
  for (const m of ms) {
    if (d.length === 0) break;
    const at = m.at % d.length;
    if (m.kind === 'flip') d[at]! ^= 1 << m.bit;
    else if (m.kind === 'set') d[at] = m.byte;
    else if (m.kind === 'cut') d = d.slice(0, at);
    else d = new Uint8Array([...d.subarray(0, at), m.byte, ...d.subarray(at)]);
  }
  return d;
}

const differs = (a: Uint8Array, b: Uint8Array) => a.length !== b.length || a.some((v, i) => v !== b[i]);

describe('crypto/keys: fuzzing (fast-check)', function () {
  const dir = new TempDir();
  const keys: { key: PrivateKey; text: string }[] = [];
  const data = new TextEncoder().encode('fuzzed data');
  const sigs: { blob: Uint8Array; alg: string; sig: Uint8Array }[] = [];

  before(async () => {
    for (const [t, b] of [['ed25519'], ['ecdsa', 256], ['ecdsa', 384], ['ecdsa', 521], ['rsa', 1024], ['dsa']] as [string, number?][]) {
      const g = generateKey(dir, t, b);
      const key = parsePrivateKey(g.privateText);
      keys.push({ key, text: g.privateText });
      for (const alg of key.signatureAlgorithms) sigs.push({ blob: key.publicKey.blob, alg, sig: await key.sign(alg, data) });
    }
  });
  after(() => dir.remove());

  it('random bytes as a public key blob: KeyError only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => onlyKeyError(() => parsePublicKeyBlob(b))),
      { numRuns: 500 },
    );
  });

  it('a known type string followed by random fields: KeyError only', () => {
    const field = fc.oneof(
      fc.uint8Array({ maxLength: 140 }).map((b) => ({ s: b })),
      fc.bigInt({ min: -(1n << 1100n), max: 1n << 1100n }).map((m) => ({ m })),
      fc.constantFrom('nistp256', 'nistp384', 'nistp521', 'x').map((t) => ({ t })),
    );
    fc.assert(
      fc.property(fc.constantFrom(...KEY_TYPE_NAMES), fc.array(field, { maxLength: 5 }), (type, fields) => {
        const w = new Writer().string(type);
        for (const f of fields) {
          if ('s' in f) w.string(f.s);
          else if ('m' in f) w.mpint(f.m);
          else w.string(f.t);
        }
        onlyKeyError(() => parsePublicKeyBlob(w.finish()));
      }),
      { numRuns: 500 },
    );
  });

  it('mutated valid public key blobs: KeyError only', () => {
    fc.assert(
      fc.property(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 3 }), (i, ms) => {
        const blob = keys[i % keys.length]!.key.publicKey.blob;
        onlyKeyError(() => parsePublicKeyBlob(mutate(blob, ms)));
      }),
      { numRuns: 600 },
    );
  });

  it('mutated signature blobs never verify and never throw; any algorithm name just returns false', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        fc.constantFrom(...SUPPORTED_HOSTKEY_ALGORITHMS, 'bogus'),
        (i, ms, otherAlg) => {
          const { blob, alg, sig } = sigs[i % sigs.length]!;
          const bad = mutate(sig, ms);
          const ok = verifySignature(blob, alg, data, bad);
          expect(ok).to.equal(!differs(bad, sig));
          if (otherAlg !== alg) expect(verifySignature(blob, otherAlg, data, sig)).to.equal(false);
        },
      ),
      { numRuns: 600 },
    );
  });

  it('random signature blobs framed with the right algorithm: false, never a throw', () => {
    fc.assert(
      fc.property(fc.nat(), fc.uint8Array({ maxLength: 300 }), (i, raw) => {
        const { blob, alg } = sigs[i % sigs.length]!;
        expect(verifySignature(blob, alg, data, new Writer().string(alg).string(raw).finish())).to.equal(false);
        expect(verifySignature(blob, alg, data, raw)).to.equal(false);
      }),
      { numRuns: 400 },
    );
  });

  it('mutated OpenSSH private key files: SshError only (KeyError expected)', () => {
    fc.assert(
      fc.property(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 3 }), (i, ms) => {
        const { text } = keys[i % keys.length]!;
        const bad = pemEncode('OPENSSH PRIVATE KEY', mutate(pemDecode(text).data, ms));
        onlyKeyError(() => parsePrivateKey(bad), true);
        onlyKeyError(() => parsePrivateKey(bad));
      }),
      { numRuns: 400 },
    );
  });

  it('mutated encrypted key files (aes256-ctr and aes256-gcm, rounds field left intact): KeyError only', () => {
    const files = ['aes256-ctr', 'aes256-gcm@openssh.com'].map((cipher) => {
      const g = generateKey(dir, 'ed25519', undefined, 'pw', ['-Z', cipher, '-a', '1']);
      const body = pemDecode(g.privateText).data;
      // bytes after magic, cipher, kdf and kdf options: key count, public key, encrypted section, tag
      let at = 15;
      for (let i = 0; i < 3; i++) at += 4 + new DataView(body.buffer, body.byteOffset + at).getUint32(0);
      return { body, at };
    });
    fc.assert(
      fc.property(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 3 }), (i, ms) => {
        const { body, at } = files[i % files.length]!;
        const tail = mutate(body.subarray(at), ms);
        const bad = new Uint8Array([...body.subarray(0, at), ...tail]);
        onlyKeyError(() => parsePrivateKey(pemEncode('OPENSSH PRIVATE KEY', bad), 'pw'));
      }),
      { numRuns: 150 },
    );
  });

  it('random text as a private key or a public key line: KeyError only', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        onlyKeyError(() => parsePrivateKey(s));
        onlyKeyError(() => parsePrivateKey(`-----BEGIN OPENSSH PRIVATE KEY-----\n${s}\n-----END OPENSSH PRIVATE KEY-----\n`));
        onlyKeyError(() => parsePublicKeyLine(s));
        onlyKeyError(() => parsePublicKeyLine(`ssh-ed25519 ${s}`));
      }),
      { numRuns: 400 },
    );
  });
});
