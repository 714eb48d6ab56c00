/**
 * `SshServer`: an SSH server over any {@link ByteStream} (universal: no `node:*`). Each
 * accepted stream runs the server transport (key exchange with our host keys), the
 * ssh-userauth service through the application's callbacks, then the connection protocol
 * with the application's routes. Limits follow sshd: LoginGraceTime, MaxAuthTries,
 * MaxSessions, MaxStartups, and (opt-in) PerSourcePenalties.
 *
 * @example
 * ```ts
 * const server = new SshServer({
 *   hostKeys: [parsePrivateKey(hostKeyText)],
 *   auth: { publicKey: ({ username, key }) => username === 'git' && isAuthorized(key) },
 *   handlers: {
 *     session: () => ({
 *       exec(command, session) {
 *         void session.write(new TextEncoder().encode(`ran ${command}\n`)).then(() => session.sendExitStatus(0));
 *         return true;
 *       },
 *     }),
 *   },
 * });
 * const incoming = server.accept(stream, { remoteAddress: '203.0.113.7', remotePort: 50022 });
 * const conn = await incoming.authenticated;
 * ```
 */
import { randomBytes } from '@noble/hashes/utils.js';
import type { PrivateKey } from '../crypto/keys/types.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { DISCONNECT_REASON, DisconnectError, SshError, TimeoutError } from '../errors.js';
import type { RandomSource } from '../kex/types.js';
import { serverHostKey, serverTransport } from '../lifecycle.js';
import type { ByteStream } from '../transport/stream.js';
import type { Transport, TransportEvents } from '../transport/transport.js';
import { readBE32 } from '../wire/bytes.js';
import { serverAlgorithms, type ServerAlgorithmPreferences, type ServerAlgorithms } from './algorithms.js';
import { parseAuthenticationMethods, userSpecificDelay } from './auth-policy.js';
import { ServerConnection, type ConnectionHandlers } from './connection.js';
import type { HostKeySigner } from './hostkeys.js';
import { parseMaxStartups, shouldDrop, SourcePenalties, type MaxStartups, type PenaltyKind, type PenaltyOptions } from './limits.js';
import { SYSTEM_CLOCK, type PeerInfo, type SecurityKeyServerPolicy, type ServerAuthHandlers, type ServerClock, type UserSettings } from './types.js';
import { runUserauth, type AuthAttemptEvent } from './userauth.js';

/** sshd's limits, with its defaults. */
export interface ServerLimits {
  /** MaxAuthTries (default 6): the connection is dropped at this many failed attempts */
  maxAuthTries?: number;
  /** LoginGraceTime in ms (default 120000); 0: no limit */
  loginGraceTime?: number;
  /** MaxSessions per connection (default 10) */
  maxSessions?: number;
  /** MaxStartups "start:rate:full" or its parts (default 10:30:100) */
  maxStartups?: string | MaxStartups;
  /**
   * PerSourcePenalties (sshd 9.8): off unless given (true: sshd's defaults). Applies to
   * connections accepted with a `remoteAddress`.
   */
  perSourcePenalties?: boolean | PenaltyOptions;
  /**
   * Minimum time (ms) a failed attempt by `username` takes, or false for none. Default:
   * sshd's per-user delay, 5 to 9 ms derived from a per-server secret and the user name.
   */
  authFailureDelay?: ((username: string) => number) | false;
}

