/**
 * Differential test: the node:crypto provider and the pure (noble) provider produce the
 * same wire bytes for every cipher and MAC they share, and each decodes the other's packets.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { poly1305 } from '@noble/ciphers/_poly1305.js';
import { poly1305FloatInto, poly1305Into } from '../../../src/crypto/poly1305.js';
import { createWasmPoly1305 } from '../../../src/crypto/wasm/poly1305.js';
import { nodeProvider } from '../../../src/crypto/node/index.js';
import { pureProvider } from '../../../src/crypto/provider.js';
import { NODE_CIPHERS, nodeHasCipher } from '../../../src/crypto/node/ciphers.js';
import { aeadTagMatches, hasChachaPolyAead, poly1305CheckWithAead } from '../../../src/crypto/node/poly1305-aead-check.js';
import { NODE_MACS } from '../../../src/crypto/node/macs.js';
import { PacketDecoder, PacketEncoder } from '../../../src/transport/codec.js';
import { CIPHERS, getCipher, keySizes } from '../../../src/transport/cipher/index.js';
import { MACS } from '../../../src/transport/mac/index.js';
import { MacError } from '../../../src/errors.js';
import type { DirectionKeys } from '../../../src/transport/protection.js';
import { eachWayWithoutWebAssembly } from '../../support/without-webassembly.js';

function keysFor(cipher: string, mac: string): DirectionKeys {
  const s = keySizes(cipher, mac);
  return {
    cipher,
    mac,
    key: new Uint8Array(randomBytes(s.keyLength)),
    iv: new Uint8Array(randomBytes(s.ivLength)),
    macKey: new Uint8Array(randomBytes(s.macKeyLength)),
  };
}

/** The same "random" padding on both sides, so the wire bytes can be compared exactly. */
function fixedRandom(): (n: number) => Uint8Array {
  let i = 0;
  return (n) => new Uint8Array(n).map(() => (i++ * 37) & 0xff);
}

const combos: [string, string][] = [];
for (const c of NODE_CIPHERS.keys()) {
  if (getCipher(c).aead) combos.push([c, '']);
  else for (const m of NODE_MACS.keys()) combos.push([c, m]);
}

