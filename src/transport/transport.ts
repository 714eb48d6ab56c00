/**
 * The SSH transport (RFC 4253) for both roles: owns the byte stream, the read loop, key
 * exchange and rekeying, compression, and the transport-generic messages. Layers above see
 * only `send(payload)` / `receive()`: rekeys are invisible to them.
 *
 * The role decides three things only: who signs and who verifies the exchange hash, which
 * direction's keys encrypt what we send, and which pseudo-algorithms the first KEXINIT
 * carries. Everything else (the state machine below, rekeying, strict KEX) is shared.
 *
 * State: `phase` says where the connection is; during a key exchange `kex.state` says how
 * far that exchange has come. `sendGate()` is the one place that decides whether an upper
 * layer's packet may go out now or must wait for the exchange to finish. What one exchange
 * computes (our KEXINIT, the method, the keys) is in key-exchange.ts; when it runs is here.
 */
import { AsyncQueue, Deferred } from '../async.js';
import { ConnectionLostError, DISCONNECT_REASON, DisconnectError, HostKeyError, MacError, ProtocolError, SshError } from '../errors.js';
import type { KexConn, KexMagics } from '../kex/types.js';
import { MSG, msgName } from '../wire/constants.js';
import { Reader } from '../wire/reader.js';
import { concatBytes, Writer } from '../wire/writer.js';
import { PacketDecoder, PacketEncoder } from './codec.js';
import { createCompressor, createDecompressor } from './compression.js';
import { buildKexInit, deriveDirections, negotiateWithPeer, ourKexInitLists, runKexMethod } from './key-exchange.js';
import { decodeKexInit, EXT_INFO_C, guessIsWrong, KEX_STRICT_C, KEX_STRICT_S } from './negotiate.js';
import type { KexInit, NegotiatedAlgorithms } from './negotiate.js';
import type { ByteStream } from './stream.js';
import type { ClientRole, ServerRole, TransportConfig } from './transport-config.js';
import { BEFORE_IDENTIFICATION, CLIENT_VERSION, INVALID_IDENTIFICATION, printable, VersionParser } from './version.js';
import { latin1 } from '../wire/bytes.js';
import { globalRequestWantsReply, isKexMessage, isUpperLayerMessage } from './message-kinds.js';

export type { ClientRole, ServerHostKey, ServerRole, TransportConfig, TransportEvents } from './transport-config.js';

/** Where the connection is. */
export type TransportPhase = 'identification' | 'first-kex' | 'open' | 'closed';

/**
 * How far one key exchange has come (RFC 4253 §7): both KEXINITs known (`exchanging`),
 * our NEWKEYS sent and outgoing packets under the new keys (`newkeys-sent`).
 * `kexinit-sent` is a rekey we started whose answer has not come yet.
 */
type KexState = 'kexinit-sent' | 'exchanging' | 'newkeys-sent';

/** 1 GiB per direction, 2^31 packets, 1 hour (RFC 4344 §3.1). */
const DEFAULT_REKEY_BYTES = 1 << 30;
const DEFAULT_REKEY_SECONDS = 3600;
const REKEY_PACKETS = 2 ** 31;
/** RFC 4253 §6.1: we only need to accept 35000-byte packets, OpenSSH sends up to 256 KiB. */
const MAX_PACKET = 256 * 1024 + 64;
/**
 * Upper-layer packets held while a key exchange runs. Callers that await send() hold at
 * most one each; this bounds those that do not (their sends reject past it).
 */
const MAX_PENDING_BYTES = 16 * 1024 * 1024;

interface KexRun {
  state: KexState;
  ours?: Uint8Array;
  theirs?: Uint8Array;
  theirsParsed?: KexInit;
  theirKexInit: Deferred<void>;
  /** the keys for the incoming direction, ready once we have sent NEWKEYS */
  incomingKeys: Deferred<() => void>;
  receivedNewKeys: Deferred<void>;
  done: Deferred<void>;
  queue: AsyncQueue<Uint8Array>;
  ignoreNextKexPacket: boolean;
}

type Compressor = ReturnType<typeof createCompressor>;
type Decompressor = ReturnType<typeof createDecompressor>;

