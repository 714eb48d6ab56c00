/**
 * Cancellation and timeouts (AbortSignal / `timeout` on every async operation, and the
 * client-wide operationTimeout), against the fake server. An aborted operation rejects
 * with a typed error and leaves the channel and connection usable.
 */
import { expect } from 'chai';
import type { SshClient } from '../../../src/client.js';
import { AbortError, abortable } from '../../../src/connection/abort.js';
import { TimeoutError } from '../../../src/errors.js';
import { MSG } from '../../../src/wire/constants.js';
import { Reader } from '../../../src/wire/reader.js';
import { fakePair, msg, parseOpen, type FakeServer } from '../../support/fake-server.js';
import { acceptOpen, confirmOpen, dec, enc, rejection, roundTrip, SERVER_ID_OFFSET } from './helpers.js';

describe('connection/abort and timeouts (fake server)', function () {
  this.timeout(20_000);
  let client: SshClient;
  let server: FakeServer;
  beforeEach(async () => {
    ({ client, server } = await fakePair());
  });
  afterEach(async () => {
    await client.disconnect();
  });

  it('abortable(): signal reasons and timeouts map to typed errors; onAbort runs once', async () => {
    const never = new Promise<number>(() => {});
    const c1 = new AbortController();
    let undone = 0;
    const p1 = abortable(never, 'thing', { signal: c1.signal }, undefined, () => undone++);
    c1.abort('why');
    const e1 = await rejection(p1);
    expect(e1).to.be.instanceOf(AbortError);
    expect([e1.message, e1.code, e1.cause]).to.deep.equal(['thing aborted', 'TIMEOUT', 'why']);
    expect(undone).to.equal(1);
    const e2 = await rejection(abortable(never, 'thing', { signal: AbortSignal.timeout(5) }));
    expect(e2).to.be.instanceOf(TimeoutError);
    expect(e2.message).to.equal('thing timed out');
    const e3 = await rejection(abortable(never, 'thing', { timeout: 5 }));
    expect(e3.message).to.equal('thing timed out after 5 ms');
    const e4 = await rejection(abortable(never, 'thing', {}, 5));
    expect(e4.message).to.equal('thing timed out after 5 ms');
    // Already settled promises win; no timeout means the promise itself.
    expect(await abortable(Promise.resolve(7), 'thing', { timeout: 1 })).to.equal(7);
    const p = Promise.resolve(8);
    expect(abortable(p, 'thing')).to.equal(p);
  });

  it('an aborted read takes nothing: the data is there for the next read', async () => {
    const { ch, id } = await confirmOpen(server, client.session());
    const c = new AbortController();
    const reading = ch.read({ signal: c.signal });
    c.abort();
    expect(await rejection(reading)).to.be.instanceOf(AbortError);
    server.send(msg.data(id, enc('kept')));
    expect(dec(await ch.read())).to.equal('kept');
    const timed = await rejection(ch.read({ timeout: 20 }));
    expect(timed).to.be.instanceOf(TimeoutError);
    expect(timed.message).to.equal('channel read timed out after 20 ms');
    server.send(msg.data(id, enc('again')));
    expect(dec(await ch.read())).to.equal('again');
  });

  it('a write stuck on a closed window is aborted between packets; later writes still go out in order', async () => {
    const { ch, id } = await confirmOpen(server, client.session(), { window: 4, maxPacket: 1024 });
    const c = new AbortController();
    const stuck = ch.write(enc('abcdefgh'), { signal: c.signal });
    const queued = ch.write(enc('XY'), { timeout: 10_000 });
    const first = new Reader(await server.expect(MSG.CHANNEL_DATA), 1);
    expect([first.u32(), dec(first.string())]).to.deep.equal([id + SERVER_ID_OFFSET, 'abcd']);
    c.abort();
    expect(await rejection(stuck)).to.be.instanceOf(AbortError);
    server.send(msg.windowAdjust(id, 100));
    await queued;
    const next = new Reader(await server.expect(MSG.CHANNEL_DATA), 1);
    next.u32();
    expect(dec(next.string())).to.equal('XY');
  });

  it('an open that times out is closed when the confirmation arrives late', async () => {
    const opening = client.session({ timeout: 20 });
    const o = parseOpen(await server.expect(MSG.CHANNEL_OPEN));
    const err = await rejection(opening);
    expect(err).to.be.instanceOf(TimeoutError);
    expect(err.message).to.equal('open session channel timed out after 20 ms');
    server.send(msg.openConfirmation(o.sender, 42, 1 << 20, 32768));
    const close = new Reader(await server.expect(MSG.CHANNEL_CLOSE), 1);
    expect(close.u32()).to.equal(42);
    server.send(msg.simple(MSG.CHANNEL_CLOSE, o.sender));
    await roundTrip(server);
    expect(client.channels.channelCount).to.equal(0);
  });

  it('operationTimeout bounds channel requests and global requests; a late reply is not misattributed', async () => {
    client.operationTimeout = 30;
    const { ch, id } = await confirmOpen(server, client.session());
    const slow = ch.setEnv('A', '1');
    await server.expect(MSG.CHANNEL_REQUEST);
    const err = await rejection(slow);
    expect(err.message).to.equal('env request timed out after 30 ms');
    // A second request is answered; the late reply to the first one must not be taken for it.
    const second = ch.setEnv('B', '2', { timeout: 5000 });
    await server.expect(MSG.CHANNEL_REQUEST);
    server.send(msg.simple(MSG.CHANNEL_SUCCESS, id)); // late reply to the first
    server.send(msg.simple(MSG.CHANNEL_FAILURE, id)); // reply to the second
    expect(await second).to.equal(false);

    const g = client.globalRequest('slow@test', true);
    await server.expect(MSG.GLOBAL_REQUEST);
    expect((await rejection(g)).message).to.equal('slow@test request timed out after 30 ms');
    server.send(new Uint8Array([MSG.REQUEST_SUCCESS]));
    await roundTrip(server);
    expect(client.channels.closedError).to.equal(null);
  });

  it('an already-aborted signal fails at once and sends nothing', async () => {
    const c = new AbortController();
    c.abort();
    expect(await rejection(client.session({ signal: c.signal }))).to.be.instanceOf(AbortError);
    const a = client.forwardOut('h', 1);
    await acceptOpen(server);
    const ch = await a;
    expect(await rejection(ch.request('x', true, undefined, { signal: c.signal }))).to.be.instanceOf(AbortError);
    await roundTrip(server);
    expect(server.received.filter((p) => p[0] === MSG.CHANNEL_OPEN).length).to.equal(1);
    expect(server.received.filter((p) => p[0] === MSG.CHANNEL_REQUEST).length).to.equal(0);
  });

  it('run() with a timeout fails and closes the channel', async () => {
    const running = client.run('sleep 100', { timeout: 50 });
    await acceptOpen(server);
    const exec = new Reader(await server.expect(MSG.CHANNEL_REQUEST), 1);
    const recipient = exec.u32();
    server.send(msg.simple(MSG.CHANNEL_SUCCESS, recipient - SERVER_ID_OFFSET));
    const err = await rejection(running);
    expect(err).to.be.instanceOf(TimeoutError);
    await server.expect(MSG.CHANNEL_CLOSE);
  });
});
