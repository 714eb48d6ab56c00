/**
 * The server's connection layer against puressh's client Connection/Session over an
 * in-memory packet pair: session requests, exit status and signals, EOF/close both ways,
 * MaxSessions, no-more-sessions, forwarding requests, host key proofs.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Connection } from '../../../src/connection/connection.js';
import { openSession } from '../../../src/connection/session.js';
import { openDirectTcpip, Forwarding } from '../../../src/connection/forward.js';
import { HostKeyUpdates } from '../../../src/connection/hostkeys.js';
import { generateKeyPair } from '../../../src/crypto/keys/index.js';
import { ChannelOpenError, SshError } from '../../../src/errors.js';
import { ServerConnection, type ConnectionHandlers } from '../../../src/server/connection.js';
import type { ServerSession, SessionHandler } from '../../../src/server/session.js';
import type { AuthPermissions } from '../../../src/server/types.js';
import { packetPair, SESSION_ID, type FakePacketEnd } from './packet-pair.js';

const rng = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

async function readAll(read: () => Promise<Uint8Array | null>): Promise<string> {
  let s = '';
  for (let c = await read(); c !== null; c = await read()) s += dec(c);
  return s;
}

function setup(
  handlers: ConnectionHandlers,
  opts: { permissions?: AuthPermissions; maxSessions?: number; hostKeys?: ReturnType<typeof hostKey>[] } = {},
): { client: Connection; server: ServerConnection; serverEnd: FakePacketEnd; clientEnd: FakePacketEnd } {
  const [c, s] = packetPair();
  const server = new ServerConnection(
    s,
    { username: 'alice', methods: ['publickey'], permissions: opts.permissions ?? {} },
    { clientVersion: 'SSH-2.0-test', sessionId: SESSION_ID },
    handlers,
    { maxSessions: opts.maxSessions, hostKeys: opts.hostKeys, kexHostKeyAlgorithm: 'ssh-ed25519' },
  );
  const client = new Connection(c);
  return { client, server, serverEnd: s, clientEnd: c };
}

function hostKey(): { blob: Uint8Array; algorithms: readonly string[]; sign: (a: string, d: Uint8Array) => Uint8Array | Promise<Uint8Array> } {
  const k = generateKeyPair({ type: 'ed25519' }, rng).privateKey;
  return { blob: k.publicKey.blob, algorithms: k.signatureAlgorithms, sign: (a, d) => k.sign(a, d) };
}

/** exec echoes the command and stdin, writes stderr, exits 3. */
const echoHandler = (log: string[] = []): SessionHandler => ({
  pty: (req) => (log.push(`pty ${req.term} ${req.cols}x${req.rows} modes=${req.modes.length}`), true),
  env: (name, value) => (log.push(`env ${name}=${value}`), name.startsWith('LC_')),
  windowChange: (size) => log.push(`winch ${size.cols}x${size.rows}`),
  signal: (name) => log.push(`signal ${name}`),
  break: (ms) => (log.push(`break ${ms}`), true),
  exec(command, session) {
    void (async () => {
      const input = await readAll(() => session.read());
      await session.write(enc(`cmd=${command} stdin=${input} env=${JSON.stringify(session.env)}`));
      await session.writeStderr(enc('err!'));
      await session.sendExitStatus(3);
    })();
    return true;
  },
  shell(session) {
    void (async () => {
      for (let c = await session.read(); c !== null; c = await session.read()) await session.write(c);
      await session.sendExitSignal('TERM', false, 'killed');
    })();
    return true;
  },
});