export class Transport {
  /** the client's identification (ours in the client role, the peer's in the server role) */
  clientVersion = '';
  /** the server's identification */
  serverVersion = '';
  /** lines the server sent before its identification (client role) */
  serverPreamble: string[] = [];
  sessionId: Uint8Array | null = null;
  negotiated: NegotiatedAlgorithms | null = null;
  /** RFC 8308 server-sig-algs, if the server sent EXT_INFO (client role) */
  serverSigAlgs: string[] | null = null;
  /** other RFC 8308 extensions the server announced (client role) */
  readonly extensions = new Map<string, Uint8Array>();
  /** the server's host key blob: the one it proved (client role), the one we signed with (server role) */
  hostKeyBlob: Uint8Array | null = null;
  /** how many key exchanges have completed */
  kexCount = 0;
  strictKex = false;
  /** where the connection is; see TransportPhase */
  phase: TransportPhase = 'identification';
  /** packets sent since the start, for policies that watch whether something went out */
  packetsSent = 0;

  private readonly role: ClientRole | ServerRole;
  private readonly encoder: PacketEncoder;
  private readonly decoder: PacketDecoder;
  private readonly upper = new AsyncQueue<Uint8Array>();
  /** takes upper-layer packets as they are decoded, instead of `upper` (deliverTo) */
  private receiver: ((payload: Uint8Array, owned: boolean) => void) | null = null;
  private kex: KexRun | null = null;
  private pendingOut: { payload: Uint8Array; rest: Uint8Array | undefined; done: Deferred<void> }[] = [];
  private pendingBytes = 0;
  private error: SshError | null = null;
  private readonly closedDeferred = new Deferred<SshError | null>();
  private readonly peerVersionReady = new Deferred<void>();
  private packetsReceived = 0;
  private sawKexInit = false;
  /** the client's first KEXINIT asked for EXT_INFO (server role) */
  private peerWantsExtInfo = false;
  /** our first KEXINIT, held until the client's first packet arrives (server role; see start()) */
  private heldKexInit: Uint8Array | null = null;
  private heldKexInitTimer: ReturnType<typeof setTimeout> | null = null;
  /** our EXT_INFO waits for the client's first NEWKEYS; upper-layer packets wait behind it (server role) */
  private extInfoDue = false;
  private bytesOut = 0;
  private bytesIn = 0;
  private packetsOut = 0;
  private packetsIn = 0;
  private lastKexAt: number;
  private compressor: Compressor | null = null;
  private decompressor: Decompressor | null = null;
  private delayedCompressionOut = false;
  private delayedCompressionIn = false;
  private authenticated = false;
  /**
   * zlib@openssh.com (OpenSSH PROTOCOL, "zlib@openssh.com"): compression starts after USERAUTH_SUCCESS. The
   * packet after it can come in the same read, so a client's reading switches at once, as
   * OpenSSH's packet.c does on reading it; sending switches when the userauth layer reports success.
   */
  private userauthSuccessRead = false;
  private rekeyBytes: number;
  private rekeySeconds: number;
  private readonly clock: () => number;
  private readonly debug: ((line: string) => void) | undefined;

  constructor(
    private readonly stream: ByteStream,
    private readonly config: TransportConfig,
  ) {
    this.role = config.role;
    const ours = config.version ?? CLIENT_VERSION;
    if (this.isServer) this.serverVersion = ours;
    else this.clientVersion = ours;
    this.encoder = new PacketEncoder(config.random, { provider: config.provider });
    // The transport owns every chunk it reads, so packets are decrypted where they landed.
    this.decoder = new PacketDecoder({
      maxPacketLength: MAX_PACKET,
      provider: config.provider,
      inPlace: true,
      release: stream.release ? (c) => stream.release!(c) : undefined,
    });
    this.rekeyBytes = config.rekeyBytes ?? DEFAULT_REKEY_BYTES;
    this.rekeySeconds = config.rekeySeconds ?? DEFAULT_REKEY_SECONDS;
    this.clock = config.clock ?? Date.now;
    this.lastKexAt = this.clock();
    this.debug = config.debug;
  }

  private get isServer(): boolean {
    return this.role.kind === 'server';
  }

  /** the identification we sent */
  get localVersion(): string {
    return this.isServer ? this.serverVersion : this.clientVersion;
  }

  /** the peer's identification ('' until it arrived) */
  get peerVersion(): string {
    return this.isServer ? this.clientVersion : this.serverVersion;
  }

  /** Resolves with the error that ended the connection, or null on a clean close. */
  get closed(): Promise<SshError | null> {
    return this.closedDeferred.promise;
  }

  get isClosed(): boolean {
    return this.closedDeferred.settled;
  }

