import { expect } from 'chai';
import fc from 'fast-check';
import { createCipheriv } from 'node:crypto';
import { SshError } from '../../../src/errors.js';
import { Cbc64, ecbDecryptBlock, ecbEncryptBlock } from '../../../src/crypto/primitives/block64.js';
import { Des, TripleDes, __TABLES } from '../../../src/crypto/primitives/des.js';
import { opensslEnc, requireOpensslLegacy } from './primitives-openssl.js';

const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

function ecb(c: Des | TripleDes, data: Uint8Array, decrypt = false): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i += 8) (decrypt ? ecbDecryptBlock : ecbEncryptBlock)(c, data, i, out, i);
  return out;
}

/** Deterministic pseudo-random bytes (xorshift32), so failures reproduce. */
function bytes(seed: number, n: number): Uint8Array {
  let x = seed >>> 0 || 1;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe('crypto/primitives/des: FIPS 46-3 tables', () => {
  it('every S-box row is a permutation of 0..15; IP, P, PC-1, PC-2 are proper selections', () => {
    const { IP, P, PC1, PC2, SHIFTS, S } = __TABLES;
    expect(S).to.have.length(8);
    for (const box of S) {
      for (let row = 0; row < 4; row++) expect([...box.slice(row * 16, row * 16 + 16)].sort((a, b) => a - b)).to.deep.equal([...Array(16).keys()]);
    }
    expect([...IP].sort((a, b) => a - b)).to.deep.equal([...Array(64).keys()].map((i) => i + 1));
    expect([...P].sort((a, b) => a - b)).to.deep.equal([...Array(32).keys()].map((i) => i + 1));
    // PC-1 drops exactly the parity bits 8, 16, ..., 64
    expect([...PC1].sort((a, b) => a - b)).to.deep.equal([...Array(64).keys()].map((i) => i + 1).filter((n) => n % 8 !== 0));
    expect(new Set(PC2).size).to.equal(48);
    expect(PC2.every((n) => n >= 1 && n <= 56)).to.equal(true);
    expect(SHIFTS.reduce((a, b) => a + b, 0)).to.equal(28); // C and D come back to where they started
  });
});

describe('crypto/primitives/des: known answers', () => {
  it('FIPS 81 Appendix B: "Now is the time for all " in ECB and CBC (key 0123456789abcdef)', () => {
    const key = unhex('0123456789abcdef');
    const plain = ascii('Now is the time for all ');
    expect(hex(ecb(new Des(key), plain))).to.equal('3fa40e8a984d4815' + '6a271787ab8883f9' + '893d51ec4b563b53');
    const data = plain.slice();
    new Cbc64(new Des(key), unhex('1234567890abcdef')).encrypt(data);
    expect(hex(data)).to.equal('e5c7cdde872bf27c' + '43e934008c389c0f' + '683788499a7c05f6');
    new Cbc64(new Des(key), unhex('1234567890abcdef')).decrypt(data);
    expect(data).to.deep.equal(plain);
  });

  it('NIST SP 800-17 variable-plaintext and variable-key known answers', () => {
    const vp: [string, string][] = [
      ['8000000000000000', '95f8a5e5dd31d900'],
      ['4000000000000000', 'dd7f121ca5015619'],
      ['2000000000000000', '2e8653104f3834ea'],
      ['0000000000000001', '166b40b44aba4bd6'],
    ];
    const zeroKey = new Des(unhex('0101010101010101'));
    for (const [p, c] of vp) {
      expect(hex(ecb(zeroKey, unhex(p))), p).to.equal(c);
      expect(hex(ecb(zeroKey, unhex(c), true)), c).to.equal(p);
    }
    const vk: [string, string][] = [
      ['8001010101010101', '95a8d72813daa94d'],
      ['4001010101010101', '0eec1487dd8c26d5'],
      ['0101010101010102', '869efd7f9f265a09'],
    ];
    for (const [k, c] of vk) expect(hex(ecb(new Des(unhex(k)), new Uint8Array(8))), k).to.equal(c);
  });

  it('parity bits do not matter (PC-1 ignores them)', () => {
    const a = new Des(unhex('0123456789abcdef'));
    const b = new Des(unhex('0022446688aaccee'));
    const p = bytes(1, 64);
    expect(hex(ecb(a, p))).to.equal(hex(ecb(b, p)));
  });

  it('NIST SP 800-67 Rev. 1 example: TDEA ECB, three keys ("The qufck brown fox jump")', () => {
    const t = new TripleDes(unhex('0123456789abcdef' + '23456789abcdef01' + '456789abcdef0123'));
    const c = ecb(t, ascii('The qufck brown fox jump'));
    expect(hex(c)).to.equal('a826fd8ce53b855f' + 'cce21c8112256fe6' + '68d5c05dd9b6b900');
    expect(new TextDecoder().decode(ecb(t, c, true))).to.equal('The qufck brown fox jump');
  });

  it('3DES with K1 = K2 = K3 is single DES (EDE keying option 3)', () => {
    const k = bytes(7, 8);
    const p = bytes(8, 80);
    expect(hex(ecb(new TripleDes(new Uint8Array([...k, ...k, ...k])), p))).to.equal(hex(ecb(new Des(k), p)));
  });

  it('rejects keys of the wrong length with SshError INVAL', () => {
    for (const n of [0, 7, 9, 16])
      expect(() => new Des(new Uint8Array(n)), String(n))
        .to.throw(SshError)
        .with.property('code', 'INVAL');
    for (const n of [8, 16, 23, 25, 32])
      expect(() => new TripleDes(new Uint8Array(n)), String(n))
        .to.throw(SshError)
        .with.property('code', 'INVAL');
    expect(() => new Cbc64(new Des(new Uint8Array(8)), new Uint8Array(16))).to.throw(SshError);
    expect(() => new Cbc64(new Des(new Uint8Array(8)), new Uint8Array(8)).encrypt(new Uint8Array(12)))
      .to.throw(SshError)
      .with.property('code', 'BAD_USE');
  });

  it('decrypt inverts encrypt (fast-check, 3DES-CBC)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 24, maxLength: 24 }), fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.nat(40), (key, iv, blocks) => {
        const plain = bytes(blocks + 1, blocks * 8);
        const data = plain.slice();
        new Cbc64(new TripleDes(key), iv).encrypt(data);
        new Cbc64(new TripleDes(key), iv).decrypt(data);
        expect(hex(data)).to.equal(hex(plain));
      }),
      { numRuns: 50 },
    );
  });
});

