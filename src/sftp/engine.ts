/**
 * The SFTP request engine: frames packets over a byte stream (a session channel running
 * the "sftp" subsystem, or any pipe), matches responses to requests by id so that many
 * requests can be in flight (filexfer-02 §3: "there is no limit on the number of
 * outstanding requests"), and fails every pending request once the stream dies.
 */
import { Deferred } from '../async.js';
import { ProtocolError, SshError } from '../errors.js';
import type { Writer } from '../wire/writer.js';
import { FXP, FXP_NAME_BY_VALUE, FX } from './constants.js';
import { SftpConnectionLostError, sftpError } from './errors.js';
import { buildPacket, decodeDataParts, decodeResponse, decodeVersion, initPacket, type SftpResponse, type SftpVersion } from './packets.js';
import { concatBytes } from '../wire/writer.js';
import type { SftpPath } from './names.js';

/** What SFTP needs from its byte stream; a Channel fits. */
export interface SftpStream {
  /** The next bytes, or null at end of stream. */
  read(): Promise<Uint8Array | null>;
  /** Send bytes. */
  write(data: Uint8Array): Promise<void>;
  /** Close the stream. */
  close(): Promise<void> | void;
  /** Close our side without waiting for the peer (a Channel's closeNow); close() is used when absent, unawaited. */
  closeNow?(): void;
  /** Optional: the reader is done with a chunk read() returned and kept no view of it (Channel.release). */
  release?(chunk: Uint8Array): void;
}

/**
 * A chunk read from the stream, while DATA replies in it are out: how many of their pieces
 * (and of a packet that continues into the next chunk) still view it, whether another reply
 * may keep a view of it, and whether take() has cut all of it yet. See SftpEngine.release.
 */
interface ChunkUse {
  readonly chunk: Uint8Array;
  views: number;
  kept: boolean;
  cut: boolean;
}

/** Context for error messages: the request's name and the path(s) it is about. */
export interface RequestContext {
  request: string;
  path?: SftpPath;
}

/** Largest packet we accept from a server (OpenSSH sends at most 256 KiB + header). */
export const DEFAULT_MAX_INCOMING = 16 * 1024 * 1024;

export class SftpEngine {
  private nextId = 1;
  private readonly pending = new Map<number, Deferred<SftpResponse>>();
  private failure: SshError | null = null;
  private version: Deferred<Uint8Array> | null = new Deferred<Uint8Array>();
  private readonly ended = new Deferred<void>();
  /** length-prefix bytes of a packet split across chunks */
  private readonly lenBuf = new Uint8Array(4);
  private lenFill = 0;
  /** pieces of a packet that spans chunks, the bytes it still needs, and its length */
  private parts: Uint8Array[] = [];
  /** the chunk each of `parts` lies in (when the stream can release chunks) */
  private partUses: ChunkUse[] = [];
  /** pieces of DATA replies handed out, and the chunk each lies in (see release) */
  private readonly pieceUse = new WeakMap<Uint8Array, ChunkUse>();
  private need = 0;
  private total = 0;

  constructor(
    private readonly stream: SftpStream,
    private readonly maxIncoming = DEFAULT_MAX_INCOMING,
  ) {}

  /** Send INIT, wait for VERSION (filexfer-02 §4), then start dispatching responses. */
  async init(version: number, extensions: ReadonlyArray<[string, Uint8Array | string]> = []): Promise<SftpVersion> {
    void this.loop();
    await this.stream.write(initPacket(version, extensions));
    const p = await this.version!.promise;
    return decodeVersion(p);
  }

  /** Resolves when the stream has ended (cleanly or not). */
  get closed(): Promise<void> {
    return this.ended.promise;
  }

