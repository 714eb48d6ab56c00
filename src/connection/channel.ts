/**
 * One SSH channel (RFC 4254 §5): flow-controlled data in both directions, extended data,
 * EOF and close in either order, channel requests with FIFO replies.
 */
import { Deferred } from '../async.js';
import type { ByteStream } from '../transport/stream.js';
import { ProtocolError, SshError } from '../errors.js';
import { EXTENDED_DATA, MSG } from '../wire/constants.js';
import { freeBuffer } from '../wire/free.js';
import type { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';
import { abortable, throwIfAborted, type OperationOptions } from './abort.js';
import { channelData, channelRequest, channelSimple, windowAdjust } from './messages.js';

/** What a channel needs from the connection: send packets and forget the channel when closed. */
export interface ChannelHost {
  /** Send one payload. Once the promise settles the host holds no reference to `payload` (it may be reused). */
  send(payload: Uint8Array): Promise<void>;
  /**
   * Optional fast path of send, for the payload `payload` followed by `rest` (a message header
   * and its data, joined only in the packet the transport encodes): undefined when it went
   * out at once (the host holds no reference to either and has no backpressure to report),
   * else what send would return; until that settles the host may hold both.
   */
  sendNow?(payload: Uint8Array, rest?: Uint8Array): Promise<void> | undefined;
  release(localId: number): void;
  readonly closedError: SshError | null;
  /** default timeout (ms) for operations that wait for the peer's answer */
  readonly operationTimeout?: number | undefined;
}

/** Options of {@link Channel.write}. */
export interface WriteOptions extends OperationOptions {
  /** send as extended data of this type (1 = stderr, RFC 4254 §5.2) */
  extendedType?: number;
}

/** How the remote command ended (RFC 4254 §6.10): exit-status or exit-signal. */
export interface ExitStatus {
  /** exit status, or null if the command was killed by a signal or none was sent */
  code: number | null;
  /** signal name without "SIG" (e.g. "TERM"), or null */
  signal: string | null;
  coreDumped: boolean;
  /** error message sent with exit-signal */
  message: string;
}

/** libssh2's extended-data modes: keep stderr separate, drop it, or merge into stdout. */
export type ExtendedDataMode = 'normal' | 'ignore' | 'merge';

/** A FIFO of received chunks with one reader; null marks end of stream. */
class Inbox {
  private chunks: Uint8Array[] = [];
  private head = 0;
  private ended = false;
  private failure: SshError | null = null;
  private waiter: Deferred<void> | null = null;
  buffered = 0;

  push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.wake();
  }

  end(err?: SshError | null): void {
    this.ended = true;
    if (err) this.failure = err;
    this.wake();
  }

  /** Drop everything buffered (after we closed the channel). */
  discard(): void {
    this.chunks = [];
    this.head = 0;
    this.buffered = 0;
  }

  get isEnded(): boolean {
    return this.ended && this.head >= this.chunks.length;
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.resolve();
  }

  /** The next chunk if one is buffered now, else undefined. */
  poll(): Uint8Array | undefined {
    if (this.head >= this.chunks.length) return undefined;
    const c = this.chunks[this.head]!;
    this.chunks[this.head++] = EMPTY;
    if (this.head === this.chunks.length) {
      // Drained: start over in the same array rather than a new one.
      this.chunks.length = 0;
      this.head = 0;
    }
    this.buffered -= c.length;
    return c;
  }

  /** Next chunk, waiting if needed; null at end of stream. An aborted wait takes nothing. */
  async take(options?: OperationOptions): Promise<Uint8Array | null> {
    throwIfAborted(options?.signal, 'channel read');
    for (;;) {
      const c = this.poll();
      if (c) return c;
      if (this.failure) throw this.failure;
      if (this.ended) return null;
      this.waiter ??= new Deferred<void>();
      await abortable(this.waiter.promise, 'channel read', options);
    }
  }
}

const EMPTY = new Uint8Array(0);
/** What write() returns when everything went out at once. */
const WRITTEN: Promise<void> = Promise.resolve();
/** CHANNEL_DATA messages built in the reusable buffer: bulk writes only (remoteMaxPacket is capped at 1 MiB). */
const DATA_SCRATCH_MIN = 4096;
const DATA_SCRATCH_MAX = (1 << 20) + 13;

