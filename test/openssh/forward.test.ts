/**
 * Port and Unix-socket forwarding through a real OpenSSH sshd, to local echo servers:
 * - -L (direct-tcpip via a local listener) and -R (tcpip-forward on port 0, relayed back):
 *   64 MiB each way, sha256 identical; 50 connections at once through each;
 * - direct-streamlocal and streamlocal-forward to Unix sockets;
 * - a refused direct-tcpip is a ChannelOpenError(CONNECT_FAILED); a cancelled forward stops listening;
 * - an SSH connection run inside a direct-tcpip channel (what ProxyJump does).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { expect } from 'chai';
import { connect, forwardLocal, forwardRemote, pipeChannel, socksProxy, type NodeConnectOptions } from '../../src/node.js';
import type { SshClient } from '../../src/client.js';
import { ChannelOpenError, OPEN_FAILURE } from '../../src/errors.js';
import { sshdClientOptions } from '../support/connect.js';
import { echoRoundTrip } from '../support/echo.js';
import { freePort, startSshd, type Sshd } from '../support/sshd.js';

const MiB = 1024 * 1024;
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** An echo server on TCP (listen: 0) or a Unix socket path. */
async function echoServer(listen: number | string): Promise<{ port: number; path: string; connections(): number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let count = 0;
  const server: Server = createServer((s) => {
    count++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((r) => (typeof listen === 'string' ? server.listen(listen, r) : server.listen(listen, '127.0.0.1', r)));
  const a = server.address();
  return {
    port: typeof a === 'object' && a ? a.port : 0,
    path: typeof a === 'string' ? a : '',
    connections: () => count,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Connect, send `data`, half-close, and return the sha256 of everything echoed back. */
function echoThrough(target: { port: number } | { path: string }, data: Uint8Array): Promise<{ hash: string; length: number }> {
  return new Promise((resolve, reject) => {
    const s = 'path' in target ? netConnect(target.path) : netConnect(target.port, '127.0.0.1');
    const h = createHash('sha256');
    let length = 0;
    s.on('data', (b: Buffer) => {
      h.update(b);
      length += b.length;
    });
    s.on('end', () => resolve({ hash: h.digest('hex'), length }));
    s.on('error', reject);
    s.end(data);
  });
}

describe('forwarding with OpenSSH sshd', function () {
  this.timeout(300_000);
  let sshd: Sshd;
  let client: SshClient;
  let echo: Awaited<ReturnType<typeof echoServer>>;
  before(async () => {
    sshd = await startSshd({ hostKeyTypes: ['ed25519'], config: ['MaxSessions 300', 'StreamLocalBindUnlink yes'] });
    client = await connect(options());
    echo = await echoServer(0);
  });
  after(async () => {
    await client?.disconnect();
    await echo?.close();
    await sshd?.stop();
  });

  const options = (extra: Partial<NodeConnectOptions> = {}): NodeConnectOptions => sshdClientOptions(sshd, extra);

  it('a connection inside a direct-tcpip channel (ProxyJump): connect({ stream: channel.byteStream() }), 8 MiB echoed intact', async () => {
    const ch = await client.forwardOut(sshd.host, sshd.port);
    const inner = await connect(options({ stream: ch.byteStream() }));
    try {
      expect(inner.kexCount).to.equal(1);
      await echoRoundTrip(inner, 8 * MiB);
      // the inner connection's sshd session is a second one: its client address is sshd's own
      const r = await inner.run('echo $SSH_CLIENT');
      expect(new TextDecoder().decode(r.stdout)).to.match(/^127\.0\.0\.1 \d+ \d+\n$/);
    } finally {
      await inner.disconnect();
    }
    // the outer connection is untouched
    expect((await client.run('echo still')).stdout).to.deep.equal(new TextEncoder().encode('still\n'));
  });

  it('-L: 64 MiB through a local listener and direct-tcpip to an echo server, sha256 identical', async () => {
    const fwd = await forwardLocal(client, { bindPort: 0, target: { host: '127.0.0.1', port: echo.port } });
    try {
      const data = new Uint8Array(randomBytes(64 * MiB));
      const back = await echoThrough({ port: fwd.port! }, data);
      expect(back).to.deep.equal({ hash: sha256(data), length: data.length });
    } finally {
      await fwd.close();
    }
  });

  it('-R: 64 MiB through tcpip-forward on port 0 (the real port comes back), sha256 identical', async () => {
    const fwd = await forwardRemote(client, { bindHost: '127.0.0.1', bindPort: 0, target: { host: '127.0.0.1', port: echo.port } });
    try {
      expect(fwd.port).to.be.within(1, 65535);
      const data = new Uint8Array(randomBytes(64 * MiB));
      const back = await echoThrough({ port: fwd.port }, data);
      expect(back).to.deep.equal({ hash: sha256(data), length: data.length });
    } finally {
      await fwd.close();
    }
  });

  it('50 connections at once through -L and through -R', async () => {
    const local = await forwardLocal(client, { bindPort: 0, target: { host: '127.0.0.1', port: echo.port } });
    const remote = await forwardRemote(client, { bindHost: '127.0.0.1', bindPort: 0, target: { host: '127.0.0.1', port: echo.port } });
    try {
      const before = echo.connections();
      const inputs = Array.from({ length: 50 }, (_, i) => new Uint8Array(randomBytes(256 * 1024 + i)));
      const results = await Promise.all([
        ...inputs.map((d) => echoThrough({ port: local.port! }, d)),
        ...inputs.map((d) => echoThrough({ port: remote.port }, d)),
      ]);
      const expected = [...inputs, ...inputs].map((d) => ({ hash: sha256(d), length: d.length }));
      expect(results).to.deep.equal(expected);
      expect(echo.connections() - before).to.equal(100);
    } finally {
      await local.close();
      await remote.close();
    }
  });

  it('a cancelled remote forward stops listening on the server', async () => {
    const fwd = await forwardRemote(client, { bindHost: '127.0.0.1', bindPort: 0, target: { host: '127.0.0.1', port: echo.port } });
    const back = await echoThrough({ port: fwd.port }, new TextEncoder().encode('once'));
    expect(back.length).to.equal(4);
    await fwd.close();
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
      const s = netConnect(fwd.port, '127.0.0.1');
      s.on('error', resolve);
      s.on('connect', () => resolve(Object.assign(new Error('connected'), { code: 'CONNECTED' })));
    });
    expect(err.code).to.equal('ECONNREFUSED');
  });

  it('a remote forward on a specific port', async () => {
    const port = await freePort();
    const listener = await client.forwardIn('127.0.0.1', port);
    expect(listener.port).to.equal(port);
    const accepting = listener.accept();
    const sock = netConnect(port, '127.0.0.1');
    const incoming = (await accepting)!;
    expect([incoming.address, incoming.port, incoming.originatorAddress]).to.deep.equal(['127.0.0.1', port, '127.0.0.1']);
    expect(incoming.originatorPort).to.equal(sock.localPort);
    await incoming.channel.write(new TextEncoder().encode('hi from the client'));
    const got = await new Promise<string>((resolve) => sock.once('data', (b: Buffer) => resolve(b.toString())));
    expect(got).to.equal('hi from the client');
    sock.destroy();
    await listener.close();
  });

  it('direct-tcpip to a closed port is a ChannelOpenError with CONNECT_FAILED', async () => {
    const port = await freePort();
    const err = await client.forwardOut('127.0.0.1', port).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ChannelOpenError);
    expect((err as ChannelOpenError).reason).to.equal(OPEN_FAILURE.CONNECT_FAILED);
    // The connection is fine afterwards.
    expect(new TextDecoder().decode((await client.run('echo ok')).stdout)).to.equal('ok\n');
  });

  it('direct-streamlocal to a Unix socket on the server', async () => {
    const unixEcho = await echoServer(join(sshd.dir, 'echo.sock'));
    try {
      const ch = await client.openStreamLocal(unixEcho.path);
      const data = new Uint8Array(randomBytes(4 * MiB));
      const writing = ch.write(data).then(() => ch.eof());
      const h = createHash('sha256');
      let n = 0;
      for (;;) {
        const c = await ch.read();
        if (c === null) break;
        h.update(c);
        n += c.length;
      }
      await writing;
      expect({ hash: h.digest('hex'), length: n }).to.deep.equal({ hash: sha256(data), length: data.length });
    } finally {
      await unixEcho.close();
    }
  });

  it('streamlocal-forward: a Unix socket on the server relayed to a local Unix socket', async () => {
    const localEcho = await echoServer(join(sshd.dir, 'local-echo.sock'));
    const remotePath = join(sshd.dir, 'remote-fwd.sock');
    const fwd = await forwardRemote(client, { bindPath: remotePath, target: { path: localEcho.path } });
    try {
      const data = new Uint8Array(randomBytes(4 * MiB));
      const back = await echoThrough({ path: remotePath }, data);
      expect(back).to.deep.equal({ hash: sha256(data), length: data.length });
    } finally {
      await fwd.close();
      await localEcho.close();
    }
  });

  describe('-D: SOCKS proxy', () => {
    /** Speak SOCKS to the proxy, then echo `payload` through it; returns [reply code, echoed text]. */
    function socksEcho(proxyPort: number, request: Buffer[], payload: string): Promise<[number, string]> {
      return new Promise((resolve, reject) => {
        const s = netConnect(proxyPort, '127.0.0.1');
        let buf = Buffer.alloc(0);
        s.on('data', (b: Buffer) => (buf = Buffer.concat([buf, b])));
        s.on('error', reject);
        s.on('end', () => {
          const v4 = request[0]![0] === 4;
          // SOCKS5: method selection (2 bytes) + 10-byte reply; SOCKS4: 8-byte reply.
          const head = v4 ? 8 : 12;
          const code = v4 ? buf[1]! : buf[3]!;
          resolve([code, buf.subarray(head).toString()]);
        });
        for (const r of request) s.write(r);
        s.end(payload);
      });
    }
    const port16 = (p: number): Buffer => Buffer.from([p >> 8, p & 0xff]);

    it('SOCKS5 CONNECT by IPv4 address and by name, SOCKS4 and SOCKS4a; a refused port is reported', async () => {
      const proxy = await socksProxy(client, { bindPort: 0 });
      try {
        const greet = Buffer.from([5, 1, 0]);
        const v5ip = Buffer.concat([Buffer.from([5, 1, 0, 1, 127, 0, 0, 1]), port16(echo.port)]);
        expect(await socksEcho(proxy.port!, [greet, v5ip], 'via socks5 ip')).to.deep.equal([0, 'via socks5 ip']);
        const name = Buffer.from('127.0.0.1');
        const v5name = Buffer.concat([Buffer.from([5, 1, 0, 3, name.length]), name, port16(echo.port)]);
        expect(await socksEcho(proxy.port!, [Buffer.concat([greet, v5name])], 'via socks5 name')).to.deep.equal([0, 'via socks5 name']);
        const v4 = Buffer.concat([Buffer.from([4, 1]), port16(echo.port), Buffer.from([127, 0, 0, 1]), Buffer.from('user\0')]);
        expect(await socksEcho(proxy.port!, [v4], 'via socks4')).to.deep.equal([90, 'via socks4']);
        const v4a = Buffer.concat([Buffer.from([4, 1]), port16(echo.port), Buffer.from([0, 0, 0, 1]), Buffer.from('\x00127.0.0.1\x00')]);
        expect(await socksEcho(proxy.port!, [v4a], 'via socks4a')).to.deep.equal([90, 'via socks4a']);
        const closed = await freePort();
        const refused = Buffer.concat([Buffer.from([5, 1, 0, 1, 127, 0, 0, 1]), port16(closed)]);
        expect(await socksEcho(proxy.port!, [greet, refused], 'x')).to.deep.equal([5, '']);
        // no acceptable method: 0xFF and close
        const noAuth = await socksEcho(proxy.port!, [Buffer.from([5, 1, 2])], '');
        expect(noAuth[0]).to.equal(undefined);
      } finally {
        await proxy.close();
      }
    });
  });

  it('-W style: a channel piped to an in-process stream pair', async () => {
    const ch = await client.forwardOut('127.0.0.1', echo.port);
    const { PassThrough } = await import('node:stream');
    const input = new PassThrough();
    const output = new PassThrough();
    const chunks: Buffer[] = [];
    output.on('data', (b: Buffer) => chunks.push(b));
    const piping = pipeChannel(ch, input, output);
    input.end(Buffer.from('through -W'));
    await piping;
    expect(Buffer.concat(chunks).toString()).to.equal('through -W');
  });
});
