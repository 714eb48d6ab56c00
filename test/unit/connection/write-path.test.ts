/**
 * Channel writes on both paths: packets handed to the connection at once (no promise per
 * packet) and the queued path (window exhausted, the connection holding a packet back).
 * Exact bytes across packet and window boundaries, call order, EOF right after data, close
 * while a write is queued, and, end to end in memory, rekeys in the middle of a bulk send.
 */
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { Deferred } from '../../../src/async.js';
import { Channel, type ChannelHost } from '../../../src/connection/channel.js';
import { generateKeyPair } from '../../../src/crypto/keys/index.js';
import { SshError } from '../../../src/errors.js';
import { connectInMemory } from '../../../src/server/memory-pair.js';
import { SshServer } from '../../../src/server/server.js';
import { MSG } from '../../../src/wire/constants.js';
import { Reader } from '../../../src/wire/reader.js';
import { rejection } from './helpers.js';

interface Sent {
  type: number;
  /** CHANNEL_DATA / CHANNEL_EXTENDED_DATA: the data type (0 for stdout) and bytes */
  ext?: number;
  data?: Uint8Array;
}

/** A connection stand-in: records every payload; while `hold` is set, each packet waits for release(). */
class Host implements ChannelHost {
  readonly sent: Sent[] = [];
  closedError: SshError | null = null;
  hold = false;
  private held: { done: Deferred<void>; pieces: Uint8Array[]; copies: Uint8Array[] }[] = [];
  sendCalls = 0;

  sendNow(payload: Uint8Array, rest?: Uint8Array): Promise<void> | undefined {
    const pieces = rest ? [payload, rest] : [payload];
    this.record(Buffer.concat(pieces));
    if (!this.hold) return undefined;
    const done = new Deferred<void>();
    this.held.push({ done, pieces, copies: pieces.map((p) => p.slice()) });
    return done.promise;
  }

  send(payload: Uint8Array): Promise<void> {
    this.sendCalls++;
    return this.sendNow(payload) ?? Promise.resolve();
  }

  release(): void {}

  get heldCount(): number {
    return this.held.length;
  }

  /** Let the oldest held packet go, checking nobody wrote over it while the host held it. */
  releaseOne(): void {
    const h = this.held.shift()!;
    h.pieces.forEach((p, i) => expect(Buffer.from(p).equals(Buffer.from(h.copies[i]!)), 'a held payload was overwritten').to.equal(true));
    h.done.resolve();
  }

  private record(p: Uint8Array): void {
    const r = new Reader(p, 1);
    if (p[0] === MSG.CHANNEL_DATA || p[0] === MSG.CHANNEL_EXTENDED_DATA) {
      r.u32();
      const ext = p[0] === MSG.CHANNEL_EXTENDED_DATA ? r.u32() : 0;
      this.sent.push({ type: p[0], ext, data: r.string().slice() });
    } else {
      this.sent.push({ type: p[0]! });
    }
  }

  /** Everything sent as data of `ext` (0: stdout), joined. */
  bytes(ext = 0): Buffer {
    return Buffer.concat(this.sent.filter((s) => s.data && s.ext === ext).map((s) => s.data!));
  }
}

