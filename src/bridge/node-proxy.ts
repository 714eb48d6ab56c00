/**
 * A WebSocket-to-TCP bridge (Node only) so that browsers can reach SSH servers: each
 * WebSocket connection is joined to a TCP connection to one of the configured targets, and
 * binary messages carry the bytes both ways, as websockify's binary protocol does (the
 * "binary" subprotocol, RFC 6455 framing, any message boundaries).
 *
 * It is never an open proxy: a client picks a target only among those configured, by name
 * (websockify's `?token=NAME`, or the path `/NAME`), and browsers only from allowed origins.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { CLOSE_CODE, ClientFrameParser, FrameError, OPCODE, closePayload, serverFrame, serverFrameHeaderSize, writeServerFrameHeader } from './frames.js';

/** Where a bridged connection goes. */
export interface ProxyTarget {
  host: string;
  port: number;
}

/** Options of {@link startWebSocketProxy}. */
export interface WebSocketProxyOptions {
  /**
   * The only endpoints the bridge connects to, by name. A client names one with `?token=NAME`
   * or the path `/NAME`; a request that names none gets the target named "" if there is one,
   * or the only target if there is exactly one.
   */
  targets: Record<string, ProxyTarget>;
  /**
   * Origins (scheme://host[:port], as browsers send them) whose pages may connect; "*" allows
   * every origin. A request without an Origin header (not from a browser) is allowed.
   */
  allowedOrigins: readonly string[];
  /** address to listen on (default 127.0.0.1) */
  host?: string;
  /** port to listen on (default 0: any free port) */
  port?: number;
  /** largest frame accepted from a client (default 1 MiB); bigger ones close with 1009 */
  maxFrameBytes?: number;
  /** one line per connection and refusal */
  log?: (line: string) => void;
}

/** A running bridge. */
export interface WebSocketProxy {
  readonly host: string;
  readonly port: number;
  /** Stop listening and end every bridged connection. */
  close(): Promise<void>;
}

/** RFC 6455 §1.3: the GUID appended to Sec-WebSocket-Key for Sec-WebSocket-Accept. */
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const BINARY_SUBPROTOCOL = 'binary';
/** How long the bridge waits for the target to accept the TCP connection. */
const CONNECT_TIMEOUT_MS = 10_000;
/** The most the bridge reads from a target at once: one read, one binary frame to the client. */
const READ_BYTES = 256 * 1024;
/** room before the read buffer for the largest frame header from the server (RFC 6455 §5.2) */
const HEADER_ROOM = 10;

/** The target a request names, or a refusal. */
export function selectTarget(targets: Record<string, ProxyTarget>, url: string): ProxyTarget | null {
  const parsed = new URL(url, 'http://bridge.invalid');
  const name = parsed.searchParams.get('token') ?? decodeURIComponent(parsed.pathname.replace(/^\/+/, '').replace(/\/+$/, ''));
  if (Object.hasOwn(targets, name)) return targets[name]!;
  if (name === '') {
    const all = Object.values(targets);
    if (all.length === 1) return all[0]!;
  }
  return null;
}