  /**
   * Exchange versions and run the first key exchange. A client's version line and KEXINIT go
   * out together, without waiting for the server's (RFC 4253 §7.1 allows it). A server sends
   * its version line at once but holds its KEXINIT until the client's first packet (its
   * KEXINIT) has arrived, so that our KEXINIT's segment acknowledges it: a client with Nagle's
   * algorithm on (OpenSSH's ssh outside interactive sessions) holds the packet after its
   * KEXINIT, the kex method's first, until then, and a lone ACK from our side would come only
   * when the kernel's delayed-ACK timer fires (~40 ms on Linux). A client that waits for the
   * server's KEXINIT before sending its own gets ours KEXINIT_HOLD_MS after its version line:
   * nothing waits forever, and a client that sends version and KEXINIT together waits not at all.
   */
  async start(): Promise<void> {
    if (this.phase !== 'identification') throw new SshError('BAD_USE', 'transport already started');
    const run = this.beginKex('kexinit-sent');
    const ident = new TextEncoder().encode(this.localVersion + '\r\n');
    const kexinit = buildKexInit(this.config, true);
    run.ours = kexinit;
    if (this.isServer) {
      this.heldKexInit = kexinit;
      await this.writeRaw(ident);
    } else {
      const packet = this.encodeFirstKexInit(kexinit);
      const first = new Uint8Array(ident.length + packet.length);
      first.set(ident);
      first.set(packet, ident.length);
      await this.writeRaw(first);
    }
    void this.readLoop();
    void this.runKex(run);
    await run.done.promise;
  }

  /** Our first KEXINIT as a packet, counted as sent (written raw: with our version line, or after it). */
  private encodeFirstKexInit(kexinit: Uint8Array): Uint8Array {
    const packet = this.encoder.encode(kexinit);
    this.trace('>', kexinit, this.encoder.sequence - 1);
    this.bytesOut += packet.length;
    this.packetsSent++;
    return packet;
  }

  /** Send the server's held first KEXINIT, if it is still held (see start()). */
  private releaseKexInit(): void {
    if (this.heldKexInitTimer !== null) clearTimeout(this.heldKexInitTimer);
    this.heldKexInitTimer = null;
    const kexinit = this.heldKexInit;
    if (kexinit === null || this.error) return;
    this.heldKexInit = null;
    void this.writeRaw(this.encodeFirstKexInit(kexinit)).catch(() => {});
  }

  /**
   * Send a packet from an upper layer. While a key exchange runs it waits in a queue
   * (bounded: past MAX_PENDING_BYTES a send rejects). Upper layers may not send transport
   * messages that drive the key exchange (RFC 4253 §7: KEXINIT, NEWKEYS, 30-49).
   */
  send(payload: Uint8Array): Promise<void> {
    return this.sendNow(payload) ?? SENT;
  }

  /**
   * {@link send}, but undefined when the packet went out at once: encoded and taken by the
   * stream without backpressure, so the caller may reuse `payload` right away and send the
   * next packet without waiting for a promise (a bulk sender's fast path). With `rest`, the
   * payload is `payload` followed by `rest` (a message header and its bulk data), joined
   * only in the packet being encoded; a returned promise holds both until it settles.
   */
  sendNow(payload: Uint8Array, rest?: Uint8Array): Promise<void> | undefined {
    if (this.error) return Promise.reject(this.error);
    const type = payload[0];
    if (type === undefined || isKexMessage(type)) {
      return Promise.reject(new SshError('BAD_USE', `an upper layer may not send ${type === undefined ? 'an empty packet' : msgName(type)}`));
    }
    if (!this.sendGate()) {
      const length = payload.length + (rest?.length ?? 0);
      if (this.pendingBytes + length > MAX_PENDING_BYTES) {
        return Promise.reject(new SshError('EAGAIN', `more than ${MAX_PENDING_BYTES} bytes queued during key exchange`));
      }
      const done = new Deferred<void>();
      this.pendingOut.push({ payload, rest, done });
      this.pendingBytes += length;
      return done.promise;
    }
    const p = this.writePacketNow(payload, rest);
    this.maybeRekey();
    return p;
  }

  /**
   * Whether an upper layer's packet may go out now: only once the first exchange is done,
   * and not between our KEXINIT and our NEWKEYS (RFC 4253 §7.1).
   */
  private sendGate(): boolean {
    if (this.phase === 'identification' || this.phase === 'closed' || this.extInfoDue) return false;
    return this.kex === null || this.kex.state === 'newkeys-sent';
  }

  /** Next packet for the layers above (service, userauth, connection). */
  receive(): Promise<Uint8Array> {
    return this.upper.shift();
  }

