/**
 * Port forwarding (RFC 4254 §7) and Unix-socket forwarding (OpenSSH PROTOCOL §2.4):
 * outgoing direct-tcpip / direct-streamlocal@openssh.com channels, and remote listeners
 * (tcpip-forward, streamlocal-forward@openssh.com) whose connections arrive as
 * forwarded-tcpip / forwarded-streamlocal@openssh.com channels.
 */
import { ProtocolError, SshError, OPEN_FAILURE } from '../errors.js';
import { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';
import { abortable, type OperationOptions } from './abort.js';
import type { Channel, ChannelOptions } from './channel.js';
import type { Connection, OpenOptions } from './connection.js';
import type { IncomingOpen } from './messages.js';

export interface DirectTcpipOptions extends OpenOptions {
  /** the address the forwarded connection came from (default "127.0.0.1") */
  originatorAddress?: string;
  originatorPort?: number;
}

/** Open a direct-tcpip channel: the server connects to host:port for us (RFC 4254 §7.2). */
export function openDirectTcpip(conn: Connection, host: string, port: number, options: DirectTcpipOptions = {}): Promise<Channel> {
  checkPort(port);
  const body = new Writer(64)
    .string(host)
    .u32(port)
    .string(options.originatorAddress ?? '127.0.0.1')
    .u32(options.originatorPort ?? 0)
    .finish()
    .slice();
  return conn.openChannel('direct-tcpip', body, options);
}

/** Open a direct-streamlocal@openssh.com channel to a Unix socket on the server. */
export function openDirectStreamlocal(conn: Connection, socketPath: string, options: OpenOptions = {}): Promise<Channel> {
  // string socket path, string reserved, uint32 reserved (OpenSSH PROTOCOL §2.4)
  const body = new Writer(64).string(socketPath).string('').u32(0).finish().slice();
  return conn.openChannel('direct-streamlocal@openssh.com', body, options);
}

/** A connection the server accepted on one of our remote listeners. */
export interface ForwardedConnection {
  channel: Channel;
  /** forwarded-tcpip: the listening address and port the client connected to */
  address?: string;
  port?: number;
  /** forwarded-tcpip: where the connection came from */
  originatorAddress?: string;
  originatorPort?: number;
  /** forwarded-streamlocal: the socket path */
  socketPath?: string;
}

/** Connections accepted but not yet taken by `accept()`; more are refused (RESOURCE_SHORTAGE). */
const BACKLOG = 128;

/**
 * A listener on the server (ssh -R). Take connections with `accept()` or `for await`;
 * `close()` cancels the forwarding.
 */
export class RemoteListener implements AsyncIterable<ForwardedConnection> {
  private readonly queue: ForwardedConnection[] = [];
  private waiters: { resolve: (c: ForwardedConnection | null) => void }[] = [];
  private closed = false;

  constructor(
    private readonly forwarding: Forwarding,
    readonly kind: 'tcpip' | 'streamlocal',
    /** tcpip: the bind address as requested; streamlocal: the socket path */
    readonly address: string,
    /** tcpip: the port the server actually bound (the real one when 0 was asked); streamlocal: 0 */
    readonly port: number,
    /** options for the channels of accepted connections */
    readonly channelOptions: Partial<ChannelOptions>,
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  /** @internal whether another connection can be taken now */
  get hasRoom(): boolean {
    return !this.closed && (this.waiters.length > 0 || this.queue.length < BACKLOG);
  }

  /** Next incoming connection, or null once the listener (or the connection) is closed. */
  accept(options?: OperationOptions): Promise<ForwardedConnection | null> {
    const next = this.queue.shift();
    if (next) return Promise.resolve(next);
    if (this.closed) return Promise.resolve(null);
    const waiter = { resolve: (_c: ForwardedConnection | null) => {} };
    const p = new Promise<ForwardedConnection | null>((resolve) => {
      waiter.resolve = resolve;
    });
    this.waiters.push(waiter);
    return abortable(p, 'accept', options, undefined, () => {
      this.waiters = this.waiters.filter((w) => w !== waiter);
    });
  }

  /** The forwarded connections as they arrive, until the listener is closed. */
  async *[Symbol.asyncIterator](): AsyncIterator<ForwardedConnection> {
    for (;;) {
      const c = await this.accept();
      if (!c) return;
      yield c;
    }
  }

  /** Cancel the forwarding on the server (cancel-tcpip-forward) and close unaccepted connections. */
  async close(options?: OperationOptions): Promise<void> {
    if (this.closed) return;
    this.shutdown();
    await this.forwarding.cancel(this, options);
  }

  /** @internal a new connection for this listener; false if the backlog is full */
  deliver(c: ForwardedConnection): boolean {
    if (this.closed) return false;
    const w = this.waiters.shift();
    if (w) {
      w.resolve(c);
      return true;
    }
    if (this.queue.length >= BACKLOG) return false;
    this.queue.push(c);
    return true;
  }

  /** @internal stop accepting; queued connections are closed */
  shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.queue.splice(0)) void c.channel.close().catch(() => {});
    for (const w of this.waiters.splice(0)) w.resolve(null);
  }
}

/** The remote listeners of one connection and the routing of their incoming channels. */
export class Forwarding {
  private readonly tcp = new Set<RemoteListener>();
  private readonly unix = new Map<string, RemoteListener>();