/** A channel's flow-control parameters (RFC 4254 §5.1) and what to do with extended data. */
export interface ChannelOptions {
  /** our receive window (bytes the peer may send before we re-open it) */
  window: number;
  /** largest data packet we accept */
  maxPacket: number;
  extendedData?: ExtendedDataMode;
}

/**
 * One SSH channel (RFC 4254 §5): a bidirectional byte stream with its own flow control,
 * opened by {@link SshClient} or {@link Connection.openChannel}.
 */
export class Channel {
  remoteId = -1;
  /** bytes the peer may still send us */
  private localWindow: number;
  /** bytes consumed by the reader but not yet re-granted */
  private consumed = 0;
  /** bytes we may still send */
  private remoteWindow = 0;
  private remoteMaxPacket = 0;
  private windowWaiter: Deferred<void> | null = null;
  private readonly stdout = new Inbox();
  private readonly stderr = new Inbox();
  /** received chunks that lie in a buffer nobody else holds (see release) */
  private readonly ownedChunks = new WeakSet<Uint8Array>();
  private readonly replies: Deferred<boolean>[] = [];
  private eofSent = false;
  private eofReceived = false;
  private closeSent = false;
  private closeReceived = false;
  private readonly closedDeferred = new Deferred<void>();
  private readonly exitDeferred = new Deferred<ExitStatus>();
  private exitStatus: ExitStatus = { code: null, signal: null, coreDumped: false, message: '' };
  private writing: Promise<void> = Promise.resolve();
  /** writes that could not complete at once and are queued in `writing` */
  private writesQueued = 0;
  /** the host's promise for the last data packet, when it did not go out at once: its header and data are in use until it settles */
  private hostBusy: Promise<void> | undefined = undefined;
  /** the CHANNEL_DATA header given to ChannelHost.sendNow, reused like dataScratch */
  private header: Uint8Array | null = null;
  private headerView: DataView | null = null;
  /** CHANNEL_DATA messages are built here and reused (hosts without sendNow): writeNow awaits each send before the next */
  private dataScratch: Uint8Array | null = null;
  private dataScratchView: DataView | null = null;
  extendedData: ExtendedDataMode;
  /**
   * @internal handler for channel requests from the peer other than exit-status/exit-signal;
   * it reads `body` before any await. Replies keep request order (RFC 4254 §5.4).
   */
  onRequest: ((type: string, wantReply: boolean, body: Reader) => boolean | Promise<boolean>) | null = null;
  /** @internal the reply still being decided for an earlier request of the peer, if any */
  replyChain: Promise<void> | null = null;

  /** @internal */
  constructor(
    private readonly host: ChannelHost,
    readonly localId: number,
    readonly type: string,
    readonly options: ChannelOptions,
  ) {
    this.localWindow = options.window;
    this.extendedData = options.extendedData ?? 'normal';
  }

  // ------------------------------------------------------------ public API

  /** Resolves when the channel has closed in both directions, with the exit status (if any). */
  get exit(): Promise<ExitStatus> {
    return this.exitDeferred.promise;
  }

  get closed(): Promise<void> {
    return this.closedDeferred.promise;
  }

  get isClosed(): boolean {
    return this.closeReceived || this.closeSent;
  }

  get eofFromPeer(): boolean {
    return this.eofReceived;
  }

  /** The exit status received so far (may be incomplete before `exit` resolves). */
  get status(): ExitStatus {
    return this.exitStatus;
  }

  /** Bytes the peer may send before we re-open our window. */
  get receiveWindow(): number {
    return this.localWindow;
  }

  /**
   * Grant the peer `bytes` more receive window now (RFC 4254 §5.2), beyond what reading
   * re-opens by itself; returns the new window. Used by callers that manage flow control
   * themselves (libssh2's receive_window_adjust). The window never exceeds 2^32 - 1.
   */
  async growReceiveWindow(bytes: number): Promise<number> {
    const n = Math.max(0, Math.min(Math.floor(bytes), 0xffffffff - this.localWindow));
    if (n > 0 && !this.closeSent && !this.closeReceived) {
      this.localWindow += n;
      await this.host.send(windowAdjust(this.remoteId, n));
    }
    return this.localWindow;
  }

