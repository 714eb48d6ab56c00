/**
 * Many channels, flow control and dead peers against a real OpenSSH sshd:
 * - 200 concurrent exec channels on one connection, every output exact;
 * - a channel nobody reads fills its window and stops there, while others keep working;
 * - 1 GiB streamed to a slow reader with memory bounded by the window, not the stream;
 * - keepalive through a loopback TCP proxy that stops forwarding: the client gives up after
 *   ServerAliveCountMax unanswered probes and every pending operation fails.
 */
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { expect } from 'chai';
import { connect, type NodeConnectOptions } from '../../src/node.js';
import { DEFAULT_WINDOW } from '../../src/connection/connection.js';
import { ConnectionLostError, SshError } from '../../src/errors.js';
import { sshdClientOptions } from '../support/connect.js';
import { startSshd, type Sshd } from '../support/sshd.js';

const MiB = 1024 * 1024;
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A loopback TCP proxy to `port` whose forwarding can be stopped (both ways) without closing anything. */
async function blackholeProxy(port: number): Promise<{ port: number; blackhole(): void; close(): Promise<void> }> {
  let dropping = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((down) => {
    const up = tcpConnect(port, '127.0.0.1');
    for (const s of [down, up]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    down.on('data', (b) => {
      if (!dropping) up.write(b);
    });
    up.on('data', (b) => {
      if (!dropping) down.write(b);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    blackhole: () => {
      dropping = true;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

async function rejection(p: Promise<unknown>): Promise<SshError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(SshError);
    return e as SshError;
  }
  throw new Error('expected a rejection');
}

describe('many channels, flow control and keepalive with OpenSSH sshd', function () {
  this.timeout(300_000);
  let sshd: Sshd;
  before(async () => {
    sshd = await startSshd({ config: ['MaxSessions 300'], hostKeyTypes: ['ed25519'] });
  });
  after(async () => {
    await sshd?.stop();
  });

  const options = (extra: Partial<NodeConnectOptions> = {}): NodeConnectOptions => sshdClientOptions(sshd, extra);

  it('200 concurrent exec channels on one connection, all outputs correct', async () => {
    const client = await connect(options());
    try {
      const N = 200;
      const runs = Array.from({ length: N }, (_, i) => client.run(`seq 1 ${i + 1}; printf "done %s" ${i} >&2; exit $((${i} % 7))`));
      const results = await Promise.all(runs);
      results.forEach((r, i) => {
        expect(text(r.stdout)).to.equal(Array.from({ length: i + 1 }, (_, k) => `${k + 1}\n`).join(''));
        expect(text(r.stderr)).to.equal(`done ${i}`);
        expect(r.code).to.equal(i % 7);
      });
      expect(client.channels.channelCount).to.equal(0);
    } finally {
      await client.disconnect();
    }
  });

  it('a channel nobody reads stops at its window; the others are not stalled', async () => {
    const client = await connect(options());
    try {
      const unread = await client.exec(`head -c ${64 * MiB} /dev/zero`);
      // While it sits unread, other channels keep working.
      for (let i = 0; i < 20; i++) {
        const r = await client.run(`echo ${i}`);
        expect(text(r.stdout)).to.equal(`${i}\n`);
      }
      const big = await client.run(`head -c ${8 * MiB} /dev/zero | tr '\\0' x`);
      expect(big.stdout.length).to.equal(8 * MiB);
      // Wait until the server has used up all the window we granted: not a byte more arrives.
      while (unread.receiveWindow > 0) await new Promise((r) => setTimeout(r, 20));
      expect(unread.bufferedBytes).to.equal(DEFAULT_WINDOW);
      let n = 0;
      for (;;) {
        const c = await unread.read();
        if (c === null) break;
        n += c.length;
      }
      expect(n).to.equal(64 * MiB);
      expect((await unread.exit).code).to.equal(0);
    } finally {
      await client.disconnect();
    }
  });

  it('1 GiB to a slow reader: memory stays bounded by the window', async () => {
    const client = await connect(options());
    try {
      const total = 1024 * MiB;
      const ch = await client.exec(`head -c ${total} /dev/zero`);
      // Start by not reading at all: the server fills the window and must stop.
      while (ch.receiveWindow > 0) await new Promise((r) => setTimeout(r, 20));
      expect(ch.bufferedBytes).to.equal(DEFAULT_WINDOW);
      globalThis.gc?.();
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      let maxBuffered = 0;
      let n = 0;
      let sinceSleep = 0;
      for (;;) {
        const c = await ch.read();
        if (c === null) break;
        n += c.length;
        sinceSleep += c.length;
        maxBuffered = Math.max(maxBuffered, ch.bufferedBytes);
        // A slow consumer: pause 1 ms after every 256 KiB.
        if (sinceSleep >= 256 * 1024) {
          sinceSleep = 0;
          peak = Math.max(peak, process.memoryUsage().rss);
          await new Promise((r) => setTimeout(r, 1));
        }
      }
      expect(n).to.equal(total);
      expect((await ch.exit).code).to.equal(0);
      // Never more buffered than the window we granted; RSS growth far below the 1 GiB streamed.
      expect(maxBuffered).to.be.at.most(DEFAULT_WINDOW);
      expect(peak - baseline).to.be.below(128 * MiB);
    } finally {
      await client.disconnect();
    }
  });

  it('keepalive: a proxy that stops forwarding is detected after ServerAliveCountMax probes', async () => {
    const proxy = await blackholeProxy(sshd.port);
    const trace: string[] = [];
    const client = await connect(options({ port: proxy.port, keepaliveInterval: 300, keepaliveCountMax: 3, debug: (l) => trace.push(l) }));
    try {
      expect(text((await client.run('echo alive')).stdout)).to.equal('alive\n');
      const sleeper = await client.exec('sleep 60');
      const reading = sleeper.read();
      proxy.blackhole();
      const mark = trace.length;
      const opening = client.session();
      const err = await client.closed;
      expect(err).to.be.instanceOf(ConnectionLostError);
      expect(err!.message).to.equal('Timeout, server not responding (3 keepalives unanswered)');
      // Exactly three probes went out after the blackhole (besides the session open).
      expect(trace.slice(mark).filter((l) => l.startsWith('> GLOBAL_REQUEST')).length).to.equal(3);
      // Everything that was pending fails with the same error; nothing hangs.
      for (const p of [reading, sleeper.exit, opening, client.run('true'), sleeper.write(new Uint8Array(1))]) {
        expect(await rejection(p)).to.equal(err);
      }
    } finally {
      await client.disconnect();
      await proxy.close();
    }
  });

  it('keepalive answered by sshd keeps an idle connection up', async () => {
    const client = await connect(options({ keepaliveInterval: 100, keepaliveCountMax: 1 }));
    try {
      await new Promise((r) => setTimeout(r, 1000));
      expect(client.channels.closedError).to.equal(null);
      expect(text((await client.run('echo still')).stdout)).to.equal('still\n');
    } finally {
      await client.disconnect();
    }
  });
});