  constructor(private readonly conn: Connection) {
    conn.openHandlers.set('forwarded-tcpip', (open, accept, reject) => this.onForwardedTcpip(open, accept, reject));
    conn.openHandlers.set('forwarded-streamlocal@openssh.com', (open, accept, reject) => this.onForwardedStreamlocal(open, accept, reject));
    void conn.done.then(() => {
      for (const l of [...this.tcp, ...this.unix.values()]) l.shutdown();
      this.tcp.clear();
      this.unix.clear();
    });
  }

  /**
   * Ask the server to listen on address:port (RFC 4254 §7.1). Port 0 lets the server pick;
   * the listener's `port` is then the one it bound. Address "" means all addresses,
   * "localhost" loopback only (subject to the server's GatewayPorts).
   */
  async listenTcp(address: string, port: number, options: OperationOptions & { channel?: Partial<ChannelOptions> } = {}): Promise<RemoteListener> {
    checkPort(port);
    const body = new Writer(64).string(address).u32(port).finish().slice();
    const reply = await this.conn.globalRequest('tcpip-forward', true, body, options);
    if (reply === null) throw new SshError('REQUEST_DENIED', `remote port forwarding for ${address}:${port} refused by the server`);
    let bound = port;
    if (port === 0) {
      // RFC 4254 §7.1: when port 0 was asked, the reply carries the port the server bound.
      const r = new Reader(reply, 0, 'tcpip-forward reply');
      bound = r.u32('bound port');
      if (bound === 0 || bound > 65535) throw new ProtocolError(`tcpip-forward reply: bad port ${bound}`);
    }
    const l = new RemoteListener(this, 'tcpip', address, bound, options.channel ?? {});
    this.tcp.add(l);
    return l;
  }

  /** Ask the server to listen on a Unix socket (streamlocal-forward@openssh.com). */
  async listenUnix(socketPath: string, options: OperationOptions & { channel?: Partial<ChannelOptions> } = {}): Promise<RemoteListener> {
    if (this.unix.has(socketPath)) throw new SshError('INVAL', `already forwarding ${socketPath}`);
    const body = new Writer(64).string(socketPath).finish().slice();
    const reply = await this.conn.globalRequest('streamlocal-forward@openssh.com', true, body, options);
    if (reply === null) throw new SshError('REQUEST_DENIED', `remote forwarding of ${socketPath} refused by the server`);
    const l = new RemoteListener(this, 'streamlocal', socketPath, 0, options.channel ?? {});
    this.unix.set(socketPath, l);
    return l;
  }

  /** @internal cancel-tcpip-forward / cancel-streamlocal-forward@openssh.com */
  async cancel(l: RemoteListener, options?: OperationOptions): Promise<void> {
    if (this.conn.closedError) return;
    if (l.kind === 'tcpip') {
      this.tcp.delete(l);
      const body = new Writer(64).string(l.address).u32(l.port).finish().slice();
      const ok = await this.conn.globalRequest('cancel-tcpip-forward', true, body, options);
      if (ok === null) throw new SshError('REQUEST_DENIED', `the server refused to cancel forwarding of ${l.address}:${l.port}`);
    } else {
      this.unix.delete(l.address);
      const body = new Writer(64).string(l.address).finish().slice();
      // OpenSSH PROTOCOL §2.4 sends this one without want-reply.
      await this.conn.globalRequest('cancel-streamlocal-forward@openssh.com', false, body, options);
    }
  }

  private onForwardedTcpip(open: IncomingOpen, accept: (o?: Partial<ChannelOptions>) => Channel, reject: (reason: number, d: string) => void): void {
    const r = new Reader(open.extra, 0, 'forwarded-tcpip');
    const address = r.ascii('connected address');
    const port = r.u32('connected port');
    const originatorAddress = r.ascii('originator address');
    const originatorPort = r.u32('originator port');
    // Match address and port; servers may report the address in another spelling, so fall back to the port.
    let listener: RemoteListener | undefined;
    for (const l of this.tcp) if (l.port === port && l.address === address) listener = l;
    if (!listener) for (const l of this.tcp) if (l.port === port) listener = l;
    if (!listener) {
      reject(OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED, `no forwarding requested for ${address}:${port}`);
      return;
    }
    this.hand(listener, accept, reject, (channel) => ({ channel, address, port, originatorAddress, originatorPort }));
  }

  private onForwardedStreamlocal(open: IncomingOpen, accept: (o?: Partial<ChannelOptions>) => Channel, reject: (reason: number, d: string) => void): void {
    const r = new Reader(open.extra, 0, 'forwarded-streamlocal');
    const socketPath = r.ascii('socket path');
    const listener = this.unix.get(socketPath);
    if (!listener) {
      reject(OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED, `no forwarding requested for ${socketPath}`);
      return;
    }
    this.hand(listener, accept, reject, (channel) => ({ channel, socketPath }));
  }

  private hand(
    l: RemoteListener,
    accept: (o?: Partial<ChannelOptions>) => Channel,
    reject: (reason: number, d: string) => void,
    make: (ch: Channel) => ForwardedConnection,
  ): void {
    if (!l.hasRoom) {
      reject(
        l.isClosed ? OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED : OPEN_FAILURE.RESOURCE_SHORTAGE,
        l.isClosed ? 'listener closed' : 'too many pending connections',
      );
      return;
    }
    const ch = accept(l.channelOptions);
    if (!l.deliver(make(ch))) void ch.close().catch(() => {});
  }
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SshError('INVAL', `bad port ${port}`);
}