  /**
   * From now on hand each packet for the layers above to `receiver` as soon as it is decoded,
   * in order, instead of queuing it for receive(): no promise per packet on the bulk path.
   * Packets already queued go to it first. receive() then only reports the transport's
   * failure; an exception from `receiver` fails the transport as a protocol error would.
   * `owned`: the payload lies in a buffer of its own that nobody else holds (decrypted into a
   * new buffer), so the code that ends up holding it alone may free it (../wire/free.ts).
   */
  deliverTo(receiver: (payload: Uint8Array, owned: boolean) => void): void {
    this.receiver = receiver;
    for (let p = this.upper.poll(); p !== undefined; p = this.upper.poll()) receiver(p, false);
  }

  /** Start a key re-exchange now; resolves when it has completed. */
  rekey(): Promise<void> {
    if (this.error) return Promise.reject(this.error);
    if (this.phase !== 'open') return Promise.reject(new SshError('BAD_USE', 'the first key exchange has not completed'));
    if (this.kex) return this.kex.done.promise;
    const run = this.beginKex('kexinit-sent');
    this.sendOurKexInit(run);
    void this.runKex(run);
    return run.done.promise;
  }

  /**
   * The userauth layer tells us authentication succeeded: delayed compression
   * (zlib@openssh.com, OpenSSH PROTOCOL §1.4) starts with the next packet in each direction.
   * A server calls this right after sending USERAUTH_SUCCESS.
   */
  markAuthenticated(): void {
    this.authenticated = true;
  }

  /** Send SSH_MSG_DISCONNECT and close (RFC 4253 §11.1). */
  async disconnect(reason: number = DISCONNECT_REASON.BY_APPLICATION, description = 'disconnected by user'): Promise<void> {
    if (this.error) return;
    try {
      await this.writePacket(new Writer(64).u8(MSG.DISCONNECT).u32(reason).string(description).string('').finish().slice());
    } catch {
      // the peer may already be gone
    }
    this.fail(new DisconnectError(reason, description, false), true);
  }

  /** Stop everything with `err`; every pending operation rejects with it. */
  fail(err: SshError, clean = false): void {
    if (this.error) return;
    this.error = err;
    this.phase = 'closed';
    this.debug?.(`connection closed: ${err.message}`);
    if (this.heldKexInitTimer !== null) clearTimeout(this.heldKexInitTimer);
    this.heldKexInitTimer = null;
    this.upper.fail(err);
    const run = this.kex;
    if (run) {
      run.queue.fail(err);
      run.theirKexInit.reject(err);
      run.incomingKeys.reject(err);
      run.receivedNewKeys.reject(err);
      run.done.reject(err);
    }
    this.peerVersionReady.reject(err);
    this.peerVersionReady.promise.catch(() => {});
    for (const p of this.pendingOut) p.done.reject(err);
    this.pendingOut = [];
    this.pendingBytes = 0;
    try {
      this.stream.close();
    } catch {
      // ignore
    }
    this.closedDeferred.resolve(clean ? null : err);
  }

  /** Protocol failure: tell the peer why, then close. No-op once closed. */
  abort(err: SshError, reason?: number): void {
    if (this.error) return;
    const code =
      reason ??
      (err instanceof MacError
        ? DISCONNECT_REASON.MAC_ERROR
        : err instanceof HostKeyError
          ? DISCONNECT_REASON.HOST_KEY_NOT_VERIFIABLE
          : err.code === 'KEX_FAILURE'
            ? DISCONNECT_REASON.KEY_EXCHANGE_FAILED
            : err.code === 'ZLIB'
              ? DISCONNECT_REASON.COMPRESSION_ERROR
              : DISCONNECT_REASON.PROTOCOL_ERROR);
    try {
      void Promise.resolve(this.writePacket(new Writer(64).u8(MSG.DISCONNECT).u32(code).string(err.message).string('').finish().slice())).catch(() => {});
    } catch {
      // best effort
    }
    this.fail(err);
  }

  // ---------------------------------------------------------------- writing

  private writePacket(payload: Uint8Array): Promise<void> {
    return this.writePacketNow(payload) ?? SENT;
  }

