/**
 * Node socket glue for forwarding (Node-only: node:net): copy between a channel and a
 * socket with backpressure both ways, local listeners (ssh -L) and remote listeners
 * whose connections are relayed to a local target (ssh -R).
 */
import * as net from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { SshError } from '../errors.js';
import type { OperationOptions } from './abort.js';
import type { Channel } from './channel.js';
import type { DirectTcpipOptions, RemoteListener } from './forward.js';

/** What forwarding needs from a client (SshClient has these methods). */
export interface ForwardingClient {
  /** Open a direct-tcpip channel (RFC 4254 §7.2). */
  forwardOut(host: string, port: number, options?: DirectTcpipOptions): Promise<Channel>;
  /** Open a direct-streamlocal@openssh.com channel (OpenSSH PROTOCOL §2.4). */
  openStreamLocal(socketPath: string): Promise<Channel>;
  /** Ask the server to listen on a TCP port (RFC 4254 §7.1). */
  forwardIn(address: string, port: number, options?: OperationOptions): Promise<RemoteListener>;
  /** Ask the server to listen on a Unix socket (OpenSSH PROTOCOL §2.4). */
  forwardInStreamLocal(socketPath: string, options?: OperationOptions): Promise<RemoteListener>;
}

/** Wait until `w` drains, or fail if it closes first. */
function drained(w: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      w.off('drain', onDrain);
      w.off('close', onClose);
      w.off('error', onError);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => done();
    const onClose = (): void => done(new SshError('SOCKET_DISCONNECT', 'stream closed while writing'));
    const onError = (e: Error): void => done(e);
    w.on('drain', onDrain);
    w.on('close', onClose);
    w.on('error', onError);
  });
}

/**
 * Copy `input` into the channel (then EOF) and the channel's data into `output` (then end),
 * each direction at the pace of the slower side. Resolves when both directions finished;
 * the channel is then closed. On an error on either side both are torn down.
 */
export async function pipeChannel(
  ch: Channel,
  input: Readable,
  output: Writable = input as unknown as Writable,
  options: { /** bytes already read from `input` that go first */ initial?: Uint8Array } = {},
): Promise<void> {
  let failed = false;
  const fail = (): void => {
    if (failed) return;
    failed = true;
    input.destroy();
    if (output !== (input as unknown)) output.destroy();
    void ch.close().catch(() => {});
  };
  // Not `for await`: ending that loop destroys the stream, which would cut the other direction.
  const up = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer | string): void => {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      input.pause();
      ch.write(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)).then(
        () => input.resume(),
        (e: unknown) => finish(e),
      );
    };
    const finish = (err?: unknown): void => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onError);
      input.off('close', onClose);
      if (err !== undefined) reject(err);
      else resolve();
    };
    // EOF goes out after every queued write (Channel.eof waits for them).
    const onEnd = (): void => void ch.eof().then(() => finish(), finish);
    const onError = (e: Error): void => finish(e);
    const onClose = (): void => {
      if (!input.readableEnded) finish(new SshError('SOCKET_DISCONNECT', 'stream closed before its end'));
    };
    if (options.initial?.length) void ch.write(options.initial).catch(() => {});
    if (input.readableEnded) {
      // It already ended (e.g. while a handshake was read from it).
      onEnd();
      return;
    }
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', onError);
    input.on('close', onClose);
    input.resume();
  });
  const down = (async () => {
    for (;;) {
      const c = await ch.read();
      if (c === null) break;
      if (!output.write(c)) await drained(output);
    }
    output.end();
  })();
  const results = await Promise.allSettled([up, down]);
  if (results.some((r) => r.status === 'rejected')) fail();
  else await ch.close({ timeout: 10_000 }).catch(() => {});
}

/** A listener we run locally; `close()` stops it and tears down its connections. */
export interface LocalForward {
  /** the address we listen on (TCP) */
  address?: string;
  /** the port we listen on (the real one when 0 was asked) */
  port?: number;
  /** the Unix socket we listen on */
  path?: string;
  /** Stop forwarding and close the listener. */
  close(): Promise<void>;
}

/** Where forwarded connections go: a TCP host and port, or a Unix socket path. */
export type ForwardTarget = { host: string; port: number } | { path: string };

/** Options of {@link forwardLocal}. */
export interface LocalForwardOptions {
  /** listen on a TCP address (default host "127.0.0.1") ... */
  bindHost?: string;
  bindPort?: number;
  /** ... or on a Unix socket */
  bindPath?: string;
  /** where the server should connect: host:port (direct-tcpip) or a socket path (direct-streamlocal) */
  target: ForwardTarget;
}

function serve(server: net.Server, onSocket: (s: net.Socket) => void, listen: () => void): Promise<LocalForward> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    onSocket(s);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      const a = server.address();
      resolve({
        ...(typeof a === 'string' ? { path: a } : { address: a?.address, port: a?.port }),
        close: () =>
          new Promise<void>((res) => {
            for (const s of sockets) s.destroy();
            server.close(() => res());
          }),
      });
    });
    listen();
  });
}

/** ssh -L: accept local connections and relay each through a new direct-tcpip (or direct-streamlocal) channel. */
export function forwardLocal(client: ForwardingClient, options: LocalForwardOptions): Promise<LocalForward> {
  // Half-open: a client that finishes sending still gets the rest of the answer (EOF is relayed, not a close).
  const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true });
  const target = options.target;
  return serve(
    server,
    (sock) => {
      const opening =
        'path' in target
          ? client.openStreamLocal(target.path)
          : client.forwardOut(target.host, target.port, { originatorAddress: sock.remoteAddress ?? '127.0.0.1', originatorPort: sock.remotePort ?? 0 });
      opening.then(
        (ch) => pipeChannel(ch, sock),
        () => sock.destroy(),
      );
    },
    () => {
      if (options.bindPath !== undefined) server.listen(options.bindPath);
      else server.listen(options.bindPort ?? 0, options.bindHost ?? '127.0.0.1');
    },
  );
}

/** A remote listener whose connections are relayed to a local target (ssh -R). */
export interface RemoteForward {
  listener: RemoteListener;
  /** the port the server bound (tcpip) */
  port: number;
  /** Cancel the remote forwarding and close the local connections. */
  close(): Promise<void>;
}

/** Relay every connection the listener accepts to `target` on this machine. */
export function relayListener(listener: RemoteListener, target: ForwardTarget): RemoteForward {
  void (async () => {
    for await (const { channel } of listener) {
      const sock =
        'path' in target ? net.connect({ path: target.path, allowHalfOpen: true }) : net.connect({ port: target.port, host: target.host, allowHalfOpen: true });
      sock.on('error', () => void channel.close().catch(() => {}));
      sock.once('connect', () => void pipeChannel(channel, sock));
    }
  })();
  return { listener, port: listener.port, close: () => listener.close() };
}

/** Options of {@link forwardRemote}. */
export interface RemoteForwardOptions {
  /** listen on the server at bindHost:bindPort (port 0: the server picks) ... */
  bindHost?: string;
  bindPort?: number;
  /** ... or on a Unix socket path on the server */
  bindPath?: string;
  /** where to connect locally for each forwarded connection */
  target: ForwardTarget;
}

/** ssh -R: ask the server to listen and relay each connection to `target` here. */
export async function forwardRemote(client: ForwardingClient, options: RemoteForwardOptions): Promise<RemoteForward> {
  const listener =
    options.bindPath !== undefined
      ? await client.forwardInStreamLocal(options.bindPath)
      : await client.forwardIn(options.bindHost ?? 'localhost', options.bindPort ?? 0);
  return relayListener(listener, options.target);
}
