/**
 * Misbehaving peers on 127.0.0.1 for the bad-input tests: each returns { port, close() }.
 * - httpServer: speaks HTTP, not SSH (answers the first bytes it gets with a 400, then closes)
 * - closedPort: a port nothing listens on
 * - partialKexServer: a valid SSH-2.0 version line, then half a KEXINIT packet, then drops
 * - ssh1Server: announces "SSH-1.5-old" and waits
 * - silentServer: accepts and never says anything (timeouts)
 * - ignoreFloodServer: floods SSH_MSG_IGNORE before its KEXINIT (memory use of dropped messages)
 * - cuttingProxy: forwards to a real server and drops the connection after so many bytes
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Writer } from '../../src/wire/writer.js';
import { MSG } from '../../src/wire/constants.js';
import { freePort } from './sshd.js';

export interface BadServer {
  port: number;
  /** how many connections it accepted so far */
  connections(): number;
  close(): Promise<void>;
}

function listen(onConnection: (sock: Socket) => void): Promise<BadServer> {
  const sockets = new Set<Socket>();
  let count = 0;
  const server: Server = createServer((sock) => {
    count++;
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {
      /* peers reset us; that is the point */
    });
    onConnection(sock);
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      resolve({
        port,
        connections: () => count,
        close: () =>
          new Promise<void>((res) => {
            for (const s of sockets) s.destroy();
            server.close(() => res());
          }),
      });
    });
  });
}

/** An HTTP server: on the first bytes received it answers 400 Bad Request and closes (like nginx). */
export function httpServer(opts: { immediate?: boolean } = {}): Promise<BadServer> {
  const response = 'HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: 11\r\nConnection: close\r\n\r\nBad Request';
  return listen((sock) => {
    if (opts.immediate) {
      sock.end(response);
      return;
    }
    sock.once('data', () => sock.end(response));
  });
}

/** A port on which nothing listens (it was free a moment ago). */
export async function closedPort(): Promise<BadServer> {
  const port = await freePort();
  return { port, connections: () => 0, close: async () => {} };
}

/** A plausible server KEXINIT payload (RFC 4253 §7.1), with the strict-KEX marker unless `strict` is false. */
export function serverKexInit(strict = true): Uint8Array {
  return new Writer()
    .u8(MSG.KEXINIT)
    .raw(randomBytes(16))
    .nameList(['curve25519-sha256', 'curve25519-sha256@libssh.org', ...(strict ? ['kex-strict-s-v00@openssh.com'] : [])])
    .nameList(['ssh-ed25519'])
    .nameList(['chacha20-poly1305@openssh.com', 'aes128-ctr'])
    .nameList(['chacha20-poly1305@openssh.com', 'aes128-ctr'])
    .nameList(['hmac-sha2-256-etm@openssh.com'])
    .nameList(['hmac-sha2-256-etm@openssh.com'])
    .nameList(['none'])
    .nameList(['none'])
    .nameList([])
    .nameList([])
    .bool(false)
    .u32(0)
    .finish()
    .slice();
}

/** An unencrypted binary packet (RFC 4253 §6) around `payload`. */
export function plainPacket(payload: Uint8Array): Uint8Array {
  let pad = 8 - ((5 + payload.length) % 8);
  if (pad < 4) pad += 8;
  return new Writer()
    .u32(1 + payload.length + pad)
    .u8(pad)
    .raw(payload)
    .raw(new Uint8Array(pad))
    .finish()
    .slice();
}

/**
 * Sends "SSH-2.0-OpenSSH_9.2 partial", waits for the client's version line (or 200 ms),
 * sends the first `fraction` of a KEXINIT packet, then drops the connection.
 */
export function partialKexServer(opts: { fraction?: number; mode?: 'end' | 'reset' } = {}): Promise<BadServer> {
  const packet = plainPacket(serverKexInit());
  const cut = Math.max(1, Math.floor(packet.length * (opts.fraction ?? 0.5)));
  return listen((sock) => {
    sock.write('SSH-2.0-OpenSSH_9.2 partial\r\n');
    let received = '';
    let done = false;
    const drop = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.write(packet.subarray(0, cut), () => {
        if (opts.mode === 'reset') sock.resetAndDestroy();
        else sock.end();
      });
    };
    const timer = setTimeout(drop, 200);
    sock.on('data', (b: Buffer) => {
      received += b.toString('latin1');
      if (received.includes('\n')) drop();
    });
  });
}

/** Announces SSH protocol 1.5 and then waits for the client to give up. */
export function ssh1Server(): Promise<BadServer> {
  return listen((sock) => {
    sock.write('SSH-1.5-old\r\n');
  });
}

/** Accepts connections and never sends a byte. */
export function silentServer(): Promise<BadServer> {
  return listen(() => {});
}

/**
 * Sends its version line, then `bytes` of SSH_MSG_IGNORE packets (RFC 4253 §11.2) of
 * `packetData` bytes each as fast as the client reads them, then its KEXINIT (without the
 * strict-KEX marker, which would forbid the IGNOREs), then closes once the client has sent
 * its key exchange init: a client must drop the IGNOREs without holding on to them.
 */
export function ignoreFloodServer(opts: { bytes: number; packetData?: number }): Promise<BadServer> {
  const data = opts.packetData ?? 32 * 1024;
  const ignore = plainPacket(new Writer().u8(MSG.IGNORE).string(new Uint8Array(data)).finish().slice());
  // One write carries many packets, so the server is not the bottleneck.
  const batch = Buffer.concat(Array.from({ length: Math.max(1, Math.floor((1 << 20) / ignore.length)) }, () => ignore));
  const kexinit = plainPacket(serverKexInit(false));
  return listen((sock) => {
    sock.write('SSH-2.0-OpenSSH_9.2 flood\r\n');
    let sent = 0;
    let done = false;
    const pump = (): void => {
      while (!done) {
        if (sent >= opts.bytes) {
          done = true;
          sock.write(kexinit);
          return;
        }
        sent += batch.length;
        if (!sock.write(batch)) {
          sock.once('drain', pump);
          return;
        }
      }
    };
    pump();
    // The client's version and KEXINIT come at once; what it sends after our KEXINIT is its key exchange init.
    sock.on('data', () => {
      if (done) sock.end();
    });
  });
}

/**
 * A TCP proxy to 127.0.0.1:`target` that drops both sides once `afterBytes` bytes have come
 * back from the target: a server that disconnects mid-transfer (or mid-kex, mid-auth, by size).
 */
export function cuttingProxy(target: number, afterBytes: number): Promise<BadServer> {
  return listen((client) => {
    const upstream = createConnection(target, '127.0.0.1');
    let passed = 0;
    upstream.on('data', (b: Buffer) => {
      const room = afterBytes - passed;
      passed += b.length;
      if (room > b.length) {
        client.write(b);
        return;
      }
      client.write(b.subarray(0, room), () => {
        client.destroy();
        upstream.destroy();
      });
    });
    client.on('data', (b: Buffer) => upstream.write(b));
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
}