  /** Encode and write one packet (`payload` then `rest`); undefined when the stream took it all without backpressure. */
  private writePacketNow(payload: Uint8Array, rest?: Uint8Array): Promise<void> | undefined {
    this.trace('>', payload, this.encoder.sequence, rest?.length);
    let parts: Uint8Array[];
    if (this.compressor && (!this.delayedCompressionOut || this.authenticated)) {
      parts = this.encoder.encodeParts(this.compressor.compress(rest ? concatBytes(payload, rest) : payload));
    } else {
      parts = this.encoder.encodeParts(payload, rest);
    }
    this.packetsOut++;
    this.packetsSent++;
    const last = parts.length - 1;
    // The encoder's pieces are new buffers that only we hold: the stream may free the large ones once written.
    for (let i = 0; i < last; i++) {
      this.bytesOut += parts[i]!.length;
      // A failed write fails the transport; the last piece's promise reports it to the caller.
      this.writeRawNow(parts[i]!, parts[i]!.length >= HANDOVER_MIN)?.catch(() => {});
    }
    this.bytesOut += parts[last]!.length;
    return this.writeRawNow(parts[last]!, parts[last]!.length >= HANDOVER_MIN);
  }

  private writeRaw(bytes: Uint8Array): Promise<void> {
    return this.writeRawNow(bytes, false) ?? SENT;
  }

  /** Hand bytes to the stream; undefined when it took them without backpressure. */
  private writeRawNow(bytes: Uint8Array, owned: boolean): Promise<void> | undefined {
    try {
      const r = this.stream.write(bytes, owned);
      return r ? r.catch((e: unknown) => this.writeFailed(e)) : undefined;
    } catch (e) {
      return this.writeFailed(e);
    }
  }

  private writeFailed(e: unknown): Promise<never> {
    const err = e instanceof SshError ? e : new ConnectionLostError(`write failed: ${(e as Error | undefined)?.message ?? String(e)}`, { cause: e });
    this.fail(err);
    return Promise.reject(this.error);
  }

  // ---------------------------------------------------------------- reading

  private get peerName(): string {
    return this.isServer ? 'client' : 'server';
  }

  private async readLoop(): Promise<void> {
    // RFC 4253 §4.2: only a server may send lines before its identification.
    const version = new VersionParser({ allowPreamble: !this.isServer });
    try {
      for (;;) {
        const chunk = await this.stream.read();
        if (this.error) return;
        if (chunk === null) {
          if (this.phase === 'identification') {
            const hint = version.preamble[0];
            throw new ConnectionLostError(
              hint !== undefined
                ? `connection closed ${BEFORE_IDENTIFICATION}; the peer sent ${JSON.stringify(printable(hint))}, not an SSH server?`
                : `connection closed by the ${this.peerName} ${BEFORE_IDENTIFICATION}`,
            );
          }
          throw new ConnectionLostError(
            this.phase === 'first-kex' ? `connection closed by the ${this.peerName} during key exchange` : `connection closed by the ${this.peerName}`,
          );
        }
        if (this.phase === 'identification') {
          let v;
          try {
            v = version.push(chunk);
          } catch (e) {
            // OpenSSH's sshd answers a bad identification in plain text before closing.
            if (this.isServer && e instanceof ProtocolError) void this.writeRaw(new TextEncoder().encode(`${INVALID_IDENTIFICATION}\r\n`)).catch(() => {});
            throw e;
          }
          if (!v) continue;
          if (this.isServer) this.clientVersion = v.version;
          else {
            this.serverVersion = v.version;
            this.serverPreamble = v.preamble;
          }
          this.debug?.(`${this.peerName} version: ${printable(v.version, 255)}`);
          this.phase = 'first-kex';
          this.peerVersionReady.resolve();
          if (this.heldKexInit !== null) this.heldKexInitTimer = setTimeout(() => this.releaseKexInit(), KEXINIT_HOLD_MS);
          if (v.rest.length === 0) continue;
          this.decoder.push(v.rest);
        } else {
          this.decoder.push(chunk);
        }
        for (;;) {
          const payload = this.decoder.next();
          if (payload === null) break;
          // The client's first packet is here: our KEXINIT goes out now, acknowledging it.
          if (this.heldKexInit !== null) this.releaseKexInit();
          const waiting = this.handlePacket(payload);
          if (waiting) await waiting;
          // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- handlePacket and the awaited work can set this.error
          if (this.error) return;
        }
      }
    } catch (e) {
      const err = e instanceof SshError ? e : new ProtocolError(`internal error: ${(e as Error | undefined)?.message ?? String(e)}`);
      if (err instanceof MacError) this.config.events?.macError?.();
      if (err instanceof ConnectionLostError || err instanceof DisconnectError) this.fail(err);
      else this.abort(err);
    }
  }

