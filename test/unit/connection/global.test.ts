/**
 * Global requests and server-opened channels against the fake server: keepalive probes and
 * the dead-peer verdict, hostkeys-00 / hostkeys-prove-00, tcpip-forward and
 * streamlocal-forward listeners with their incoming channels.
 */
import { expect } from 'chai';
import type { SshClient } from '../../../src/client.js';
import { ConnectionLostError, HostKeyError, OPEN_FAILURE } from '../../../src/errors.js';
import { MSG } from '../../../src/wire/constants.js';
import { Reader } from '../../../src/wire/reader.js';
import { Writer } from '../../../src/wire/writer.js';
import { ed25519HostKey, fakePair, msg, type FakeServer } from '../../support/fake-server.js';
import { acceptOpen, confirmOpen, dec, enc, readAll, rejection, roundTrip } from './helpers.js';

function parseGlobal(p: Uint8Array): { name: string; wantReply: boolean; body: Reader } {
  const r = new Reader(p, 1);
  return { name: r.ascii(), wantReply: r.bool(), body: r };
}

describe('connection/global requests (fake server)', function () {
  this.timeout(20_000);
  let client: SshClient;
  let server: FakeServer;
  afterEach(async () => {
    await client?.disconnect();
  });

  describe('keepalive', () => {
    it('a silent server: countMax probes, then connection lost, and everything pending fails', async () => {
      ({ client, server } = await fakePair({ keepaliveInterval: 50, keepaliveCountMax: 3 }));
      const { ch } = await confirmOpen(server, client.session());
      const opening = client.session();
      const probes: string[] = [];
      // The server reads but never answers.
      for (;;) {
        const p = await server.receive();
        if (p === null) break;
        if (p[0] === MSG.GLOBAL_REQUEST) {
          const g = parseGlobal(p);
          probes.push(`${g.name} want-reply=${g.wantReply}`);
        }
      }
      expect(probes).to.deep.equal(Array(3).fill('keepalive@openssh.com want-reply=true'));
      const err = await client.closed;
      expect(err).to.be.instanceOf(ConnectionLostError);
      expect(err!.message).to.equal('Timeout, server not responding (3 keepalives unanswered)');
      for (const p of [ch.read(), ch.exit, opening, ch.write(enc('x')), client.session(), client.globalRequest('x', true)]) {
        expect(await rejection(p)).to.equal(err);
      }
    });

    it('answered probes keep the connection up, whatever the answer', async () => {
      ({ client, server } = await fakePair({ keepaliveInterval: 30, keepaliveCountMax: 1 }));
      let answered = 0;
      while (answered < 8) {
        const g = parseGlobal(await server.expect(MSG.GLOBAL_REQUEST));
        expect(g.name).to.equal('keepalive@openssh.com');
        // OpenSSH answers REQUEST_FAILURE (it does not know the request): alive all the same.
        server.send(new Uint8Array([answered % 2 ? MSG.REQUEST_SUCCESS : MSG.REQUEST_FAILURE]));
        answered++;
      }
      expect(client.channels.closedError).to.equal(null);
      client.setKeepalive(null);
    });
  });

  describe('hostkeys-00@openssh.com', () => {
    it('collects the announced keys, skipping unknown types', async () => {
      ({ client, server } = await fakePair());
      const second = ed25519HostKey();
      const unknown = new Writer().string('ssh-unknown-key@example.com').string('xyz').finish().slice();
      server.send(msg.globalRequest('hostkeys-00@openssh.com', false, (w) => w.string(server.hostKey.blob).string(unknown).string(second.blob)));
      const keys = await client.hostKeyUpdates.received;
      expect(keys.map((k) => k.type)).to.deep.equal(['ssh-ed25519', 'ssh-ed25519']);
      expect(keys[0]!.blob).to.deep.equal(server.hostKey.blob);
      expect(keys[1]!.blob).to.deep.equal(second.blob);
      expect(keys[0]!.fingerprint).to.equal(client.hostKey.fingerprint);
    });

    it('proves keys with hostkeys-prove-00 and checks each signature', async () => {
      ({ client, server } = await fakePair());
      const second = ed25519HostKey();
      server.send(msg.globalRequest('hostkeys-00@openssh.com', false, (w) => w.string(server.hostKey.blob).string(second.blob)));
      await client.hostKeyUpdates.received;
      const proving = client.hostKeyUpdates.prove();
      const g = parseGlobal(await server.expect(MSG.GLOBAL_REQUEST));
      expect([g.name, g.wantReply]).to.deep.equal(['hostkeys-prove-00@openssh.com', true]);
      const asked = [g.body.string().slice(), g.body.string().slice()];
      g.body.end();
      expect(asked).to.deep.equal([server.hostKey.blob, second.blob]);
      // Signed data: string "hostkeys-prove-00@openssh.com", string session id, string key.
      const signed = (blob: Uint8Array) => new Writer().string('hostkeys-prove-00@openssh.com').string(server.sessionId).string(blob).finish().slice();
      const sigs = [await server.hostKey.sign(signed(asked[0]!)), await second.sign(signed(asked[1]!))];
      const reply = new Writer().u8(MSG.REQUEST_SUCCESS);
      for (const s of sigs) reply.string(s);
      server.send(reply.finish().slice());
      const proven = await proving;
      expect(proven.map((k) => k.blob)).to.deep.equal(asked);
    });

    it('a wrong signature (over another session id) is a HostKeyError', async () => {
      ({ client, server } = await fakePair());
      const second = ed25519HostKey();
      server.send(msg.globalRequest('hostkeys-00@openssh.com', false, (w) => w.string(second.blob)));
      await client.hostKeyUpdates.received;
      const proving = client.hostKeyUpdates.prove();
      await server.expect(MSG.GLOBAL_REQUEST);
      const wrong = new Writer().string('hostkeys-prove-00@openssh.com').string(new Uint8Array(32)).string(second.blob).finish().slice();
      server.send(
        new Writer()
          .u8(MSG.REQUEST_SUCCESS)
          .string(await second.sign(wrong))
          .finish()
          .slice(),
      );
      const err = await rejection(proving);
      expect(err).to.be.instanceOf(HostKeyError);
      expect(err.message).to.match(/^server gave a bad signature for its ssh-ed25519 key SHA256:/);
      // The connection itself is fine.
      await roundTrip(server);
    });

    it('a refused proof request is REQUEST_DENIED', async () => {
      ({ client, server } = await fakePair());
      server.send(msg.globalRequest('hostkeys-00@openssh.com', false, (w) => w.string(server.hostKey.blob)));
      await client.hostKeyUpdates.received;
      const proving = client.hostKeyUpdates.prove();
      await server.expect(MSG.GLOBAL_REQUEST);
      server.send(new Uint8Array([MSG.REQUEST_FAILURE]));
      expect((await rejection(proving)).code).to.equal('REQUEST_DENIED');
    });
  });

  describe('remote forwarding', () => {
    it('tcpip-forward on port 0 returns the bound port; forwarded-tcpip channels are accepted and routed', async () => {
      ({ client, server } = await fakePair());
      const listening = client.forwardIn('localhost', 0);
      const g = parseGlobal(await server.expect(MSG.GLOBAL_REQUEST));
      expect([g.name, g.wantReply, g.body.ascii(), g.body.u32()]).to.deep.equal(['tcpip-forward', true, 'localhost', 0]);
      server.send(new Writer().u8(MSG.REQUEST_SUCCESS).u32(43210).finish().slice());
      const listener = await listening;
      expect(listener.port).to.equal(43210);

      server.send(msg.channelOpen('forwarded-tcpip', 9, 65536, 16384, (w) => w.string('localhost').u32(43210).string('10.0.0.7').u32(5555)));
      const conf = new Reader(await server.expect(MSG.CHANNEL_OPEN_CONFIRMATION), 1);
      expect(conf.u32()).to.equal(9);
      const localId = conf.u32();
      const incoming = (await listener.accept())!;
      expect([incoming.address, incoming.port, incoming.originatorAddress, incoming.originatorPort]).to.deep.equal(['localhost', 43210, '10.0.0.7', 5555]);
      expect(incoming.channel.type).to.equal('forwarded-tcpip');
      server.send(msg.data(localId, enc('ping')));
      server.send(msg.simple(MSG.CHANNEL_EOF, localId));
      expect(await readAll(() => incoming.channel.read())).to.equal('ping');
      await incoming.channel.write(enc('pong'));
      const d = new Reader(await server.expect(MSG.CHANNEL_DATA), 1);
      expect([d.u32(), dec(d.string())]).to.deep.equal([9, 'pong']);

      // A connection for a port nobody listens on is refused.
      server.send(msg.channelOpen('forwarded-tcpip', 10, 65536, 16384, (w) => w.string('localhost').u32(1).string('10.0.0.7').u32(5556)));
      const f = new Reader(await server.expect(MSG.CHANNEL_OPEN_FAILURE), 1);
      expect([f.u32(), f.u32()]).to.deep.equal([10, OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED]);

      // close() cancels with the bound port.
      const closing = listener.close();
      const c = parseGlobal(await server.expect(MSG.GLOBAL_REQUEST));
      expect([c.name, c.wantReply, c.body.ascii(), c.body.u32()]).to.deep.equal(['cancel-tcpip-forward', true, 'localhost', 43210]);
      server.send(new Uint8Array([MSG.REQUEST_SUCCESS]));
      await closing;
      expect(await listener.accept()).to.equal(null);
    });

    it('a refused tcpip-forward is REQUEST_DENIED', async () => {
      ({ client, server } = await fakePair());
      const listening = client.forwardIn('0.0.0.0', 80);
      await server.expect(MSG.GLOBAL_REQUEST);
      server.send(new Uint8Array([MSG.REQUEST_FAILURE]));
      const err = await rejection(listening);
      expect(err.code).to.equal('REQUEST_DENIED');
      expect(err.message).to.equal('remote port forwarding for 0.0.0.0:80 refused by the server');
    });

    it('streamlocal-forward and forwarded-streamlocal channels', async () => {
      ({ client, server } = await fakePair());
      const listening = client.forwardInStreamLocal('/tmp/x.sock');
      const g = parseGlobal(await server.expect(MSG.GLOBAL_REQUEST));
      expect([g.name, g.wantReply, g.body.ascii()]).to.deep.equal(['streamlocal-forward@openssh.com', true, '/tmp/x.sock']);
      server.send(new Uint8Array([MSG.REQUEST_SUCCESS]));
      const listener = await listening;
      server.send(msg.channelOpen('forwarded-streamlocal@openssh.com', 4, 65536, 16384, (w) => w.string('/tmp/x.sock').string('')));
      await server.expect(MSG.CHANNEL_OPEN_CONFIRMATION);
      const incoming = (await listener.accept())!;
      expect(incoming.socketPath).to.equal('/tmp/x.sock');
      await listener.close();
      const c = parseGlobal(await server.expect(MSG.GLOBAL_REQUEST));
      expect([c.name, c.wantReply, c.body.ascii()]).to.deep.equal(['cancel-streamlocal-forward@openssh.com', false, '/tmp/x.sock']);
    });

    it('direct-tcpip and direct-streamlocal open bodies', async () => {
      ({ client, server } = await fakePair());
      const a = client.forwardOut('example.com', 8080, { originatorAddress: '192.168.1.2', originatorPort: 40000 });
      const o = await acceptOpen(server);
      expect(o.type).to.equal('direct-tcpip');
      await a;
      const open1 = new Reader(
        server.received.find((p) => p[0] === MSG.CHANNEL_OPEN)!,
        1,
      );
      expect([open1.ascii(), open1.u32(), open1.u32(), open1.u32(), open1.ascii(), open1.u32(), open1.ascii(), open1.u32()]).to.deep.equal([
        'direct-tcpip',
        o.id,
        o.window,
        o.maxPacket,
        'example.com',
        8080,
        '192.168.1.2',
        40000,
      ]);
      const b = client.openStreamLocal('/run/app.sock');
      await acceptOpen(server);
      await b;
      const open2 = new Reader(server.received.filter((p) => p[0] === MSG.CHANNEL_OPEN)[1]!, 1);
      expect(open2.ascii()).to.equal('direct-streamlocal@openssh.com');
      open2.u32();
      open2.u32();
      open2.u32();
      expect([open2.ascii(), open2.ascii(), open2.u32()]).to.deep.equal(['/run/app.sock', '', 0]);
      open2.end();
    });
  });
});