describe('node:crypto provider vs pure provider', () => {
  it('implements only algorithms of the registries, and falls back to the built-in code for the rest', () => {
    expect([...NODE_CIPHERS.keys()].filter((n) => !CIPHERS.has(n))).to.deep.equal([]);
    expect([...NODE_MACS.keys()].filter((n) => !MACS.has(n))).to.deep.equal([]);
    expect(NODE_CIPHERS.size).to.equal(9);
    expect(NODE_MACS.size).to.equal(12);
    expect(nodeProvider.cipher!('aes128-ctr')).to.equal(NODE_CIPHERS.get('aes128-ctr'));
    expect(nodeProvider.cipher?.('3des-cbc')).to.equal(undefined);
    expect(nodeProvider.mac?.('hmac-ripemd160')).to.equal(undefined);
    expect(pureProvider.cipher).to.equal(undefined);
    expect(pureProvider.mac).to.equal(undefined);
    expect(Object.isFrozen(nodeProvider) && Object.isFrozen(pureProvider)).to.equal(true);
  });

  for (const [cipher, mac] of combos) {
    it(`${cipher}${mac ? ' + ' + mac : ''}: identical wire bytes, cross-decodable`, () => {
      const keys = keysFor(cipher, mac);
      const encNode = new PacketEncoder(fixedRandom(), { provider: nodeProvider, initialSequence: 0xfffffff0 });
      const encPure = new PacketEncoder(fixedRandom(), { provider: pureProvider, initialSequence: 0xfffffff0 });
      encNode.setKeys({ ...keys, key: keys.key.slice(), iv: keys.iv.slice(), macKey: keys.macKey.slice() });
      encPure.setKeys({ ...keys, key: keys.key.slice(), iv: keys.iv.slice(), macKey: keys.macKey.slice() });
      const decNode = new PacketDecoder({ provider: nodeProvider, initialSequence: 0xfffffff0 });
      const decPure = new PacketDecoder({ provider: pureProvider, initialSequence: 0xfffffff0 });
      decNode.setKeys(keys);
      decPure.setKeys(keys);
      let pieced = 0;
      for (let i = 0; i < 40; i++) {
        const payload = new Uint8Array(randomBytes(i % 8 === 0 ? 4096 + i : Math.floor(Math.random() * 40000)));
        // Every other packet through encodeParts: the pieces, joined, are the same wire bytes.
        const parts = i % 2 ? encNode.encodeParts(payload) : [encNode.encode(payload)];
        if (parts.length > 1) pieced++;
        const a = Buffer.concat(parts);
        const b = encPure.encode(payload);
        expect(Buffer.from(a).equals(Buffer.from(b)), `packet ${i} differs`).to.equal(true);
        decPure.push(a.slice());
        decNode.push(b.slice());
        expect(Buffer.from(decPure.next()!).equals(Buffer.from(payload))).to.equal(true);
        expect(Buffer.from(decNode.next()!).equals(Buffer.from(payload))).to.equal(true);
      }
      // node:crypto's AES-GCM seals bulk payloads as pieces; the others always as one buffer.
      if (cipher.startsWith('aes') && cipher.includes('gcm')) expect(pieced).to.be.greaterThan(5);
      else expect(pieced).to.equal(0);
      // A flipped bit in the last byte (tag or MAC) is caught by the node side too, in a small
      // packet and in a bulk one (chacha20-poly1305 checks those through OpenSSL's AEAD).
      for (const size of [4, 20000]) {
        const enc = new PacketEncoder(fixedRandom(), { provider: pureProvider });
        enc.setKeys({ ...keys, key: keys.key.slice(), iv: keys.iv.slice(), macKey: keys.macKey.slice() });
        const dec = new PacketDecoder({ provider: nodeProvider });
        dec.setKeys({ ...keys, key: keys.key.slice(), iv: keys.iv.slice(), macKey: keys.macKey.slice() });
        const bad = enc.encode(new Uint8Array(size).fill(5));
        bad[bad.length - 1]! ^= 1;
        dec.push(bad);
        expect(() => dec.next(), `${size}-byte payload`).to.throw(MacError);
      }
    });
  }
});

/**
 * The transport's receive path: chunks that sit back to back in one buffer (slab reads),
 * decrypted in place, chunks handed back through `release` once no payload is a view of
 * them. Scribbling over every released chunk must not change any payload already returned.
 */
describe('PacketDecoder in place, with release (slab reads)', () => {
  const cases: [string, string][] = [
    ['aes128-gcm@openssh.com', ''],
    ['chacha20-poly1305@openssh.com', ''],
    ['aes128-ctr', 'hmac-sha2-256-etm@openssh.com'],
    ['aes128-ctr', 'hmac-sha2-256'],
    ['aes256-cbc', 'hmac-sha1'],
  ];
  for (const [cipher, mac] of cases) {
    for (const [label, provider] of [
      ['node', nodeProvider],
      ['pure', pureProvider],
    ] as const) {
      it(`${cipher}${mac ? ' + ' + mac : ''} (${label})`, () => {
        const keys = keysFor(cipher, mac);
        const enc = new PacketEncoder(fixedRandom(), { provider: pureProvider });
        enc.setKeys({ ...keys, key: keys.key.slice(), iv: keys.iv.slice(), macKey: keys.macKey.slice() });
        const payloads: Uint8Array[] = [];
        const wire: Uint8Array[] = [];
        for (let i = 0; i < 60; i++) {
          const p = new Uint8Array(randomBytes(1 + Math.floor(Math.random() * 70000)));
          payloads.push(p);
          wire.push(enc.encode(p));
        }
        const slab = new Uint8Array(wire.reduce((a, w) => a + w.length, 0));
        let at = 0;
        for (const w of wire) {
          slab.set(w, at);
          at += w.length;
        }
        const released: Uint8Array[] = [];
        const dec = new PacketDecoder({ provider, inPlace: true, release: (c) => released.push(c), maxPacketLength: 256 * 1024 });
        dec.setKeys(keys);
        const got: Uint8Array[] = [];
        let releasedBytes = 0;
        let off = 0;
        while (off < slab.length) {
          const n = Math.min(slab.length - off, 1 + Math.floor(Math.random() * 90000));
          dec.push(slab.subarray(off, off + n));
          off += n;
          for (let p = dec.next(); p; p = dec.next()) got.push(p);
          for (const c of released.splice(0)) {
            releasedBytes += c.length;
            c.fill(0xaa);
          }
        }
        // node:crypto AES-GCM and CTR hand back new buffers: their chunks must come back.
        if (label === 'node' && (cipher.includes('gcm') || mac.includes('etm'))) expect(releasedBytes).to.be.greaterThan(slab.length / 2);
        expect(got.length).to.equal(payloads.length);
        for (let i = 0; i < got.length; i++) expect(Buffer.from(got[i]!).equals(Buffer.from(payloads[i]!)), `payload ${i}`).to.equal(true);
        expect(dec.buffered).to.equal(0);
      });
    }
  }
});