  /** Dispatch one received packet. Returns a promise only when reading must pause (NEWKEYS). */
  private handlePacket(packet: Uint8Array): Promise<void> | void {
    const seq = (this.decoder.sequence - 1) >>> 0;
    let payload = packet;
    if (this.decompressor && (!this.delayedCompressionIn || (this.isServer ? this.authenticated : this.userauthSuccessRead))) {
      payload = this.decompressor.decompress(packet);
    }
    if (payload.length === 0) throw new ProtocolError('empty packet payload');
    this.packetsReceived++;
    this.packetsIn++;
    this.bytesIn += packet.length;
    const type = payload[0]!;
    this.trace('<', payload, seq);
    const run = this.kex;

    // Strict KEX (OpenSSH PROTOCOL, the Terrapin fix): during the first exchange only
    // KEXINIT, kex-method messages and NEWKEYS are allowed.
    if (this.phase === 'first-kex' && this.strictKex && !isKexMessage(type) && type !== MSG.DISCONNECT) {
      throw new ProtocolError(`strict KEX: unexpected ${msgName(type)} during the initial key exchange`);
    }
    // RFC 4253 §7.1: between the peer's KEXINIT and its NEWKEYS only transport messages may arrive.
    if (run?.theirs && !run.receivedNewKeys.settled && isUpperLayerMessage(type)) {
      throw new ProtocolError(`unexpected ${msgName(type)} during key exchange`);
    }

    switch (type) {
      case MSG.DISCONNECT: {
        const r = new Reader(payload, 1, 'DISCONNECT');
        const reason = r.u32('reason code');
        const desc = r.ascii('description');
        throw new DisconnectError(reason, printable(desc, 200), true);
      }
      // These three are dropped here and kept by nobody (the IGNORE event gets a copy):
      // discard() lets the read buffer they sit in be reused, so a flood of them costs no memory.
      case MSG.IGNORE: {
        const events = this.config.events;
        if (events?.ignore) events.ignore(new Reader(payload, 1, 'IGNORE').string('data').slice());
        this.decoder.discard();
        return;
      }
      case MSG.DEBUG: {
        this.unsolicited();
        const r = new Reader(payload, 1, 'DEBUG');
        const alwaysDisplay = r.bool('always_display');
        const message = r.ascii('message');
        this.debug?.(`${this.peerName} debug message: ${printable(message, 200)}`);
        if (this.config.events?.debug) this.config.events.debug(alwaysDisplay, message, r.remaining >= 4 ? r.ascii('language tag') : '');
        this.decoder.discard();
        return;
      }
      case MSG.UNIMPLEMENTED: {
        const r = new Reader(payload, 1, 'UNIMPLEMENTED');
        this.debug?.(`${this.peerName} did not implement our packet ${r.u32()}`);
        this.decoder.discard();
        return;
      }
      case MSG.KEXINIT:
        return this.onKexInit(payload);
      case MSG.NEWKEYS:
        return this.onNewKeys();
      case MSG.EXT_INFO:
        // A server does not announce ext-info-s, so a client's EXT_INFO is ignored (RFC 8308 §2.2).
        if (!this.isServer) this.onExtInfo(payload);
        return;
      default:
        break;
    }
    if (type >= 30 && type <= 49) {
      if (!run || !run.theirs || run.receivedNewKeys.settled) throw new ProtocolError(`unexpected ${msgName(type)} outside key exchange`);
      if (run.ignoreNextKexPacket) {
        run.ignoreNextKexPacket = false;
        return;
      }
      run.queue.push(payload);
      return;
    }
    // The service message meant for our role goes up; the other role's is not implemented.
    if (type === (this.isServer ? MSG.SERVICE_REQUEST : MSG.SERVICE_ACCEPT) || (type >= 50 && type <= 127)) {
      if (type === MSG.GLOBAL_REQUEST && !globalRequestWantsReply(payload)) this.unsolicited();
      if (type === MSG.USERAUTH_SUCCESS && !this.isServer) this.userauthSuccessRead = true;
      if (this.receiver) this.receiver(payload, payload === packet && this.decoder.ownsLastPayload);
      else this.upper.push(payload);
      this.maybeRekey();
      return;
    }
    // RFC 4253 §11.4
    void this.send(new Writer(16).u8(MSG.UNIMPLEMENTED).u32(seq).finish().slice()).catch(() => {});
  }

  private unsolicited(): void {
    if (this.phase === 'open') this.config.onUnsolicited?.();
  }

  private onExtInfo(payload: Uint8Array): void {
    const r = new Reader(payload, 1, 'EXT_INFO');
    const n = r.u32('nr-extensions');
    for (let i = 0; i < n; i++) {
      const name = r.ascii('extension-name');
      const value = r.string('extension-value');
      this.extensions.set(name, value);
      if (name === 'server-sig-algs') {
        this.serverSigAlgs = value.length ? latin1(value).split(',') : [];
      }
    }
  }

