/**
 * Differential test: the node:crypto provider and the pure (noble) provider produce the
 * same wire bytes for every cipher and MAC they share, and each decodes the other's packets.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { nodeProvider } from '../../../src/crypto/node/index.js';
import { pureProvider } from '../../../src/crypto/provider.js';
import { NODE_CIPHERS } from '../../../src/crypto/node/ciphers.js';
import { NODE_MACS } from '../../../src/crypto/node/macs.js';
import { PacketDecoder, PacketEncoder } from '../../../src/transport/codec.js';
import { keySizes } from '../../../src/transport/cipher/index.js';
import { MacError } from '../../../src/errors.js';
import type { DirectionKeys } from '../../../src/transport/protection.js';

function keysFor(cipher: string, mac: string): DirectionKeys {
  const s = keySizes(cipher, mac);
  return { cipher, mac, key: new Uint8Array(randomBytes(s.keyLength)), iv: new Uint8Array(randomBytes(s.ivLength)), macKey: new Uint8Array(randomBytes(s.macKeyLength)) };
}

/** The same "random" padding on both sides, so the wire bytes can be compared exactly. */
function fixedRandom(): (n: number) => Uint8Array {
  let i = 0;
  return (n) => new Uint8Array(n).map(() => (i++ * 37) & 0xff);
}

const combos: [string, string][] = [];
for (const c of NODE_CIPHERS) {
  if (c.aead) combos.push([c.name, '']);
  else for (const m of NODE_MACS) combos.push([c.name, m.name]);
}

describe('node:crypto provider vs pure provider', () => {
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
      for (let i = 0; i < 40; i++) {
        const payload = new Uint8Array(randomBytes(Math.floor(Math.random() * 40000)));
        const a = encNode.encode(payload);
        const b = encPure.encode(payload);
        expect(Buffer.from(a).equals(Buffer.from(b)), `packet ${i} differs`).to.equal(true);
        decPure.push(a.slice());
        decNode.push(b.slice());
        expect(Buffer.from(decPure.next()!).equals(Buffer.from(payload))).to.equal(true);
        expect(Buffer.from(decNode.next()!).equals(Buffer.from(payload))).to.equal(true);
      }
      // A flipped bit in the last byte (tag or MAC) is caught by the node side too.
      const bad = encPure.encode(new Uint8Array([5, 1, 2, 3]));
      bad[bad.length - 1]! ^= 1;
      decNode.push(bad);
      expect(() => decNode.next()).to.throw(MacError);
    });
  }
});