/** Start the bridge; resolves once it listens. */
export function startWebSocketProxy(options: WebSocketProxyOptions): Promise<WebSocketProxy> {
  const log = options.log ?? (() => {});
  const maxFrame = options.maxFrameBytes ?? 1024 * 1024;
  const open = new Set<{ ws: Duplex; tcp: net.Socket | null }>();
  const server: Server = createServer((req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket', connection: 'Upgrade' });
    res.end('WebSocket connections only\n');
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const peer = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    const refuse = (status: number, text: string): void => {
      log(`refused ${peer} ${req.url ?? ''}: ${text}`);
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    socket.on('error', () => {});
    const key = req.headers['sec-websocket-key'];
    if (
      req.method !== 'GET' ||
      req.headers.upgrade?.toLowerCase() !== 'websocket' ||
      req.headers['sec-websocket-version'] !== '13' ||
      typeof key !== 'string' ||
      !/^[A-Za-z0-9+/]{22}==$/.test(key)
    )
      return refuse(400, 'Bad Request');
    const origin = req.headers.origin;
    if (origin !== undefined && !options.allowedOrigins.includes('*') && !options.allowedOrigins.includes(origin)) return refuse(403, 'Forbidden (origin)');
    const offered = (req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (offered.length > 0 && !offered.includes(BINARY_SUBPROTOCOL)) return refuse(400, 'Bad Request (subprotocol binary required)');
    const target = selectTarget(options.targets, req.url ?? '/');
    if (!target) return refuse(403, 'Forbidden (unknown target)');

    const entry: { ws: Duplex; tcp: net.Socket | null } = { ws: socket, tcp: null };
    open.add(entry);
    socket.on('close', () => open.delete(entry));
    const toClient = new TargetToClient(socket);
    const tcp = net.connect({ host: target.host, port: target.port, onread: toClient.onread });
    toClient.tcp = tcp;
    entry.tcp = tcp;
    const timer = setTimeout(() => tcp.destroy(new Error('connect timed out')), CONNECT_TIMEOUT_MS);
    let upgraded = false;
    tcp.once('connect', () => {
      clearTimeout(timer);
      upgraded = true;
      tcp.setNoDelay(true);
      const accept = createHash('sha1')
        .update(key + WEBSOCKET_GUID)
        .digest('base64');
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${accept}\r\n` +
          (offered.length > 0 ? `Sec-WebSocket-Protocol: ${BINARY_SUBPROTOCOL}\r\n` : '') +
          '\r\n',
      );
      log(`bridged ${peer} to ${target.host}:${target.port}`);
      bridge(socket, tcp, toClient, head, maxFrame, (why) => log(`closed ${peer}: ${why}`));
    });
    tcp.once('error', (e) => {
      clearTimeout(timer);
      if (!upgraded) refuse(502, 'Bad Gateway');
      log(`target ${target.host}:${target.port} for ${peer}: ${e.message}`);
    });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      const addr = server.address() as net.AddressInfo;
      resolve({
        host: addr.address,
        port: addr.port,
        close: () =>
          new Promise<void>((done) => {
            for (const c of open) {
              c.tcp?.destroy();
              c.ws.destroy();
            }
            server.close(() => done());
          }),
      });
    });
  });
}

/**
 * The target-to-client direction: net reads the target's bytes into one buffer of ours
 * (net's `onread`) that has room in front for the frame header, and each read leaves as one
 * binary frame in one write, with no copy and no allocation per read (Node's own reads
 * allocate a 64 KiB Buffer each, and header plus payload took a writev). The next read waits
 * until the socket has taken the frame, so the buffer is never overwritten while queued.
 */
class TargetToClient {
  tcp: net.Socket | null = null;
  /** the bridge is closing: nothing more is forwarded */
  stopped = false;
  private readonly block = Buffer.allocUnsafe(HEADER_ROOM + READ_BYTES);
  /** reading is paused until the last frame's write completes */
  private waiting = false;
  readonly onread = { buffer: this.block.subarray(HEADER_ROOM), callback: (n: number): boolean => this.forward(n) };

  constructor(private readonly ws: Duplex) {}

  private forward(n: number): boolean {
    if (this.stopped) return false;
    const at = HEADER_ROOM - serverFrameHeaderSize(n);
    writeServerFrameHeader(this.block, at, OPCODE.binary, n);
    this.ws.write(this.block.subarray(at, HEADER_ROOM + n), this.written);
    // The kernel took it all at once (the usual case): read on into the same buffer.
    if (this.ws.writableLength === 0) return true;
    this.waiting = true;
    return false;
  }

  private readonly written = (): void => {
    if (!this.waiting) return;
    this.waiting = false;
    if (!this.stopped) this.tcp?.resume();
  };
}

/** Carry bytes between an upgraded WebSocket and a TCP socket until either ends. */
function bridge(ws: Duplex, tcp: net.Socket, toClient: TargetToClient, head: Buffer, maxFrame: number, closed: (why: string) => void): void {
  const parser = new ClientFrameParser(maxFrame);
  let closing = false;
  const finish = (code: number, why: string): void => {
    if (closing) return;
    closing = true;
    toClient.stopped = true;
    if (!ws.destroyed) ws.end(serverFrame(OPCODE.close, closePayload(code, code === CLOSE_CODE.normal ? '' : why)));
    tcp.end();
    // A peer that never finishes the close handshake does not keep the sockets.
    setTimeout(() => {
      ws.destroy();
      tcp.destroy();
    }, 5000).unref();
    closed(why);
  };

  const fromClient = (chunk: Uint8Array): void => {
    if (closing) return;
    let events;
    try {
      events = parser.push(chunk);
    } catch (e) {
      if (e instanceof FrameError) return finish(e.closeCode, e.message);
      throw e;
    }
    for (const ev of events) {
      if (ev.kind === 'binary') {
        // TCP buffer full: stop reading frames until it drains.
        if (!tcp.write(ev.bytes)) {
          ws.pause();
          tcp.once('drain', () => ws.resume());
        }
      } else if (ev.opcode === OPCODE.ping) ws.write(serverFrame(OPCODE.pong, ev.payload));
      else if (ev.opcode === OPCODE.close) {
        const code = ev.payload.length >= 2 ? (ev.payload[0]! << 8) | ev.payload[1]! : CLOSE_CODE.normal;
        return finish(code === CLOSE_CODE.normal || code === CLOSE_CODE.goingAway ? CLOSE_CODE.normal : code, `client closed (${code})`);
      }
      // pong: nothing to do.
    }
  };

  ws.on('data', (chunk: Buffer) => fromClient(chunk));
  ws.on('end', () => finish(CLOSE_CODE.normal, 'client went away'));
  ws.on('close', () => {
    closing = true;
    toClient.stopped = true;
    tcp.destroy();
  });
  tcp.on('end', () => finish(CLOSE_CODE.normal, 'target closed the connection'));
  tcp.on('error', (e) => finish(CLOSE_CODE.internalError, `target connection failed: ${e.message}`));
  tcp.on('close', () => finish(CLOSE_CODE.normal, 'target closed the connection'));
  if (head.length > 0) fromClient(head);
}
