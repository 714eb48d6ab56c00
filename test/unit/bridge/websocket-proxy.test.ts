/**
 * The WebSocket-to-TCP bridge (`puressh websocket-proxy`): what it refuses (targets it was
 * not given, foreign origins, other subprotocols, text and unmasked frames) and that binary
 * messages reach the target and come back, spoken to with hand-built RFC 6455 frames.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { ClientFrameParser, FrameError, OPCODE, serverFrame, serverFrameHeader } from '../../../src/bridge/frames.js';
import { selectTarget, startWebSocketProxy, type WebSocketProxy } from '../../../src/bridge/node-proxy.js';
import { runWebSocketProxy } from '../../../src/cli/websocket-proxy.js';
import type { CliIo } from '../../../src/cli/io.js';

const ORIGIN = 'https://app.example';
/** RFC 6455 §1.3's example key and the accept value it must give. */
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

/** A masked client frame (§5.3). */
function clientFrame(opcode: number, payload: Uint8Array, fin = true, masked = true): Buffer {
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0, n]) : n < 65536 ? Buffer.from([0, 126, n >> 8, n & 255]) : Buffer.alloc(10);
  if (n >= 65536) {
    head[1] = 127;
    head.writeUInt32BE(n, 6);
  }
  head[0] = (fin ? 0x80 : 0) | opcode;
  if (!masked) return Buffer.concat([head, payload]);
  head[1]! |= 0x80;
  return Buffer.concat([head, mask, Buffer.from(payload.map((b, i) => b ^ mask[i & 3]!))]);
}

/** Parse unmasked server frames. */
function serverFrames(data: Buffer): { opcode: number; payload: Buffer }[] {
  const out = [];
  let at = 0;
  while (at + 2 <= data.length) {
    let n = data[at + 1]! & 0x7f;
    let h = 2;
    if (n === 126) [n, h] = [data.readUInt16BE(at + 2), 4];
    else if (n === 127) [n, h] = [Number(data.readBigUInt64BE(at + 2)), 10];
    if (at + h + n > data.length) break;
    out.push({ opcode: data[at]! & 0x0f, payload: data.subarray(at + h, at + h + n) });
    at += h + n;
  }
  return out;
}

interface Target {
  server: Server;
  port: number;
  connections: number;
  received: Buffer[];
}

