/**
 * KRLs (PROTOCOL.krl): lists written by the real ssh-keygen -k are read and checked as
 * ssh-keygen -Q checks them; ours read back the same; fuzzed lists give KeyError only.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { Certificate, parsePublicKeyLine, type PublicKey } from '../../../src/crypto/keys/index.js';
import { Writer } from '../../../src/wire/writer.js';
import { isRevoked, parseKrl, writeKrl } from '../../../src/crypto/keys/krl.js';
import { KeyError } from '../../../src/errors.js';
import { generateKey, keygen, TempDir } from './keygen.js';

describe('crypto/keys: KRL', function () {
  this.timeout(60_000);
  const dir = new TempDir();
  after(() => dir.remove());
  let krlBytes: Uint8Array;
  const cases: { path: string; key: PublicKey }[] = [];

  /** ssh-keygen -Q: exit 1 when revoked, 0 when not */
  const opensshSaysRevoked = (krl: string, path: string): boolean => {
    try {
      execFileSync('ssh-keygen', ['-Q', '-f', krl, path], { stdio: 'pipe' });
      return false;
    } catch (e) {
      if ((e as { status?: number }).status === 1) return true;
      throw e;
    }
  };

  before(() => {
    const ca = generateKey(dir, 'ed25519');
    const plain = generateKey(dir, 'ecdsa', 256);
    for (const [serial, id] of [
      [1, 'one'],
      [5, 'five'],
      [17, 'seventeen'],
      [30, 'thirty'],
      [0, 'by-id'],
      [0, 'kept'],
      [99, 'ninety-nine'],
    ] as const) {
      const k = generateKey(dir, 'ed25519');
      keygen(['-q', '-s', ca.path, '-I', id, '-z', String(serial), k.path + '.pub']);
      cases.push({ path: `${k.path}-cert.pub`, key: parsePublicKeyLine(readFileSync(`${k.path}-cert.pub`, 'utf8')).key });
    }
    cases.push({ path: plain.path + '.pub', key: parsePublicKeyLine(plain.publicLine).key });
    const spec = dir.file('spec');
    writeFileSync(spec, ['serial: 1', 'serial: 4-6', 'serial: 10-20', 'serial: 30', 'id: by-id', plain.publicLine].join('\n') + '\n');
    keygen(['-q', '-k', '-f', dir.file('krl'), '-s', ca.path + '.pub', spec]);
    krlBytes = new Uint8Array(readFileSync(dir.file('krl')));
  });

  it("reads ssh-keygen -k's KRL and checks keys and certificates as ssh-keygen -Q does", () => {
    const krl = parseKrl(krlBytes);
    const ours = cases.map((c) => isRevoked(krl, c.key));
    expect(ours).to.deep.equal(cases.map((c) => opensshSaysRevoked(dir.file('krl'), c.path)));
    expect(ours).to.deep.equal([true, true, true, true, true, false, false, true]);
  });

  it('our writer says the same; ssh-keygen -Q reads it alike', () => {
    const again = writeKrl(parseKrl(krlBytes));
    writeFileSync(dir.file('krl2'), again);
    const krl = parseKrl(again);
    for (const c of cases) expect(isRevoked(krl, c.key), c.path).to.equal(opensshSaysRevoked(dir.file('krl2'), c.path));
  });

  it("a revoked CA key revokes the certificates it signed, and serials under 'any CA' apply, as ssh-keygen -Q says", () => {
    const cert = cases[1]!.key as Certificate; // serial 5
    const empty = { version: 0n, generatedDate: 0n, certificates: [], keys: [], sha1: [], sha256: [] };
    const byCa = writeKrl({ ...empty, keys: [cert.signatureKey.blob] });
    const anyCa = writeKrl({ ...empty, certificates: [{ caBlob: null, serials: [[5n, 5n]], keyIds: [] }] });
    for (const [name, bytes] of [
      ['krl-ca', byCa],
      ['krl-any', anyCa],
    ] as const) {
      writeFileSync(dir.file(name), bytes);
      expect(opensshSaysRevoked(dir.file(name), cases[1]!.path), name).to.equal(true);
      expect(isRevoked(parseKrl(bytes), cert), name).to.equal(true);
      expect(isRevoked(parseKrl(bytes), cases[0]!.key), `${name}, serial 1`).to.equal(name === 'krl-ca');
    }
  });

  it('a serial bitmap is read as runs: one range for a run of set bits, whatever its length', () => {
    const cert = cases[1]!.key as Certificate;
    const section = (bitmap: Uint8Array): Uint8Array => {
      const sub = new Writer(64).u64(3n).string(bitmap).finish();
      return new Writer(64).string(cert.signatureKey.blob).string(new Uint8Array(0)).u8(0x22).string(sub).finish();
    };
    const header = writeKrl({ version: 0n, generatedDate: 0n, certificates: [], keys: [], sha1: [], sha256: [] });
    const krlWith = (bitmap: Uint8Array): Uint8Array => new Writer(256).raw(header).u8(1).string(section(bitmap)).finish();
    // 0b0000_1011: serials 3, 4 and 6
    expect(parseKrl(krlWith(Uint8Array.of(0x0b))).certificates[0]!.serials).to.deep.equal([
      [3n, 4n],
      [6n, 6n],
    ]);
    // 128 KiB of set bits (with mpint's leading zero byte): one range, serials 3 .. 3 + 2^20 - 1, 5 among them
    const ones = new Uint8Array(128 * 1024 + 1).fill(0xff);
    ones[0] = 0;
    const krl = parseKrl(krlWith(ones));
    expect(krl.certificates[0]!.serials).to.deep.equal([[3n, 3n + (1n << 20n) - 1n]]);
    expect(isRevoked(krl, cert)).to.equal(true);
    expect(() => parseKrl(krlWith(Uint8Array.of(0x80)))).to.throw(KeyError, /negative/);
  });

  it('fuzzed KRLs give a KRL or a KeyError, never another exception', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), cut: fc.boolean() }), { minLength: 1, maxLength: 4 }), (ms) => {
        let d = krlBytes.slice();
        for (const m of ms) {
          if (d.length === 0) break;
          const at = m.at % d.length;
          if (m.cut) d = d.slice(0, at);
          else d[at] = m.byte;
        }
        try {
          const krl = parseKrl(d);
          for (const c of cases) isRevoked(krl, c.key);
        } catch (e) {
          expect(e, String(e)).to.be.instanceOf(KeyError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
