/**
 * Channel.release end to end (client and server in memory): with node:crypto, which
 * decrypts every packet into a new buffer, a released chunk's memory is freed at once (the
 * chunk reads as empty) while everything read stays exact; with the pure provider, which
 * decrypts in place in the read buffers, release leaves chunks alone. So does releasing
 * anything that did not come from read().
 */
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { generateKeyPair } from '../../../src/crypto/keys/index.js';
import { nodeProvider } from '../../../src/crypto/node/index.js';
import { pureProvider, type CryptoProvider } from '../../../src/crypto/provider.js';
import { connectInMemory } from '../../../src/server/memory-pair.js';
import { SshServer } from '../../../src/server/server.js';
import type { SessionHandler } from '../../../src/server/session.js';

const rng = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const hostKey = generateKeyPair({ type: 'ed25519' }, rng).privateKey;
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const content = rng(1 << 20);

/** `exec` writes `content` (in 100 000-byte writes) to stdout and 1000 bytes of it to stderr. */
const sender: SessionHandler = {
  exec(_command, session) {
    void (async () => {
      for (let o = 0; o < content.length; o += 100_000) await session.write(content.subarray(o, o + 100_000));
      await session.writeStderr(content.subarray(0, 1000));
      await session.sendExitStatus(0);
    })();
    return true;
  },
};

function server(crypto: CryptoProvider): SshServer {
  return new SshServer({
    hostKeys: [hostKey],
    auth: { password: () => true },
    handlers: { session: () => sender },
    limits: { authFailureDelay: false },
    crypto,
  });
}

describe('connection/channel: release()', () => {
  for (const [name, crypto, frees] of [
    ['node:crypto', nodeProvider, true],
    ['pure', pureProvider, false],
  ] as const) {
    for (const cipher of ['aes128-gcm@openssh.com', 'chacha20-poly1305@openssh.com', 'aes128-ctr']) {
      it(`${name}, ${cipher}: ${frees ? 'frees each chunk it is given' : 'leaves chunks as they are'}; the bytes read are exact`, async () => {
        const s = server(crypto);
        const { client } = await connectInMemory(s, {
          username: 'u',
          password: 'p',
          crypto,
          algorithms: { cipher: [cipher], mac: ['hmac-sha2-256-etm@openssh.com'] },
        });
        const ch = await client.exec('send');
        const out = createHash('sha256');
        let chunks = 0;
        let freed = 0;
        for (let c = await ch.read(); c !== null; c = await ch.read()) {
          out.update(c);
          const n = c.length;
          ch.release(c);
          chunks++;
          if (c.length === 0 && n > 0) freed++;
        }
        const err = await ch.readStderr();
        expect(sha(err!)).to.equal(sha(content.subarray(0, 1000)));
        ch.release(err!);
        expect(err!.length).to.equal(frees ? 0 : 1000);
        expect(out.digest('hex')).to.equal(sha(content));
        expect(chunks).to.be.greaterThan(30);
        expect(freed).to.equal(frees ? chunks : 0);
        // Not from read(): untouched.
        const mine = rng(64);
        ch.release(mine);
        expect(mine.length).to.equal(64);
        expect((await ch.exit).code).to.equal(0);
        await client.disconnect();
        await s.close();
      });
    }
  }
});
