/**
 * PacketDecoder.ownsLastPayload: a payload is reported as owned exactly when it lies in a
 * buffer nobody else holds (a copy the decoder made, or a new buffer the cipher decrypted
 * into), and freeing each owned payload at once leaves every later payload intact.
 */
import { expect } from 'chai';
import { nodeProvider } from '../../../src/crypto/node/index.js';
import { pureProvider, type CryptoProvider } from '../../../src/crypto/provider.js';
import { keySizes, PacketDecoder, PacketEncoder } from '../../../src/transport/codec.js';
import { freeBuffer } from '../../../src/wire/free.js';
import { prng } from './helpers.js';

/** cipher, MAC, and whether node:crypto's version of it hands back a new buffer */
const MODES: [string, string, boolean][] = [
  ['clear', '', false],
  ['aes128-ctr', 'hmac-sha2-256', false], // MtE: decrypted into a new buffer, then copied back into the packet
  ['aes128-ctr', 'hmac-sha2-256-etm@openssh.com', true],
  ['chacha20-poly1305@openssh.com', '', true],
  ['aes256-gcm@openssh.com', '', true],
];
const PROVIDERS: [string, CryptoProvider][] = [
  ['pure', pureProvider],
  ['node', nodeProvider],
];

describe('transport/codec: ownsLastPayload', () => {
  for (const [cipher, mac, newBuffer] of MODES) {
    for (const [providerName, provider] of PROVIDERS) {
      for (const inPlace of [true, false]) {
        it(`${cipher}${mac ? ' + ' + mac : ''}, ${providerName}, ${inPlace ? 'in place' : 'copying'}`, () => {
          const rng = prng(11);
          const enc = new PacketEncoder((n) => rng.bytes(n), { provider });
          const dec = new PacketDecoder({ inPlace, provider });
          if (cipher !== 'clear') {
            const s = keySizes(cipher, mac);
            const keys = { cipher, mac, key: rng.bytes(s.keyLength), iv: rng.bytes(s.ivLength), macKey: rng.bytes(s.macKeyLength) };
            enc.setKeys(keys);
            dec.setKeys(keys);
          }
          // Packets 0 and 2 each lie within one chunk; packet 1 spans the two chunks.
          const payloads = [rng.bytes(3000), rng.bytes(5000), rng.bytes(700)];
          const [p0, p1, p2] = payloads.map((p) => enc.encode(p));
          const cutAt = p0!.length + 1000;
          const wire = new Uint8Array(p0!.length + p1!.length + p2!.length);
          wire.set(p0!);
          wire.set(p1!, p0!.length);
          wire.set(p2!, p0!.length + p1!.length);
          const chunks = [wire.slice(0, cutAt), wire.slice(cutAt)];
          const got: Uint8Array[] = [];
          const owned: boolean[] = [];
          for (const c of chunks) {
            dec.push(c);
            for (let p = dec.next(); p; p = dec.next()) {
              got.push(new Uint8Array(p)); // a copy (a Buffer's slice() is a view)
              owned.push(dec.ownsLastPayload);
              // Freed at once: the decoder must not need it (or its chunk) any more.
              if (dec.ownsLastPayload) {
                freeBuffer(p);
                expect(p.length, 'freed').to.equal(0);
              }
            }
          }
          expect(got.map((p) => Array.from(p))).to.deep.equal(payloads.map((p) => Array.from(p)));
          const copied = (spans: boolean): boolean => spans || (!inPlace && cipher !== 'clear');
          const expected = [false, true, false].map((spans) => (providerName === 'node' && newBuffer) || copied(spans));
          expect(owned).to.deep.equal(expected);
          // A payload that was not owned is a view of a chunk, which is still whole.
          expect(chunks.map((c) => c.length)).to.deep.equal([cutAt, wire.length - cutAt]);
        });
      }
    }
  }
});
