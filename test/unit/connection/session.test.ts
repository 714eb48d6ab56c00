/**
 * Session channels against the fake server: every request is encoded as RFC 4254 says,
 * replies map to results, exit-status / exit-signal fields arrive, EOF and CLOSE work in
 * either order, and extended data follows the chosen mode.
 */
import { expect } from 'chai';
import { decodePtyRequest } from '../../../src/connection/pty.js';
import { ChannelOpenError, DisconnectError } from '../../../src/errors.js';
import { Reader } from '../../../src/wire/reader.js';
import { MSG } from '../../../src/wire/constants.js';
import { fakePair, msg, parseOpen, type FakeServer } from '../../support/fake-server.js';
import { acceptOpen, answerRequest, confirmOpen, dec, enc, readAll, rejection, SERVER_ID_OFFSET } from './helpers.js';
import type { SshClient } from '../../../src/client.js';

describe('connection/session (fake server)', function () {
  this.timeout(20_000);
  let client: SshClient;
  let server: FakeServer;
  beforeEach(async () => {
    ({ client, server } = await fakePair());
  });
  afterEach(async () => {
    await client.disconnect();
  });

  it('exec with env and pty: env, pty-req, exec in that order, with exact bodies', async () => {
    const starting = client.exec('echo hi', {
      env: { LANG: 'C.UTF-8', PURESSH_X: 'y z' },
      pty: { term: 'xterm', cols: 100, rows: 40, width: 800, height: 600, modes: { ECHO: 0, TTY_OP_OSPEED: 9600 } },
    });
    const { type } = await acceptOpen(server);
    expect(type).to.equal('session');
    const env1 = await answerRequest(server);
    expect([env1.type, env1.wantReply, env1.body.text(), env1.body.text()]).to.deep.equal(['env', true, 'LANG', 'C.UTF-8']);
    const env2 = await answerRequest(server, false); // refused: ignored, as ssh does
    expect([env2.type, env2.body.text(), env2.body.text()]).to.deep.equal(['env', 'PURESSH_X', 'y z']);
    const pty = await answerRequest(server);
    expect(pty.type).to.equal('pty-req');
    expect(decodePtyRequest(pty.body.rest())).to.deep.equal({
      term: 'xterm',
      cols: 100,
      rows: 40,
      width: 800,
      height: 600,
      modes: [
        [53, 0],
        [129, 9600],
      ],
    });
    const exec = await answerRequest(server);
    expect([exec.type, exec.wantReply, exec.body.text()]).to.deep.equal(['exec', true, 'echo hi']);
    exec.body.end();
    const ch = await starting;
    expect(ch.type).to.equal('session');
  });

  it('a refused exec closes the channel and throws CHANNEL_REQUEST_DENIED', async () => {
    const starting = client.exec('nope');
    const o = parseOpen(await server.expect(MSG.CHANNEL_OPEN));
    server.send(msg.openConfirmation(o.sender, 5, 1 << 20, 32768));
    await server.expect(MSG.CHANNEL_REQUEST);
    server.send(msg.simple(MSG.CHANNEL_FAILURE, o.sender));
    const close = await server.expect(MSG.CHANNEL_CLOSE);
    expect(close.subarray(1)).to.deep.equal(Uint8Array.from([0, 0, 0, 5]));
    server.send(msg.simple(MSG.CHANNEL_CLOSE, o.sender));
    expect((await rejection(starting)).code).to.equal('CHANNEL_REQUEST_DENIED');
  });

  it('shell, subsystem, window-change, signal and break requests', async () => {
    const { ch } = await confirmOpen(server, client.session());
    const shell = ch.shell();
    const r1 = await answerRequest(server);
    expect([r1.type, r1.wantReply, r1.body.remaining]).to.deep.equal(['shell', true, 0]);
    await shell;

    const sub = ch.subsystem('sftp');
    const r2 = await answerRequest(server, false);
    expect([r2.type, r2.body.text()]).to.deep.equal(['subsystem', 'sftp']);
    expect((await rejection(sub)).code).to.equal('CHANNEL_REQUEST_DENIED');

    await ch.windowChange({ cols: 120, rows: 50, width: 10, height: 20 });
    const r3 = await answerRequest(server);
    expect([r3.type, r3.wantReply, r3.body.u32(), r3.body.u32(), r3.body.u32(), r3.body.u32()]).to.deep.equal(['window-change', false, 120, 50, 10, 20]);

    await ch.signal('SIGINT');
    const r4 = await answerRequest(server);
    expect([r4.type, r4.wantReply, r4.body.ascii()]).to.deep.equal(['signal', false, 'INT']);
    await ch.signal('USR1');
    expect((await answerRequest(server)).body.ascii()).to.equal('USR1');
    await rejection(ch.signal('bad name'));

    const brk = ch.sendBreak(500);
    const r5 = await answerRequest(server, true);
    expect([r5.type, r5.wantReply, r5.body.u32()]).to.deep.equal(['break', true, 500]);
    expect(await brk).to.equal(true);
    const brk2 = ch.sendBreak();
    await answerRequest(server, false);
    expect(await brk2).to.equal(false);
  });

  it('replies are matched to requests in order (RFC 4254 §5.4)', async () => {
    const { ch, id } = await confirmOpen(server, client.session());
    const a = ch.setEnv('A', '1');
    const b = ch.setEnv('B', '2');
    const c = ch.setEnv('C', '3');
    for (let i = 0; i < 3; i++) await server.expect(MSG.CHANNEL_REQUEST);
    server.send(msg.simple(MSG.CHANNEL_SUCCESS, id));
    server.send(msg.simple(MSG.CHANNEL_FAILURE, id));
    server.send(msg.simple(MSG.CHANNEL_SUCCESS, id));
    expect([await a, await b, await c]).to.deep.equal([true, false, true]);
  });

  it('exit-status, then EOF, then CLOSE', async () => {
    const { ch, id } = await confirmOpen(server, client.session());
    server.send(msg.data(id, enc('out')));
    server.send(msg.extendedData(id, 1, enc('err')));
    server.send(msg.channelRequest(id, 'exit-status', false, (w) => w.u32(3)));
    server.send(msg.simple(MSG.CHANNEL_EOF, id));
    server.send(msg.simple(MSG.CHANNEL_CLOSE, id));
    expect(await readAll(() => ch.read())).to.equal('out');
    expect(await readAll(() => ch.readStderr())).to.equal('err');
    expect(await ch.exit).to.deep.equal({ code: 3, signal: null, coreDumped: false, message: '' });
    // The client answers CLOSE with CLOSE.
    const close = await server.expect(MSG.CHANNEL_CLOSE);
    expect(new DataView(close.buffer, close.byteOffset).getUint32(1)).to.equal(id + SERVER_ID_OFFSET);
  });

  it('exit-signal with name, core-dumped flag and message; CLOSE without EOF', async () => {
    const { ch, id } = await confirmOpen(server, client.session());
    server.send(msg.channelRequest(id, 'exit-signal', false, (w) => w.string('SEGV').bool(true).string('Segmentation fault').string('en')));
    server.send(msg.simple(MSG.CHANNEL_CLOSE, id));
    expect(await ch.read()).to.equal(null);
    expect(await ch.exit).to.deep.equal({ code: null, signal: 'SEGV', coreDumped: true, message: 'Segmentation fault' });
  });

  it('we close first: CLOSE sent, the peer answers, exit resolves, the channel is released', async () => {
    const { ch, id } = await confirmOpen(server, client.session());
    const closing = ch.close();
    await server.expect(MSG.CHANNEL_CLOSE);
    // data the server sent before seeing our CLOSE is still legal and dropped
    server.send(msg.data(id, enc('late')));
    server.send(msg.simple(MSG.CHANNEL_CLOSE, id));
    await closing;
    expect(client.channels.channelCount).to.equal(0);
    expect((await ch.exit).code).to.equal(null);
  });

  it('EOF from us, then the peer keeps sending until its own EOF', async () => {
    const { ch, id } = await confirmOpen(server, client.session());
    await ch.write(enc('input'));
    await ch.eof();
    const d = await server.expect(MSG.CHANNEL_DATA);
    expect(dec(d.subarray(9))).to.equal('input');
    await server.expect(MSG.CHANNEL_EOF);
    expect((await rejection(ch.write(enc('x')))).code).to.equal('CHANNEL_EOF_SENT');
    server.send(msg.data(id, enc('still here')));
    server.send(msg.simple(MSG.CHANNEL_EOF, id));
    expect(await readAll(() => ch.read())).to.equal('still here');
  });

  for (const [mode, out, err] of [
    ['normal', 'o1o2', 'e1'],
    ['merge', 'o1e1o2', ''],
    ['ignore', 'o1o2', ''],
  ] as const) {
    it(`extended data mode "${mode}"`, async () => {
      const { ch, id } = await confirmOpen(server, client.session({ extendedData: mode }));
      server.send(msg.data(id, enc('o1')));
      server.send(msg.extendedData(id, 1, enc('e1')));
      server.send(msg.data(id, enc('o2')));
      server.send(msg.simple(MSG.CHANNEL_EOF, id));
      expect(await readAll(() => ch.read())).to.equal(out);
      expect(await readAll(() => ch.readStderr())).to.equal(err);
    });
  }

  it('disconnect: DISCONNECT(BY_APPLICATION) is sent, every channel is released and its pending reads fail', async () => {
    const { ch } = await confirmOpen(server, client.session());
    const other = await confirmOpen(server, client.session());
    const reading = ch.read();
    await client.disconnect('bye');
    const d = new Reader(await server.expect(MSG.DISCONNECT), 1);
    expect([d.u32(), d.text()]).to.deep.equal([11, 'bye']);
    expect(await server.receive()).to.equal(null);
    expect(await client.closed).to.equal(null);
    const err = await rejection(reading);
    expect(err).to.be.instanceOf(DisconnectError);
    expect(await rejection(other.ch.exit)).to.equal(err);
    expect(client.channels.channelCount).to.equal(0);
    expect((await rejection(client.session())).code).to.equal('SOCKET_DISCONNECT');
  });

  it('channel open failure is a ChannelOpenError with the reason', async () => {
    const opening = client.session();
    const o = parseOpen(await server.expect(MSG.CHANNEL_OPEN));
    server.send(msg.openFailure(o.sender, 4, 'no more sessions'));
    const err = await rejection(opening);
    expect(err).to.be.instanceOf(ChannelOpenError);
    expect((err as ChannelOpenError).reason).to.equal(4);
    expect((err as ChannelOpenError).description).to.equal('no more sessions');
  });

  it('requests from the server: unknown ones are refused, keepalive channel requests too', async () => {
    const { id } = await confirmOpen(server, client.session());
    server.send(msg.channelRequest(id, 'keepalive@openssh.com', true));
    const f = await server.expect(MSG.CHANNEL_SUCCESS, MSG.CHANNEL_FAILURE);
    expect(f[0]).to.equal(MSG.CHANNEL_FAILURE);
    expect(new DataView(f.buffer, f.byteOffset).getUint32(1)).to.equal(id + SERVER_ID_OFFSET);
    // eow@openssh.com has no reply and changes nothing
    server.send(msg.channelRequest(id, 'eow@openssh.com', false));
    server.send(msg.globalRequest('no-such-request@example.com', true));
    expect((await server.expect(MSG.REQUEST_SUCCESS, MSG.REQUEST_FAILURE))[0]).to.equal(MSG.REQUEST_FAILURE);
    // an unknown channel type is refused with UNKNOWN_CHANNEL_TYPE (RFC 4254 §5.1)
    server.send(msg.channelOpen('x11', 77, 65536, 32768, (w) => w.string('1.2.3.4').u32(6000)));
    const fail = await server.expect(MSG.CHANNEL_OPEN_FAILURE);
    const v = new DataView(fail.buffer, fail.byteOffset);
    expect([v.getUint32(1), v.getUint32(5)]).to.deep.equal([77, 3]);
  });
});