describe('server connection layer', () => {
  it('exec with env and pty: output, stderr, exit status 3, EOF and close', async () => {
    const log: string[] = [];
    const { client } = setup({ session: () => echoHandler(log) });
    const s = await openSession(client);
    expect(await s.setEnv('LC_ALL', 'C')).to.equal(true);
    expect(await s.setEnv('PATH', '/evil')).to.equal(false);
    await s.requestPty({ term: 'xterm', cols: 100, rows: 30, modes: { ECHO: 0 } });
    await s.exec('hello world');
    await s.windowChange({ cols: 120, rows: 40 });
    await s.signal('INT');
    expect(await s.sendBreak(250)).to.equal(true);
    await s.write(enc('input'));
    await s.eof();
    const [out, err] = await Promise.all([readAll(() => s.read()), readAll(() => s.readStderr())]);
    const status = await s.exit;
    expect(out).to.equal('cmd=hello world stdin=input env={"LC_ALL":"C"}');
    expect(err).to.equal('err!');
    expect(status).to.deep.equal({ code: 3, signal: null, coreDumped: false, message: '' });
    expect(log).to.deep.equal(['env LC_ALL=C', 'env PATH=/evil', 'pty xterm 100x30 modes=1', 'winch 120x40', 'signal INT', 'break 250']);
  });

  it('shell echoes and ends with exit-signal', async () => {
    const { client } = setup({ session: () => echoHandler() });
    const s = await openSession(client);
    await s.shell();
    await s.write(enc('abc'));
    await s.eof();
    expect(await readAll(() => s.read())).to.equal('abc');
    expect(await s.exit).to.deep.equal({ code: null, signal: 'TERM', coreDumped: false, message: 'killed' });
  });

  it('one exec per session; subsystem and agent forwarding refused without handlers; noPty enforced', async () => {
    const { client } = setup({ session: () => echoHandler() }, { permissions: { noPty: true } });
    const s = await openSession(client);
    await s.requestPty().then(
      () => expect.fail('pty granted'),
      (e: unknown) => expect((e as SshError).code).to.equal('CHANNEL_REQUEST_DENIED'),
    );
    expect(await s.request('auth-agent-req@openssh.com', true)).to.equal(false);
    expect(await s.request('subsystem', true, enc('\0\0\0\x04sftp'))).to.equal(false);
    expect(await s.request('x11-req', true)).to.equal(false);
    await s.exec('a');
    expect(await s.request('exec', true, enc('\0\0\0\x01b'))).to.equal(false);
    await s.eof();
    expect((await s.exit).code).to.equal(3);
  });

  it('async handlers: replies keep request order', async () => {
    const order: string[] = [];
    const { client } = setup({
      session: () => ({
        env: async (name) => {
          await new Promise((r) => setTimeout(r, name === 'LC_SLOW' ? 30 : 0));
          order.push(name);
          return name !== 'LC_NO';
        },
      }),
    });
    const s = await openSession(client);
    const replies = await Promise.all([s.setEnv('LC_SLOW', '1'), s.setEnv('LC_NO', '2'), s.setEnv('LC_FAST', '3')]);
    expect(replies).to.deep.equal([true, false, true]);
    expect(order).to.deep.equal(['LC_NO', 'LC_FAST', 'LC_SLOW']);
  });

  it('sessions refused without a handler; MaxSessions counts open sessions', async () => {
    const none = setup({});
    await openSession(none.client).then(
      () => expect.fail('opened'),
      (e: unknown) => expect((e as ChannelOpenError).reason).to.equal(1),
    );
    const { client, server } = setup({ session: () => ({}) }, { maxSessions: 2 });
    const a = await openSession(client);
    await openSession(client);
    const third = await openSession(client).then(
      () => null,
      (e: unknown) => e as ChannelOpenError,
    );
    expect(third).to.be.instanceOf(ChannelOpenError);
    expect(server.sessionCount).to.equal(2);
    await a.close();
    await new Promise((r) => setTimeout(r, 0));
    expect(server.sessionCount).to.equal(1);
    await openSession(client);
  });

  it('no-more-sessions@openssh.com: a later session open is a disconnect', async () => {
    const { client, serverEnd } = setup({ session: () => ({}) });
    await openSession(client);
    await client.globalRequest('no-more-sessions@openssh.com', false);
    const err = await openSession(client).then(
      () => null,
      (e: unknown) => e as SshError,
    );
    expect(err).to.be.instanceOf(SshError);
    expect(serverEnd.disconnected?.description).to.equal('Possible attack: attempt to open a session after additional sessions disabled');
  });

  it('keepalive@openssh.com and unknown global requests: REQUEST_FAILURE; the application may answer others', async () => {
    const plain = setup({});
    expect(await plain.client.globalRequest('keepalive@openssh.com', true)).to.equal(null);
    expect(await plain.client.globalRequest('whatever@example.com', true)).to.equal(null);
    const app = setup({ globalRequest: (name, body) => (name === 'echo@example.com' ? body : false) });
    expect(Array.from((await app.client.globalRequest('echo@example.com', true, new Uint8Array([1, 2])))!)).to.deep.equal([1, 2]);
  });

  it('direct-tcpip: routed to the handler with its fields; refused without one or with noPortForwarding', async () => {
    const seen: string[] = [];
    const { client } = setup({
      directTcpip: (req) => {
        seen.push(`${req.host}:${req.port} from ${req.originatorAddress}:${req.originatorPort}`);
        if (req.port === 1) return req.reject();
        const ch = req.accept();
        void (async () => {
          const data = await readAll(() => ch.read());
          await ch.write(enc(data.toUpperCase()));
          await ch.eof();
          ch.closeNow();
        })();
      },
    });
    const ch = await openDirectTcpip(client, 'example.com', 80, { originatorAddress: '10.0.0.1', originatorPort: 5555 });
    await ch.write(enc('get /'));
    await ch.eof();
    expect(await readAll(() => ch.read())).to.equal('GET /');
    const refused = await openDirectTcpip(client, 'example.com', 1).then(
      () => null,
      (e: unknown) => e as ChannelOpenError,
    );
    expect(refused?.reason).to.equal(2);
    expect(seen).to.deep.equal(['example.com:80 from 10.0.0.1:5555', 'example.com:1 from 127.0.0.1:0']);
    const denied = setup({ directTcpip: (r) => void r.accept() }, { permissions: { noPortForwarding: true } });
    expect(
      await openDirectTcpip(denied.client, 'x', 1).then(
        () => 0,
        (e: unknown) => (e as ChannelOpenError).reason,
      ),
    ).to.equal(1);
  });

  it('tcpip-forward with port 0 returns the bound port; a forwarded-tcpip open reaches the client', async () => {
    let serverConn: ServerConnection | null = null;
    const { client } = setup({
      tcpipForward: (req, conn) => {
        serverConn = conn;
        return req.port === 0 ? 40123 : req.port < 1024 ? false : true;
      },
      cancelTcpipForward: (req) => req.port === 40123,
    });
    const fwd = new Forwarding(client);
    const listener = await fwd.listenTcp('127.0.0.1', 0);
    expect(listener.port).to.equal(40123);
    const fixed = await fwd.listenTcp('127.0.0.1', 8022);
    expect(fixed.port).to.equal(8022);
    await fwd.listenTcp('127.0.0.1', 22).then(
      () => expect.fail('privileged port accepted'),
      (e: unknown) => expect(e).to.be.instanceOf(SshError),
    );
    const opened = serverConn!.openForwardedTcpip('127.0.0.1', 40123, '192.0.2.9', 6000);
    const incoming = await listener.accept();
    const ch = await opened;
    expect(incoming).to.include({ address: '127.0.0.1', port: 40123, originatorAddress: '192.0.2.9', originatorPort: 6000 });
    await ch.write(enc('ping'));
    await ch.eof();
    expect(await readAll(() => incoming!.channel.read())).to.equal('ping');
    await listener.close();
  });

  it('hostkeys-00 announced and hostkeys-prove-00 answered with valid proofs', async () => {
    const keys = [hostKey(), hostKey()];
    const { client, server } = setup({}, { hostKeys: keys });
    const updates = new HostKeyUpdates(client, SESSION_ID, 'ssh-ed25519');
    await server.announceHostKeys();
    const announced = await updates.received;
    expect(announced.map((k) => k.blob)).to.deep.equal(keys.map((k) => k.blob));
    const proven = await updates.prove();
    expect(proven).to.have.length(2);
    // a key that is not ours: REQUEST_FAILURE
    const stranger = { ...announced[0]!, blob: hostKey().blob };
    await updates.prove([stranger]).then(
      () => expect.fail('proved a key we do not hold'),
      (e: unknown) => expect((e as SshError).code).to.equal('REQUEST_DENIED'),
    );
  });

  it('garbage on the connection layer ends that connection with PROTOCOL_ERROR', async () => {
    for (const bad of [new Uint8Array([94, 0, 0, 0, 9, 0, 0, 0, 1, 65]), new Uint8Array([90, 0, 0]), new Uint8Array([5, 1, 2])]) {
      const { server, serverEnd, clientEnd } = setup({ session: () => ({}) });
      await clientEnd.send(bad);
      const err = await server.done;
      expect(err.code).to.match(/PROTO|CHANNEL_UNKNOWN/);
      expect(serverEnd.disconnected?.reason).to.equal(2);
    }
  });

  it('late userauth requests after success are ignored (RFC 4252 §5.1)', async () => {
    const { client, clientEnd } = setup({ globalRequest: () => true });
    await clientEnd.send(new Uint8Array([50, 0, 0, 0, 0]));
    expect(await client.globalRequest('x@example.com', true)).to.not.equal(null);
  });
});

export type { ServerSession };