/** Options of {@link SshServer}. */
export interface SshServerOptions {
  /** host keys: private keys, or ServerHostKey signers (e.g. backed by an HSM) */
  hostKeys: readonly (PrivateKey | HostKeySigner)[];
  /** algorithm preferences (default: sshd 9.x's order for what puressh implements) */
  algorithms?: ServerAlgorithmPreferences;
  /** the authentication callbacks, one per method; a method without one is not offered */
  auth: ServerAuthHandlers;
  /**
   * AuthenticationMethods: "publickey,password publickey,keyboard-interactive" style, its
   * parsed lists, or a function of the user name. Default: any one method.
   */
  authenticationMethods?: string | readonly (readonly string[])[] | ((username: string, peer: PeerInfo) => readonly (readonly string[])[] | null);
  /** the connection protocol's routes (sessions, forwarding, global requests) */
  handlers?: ConnectionHandlers;
  /** USERAUTH_BANNER text sent before the first authentication answer (sshd's Banner) */
  banner?: string;
  /**
   * Settings for the user logging in (sshd's `Match User`): called once per connection with
   * the first authentication request's user name, before the banner goes out. What it returns
   * replaces `banner` and `limits.maxAuthTries` for the rest of authentication, and
   * `limits.maxSessions` and the rekey limits once the user is in.
   */
  userSettings?: (username: string, peer: PeerInfo) => UserSettings | undefined;
  /**
   * PubkeyAuthOptions for FIDO security key signatures (PROTOCOL.u2f): `touchRequired`
   * demands the user-presence flag even from keys accepted with `noTouchRequired`;
   * `verifyRequired` demands the user-verification flag of every one.
   */
  pubkeyAuthOptions?: SecurityKeyServerPolicy;
  limits?: ServerLimits;
  /** the identification string we send (default: puressh's) */
  serverVersion?: string;
  /** the receive window and maximum packet of channels (default 2 MiB / 32 KiB) */
  window?: number;
  maxPacket?: number;
  rekeyBytes?: number;
  rekeySeconds?: number;
  /** cipher, MAC and public-key implementations (the Node entry's listen() defaults to node:crypto) */
  crypto?: CryptoProvider;
  random?: RandomSource;
  /** timers for LoginGraceTime, failure delays and penalties (tests inject a fake) */
  clock?: ServerClock;
  /**
   * trace lines: message names, methods, user names, fingerprints; never secrets. `peer` is
   * the connection's endpoints as given to accept(), so a log can apply a per-connection level.
   */
  debug?: (line: string, peer: AcceptOptions) => void;
  /** transport-generic messages from each client */
  events?: TransportEvents;
  /** every decided authentication attempt (and publickey queries the key passes, as postponed), with where it came from (for logs like sshd's); never credentials */
  onAuthAttempt?: (event: AuthAttemptEvent, peer: Omit<PeerInfo, 'sessionId' | 'clientVersion'>) => void;
}

/** Where an accepted stream comes from. */
export interface AcceptOptions {
  remoteAddress?: string;
  remotePort?: number;
  /** the local end of the connection, passed on to callbacks in PeerInfo */
  localAddress?: string;
  localPort?: number;
}

/**
 * One client connection from accept to close: `authenticated` resolves with the
 * {@link ServerConnection} once the user logged in (rejects if that never happens),
 * `closed` when the connection has ended.
 */
export class IncomingConnection {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  /** resolves once authentication succeeded; rejects when the connection ends before */
  readonly authenticated: Promise<ServerConnection>;
  private transport: Transport | null = null;
  private readonly closedPromise: Promise<SshError | null>;
  private closeNow: (err: SshError | null) => void = () => {};
  private conn: ServerConnection | null = null;

  /** @internal */
  constructor(info: AcceptOptions, run: (self: IncomingConnection) => Promise<ServerConnection>) {
    this.remoteAddress = info.remoteAddress;
    this.remotePort = info.remotePort;
    this.closedPromise = new Promise((resolve) => (this.closeNow = resolve));
    this.authenticated = run(this).then((c) => (this.conn = c));
    this.authenticated.catch(() => {});
  }

  /** Resolves with the error that ended the connection, or null after a clean disconnect. */
  get closed(): Promise<SshError | null> {
    return this.closedPromise;
  }

  /** The authenticated connection, once there is one. */
  get connection(): ServerConnection | null {
    return this.conn;
  }

  /** The client's identification string, once received. */
  get clientVersion(): string {
    return this.transport?.clientVersion ?? '';
  }

  /** Disconnect (BY_APPLICATION) and close. */
  async close(description = 'disconnected by server'): Promise<void> {
    const t = this.transport;
    if (!t) {
      this.closeNow(null);
      return;
    }
    await t.disconnect(DISCONNECT_REASON.BY_APPLICATION, description);
    await this.closedPromise;
  }

  /** @internal */
  bind(t: Transport): void {
    this.transport = t;
    void t.closed.then((e) => this.closeNow(e));
  }

  /** @internal ended for a reason of the server's (refused, out of time) before the transport says so */
  settle(err: SshError): void {
    this.closeNow(err);
  }
}

