/**
 * Node Duplex/Readable views of a channel (src/connection/node-stream.ts) against the fake
 * server: data both ways, end() sends EOF, stderr separate, and backpressure: a paused
 * stream stops pulling, so the SSH window is not re-opened.
 */
import { expect } from 'chai';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { SshClient } from '../../../src/client.js';
import { channelDuplex, channelStreams } from '../../../src/connection/node-stream.js';
import { MSG } from '../../../src/wire/constants.js';
import { Reader } from '../../../src/wire/reader.js';
import { fakePair, msg, type FakeServer } from '../../support/fake-server.js';
import { confirmOpen, dec, enc, roundTrip } from './helpers.js';

describe('connection/node-stream (fake server)', function () {
  this.timeout(20_000);
  let client: SshClient;
  let server: FakeServer;
  beforeEach(async () => {
    ({ client, server } = await fakePair());
  });
  afterEach(async () => {
    await client.disconnect();
  });

  it('reads stdout and stderr, writes stdin, end() sends EOF', async () => {
    const { ch, id } = await confirmOpen(server, client.session());
    const { stdio, stderr } = channelStreams(ch);
    stdio.write('hello ');
    stdio.end(Buffer.from('world'));
    let sent = '';
    for (;;) {
      const p = await server.expect(MSG.CHANNEL_DATA, MSG.CHANNEL_EOF);
      if (p[0] === MSG.CHANNEL_EOF) break;
      const r = new Reader(p, 1);
      r.u32();
      sent += dec(r.string());
    }
    expect(sent).to.equal('hello world');
    server.send(msg.data(id, enc('out1 ')));
    server.send(msg.extendedData(id, 1, enc('err1')));
    server.send(msg.data(id, enc('out2')));
    server.send(msg.simple(MSG.CHANNEL_EOF, id));
    const collect = async (s: AsyncIterable<Buffer>): Promise<string> => {
      let t = '';
      for await (const c of s) t += c.toString();
      return t;
    };
    expect(await Promise.all([collect(stdio), collect(stderr)])).to.deep.equal(['out1 out2', 'err1']);
  });

  it('a paused reader stops pulling: the window is not re-opened until it reads', async () => {
    const W = 64 * 1024;
    const { ch, id } = await confirmOpen(server, client.session({ window: W, maxPacket: 4096 }));
    const d = channelDuplex(ch, { readableHighWaterMark: 8 * 1024 });
    for (let i = 0; i < W / 4096; i++) server.send(msg.data(id, new Uint8Array(4096).fill(i)));
    await roundTrip(server);
    d.read(0); // let the stream fill its buffer, as a paused consumer's stream does
    await roundTrip(server);
    // The stream pulled exactly its high-water mark; the rest stays in the channel, unacknowledged.
    expect(d.readableLength).to.equal(8 * 1024);
    expect(ch.bufferedBytes).to.equal(W - 8 * 1024);
    expect(ch.receiveWindow).to.equal(0);
    expect(server.received.filter((p) => p[0] === MSG.CHANNEL_WINDOW_ADJUST)).to.deep.equal([]);

    // A slow sink downstream: everything arrives, in order.
    server.send(msg.simple(MSG.CHANNEL_EOF, id));
    const got: number[] = [];
    await pipeline(
      d,
      new Writable({
        highWaterMark: 1024,
        write(chunk: Buffer, _enc, cb) {
          for (let i = 0; i < chunk.length; i += 4096) got.push(chunk[i]!);
          setImmediate(cb);
        },
      }),
    );
    expect(got).to.deep.equal([...Array(W / 4096).keys()]);
  });

  it('destroying the stream closes the channel', async () => {
    const { ch, id } = await confirmOpen(server, client.session());
    const d = channelDuplex(ch);
    d.destroy();
    await server.expect(MSG.CHANNEL_CLOSE);
    server.send(msg.simple(MSG.CHANNEL_CLOSE, id));
    await ch.closed;
  });
});
