/**
 * Flow control both ways (RFC 4254 §5.2) against the fake server: the receive window is
 * re-opened only as the consumer reads; writes respect the peer's window and maximum
 * packet size; one stalled channel does not hold up another.
 */
import { expect } from 'chai';
import type { SshClient } from '../../../src/client.js';
import { MSG } from '../../../src/wire/constants.js';
import { Reader } from '../../../src/wire/reader.js';
import { fakePair, msg, type FakeServer } from '../../support/fake-server.js';
import { confirmOpen, dec, enc, readAll, roundTrip, SERVER_ID_OFFSET } from './helpers.js';

function parseAdjust(p: Uint8Array): { recipient: number; bytes: number } {
  const r = new Reader(p, 1);
  return { recipient: r.u32(), bytes: r.u32() };
}

function parseData(p: Uint8Array): { recipient: number; data: Uint8Array } {
  const r = new Reader(p, 1);
  return { recipient: r.u32(), data: r.string() };
}

describe('connection/flow control (fake server)', function () {
  this.timeout(20_000);
  let client: SshClient;
  let server: FakeServer;
  beforeEach(async () => {
    ({ client, server } = await fakePair());
  });
  afterEach(async () => {
    await client.disconnect();
  });

  it('an unread channel fills its window and the client grants no more', async () => {
    const W = 64 * 1024;
    const { ch, id, window, maxPacket } = await confirmOpen(server, client.session({ window: W, maxPacket: 4096 }));
    expect([window, maxPacket]).to.deep.equal([W, 4096]);
    for (let i = 0; i < W / 4096; i++) server.send(msg.data(id, new Uint8Array(4096).fill(i)));
    await roundTrip(server);
    expect(ch.receiveWindow).to.equal(0);
    expect(ch.bufferedBytes).to.equal(W);
    expect(server.received.filter((p) => p[0] === MSG.CHANNEL_WINDOW_ADJUST)).to.deep.equal([]);
  });

  it('the window re-opens by exactly what was read, once half of it has been read', async () => {
    const W = 64 * 1024;
    const { ch, id } = await confirmOpen(server, client.session({ window: W, maxPacket: 4096 }));
    for (let i = 0; i < W / 4096; i++) server.send(msg.data(id, new Uint8Array(4096).fill(i)));
    // Read 7 chunks (28 KiB): still below half, no adjust.
    for (let i = 0; i < 7; i++) expect((await ch.read())![0]).to.equal(i);
    await roundTrip(server);
    expect(server.received.filter((p) => p[0] === MSG.CHANNEL_WINDOW_ADJUST)).to.deep.equal([]);
    // The 8th reaches half: one adjust of 32 KiB for our channel.
    expect((await ch.read())![0]).to.equal(7);
    expect(parseAdjust(await server.expect(MSG.CHANNEL_WINDOW_ADJUST))).to.deep.equal({ recipient: id + SERVER_ID_OFFSET, bytes: W / 2 });
    expect(ch.receiveWindow).to.equal(W / 2);
    // The server may now send 32 KiB more, and not a byte beyond.
    for (let i = 0; i < 8; i++) server.send(msg.data(id, new Uint8Array(4096).fill(100 + i)));
    await roundTrip(server);
    expect(ch.receiveWindow).to.equal(0);
    expect(ch.bufferedBytes).to.equal(W);
    for (let i = 8; i < 16; i++) expect((await ch.read())![0]).to.equal(i);
    expect(parseAdjust(await server.expect(MSG.CHANNEL_WINDOW_ADJUST)).bytes).to.equal(W / 2);
  });

  it('ignored extended data re-opens the window by itself', async () => {
    const { ch, id } = await confirmOpen(server, client.session({ window: 8192, maxPacket: 4096, extendedData: 'ignore' }));
    server.send(msg.extendedData(id, 1, new Uint8Array(4096)));
    expect(parseAdjust(await server.expect(MSG.CHANNEL_WINDOW_ADJUST)).bytes).to.equal(4096);
    expect(ch.bufferedBytes).to.equal(0);
    expect(ch.receiveWindow).to.equal(8192);
  });

  it("writes respect the peer's window and maximum packet size, and wait for adjusts", async () => {
    const { ch, id } = await confirmOpen(server, client.session(), { window: 10_000, maxPacket: 4096 + 64 });
    const data = new Uint8Array(25_000).map((_, i) => i & 0xff);
    let done = false;
    const writing = ch.write(data).then(() => (done = true));
    const got: Uint8Array[] = [];
    const take = async (bytes: number): Promise<void> => {
      let n = 0;
      while (n < bytes) {
        const d = parseData(await server.expect(MSG.CHANNEL_DATA));
        expect(d.recipient).to.equal(id + SERVER_ID_OFFSET);
        expect(d.data.length).to.be.at.most(4096);
        got.push(d.data.slice());
        n += d.data.length;
      }
      expect(n).to.equal(bytes);
    };
    await take(10_000);
    await roundTrip(server);
    expect(done).to.equal(false);
    expect(ch.sendWindow).to.equal(0);
    server.send(msg.windowAdjust(id, 5000));
    await take(5000);
    server.send(msg.windowAdjust(id, 100_000));
    await take(10_000);
    await writing;
    expect(Buffer.concat(got).equals(Buffer.from(data))).to.equal(true);
    expect(ch.sendWindow).to.equal(100_000 - 10_000);
  });

  it('writes go out in call order, stdout and stderr interleaved as called', async () => {
    const { ch } = await confirmOpen(server, client.session());
    const w1 = ch.write(enc('one '));
    const w2 = ch.writeStderr(enc('two '));
    const w3 = ch.write(enc('three'));
    await Promise.all([w1, w2, w3]);
    const got: string[] = [];
    for (let i = 0; i < 3; i++) {
      const p = await server.expect(MSG.CHANNEL_DATA, MSG.CHANNEL_EXTENDED_DATA);
      const r = new Reader(p, 1);
      r.u32();
      const tag = p[0] === MSG.CHANNEL_EXTENDED_DATA ? `[${r.u32()}]` : '';
      got.push(tag + dec(r.string()));
    }
    expect(got).to.deep.equal(['one ', '[1]two ', 'three']);
  });

  it('a stalled channel does not stop the others', async () => {
    const stalled = await confirmOpen(server, client.session({ window: 8192, maxPacket: 4096 }));
    const others = [];
    for (let i = 0; i < 10; i++) others.push(await confirmOpen(server, client.session({ window: 8192, maxPacket: 4096 })));
    server.send(msg.data(stalled.id, new Uint8Array(4096)));
    server.send(msg.data(stalled.id, new Uint8Array(4096)));
    // The stalled channel's window is exhausted; every other channel still streams 1 MiB.
    const reads = others.map(async ({ ch }) => {
      let n = 0;
      for (;;) {
        const c = await ch.read();
        if (c === null) return n;
        n += c.length;
      }
    });
    // One server loop feeds every other channel as its window allows (honouring the adjusts).
    const TOTAL = 1 << 20;
    const state = new Map(others.map(({ id }) => [id + SERVER_ID_OFFSET, { id, window: 8192, sent: 0, eof: false }]));
    for (;;) {
      let pending = 0;
      for (const st of state.values()) {
        while (st.window >= 4096 && st.sent < TOTAL) {
          server.send(msg.data(st.id, new Uint8Array(4096)));
          st.window -= 4096;
          st.sent += 4096;
        }
        if (st.sent === TOTAL && !st.eof) {
          server.send(msg.simple(MSG.CHANNEL_EOF, st.id));
          st.eof = true;
        }
        if (st.sent < TOTAL) pending++;
      }
      if (pending === 0) break;
      const p = await server.expect(MSG.CHANNEL_WINDOW_ADJUST);
      const adj = parseAdjust(p);
      expect(adj.recipient).to.not.equal(stalled.id + SERVER_ID_OFFSET);
      state.get(adj.recipient)!.window += adj.bytes;
    }
    expect(await Promise.all(reads)).to.deep.equal(others.map(() => 1 << 20));
    expect(stalled.ch.receiveWindow).to.equal(0);
    expect(stalled.ch.bufferedBytes).to.equal(8192);
    server.send(msg.simple(MSG.CHANNEL_EOF, stalled.id));
    expect((await readAll(() => stalled.ch.read())).length).to.equal(8192);
  });
});