  get error(): SshError | null {
    return this.failure;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Send a request: `body` writes the fields after the id. Resolves with the matching response. */
  send(type: number, sizeHint: number, body: (w: Writer) => void, ctx: RequestContext): Promise<SftpResponse> {
    if (this.failure) return Promise.reject(this.lost(ctx));
    const id = this.allocateId();
    const packet = buildPacket(type, sizeHint, (w) => {
      w.u32(id);
      body(w);
    });
    const d = new Deferred<SftpResponse>();
    this.pending.set(id, d);
    this.stream
      .write(packet)
      .catch((e: unknown) =>
        this.fail(
          e instanceof SshError ? e : new SftpConnectionLostError(FX.CONNECTION_LOST, `write failed: ${(e as Error | undefined)?.message ?? String(e)}`),
        ),
      );
    return d.promise.catch((e: unknown) => {
      throw e === this.failure ? this.lost(ctx) : e;
    });
  }

  /**
   * Send a request the caller framed itself: `packet` is the whole SFTP packet (length,
   * type, a 4-byte id placeholder, body; filexfer-02 §3), so bulk data can be read straight
   * into it. The engine writes the id. `written` settles once the stream is done with
   * `packet` (it may then be reused); `reply` is the matching response.
   */
  sendFramed(packet: Uint8Array, ctx: RequestContext): { written: Promise<void>; reply: Promise<SftpResponse> } {
    if (this.failure) {
      const e = this.lost(ctx);
      return { written: Promise.resolve(), reply: Promise.reject(e) };
    }
    const id = this.allocateId();
    new DataView(packet.buffer, packet.byteOffset, 9).setUint32(5, id);
    const d = new Deferred<SftpResponse>();
    this.pending.set(id, d);
    const written = this.stream.write(packet).catch((e: unknown) => {
      this.fail(e instanceof SshError ? e : new SftpConnectionLostError(FX.CONNECTION_LOST, `write failed: ${(e as Error | undefined)?.message ?? String(e)}`));
    });
    const reply = d.promise.catch((e: unknown) => {
      throw e === this.failure ? this.lost(ctx) : e;
    });
    return { written, reply };
  }

  /** A request whose answer is a STATUS; OK resolves, anything else throws the typed error. */
  async status(type: number, sizeHint: number, body: (w: Writer) => void, ctx: RequestContext): Promise<void> {
    const r = await this.send(type, sizeHint, body, ctx);
    expectOk(r, ctx);
  }

  /**
   * Close the stream; pending requests fail with CONNECTION_LOST. After a failure (the
   * server sent garbage, or the stream ended) the peer is not waited for.
   */
  async close(): Promise<void> {
    if (this.failure) {
      this.closeStreamNow();
      return;
    }
    this.fail(new SftpConnectionLostError(FX.CONNECTION_LOST, 'SFTP session closed'));
    await this.stream.close();
  }

  /**
   * Close after a failure: pending requests fail and our side of the stream closes, without
   * waiting for the peer (a server that sent garbage may never close its side).
   */
  abandon(): void {
    this.fail(new SftpConnectionLostError(FX.CONNECTION_LOST, 'SFTP session closed'));
    this.closeStreamNow();
  }

  private closeStreamNow(): void {
    if (this.stream.closeNow) this.stream.closeNow();
    else void Promise.resolve(this.stream.close()).catch(() => {});
  }

  private lost(ctx: RequestContext): SshError {
    const f = this.failure!;
    if (f instanceof SftpConnectionLostError || !(f instanceof ProtocolError)) {
      return new SftpConnectionLostError(FX.CONNECTION_LOST, f.message, ctx.path, ctx.request, { cause: f });
    }
    return f;
  }

  private allocateId(): number {
    for (;;) {
      const id = this.nextId;
      this.nextId = (this.nextId + 1) >>> 0;
      if (!this.pending.has(id)) return id;
    }
  }

  /**
   * The caller is done with `piece`, a piece of a DATA reply (SftpResponse.chunks), and kept
   * no view of it. Once every piece cut from a chunk of the stream is released, and nothing
   * else was cut from it, the chunk goes back to the stream (SftpStream.release), which may
   * free its memory at once: a download that writes each piece out and then releases it
   * keeps no dead packets in memory. Any other value is ignored.
   */
  release(piece: Uint8Array): void {
    const use = this.pieceUse.get(piece);
    if (!use) return;
    this.pieceUse.delete(piece);
    use.views--;
    this.settle(use);
  }

  private settle(use: ChunkUse): void {
    if (use.cut && use.views === 0 && !use.kept) this.stream.release!(use.chunk);
  }

  /** Count `piece`, a view of `use`'s chunk, as handed out until release(). */
  private handOut(piece: Uint8Array, use: ChunkUse): void {
    if (piece.length === 0) return;
    this.pieceUse.set(piece, use);
    use.views++;
  }

  private fail(err: SshError): void {
    if (this.failure) return;
    this.failure = err;
    this.version?.reject(err);
    this.version = null;
    for (const d of this.pending.values()) d.reject(err);
    this.pending.clear();
    this.ended.resolve();
  }

  private async loop(): Promise<void> {
    try {
      for (;;) {
        const chunk = await this.stream.read();
        if (chunk === null) break;
        this.take(chunk);
        if (this.failure) return;
      }
      this.fail(new SftpConnectionLostError(FX.CONNECTION_LOST, 'the SFTP server closed the channel'));
    } catch (e) {
      this.fail(e instanceof SshError ? e : new ProtocolError(`SFTP: ${(e as Error | undefined)?.message ?? String(e)}`, 'SFTP_PROTOCOL'));
    }
    if (this.failure && !(this.failure instanceof SftpConnectionLostError)) {
      // A peer that sent garbage gets no more requests.
      this.closeStreamNow();
    }
  }

  /**
   * Cut a chunk of the stream into packets without copying: a packet within one chunk is a
   * view of it; one that spans chunks is kept as the list of its pieces (views too), so a
   * large DATA reply reaches the file as the very buffers the transport decrypted.
   */
  private take(chunk: Uint8Array): void {
    const use: ChunkUse | null = this.stream.release ? { chunk, views: 0, kept: false, cut: false } : null;
    this.cut(chunk, use);
    if (use) {
      use.cut = true;
      this.settle(use);
    }
  }

  private cut(chunk: Uint8Array, use: ChunkUse | null): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.need === 0) {
        if (this.lenFill === 0 && chunk.length - off >= 4) {
          const len = new DataView(chunk.buffer, chunk.byteOffset + off, 4).getUint32(0);
          this.checkLength(len);
          off += 4;
          if (chunk.length - off >= len) {
            this.dispatch(chunk.subarray(off, off + len), use);
            off += len;
            continue;
          }
          this.need = len;
          this.total = len;
          continue;
        }
        while (this.lenFill < 4 && off < chunk.length) this.lenBuf[this.lenFill++] = chunk[off++]!;
        if (this.lenFill < 4) return;
        const len = new DataView(this.lenBuf.buffer).getUint32(0);
        this.lenFill = 0;
        this.checkLength(len);
        this.need = len;
        this.total = len;
        continue;
      }
      const n = Math.min(this.need, chunk.length - off);
      this.parts.push(chunk.subarray(off, off + n));
      if (use) {
        // The part views the chunk until its packet is dispatched.
        this.partUses.push(use);
        use.views++;
      }
      this.need -= n;
      off += n;
      if (this.need === 0) {
        const parts = this.parts;
        const uses = this.partUses;
        this.parts = [];
        this.partUses = [];
        this.dispatchParts(parts, this.total, uses);
        for (const u of uses) {
          u.views--;
          this.settle(u);
        }
      }
    }
  }

  /** A packet in pieces: DATA keeps them (only its 9-byte header is read); others are joined. */
  private dispatchParts(parts: Uint8Array[], total: number, uses: ChunkUse[]): void {
    if (parts.length === 1) return this.dispatch(parts[0]!, uses[0] ?? null);
    if (this.version || parts[0]![0] !== FXP.DATA) {
      // Joined into a copy, so no view of these chunks outlives this call; they are kept all
      // the same: only chunks of DATA replies are ever given back.
      for (const u of uses) u.kept = true;
      return this.dispatch(concatBytes(...parts), null);
    }
    const r = decodeDataParts(parts, total);
    // Each piece is a part, or the tail of the part the 9-byte head ended in: it lies in that part's chunk.
    if (uses.length > 0) {
      // Pieces follow the parts in order: one walk over both.
      let j = 0;
      for (const piece of r.chunks) {
        while (j < parts.length && !(parts[j]!.buffer === piece.buffer && within(piece, parts[j]!))) j++;
        if (j < parts.length) this.handOut(piece, uses[j]!);
      }
    }
    this.resolve(r);
  }

  private checkLength(len: number): void {
    if (len === 0) throw new ProtocolError('SFTP packet of length 0', 'SFTP_PROTOCOL');
    if (len > this.maxIncoming) throw new ProtocolError(`SFTP packet of ${len} bytes exceeds our limit of ${this.maxIncoming}`, 'SFTP_PROTOCOL');
  }

  /** One whole packet; `use`: the chunk it is a view of, if chunks are released. */
  private dispatch(p: Uint8Array, use: ChunkUse | null): void {
    if (this.version) {
      if (use) use.kept = true;
      const v = this.version;
      this.version = null;
      v.resolve(p);
      return;
    }
    const r = decodeResponse(p);
    if (use) {
      // Only a DATA reply's pieces are tracked; any other reply may keep views (a HANDLE does).
      if (r.type === FXP.DATA) for (const piece of r.chunks) this.handOut(piece, use);
      else use.kept = true;
    }
    this.resolve(r);
  }

  private resolve(r: SftpResponse): void {
    const d = this.pending.get(r.id);
    if (!d) throw new ProtocolError(`SFTP response ${FXP_NAME_BY_VALUE[r.type] ?? r.type} for unknown request id ${r.id}`, 'SFTP_PROTOCOL');
    this.pending.delete(r.id);
    d.resolve(r);
  }
}