/**
 * An SSH server. Give it byte streams with `accept` (the Node entry's `listen` does that
 * for TCP); each becomes an {@link IncomingConnection}. `close()` disconnects them all.
 */
export class SshServer {
  private readonly hostKeys: HostKeySigner[];
  private readonly algorithms: ServerAlgorithms;
  private readonly clock: ServerClock;
  private readonly random: RandomSource;
  private readonly maxStartups: MaxStartups;
  private readonly penalties: SourcePenalties | null;
  private readonly failureDelay: ((username: string) => number) | undefined;
  private readonly authenticationMethods:
    readonly (readonly string[])[] | null | undefined | ((username: string, peer: PeerInfo) => readonly (readonly string[])[] | null);
  private readonly live = new Set<IncomingConnection>();
  private unauthenticated = 0;
  private closing = false;

  constructor(private readonly options: SshServerOptions) {
    if (options.hostKeys.length === 0) throw new SshError('INVAL', 'a server needs at least one host key');
    this.hostKeys = options.hostKeys.map((k) => ('publicKey' in k ? serverHostKey(k, options.crypto) : k));
    this.algorithms = serverAlgorithms(options.algorithms);
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.random = options.random ?? randomBytes;
    const limits = options.limits ?? {};
    const ms = limits.maxStartups ?? '10:30:100';
    this.maxStartups = typeof ms === 'string' ? parseMaxStartups(ms) : ms;
    const p = limits.perSourcePenalties;
    this.penalties = p ? new SourcePenalties(p === true ? {} : p) : null;
    this.failureDelay = limits.authFailureDelay === false ? undefined : (limits.authFailureDelay ?? userSpecificDelay(this.random(32)));
    const am = options.authenticationMethods;
    this.authenticationMethods = typeof am === 'string' ? parseAuthenticationMethods(am) : am;
  }

  /** Connections accepted and not yet closed. */
  get connectionCount(): number {
    return this.live.size;
  }

  /** The host keys as the transport uses them. */
  get hostKeySigners(): readonly HostKeySigner[] {
    return this.hostKeys;
  }

  /**
   * Serve one client over `stream`. Refused at once (the stream closed, nothing sent, as
   * sshd drops) when the server is closing, the source is penalised, or MaxStartups says so.
   */
  accept(stream: ByteStream, info: AcceptOptions = {}): IncomingConnection {
    const tag = info.remoteAddress !== undefined ? `[${info.remoteAddress}]:${info.remotePort ?? 0} ` : '';
    const debug = this.options.debug ? (line: string) => this.options.debug!(tag + line, info) : undefined;
    const refusal = this.refusal(info);
    if (refusal) {
      debug?.(`refused: ${refusal.message}`);
      try {
        stream.close();
      } catch {
        // already gone
      }
      const refused = new IncomingConnection(info, () => Promise.reject(refusal));
      refused.settle(refusal);
      return refused;
    }
    const incoming = new IncomingConnection(info, (self) => this.serve(self, stream, info, debug));
    this.live.add(incoming);
    void incoming.closed.then(() => this.live.delete(incoming));
    return incoming;
  }