const wasmPoly1305 = createWasmPoly1305()!;

for (const [label, impl] of [
  ['floating point, crypto/poly1305.ts', poly1305FloatInto],
  ['WebAssembly, crypto/wasm/poly1305.ts', wasmPoly1305],
  ['selected, poly1305Into', poly1305Into],
] as const) {
  describe(`Poly1305 (${label}) vs noble`, () => {
    it('RFC 8439 §2.5.2 vector', () => {
      const key = Buffer.from('85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b', 'hex');
      const out = new Uint8Array(16);
      impl(new TextEncoder().encode('Cryptographic Forum Research Group'), key, out);
      expect(Buffer.from(out).toString('hex')).to.equal('a8061dc1305136c6c22b8baf0c0127a9');
    });

    it('RFC 8439 A.3 edge vectors (h ≥ p at the end, carries into 2^130, s overflow)', () => {
      const vectors: [string, string, string][] = [
        ['02' + '00'.repeat(31), 'ff'.repeat(16), '03' + '00'.repeat(15)],
        ['02' + '00'.repeat(15) + 'ff'.repeat(16), '02' + '00'.repeat(15), '03' + '00'.repeat(15)],
        ['01' + '00'.repeat(31), 'ff'.repeat(16) + 'f0' + 'ff'.repeat(15) + '11' + '00'.repeat(15), '05' + '00'.repeat(15)],
        ['01' + '00'.repeat(31), 'ff'.repeat(16) + 'fb' + 'fe'.repeat(15) + '01'.repeat(16), '00'.repeat(16)],
        ['02' + '00'.repeat(31), 'fd' + 'ff'.repeat(15), 'fa' + 'ff'.repeat(15)],
      ];
      for (const [key, msg, tag] of vectors) {
        const out = new Uint8Array(16);
        impl(Buffer.from(msg, 'hex'), Buffer.from(key, 'hex'), out);
        expect(Buffer.from(out).toString('hex'), msg).to.equal(tag);
      }
    });

    it('equals noble on random and extreme keys and messages of every length 0..300, 32 KiB and beyond one kernel chunk', () => {
      const lengths = [...Array(301).keys(), 32768, 32768 + 5, 65536 - 1, 262144, 262144 + 17, 600001];
      for (const [i, n] of lengths.entries()) {
        const key = new Uint8Array(randomBytes(32));
        if (i % 3 === 0) key.fill(0xff, 0, 16);
        if (i % 4 === 0) key.fill(0xff, 16);
        const msg = new Uint8Array(randomBytes(n));
        if (i % 5 === 0) msg.fill(0xff);
        const out = new Uint8Array(20);
        impl(msg, key, out, 2);
        expect(Buffer.from(out.subarray(2, 18)).toString('hex'), `length ${n}`).to.equal(Buffer.from(poly1305(msg, key)).toString('hex'));
      }
    });

    it('equals noble on arbitrary inputs (fast-check)', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 2000 }), (key, msg) => {
          const out = new Uint8Array(16);
          impl(msg, key, out);
          return Buffer.from(out).equals(Buffer.from(poly1305(msg, key)));
        }),
        { numRuns: 500 },
      );
    });
  });
}

