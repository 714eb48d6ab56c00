/**
 * The connection protocol multiplexer (RFC 4254): the channel table, dispatch of
 * channel and global messages, and opening channels. One receive loop per connection.
 */
import { Deferred } from '../async.js';
import { ChannelOpenError, OPEN_FAILURE, ProtocolError, SshError } from '../errors.js';
import { MSG } from '../wire/constants.js';
import { readBE32 } from '../wire/bytes.js';
import { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';
import { abortable, throwIfAborted, type OperationOptions } from './abort.js';
import { Channel, type ChannelHost, type ChannelOptions } from './channel.js';
import {
  channelOpen,
  decodeChannelOpen,
  decodeChannelRequest,
  decodeGlobalRequest,
  decodeOpenConfirmation,
  decodeOpenFailure,
  globalRequest,
  type IncomingOpen,
  openFailure,
} from './messages.js';

export interface PacketTransport {
  send(payload: Uint8Array): Promise<void>;
  /** Optional fast path of send: undefined when the packet went out at once; `rest` follows `payload` (Transport.sendNow). */
  sendNow?(payload: Uint8Array, rest?: Uint8Array): Promise<void> | undefined;
  receive(): Promise<Uint8Array>;
  /**
   * Optional: hand each later packet to `receiver` synchronously, as it is decoded, instead of
   * through receive(), which then only rejects when the transport fails (Transport.deliverTo).
   * `owned`: nobody else holds the payload's buffer (Transport.deliverTo).
   */
  deliverTo?(receiver: (payload: Uint8Array, owned: boolean) => void): void;
  /** A protocol violation by the peer: disconnect with a reason and fail the connection. */
  abort(err: SshError): void;
  /** The peer is gone (e.g. keepalive timeout): close the stream and fail the connection. */
  fail(err: SshError): void;
}

export interface ConnectionOptions {
  /** default timeout (ms) for operations that wait for the peer's answer: opens, requests, close */
  operationTimeout?: number;
}

/** Options for opening a channel: our window and packet size, extended-data mode, cancellation. */
export type OpenOptions = Partial<ChannelOptions> & OperationOptions;

/** Builds the Channel object for a new channel (e.g. a Session for "session"). */
export type ChannelFactory<C extends Channel> = (host: ChannelHost, localId: number, type: string, options: ChannelOptions) => C;

/**
 * OpenSSH's session defaults: 2 MiB window, 32 KiB packets. A larger window does not help
 * on loopback and hurts there: sshd buffers up to a window of channel input and compacts
 * that buffer as it drains (measured: 8 MiB stalls sshd more often than 2 MiB). Re-opened
 * at half (Channel.consume), so the sender never waits for WINDOW_ADJUST on a fast link.
 */
export const DEFAULT_WINDOW = 2 * 1024 * 1024;
export const DEFAULT_MAX_PACKET = 32 * 1024;

/**
 * Handler for a channel the server opens (forwarded-tcpip, auth-agent, x11). It must call
 * `accept` or `reject` (RFC 4254 §5.1) before its promise settles; otherwise, or if it
 * throws, the open is refused.
 */
export type ChannelOpenHandler = (
  open: IncomingOpen,
  accept: (options?: Partial<ChannelOptions>) => Channel,
  reject: (reason: number, description: string) => void,
) => void | Promise<void>;

/**
 * @internal What a ChannelOpenHandler's `accept` really is: it confirms an incoming open
 * (RFC 4254 §5.1) and returns the channel; a `factory` builds a Channel subclass (the
 * server's sessions).
 */
export type ChannelAccept = <C extends Channel = Channel>(options?: Partial<ChannelOptions>, factory?: ChannelFactory<C>) => C;

/**
 * The answer to a global request (RFC 4254 §4): false for REQUEST_FAILURE, true for
 * REQUEST_SUCCESS, bytes for REQUEST_SUCCESS carrying them (tcpip-forward's bound port).
 */
export type GlobalRequestAnswer = boolean | Uint8Array;

/** Answers one global request from the peer; its body is read before any await. */
export type GlobalRequestHandler = (body: Reader) => GlobalRequestAnswer | Promise<GlobalRequestAnswer>;

interface PendingOpen {
  channel: Channel;
  done: Deferred<Channel>;
  /** the caller gave up waiting; close the channel if the peer confirms it */
  abandoned: boolean;
}

/**
 * The connection protocol (RFC 4254) over an authenticated transport: opens channels and
 * sends global requests. Reached through {@link SshClient.channels}; not constructed by users.
 */
export class Connection {
  private readonly channels = new Map<number, Channel>();
  private readonly opening = new Map<number, PendingOpen>();
  private nextId = 0;
  private readonly globalReplies: Deferred<Uint8Array | null>[] = [];
  private failure: SshError | null = null;
  private readonly doneDeferred = new Deferred<SshError>();
  private received = 0;
  /** default timeout (ms) for opens, requests and close; undefined: none */
  operationTimeout: number | undefined;
  /** handlers for server-initiated channel types, by type */
  readonly openHandlers = new Map<string, ChannelOpenHandler>();
  /**
   * @internal handlers for the peer's global requests, by name. Replies go out in request
   * order (RFC 4254 §4) even when a handler answers later than the next one.
   */
  readonly globalHandlers = new Map<string, GlobalRequestHandler>();
  /** @internal answers global requests no handler in `globalHandlers` takes (default: REQUEST_FAILURE) */
  unknownGlobalRequest: ((name: string, body: Uint8Array) => GlobalRequestAnswer | Promise<GlobalRequestAnswer>) | null = null;
  /** @internal the reply still being decided for an earlier global request, if any */
  private globalReplyChain: Promise<void> | null = null;

  private readonly host: ChannelHost;

  constructor(
    private readonly transport: PacketTransport,
    options: ConnectionOptions = {},
  ) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the getters below run with `this` bound to the host object
    const self = this;
    this.operationTimeout = options.operationTimeout;
    this.host = {
      send: (p: Uint8Array) => this.transport.send(p),
      ...(transport.sendNow ? { sendNow: (p: Uint8Array, rest?: Uint8Array) => this.transport.sendNow!(p, rest) } : {}),
      release: (id: number) => {
        this.channels.delete(id);
      },
      get closedError() {
        return self.failure;
      },
      get operationTimeout() {
        return self.operationTimeout;
      },
    };
    void this.loop();
  }

  get channelCount(): number {
    return this.channels.size;
  }

  /** How many connection-layer packets have arrived (keepalive watches this). */
  get packetsReceived(): number {
    return this.received;
  }

  /** The error that ended the connection, or null while it is up. */
  get closedError(): SshError | null {
    return this.failure;
  }

  /** Resolves with the error once the connection has shut down. */
  get done(): Promise<SshError> {
    return this.doneDeferred.promise;
  }

  /** The peer is gone: fail the transport and with it every channel and pending operation. */
  fail(err: SshError): void {
    this.transport.fail(err);
    this.shutdown(err);
  }

  /**
   * Open a channel of `type` with type-specific data `extra` (RFC 4254 §5.1). Rejects with
   * ChannelOpenError when the peer refuses. If the wait is aborted, a late confirmation
   * is answered with CLOSE.
   */
  async openChannel(type: string, extra?: Uint8Array, options?: OpenOptions): Promise<Channel>;
  /** @internal with a factory for a Channel subclass (Session) */
  async openChannel<C extends Channel>(type: string, extra: Uint8Array | undefined, options: OpenOptions | undefined, factory: ChannelFactory<C>): Promise<C>;
  async openChannel(type: string, extra?: Uint8Array, options?: OpenOptions, factory?: ChannelFactory<Channel>): Promise<Channel> {
    if (this.failure) throw this.failure;
    throwIfAborted(options?.signal, `open ${type} channel`);
    const opts: ChannelOptions = {
      window: options?.window ?? DEFAULT_WINDOW,
      maxPacket: options?.maxPacket ?? DEFAULT_MAX_PACKET,
      extendedData: options?.extendedData,
    };
    checkChannelOptions(opts);
    const id = this.allocateId();
    const channel = factory ? factory(this.host, id, type, opts) : new Channel(this.host, id, type, opts);
    const pending: PendingOpen = { channel, done: new Deferred<Channel>(), abandoned: false };
    this.opening.set(id, pending);
    await this.transport.send(channelOpen(type, id, opts.window, opts.maxPacket, extra));
    return abortable(pending.done.promise, `open ${type} channel`, options, this.operationTimeout, () => {
      pending.abandoned = true;
    });
  }

  /**
   * Send a global request (RFC 4254 §4); with wantReply, resolves to the reply data or
   * null on failure. Replies come back in request order.
   */
  async globalRequest(name: string, wantReply: boolean, body?: Uint8Array, options?: OperationOptions): Promise<Uint8Array | null> {
    if (this.failure) throw this.failure;
    throwIfAborted(options?.signal, `${name} request`);
    let reply: Deferred<Uint8Array | null> | null = null;
    if (wantReply) {
      reply = new Deferred();
      this.globalReplies.push(reply);
    }
    await this.transport.send(globalRequest(name, wantReply, body));
    return reply ? abortable(reply.promise, `${name} request`, options, this.operationTimeout) : new Uint8Array(0);
  }

  private allocateId(): number {
    for (;;) {
      const id = this.nextId;
      this.nextId = (this.nextId + 1) >>> 0;
      if (!this.channels.has(id) && !this.opening.has(id)) return id;
    }
  }

  private async loop(): Promise<void> {
    try {
      // Dispatch in the transport's read loop where it offers that: a promise and a microtask
      // per packet less, and decoded packets no longer wait in a queue between the two layers.
      // receive() is still awaited below: it reports the transport's failure. Packets already
      // queued (e.g. hostkeys-00 sent with USERAUTH_SUCCESS) wait one microtask, so that whoever
      // created this connection has registered its global-request handlers first.
      await Promise.resolve();
      this.transport.deliverTo?.((p, owned) => {
        this.received++;
        this.dispatch(p, owned);
      });
      for (;;) {
        const p = await this.transport.receive();
        this.received++;
        this.dispatch(p);
      }
    } catch (e) {
      const err = e instanceof SshError ? e : new ProtocolError(`internal error: ${(e as Error | undefined)?.message ?? String(e)}`);
      // A receive() rejection means the transport already failed; a dispatch error is the peer's fault.
      this.transport.abort(err);
      this.shutdown(err);
    }
  }

  /** Fail every channel and pending request with `err`. */
  shutdown(err: SshError): void {
    if (this.failure) return;
    this.failure = err;
    for (const { done } of this.opening.values()) done.reject(err);
    this.opening.clear();
    for (const ch of [...this.channels.values()]) ch.onConnectionLost(err);
    this.channels.clear();
    for (const r of this.globalReplies.splice(0)) r.reject(err);
    this.doneDeferred.resolve(err);
  }

  private channel(id: number, what: string): Channel {
    const ch = this.channels.get(id);
    if (!ch) throw new ProtocolError(`${what} for unknown channel ${id}`, 'CHANNEL_UNKNOWN');
    return ch;
  }

  /** `owned`: nobody else holds p's buffer; channel data from it may be freed by its reader (Channel.release). */
  private dispatch(p: Uint8Array, owned = false): void {
    const type = p[0]!;
    switch (type) {
      case MSG.CHANNEL_DATA: {
        // The bulk message, read without a Reader when well formed (RFC 4254 §5.2: uint32
        // recipient channel, string data); anything else takes the Reader's checks and errors.
        if (p.length >= 9 && readBE32(p, 5) === p.length - 9) {
          this.channel(readBE32(p, 1), 'CHANNEL_DATA').onData(p.subarray(9), null, owned);
          return;
        }
        const r = new Reader(p, 1, 'CHANNEL_DATA');
        const ch = this.channel(r.u32('recipient channel'), 'CHANNEL_DATA');
        ch.onData(r.string('data'), null);
        return;
      }
      case MSG.CHANNEL_EXTENDED_DATA: {
        const r = new Reader(p, 1, 'CHANNEL_EXTENDED_DATA');
        const ch = this.channel(r.u32('recipient channel'), 'CHANNEL_EXTENDED_DATA');
        const code = r.u32('data type code');
        ch.onData(r.string('data'), code, owned);
        return;
      }
      case MSG.CHANNEL_WINDOW_ADJUST: {
        const r = new Reader(p, 1, 'CHANNEL_WINDOW_ADJUST');
        const ch = this.channel(r.u32('recipient channel'), 'CHANNEL_WINDOW_ADJUST');
        ch.onWindowAdjust(r.u32('bytes to add'));
        return;
      }
      case MSG.CHANNEL_EOF:
        this.channel(new Reader(p, 1, 'CHANNEL_EOF').u32('recipient channel'), 'CHANNEL_EOF').onEof();
        return;
      case MSG.CHANNEL_CLOSE:
        this.channel(new Reader(p, 1, 'CHANNEL_CLOSE').u32('recipient channel'), 'CHANNEL_CLOSE').onClose();
        return;
      case MSG.CHANNEL_REQUEST:
        this.onChannelRequest(p);
        return;
      case MSG.CHANNEL_SUCCESS:
      case MSG.CHANNEL_FAILURE: {
        const id = new Reader(p, 1, 'CHANNEL_SUCCESS/FAILURE').u32('recipient channel');
        this.channel(id, 'CHANNEL_SUCCESS/FAILURE').onRequestReply(type === MSG.CHANNEL_SUCCESS);
        return;
      }
      case MSG.CHANNEL_OPEN_CONFIRMATION: {
        const c = decodeOpenConfirmation(p);
        const pending = this.opening.get(c.recipient);
        if (!pending) throw new ProtocolError(`open confirmation for channel ${c.recipient} we did not open`, 'CHANNEL_UNKNOWN');
        this.opening.delete(c.recipient);
        pending.channel.opened(c.sender, c.window, c.maxPacket);
        this.channels.set(c.recipient, pending.channel);
        pending.done.resolve(pending.channel);
        if (pending.abandoned) void pending.channel.close().catch(() => {});
        return;
      }
      case MSG.CHANNEL_OPEN_FAILURE: {
        const f = decodeOpenFailure(p);
        const pending = this.opening.get(f.recipient);
        if (!pending) throw new ProtocolError(`open failure for channel ${f.recipient} we did not open`, 'CHANNEL_UNKNOWN');
        this.opening.delete(f.recipient);
        pending.done.reject(new ChannelOpenError(f.reason, f.description));
        return;
      }
      case MSG.CHANNEL_OPEN:
        this.onChannelOpen(p);
        return;
      case MSG.GLOBAL_REQUEST:
        this.onGlobalRequest(p);
        return;
      case MSG.REQUEST_SUCCESS:
      case MSG.REQUEST_FAILURE: {
        const r = this.globalReplies.shift();
        if (!r) throw new ProtocolError('global request reply without a request');
        r.resolve(type === MSG.REQUEST_SUCCESS ? p.subarray(1) : null);
        return;
      }
      default:
        // RFC 4253 §11.4: answer anything we do not implement.
        throw new ProtocolError(`unexpected message ${type} on the connection layer`);
    }
  }

  private onChannelRequest(p: Uint8Array): void {
    const req = decodeChannelRequest(p);
    const ch = this.channel(req.recipient, 'CHANNEL_REQUEST');
    let ok: boolean | Promise<boolean> = false;
    if (req.type === 'exit-status') {
      ch.onExitStatus(req.body.u32('exit status'));
      ok = true;
    } else if (req.type === 'exit-signal') {
      const signal = req.body.ascii('signal name');
      const core = req.body.bool('core dumped');
      const message = req.body.text('error message');
      ch.onExitSignal(signal, core, message);
      ok = true;
    } else if (ch.onRequest) {
      try {
        ok = ch.onRequest(req.type, req.wantReply, req.body);
      } catch (e) {
        // A peer's malformed request body fails the connection; a handler's own error refuses the request.
        if (e instanceof ProtocolError) throw e;
        ok = false;
      }
    }
    if (!req.wantReply) {
      if (typeof ok !== 'boolean') ok.catch(() => {});
      return;
    }
    const reply = (success: boolean): void => {
      if (ch.isClosed || this.failure) return;
      void this.transport
        .send(
          new Writer(8)
            .u8(success ? MSG.CHANNEL_SUCCESS : MSG.CHANNEL_FAILURE)
            .u32(ch.remoteId)
            .finish()
            .slice(),
        )
        .catch(() => {});
    };
    if (typeof ok === 'boolean' && ch.replyChain === null) {
      reply(ok);
      return;
    }
    // RFC 4254 §5.4: replies in request order, so a later quick answer waits for an earlier slow one.
    const answer = ok;
    const chain: Promise<void> = (ch.replyChain ?? Promise.resolve())
      .then(() => answer)
      .then(reply, () => reply(false))
      .then(() => {
        if (ch.replyChain === chain) ch.replyChain = null;
      });
    ch.replyChain = chain;
  }

  private onGlobalRequest(p: Uint8Array): void {
    const g = decodeGlobalRequest(p);
    const named = this.globalHandlers.get(g.name);
    const fallback = this.unknownGlobalRequest;
    const handler: GlobalRequestHandler | undefined = named ?? (fallback ? (body) => fallback(g.name, body.rest()) : undefined);
    let answer: GlobalRequestAnswer | Promise<GlobalRequestAnswer> = false;
    if (handler) {
      try {
        answer = handler(g.body);
      } catch (e) {
        if (e instanceof ProtocolError) throw e;
        answer = false;
      }
    }
    if (!g.wantReply) {
      if (answer instanceof Promise) answer.catch(() => {});
      return;
    }
    const reply = (a: GlobalRequestAnswer): void => {
      if (this.failure) return;
      const msg = a === false ? new Uint8Array([MSG.REQUEST_FAILURE]) : a === true ? new Uint8Array([MSG.REQUEST_SUCCESS]) : concatReply(a);
      void this.transport.send(msg).catch(() => {});
    };
    if (!(answer instanceof Promise) && this.globalReplyChain === null) {
      reply(answer);
      return;
    }
    const pending = answer;
    const chain: Promise<void> = (this.globalReplyChain ?? Promise.resolve())
      .then(() => pending)
      .then(reply, () => reply(false))
      .then(() => {
        if (this.globalReplyChain === chain) this.globalReplyChain = null;
      });
    this.globalReplyChain = chain;
  }

  private onChannelOpen(p: Uint8Array): void {
    const open = decodeChannelOpen(p);
    const handler = this.openHandlers.get(open.type);
    if (!handler) {
      // RFC 4254 §5.1: a type we do not know is refused with UNKNOWN_CHANNEL_TYPE.
      void this.transport.send(openFailure(open.sender, OPEN_FAILURE.UNKNOWN_CHANNEL_TYPE, `channel type ${open.type} not supported`)).catch(() => {});
      return;
    }
    let answered = false;
    const reject = (reason: number, description: string): void => {
      if (answered || this.failure) return;
      answered = true;
      void this.transport.send(openFailure(open.sender, reason, description)).catch(() => {});
    };
    const accept = <C extends Channel = Channel>(options?: Partial<ChannelOptions>, factory?: ChannelFactory<C>): C => {
      if (answered) throw new SshError('BAD_USE', 'channel open already answered');
      if (this.failure) throw this.failure;
      answered = true;
      const opts: ChannelOptions = { window: DEFAULT_WINDOW, maxPacket: DEFAULT_MAX_PACKET, ...options };
      checkChannelOptions(opts);
      const id = this.allocateId();
      const ch = factory ? factory(this.host, id, open.type, opts) : (new Channel(this.host, id, open.type, opts) as C);
      ch.opened(open.sender, open.window, open.maxPacket);
      this.channels.set(id, ch);
      void this.transport
        .send(new Writer(32).u8(MSG.CHANNEL_OPEN_CONFIRMATION).u32(open.sender).u32(id).u32(opts.window).u32(opts.maxPacket).finish().slice())
        .catch(() => {});
      return ch;
    };
    let result: void | Promise<void>;
    try {
      result = handler(open, accept, reject);
    } catch {
      reject(OPEN_FAILURE.CONNECT_FAILED, `could not accept ${open.type} channel`);
      return;
    }
    void Promise.resolve(result).then(
      () => reject(OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED, `${open.type} channel not accepted`),
      () => reject(OPEN_FAILURE.CONNECT_FAILED, `could not accept ${open.type} channel`),
    );
  }
}

/** REQUEST_SUCCESS followed by request-specific data (RFC 4254 §4). */
function concatReply(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + data.length);
  out[0] = MSG.REQUEST_SUCCESS;
  out.set(data, 1);
  return out;
}

function checkChannelOptions(o: ChannelOptions): void {
  // RFC 4254 §5.1: both are uint32; a zero maximum packet could never carry data.
  if (!Number.isInteger(o.window) || o.window < 0 || o.window > 0xffffffff) throw new SshError('INVAL', 'channel window must be a uint32');
  if (!Number.isInteger(o.maxPacket) || o.maxPacket < 1 || o.maxPacket > 0xffffffff)
    throw new SshError('INVAL', 'channel maximum packet size must be a positive uint32');
}
