/**
 * A payload given in two pieces (header, then data) encodes to exactly the bytes of the same
 * payload given whole, through encode and encodeParts, under every kind of protection and
 * with node:crypto's sealParts (AES-GCM), on both sides of the size where encodeParts seals
 * from its reused buffer.
 */
import { expect } from 'chai';
import { nodeProvider } from '../../../src/crypto/node/index.js';
import type { CryptoProvider } from '../../../src/crypto/provider.js';
import { keySizes, PacketDecoder, PacketEncoder } from '../../../src/transport/codec.js';
import { MSG } from '../../../src/wire/constants.js';
import { prng } from './helpers.js';

const MODES: [string, string, CryptoProvider | undefined][] = [
  ['clear', '', undefined],
  ['aes128-ctr', 'hmac-sha2-256', undefined],
  ['aes128-ctr', 'hmac-sha2-256-etm@openssh.com', undefined],
  ['chacha20-poly1305@openssh.com', '', undefined],
  ['aes128-gcm@openssh.com', '', undefined],
  ['aes128-gcm@openssh.com', '', nodeProvider],
];

const join = (parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

describe('transport/codec: payloads in two pieces', () => {
  for (const [cipher, mac, provider] of MODES) {
    it(`${cipher}${mac ? ' + ' + mac : ''}${provider ? ' (node:crypto)' : ''}`, () => {
      // Two encoders with the same keys and the same padding bytes: one gets pieces, one whole payloads.
      const keyRng = prng(3);
      const s = cipher === 'clear' ? null : keySizes(cipher, mac);
      const keys = s && { cipher, mac, key: keyRng.bytes(s.keyLength), iv: keyRng.bytes(s.ivLength), macKey: keyRng.bytes(s.macKeyLength) };
      const [r1, r2] = [prng(9), prng(9)];
      const pieces = new PacketEncoder((n) => r1.bytes(n), { provider });
      const whole = new PacketEncoder((n) => r2.bytes(n), { provider });
      const dec = new PacketDecoder({ provider });
      if (keys) {
        pieces.setKeys(keys);
        whole.setKeys(keys);
        dec.setKeys(keys);
      }
      const data = prng(5).bytes(40_000);
      for (const n of [0, 1, 4086, 4087, 32_768, 40_000]) {
        const header = new Uint8Array([MSG.CHANNEL_DATA, 0, 0, 0, 7, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
        const body = data.subarray(0, n);
        const payload = join([header, body]);
        const viaParts = join(pieces.encodeParts(header, body));
        expect(Buffer.from(viaParts).equals(Buffer.from(join(whole.encodeParts(payload))))).to.equal(true, `encodeParts, ${n} bytes`);
        const viaEncode = pieces.encode(header, body);
        expect(Buffer.from(viaEncode).equals(Buffer.from(whole.encode(payload)))).to.equal(true, `encode, ${n} bytes`);
        dec.push(viaParts);
        dec.push(viaEncode);
        for (let i = 0; i < 2; i++) expect(Buffer.from(dec.next()!).equals(Buffer.from(payload))).to.equal(true);
      }
    });
  }
});