describe('WebAssembly Poly1305 selection', () => {
  it('is what poly1305Into uses on Node', () => {
    expect(wasmPoly1305).to.not.equal(undefined);
    expect(poly1305Into).to.not.equal(poly1305FloatInto);
  });

  it('is absent (so the float version is used) where the runtime has no WebAssembly or refuses to compile', () => {
    eachWayWithoutWebAssembly((how) => expect(createWasmPoly1305(), how).to.equal(undefined));
  });
});

/**
 * chacha20-poly1305@openssh.com's tag checked through OpenSSL's ChaCha20-Poly1305 AEAD
 * (src/crypto/node/poly1305-aead-check.ts), against noble's Poly1305 under the one-time key
 * OpenSSH derives: block 0 of ChaCha20(K_2) with nonce BE64(seq).
 */
describe('Poly1305 tag check through the ChaCha20-Poly1305 AEAD', () => {
  /** The check's inputs for key K_2 and `seq`, and the tag noble computes for `msg`. */
  function oneTimeKey(key: Uint8Array, seq: number, msg: Uint8Array): { nonce: Buffer; words: Uint32Array; tag: Uint8Array } {
    const iv = Buffer.alloc(16);
    iv.writeUInt32BE(seq >>> 0, 12);
    const polyKey = createCipheriv('chacha20', key, iv).update(Buffer.alloc(32));
    const words = new Uint32Array(8).map((_, i) => polyKey.readUInt32LE(4 * i));
    const nonce = Buffer.alloc(12);
    nonce.writeUInt32BE(seq >>> 0, 8);
    return { nonce, words, tag: poly1305(msg, polyKey) };
  }

  it('this Node has the AEAD and ChaCha20', () => {
    expect([hasChachaPolyAead(), nodeHasCipher('chacha20-poly1305@openssh.com'), nodeHasCipher('aes128-ctr')]).to.deep.equal([true, true, true]);
  });

  it('accepts the right tag and refuses any flipped tag or message bit, for every length mod 16 and packet sizes', () => {
    const lengths = [...Array(81).keys(), 12288, 12292, 12300, 32768 + 4, 32768 + 12, 262144 + 4];
    for (let round = 0; round < 4; round++) {
      for (const n of lengths) {
        const key = new Uint8Array(randomBytes(32));
        const seq = round === 0 ? 0xffffffff : randomBytes(4).readUInt32BE();
        const msg = new Uint8Array(randomBytes(n));
        const { nonce, words, tag } = oneTimeKey(key, seq, msg);
        expect(poly1305CheckWithAead(key, nonce, msg, words, tag), `length ${n}`).to.equal(true);
        const badTag = tag.slice();
        badTag[randomBytes(1)[0]! % 16]! ^= 1 << (randomBytes(1)[0]! % 8);
        expect(poly1305CheckWithAead(key, nonce, msg, words, badTag), `length ${n}, flipped tag`).to.equal(false);
        if (n > 0) {
          const badMsg = msg.slice();
          badMsg[randomBytes(4).readUInt32BE() % n]! ^= 0x80;
          expect(poly1305CheckWithAead(key, nonce, badMsg, words, tag), `length ${n}, flipped message`).to.equal(false);
        }
        // The tag of the same message under the next sequence number's key.
        expect(poly1305CheckWithAead(key, nonce, msg, words, oneTimeKey(key, seq + 1, msg).tag)).to.equal(false);
      }
    }
  });

  /**
   * The candidates' arithmetic written out from the derivation in poly1305-aead-check.ts
   * for tag T and one-time key (r, s): the AEAD tag each candidate h gives, and whether
   * that h lies below p (only those count).
   */
  const P = (1n << 130n) - 5n;
  const M128 = (1n << 128n) - 1n;
  /** The one-time key (r clamped, s) in the eight little-endian words the check takes. */
  function rs(words: Uint32Array): { r: bigint; s: bigint } {
    const big = (i: number): bigint => BigInt(words[i]!) | (BigInt(words[i + 1]!) << 32n) | (BigInt(words[i + 2]!) << 64n) | (BigInt(words[i + 3]!) << 96n);
    return { r: big(0) & 0x0ffffffc0ffffffc0ffffffc0fffffffn, s: big(4) };
  }
  /** Δ for a message of n bytes: 2^128 - 2^(8k), k = n mod 16 (0 when k = 0). */
  const deltaFor = (n: number): bigint => (n % 16 === 0 ? 0n : (1n << 128n) - (1n << BigInt(8 * (n % 16))));
  function referenceAeadTags(words: Uint32Array, tag: Uint8Array, n: number): { aeadTag: bigint; valid: boolean }[] {
    const le = (b: Uint8Array): bigint => [...b].reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n);
    const { r, s } = rs(words);
    const delta = deltaFor(n);
    const low = (le(tag) - s) & M128;
    const tags: { aeadTag: bigint; valid: boolean }[] = [];
    for (let j = 0n; j < 4n; j++) {
      const h = low + (j << 128n);
      tags.push({ aeadTag: (((r * ((h + delta * r + BigInt(n) + (1n << 128n)) % P)) % P) + s) & M128, valid: h < P });
    }
    return tags;
  }
  const tagBytes = (v: bigint): Uint8Array => new Uint8Array(16).map((_, i) => Number((v >> BigInt(8 * i)) & 0xffn));

  it('decides as the derivation does for any key, tag, length and AEAD tag, at the edges of 2^128 and p too (fast-check)', () => {
    const edgeLows = [0n, 1n, (1n << 128n) - 6n, (1n << 128n) - 5n, (1n << 128n) - 1n, (1n << 126n) - 1n];
    fc.assert(
      fc.property(
        fc.uint32Array({ minLength: 8, maxLength: 8 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.integer({ min: 0, max: 1 << 20 }),
        fc.integer({ min: -1, max: 3 }),
        fc.integer({ min: -1, max: edgeLows.length - 1 }),
        (words, randomTag, n, pick, edge) => {
          let tag: Uint8Array = randomTag;
          if (edge >= 0) {
            // T = low + s mod 2^128 for an edge value of low
            tag = tagBytes((edgeLows[edge]! + rs(words).s) & M128);
          }
          const candidates = referenceAeadTags(words, tag, n);
          const aeadTag = pick >= 0 ? tagBytes(candidates[pick]!.aeadTag) : randomTag.map((b) => b ^ 0x5a);
          const expected = candidates.filter((c) => c.valid && Buffer.from(tagBytes(c.aeadTag)).equals(Buffer.from(aeadTag))).length === 1;
          return aeadTagMatches(words, tag, n, aeadTag) === expected;
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('reduces a candidate that lands on p + v to v (v < 5)', () => {
    // A tag chosen so that candidate j's AEAD accumulator is v: the sum that reaches it is p + v.
    const modPow = (b: bigint, e: bigint): bigint => {
      let result = 1n;
      for (let x = b % P; e > 0n; e >>= 1n, x = (x * x) % P) if (e & 1n) result = (result * x) % P;
      return result;
    };
    let found = 0;
    for (let trial = 0; found < 40 && trial < 1000; trial++) {
      const words = new Uint32Array(new Uint8Array(randomBytes(32)).buffer);
      const n = randomBytes(2).readUInt16BE();
      const { r, s } = rs(words);
      const v = BigInt(trial % 5);
      const j = BigInt(1 + (trial % 3));
      // h_A = r·(h + Δ·r + c_L) = v with h = low + j·2^128, so low = v·r⁻¹ - j·2^128 - Δ·r - c_L (mod p)
      const low = (((v * modPow(r, P - 2n) - (j << 128n) - deltaFor(n) * r - BigInt(n) - (1n << 128n)) % P) + 2n * P) % P;
      if (low >= 1n << 128n || low + (j << 128n) >= P) continue;
      found++;
      const tag = tagBytes((low + s) & M128);
      expect(aeadTagMatches(words, tag, n, tagBytes((v + s) & M128)), `v ${v}, j ${j}`).to.equal(true);
    }
    expect(found).to.equal(40);
  });

  it('agrees with noble on arbitrary inputs (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.uint8Array({ maxLength: 3000, size: 'max' }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (key, seq, msg, other) => {
          const { nonce, words, tag } = oneTimeKey(key, seq, msg);
          const otherIsRight = Buffer.from(other).equals(Buffer.from(tag));
          return poly1305CheckWithAead(key, nonce, msg, words, tag) && poly1305CheckWithAead(key, nonce, msg, words, other) === otherIsRight;
        },
      ),
      { numRuns: 300 },
    );
  });
});