/** Throw the typed error unless `r` is STATUS OK. */
export function expectOk(r: SftpResponse, ctx: RequestContext): void {
  if (r.type === FXP.STATUS) {
    if (r.code === FX.OK) return;
    throw sftpError(r.code, r.message, ctx.path, ctx.request);
  }
  throw unexpected(r, 'STATUS', ctx);
}

/** A non-OK STATUS becomes its typed error; any other type than `want` is a protocol error. */
export function expectType<T extends SftpResponse['type']>(r: SftpResponse, want: T, ctx: RequestContext): Extract<SftpResponse, { type: T }> {
  if (r.type === want) return r as Extract<SftpResponse, { type: T }>;
  if (r.type === FXP.STATUS) throw sftpError(r.code, r.message, ctx.path, ctx.request);
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the lookup can miss (typescript-eslint overlooks it for a generic key)
  throw unexpected(r, FXP_NAME_BY_VALUE[want] ?? String(want), ctx);
}

function unexpected(r: SftpResponse, want: string, ctx: RequestContext): ProtocolError {
  return new ProtocolError(`SFTP ${ctx.request}: expected ${want}, got ${FXP_NAME_BY_VALUE[r.type] ?? r.type}`, 'SFTP_PROTOCOL');
}

/** Whether `piece` lies within `part` (both views of one buffer). */
function within(piece: Uint8Array, part: Uint8Array): boolean {
  return piece.byteOffset >= part.byteOffset && piece.byteOffset + piece.byteLength <= part.byteOffset + part.byteLength;
}
