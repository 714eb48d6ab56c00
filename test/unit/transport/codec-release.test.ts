/**
 * Dropped messages cost no memory: after discard(), the chunk a dropped payload was a view
 * of goes back to the stream (release), in clear and under every kind of protection, while
 * a payload the caller keeps still pins its chunk.
 */
import { expect } from 'chai';
import { keySizes, PacketDecoder, PacketEncoder } from '../../../src/transport/codec.js';
import type { DirectionKeys } from '../../../src/transport/protection.js';
import { MSG } from '../../../src/wire/constants.js';
import { prng } from './helpers.js';

const MODES: [string, string][] = [
  ['clear', ''],
  ['aes128-ctr', 'hmac-sha2-256'],
  ['aes128-ctr', 'hmac-sha2-256-etm@openssh.com'],
  ['chacha20-poly1305@openssh.com', ''],
  ['aes256-gcm@openssh.com', ''],
];

function ignore(n: number, fill: number): Uint8Array {
  const p = new Uint8Array(5 + n).fill(fill);
  p[0] = MSG.IGNORE;
  new DataView(p.buffer).setUint32(1, n);
  return p;
}

/** Cut `wire` into pieces of `size` bytes, each in its own ArrayBuffer (reads into separate buffers). */
function cut(wire: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < wire.length; i += size) out.push(wire.slice(i, i + size));
  return out;
}

describe('transport/codec: discard() releases the chunks of dropped payloads', () => {
  for (const [cipher, mac] of MODES) {
    it(`${cipher}${mac ? ' + ' + mac : ''}`, () => {
      const rng = prng(7);
      const enc = new PacketEncoder((n) => rng.bytes(n));
      let keys: DirectionKeys | null = null;
      if (cipher !== 'clear') {
        const s = keySizes(cipher, mac);
        keys = { cipher, mac, key: rng.bytes(s.keyLength), iv: rng.bytes(s.ivLength), macKey: rng.bytes(s.macKeyLength) };
        enc.setKeys(keys);
      }
      // 64 IGNOREs of assorted sizes, one kept message in the middle.
      const kept = new Uint8Array([MSG.CHANNEL_DATA, 1, 2, 3, 4, 5]);
      const packets: Uint8Array[] = [];
      for (let i = 0; i < 64; i++) packets.push(enc.encode(i === 40 ? kept : ignore(100 + ((i * 977) % 3000), i)));
      const wire = new Uint8Array(packets.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of packets) {
        wire.set(p, at);
        at += p.length;
      }

      const released = new Set<Uint8Array>();
      let releasedBytes = 0;
      const dec = new PacketDecoder({ inPlace: true, release: (c) => (released.add(c), (releasedBytes += c.length)) });
      if (keys) dec.setKeys(keys);
      const chunks = cut(wire, 8192);
      let keptPayload: Uint8Array | null = null;
      let ignores = 0;
      for (const c of chunks) {
        dec.push(c);
        for (let p = dec.next(); p; p = dec.next()) {
          if (p[0] === MSG.IGNORE) {
            ignores++;
            dec.discard();
          } else {
            keptPayload = p;
          }
        }
      }
      expect(ignores).to.equal(63);
      expect(dec.buffered).to.equal(0);
      expect(Array.from(keptPayload!)).to.deep.equal(Array.from(kept));
      // Every chunk came back except the one the kept payload is a view of (if it is one).
      const pinned = chunks.filter((c) => !released.has(c));
      expect(pinned.length).to.be.at.most(1);
      if (pinned.length === 1) expect(keptPayload!.buffer).to.equal(pinned[0]!.buffer);
      expect(releasedBytes).to.equal(wire.length - pinned.reduce((n, c) => n + c.length, 0));
    });
  }

  it('a push after next() keeps the payload pinned: discard() then releases nothing', () => {
    const enc = new PacketEncoder((n) => new Uint8Array(n));
    const released: Uint8Array[] = [];
    const dec = new PacketDecoder({ inPlace: true, release: (c) => released.push(c) });
    const a = enc.encode(ignore(10, 1));
    dec.push(a);
    const p = dec.next()!;
    dec.push(enc.encode(ignore(10, 2)));
    dec.discard();
    expect(released).to.deep.equal([]);
    expect(p[0]).to.equal(MSG.IGNORE);
  });
});
