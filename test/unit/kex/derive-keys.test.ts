import { expect } from 'chai';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { deriveAll, deriveKey, exchangeHash, type KeyLetter } from '../../../src/kex/index.js';
import { HOST_KEY, MAGICS, cat, expectedH, hex, sshMpint, sshString } from './helpers.js';

/** RFC 4253 §7.2, written independently with node:crypto. */
function referenceKey(algo: string, K: Uint8Array, H: Uint8Array, sid: Uint8Array, letter: string, len: number): string {
  let out = createHash(algo).update(K).update(H).update(letter).update(sid).digest();
  while (out.length < len) {
    out = Buffer.concat([out, createHash(algo).update(K).update(H).update(out).digest()]);
  }
  return out.subarray(0, len).toString('hex');
}

const HASHES = [
  { algo: 'sha1', fn: sha1 },
  { algo: 'sha256', fn: sha256 },
  { algo: 'sha512', fn: sha512 },
] as const;

const K = sshMpint(0x00ff_1234_5678_9abc_def0_1122_3344_5566_7788_99aa_bbcc_ddee_ff00n);
const H = new Uint8Array(32).map((_, i) => (i * 13 + 5) & 0xff);
const SID = new Uint8Array(32).map((_, i) => (255 - i * 3) & 0xff);

describe('deriveKey (RFC 4253 §7.2)', () => {
  for (const { algo, fn } of HASHES) {
    it(`${algo}: matches an independent computation for every letter and for lengths needing extension`, () => {
      for (const letter of ['A', 'B', 'C', 'D', 'E', 'F'] as const) {
        for (const len of [0, 1, 12, 16, 20, 32, 33, 64, 65, 100, 200]) {
          expect(hex(deriveKey(fn, K, H, SID, letter, len)), `${letter} ${len}`).to.equal(referenceKey(algo, K, H, SID, letter, len));
        }
      }
    });
  }

  it('the first block is HASH(K ‖ H ‖ "C" ‖ session_id) with K as an mpint', () => {
    const mp = sshMpint(0x80n); // 00 00 00 02 00 80
    expect(hex(mp)).to.equal('000000020080');
    const expected = createHash('sha256').update(Buffer.from('000000020080', 'hex')).update(H).update('C').update(SID).digest('hex');
    expect(hex(deriveKey(sha256, mp, H, SID, 'C', 32))).to.equal(expected);
  });

  it('a longer key extends the shorter one (prefix property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 150 }), fc.integer({ min: 0, max: 150 }), (a, b) => {
        const x = deriveKey(sha256, K, H, SID, 'D', Math.max(a, b));
        const y = deriveKey(sha256, K, H, SID, 'D', Math.min(a, b));
        return hex(x).startsWith(hex(y));
      }),
      { numRuns: 50 },
    );
  });

  it('rejects bad arguments', () => {
    expect(() => deriveKey(sha256, K, H, SID, 'G' as KeyLetter, 16)).to.throw(RangeError);
    expect(() => deriveKey(sha256, K, H, SID, 'A', -1)).to.throw(RangeError);
  });
});

describe('deriveAll', () => {
  it('maps A..F to ivCS, ivSC, keyCS, keySC, macCS, macSC with per-direction sizes', () => {
    const cs = { keyLength: 32, ivLength: 12, macKeyLength: 0 };
    const sc = { keyLength: 16, ivLength: 16, macKeyLength: 64 };
    const keys = deriveAll(sha512, K, H, SID, cs, sc);
    const ref = (l: string, n: number) => referenceKey('sha512', K, H, SID, l, n);
    expect(hex(keys.ivCS)).to.equal(ref('A', 12));
    expect(hex(keys.ivSC)).to.equal(ref('B', 16));
    expect(hex(keys.keyCS)).to.equal(ref('C', 32));
    expect(hex(keys.keySC)).to.equal(ref('D', 16));
    expect(keys.macCS.length).to.equal(0);
    expect(hex(keys.macSC)).to.equal(ref('F', 64));
  });
});

describe('exchangeHash', () => {
  it('hashes V_C, V_S, I_C, I_S, K_S as strings, then the method fields and K as given', () => {
    const fields = cat(sshString('Q_C'), sshString('Q_S'));
    expect(hex(exchangeHash(sha256, MAGICS, HOST_KEY.blob, fields, K))).to.equal(hex(expectedH('sha256', HOST_KEY.blob, fields, K)));
    expect(hex(exchangeHash(sha1, MAGICS, HOST_KEY.blob, new Uint8Array(0), K))).to.equal(hex(expectedH('sha1', HOST_KEY.blob, new Uint8Array(0), K)));
  });
});