  /** Stop accepting, disconnect every connection and wait for them to close. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.live].map((c) => c.close('server shutting down').catch(() => {})));
  }

  private refusal(info: AcceptOptions): SshError | null {
    if (this.closing) return new DisconnectError(DISCONNECT_REASON.BY_APPLICATION, 'server is closing', false);
    if (info.remoteAddress !== undefined && this.penalties?.blocked(info.remoteAddress, this.clock.now())) {
      return new DisconnectError(DISCONNECT_REASON.HOST_NOT_ALLOWED_TO_CONNECT, 'source penalised (PerSourcePenalties)', false);
    }
    if (shouldDrop(this.maxStartups, this.unauthenticated, readBE32(this.random(4), 0) / 0x100000000)) {
      return new DisconnectError(DISCONNECT_REASON.TOO_MANY_CONNECTIONS, 'past MaxStartups', false);
    }
    return null;
  }

  private async serve(incoming: IncomingConnection, stream: ByteStream, info: AcceptOptions, debug?: (line: string) => void): Promise<ServerConnection> {
    const o = this.options;
    const limits = o.limits ?? {};
    const t = serverTransport(stream, {
      algorithms: this.algorithms.kexInit,
      hostKeys: this.hostKeys,
      // RFC 8308 §3.1: server-sig-algs lists plain signature algorithms, not certificate types.
      serverSigAlgs: this.algorithms.publicKey.filter((a) => !a.includes('-cert-')),
      random: o.random,
      provider: o.crypto,
      rekeyBytes: o.rekeyBytes,
      rekeySeconds: o.rekeySeconds,
      debug,
      events: o.events,
      serverVersion: o.serverVersion,
    });
    incoming.bind(t);
    this.unauthenticated++;
    let counted = true;
    const uncount = (): void => {
      if (counted) this.unauthenticated--;
      counted = false;
    };
    let graceExpired = false;
    let failedAttempts = 0;
    const grace = limits.loginGraceTime ?? 120_000;
    const timer =
      grace > 0
        ? this.clock.setTimeout(() => {
            graceExpired = true;
            debug?.('login grace time exceeded');
            incoming.settle(new TimeoutError('Timeout before authentication (LoginGraceTime)'));
            void t.disconnect(DISCONNECT_REASON.PROTOCOL_ERROR, 'Timeout before authentication');
          }, grace)
        : null;
    const stopTimer = (): void => {
      if (timer !== null) this.clock.clearTimeout(timer);
    };
    void t.closed.then(() => {
      stopTimer();
      if (counted) {
        uncount();
        const kind: PenaltyKind = graceExpired ? 'grace-exceeded' : failedAttempts > 0 ? 'authfail' : 'noauth';
        if (info.remoteAddress !== undefined) this.penalties?.penalise(info.remoteAddress, kind, this.clock.now());
      }
    });
    try {
      await t.start();
      const where = { remoteAddress: info.remoteAddress, remotePort: info.remotePort, localAddress: info.localAddress, localPort: info.localPort };
      const peer: PeerInfo = { ...where, clientVersion: t.clientVersion, sessionId: t.sessionId! };
      let userSettings: UserSettings = {};
      const user = await runUserauth(t, {
        handlers: o.auth,
        peer: { ...where, clientVersion: t.clientVersion },
        authenticationMethods: this.authenticationMethods,
        publicKeyAlgorithms: this.algorithms.publicKey,
        hostbasedAlgorithms: this.algorithms.hostbased,
        maxAuthTries: limits.maxAuthTries,
        banner: o.banner,
        userSettings: o.userSettings ? (username, p) => (userSettings = o.userSettings!(username, p) ?? {}) : undefined,
        pubkeyAuthOptions: o.pubkeyAuthOptions,
        failureDelay: this.failureDelay,
        clock: this.clock,
        publicKey: o.crypto?.publicKey,
        debug,
        onAttempt: (e: AuthAttemptEvent) => {
          if (e.result === 'failure') failedAttempts++;
          o.onAuthAttempt?.(e, where);
        },
      });
      stopTimer();
      uncount();
      if (userSettings.rekeyBytes !== undefined || userSettings.rekeySeconds !== undefined) {
        t.setRekeyLimits(userSettings.rekeyBytes ?? o.rekeyBytes ?? 0, userSettings.rekeySeconds ?? o.rekeySeconds ?? 0);
      }
      const conn = new ServerConnection(t, user, peer, o.handlers ?? {}, {
        maxSessions: userSettings.maxSessions ?? limits.maxSessions,
        window: o.window,
        maxPacket: o.maxPacket,
        hostKeys: this.hostKeys,
        kexHostKeyAlgorithm: t.negotiated?.hostKey,
        debug,
      });
      void t.closed.then((err) => conn.connection.shutdown(err ?? new SshError('SOCKET_DISCONNECT', 'connection closed')));
      // sshd announces its host keys right after authentication (OpenSSH PROTOCOL §2.5).
      void conn.announceHostKeys().catch(() => {});
      return conn;
    } catch (e) {
      const err = e instanceof SshError ? e : new SshError('PROTO', `connection failed: ${(e as Error | undefined)?.message ?? String(e)}`);
      t.fail(err);
      throw (await t.closed) ?? err;
    }
  }
}
