/**
 * The one-block ChaCha20 (src/crypto/chacha20-block.ts) against noble's chacha20orig, and the
 * node:crypto chacha20-poly1305@openssh.com opener that uses it at sequence numbers of every
 * byte width (the nonce is BE64(seq)) against the pure sealer.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { chacha20orig } from '@noble/ciphers/chacha.js';
import { chachaBlock, chachaKeyWords } from '../../../src/crypto/chacha20-block.js';
import { nodeProvider } from '../../../src/crypto/node/index.js';
import { pureProvider } from '../../../src/crypto/provider.js';
import { PacketDecoder, PacketEncoder } from '../../../src/transport/codec.js';

function blockBytes(key: Uint8Array, counter: number, nonce: Uint8Array): Uint8Array {
  const out = new Uint32Array(16);
  const le = (o: number) => (nonce[o]! | (nonce[o + 1]! << 8) | (nonce[o + 2]! << 16) | (nonce[o + 3]! << 24)) >>> 0;
  chachaBlock(chachaKeyWords(key), counter, le(0), le(4), out);
  return new Uint8Array(out.buffer);
}

describe('chachaBlock (one ChaCha20 block, DJB layout)', () => {
  it('equals noble chacha20orig on arbitrary keys, counters and nonces (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        // noble refuses the last counter value (its block would be followed by an overflow)
        fc.nat({ max: 0xfffffffe }),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        (key, counter, nonce) => {
          const want = chacha20orig(key, nonce, new Uint8Array(64), undefined, counter);
          expect(Buffer.from(blockBytes(key, counter, nonce)).equals(Buffer.from(want))).to.equal(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects a key that is not 32 bytes', () => {
    expect(() => chachaKeyWords(new Uint8Array(31))).to.throw(RangeError);
  });
});

describe('chacha20-poly1305@openssh.com opened with node:crypto at every sequence-number width', () => {
  for (const start of [0, 0xf0, 0xfff0, 0xfffff0, 0x7ffffff0, 0xfffffff0]) {
    it(`sequence numbers from 0x${start.toString(16)}`, () => {
      const key = new Uint8Array(randomBytes(64));
      const keys = { cipher: 'chacha20-poly1305@openssh.com', mac: 'none', key, iv: new Uint8Array(0), macKey: new Uint8Array(0) };
      const enc = new PacketEncoder((n) => new Uint8Array(randomBytes(n)), { provider: pureProvider, initialSequence: start });
      enc.setKeys({ ...keys, key: key.slice() });
      const dec = new PacketDecoder({ provider: nodeProvider, initialSequence: start, inPlace: true });
      dec.setKeys({ ...keys, key: key.slice() });
      for (let i = 0; i < 32; i++) {
        const payload = new Uint8Array(randomBytes(1 + ((i * 977) % 5000)));
        dec.push(enc.encode(payload));
        const got = dec.next();
        expect(got && Buffer.from(got).equals(Buffer.from(payload)), `packet ${i}`).to.equal(true);
      }
      // A flipped tag bit is refused.
      const bad = enc.encode(new Uint8Array([1, 2, 3]));
      bad[bad.length - 1]! ^= 1;
      dec.push(bad);
      expect(() => dec.next()).to.throw();
    });
  }
});