  /** The most data one packet carries to the peer: its maximum packet less room for the header. */
  get maxDataPerPacket(): number {
    return this.remoteMaxPacket;
  }

  /** Bytes we may send now. */
  get sendWindow(): number {
    return this.remoteWindow;
  }

  /** Resolves at the peer's next WINDOW_ADJUST; rejects if the channel ends first. */
  nextWindowAdjust(): Promise<void> {
    this.windowWaiter ??= new Deferred<void>();
    return this.windowWaiter.promise;
  }

  /** Received bytes waiting to be read (stdout + stderr); never more than the window we granted. */
  get bufferedBytes(): number {
    return this.stdout.buffered + this.stderr.buffered;
  }

  /**
   * Next chunk of standard output (or merged output), or null at EOF. The window is
   * re-opened only as chunks are read, so an idle reader stops the sender (RFC 4254 §5.2).
   */
  read(options?: OperationOptions): Promise<Uint8Array | null> {
    return this.readFrom(this.stdout, options);
  }

  /** Next chunk of standard error (extended data type 1), or null at EOF. */
  readStderr(options?: OperationOptions): Promise<Uint8Array | null> {
    return this.readFrom(this.stderr, options);
  }

  /**
   * The reader is done with `chunk`, a value read() or readStderr() returned, and kept no
   * view of it. Where the chunk lies in a buffer of its own (the provider decrypted the packet
   * into a new buffer, as node:crypto does) that memory is freed now rather than at the next
   * garbage collection: a bulk reader that writes each chunk out and then releases it keeps
   * no dead packets in memory. The chunk reads as empty afterwards. Anything else is left to
   * the garbage collector.
   */
  release(chunk: Uint8Array): void {
    if (this.ownedChunks.delete(chunk)) freeBuffer(chunk);
  }

  private readFrom(inbox: Inbox, options: OperationOptions | undefined): Promise<Uint8Array | null> {
    // A chunk already buffered (the bulk case) is returned without an async function and the
    // promises of a wait: one resolved promise per read.
    if (!options?.signal?.aborted) {
      const c = inbox.poll();
      if (c) {
        this.consume(c.length);
        return Promise.resolve(c);
      }
    }
    return inbox.take(options).then((c) => {
      if (c) this.consume(c.length);
      return c;
    });
  }

  /**
   * Write all of `data`, waiting for window space as needed (RFC 4254 §5.2). Writes go out
   * in call order. An aborted write may have sent a prefix of `data`.
   */
  write(data: Uint8Array, options?: number | WriteOptions): Promise<void> {
    const opts: WriteOptions = typeof options === 'number' ? { extendedType: options } : (options ?? {});
    if (this.writesQueued > 0) return this.queueWrite(data, opts, 0, false);
    // Nothing queued before this write: send what the window allows now, without a promise
    // per packet. Only what the window or the connection holds back goes through the queue.
    let off: number;
    try {
      off = this.sendAvailable(data, 0, opts);
    } catch (e) {
      return Promise.reject(e);
    }
    if (off === data.length && !this.hostBusy) return WRITTEN;
    return this.queueWrite(data, opts, off, true);
  }

  /**
   * Writes still queued (waiting for window space or for the connection to take a packet);
   * a producer can pause its source while this is not 0 instead of awaiting every write.
   */
  get pendingWrites(): number {
    return this.writesQueued;
  }

  /** Queue the rest of a write, from `off`; `started` if it already sent a prefix (then nothing was queued before it). */
  private queueWrite(data: Uint8Array, opts: WriteOptions, off: number, started: boolean): Promise<void> {
    const previous = this.writing;
    this.writesQueued++;
    const p = (async () => {
      try {
        if (!started) await abortable(previous, 'channel write', opts);
        await this.writeNow(data, opts, off);
      } finally {
        this.writesQueued--;
      }
    })();
    // The next write waits for the previous ones and for this one, even if this one was aborted early.
    this.writing = previous.then(() => p).catch(() => {});
    return p;
  }

