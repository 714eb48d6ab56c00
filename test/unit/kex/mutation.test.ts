/**
 * Mutated server replies: whatever the server sends, the client either completes or
 * rejects with an SshError subclass; never a TypeError, RangeError or a noble error.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { SshError } from '../../../src/errors.js';
import { KEX_ALGORITHMS, SUPPORTED_KEX } from '../../../src/kex/index.js';
import { HOST_KEY, MAGICS, memKexPair, queuedConn, scriptedConn, seededRandom } from './helpers.js';

type Mutation =
  | { kind: 'flip'; pos: number; mask: number }
  | { kind: 'truncate'; len: number }
  | { kind: 'append'; extra: Uint8Array }
  | { kind: 'replace'; bytes: Uint8Array }
  | { kind: 'type'; type: number }
  | { kind: 'setU32'; pos: number; value: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), pos: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), len: fc.nat() }),
  fc.record({ kind: fc.constant('append' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('replace' as const), bytes: fc.uint8Array({ maxLength: 80 }) }),
  fc.record({ kind: fc.constant('type' as const), type: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    kind: fc.constant('setU32' as const),
    pos: fc.nat(),
    value: fc.oneof(fc.constantFrom(0, 1, 0x7fffffff, 0xffffffff), fc.nat()),
  }),
);

function mutate(p: Uint8Array, m: Mutation): Uint8Array {
  const out = p.slice();
  switch (m.kind) {
    case 'flip':
      if (out.length > 0) out[m.pos % out.length]! ^= m.mask;
      return out;
    case 'truncate':
      return out.subarray(0, m.len % Math.max(out.length, 1));
    case 'append':
      return Uint8Array.from([...out, ...m.extra]);
    case 'replace':
      return m.bytes;
    case 'type':
      if (out.length > 0) out[0] = m.type;
      return out;
    case 'setU32': {
      if (out.length < 5) return out;
      const pos = 1 + (m.pos % (out.length - 4));
      new DataView(out.buffer, out.byteOffset).setUint32(pos, m.value);
      return out;
    }
  }
}

const SLOW = new Set(['diffie-hellman-group16-sha512', 'diffie-hellman-group18-sha512']);

describe('kex clients survive mutated server replies (fast-check)', () => {
  for (const name of SUPPORTED_KEX) {
    it(`${name}: only SshError subclasses escape`, async () => {
      const alg = KEX_ALGORITHMS.get(name)!;
      // Record an honest transcript with fixed randomness.
      const pair = memKexPair();
      await Promise.all([alg.client(pair.client, MAGICS, seededRandom('c')), alg.server(pair.server, MAGICS, HOST_KEY, seededRandom('s'))]);
      const transcript = pair.serverSent;
      expect(transcript.length).to.be.oneOf([1, 2]);

      let rejected = 0;
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: transcript.length - 1 }), mutationArb, async (which, m) => {
          const { conn } = scriptedConn((_sent, i) => {
            const p = transcript[i];
            if (!p) return [];
            return [i === which ? mutate(p, m) : p];
          });
          try {
            await alg.client(conn, MAGICS, seededRandom('c'));
          } catch (e) {
            if (!(e instanceof SshError)) throw e;
            rejected++;
          }
        }),
        { numRuns: SLOW.has(name) ? 15 : 60, seed: 4242 },
      );
      expect(rejected).to.be.greaterThan(0);
    });
  }
});

describe('kex servers survive mutated client messages (fast-check)', () => {
  for (const name of SUPPORTED_KEX) {
    it(`${name}: only SshError subclasses escape`, async () => {
      const alg = KEX_ALGORITHMS.get(name)!;
      const pair = memKexPair();
      await Promise.all([alg.client(pair.client, MAGICS, seededRandom('c')), alg.server(pair.server, MAGICS, HOST_KEY, seededRandom('s'))]);
      const transcript = pair.clientSent;
      let rejected = 0;
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: transcript.length - 1 }), mutationArb, async (which, m) => {
          const { conn } = queuedConn(transcript.map((p, i) => (i === which ? mutate(p, m) : p)));
          try {
            await alg.server(conn, MAGICS, HOST_KEY, seededRandom('s'));
          } catch (e) {
            if (!(e instanceof SshError)) throw e;
            rejected++;
          }
        }),
        { numRuns: SLOW.has(name) ? 10 : 40, seed: 2424 },
      );
      expect(rejected).to.be.greaterThan(0);
    });
  }
});
