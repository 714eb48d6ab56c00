/**
 * Dynamic forwarding (ssh -D): a local SOCKS server whose CONNECT requests become
 * direct-tcpip channels. SOCKS5 (RFC 1928, "no authentication" only) and SOCKS4/4a, as
 * OpenSSH accepts. Node-only (node:net); exported from node.ts.
 */
import * as net from 'node:net';
import { ChannelOpenError, OPEN_FAILURE } from '../errors.js';
import { pipeChannel, type ForwardingClient, type LocalForward } from './node-forward.js';

/** Options of {@link socksProxy}. */
export interface SocksOptions {
  /** listen address (default "127.0.0.1") and port (default 1080; 0: any free port) */
  bindHost?: string;
  bindPort?: number;
}

interface SocksRequest {
  version: 4 | 5;
  host: string;
  port: number;
  /** bytes after the request (the client may send data before our reply) */
  rest: Buffer;
}

/** RFC 1928 §6 reply codes. */
const REP = {
  SUCCEEDED: 0,
  GENERAL_FAILURE: 1,
  NOT_ALLOWED: 2,
  HOST_UNREACHABLE: 4,
  CONNECTION_REFUSED: 5,
  COMMAND_NOT_SUPPORTED: 7,
  ADDRESS_NOT_SUPPORTED: 8,
} as const;

class SocksError extends Error {
  constructor(
    readonly reply: Buffer | null,
    message: string,
  ) {
    super(message);
  }
}

function socks5Reply(rep: number): Buffer {
  // VER, REP, RSV, ATYP=IPv4, BND.ADDR 0.0.0.0, BND.PORT 0
  return Buffer.from([5, rep, 0, 1, 0, 0, 0, 0, 0, 0]);
}

function socks4Reply(ok: boolean): Buffer {
  return Buffer.from([0, ok ? 90 : 91, 0, 0, 0, 0, 0, 0]);
}

function ipv6(b: Buffer): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(b.readUInt16BE(i).toString(16));
  return parts.join(':');
}

/**
 * Parse what the client sent so far. Returns the request, null if more bytes are needed,
 * or a Buffer to send back (the SOCKS5 method selection) with the bytes it consumed.
 */
function parse(buf: Buffer, greeted: boolean): SocksRequest | { send: Buffer; consumed: number } | null {
  if (buf.length < 1) return null;
  const ver = buf[0];
  if (ver === 4) {
    // VN CD DSTPORT(2) DSTIP(4) USERID NUL [HOST NUL for 4a]
    if (buf.length < 9) return null;
    if (buf[1] !== 1) throw new SocksError(socks4Reply(false), 'SOCKS4: only CONNECT is supported');
    const port = buf.readUInt16BE(2);
    const ip = [...buf.subarray(4, 8)];
    const userEnd = buf.indexOf(0, 8);
    if (userEnd < 0) return null;
    let host = ip.join('.');
    let end = userEnd + 1;
    if (ip[0] === 0 && ip[1] === 0 && ip[2] === 0 && ip[3] !== 0) {
      // SOCKS4a: the host name follows
      const hostEnd = buf.indexOf(0, end);
      if (hostEnd < 0) return null;
      host = buf.subarray(end, hostEnd).toString('latin1');
      end = hostEnd + 1;
    }
    return { version: 4, host, port, rest: buf.subarray(end) };
  }
  if (ver !== 5) throw new SocksError(null, `unsupported SOCKS version ${ver}`);
  if (!greeted) {
    if (buf.length < 2) return null;
    const n = buf[1]!;
    if (buf.length < 2 + n) return null;
    const methods = buf.subarray(2, 2 + n);
    if (!methods.includes(0)) throw new SocksError(Buffer.from([5, 0xff]), 'SOCKS5: client offers no acceptable authentication method');
    return { send: Buffer.from([5, 0]), consumed: 2 + n };
  }
  // VER CMD RSV ATYP DST.ADDR DST.PORT
  if (buf.length < 5) return null;
  if (buf[1] !== 1) throw new SocksError(socks5Reply(REP.COMMAND_NOT_SUPPORTED), 'SOCKS5: only CONNECT is supported');
  const atyp = buf[3];
  let host: string;
  let off: number;
  if (atyp === 1) {
    if (buf.length < 10) return null;
    host = [...buf.subarray(4, 8)].join('.');
    off = 8;
  } else if (atyp === 3) {
    const len = buf[4]!;
    if (buf.length < 5 + len + 2) return null;
    host = buf.subarray(5, 5 + len).toString('latin1');
    off = 5 + len;
  } else if (atyp === 4) {
    if (buf.length < 22) return null;
    host = ipv6(buf.subarray(4, 20));
    off = 20;
  } else {
    throw new SocksError(socks5Reply(REP.ADDRESS_NOT_SUPPORTED), `SOCKS5: address type ${atyp} not supported`);
  }
  return { version: 5, host, port: buf.readUInt16BE(off), rest: buf.subarray(off + 2) };
}

