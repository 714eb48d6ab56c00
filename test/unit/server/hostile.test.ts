/**
 * Hostile clients against SshServer: each ends only its own connection, with a typed error,
 * in bounded time and memory, while a good client keeps being served. Random and mutated
 * packets (fast-check), oversized packet lengths, a flood of IGNORE before KEXINIT, a client
 * that vanishes in the middle of the key exchange, many such clients at once.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { generateKeyPair } from '../../../src/crypto/keys/index.js';
import { SshError } from '../../../src/errors.js';
import { connectInMemory, memoryStreamPair } from '../../../src/server/memory-pair.js';
import { SshServer } from '../../../src/server/server.js';
import { PacketEncoder } from '../../../src/transport/codec.js';
import { encodeKexInit } from '../../../src/transport/negotiate.js';
import { MSG } from '../../../src/wire/constants.js';

const rng = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const hostKey = generateKeyPair({ type: 'ed25519' }, rng).privateKey;

function server(): SshServer {
  return new SshServer({
    hostKeys: [hostKey],
    auth: { password: ({ username, password }) => username === 'alice' && password === 'pw' },
    handlers: {
      session: () => ({
        exec(command, session) {
          void session.write(enc(`${command}\n`)).then(() => session.sendExitStatus(0));
          return true;
        },
      }),
    },
    limits: { authFailureDelay: false, maxStartups: '1000:30:1000' },
  });
}

const KEXINIT = encodeKexInit({
  cookie: rng(16),
  kex: ['curve25519-sha256', 'kex-strict-c-v00@openssh.com'],
  hostKey: ['ssh-ed25519'],
  cipherCS: ['aes128-ctr'],
  cipherSC: ['aes128-ctr'],
  macCS: ['hmac-sha2-256'],
  macSC: ['hmac-sha2-256'],
  compressionCS: ['none'],
  compressionSC: ['none'],
  languagesCS: [],
  languagesSC: [],
  firstKexPacketFollows: false,
});

/** Send `bytes` as a client would, then wait for the server to end the connection; returns its error. */
async function hostile(s: SshServer, chunks: Uint8Array[], closeAfter = false): Promise<SshError | null> {
  const [c, sv] = memoryStreamPair();
  const incoming = s.accept(sv, { remoteAddress: '192.0.2.1', remotePort: 4000 });
  // Drain what the server sends so it never blocks on us.
  void (async () => {
    while ((await c.read()) !== null);
  })();
  for (const chunk of chunks) await c.write(chunk);
  if (closeAfter) c.close();
  return incoming.closed;
}

describe('SshServer: hostile clients', function () {
  this.timeout(120000);

  it('random and mutated packets after a valid identification end the connection with a typed error (fast-check)', async () => {
    const s = server();
    const good = await connectInMemory(s, { username: 'alice', password: 'pw' });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 3000 }), fc.integer({ min: 0, max: KEXINIT.length - 1 })), async (input) => {
        let packet: Uint8Array;
        if (typeof input === 'number') {
          // a KEXINIT with one byte flipped, framed correctly
          const mutated = KEXINIT.slice();
          mutated[input] = mutated[input]! ^ 0xff;
          packet = new PacketEncoder(rng).encode(mutated);
        } else {
          packet = input;
        }
        const err = await hostile(s, [enc('SSH-2.0-fuzz\r\n'), packet, rng(64)], true);
        // A clean close is fine too (the client closed); anything thrown must be an SshError.
        if (err !== null) expect(err).to.be.instanceOf(SshError);
      }),
      { numRuns: 150 },
    );
    expect(dec((await good.client.run('still here')).stdout)).to.equal('still here\n');
    await s.close();
  });

  it('an oversized packet length is refused at once, before any of it is buffered', async () => {
    const s = server();
    const header = new Uint8Array([0x7f, 0xff, 0xff, 0xff, 4]);
    const err = await hostile(s, [enc('SSH-2.0-big\r\n'), header]);
    expect(err).to.be.instanceOf(SshError);
    expect(err!.message).to.match(/packet length/i);
    await s.close();
  });

  it('a flood of IGNORE before KEXINIT is read and dropped in bounded memory, without ending the connection', async () => {
    const s = server();
    const [c, sv] = memoryStreamPair();
    const incoming = s.accept(sv);
    let ended = false;
    void incoming.closed.then(() => (ended = true));
    void (async () => {
      while ((await c.read()) !== null);
    })();
    await c.write(enc('SSH-2.0-flood\r\n'));
    const encoder = new PacketEncoder(rng);
    const ignore = new Uint8Array(32 * 1024);
    ignore[0] = MSG.IGNORE;
    ignore.set([0, 0, 0x7f, 0xfb], 1);
    const batch = new Uint8Array(64 * (ignore.length + 64));
    let used = 0;
    for (let i = 0; i < 64; i++) {
      const p = encoder.encode(ignore);
      batch.set(p, used);
      used += p.length;
    }
    const before = process.memoryUsage().rss;
    let peak = before;
    // 128 MiB of IGNORE, 2 MiB per write
    for (let i = 0; i < 64; i++) {
      await c.write(batch.subarray(0, used));
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(ended, 'IGNORE is legal before KEXINIT: the connection stays up').to.equal(false);
    // Bounded: far less than the 128 MiB sent (the read buffer is reused for each dropped packet).
    expect(peak - before).to.be.lessThan(96 * 1024 * 1024);
    c.close();
    await incoming.closed;
    await s.close();
  });

  it('clients that vanish mid-kex, 50 at once, end their connections; the good client is served meanwhile', async () => {
    const s = server();
    const good = await connectInMemory(s, { username: 'alice', password: 'pw' });
    const kexinit = new PacketEncoder(rng).encode(KEXINIT);
    const ends = Array.from({ length: 50 }, () => hostile(s, [enc('SSH-2.0-vanish\r\n'), kexinit], true));
    expect(dec((await good.client.run('served')).stdout)).to.equal('served\n');
    for (const err of await Promise.all(ends)) {
      expect(err).to.be.instanceOf(SshError);
      expect(err!.message).to.equal('connection closed by the client during key exchange');
    }
    expect(s.connectionCount).to.equal(1);
    await s.close();
  });
});
