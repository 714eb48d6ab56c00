/**
 * The connection protocol on the server (RFC 4254; OpenSSH PROTOCOL §2): the same
 * multiplexer as the client's, with the server's routes. Sessions, direct-tcpip and
 * direct-streamlocal opens go to the application's callbacks; so do tcpip-forward and
 * streamlocal-forward requests, whose connections the application opens back as
 * forwarded-tcpip / forwarded-streamlocal channels. Anything without a callback is
 * refused, as russh does. keepalive@openssh.com and unknown global requests get
 * REQUEST_FAILURE (what sshd answers); no-more-sessions@openssh.com is honoured.
 */
import type { Channel, ChannelOptions } from '../connection/channel.js';
import { Connection, type ChannelAccept, type GlobalRequestAnswer, type OpenOptions } from '../connection/connection.js';
import type { IncomingOpen } from '../connection/messages.js';
import { AGENT_CHANNEL } from '../auth/agent/forward.js';
import { DISCONNECT_REASON, OPEN_FAILURE, ProtocolError, type SshError } from '../errors.js';
import type { PacketTransport } from '../connection/connection.js';
import { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';
import { HOSTKEYS_PROVE_REQUEST, HOSTKEYS_REQUEST, hostKeysBody, proveHostKeys, type HostKeySigner } from './hostkeys.js';
import { ServerSession, type SessionHandler } from './session.js';
import type { AuthenticatedUser, PeerInfo } from './types.js';

/** A direct-tcpip open (RFC 4254 §7.2): the client wants the server to connect to host:port. */
export interface DirectTcpipRequest {
  host: string;
  port: number;
  originatorAddress: string;
  originatorPort: number;
  /** confirm the channel; relay its data to the connection the application made */
  accept(options?: Partial<ChannelOptions>): Channel;
  /** refuse (default reason CONNECT_FAILED, RFC 4254 §5.1) */
  reject(reason?: number, description?: string): void;
}

/** A direct-streamlocal@openssh.com open (OpenSSH PROTOCOL §2.4): connect to a Unix socket. */
export interface DirectStreamlocalRequest {
  socketPath: string;
  /** confirm the channel; relay its data to the socket the application connected to */
  accept(options?: Partial<ChannelOptions>): Channel;
  /** refuse (default reason CONNECT_FAILED) */
  reject(reason?: number, description?: string): void;
}

/** A tcpip-forward or cancel-tcpip-forward request (RFC 4254 §7.1). */
export interface TcpipForwardRequest {
  /** the address to bind ("" / "0.0.0.0": all IPv4, "::": all IPv6, "localhost", …) */
  address: string;
  /** the port; 0 asks the server to pick one */
  port: number;
}

/**
 * The application's routes for the connection protocol. Each is optional: what is not
 * handled is refused. Every callback gets the {@link ServerConnection} it serves.
 */
export interface ConnectionHandlers {
  /** a session channel was opened: the handler for its requests, or null to refuse it */
  session?(conn: ServerConnection): SessionHandler | null | undefined | Promise<SessionHandler | null | undefined>;
  /** answer with request.accept() or request.reject() before the promise settles; otherwise refused */
  directTcpip?(request: DirectTcpipRequest, conn: ServerConnection): void | Promise<void>;
  /** a direct-streamlocal@openssh.com open: answer with request.accept() or request.reject(), as for directTcpip */
  directStreamlocal?(request: DirectStreamlocalRequest, conn: ServerConnection): void | Promise<void>;
  /**
   * tcpip-forward: start listening. Return the bound port (the real one when 0 was asked),
   * true for the requested port, or false to refuse. Connections to it are opened towards
   * the client with {@link ServerConnection.openForwardedTcpip}.
   */
  tcpipForward?(request: TcpipForwardRequest, conn: ServerConnection): number | boolean | Promise<number | boolean>;
  /** cancel-tcpip-forward: stop the listener a tcpip-forward started; false refuses */
  cancelTcpipForward?(request: TcpipForwardRequest, conn: ServerConnection): boolean | Promise<boolean>;
  /** streamlocal-forward@openssh.com: listen on a Unix socket path */
  streamlocalForward?(socketPath: string, conn: ServerConnection): boolean | Promise<boolean>;
  /** cancel-streamlocal-forward@openssh.com: stop listening on the socket path */
  cancelStreamlocalForward?(socketPath: string, conn: ServerConnection): boolean | Promise<boolean>;
  /**
   * Any other global request (RFC 4254 §4): true / false, or reply data for REQUEST_SUCCESS.
   * Without this callback they are refused, as sshd does (keepalive@openssh.com included).
   */
  globalRequest?(name: string, body: Uint8Array, conn: ServerConnection): GlobalRequestAnswer | Promise<GlobalRequestAnswer>;
}

/** Options of the server's connection layer. */
export interface ServerConnectionOptions {
  /** MaxSessions: open session channels at a time (default 10) */
  maxSessions?: number;
  /** the receive window and packet size of accepted channels (default 2 MiB / 32 KiB, as sshd) */
  window?: number;
  maxPacket?: number;
  /** announced in hostkeys-00@openssh.com and proven on request */
  hostKeys?: readonly HostKeySigner[];
  /** the host key algorithm of the key exchange (for RSA proofs) */
  kexHostKeyAlgorithm?: string;
  /** trace lines; never secrets */
  debug?: ((line: string) => void) | undefined;
}

/** The transport as the server's connection layer needs it. */
export interface ServerPacketTransport extends PacketTransport {
  disconnect(reason: number, description: string): Promise<void>;
}

const STREAMLOCAL_FORWARD = 'streamlocal-forward@openssh.com';
const CANCEL_STREAMLOCAL_FORWARD = 'cancel-streamlocal-forward@openssh.com';
const NO_MORE_SESSIONS = 'no-more-sessions@openssh.com';

/**
 * One authenticated connection on the server: who logged in, the channels open, and the
 * channels the server opens towards the client (forwarded connections, agent requests).
 */
export class ServerConnection {
  /** the connection multiplexer, for channel types beyond these */
  readonly connection: Connection;
  private sessions = 0;
  private noMoreSessions = false;
  private readonly maxSessions: number;
  private readonly channelOptions: Partial<ChannelOptions>;

  /** @internal made by SshServer after authentication */
  constructor(
    private readonly transport: ServerPacketTransport,
    /** who logged in, with which methods and permissions */
    readonly user: AuthenticatedUser,
    /** where the connection comes from, and its session id */
    readonly peer: PeerInfo,
    private readonly handlers: ConnectionHandlers,
    private readonly options: ServerConnectionOptions = {},
  ) {
    this.maxSessions = options.maxSessions ?? 10;
    this.channelOptions = {
      ...(options.window !== undefined ? { window: options.window } : {}),
      ...(options.maxPacket !== undefined ? { maxPacket: options.maxPacket } : {}),
    };
    this.connection = new Connection(lateUserauthIgnored(transport));
    this.route();
  }

  /** The user name that logged in. */
  get username(): string {
    return this.user.username;
  }

  /** Session channels open now. */
  get sessionCount(): number {
    return this.sessions;
  }

  /** Resolves with the error once the connection has ended. */
  get done(): Promise<SshError> {
    return this.connection.done;
  }

  /** Open a forwarded-tcpip channel (RFC 4254 §7.2): a connection arrived on a tcpip-forward listener. */
  openForwardedTcpip(address: string, port: number, originatorAddress: string, originatorPort: number, options?: OpenOptions): Promise<Channel> {
    const body = new Writer(64).string(address).u32(port).string(originatorAddress).u32(originatorPort).finish().slice();
    return this.connection.openChannel('forwarded-tcpip', body, { ...this.channelOptions, ...options });
  }

  /** Open a forwarded-streamlocal@openssh.com channel (OpenSSH PROTOCOL §2.4). */
  openForwardedStreamlocal(socketPath: string, options?: OpenOptions): Promise<Channel> {
    const body = new Writer(64).string(socketPath).string('').finish().slice();
    return this.connection.openChannel('forwarded-streamlocal@openssh.com', body, { ...this.channelOptions, ...options });
  }

  /** Open an auth-agent@openssh.com channel to the client's agent (after a session accepted agent forwarding). */
  openAgentChannel(options?: OpenOptions): Promise<Channel> {
    return this.connection.openChannel(AGENT_CHANNEL, undefined, { ...this.channelOptions, ...options });
  }

  /** Send hostkeys-00@openssh.com listing every host key (OpenSSH PROTOCOL §2.5); sshd does right after auth. */
  async announceHostKeys(): Promise<void> {
    const keys = this.options.hostKeys ?? [];
    if (keys.length === 0) return;
    await this.connection.globalRequest(HOSTKEYS_REQUEST, false, hostKeysBody(keys));
  }

  /** Disconnect (SSH_MSG_DISCONNECT BY_APPLICATION) and close. */
  disconnect(description = 'disconnected by server'): Promise<void> {
    return this.transport.disconnect(DISCONNECT_REASON.BY_APPLICATION, description);
  }

  private route(): void {
    const c = this.connection;
    const h = this.handlers;
    const perms = this.user.permissions;
    c.openHandlers.set('session', (open, accept, reject) => this.openSession(open, accept as ChannelAccept, reject));
    c.openHandlers.set('direct-tcpip', (open, accept, reject) => {
      const r = new Reader(open.extra, 0, 'direct-tcpip');
      const host = r.text('host to connect');
      const port = r.u32('port to connect');
      const originatorAddress = r.text('originator address');
      const originatorPort = r.u32('originator port');
      if (perms.noPortForwarding || !h.directTcpip) return reject(OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED, 'open failed');
      return h.directTcpip(
        {
          host,
          port,
          originatorAddress,
          originatorPort,
          accept: (o) => accept({ ...this.channelOptions, ...o }),
          reject: (reason = OPEN_FAILURE.CONNECT_FAILED, d = 'connect failed') => reject(reason, d),
        },
        this,
      );
    });
    c.openHandlers.set('direct-streamlocal@openssh.com', (open, accept, reject) => {
      const r = new Reader(open.extra, 0, 'direct-streamlocal');
      const socketPath = r.text('socket path');
      if (perms.noPortForwarding || !h.directStreamlocal) return reject(OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED, 'open failed');
      return h.directStreamlocal(
        {
          socketPath,
          accept: (o) => accept({ ...this.channelOptions, ...o }),
          reject: (reason = OPEN_FAILURE.CONNECT_FAILED, d = 'connect failed') => reject(reason, d),
        },
        this,
      );
    });
    const g = c.globalHandlers;
    g.set('tcpip-forward', (body) => {
      const req = { address: body.text('address to bind'), port: body.u32('port to bind') };
      body.end();
      if (perms.noPortForwarding || !h.tcpipForward) return false;
      return answer(
        () => h.tcpipForward!(req, this),
        (bound) => {
          if (bound === false) return false;
          // RFC 4254 §7.1: the bound port comes back only when the client asked for port 0.
          if (req.port !== 0) return true;
          const port = bound === true ? 0 : bound;
          return new Writer(4).u32(port).finish().slice();
        },
      );
    });
    g.set('cancel-tcpip-forward', (body) => {
      const req = { address: body.text('address to bind'), port: body.u32('port to bind') };
      body.end();
      if (!h.cancelTcpipForward) return false;
      return answer(
        () => h.cancelTcpipForward!(req, this),
        (ok) => ok === true,
      );
    });
    g.set(STREAMLOCAL_FORWARD, (body) => {
      const path = body.text('socket path');
      body.end();
      if (perms.noPortForwarding || !h.streamlocalForward) return false;
      return answer(
        () => h.streamlocalForward!(path, this),
        (ok) => ok === true,
      );
    });
    g.set(CANCEL_STREAMLOCAL_FORWARD, (body) => {
      const path = body.text('socket path');
      body.end();
      if (!h.cancelStreamlocalForward) return false;
      return answer(
        () => h.cancelStreamlocalForward!(path, this),
        (ok) => ok === true,
      );
    });
    g.set(NO_MORE_SESSIONS, () => {
      this.noMoreSessions = true;
      return false;
    });
    g.set(HOSTKEYS_PROVE_REQUEST, (body) =>
      proveHostKeys(body, this.options.hostKeys ?? [], this.peer.sessionId, this.options.kexHostKeyAlgorithm ?? '').then((r) => r ?? false),
    );
    // Everything else: the application's, or REQUEST_FAILURE (sshd answers keepalive@openssh.com so too).
    this.connection.unknownGlobalRequest = h.globalRequest ? (name, body) => h.globalRequest!(name, body, this) : null;
  }

  private async openSession(open: IncomingOpen, accept: ChannelAccept, reject: (reason: number, description: string) => void): Promise<void> {
    void open;
    if (this.noMoreSessions) {
      // sshd treats it as an attack: the client promised not to open more sessions.
      await this.transport.disconnect(DISCONNECT_REASON.PROTOCOL_ERROR, 'Possible attack: attempt to open a session after additional sessions disabled');
      return;
    }
    if (this.sessions >= this.maxSessions || !this.handlers.session) {
      reject(OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED, 'open failed');
      return;
    }
    // Counted before the handler runs, so concurrent opens cannot overshoot MaxSessions.
    this.sessions++;
    let handler: SessionHandler | null | undefined;
    try {
      handler = await this.handlers.session(this);
    } catch {
      handler = null;
    }
    if (!handler) {
      this.sessions--;
      reject(OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED, 'open failed');
      return;
    }
    let session: ServerSession;
    try {
      session = accept(this.channelOptions, (host, id, type, o) => new ServerSession(host, id, type, o));
    } catch {
      this.sessions--;
      return;
    }
    session.attach(handler, this.user.permissions);
    void session.closed.then(() => this.sessions--);
  }
}

/** RFC 4252 §5.1: userauth requests after USERAUTH_SUCCESS are ignored, not errors. */
function lateUserauthIgnored(t: PacketTransport): PacketTransport {
  return {
    send: (p) => t.send(p),
    ...(t.sendNow ? { sendNow: (p: Uint8Array, rest?: Uint8Array) => t.sendNow!(p, rest) } : {}),
    abort: (e) => t.abort(e),
    fail: (e) => t.fail(e),
    receive: async () => {
      for (;;) {
        const p = await t.receive();
        const type = p[0] ?? 0;
        if (type >= 50 && type <= 79) continue;
        if (type < 80) throw new ProtocolError(`unexpected message ${type} after authentication`);
        return p;
      }
    },
  };
}

/** Run a handler's decision (sync or async); a throw refuses; `map` turns it into the reply. */
function answer<T>(fn: () => T | Promise<T>, map: (v: T | false) => GlobalRequestAnswer): GlobalRequestAnswer | Promise<GlobalRequestAnswer> {
  let r: T | Promise<T>;
  try {
    r = fn();
  } catch {
    return false;
  }
  if (r instanceof Promise) {
    return r.then(map, () => false);
  }
  return map(r);
}
