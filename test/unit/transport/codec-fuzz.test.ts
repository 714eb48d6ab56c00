import { expect } from 'chai';
import fc from 'fast-check';
import { SshError } from '../../../src/errors.js';
import { CIPHERS } from '../../../src/transport/cipher/index.js';
import { PacketDecoder, PacketEncoder, keySizes } from '../../../src/transport/codec.js';
import type { DirectionKeys } from '../../../src/transport/protection.js';
import { concat, prng } from './helpers.js';

/** One representative of each protection mode and cipher family, plus the clear state. */
const MODES: ([string, string] | null)[] = [
  null,
  ['aes128-ctr', 'hmac-sha2-256'],
  ['aes256-ctr', 'hmac-sha1-96-etm@openssh.com'],
  ['aes128-cbc', 'hmac-md5'],
  ['aes192-cbc', 'hmac-sha2-512-etm@openssh.com'],
  ['aes128-gcm@openssh.com', ''],
  ['chacha20-poly1305@openssh.com', ''],
  // libssh2's legacy 64-bit-block and stream ciphers
  ['3des-cbc', 'hmac-sha1'],
  ['blowfish-cbc', 'hmac-ripemd160'],
  ['cast128-cbc', 'hmac-md5-etm@openssh.com'],
  ['arcfour256', 'hmac-sha2-256'],
  ['rijndael-cbc@lysator.liu.se', 'hmac-sha1-96'],
];

function keysFor(mode: [string, string], seed: number): DirectionKeys {
  const rng = prng(seed);
  const [cipher, mac] = mode;
  const s = keySizes(cipher, mac);
  return { cipher, mac, key: rng.bytes(s.keyLength), iv: rng.bytes(s.ivLength), macKey: rng.bytes(s.macKeyLength) };
}

/**
 * Feed `data` in `splits`-sized chunks, draining after each. Returns normally or throws only
 * SshError; every next() either returns null, returns a payload (consuming ≥ 8 bytes), or throws,
 * so the number of calls is bounded by the input size.
 */
function run(dec: PacketDecoder, data: Uint8Array, splits: number[]): void {
  let off = 0;
  let calls = 0;
  let i = 0;
  try {
    while (off < data.length) {
      const n = Math.max(1, splits.length ? splits[i++ % splits.length]! : data.length);
      dec.push(data.subarray(off, off + n));
      off += n;
      while (dec.next() !== null) {
        calls++;
        if (calls > data.length / 8 + 1) expect.fail('decoder returned more packets than the input can hold');
      }
    }
  } catch (e) {
    if (!(e instanceof SshError)) throw new Error(`non-SshError thrown: ${String(e)}`, { cause: e });
  }
}

describe('transport/codec fuzz: PacketDecoder only ever throws SshError, and terminates', () => {
  for (const mode of MODES) {
    const label = mode ? mode.filter(Boolean).join(' + ') : 'clear';

    it(`${label}: random bytes`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 3000 }), fc.array(fc.integer({ min: 1, max: 700 }), { maxLength: 8 }), fc.integer(), (data, splits, seed) => {
          const dec = new PacketDecoder({ maxPacketLength: 4096 });
          if (mode) dec.setKeys(keysFor(mode, seed));
          run(dec, data, splits);
        }),
        { numRuns: 150 },
      );
    });

    it(`${label}: mutated valid streams`, () => {
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 0, max: 2000 }), { minLength: 1, maxLength: 6 }),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.constantFrom('xor', 'cut', 'insert', 'drop')), {
            maxLength: 3,
          }),
          fc.array(fc.integer({ min: 1, max: 900 }), { maxLength: 6 }),
          fc.integer(),
          (sizes, mutations, splits, seed) => {
            const rng = prng(seed);
            const enc = new PacketEncoder(rng.bytes);
            const dec = new PacketDecoder();
            if (mode) {
              const keys = keysFor(mode, seed);
              enc.setKeys(keys);
              dec.setKeys(keys);
            }
            let data = concat(...sizes.map((n) => enc.encode(rng.bytes(n))));
            for (const [at, v, kind] of mutations) {
              const i = at % Math.max(1, data.length);
              if (kind === 'xor' && data.length) data[i]! ^= v;
              else if (kind === 'cut') data = data.subarray(0, i);
              else if (kind === 'insert') data = concat(data.subarray(0, i), new Uint8Array([v]), data.subarray(i));
              else if (kind === 'drop') data = concat(data.subarray(0, i), data.subarray(i + 1));
            }
            run(dec, data, splits);
          },
        ),
        { numRuns: 150 },
      );
    });
  }

  it('covers one representative of every cipher family', () => {
    const families = new Set(MODES.filter(Boolean).map((m) => m![0].replace(/\d+/, '')));
    for (const name of CIPHERS.keys()) expect(families.has(name.replace(/\d+/, '')), name).to.equal(true);
  });
});
