import { expect } from 'chai';
import { SshError } from '../../../src/errors.js';
import { Rc4 } from '../../../src/crypto/primitives/rc4.js';
import { opensslEnc, python, requireOpensslLegacy } from './primitives-openssl.js';

const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

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

function keystream(key: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  new Rc4(key).process(out);
  return out;
}

/** RFC 6229 §2: keystream bytes at the listed offsets, 16 at each. */
const RFC6229: Record<string, [number, string][]> = {
  '0102030405': [[0, 'b2396305f03dc027ccc3524a0a1118a8']],
  '0102030405060708': [[0, '97ab8a1bf0afb96132f2f67258da15a8']],
  '0102030405060708090a0b0c0d0e0f10': [
    [0, '9ac7cc9a609d1ef7b2932899cde41b97'],
    [16, '5248c4959014126a6e8a84f11d1a9e1c'],
    [240, '065902e4b620f6cc36c8589f66432f2b'],
    [256, 'd39d566bc6bce30107681515 49f3873f'],
    [496, 'b6d1e6c4a5e4771cad79538df295fb11'],
    [512, 'c68c1d5c559a974123df1dbc52a43b89'],
    [752, 'c5ecf88de897fd57fed301701b82a259'],
    [768, 'eccbe13de1fcc91c11a0b26c0bc8fa4d'],
    [1008, 'e7a72574f8782ae26aabcf9ebcd66065'],
    [1024, 'bdf0324e6083dcc6d3cedd3ca8c53c16'],
    [1520, 'b40110c4190b5622a96116b0017ed297'],
    [1536, 'ffa0b514647ec04f6306b892ae661181'],
    [2032, 'd03d1bc03cd33d70dff9fa5d71963ebd'],
    [2048, '8a44126411eaa78bd51e8d87a8879bf5'],
    [3056, 'fabeb76028ade2d0e48722e46c4615a3'],
    [3072, 'c05d88abd50357f935a63c59ee537623'],
    [4080, 'ff38265c1642c1abe8d3c2fe5e572bf8'],
    [4096, 'a36a4c301ae8ac13610ccbc12256cacc'],
  ],
  '0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20': [
    [0, 'eaa6bd25880bf93d3f5d1e4ca2611d91'],
    [16, 'cfa45c9f7e714b54bdfa80027cb14380'],
    [240, '114ae344ded71b35f2e60febad727fd8'],
    [256, '02e1e7056b0f623900496422943e97b6'],
    [496, '91cb93c787964e10d9527d999c6f936b'],
    [512, '49b18b42f8e8367cbeb5ef104ba1c7cd'],
    [752, '87084b3ba700bade955610672745b374'],
    [768, 'e7a7b9e9ec540d5ff43bdb12792d1b35'],
    [1008, 'c799b596738f6b018c76c74b1759bd90'],
    [1024, '7fec5bfd9f9b89ce6548309092d7e958'],
    [1520, '40f250b26d1f096a4afd4c340a588815'],
    [1536, '3e34135c79db010200767651cf263073'],
    [2032, 'f656abccf88dd827027b2ce917d464ec'],
    [2048, '18b62503bfbc077fbabb98f20d98ab34'],
    [3056, '8aed95ee5b0dcbfbef4eb21d3a3f52f9'],
    [3072, '625a1ab00ee39a5327346bddb01a9c18'],
    [4080, 'a13a7c79c7e119b5ab0296ab28c300b9'],
    [4096, 'f3e4c0a2e02d1d01f7f0a74618af2b48'],
  ],
};

describe('crypto/primitives/rc4', () => {
  it('RFC 6229 keystreams (40-, 64-, 128- and 256-bit keys, offsets 0..4096)', () => {
    for (const [key, rows] of Object.entries(RFC6229)) {
      const ks = keystream(unhex(key), 4112);
      for (const [off, want] of rows) expect(hex(ks.subarray(off, off + 16)), `key ${key.length * 4} bits, offset ${off}`).to.equal(want.replace(/\s/g, ''));
    }
  });

  it('skip(1536) then process gives RFC 6229 offset 1536 (RFC 4345 arcfour128/256)', () => {
    for (const key of ['0102030405060708090a0b0c0d0e0f10', '0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20']) {
      const rc4 = new Rc4(unhex(key));
      rc4.skip(1536);
      const out = new Uint8Array(16);
      rc4.process(out);
      expect(hex(out)).to.equal(RFC6229[key]!.find(([o]) => o === 1536)![1]);
    }
  });

  it('one keystream across calls of any size; processing twice restores the data', () => {
    const key = bytes(1, 16);
    const data = bytes(2, 10000);
    const whole = data.slice();
    new Rc4(key).process(whole);
    const pieces = data.slice();
    const rc4 = new Rc4(key);
    for (let off = 0, n = 1; off < pieces.length; off += n, n = ((n * 7) % 997) + 1) rc4.process(pieces.subarray(off, off + n));
    expect(hex(pieces)).to.equal(hex(whole));
    new Rc4(key).process(whole);
    expect(hex(whole)).to.equal(hex(data));
  });

  it('rejects bad keys and skip counts; dispose zeroes the state', () => {
    for (const n of [0, 257])
      expect(() => new Rc4(new Uint8Array(n)))
        .to.throw(SshError)
        .with.property('code', 'INVAL');
    expect(() => new Rc4(new Uint8Array(16)).skip(-1)).to.throw(SshError);
    const rc4 = new Rc4(bytes(3, 16));
    rc4.dispose();
    const out = new Uint8Array(8);
    rc4.process(out); // all-zero S: the keystream is all zero
    expect(hex(out)).to.equal('00'.repeat(8));
  });
});

describe('crypto/primitives/rc4: cross-checked with OpenSSL on random inputs', () => {
  before(requireOpensslLegacy);

  it('openssl enc -rc4 with 16-byte keys (arcfour, arcfour128)', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const key = bytes(seed * 3, 16);
      const plain = bytes(seed * 7, 1 + ((seed * 997) % 9000));
      const data = plain.slice();
      new Rc4(key).process(data);
      expect(hex(data), `seed ${seed}`).to.equal(hex(opensslEnc('rc4', key, null, plain)));
    }
  });

  it('32-byte keys (arcfour256) against python3-cryptography (OpenSSL) ARC4', () => {
    const key = bytes(77, 32);
    const plain = bytes(78, 5000);
    const theirs = python(
      'from cryptography.hazmat.primitives.ciphers import Cipher, algorithms\nprint(Cipher(algorithms.ARC4(h("k")), None).encryptor().update(h("p")).hex())',
      { k: key, p: plain },
    );
    const data = plain.slice();
    new Rc4(key).process(data);
    expect(hex(data)).to.equal(hex(theirs));
  });
});