  // ---------------------------------------------------------------- key exchange

  private beginKex(state: KexState): KexRun {
    const run: KexRun = {
      state,
      theirKexInit: new Deferred<void>(),
      incomingKeys: new Deferred<() => void>(),
      receivedNewKeys: new Deferred<void>(),
      done: new Deferred<void>(),
      queue: new AsyncQueue<Uint8Array>(),
      ignoreNextKexPacket: false,
    };
    this.kex = run;
    return run;
  }

  private sendOurKexInit(run: KexRun): void {
    const payload = buildKexInit(this.config, this.kexCount === 0 && !this.sessionId);
    run.ours = payload;
    void this.writePacket(payload).catch(() => {});
  }

  private onKexInit(payload: Uint8Array): void {
    const first = !this.sawKexInit;
    this.sawKexInit = true;
    let run = this.kex;
    if (run?.theirs) throw new ProtocolError('second KEXINIT during a key exchange');
    const parsed = decodeKexInit(payload);
    if (first) {
      this.strictKex = parsed.kex.includes(this.isServer ? KEX_STRICT_C : KEX_STRICT_S);
      this.peerWantsExtInfo = this.isServer && parsed.kex.includes(EXT_INFO_C);
      // Terrapin: under strict KEX the peer's KEXINIT must be its very first packet.
      if (this.strictKex && this.packetsReceived !== 1) throw new ProtocolError('strict KEX: KEXINIT was not the first packet');
    }
    if (!run) {
      // A rekey the peer started: answer with our KEXINIT.
      run = this.beginKex('exchanging');
      this.sendOurKexInit(run);
      void this.runKex(run);
    }
    run.state = 'exchanging';
    run.theirs = payload.slice();
    run.theirsParsed = parsed;
    // Decided here, from the lists alone, before the packet after KEXINIT is read.
    run.ignoreNextKexPacket = parsed.firstKexPacketFollows && guessIsWrong(parsed, ourKexInitLists(this.config));
    run.theirKexInit.resolve();
  }

  private onNewKeys(): Promise<void> {
    const run = this.kex;
    if (!run || !run.theirs || run.receivedNewKeys.settled) throw new ProtocolError('unexpected NEWKEYS');
    if (run.queue.length > 0) throw new ProtocolError('NEWKEYS before the key exchange finished');
    // Pause reading until our side has derived the keys for this direction.
    return run.incomingKeys.promise.then((install) => {
      install();
      if (this.phase === 'first-kex') this.phase = 'open';
      run.receivedNewKeys.resolve();
    });
  }