/** Let queued promise reactions run. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
const pattern = (n: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * 7 + (i >> 8)) & 0xff);

function channel(host: Host, window: number, maxPacket: number): Channel {
  const ch = new Channel(host, 0, 'session', { window: 1 << 20, maxPacket: 32768 });
  ch.opened(5, window, maxPacket);
  return ch;
}

describe('connection/channel write path', () => {
  it('a write within the window goes out at once, in full packets, without the promise-returning send', async () => {
    const host = new Host();
    const ch = channel(host, 1 << 20, 32768 + 64);
    const data = pattern(100_000);
    const w = ch.write(data);
    // Before any promise reaction: every packet is already with the host.
    expect(host.sent.map((s) => s.data!.length)).to.deep.equal([32768, 32768, 32768, 100_000 - 3 * 32768]);
    expect(ch.pendingWrites).to.equal(0);
    expect(host.sendCalls).to.equal(0);
    await w;
    expect(host.bytes().equals(Buffer.from(data))).to.equal(true);
    expect(ch.sendWindow).to.equal((1 << 20) - 100_000);
  });

  it('window of 1 byte, max packet 1: a byte per packet, each after its adjust, later writes queued behind', async () => {
    const host = new Host();
    const ch = channel(host, 1, 65); // 65 - 64 bytes of header room: 1 byte of data per packet
    const done: string[] = [];
    const w1 = ch.write(new TextEncoder().encode('abc')).then(() => done.push('w1'));
    const w2 = ch.writeStderr(new TextEncoder().encode('de')).then(() => done.push('w2'));
    const w3 = ch.write(new TextEncoder().encode('f')).then(() => done.push('w3'));
    expect(host.sent.length).to.equal(1);
    expect(ch.pendingWrites).to.equal(3);
    for (let i = 0; i < 5; i++) {
      await settle();
      ch.onWindowAdjust(1);
    }
    await Promise.all([w1, w2, w3]);
    expect(done).to.deep.equal(['w1', 'w2', 'w3']);
    expect(host.sent.map((s) => `${s.ext}:${Buffer.from(s.data!).toString()}`)).to.deep.equal(['0:a', '0:b', '0:c', '1:d', '1:e', '0:f']);
    expect(ch.pendingWrites).to.equal(0);
    expect(ch.sendWindow).to.equal(0);
  });

  it('window boundaries inside a packet: the rest waits for the adjust and continues exactly', async () => {
    const host = new Host();
    const ch = channel(host, 10_000, 4096 + 64);
    const data = pattern(25_000);
    const w = ch.write(data);
    expect(host.sent.map((s) => s.data!.length)).to.deep.equal([4096, 4096, 1808]);
    ch.onWindowAdjust(5000);
    await settle();
    ch.onWindowAdjust(1 << 20);
    await w;
    expect(host.sent.map((s) => s.data!.length)).to.deep.equal([4096, 4096, 1808, 4096, 904, 4096, 4096, 1808]);
    expect(host.bytes().equals(Buffer.from(data))).to.equal(true);
  });

  it('a packet the connection holds back is never overwritten: the next is built only after its release', async () => {
    const host = new Host();
    const ch = channel(host, 1 << 20, 32768 + 64);
    const data = pattern(5 * 32768 + 100);
    host.hold = true;
    let finished = false;
    const w = ch.write(data).then(() => (finished = true));
    const w2 = ch.write(pattern(10));
    expect(host.sent.length).to.equal(1);
    expect(ch.pendingWrites).to.equal(2);
    for (let i = 0; i < 6; i++) {
      await settle();
      expect(host.heldCount).to.equal(1);
      expect(finished).to.equal(false);
      host.releaseOne();
    }
    await w;
    await settle();
    host.releaseOne();
    await w2;
    expect(host.bytes().equals(Buffer.concat([data, pattern(10)]))).to.equal(true);
    // Without backpressure the next write goes out at once again.
    host.hold = false;
    const w3 = ch.write(pattern(40_000));
    expect(ch.pendingWrites).to.equal(0);
    await w3;
    expect(host.sent.length).to.equal(6 + 1 + 2);
  });

  it('EOF right after data, written at once or queued: EOF follows the last data packet', async () => {
    const host = new Host();
    const ch = channel(host, 50_000, 32768 + 64);
    void ch.write(pattern(40_000));
    const queued = ch.write(pattern(20_000)); // 10_000 go now, the rest after an adjust
    const eof = ch.eof();
    await settle();
    expect(host.sent.map((s) => s.type)).to.deep.equal([MSG.CHANNEL_DATA, MSG.CHANNEL_DATA, MSG.CHANNEL_DATA]);
    ch.onWindowAdjust(10_000);
    await Promise.all([queued, eof]);
    expect(host.sent.map((s) => s.type)).to.deep.equal([MSG.CHANNEL_DATA, MSG.CHANNEL_DATA, MSG.CHANNEL_DATA, MSG.CHANNEL_DATA, MSG.CHANNEL_EOF]);
    expect(host.bytes().equals(Buffer.concat([pattern(40_000), pattern(20_000)]))).to.equal(true);
    expect((await rejection(ch.write(pattern(1)))).code).to.equal('CHANNEL_EOF_SENT');
  });

  it('close while a write is queued: the write rejects and no data follows CLOSE', async () => {
    const host = new Host();
    const ch = channel(host, 1000, 32768 + 64);
    const w = ch.write(pattern(5000));
    expect(host.sent.length).to.equal(1);
    ch.closeNow();
    ch.onClose(); // the peer's CLOSE
    const err = await rejection(w);
    expect(err.code).to.equal('CHANNEL_CLOSED');
    expect(host.sent.map((s) => s.type)).to.deep.equal([MSG.CHANNEL_DATA, MSG.CHANNEL_CLOSE]);
    // A write on the closed channel fails (returned, not thrown) on the fast path too.
    expect((await rejection(ch.write(pattern(3)))).code).to.equal('CHANNEL_CLOSED');
    expect(host.sent.length).to.equal(2);
  });

  it('a host without the fast path gets every packet through send()', async () => {
    const host = new Host();
    const plain: ChannelHost = { send: (p) => host.send(p), release: () => {}, closedError: null };
    const ch = new Channel(plain, 0, 'session', { window: 1 << 20, maxPacket: 32768 });
    ch.opened(5, 1 << 20, 32768 + 64);
    const data = pattern(70_000);
    await ch.write(data);
    expect(host.sendCalls).to.equal(3);
    expect(host.bytes().equals(Buffer.from(data))).to.equal(true);
  });
});

describe('connection/channel bulk send through a real transport (in memory)', function () {
  this.timeout(60_000);
  const rng = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

  it('rekeys in the middle of a bulk send lose and reorder nothing (server writes without awaiting)', async () => {
    const hostKey = generateKeyPair({ type: 'ed25519' }, rng).privateKey;
    const chunks = Array.from({ length: 64 }, (_, i) => rng(40_000 + i * 997));
    const expected = createHash('sha256');
    for (const c of chunks) expected.update(c);
    const server = new SshServer({
      hostKeys: [hostKey],
      auth: { password: () => true },
      rekeyBytes: 256 * 1024,
      handlers: {
        session: () => ({
          exec(_command, session) {
            void (async () => {
              // As the sshd output pump does: await only what the channel holds back.
              for (const c of chunks) {
                const w = session.write(c);
                if (session.pendingWrites > 0) await w;
                else void w.catch(() => {});
              }
              await session.sendExitStatus(0);
            })();
            return true;
          },
        }),
      },
      limits: { authFailureDelay: false },
    });
    const { client } = await connectInMemory(server, { username: 'u', password: 'p' });
    const ch = await client.exec('bulk');
    const got = createHash('sha256');
    let n = 0;
    for (;;) {
      const c = await ch.read();
      if (c === null) break;
      got.update(c);
      n += c.length;
    }
    expect((await ch.exit).code).to.equal(0);
    expect(n).to.equal(chunks.reduce((a, c) => a + c.length, 0));
    expect(got.digest('hex')).to.equal(expected.digest('hex'));
    expect(client.kexCount).to.be.greaterThan(3);
    await client.disconnect();
  });
});