  /** Write `data` as extended data type 1 (stderr). */
  writeStderr(data: Uint8Array, options?: OperationOptions): Promise<void> {
    return this.write(data, { ...options, extendedType: EXTENDED_DATA.STDERR });
  }

  /**
   * This channel's data as a ByteStream (reads: standard output; close: the channel), so an
   * SSH connection can run inside it: SshClient.connect over a direct-tcpip channel is ssh's
   * ProxyJump.
   */
  byteStream(): ByteStream {
    return {
      read: () => this.read(),
      write: (data) => this.write(data),
      close: () => void this.close().catch(() => {}),
    };
  }

  /** Send EOF: no more data from us (RFC 4254 §5.3). */
  async eof(): Promise<void> {
    await this.writing;
    if (this.eofSent || this.closeSent) return;
    this.eofSent = true;
    await this.host.send(channelSimple(MSG.CHANNEL_EOF, this.remoteId));
  }

  /** Close the channel and wait for the peer's close. */
  async close(options?: OperationOptions): Promise<void> {
    await this.sendClose();
    if (this.host.closedError) return;
    await abortable(this.closedDeferred.promise, 'channel close', options, this.host.operationTimeout);
  }

  /**
   * Close our side and return without waiting for the peer's CHANNEL_CLOSE: for the paths
   * after a failure, where the peer may never answer. The channel number is freed when its
   * close arrives (RFC 4254 §5.3) or the connection ends.
   */
  closeNow(): void {
    void this.sendClose();
  }

  private async sendClose(): Promise<void> {
    if (this.closeSent || this.host.closedError) return;
    this.closeSent = true;
    // Nobody will read what is still buffered: release it.
    this.stdout.discard();
    this.stderr.discard();
    await this.host.send(channelSimple(MSG.CHANNEL_CLOSE, this.remoteId)).catch(() => {});
  }

  /**
   * Send a channel request; with wantReply, resolves to whether the peer accepted it.
   * Replies come back in request order (RFC 4254 §5.4); an aborted wait leaves its slot.
   */
  request(type: string, wantReply: boolean, body?: Uint8Array, options?: OperationOptions): Promise<boolean> {
    if (this.closeSent || this.closeReceived) return Promise.reject(new SshError('CHANNEL_CLOSED', `channel closed; cannot send ${type} request`));
    if (this.host.closedError) return Promise.reject(this.host.closedError);
    try {
      throwIfAborted(options?.signal, `${type} request`);
    } catch (e) {
      return Promise.reject(e);
    }
    let reply: Deferred<boolean> | null = null;
    if (wantReply) {
      reply = new Deferred<boolean>();
      this.replies.push(reply);
    }
    const sent = this.host.send(channelRequest(this.remoteId, type, wantReply, body));
    if (!reply) return sent.then(() => true);
    return abortable(
      sent.then(() => reply.promise),
      `${type} request`,
      options,
      this.host.operationTimeout,
    );
  }

  // ------------------------------------------------------------ internals

  private consume(n: number): void {
    this.consumed += n;
    // Re-open the window once half of it has been read (like OpenSSH), so a reader
    // that keeps up never stalls the sender and one that doesn't bounds our memory.
    if (this.consumed >= this.options.window / 2 && !this.closeSent && !this.closeReceived && !this.eofReceived) {
      const n2 = this.consumed;
      this.consumed = 0;
      this.localWindow += n2;
      void this.host.send(windowAdjust(this.remoteId, n2)).catch(() => {});
    }
  }

  /** The queued part of a write: sends from `off`, waiting for the connection and for window space as needed. */
  private async writeNow(data: Uint8Array, opts: WriteOptions, off: number): Promise<void> {
    for (;;) {
      const busy = this.hostBusy;
      if (busy) {
        this.hostBusy = undefined;
        await busy;
      }
      off = this.sendAvailable(data, off, opts);
      if (this.hostBusy) continue;
      if (off === data.length) return;
      this.windowWaiter ??= new Deferred<void>();
      await abortable(this.windowWaiter.promise, 'channel write', opts);
    }
  }

