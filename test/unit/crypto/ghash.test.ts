import { expect } from 'chai';
import { ghash } from '@noble/ciphers/_polyval.js';
import { Ghash } from '../../../src/crypto/ghash.js';
import { hex, prng, unhex } from '../transport/helpers.js';

describe('crypto/ghash (SP 800-38D §6.4, table built once per key)', () => {
  it('gives the GCM specification’s test case 2 tag (K = 0^128, P = 0^128)', () => {
    // McGrew–Viega, "The Galois/Counter Mode of Operation", test case 2: H = E(K, 0^128),
    // C = 0388dace60b6a392f328c2b971b2fe78, E(K, Y0) = 58e2fccefa7e3061367f1d57a4e7455a,
    // T = GHASH(H, {}, C) XOR E(K, Y0) = ab6e47d42cec13bdf53a67b21257bddf.
    const g = new Ghash(unhex('66e94bd4ef8a2c3b884cfa59ca342b2e'));
    g.update(unhex('0388dace60b6a392f328c2b971b2fe78'));
    g.block(0, 0, 0, 128); // len(A) = 0, len(C) = 128 bits
    const t = new Uint8Array(16);
    g.digestInto(t);
    const ey0 = unhex('58e2fccefa7e3061367f1d57a4e7455a');
    for (let i = 0; i < 16; i++) t[i]! ^= ey0[i]!;
    expect(hex(t)).to.equal('ab6e47d42cec13bdf53a67b21257bddf');
  });

  it('equals noble’s GHASH for random keys and lengths, and reset() starts a new message', () => {
    const rng = prng(0x38d);
    for (let i = 0; i < 60; i++) {
      const key = rng.bytes(16);
      const msg = rng.bytes(rng.int(300));
      const g = new Ghash(key);
      g.update(rng.bytes(40)); // a message before, thrown away
      g.reset();
      g.update(msg);
      const out = new Uint8Array(20);
      g.digestInto(out, 4);
      expect(hex(out.subarray(4)), `message of ${msg.length} bytes`).to.equal(hex(ghash(msg, key)));
    }
  });

  it('rejects a key that is not 16 bytes; dispose() zeroes the state', () => {
    expect(() => new Ghash(new Uint8Array(15))).to.throw(RangeError);
    const g = new Ghash(new Uint8Array(16).fill(1));
    g.update(new Uint8Array(16).fill(2));
    g.dispose();
    const out = new Uint8Array(16).fill(9);
    g.digestInto(out);
    expect(hex(out)).to.equal('00'.repeat(16));
  });
});
