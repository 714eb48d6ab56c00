/**
 * A misbehaving server: data beyond the window, on an unknown channel, after EOF or close,
 * oversized packets, window overflow, replies nobody asked for, truncated messages. Each
 * time the client sends DISCONNECT(PROTOCOL_ERROR), closes the stream, fails every
 * pending operation with the same typed error, and nothing throws out of the event loop.
 */
import { expect } from 'chai';
import type { SshClient } from '../../../src/client.js';
import { ProtocolError } from '../../../src/errors.js';
import { MSG } from '../../../src/wire/constants.js';
import { Writer } from '../../../src/wire/writer.js';
import { fakePair, msg, type FakeServer } from '../../support/fake-server.js';
import { confirmOpen, enc, expectProtocolDisconnect, rejection, roundTrip } from './helpers.js';

describe('connection/bad input from the server (fake server)', function () {
  this.timeout(20_000);
  let client: SshClient;
  let server: FakeServer;
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown): void => {
    unhandled.push(e);
  };
  before(() => process.on('unhandledRejection', onUnhandled));
  after(() => process.off('unhandledRejection', onUnhandled));
  beforeEach(async () => {
    ({ client, server } = await fakePair());
  });
  afterEach(async () => {
    await client.disconnect();
    // let any stray rejection surface before checking
    await new Promise((r) => setTimeout(r, 20));
    expect(unhandled).to.deep.equal([]);
  });

  /** Everything pending on `ch` and the connection fails with the disconnect error. */
  async function pendingFail(pending: Promise<unknown>[], err: Error): Promise<void> {
    for (const p of pending) expect(await rejection(p)).to.equal(err);
  }

  it('data beyond the window we granted', async () => {
    const { ch, id } = await confirmOpen(server, client.session({ window: 1000 }));
    const opening = client.session(); // a pending open must fail too
    await server.expect(MSG.CHANNEL_OPEN);
    server.send(msg.data(id, new Uint8Array(600)));
    server.send(msg.data(id, new Uint8Array(401)));
    const err = await expectProtocolDisconnect(server, client.closed, 'CHANNEL_WINDOW_EXCEEDED');
    expect(err).to.be.instanceOf(ProtocolError);
    expect(err.message).to.equal('peer sent 401 bytes on channel 0 with only 400 bytes of window');
    // what arrived within the window is still delivered, then the error
    expect((await ch.read())!.length).to.equal(600);
    await pendingFail([ch.read(), ch.exit, opening, ch.write(enc('x')), client.session()], err);
  });

  it('extended data counts against the same window', async () => {
    const { id } = await confirmOpen(server, client.session({ window: 100 }));
    server.send(msg.extendedData(id, 1, new Uint8Array(60)));
    server.send(msg.data(id, new Uint8Array(41)));
    await expectProtocolDisconnect(server, client.closed, 'CHANNEL_WINDOW_EXCEEDED');
  });

  it('a data packet larger than our maximum packet size', async () => {
    const { id } = await confirmOpen(server, client.session({ maxPacket: 1024 }));
    server.send(msg.data(id, new Uint8Array(1025)));
    const err = await expectProtocolDisconnect(server, client.closed, 'CHANNEL_PACKET_EXCEEDED');
    expect(err.message).to.include('1025-byte packet');
  });

  it('data on a channel that was never opened', async () => {
    await confirmOpen(server, client.session());
    server.send(msg.data(77, enc('who?')));
    const err = await expectProtocolDisconnect(server, client.closed, 'CHANNEL_UNKNOWN');
    expect(err.message).to.equal('CHANNEL_DATA for unknown channel 77');
  });

  it('data on a channel still being opened', async () => {
    const opening = client.session();
    await server.expect(MSG.CHANNEL_OPEN);
    server.send(msg.data(0, enc('early')));
    const err = await expectProtocolDisconnect(server, client.closed, 'CHANNEL_UNKNOWN');
    expect(await rejection(opening)).to.equal(err);
  });

  it('data after the server closed the channel', async () => {
    const { ch, id } = await confirmOpen(server, client.session());
    server.send(msg.simple(MSG.CHANNEL_CLOSE, id));
    await ch.closed;
    server.send(msg.data(id, enc('ghost')));
    await expectProtocolDisconnect(server, client.closed, 'CHANNEL_UNKNOWN');
  });

  it('data after the server sent EOF', async () => {
    const { ch, id } = await confirmOpen(server, client.session());
    server.send(msg.simple(MSG.CHANNEL_EOF, id));
    server.send(msg.data(id, enc('after eof')));
    const err = await expectProtocolDisconnect(server, client.closed, 'CHANNEL_CLOSED');
    expect(await rejection(ch.exit)).to.equal(err);
  });

  it('a second CLOSE', async () => {
    const { id } = await confirmOpen(server, client.session());
    const other = await confirmOpen(server, client.session());
    server.send(msg.simple(MSG.CHANNEL_CLOSE, id));
    server.send(msg.simple(MSG.CHANNEL_CLOSE, id));
    await expectProtocolDisconnect(server, client.closed, 'CHANNEL_UNKNOWN');
    expect(await rejection(other.ch.read())).to.be.instanceOf(ProtocolError);
  });

  it('a window adjust past 2^32 - 1 (RFC 4254 §5.2)', async () => {
    const { id } = await confirmOpen(server, client.session(), { window: 0xffff0000 });
    server.send(msg.windowAdjust(id, 0x10000));
    await expectProtocolDisconnect(server, client.closed, 'PROTO');
  });

  it('CHANNEL_SUCCESS for a request never made', async () => {
    const { id } = await confirmOpen(server, client.session());
    server.send(msg.simple(MSG.CHANNEL_SUCCESS, id));
    const err = await expectProtocolDisconnect(server, client.closed, 'PROTO');
    expect(err.message).to.equal('unexpected CHANNEL_SUCCESS on channel 0');
  });

  it('REQUEST_SUCCESS for a global request never made', async () => {
    server.send(new Uint8Array([MSG.REQUEST_SUCCESS]));
    await expectProtocolDisconnect(server, client.closed, 'PROTO');
  });

  it('an open confirmation for a channel we did not open', async () => {
    server.send(msg.openConfirmation(5, 9, 1000, 1000));
    const err = await expectProtocolDisconnect(server, client.closed, 'CHANNEL_UNKNOWN');
    expect(err.message).to.equal('open confirmation for channel 5 we did not open');
  });

  it('a truncated CHANNEL_DATA', async () => {
    const { id } = await confirmOpen(server, client.session());
    const p = msg.data(id, enc('hello'));
    server.send(p.subarray(0, p.length - 2));
    const err = await expectProtocolDisconnect(server, client.closed, 'PROTO');
    expect(err.message).to.match(/^CHANNEL_DATA: truncated data/);
  });

  it('a message number the connection layer does not know', async () => {
    server.send(new Uint8Array([MSG.USERAUTH_SUCCESS]));
    await expectProtocolDisconnect(server, client.closed, 'PROTO');
  });

  it('a malformed forwarded-tcpip open is refused and the connection survives', async () => {
    server.send(msg.channelOpen('forwarded-tcpip', 3, 1000, 1000, (w) => w.string('localhost')));
    const f = await server.expect(MSG.CHANNEL_OPEN_FAILURE);
    expect(new DataView(f.buffer, f.byteOffset).getUint32(1)).to.equal(3);
    await roundTrip(server);
    expect(client.channels.closedError).to.equal(null);
  });

  it('a malformed hostkeys-00 announcement is ignored and the connection survives', async () => {
    server.send(msg.globalRequest('hostkeys-00@openssh.com', false, (w) => w.raw(new Writer().u32(100).finish())));
    await roundTrip(server);
    expect(client.hostKeyUpdates.keys).to.equal(null);
    expect(client.channels.closedError).to.equal(null);
  });

  it('the server drops the connection: everything pending fails with connection lost', async () => {
    const { ch } = await confirmOpen(server, client.session());
    const opening = client.session();
    const global = client.globalRequest('x@test', true);
    await server.expect(MSG.GLOBAL_REQUEST);
    server.close();
    const err = await client.closed;
    expect(err!.code).to.equal('SOCKET_DISCONNECT');
    expect(err!.message).to.equal('connection closed by the server');
    await pendingFail([ch.read(), ch.exit, opening, global], err!);
  });
});