/** Read the SOCKS handshake from `sock`, answering the method selection. */
function handshake(sock: net.Socket): Promise<SocksRequest> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    let greeted = false;
    const done = (err: Error | null, req?: SocksRequest): void => {
      sock.off('data', onData);
      sock.off('end', onEnd);
      sock.pause();
      if (err) reject(err);
      else resolve(req!);
    };
    const onData = (b: Buffer): void => {
      buf = Buffer.concat([buf, b]);
      if (buf.length > 1024) return done(new SocksError(null, 'SOCKS request too long'));
      try {
        for (;;) {
          const r = parse(buf, greeted);
          if (r === null) return;
          if ('send' in r) {
            sock.write(r.send);
            buf = buf.subarray(r.consumed);
            greeted = true;
            continue;
          }
          return done(null, r);
        }
      } catch (e) {
        done(e as Error);
      }
    };
    const onEnd = (): void => done(new SocksError(null, 'client closed during the SOCKS handshake'));
    sock.on('data', onData);
    sock.on('end', onEnd);
    sock.resume();
  });
}

/** Serve one SOCKS client: handshake, open direct-tcpip, reply, relay. */
async function serveClient(client: ForwardingClient, sock: net.Socket): Promise<void> {
  let req: SocksRequest;
  try {
    req = await handshake(sock);
  } catch (e) {
    const reply = e instanceof SocksError ? e.reply : null;
    if (reply) sock.end(reply);
    else sock.destroy();
    return;
  }
  try {
    const ch = await client.forwardOut(req.host, req.port, { originatorAddress: sock.remoteAddress ?? '127.0.0.1', originatorPort: sock.remotePort ?? 0 });
    sock.write(req.version === 5 ? socks5Reply(REP.SUCCEEDED) : socks4Reply(true));
    await pipeChannel(ch, sock, sock, { initial: req.rest });
  } catch (e) {
    const rep =
      e instanceof ChannelOpenError
        ? e.reason === OPEN_FAILURE.CONNECT_FAILED
          ? REP.CONNECTION_REFUSED
          : e.reason === OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED
            ? REP.NOT_ALLOWED
            : REP.GENERAL_FAILURE
        : REP.GENERAL_FAILURE;
    if (!sock.destroyed) sock.end(req.version === 5 ? socks5Reply(rep) : socks4Reply(false));
  }
}

/** ssh -D: a local SOCKS4/5 server that connects through the SSH server. */
export function socksProxy(client: ForwardingClient, options: SocksOptions = {}): Promise<LocalForward> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, (sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    void serveClient(client, sock);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.bindPort ?? 1080, options.bindHost ?? '127.0.0.1', () => {
      server.off('error', reject);
      const a = server.address() as net.AddressInfo;
      resolve({
        address: a.address,
        port: a.port,
        close: () =>
          new Promise<void>((res) => {
            for (const s of sockets) s.destroy();
            server.close(() => res());
          }),
      });
    });
  });
}