/** A TCP echo server that counts connections and keeps what it received. */
async function echoTarget(): Promise<Target> {
  const t: Target = { server: createServer(), port: 0, connections: 0, received: [] };
  t.server.on('connection', (s: Socket) => {
    t.connections++;
    s.on('data', (d) => {
      t.received.push(d);
      s.write(d);
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => t.server.listen(0, '127.0.0.1', r));
  t.port = (t.server.address() as { port: number }).port;
  return t;
}

/** Send an upgrade request; returns the socket and a function giving everything received so far. */
async function upgrade(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ socket: Socket; received: () => Buffer; closed: Promise<void> }> {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (d) => chunks.push(d));
  const closed = new Promise<void>((r) => socket.on('close', () => r()));
  await new Promise((r) => socket.once('connect', r));
  const all = { Host: `127.0.0.1:${port}`, Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': KEY, 'Sec-WebSocket-Version': '13', ...headers };
  socket.write(
    `GET ${path} HTTP/1.1\r\n${Object.entries(all)
      .filter(([, v]) => v !== '')
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('')}\r\n`,
  );
  return { socket, received: () => Buffer.concat(chunks), closed };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function splitResponse(data: Buffer): { head: string; body: Buffer } {
  const end = data.indexOf('\r\n\r\n');
  return { head: data.subarray(0, end).toString('latin1'), body: data.subarray(end + 4) };
}

describe('websocket-proxy', () => {
  let target: Target;
  let proxy: WebSocketProxy;
  before(async () => {
    target = await echoTarget();
    proxy = await startWebSocketProxy({ targets: { ssh: { host: '127.0.0.1', port: target.port } }, allowedOrigins: [ORIGIN] });
  });
  after(async () => {
    await proxy.close();
    await new Promise((r) => target.server.close(r));
  });
  beforeEach(() => {
    target.connections = 0;
    target.received = [];
  });

  it('bridges binary messages both ways (RFC 6455 accept value, binary subprotocol, fragments)', async () => {
    const c = await upgrade(proxy.port, '/?token=ssh', { Origin: ORIGIN, 'Sec-WebSocket-Protocol': 'base64, binary' });
    await until(() => c.received().includes('\r\n\r\n'), 'the 101 response');
    const { head } = splitResponse(c.received());
    expect(head).to.match(/^HTTP\/1\.1 101 /);
    expect(head).to.contain(`Sec-WebSocket-Accept: ${ACCEPT}`);
    expect(head).to.contain('Sec-WebSocket-Protocol: binary');
    const big = Buffer.alloc(70_000, 7);
    c.socket.write(clientFrame(OPCODE.binary, Buffer.from('SSH-2.0-'), false));
    c.socket.write(clientFrame(OPCODE.ping, Buffer.from('hi')));
    c.socket.write(clientFrame(OPCODE.continuation, Buffer.from('test\r\n')));
    c.socket.write(clientFrame(OPCODE.binary, big));
    const expected = Buffer.concat([Buffer.from('SSH-2.0-test\r\n'), big]);
    await until(() => Buffer.concat(target.received).length === expected.length, 'the target to receive everything');
    expect(Buffer.concat(target.received).equals(expected)).to.equal(true);
    const frames = () => serverFrames(splitResponse(c.received()).body);
    await until(
      () =>
        Buffer.concat(
          frames()
            .filter((f) => f.opcode === OPCODE.binary)
            .map((f) => f.payload),
        ).length === expected.length,
      'the echo',
    );
    expect(
      Buffer.concat(
        frames()
          .filter((f) => f.opcode === OPCODE.binary)
          .map((f) => f.payload),
      ).equals(expected),
    ).to.equal(true);
    expect(
      frames()
        .find((f) => f.opcode === OPCODE.pong)
        ?.payload.toString(),
    ).to.equal('hi');
    c.socket.write(clientFrame(OPCODE.close, Buffer.from([0x03, 0xe8])));
    await c.closed;
    expect(frames().at(-1)).to.deep.include({ opcode: OPCODE.close });
    expect(frames().at(-1)!.payload.readUInt16BE(0)).to.equal(1000);
  });

  for (const [what, path, headers, status] of [
    ['a target it was not configured for', '/?token=other', { Origin: ORIGIN }, 403],
    ['a target by path it was not configured for', '/127.0.0.1:22', { Origin: ORIGIN }, 403],
    ['a page from another origin', '/?token=ssh', { Origin: 'https://evil.example' }, 403],
    ['a client that offers only other subprotocols', '/?token=ssh', { Origin: ORIGIN, 'Sec-WebSocket-Protocol': 'base64' }, 400],
    ['a request that is not a WebSocket handshake', '/?token=ssh', { 'Sec-WebSocket-Version': '8' }, 400],
  ] as const) {
    it(`refuses ${what} (HTTP ${status}, no connection to any target)`, async () => {
      const c = await upgrade(proxy.port, path, headers);
      await c.closed;
      expect(c.received().toString('latin1')).to.match(new RegExp(`^HTTP/1\\.1 ${status} `));
      expect(target.connections).to.equal(0);
    });
  }

  for (const [what, frame, code] of [
    ['text frames', clientFrame(OPCODE.text, Buffer.from('SSH-2.0-x\r\n')), 1003],
    ['unmasked frames', clientFrame(OPCODE.binary, Buffer.from('SSH-2.0-x\r\n'), true, false), 1002],
    ['frames over the size limit', clientFrame(OPCODE.binary, Buffer.alloc(1024 * 1024 + 1)), 1009],
  ] as const) {
    it(`closes the connection on ${what} (close code ${code}), forwarding nothing`, async () => {
      const c = await upgrade(proxy.port, '/', { Origin: ORIGIN });
      await until(() => c.received().includes('\r\n\r\n'), 'the 101 response');
      c.socket.write(frame);
      await c.closed;
      const frames = serverFrames(splitResponse(c.received()).body);
      expect(frames.map((f) => f.opcode)).to.deep.equal([OPCODE.close]);
      expect(frames[0]!.payload.readUInt16BE(0)).to.equal(code);
      expect(Buffer.concat(target.received).length).to.equal(0);
    });
  }

  it('picks targets by token or path, a sole target without a name, nothing else', () => {
    const two = { a: { host: 'h', port: 1 }, b: { host: 'h', port: 2 } };
    expect(selectTarget(two, '/?token=b')).to.deep.equal({ host: 'h', port: 2 });
    expect(selectTarget(two, '/a')).to.deep.equal({ host: 'h', port: 1 });
    expect(selectTarget(two, '/')).to.equal(null);
    expect(selectTarget(two, '/?token=constructor')).to.equal(null);
    expect(selectTarget(two, '/?token=h:1')).to.equal(null);
    expect(selectTarget({ only: { host: 'h', port: 3 } }, '/')).to.deep.equal({ host: 'h', port: 3 });
  });

  it('frame parser: pieces across chunk boundaries, a 64-bit length, errors typed', () => {
    const p = new ClientFrameParser(1 << 20);
    const f = clientFrame(OPCODE.binary, Buffer.from('hello world'));
    const out: number[] = [];
    for (const b of f) for (const ev of p.push(Uint8Array.of(b))) if (ev.kind === 'binary') out.push(...ev.bytes);
    expect(Buffer.from(out).toString()).to.equal('hello world');
    const huge = Buffer.from([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]);
    expect(() => new ClientFrameParser(1 << 20).push(huge)).to.throw(FrameError);
    expect(serverFrame(OPCODE.binary, new Uint8Array(70_000)).subarray(0, 10)).to.deep.equal(Uint8Array.of(0x82, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70));
    // The header the bridge writes before an uncopied payload: 7-, 16- and 64-bit lengths (§5.2).
    expect(serverFrameHeader(OPCODE.binary, 125)).to.deep.equal(Uint8Array.of(0x82, 125));
    expect(serverFrameHeader(OPCODE.binary, 126)).to.deep.equal(Uint8Array.of(0x82, 126, 0, 126));
    expect(serverFrameHeader(OPCODE.binary, 65_535)).to.deep.equal(Uint8Array.of(0x82, 126, 0xff, 0xff));
    expect(serverFrameHeader(OPCODE.binary, 65_536)).to.deep.equal(Uint8Array.of(0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0));
  });

  it('forwards a bulk stream from the target intact to a client that stops reading for a while, then closes with 1000', async () => {
    // More than the kernel's socket buffers hold: the bridge's writes to the client stop
    // completing at once, and it must wait for each before reading into its buffer again.
    const data = Buffer.alloc(24 * 1024 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >>> 13)) & 0xff;
    const sender = createServer((s) => {
      s.on('error', () => {});
      s.end(data);
    });
    await new Promise<void>((r) => sender.listen(0, '127.0.0.1', r));
    const bulk = await startWebSocketProxy({
      targets: { bulk: { host: '127.0.0.1', port: (sender.address() as { port: number }).port } },
      allowedOrigins: [ORIGIN],
    });
    try {
      const c = await upgrade(bulk.port, '/bulk', { Origin: ORIGIN });
      c.socket.pause();
      await new Promise((r) => setTimeout(r, 300));
      c.socket.resume();
      await c.closed;
      const frames = serverFrames(splitResponse(c.received()).body);
      const payload = Buffer.concat(frames.filter((f) => f.opcode === OPCODE.binary).map((f) => f.payload));
      expect(payload.length).to.equal(data.length);
      expect(payload.equals(data)).to.equal(true);
      const last = frames.at(-1)!;
      expect(last.opcode).to.equal(OPCODE.close);
      expect(last.payload.readUInt16BE(0)).to.equal(1000);
    } finally {
      await bulk.close();
      await new Promise((r) => sender.close(r));
    }
  });

  it('the CLI refuses to start without targets, with unnamed duplicates, and serves until stopped', async () => {
    const err = new PassThrough();
    let text = '';
    err.on('data', (d: Buffer) => (text += d.toString()));
    const io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: err } as unknown as CliIo;
    expect(await runWebSocketProxy(['8080'], io)).to.equal(255);
    expect(await runWebSocketProxy(['0', 'a:1', 'b:2'], io)).to.equal(255);
    expect(text).to.contain('more than one unnamed target');
    const stop = new AbortController();
    const running = runWebSocketProxy(['127.0.0.1:0', `ssh=127.0.0.1:${target.port}`, '--allow-origin', ORIGIN], io, stop.signal);
    await until(() => /listening on 127\.0\.0\.1:\d+/.test(text), 'the listening line');
    const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(text)![1]);
    const c = await upgrade(port, '/ssh', { Origin: ORIGIN });
    await until(() => c.received().includes('\r\n\r\n'), 'the 101 response');
    expect(c.received().toString('latin1')).to.match(/^HTTP\/1\.1 101 /);
    c.socket.destroy();
    stop.abort();
    expect(await running).to.equal(0);
  });
});