  /**
   * Send data from `off` as CHANNEL_DATA packets while the window allows and the host takes
   * each packet at once; returns the offset reached. A packet the host did not take at once
   * leaves its promise in `hostBusy` (its header buffer, or the scratch, and the caller's data
   * are in use until it settles) and ends the run. Throws if the channel cannot be written.
   */
  private sendAvailable(data: Uint8Array, off: number, opts: WriteOptions): number {
    while (off < data.length) {
      if (this.host.closedError) throw this.host.closedError;
      if (this.eofSent || this.closeSent || this.closeReceived) {
        throw new SshError(this.eofSent ? 'CHANNEL_EOF_SENT' : 'CHANNEL_CLOSED', 'channel is closed for writing');
      }
      throwIfAborted(opts.signal, 'channel write');
      if (this.remoteWindow === 0) return off;
      const n = Math.min(data.length - off, this.remoteWindow, this.remoteMaxPacket);
      this.remoteWindow -= n;
      const chunk = data.subarray(off, off + n);
      off += n;
      // The transport joins header and data in the packet it encodes: no copy of the data here.
      const pending = this.host.sendNow
        ? this.host.sendNow(this.dataHeader(n, opts.extendedType), chunk)
        : this.host.send(this.dataMessage(chunk, opts.extendedType));
      if (pending) {
        this.hostBusy = pending;
        return off;
      }
    }
    return off;
  }

  /**
   * The header of a CHANNEL_DATA / CHANNEL_EXTENDED_DATA message (RFC 4254 §5.2) carrying
   * `length` bytes, in a buffer this channel reuses: the data follows it as a second piece
   * (ChannelHost.sendNow), and sendAvailable builds no header while the host holds the last.
   */
  private dataHeader(length: number, extendedType?: number): Uint8Array {
    const h = (this.header ??= new Uint8Array(13));
    const v = (this.headerView ??= new DataView(h.buffer));
    h[0] = extendedType === undefined ? MSG.CHANNEL_DATA : MSG.CHANNEL_EXTENDED_DATA;
    v.setUint32(1, this.remoteId);
    if (extendedType === undefined) {
      v.setUint32(5, length);
      return h.subarray(0, 9);
    }
    v.setUint32(5, extendedType);
    v.setUint32(9, length);
    return h;
  }

  /**
   * CHANNEL_DATA / CHANNEL_EXTENDED_DATA (RFC 4254 §5.2) carrying `data`, built in a buffer
   * this channel reuses: the host is done with a payload once its send() settles, and
   * writeNow waits for that before building the next one. Saves an allocation per packet.
   */
  private dataMessage(data: Uint8Array, extendedType?: number): Uint8Array {
    const head = extendedType === undefined ? 9 : 13;
    const size = head + data.length;
    // Small writes (interactive sessions, many channels) allocate as they go instead.
    if (data.length < DATA_SCRATCH_MIN || size > DATA_SCRATCH_MAX) return channelData(this.remoteId, data, extendedType);
    let buf = this.dataScratch;
    if (!buf || buf.length < size) {
      buf = new Uint8Array(Math.min(DATA_SCRATCH_MAX, Math.max(size, this.remoteMaxPacket + 13)));
      this.dataScratch = buf;
      this.dataScratchView = new DataView(buf.buffer, buf.byteOffset, 16);
    }
    const v = this.dataScratchView!;
    buf[0] = extendedType === undefined ? MSG.CHANNEL_DATA : MSG.CHANNEL_EXTENDED_DATA;
    v.setUint32(1, this.remoteId);
    if (extendedType !== undefined) v.setUint32(5, extendedType);
    v.setUint32(head - 4, data.length);
    buf.set(data, head);
    return buf.subarray(0, size);
  }

  /** The peer confirmed our open. */
  opened(remoteId: number, window: number, maxPacket: number): void {
    this.remoteId = remoteId;
    this.remoteWindow = window;
    // Leave room for the message header inside the peer's maximum packet.
    this.remoteMaxPacket = Math.max(1, Math.min(maxPacket, 1 << 20) - 64);
  }

