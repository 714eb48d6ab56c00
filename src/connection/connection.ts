/**
 * The connection protocol multiplexer (RFC 4254): the channel table, dispatch of
 * channel and global messages, and opening channels. One receive loop per connection.
 */
import { Deferred } from '../async.js';
import { ChannelOpenError, OPEN_FAILURE, ProtocolError, SshError } from '../errors.js';
import { MSG } from '../wire/constants.js';
import { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';
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
  receive(): Promise<Uint8Array>;
  /** A protocol violation by the peer: disconnect with a reason and fail the connection. */
  abort(err: SshError): void;
}

/** OpenSSH's session defaults are 2 MiB window / 32 KiB packets; we grant more for throughput. */
export const DEFAULT_WINDOW = 8 * 1024 * 1024;
export const DEFAULT_MAX_PACKET = 32 * 1024;

/** Handler for a channel the server opens (forwarded-tcpip, auth-agent, x11). */
export type ChannelOpenHandler = (open: IncomingOpen, accept: (options?: Partial<ChannelOptions>) => Channel) => void | Promise<void>;

export class Connection {
  private readonly channels = new Map<number, Channel>();
  private readonly opening = new Map<number, { channel: Channel; done: Deferred<Channel> }>();
  private nextId = 0;
  private readonly globalReplies: Deferred<Uint8Array | null>[] = [];
  private failure: SshError | null = null;
  /** handlers for server-initiated channel types, by type */
  readonly openHandlers = new Map<string, ChannelOpenHandler>();
  /** handlers for server global requests, by name; return true to accept */
  readonly globalHandlers = new Map<string, (body: Reader) => boolean>();

  private readonly host: ChannelHost;

  constructor(private readonly transport: PacketTransport) {
    const self = this;
    this.host = {
      send: (p: Uint8Array) => this.transport.send(p),
      release: (id: number) => {
        this.channels.delete(id);
      },
      get closedError() {
        return self.failure;
      },
    };
    void this.loop();
  }

  get channelCount(): number {
    return this.channels.size;
  }

  /** Open a channel of `type` with type-specific data `extra` (RFC 4254 §5.1). */
  async openChannel(type: string, extra?: Uint8Array, options?: Partial<ChannelOptions>): Promise<Channel> {
    if (this.failure) throw this.failure;
    const opts: ChannelOptions = { window: DEFAULT_WINDOW, maxPacket: DEFAULT_MAX_PACKET, ...options };
    const id = this.allocateId();
    const channel = new Channel(this.host, id, type, opts);
    const done = new Deferred<Channel>();
    this.opening.set(id, { channel, done });
    await this.transport.send(channelOpen(type, id, opts.window, opts.maxPacket, extra));
    return done.promise;
  }

  /** Send a global request (RFC 4254 §4); with wantReply, resolves to the reply data or null on failure. */
  async globalRequest(name: string, wantReply: boolean, body?: Uint8Array): Promise<Uint8Array | null> {
    if (this.failure) throw this.failure;
    let reply: Deferred<Uint8Array | null> | null = null;
    if (wantReply) {
      reply = new Deferred();
      this.globalReplies.push(reply);
    }
    await this.transport.send(globalRequest(name, wantReply, body));
    return reply ? reply.promise : new Uint8Array(0);
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
      for (;;) {
        const p = await this.transport.receive();
        this.dispatch(p);
      }
    } catch (e) {
      const err = e instanceof SshError ? e : new ProtocolError(`internal error: ${(e as Error)?.message ?? e}`);
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
  }

  private channel(id: number, what: string): Channel {
    const ch = this.channels.get(id);
    if (!ch) throw new ProtocolError(`${what} for unknown channel ${id}`, 'CHANNEL_UNKNOWN');
    return ch;
  }

  private dispatch(p: Uint8Array): void {
    const type = p[0]!;
    switch (type) {
      case MSG.CHANNEL_DATA: {
        const r = new Reader(p, 1, 'CHANNEL_DATA');
        const ch = this.channel(r.u32('recipient channel'), 'CHANNEL_DATA');
        ch.onData(r.string('data'), null);
        return;
      }
      case MSG.CHANNEL_EXTENDED_DATA: {
        const r = new Reader(p, 1, 'CHANNEL_EXTENDED_DATA');
        const ch = this.channel(r.u32('recipient channel'), 'CHANNEL_EXTENDED_DATA');
        const code = r.u32('data type code');
        ch.onData(r.string('data'), code);
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
      case MSG.GLOBAL_REQUEST: {
        const g = decodeGlobalRequest(p);
        const handler = this.globalHandlers.get(g.name);
        const ok = handler ? handler(g.body) : false;
        if (g.wantReply) void this.transport.send(new Uint8Array([ok ? MSG.REQUEST_SUCCESS : MSG.REQUEST_FAILURE])).catch(() => {});
        return;
      }
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
    let ok = false;
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
      ok = ch.onRequest(req.type, req.wantReply, req.body);
    }
    if (req.wantReply && !ch.isClosed) {
      void this.transport.send(new Writer(8).u8(ok ? MSG.CHANNEL_SUCCESS : MSG.CHANNEL_FAILURE).u32(ch.remoteId).finish().slice()).catch(() => {});
    }
  }

  private onChannelOpen(p: Uint8Array): void {
    const open = decodeChannelOpen(p);
    const handler = this.openHandlers.get(open.type);
    if (!handler) {
      void this.transport.send(openFailure(open.sender, OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED, `channel type ${open.type} not accepted`)).catch(() => {});
      return;
    }
    const accept = (options?: Partial<ChannelOptions>): Channel => {
      const opts: ChannelOptions = { window: DEFAULT_WINDOW, maxPacket: DEFAULT_MAX_PACKET, ...options };
      const id = this.allocateId();
      const ch = new Channel(this.host, id, open.type, opts);
      ch.opened(open.sender, open.window, open.maxPacket);
      this.channels.set(id, ch);
      void this.transport
        .send(new Writer(32).u8(MSG.CHANNEL_OPEN_CONFIRMATION).u32(open.sender).u32(id).u32(opts.window).u32(opts.maxPacket).finish().slice())
        .catch(() => {});
      return ch;
    };
    void Promise.resolve(handler(open, accept)).catch(() => {});
  }
}
