/**
 * The SSH transport (RFC 4253): owns the byte stream, the read loop, key exchange and
 * rekeying, compression, and the transport-generic messages. Layers above see only
 * `send(payload)` / `receive()`: rekeys are invisible to them.
 */
import { AsyncQueue, Deferred } from '../async.js';
import { ConnectionLostError, DISCONNECT_REASON, DisconnectError, HostKeyError, MacError, ProtocolError, SshError } from '../errors.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { KEX_ALGORITHMS } from '../kex/index.js';
import { deriveAll } from '../kex/derive-keys.js';
import type { KexAlgorithm, KexClientOptions, KexConn, KexMagics, RandomSource } from '../kex/types.js';
import { MSG, msgName } from '../wire/constants.js';
import { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';
import { CIPHERS, keySizes } from './cipher/index.js';
import { PacketDecoder, PacketEncoder } from './codec.js';
import { createCompressor, createDecompressor } from './compression.js';
import { decodeKexInit, encodeKexInit, EXT_INFO_C, guessIsWrong, KEX_STRICT_C, KEX_STRICT_S, negotiate } from './negotiate.js';
import type { KexInit, KexInitLists, NegotiatedAlgorithms } from './negotiate.js';
import type { ByteStream } from './stream.js';
import { BEFORE_IDENTIFICATION, CLIENT_VERSION, printable, VersionParser } from './version.js';
import { equalConstantTime, latin1, readBE32 } from '../wire/bytes.js';

export interface TransportEvents {
  /** SSH_MSG_IGNORE with its data (RFC 4253 §11.2) */
  ignore?(data: Uint8Array): void;
  /** SSH_MSG_DEBUG (RFC 4253 §11.3) */
  debug?(alwaysDisplay: boolean, message: string, language: string): void;
  /** a packet failed its MAC or AEAD tag check; the connection is then closed regardless */
  macError?(): void;
}

export interface TransportConfig {
  /** our algorithm lists, best first (pseudo-algorithms are added here) */
  algorithms: KexInitLists;
  random: RandomSource;
  /**
   * Called once per key exchange after the server proved possession of the host key
   * (signature over H verified). Throw (HostKeyError) to refuse the server.
   */
  checkHostKey(blob: Uint8Array, algorithm: string, firstKex: boolean): Promise<void>;
  /** Verify the host key signature over H with the negotiated algorithm. */
  verifyHostKeySignature(blob: Uint8Array, algorithm: string, H: Uint8Array, signature: Uint8Array): boolean;
  rekeyBytes?: number;
  rekeySeconds?: number;
  kexOptions?: KexClientOptions;
  debug?: (line: string) => void;
  /** transport-generic messages from the peer, for callers that want them (libssh2's callbacks) */
  events?: TransportEvents;
  /** the identification we send; defaults to CLIENT_VERSION */
  clientVersion?: string;
  /** cipher/MAC implementations (default: pure JS) */
  provider?: CryptoProvider;
}

/** 1 GiB per direction, 2^31 packets, 1 hour (RFC 4344 §3.1). */
const DEFAULT_REKEY_BYTES = 1 << 30;
const DEFAULT_REKEY_SECONDS = 3600;
const REKEY_PACKETS = 2 ** 31;
/** RFC 4253 §6.1: we only need to accept 35000-byte packets, OpenSSH sends up to 256 KiB. */
const MAX_PACKET = 256 * 1024 + 64;

interface KexRun {
  ours?: Uint8Array;
  theirs?: Uint8Array;
  theirsParsed?: KexInit;
  theirKexInit: Deferred<void>;
  /** the keys for the incoming direction, ready once we have sent NEWKEYS */
  incomingKeys: Deferred<() => void>;
  receivedNewKeys: Deferred<void>;
  sentNewKeys: boolean;
  done: Deferred<void>;
  queue: AsyncQueue<Uint8Array>;
  ignoreNextKexPacket: boolean;
}

type Compressor = ReturnType<typeof createCompressor>;
type Decompressor = ReturnType<typeof createDecompressor>;

export class Transport {
  readonly clientVersion: string;
  serverVersion = '';
  /** lines the server sent before its identification */
  serverPreamble: string[] = [];
  sessionId: Uint8Array | null = null;
  negotiated: NegotiatedAlgorithms | null = null;
  /** RFC 8308 server-sig-algs, if the server sent EXT_INFO */
  serverSigAlgs: string[] | null = null;
  /** other RFC 8308 extensions the server announced */
  readonly extensions = new Map<string, Uint8Array>();
  hostKeyBlob: Uint8Array | null = null;
  /** how many key exchanges have completed */
  kexCount = 0;
  strictKex = false;
  /** set the moment the server's first NEWKEYS is processed: the end of the strict-KEX window */
  private initialNewKeysReceived = false;

  private readonly encoder: PacketEncoder;
  private readonly decoder: PacketDecoder;
  private readonly upper = new AsyncQueue<Uint8Array>();
  private kex: KexRun | null = null;
  private pendingOut: { payload: Uint8Array; done: Deferred<void> }[] = [];
  private error: SshError | null = null;
  private readonly closedDeferred = new Deferred<SshError | null>();
  private packetsReceived = 0;
  private sawKexInit = false;
  private bytesOut = 0;
  private bytesIn = 0;
  private packetsOut = 0;
  private packetsIn = 0;
  private lastKexAt = Date.now();
  private compressor: Compressor | null = null;
  private decompressor: Decompressor | null = null;
  private delayedCompressionOut = false;
  private delayedCompressionIn = false;
  private authenticated = false;
  /**
   * zlib@openssh.com (OpenSSH PROTOCOL, "zlib@openssh.com"): compression starts after USERAUTH_SUCCESS. The
   * packet after it can come in the same read, so reading switches at once, as OpenSSH's
   * packet.c does on reading it; sending switches when the userauth layer reports success.
   */
  private userauthSuccessRead = false;
  private readonly rekeyBytes: number;
  private readonly rekeySeconds: number;
  private readonly debug: ((line: string) => void) | undefined;

  constructor(
    private readonly stream: ByteStream,
    private readonly config: TransportConfig,
  ) {
    this.clientVersion = config.clientVersion ?? CLIENT_VERSION;
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
    this.debug = config.debug;
  }

  /** Resolves with the error that ended the connection, or null on a clean close. */
  get closed(): Promise<SshError | null> {
    return this.closedDeferred.promise;
  }

  get isClosed(): boolean {
    return this.closedDeferred.settled;
  }

  /**
   * Exchange versions and run the first key exchange. Our version line and KEXINIT go
   * out together, without waiting for the server's (RFC 4253 §7.1 allows it).
   */
  async start(): Promise<void> {
    const run = this.beginKex();
    const ident = new TextEncoder().encode(this.clientVersion + '\r\n');
    const kexinit = this.buildKexInit(true);
    run.ours = kexinit;
    const packet = this.encoder.encode(kexinit);
    this.trace('>', kexinit, this.encoder.sequence - 1);
    const first = new Uint8Array(ident.length + packet.length);
    first.set(ident);
    first.set(packet, ident.length);
    this.bytesOut += packet.length;
    await this.writeRaw(first);
    void this.readLoop();
    void this.runKex(run);
    await run.done.promise;
  }

  /** Send a packet from an upper layer. While a key exchange runs it waits in a queue. */
  send(payload: Uint8Array): Promise<void> {
    if (this.error) return Promise.reject(this.error);
    if (this.kex && !this.kex.sentNewKeys) {
      const done = new Deferred<void>();
      this.pendingOut.push({ payload, done });
      return done.promise;
    }
    const p = this.writePacket(payload);
    this.maybeRekey();
    return p;
  }

  /** Next packet for the layers above (service, userauth, connection). */
  receive(): Promise<Uint8Array> {
    return this.upper.shift();
  }

  /** Start a key re-exchange now; resolves when it has completed. */
  rekey(): Promise<void> {
    if (this.error) return Promise.reject(this.error);
    if (this.kex) return this.kex.done.promise;
    const run = this.beginKex();
    this.sendOurKexInit(run);
    void this.runKex(run);
    return run.done.promise;
  }

  /**
   * The userauth layer tells us authentication succeeded: delayed compression
   * (zlib@openssh.com, OpenSSH PROTOCOL §1.4) starts with the next packet in each direction.
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
    this.debug?.(`connection closed: ${err.message}`);
    this.upper.fail(err);
    const run = this.kex;
    if (run) {
      run.queue.fail(err);
      run.theirKexInit.reject(err);
      run.incomingKeys.reject(err);
      run.receivedNewKeys.reject(err);
      run.done.reject(err);
    }
    for (const p of this.pendingOut) p.done.reject(err);
    this.pendingOut = [];
    try {
      this.stream.close();
    } catch {
      // ignore
    }
    this.closedDeferred.resolve(clean ? null : err);
  }

  /** Protocol failure: tell the peer why, then close. No-op once closed. */
  abort(err: SshError): void {
    if (this.error) return;
    const reason =
      err instanceof MacError
        ? DISCONNECT_REASON.MAC_ERROR
        : err instanceof HostKeyError
          ? DISCONNECT_REASON.HOST_KEY_NOT_VERIFIABLE
          : err.code === 'KEX_FAILURE'
            ? DISCONNECT_REASON.KEY_EXCHANGE_FAILED
            : err.code === 'ZLIB'
              ? DISCONNECT_REASON.COMPRESSION_ERROR
              : DISCONNECT_REASON.PROTOCOL_ERROR;
    try {
      void Promise.resolve(this.writePacket(new Writer(64).u8(MSG.DISCONNECT).u32(reason).string(err.message).string('').finish().slice())).catch(() => {});
    } catch {
      // best effort
    }
    this.fail(err);
  }

  // ---------------------------------------------------------------- writing

  private writePacket(payload: Uint8Array): Promise<void> {
    this.trace('>', payload, this.encoder.sequence);
    let body = payload;
    if (this.compressor && (!this.delayedCompressionOut || this.authenticated)) body = this.compressor.compress(payload);
    const parts = this.encoder.encodeParts(body);
    this.packetsOut++;
    const last = parts.length - 1;
    for (let i = 0; i < last; i++) {
      this.bytesOut += parts[i]!.length;
      // A failed write fails the transport; the last piece's promise reports it to the caller.
      this.writeRaw(parts[i]!).catch(() => {});
    }
    this.bytesOut += parts[last]!.length;
    return this.writeRaw(parts[last]!);
  }

  private writeRaw(bytes: Uint8Array): Promise<void> {
    try {
      const r = this.stream.write(bytes);
      return r ? r.catch((e: unknown) => this.writeFailed(e)) : Promise.resolve();
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

  private async readLoop(): Promise<void> {
    const version = new VersionParser();
    let inPacketPhase = false;
    try {
      for (;;) {
        const chunk = await this.stream.read();
        if (this.error) return;
        if (chunk === null) {
          if (!inPacketPhase) {
            const hint = version.preamble[0];
            throw new ConnectionLostError(
              hint !== undefined
                ? `connection closed ${BEFORE_IDENTIFICATION}; the peer sent ${JSON.stringify(printable(hint))}, not an SSH server?`
                : `connection closed by the server ${BEFORE_IDENTIFICATION}`,
            );
          }
          throw new ConnectionLostError(this.kexCount === 0 ? 'connection closed by the server during key exchange' : 'connection closed by the server');
        }
        if (!inPacketPhase) {
          const v = version.push(chunk);
          if (!v) continue;
          this.serverVersion = v.version;
          this.serverPreamble = v.preamble;
          this.debug?.(`server version: ${printable(v.version, 255)}`);
          inPacketPhase = true;
          this.serverVersionReady.resolve();
          if (v.rest.length === 0) continue;
          this.decoder.push(v.rest);
        } else {
          this.decoder.push(chunk);
        }
        for (;;) {
          const payload = this.decoder.next();
          if (payload === null) break;
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

  private readonly serverVersionReady = new Deferred<void>();

  /** Dispatch one received packet. Returns a promise only when reading must pause (NEWKEYS). */
  private handlePacket(packet: Uint8Array): Promise<void> | void {
    const seq = (this.decoder.sequence - 1) >>> 0;
    let payload = packet;
    if (this.decompressor && (!this.delayedCompressionIn || this.userauthSuccessRead)) payload = this.decompressor.decompress(packet);
    if (payload.length === 0) throw new ProtocolError('empty packet payload');
    this.packetsReceived++;
    this.packetsIn++;
    this.bytesIn += packet.length;
    const type = payload[0]!;
    this.trace('<', payload, seq);
    const run = this.kex;

    // Strict KEX (OpenSSH PROTOCOL, the Terrapin fix): during the first exchange only
    // KEXINIT, kex-method messages and NEWKEYS are allowed.
    if (!this.initialNewKeysReceived && this.strictKex && !isKexMessage(type) && type !== MSG.DISCONNECT) {
      throw new ProtocolError(`strict KEX: unexpected ${msgName(type)} during the initial key exchange`);
    }
    // RFC 4253 §7.1: between the peer's KEXINIT and its NEWKEYS only transport messages may arrive.
    if (run?.theirs && !run.receivedNewKeys.settled && (type >= 50 || type === MSG.SERVICE_ACCEPT)) {
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
        this.promptAck();
        const r = new Reader(payload, 1, 'DEBUG');
        const alwaysDisplay = r.bool('always_display');
        const message = r.ascii('message');
        this.debug?.(`server debug message: ${printable(message, 200)}`);
        if (this.config.events?.debug) this.config.events.debug(alwaysDisplay, message, r.remaining >= 4 ? r.ascii('language tag') : '');
        this.decoder.discard();
        return;
      }
      case MSG.UNIMPLEMENTED: {
        const r = new Reader(payload, 1, 'UNIMPLEMENTED');
        this.debug?.(`server did not implement our packet ${r.u32()}`);
        this.decoder.discard();
        return;
      }
      case MSG.KEXINIT:
        return this.onKexInit(payload);
      case MSG.NEWKEYS:
        return this.onNewKeys();
      case MSG.EXT_INFO:
        this.onExtInfo(payload);
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
    if (type === MSG.SERVICE_ACCEPT || (type >= 50 && type <= 127)) {
      if (type === MSG.GLOBAL_REQUEST && !globalRequestWantsReply(payload)) this.promptAck();
      if (type === MSG.USERAUTH_SUCCESS) this.userauthSuccessRead = true;
      this.upper.push(payload);
      this.maybeRekey();
      return;
    }
    // RFC 4253 §11.4
    void this.send(new Writer(16).u8(MSG.UNIMPLEMENTED).u32(seq).finish().slice()).catch(() => {});
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

  private beginKex(): KexRun {
    const run: KexRun = {
      theirKexInit: new Deferred<void>(),
      incomingKeys: new Deferred<() => void>(),
      receivedNewKeys: new Deferred<void>(),
      sentNewKeys: false,
      done: new Deferred<void>(),
      queue: new AsyncQueue<Uint8Array>(),
      ignoreNextKexPacket: false,
    };
    this.kex = run;
    return run;
  }

  private buildKexInit(first: boolean): Uint8Array {
    const a = this.config.algorithms;
    // ext-info-c and the strict-KEX marker are only meaningful in the first KEXINIT.
    const kex = first ? [...a.kex, EXT_INFO_C, KEX_STRICT_C] : a.kex;
    return encodeKexInit({ ...a, kex, cookie: this.config.random(16), firstKexPacketFollows: false });
  }

  private sendOurKexInit(run: KexRun): void {
    const payload = this.buildKexInit(this.kexCount === 0 && !this.sessionId);
    run.ours = payload;
    void this.writePacket(payload).catch(() => {});
  }

  private onKexInit(payload: Uint8Array): void {
    const first = !this.sawKexInit;
    this.sawKexInit = true;
    let run = this.kex;
    if (run?.theirs) throw new ProtocolError('second KEXINIT during a key exchange');
    const parsed = decodeKexInit(payload);
    if (first && parsed.kex.includes(KEX_STRICT_S)) {
      this.strictKex = true;
      // Terrapin: under strict KEX the server's KEXINIT must be its very first packet.
      if (this.packetsReceived !== 1) throw new ProtocolError('strict KEX: KEXINIT was not the first packet');
    }
    if (!run) {
      // Server-initiated rekey: answer with our KEXINIT.
      run = this.beginKex();
      this.sendOurKexInit(run);
      void this.runKex(run);
    }
    run.theirs = payload.slice();
    run.theirsParsed = parsed;
    // Decided here, from the lists alone, before the packet after KEXINIT is read.
    run.ignoreNextKexPacket = parsed.firstKexPacketFollows && guessIsWrong(parsed, this.config.algorithms);
    run.theirKexInit.resolve();
  }

  private onNewKeys(): Promise<void> {
    const run = this.kex;
    if (!run || !run.theirs || run.receivedNewKeys.settled) throw new ProtocolError('unexpected NEWKEYS');
    if (run.queue.length > 0) throw new ProtocolError('NEWKEYS before the key exchange finished');
    // Pause reading until our side has derived the keys for this direction.
    return run.incomingKeys.promise.then((install) => {
      install();
      this.initialNewKeysReceived = true;
      run.receivedNewKeys.resolve();
    });
  }

  private async runKex(run: KexRun): Promise<void> {
    try {
      await run.theirKexInit.promise;
      await this.serverVersionReady.promise;
      const ours = run.ours!;
      const theirs = run.theirsParsed!;
      const firstKex = this.sessionId === null;
      const neg = negotiate(this.config.algorithms, theirs, (c) => CIPHERS.get(c)?.aead ?? false);
      this.debug?.(
        `negotiated kex=${neg.kex} hostkey=${neg.hostKey} cipher=${neg.cipherCS}/${neg.cipherSC} mac=${neg.macCS || '<implicit>'}/${neg.macSC || '<implicit>'} compression=${neg.compressionCS}/${neg.compressionSC}${this.strictKex ? ' strict-kex' : ''}`,
      );
      const alg: KexAlgorithm | undefined = KEX_ALGORITHMS.get(neg.kex);
      if (!alg) throw new ProtocolError(`kex algorithm ${neg.kex} negotiated but not implemented`, 'KEX_FAILURE');
      const conn: KexConn = {
        send: (p) => this.writePacket(p),
        receive: () => run.queue.shift(),
      };
      const magics: KexMagics = {
        clientVersion: this.clientVersion,
        serverVersion: this.serverVersion,
        clientKexInit: ours,
        serverKexInit: run.theirs!,
      };
      const kexOptions = this.config.provider?.publicKey ? { ...this.config.kexOptions, publicKey: this.config.provider.publicKey } : this.config.kexOptions;
      const result = await alg.client(conn, magics, this.config.random, kexOptions);

      if (!this.config.verifyHostKeySignature(result.hostKey, neg.hostKey, result.H, result.signature)) {
        throw new HostKeyError('signature', `server host key signature (${neg.hostKey}) did not verify`);
      }
      if (!firstKex && this.hostKeyBlob && !equalConstantTime(this.hostKeyBlob, result.hostKey)) {
        throw new HostKeyError('mismatch', 'server host key changed during rekey');
      }
      await this.config.checkHostKey(result.hostKey, neg.hostKey, firstKex);
      if (this.error) throw this.error;
      if (firstKex) {
        this.sessionId = result.H.slice();
        this.hostKeyBlob = result.hostKey.slice();
      }
      this.negotiated = neg;

      const sizesCS = keySizes(neg.cipherCS, neg.macCS);
      const sizesSC = keySizes(neg.cipherSC, neg.macSC);
      const k = deriveAll(alg.hash, result.K, result.H, this.sessionId!, sizesCS, sizesSC);

      // NEWKEYS goes out under the old keys; everything after it under the new ones (RFC 4253 §7.3).
      void this.writePacket(new Uint8Array([MSG.NEWKEYS])).catch(() => {});
      this.encoder.setKeys({ cipher: neg.cipherCS, mac: neg.macCS, key: k.keyCS, iv: k.ivCS, macKey: k.macCS });
      if (this.strictKex) this.encoder.resetSequence();
      if (neg.compressionCS !== 'none' && !this.compressor) {
        this.compressor = createCompressor();
        this.delayedCompressionOut = neg.compressionCS === 'zlib@openssh.com';
      }
      run.sentNewKeys = true;
      this.flushPending();

      run.incomingKeys.resolve(() => {
        this.decoder.setKeys({ cipher: neg.cipherSC, mac: neg.macSC, key: k.keySC, iv: k.ivSC, macKey: k.macSC });
        if (this.strictKex) this.decoder.resetSequence();
        if (neg.compressionSC !== 'none' && !this.decompressor) {
          this.decompressor = createDecompressor(MAX_PACKET * 4);
          this.delayedCompressionIn = neg.compressionSC === 'zlib@openssh.com';
        }
      });
      await run.receivedNewKeys.promise;
      k.keyCS.fill(0);
      k.keySC.fill(0);
      this.kexCount++;
      this.bytesIn = this.bytesOut = this.packetsIn = this.packetsOut = 0;
      this.lastKexAt = Date.now();
      if (this.kex === run) this.kex = null;
      this.debug?.(`key exchange ${this.kexCount} complete`);
      run.done.resolve();
    } catch (e) {
      const err = e instanceof SshError ? e : new ProtocolError(`key exchange failed: ${(e as Error | undefined)?.message ?? String(e)}`, 'KEX_FAILURE');
      this.abort(err);
    }
  }

  private flushPending(): void {
    const pending = this.pendingOut;
    this.pendingOut = [];
    for (const p of pending) {
      this.writePacket(p.payload).then(p.done.resolve, p.done.reject);
    }
  }

  /** Client-initiated rekey by volume, packet count or age (RFC 4253 §9, RFC 4344 §3). */
  private maybeRekey(): void {
    if (this.kex || this.error || this.kexCount === 0) return;
    if (
      this.bytesOut >= this.rekeyBytes ||
      this.bytesIn >= this.rekeyBytes ||
      this.packetsOut >= REKEY_PACKETS ||
      this.packetsIn >= REKEY_PACKETS ||
      Date.now() - this.lastKexAt >= this.rekeySeconds * 1000
    ) {
      this.debug?.('rekey limit reached, starting key re-exchange');
      void this.rekey().catch(() => {});
    }
  }

  /**
   * Answer an unsolicited message (DEBUG, GLOBAL_REQUEST without want_reply) with an IGNORE
   * unless something else goes out first. sshd sends such small packets right after auth
   * (key options, hostkeys-00@openssh.com) without TCP_NODELAY; with nothing to carry our
   * ACK, the kernel delays it ~40 ms and Nagle holds sshd's next small packet (the channel
   * open confirmation) until then. Data from us makes the ACK go at once.
   */
  private promptAck(): void {
    if (this.ackScheduled || this.kexCount === 0) return;
    this.ackScheduled = true;
    const sent = this.packetsOut;
    // After the packets of this read and the upper layers' answers to them (microtasks).
    setTimeout(() => {
      this.ackScheduled = false;
      if (this.error || this.packetsOut !== sent) return;
      void this.send(IGNORE_PACKET).catch(() => {});
    }, 0);
  }

  private ackScheduled = false;

  private trace(dir: '<' | '>', payload: Uint8Array, seq: number): void {
    // Names, sizes and sequence numbers only; never payloads, which may carry secrets.
    this.debug?.(`${dir} ${msgName(payload[0] ?? 0)} len=${payload.length} seq=${seq >>> 0}`);
  }
}

/** SSH_MSG_IGNORE with an empty string (RFC 4253 §11.2). */
const IGNORE_PACKET = new Uint8Array([MSG.IGNORE, 0, 0, 0, 0]);

/** RFC 4254 §4: byte 80, string request name, boolean want reply. */
function globalRequestWantsReply(p: Uint8Array): boolean {
  if (p.length < 5) return true;
  const nameLength = readBE32(p, 1);
  return p[5 + nameLength] !== 0;
}

/** Messages allowed during a key exchange: KEXINIT, NEWKEYS, kex-method 30-49. */
function isKexMessage(type: number): boolean {
  return type === MSG.KEXINIT || type === MSG.NEWKEYS || (type >= 30 && type <= 49);
}