describe('crypto/primitives/des: cross-checked with OpenSSL on random inputs', () => {
  before(requireOpensslLegacy);

  it('des-ede3-cbc (the 3des-cbc cipher): openssl enc and node:crypto, both directions, chained calls', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const key = bytes(seed * 3, 24);
      const iv = bytes(seed * 5, 8);
      const plain = bytes(seed * 7, 8 * (1 + ((seed * 37) % 512)));
      const expected = opensslEnc('des-ede3-cbc', key, iv, plain);
      const n = createCipheriv('des-ede3-cbc', key, iv).setAutoPadding(false);
      expect(hex(new Uint8Array(Buffer.concat([n.update(plain), n.final()]))), `node, seed ${seed}`).to.equal(hex(expected));
      // our CBC, fed in uneven whole-block pieces: the chain carries across calls
      const enc = new Cbc64(new TripleDes(key), iv);
      const data = plain.slice();
      const cut = 8 * Math.floor(plain.length / 24);
      enc.encrypt(data.subarray(0, cut));
      enc.encrypt(data.subarray(cut));
      expect(hex(data), `seed ${seed}`).to.equal(hex(expected));
      expect(hex(opensslEnc('des-ede3-cbc', key, iv, data, true))).to.equal(hex(plain));
      new Cbc64(new TripleDes(key), iv).decrypt(data);
      expect(hex(data)).to.equal(hex(plain));
    }
  });

  it('single DES, ECB and CBC (legacy provider)', () => {
    for (let seed = 1; seed <= 6; seed++) {
      const key = bytes(seed * 11, 8);
      const iv = bytes(seed * 13, 8);
      const plain = bytes(seed * 17, 8 * (1 + seed * 9));
      expect(hex(ecb(new Des(key), plain)), `ecb ${seed}`).to.equal(hex(opensslEnc('des-ecb', key, null, plain)));
      const data = plain.slice();
      new Cbc64(new Des(key), iv).encrypt(data);
      expect(hex(data), `cbc ${seed}`).to.equal(hex(opensslEnc('des-cbc', key, iv, plain)));
    }
  });

  it('3DES ECB on 64 KiB of random data in one call', () => {
    const key = bytes(99, 24);
    const plain = bytes(100, 65536);
    expect(hex(ecb(new TripleDes(key), plain))).to.equal(hex(opensslEnc('des-ede3-ecb', key, null, plain)));
  });
});