  private async runKex(run: KexRun): Promise<void> {
    try {
      await run.theirKexInit.promise;
      await this.peerVersionReady.promise;
      const ours = run.ours!;
      const theirs = run.theirsParsed!;
      const server = this.isServer;
      const neg = negotiateWithPeer(this.config, theirs);
      this.debug?.(
        `negotiated kex=${neg.kex} hostkey=${neg.hostKey} cipher=${neg.cipherCS}/${neg.cipherSC} mac=${neg.macCS || '<implicit>'}/${neg.macSC || '<implicit>'} compression=${neg.compressionCS}/${neg.compressionSC}${this.strictKex ? ' strict-kex' : ''}`,
      );
      const conn: KexConn = {
        send: (p) => this.writePacket(p),
        receive: () => run.queue.shift(),
      };
      const magics: KexMagics = {
        clientVersion: this.clientVersion,
        serverVersion: this.serverVersion,
        clientKexInit: server ? run.theirs! : ours,
        serverKexInit: server ? ours : run.theirs!,
      };
      const firstKex = this.sessionId === null;
      const { alg, result } = await runKexMethod(this.config, neg, conn, magics, { firstKex, blob: this.hostKeyBlob });
      if (this.error) throw this.error;
      if (firstKex) {
        this.sessionId = result.H.slice();
        this.hostKeyBlob = result.hostKey.slice();
      }
      this.negotiated = neg;

      const { out, inc } = deriveDirections(this.config, alg, neg, result, this.sessionId!);

      // NEWKEYS goes out under the old keys; everything after it under the new ones (RFC 4253 §7.3).
      void this.writePacket(NEWKEYS_PACKET).catch(() => {});
      this.encoder.setKeys(out);
      if (this.strictKex) this.encoder.resetSequence();
      if (out.compression !== 'none' && !this.compressor) {
        this.compressor = createCompressor();
        this.delayedCompressionOut = out.compression === 'zlib@openssh.com';
      }
      run.state = 'newkeys-sent';
      // RFC 8308 §2.4: EXT_INFO is the first packet under the first new keys. It goes out when
      // the client's NEWKEYS arrives, not with ours: that segment then acknowledges the NEWKEYS
      // at once. A client with Nagle's algorithm on (OpenSSH's ssh outside interactive sessions)
      // holds its SERVICE_REQUEST until its NEWKEYS is acknowledged, and a lone ACK from us would
      // come only when the kernel's delayed-ACK timer fires (~40 ms on Linux).
      if (server && firstKex && this.peerWantsExtInfo) this.extInfoDue = true;
      else this.flushPending();

      run.incomingKeys.resolve(() => {
        this.decoder.setKeys(inc);
        if (this.strictKex) this.decoder.resetSequence();
        if (inc.compression !== 'none' && !this.decompressor) {
          this.decompressor = createDecompressor(MAX_PACKET * 4);
          this.delayedCompressionIn = inc.compression === 'zlib@openssh.com';
        }
        if (this.extInfoDue) {
          this.extInfoDue = false;
          this.sendExtInfo();
          this.flushPending();
        }
      });
      await run.receivedNewKeys.promise;
      out.key.fill(0);
      inc.key.fill(0);
      this.kexCount++;
      this.bytesIn = this.bytesOut = this.packetsIn = this.packetsOut = 0;
      this.lastKexAt = this.clock();
      if (this.kex === run) this.kex = null;
      this.debug?.(`key exchange ${this.kexCount} complete`);
      run.done.resolve();
    } catch (e) {
      const err = e instanceof SshError ? e : new ProtocolError(`key exchange failed: ${(e as Error | undefined)?.message ?? String(e)}`, 'KEX_FAILURE');
      this.abort(err);
    }
  }

  private sendExtInfo(): void {
    if (this.role.kind !== 'server') return;
    const extensions = this.role.extensions ?? [];
    if (extensions.length === 0) return;
    const w = new Writer(256).u8(MSG.EXT_INFO).u32(extensions.length);
    for (const [name, value] of extensions) w.string(name).string(value);
    void this.writePacket(w.finish().slice()).catch(() => {});
  }

  private flushPending(): void {
    const pending = this.pendingOut;
    this.pendingOut = [];
    this.pendingBytes = 0;
    for (const p of pending) {
      (this.writePacketNow(p.payload, p.rest) ?? SENT).then(p.done.resolve, p.done.reject);
    }
  }

  /** New rekey limits from now on (0: the default), e.g. a server's per-user RekeyLimit once it knows the user. */
  setRekeyLimits(bytes: number, seconds: number): void {
    this.rekeyBytes = bytes > 0 ? bytes : DEFAULT_REKEY_BYTES;
    this.rekeySeconds = seconds > 0 ? seconds : DEFAULT_REKEY_SECONDS;
    this.maybeRekey();
  }

  /** Rekey by volume, packet count or age, whichever side we are (RFC 4253 §9, RFC 4344 §3). */
  private maybeRekey(): void {
    if (this.kex || this.error || this.phase !== 'open') return;
    if (
      this.bytesOut >= this.rekeyBytes ||
      this.bytesIn >= this.rekeyBytes ||
      this.packetsOut >= REKEY_PACKETS ||
      this.packetsIn >= REKEY_PACKETS ||
      this.clock() - this.lastKexAt >= this.rekeySeconds * 1000
    ) {
      this.debug?.('rekey limit reached, starting key re-exchange');
      void this.rekey().catch(() => {});
    }
  }

  private trace(dir: '<' | '>', payload: Uint8Array, seq: number, more = 0): void {
    // Names, sizes and sequence numbers only; never payloads, which may carry secrets.
    this.debug?.(`${dir} ${msgName(payload[0] ?? 0)} len=${payload.length + more} seq=${seq >>> 0}`);
  }
}

const NEWKEYS_PACKET = new Uint8Array([MSG.NEWKEYS]);
/**
 * How long a server holds its first KEXINIT after the client's version line (see start()):
 * longer than a client on the same LAN takes to send its KEXINIT once it has our version line,
 * and all that a client which waits for ours first is made to wait.
 */
const KEXINIT_HOLD_MS = 20;
/** What send() returns for a packet that went out at once. */
const SENT: Promise<void> = Promise.resolve();
/** Encrypted pieces at least this large are handed over to the stream to free once written. */
const HANDOVER_MIN = 4096;