  /**
   * @internal CHANNEL_DATA / CHANNEL_EXTENDED_DATA from the connection layer; `owned`: nobody
   * else holds data's buffer.
   */
  onData(data: Uint8Array, extendedType: number | null, owned = false): void {
    if (this.eofReceived || this.closeReceived) throw new ProtocolError(`data on channel ${this.localId} after EOF or close`, 'CHANNEL_CLOSED');
    if (data.length > this.localWindow) {
      throw new ProtocolError(
        `peer sent ${data.length} bytes on channel ${this.localId} with only ${this.localWindow} bytes of window`,
        'CHANNEL_WINDOW_EXCEEDED',
      );
    }
    if (data.length > this.options.maxPacket) {
      throw new ProtocolError(
        `peer sent a ${data.length}-byte packet on channel ${this.localId}, more than our maximum ${this.options.maxPacket}`,
        'CHANNEL_PACKET_EXCEEDED',
      );
    }
    this.localWindow -= data.length;
    // After our CLOSE nobody reads: data still in flight from the peer is dropped.
    if (this.closeSent) return;
    if (owned && data.length > 0) this.ownedChunks.add(data);
    if (extendedType === null) {
      this.stdout.push(data);
    } else if (extendedType === EXTENDED_DATA.STDERR && this.extendedData === 'normal') {
      this.stderr.push(data);
    } else if (this.extendedData === 'merge') {
      this.stdout.push(data);
    } else {
      this.consume(data.length);
    }
  }

  /** @internal CHANNEL_WINDOW_ADJUST from the connection layer. */
  onWindowAdjust(bytes: number): void {
    const next = this.remoteWindow + bytes;
    // RFC 4254 §5.2: the window may not exceed 2^32 - 1.
    if (next > 0xffffffff) throw new ProtocolError(`window adjust on channel ${this.localId} overflows 2^32`);
    this.remoteWindow = next;
    const w = this.windowWaiter;
    this.windowWaiter = null;
    w?.resolve();
  }

  /** @internal CHANNEL_EOF from the connection layer. */
  onEof(): void {
    this.eofReceived = true;
    this.stdout.end();
    this.stderr.end();
  }

  /** @internal CHANNEL_CLOSE from the connection layer. */
  onClose(): void {
    if (this.closeReceived) throw new ProtocolError(`second CLOSE on channel ${this.localId}`);
    this.closeReceived = true;
    this.stdout.end();
    this.stderr.end();
    if (!this.closeSent) {
      this.closeSent = true;
      void this.host.send(channelSimple(MSG.CHANNEL_CLOSE, this.remoteId)).catch(() => {});
    }
    // Made only when something waits on it: most channels close with nothing pending.
    this.finish(() => new SshError('CHANNEL_CLOSED', 'channel closed by peer'));
  }

  /** @internal CHANNEL_SUCCESS / CHANNEL_FAILURE from the connection layer. */
  onRequestReply(success: boolean): void {
    const r = this.replies.shift();
    if (!r) throw new ProtocolError(`unexpected CHANNEL_${success ? 'SUCCESS' : 'FAILURE'} on channel ${this.localId}`);
    r.resolve(success);
  }

  /** @internal the exit-status request (RFC 4254 §6.10). */
  onExitStatus(code: number): void {
    this.exitStatus = { ...this.exitStatus, code };
  }

  /** @internal the exit-signal request (RFC 4254 §6.10). */
  onExitSignal(signal: string, coreDumped: boolean, message: string): void {
    this.exitStatus = { ...this.exitStatus, signal, coreDumped, message };
  }

  /** The connection died: everything pending fails with `err`. */
  onConnectionLost(err: SshError): void {
    this.stdout.end(err);
    this.stderr.end(err);
    this.finish(() => err, true);
  }

  private finish(error: () => SshError, lost = false): void {
    this.dataScratch = null;
    this.dataScratchView = null;
    const waiting = this.replies.splice(0);
    const w = this.windowWaiter;
    this.windowWaiter = null;
    if (waiting.length > 0 || w || lost) {
      const err = error();
      for (const r of waiting) r.reject(err);
      w?.reject(err);
      // A connection that died before the channel closed has no trustworthy exit status.
      if (lost) this.exitDeferred.reject(err);
    }
    this.host.release(this.localId);
    this.closedDeferred.resolve();
    if (!lost) this.exitDeferred.resolve(this.exitStatus);
  }

  /** Encode the body of an exec/subsystem request. */
  static stringBody(s: string): Uint8Array {
    return new Writer(s.length + 8).string(s).finish().slice();
  }
}
