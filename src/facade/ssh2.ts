/**
 * `puressh/net-ssh2`: Net::SSH2's API over the puressh core. The same method
 * names, arguments and meaning; I/O methods return Promises; Perl's undef-on-failure is
 * `undefined`, with the libssh2 error code then read from `error()`. See docs/net-ssh2.md.
 *
 * @example
 * ```ts
 * const ssh2 = new SSH2();
 * (await ssh2.connect('example.com')) || ssh2.die_with_error();
 * (await ssh2.check_hostkey('tofu')) || ssh2.die_with_error();
 * (await ssh2.auth_publickey('me', null, '/home/me/.ssh/id_ed25519')) || ssh2.die_with_error();
 * const chan = (await ssh2.channel())!;
 * await chan.exec('ls');
 * for await (const line of chan) process.stdout.write(line);
 * ```
 */
import type { AuthMethod, AuthOutcome } from '../auth/types.js';
import type { Channel as CoreChannel } from '../connection/channel.js';
import type { Connection } from '../connection/connection.js';
import { Forwarding, openDirectTcpip } from '../connection/forward.js';
import { execOn, openSession, Session } from '../connection/session.js';
import { hostKeyHash } from '../crypto/fingerprint.js';
import { nodeProvider } from '../crypto/node/index.js';
import { DisconnectError, LIBSSH2_ERROR, SshError, type ErrorCode } from '../errors.js';
import { SftpClient } from '../sftp/client.js';
import { scpGet, scpGetFile, scpPut, scpPutFile } from '../sftp/scp.js';
import { nodeLocalFs } from '../sftp/node-fs.js';
import type { Socket } from 'node:net';
import { clientTransport, UserauthStage, type TransportView } from '../lifecycle.js';
import type { ByteStream } from '../transport/stream.js';
import { CLIENT_SOFTWARE } from '../transport/version.js';
import * as A from './auth.js';
import { authWithRank, type AuthOps, type AuthParams } from './auth-rank.js';
import { Channel } from './channel.js';
import { checkHostkey, type HostkeyPolicy } from './check-hostkey.js';
import {
  errorName,
  LIBSSH2_CHANNEL_PACKET_DEFAULT,
  LIBSSH2_CHANNEL_WINDOW_DEFAULT,
  LIBSSH2_FLAG_COMPRESS,
  LIBSSH2_SESSION_BLOCK_INBOUND,
  LIBSSH2_SESSION_BLOCK_OUTBOUND,
  parseConstant,
} from './constants.js';
import { KnownHosts } from './knownhosts.js';
import { Listener } from './listener.js';
import { kexInitLists, negotiatedMethod, validateMethods } from './methods.js';
import { asByteStream, askUser, basename, localUser, printStderr, tcpConnect } from './node-io.js';
import { PendingOps, type IoOptions } from './nonblocking.js';
import { pollItems, type PollItem } from './poll.js';
import { PublicKey } from './publickey.js';
import { SFTP } from './sftp.js';
import { attempt, ErrorSlot } from './state.js';

/** puressh's version, reported by `version()` in place of libssh2's. */
export const VERSION = '0.1.0';
const HOSTKEY_TYPES: Record<string, number> = {
  'ssh-rsa': 1,
  'ssh-dss': 2,
  'ecdsa-sha2-nistp256': 3,
  'ecdsa-sha2-nistp384': 4,
  'ecdsa-sha2-nistp521': 5,
  'ssh-ed25519': 6,
};
let debugEnabled = false;

export interface SSH2Options {
  /** ms; see timeout() */
  timeout?: number;
  trace?: number;
  debug?: boolean | number;
  compress?: boolean | number;
  sigpipe?: boolean | number;
}

export class SSH2 {
  private readonly err = new ErrorSlot();
  private socket: Socket | null = null;
  /** @internal */ transport: TransportView | null = null;
  private userauth: UserauthStage | null = null;
  private connection: Connection | null = null;
  private forwarding: Forwarding | null = null;
  private authed = false;
  private host: string | undefined;
  private remotePort: number | undefined;
  private timeoutMs = 0;
  private traceMask = 0;
  private isBlocking = true;
  private readonly flags = new Map<number, number>();
  private readonly prefs = new Map<number, string[]>();
  private readonly callbacks = new Map<number, (...args: unknown[]) => unknown>();
  private ident: string | undefined;
  private keepalive = { wantReply: false, interval: 0, last: 0 };
  /** @internal set by the last EAGAIN */ _block_directions = 0;
  private readonly pending = new PendingOps();
  /** Net::SSH2's `_ask_user` (prompt on stderr, line from stdin, no echo on a terminal unless `echo`); replace it to answer prompts yourself. */
  _ask_user: (prompt: string, echo: boolean) => Promise<string | undefined> = (prompt, echo) => askUser(prompt, echo);

  constructor(options: SSH2Options = {}) {
    if (options.trace !== undefined) this.trace(options.trace);
    if (options.timeout !== undefined) this.timeout(options.timeout);
    if (options.debug !== undefined) SSH2.debug(options.debug);
    if (options.compress !== undefined) this.flag('COMPRESS', options.compress ? 1 : 0);
    if (options.sigpipe !== undefined) this.flag('SIGPIPE', options.sigpipe ? 1 : 0);
  }

  /** Perl's `Net::SSH2->new(%options)`. */
  static new(options: SSH2Options = {}): SSH2 {
    return new SSH2(options);
  }

  // ---------------------------------------------------------------- errors and state

  /** @internal run an I/O operation with the session's timeout; failures set error(), a wait for the network in blocking mode clears it */
  _attempt<T>(op: () => Promise<T>, fallback: ErrorCode = 'PROTO'): Promise<T | undefined> {
    return attempt(this.err, op, { timeoutMs: this.timeoutMs, fallback, clearOnWait: this.isBlocking });
  }

  /**
   * @internal `owner.method(...args)` doing I/O: failures set error(); in non-blocking mode
   * EAGAIN until the operation (found again by object, method and arguments) has settled.
   */
  _io<T>(owner: object, method: string, args: readonly unknown[], op: () => Promise<T>, opts: IoOptions = {}): Promise<T | undefined> {
    return this.pending.run(this.#ioContext, owner, method, args, op, opts);
  }

  get #ioContext() {
    return {
      blocking: this.isBlocking,
      slot: this.err,
      timeoutMs: this.timeoutMs,
      wouldBlock: (direction?: number) => this._would_block(direction),
    };
  }

  /** @internal record EAGAIN: inbound, plus outbound while our writes wait for the socket */
  _would_block(direction?: number): undefined {
    this._block_directions = direction ?? LIBSSH2_SESSION_BLOCK_INBOUND | ((this.socket?.writableLength ?? 0) > 0 ? LIBSSH2_SESSION_BLOCK_OUTBOUND : 0);
    this.err.set(LIBSSH2_ERROR.EAGAIN, 'Would block');
    return undefined;
  }

  /** @internal record a failure in error() (for composite operations) */
  _fail(e: unknown): void {
    this.err.fail(e);
  }

  /** @internal Net::SSH2's `_set_error` (no arguments: NONE) */
  _set_error(code = 0, message = ''): undefined {
    this.err.set(code, message);
    return undefined;
  }

  /** The last error code (0 if none). */
  error(): number {
    return this.err.code;
  }

  /** List context: [code, "LIBSSH2_ERROR_<NAME>", message], or [] when the code is NONE. */
  error_list(): [] | [number, string, string] {
    return this.err.code === 0 ? [] : [this.err.code, errorName(this.err.code), this.err.message];
  }

  /** Throws "message: string (code NAME)". The only method that throws. */
  die_with_error(...message: string[]): never {
    const e = this.error_list();
    const tail = e.length ? `${e[2]} (${e[0]} ${e[1]})` : 'no libssh2 error registered';
    throw new Error([...message, tail].join(': '));
  }

  // ---------------------------------------------------------------- configuration

  /** Set the ident sent to the server: "SSH-2.0-" + text. */
  banner(text: string): true {
    this.ident = `SSH-2.0-${text}`;
    return true;
  }

  /** puressh's version string (list form: version_list). */
  version(): string {
    return VERSION;
  }

  /** List context: [version, numeric 0xMMmmpp, default banner]. */
  version_list(): [string, number, string] {
    const [a = 0, b = 0, c = 0] = VERSION.split('.').map(Number);
    return [VERSION, (a << 16) | (b << 8) | c, `SSH-2.0-${CLIENT_SOFTWARE}`];
  }

  /** The same as the instance method `version`, callable as `Net::SSH2->version`. */
  static version(): string {
    return VERSION;
  }

  /** The connected socket (a Node net.Socket), or undefined. */
  sock(): Socket | undefined {
    return this.socket ?? undefined;
  }

  /** libssh2_trace: a bitmask of LIBSSH2_TRACE_*; -1 all. Trace lines go to stderr. */
  trace(bitmask: number): void {
    this.traceMask = bitmask;
  }

  /** Get or set the blocking timeout in ms (0 or undefined: none). */
  timeout(ms?: number | null): number {
    if (ms !== undefined) this.timeoutMs = ms ?? 0;
    return this.timeoutMs;
  }

  /** Class method: Net::SSH2's own debug output to stderr. */
  static debug(state: boolean | number): void {
    debugEnabled = !!state;
  }

  /** Net::SSH2's `debug`: turn debug output on or off. */
  debug(state: boolean | number): void {
    SSH2.debug(state);
  }

  /** Get (after connect: the negotiated algorithm) or set (list or comma string) a method preference. */
  method(type: string | number, ...values: (string | string[])[]): string | true | undefined {
    const t = parseConstant('METHOD', type);
    if (t === undefined || t < 0 || t > 9) return this._set_error(LIBSSH2_ERROR.INVAL, `unknown method type ${String(type)}`);
    if (values.length === 0) {
      const got = negotiatedMethod(this.transport?.negotiated ?? null, t);
      if (got === undefined) return this._set_error(LIBSSH2_ERROR.METHOD_NONE, 'method not negotiated yet');
      return got;
    }
    const names = values
      .flat()
      .flatMap((v) => v.split(','))
      .map((s) => s.trim())
      .filter(Boolean);
    const ok = validateMethods(t, names);
    if (ok.length === 0) return this._set_error(LIBSSH2_ERROR.METHOD_NOT_SUPPORTED, 'The requested method(s) are not currently supported');
    this.prefs.set(t, ok);
    return true;
  }

  /** libssh2_session_flag: COMPRESS or SIGPIPE (constant or short name). */
  flag(key: string | number, value: number | boolean): true | undefined {
    const k = parseConstant('FLAG', key);
    if (k === undefined) return this._set_error(LIBSSH2_ERROR.INVAL, `unknown flag ${String(key)}`);
    this.flags.set(k, Number(value));
    return true;
  }

  /** Install a callback: IGNORE (ss, msg), DEBUG (ss, always_display, msg, lang), DISCONNECT (ss, reason, msg, lang), MACERROR (ss, packet: always undefined; the connection closes regardless), X11 (never called: no X11 forwarding). */
  callback(type: string | number, cb: ((...args: unknown[]) => unknown) | null | undefined): true | undefined {
    const t = parseConstant('CALLBACK', type);
    if (t === undefined) return this._set_error(LIBSSH2_ERROR.INVAL, `unknown callback type ${String(type)}`);
    if (cb) this.callbacks.set(t, cb);
    else this.callbacks.delete(t);
    return true;
  }

  /** Get or set blocking mode (session-wide). */
  blocking(flag?: boolean | number | null): boolean {
    if (flag !== undefined && flag !== null) this.isBlocking = !!flag;
    return this.isBlocking;
  }

  /** After EAGAIN: LIBSSH2_SESSION_BLOCK_INBOUND and/or _OUTBOUND. */
  block_directions(): number {
    return this._block_directions;
  }

  #log(line: string): void {
    if (debugEnabled || this.traceMask !== 0) printStderr(`libssh2: ${line}\n`);
  }

  // ---------------------------------------------------------------- connection

  /** Connect to host[:port] (port defaults to 22) or over a socket/ByteStream, and run the handshake. */
  connect(hostOrHandle: string | Socket | ByteStream, port?: number | string): Promise<true | undefined> {
    return this._io(
      this,
      'connect',
      [hostOrHandle, port],
      async () => {
        let io: { socket: Socket | null; stream: ByteStream };
        if (typeof hostOrHandle === 'string') {
          this.host = hostOrHandle;
          this.remotePort = port === undefined ? 22 : Number(port);
          if (!Number.isInteger(this.remotePort)) throw new SshError('SOCKET_NONE', `Unable to resolve TCP service name ${String(port)}`);
          io = await tcpConnect(hostOrHandle, this.remotePort, this.timeoutMs || undefined);
        } else {
          io = asByteStream(hostOrHandle);
          this.host = io.socket?.remoteAddress;
          this.remotePort = io.socket?.remotePort ?? 22;
        }
        this.socket = io.socket;
        const lists = kexInitLists(this.prefs, this.flags.get(LIBSSH2_FLAG_COMPRESS) ? true : false);
        const t = clientTransport(io.stream, {
          algorithms: lists,
          provider: nodeProvider,
          clientVersion: this.ident,
          debug: (l) => this.#log(l),
          events: {
            ignore: (data) => void this.callbacks.get(0)?.(this, utf8Text(data)),
            debug: (always, message, lang) => void this.callbacks.get(1)?.(this, always ? 1 : 0, message, lang),
            macError: () => void this.callbacks.get(3)?.(this, undefined),
          },
          // Net::SSH2 checks the host key after connect (check_hostkey): accept here.
          checkHostKey: async () => {},
        });
        this.transport = t;
        void t.closed.then((e) => {
          if (e instanceof DisconnectError && e.byPeer) void this.callbacks.get(2)?.(this, e.reason, e.description, '');
        });
        await t.start();
        // libssh2's session startup ends with the ssh-userauth service request (RFC 4253 §10).
        this.userauth = await UserauthStage.start(t, { username: '', onBanner: (text) => this.#log(`banner: ${text}`), publicKey: nodeProvider.publicKey });
        return true as const;
      },
      { fallback: 'SOCKET_NONE' },
    );
  }

  /** Send SSH_MSG_DISCONNECT (reason default BY_APPLICATION, 11) and close. */
  disconnect(description = '', reason: number = 11, lang = ''): Promise<true | undefined> {
    return this._io(this, 'disconnect', [description, reason, lang], async () => {
      await this.transport?.disconnect(reason, description);
      return true as const;
    });
  }

  /** Net::SSH2's `hostname`: the host connected to. */
  hostname(): string | undefined {
    return this.host;
  }

  /** Net::SSH2's `port`: the port connected to. */
  port(): number | undefined {
    return this.remotePort;
  }

  /** Raw hash of the server's host key: 'md5' (16 bytes), 'sha1' (20), 'sha256' (32). */
  hostkey_hash(type: string | number): Uint8Array | undefined {
    const t = parseConstant('HOSTKEY_HASH', type);
    const name = t === 1 ? 'md5' : t === 2 ? 'sha1' : t === 3 ? 'sha256' : undefined;
    if (!name) return this._set_error(LIBSSH2_ERROR.INVAL, `unknown hash type ${String(type)}`);
    if (!this.transport?.hostKeyBlob) return this._set_error(LIBSSH2_ERROR.SOCKET_NONE, 'not connected');
    return hostKeyHash(this.transport.hostKeyBlob, name);
  }

  /** Deprecated name of hostkey_hash. */
  hostkey(type: string | number): Uint8Array | undefined {
    return this.hostkey_hash(type);
  }

  /** [raw key blob, LIBSSH2_HOSTKEY_TYPE_*]. */
  remote_hostkey(): [Uint8Array, number] | undefined {
    const blob = this.transport?.hostKeyBlob;
    if (!blob) return this._set_error(LIBSSH2_ERROR.SOCKET_NONE, 'not connected');
    const type = new TextDecoder().decode(blob.subarray(4, 4 + new DataView(blob.buffer, blob.byteOffset).getUint32(0)));
    return [blob.slice(), HOSTKEY_TYPES[type] ?? 0];
  }

  /** Verify the host key against known_hosts with a policy; "00" on match, else a CHECK_* code, or undefined. */
  check_hostkey(policy?: HostkeyPolicy | null, known_hosts_path?: string | null, comment?: string | null): Promise<string | number | undefined> {
    return checkHostkey(this, policy ?? undefined, known_hosts_path ?? undefined, comment ?? undefined);
  }

  /** Net::SSH2's `known_hosts`: a {@link KnownHosts} object. */
  known_hosts(): KnownHosts {
    return new KnownHosts(this);
  }

  // ---------------------------------------------------------------- authentication

  readonly #authHost: A.AuthHost = { attempt: (method, username) => this.#attemptAuth(method, username) };

  async #attemptAuth(method: AuthMethod, username: string): Promise<AuthOutcome> {
    // RFC 4252 §5.3: the server ignores userauth requests after success (sshd answers
    // UNIMPLEMENTED); libssh2 sends one anyway and waits until its timeout. Same code, no wait.
    if (this.authed) throw new SshError('TIMEOUT', 'already authenticated: the server ignores further authentication requests');
    if (!this.userauth) throw new SshError('SOCKET_NONE', 'not connected');
    const outcome = await this.userauth.attempt(method, username);
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- another attempt may have succeeded during the await (non-blocking mode)
    if (outcome.success && !this.authed) {
      this.authed = true;
      this.connection = this.userauth.finish();
      this.forwarding = new Forwarding(this.connection);
    }
    return outcome;
  }

  /** Comma-separated methods the server accepts (undefined if "none" succeeded). */
  async auth_list(username: string = localUser()): Promise<string | undefined> {
    return (await this.auth_list_list(username))?.join(',');
  }

  /** List context of auth_list. */
  auth_list_list(username: string = localUser()): Promise<string[] | undefined> {
    return this._io(this, 'auth_list', [username], async () => (await this._authOps.list(username)) ?? undefined);
  }

  /** Net::SSH2's `auth_ok`: whether the session is authenticated. */
  auth_ok(): boolean {
    return this.authed;
  }

  /** Net::SSH2's `auth_password`: password authentication, or the password-change callback. */
  auth_password(username: string, password?: string | null, callback?: (ss: SSH2, username: string) => unknown): Promise<true | undefined> {
    return this._io(this, 'auth_password', [username, password, callback], () =>
      this._authOps.password(username, password ?? undefined, callback).then(() => true as const),
    );
  }

  /** Ask for the password (via `_ask_user`, without echo) up to 3 times. */
  auth_password_interact(username: string, callback?: (ss: SSH2, username: string) => unknown): Promise<true | undefined> {
    return this._io(this, 'auth_password_interact', [username, callback], () => this._authOps.passwordInteract(username, callback).then(() => true as const));
  }

  /** Public-key auth from files (the public key path may be null: it is derived from the private key). */
  auth_publickey(username: string, publickey_path: string | null | undefined, privatekey_path: string, passphrase?: string | null): Promise<true | undefined> {
    return this._io(this, 'auth_publickey', [username, publickey_path, privatekey_path, passphrase], async () => {
      // libssh2 reads a named public key file first: missing or undecodable is FILE (-16).
      if (publickey_path) await A.loadPublicKey(publickey_path);
      await this._authOps.publickey(username, privatekey_path, passphrase ?? undefined);
      return true as const;
    });
  }

  /** The same from memory (the private key as text or bytes, any format puressh reads). */
  auth_publickey_frommemory(
    username: string,
    publickey: string | Uint8Array | null | undefined,
    privatekey: string | Uint8Array,
    passphrase?: string | null,
  ): Promise<true | undefined> {
    return this._io(this, 'auth_publickey_frommemory', [username, publickey, privatekey, passphrase], async () => {
      await A.authPublickey(this.#authHost, username, await A.loadKey({ data: privatekey }, passphrase ?? undefined));
      return true as const;
    });
  }

  /** Net::SSH2's `auth_hostbased`: hostbased authentication with a host key file. */
  auth_hostbased(
    username: string,
    publickey: string | null | undefined,
    privatekey: string,
    hostname: string,
    local_username?: string | null,
    passphrase?: string | null,
  ): Promise<true | undefined> {
    return this._io(this, 'auth_hostbased', [username, publickey, privatekey, hostname, local_username, passphrase], () =>
      this._authOps
        .hostbased(username, publickey ?? undefined, privatekey, hostname, local_username ?? undefined, passphrase ?? undefined)
        .then(() => true as const),
    );
  }

  /** keyboard-interactive with a password or a callback `(ss, username, name, instruction, ...prompts)`; with neither, prompts via `_ask_user`. */
  auth_keyboard(username: string, passwordOrCallback?: string | A.KeyboardCallback | null): Promise<true | undefined> {
    return this._io(this, 'auth_keyboard', [username, passwordOrCallback], () =>
      this._authOps.keyboard(username, passwordOrCallback ?? undefined).then(() => true as const),
    );
  }

  /** Net::SSH2's `auth_agent`: publickey authentication with the keys of ssh-agent. */
  auth_agent(username: string): Promise<true | undefined> {
    return this._io(this, 'auth_agent', [username], () => this._authOps.agent(username).then(() => true as const));
  }

  /** Net::SSH2's prioritizing auth(); resolves the name of the method that succeeded. */
  auth(params: AuthParams = {}): Promise<string | undefined> {
    return this._io(this, 'auth', [params], () => authWithRank(this._authOps, params));
  }

  /** @internal the auth methods as operations that throw on failure (auth() composes them) */
  readonly _authOps: AuthOps = {
    session: this,
    list: (username) => A.authList(this.#authHost, username),
    password: (username, password, callback) => A.authPassword(this.#authHost, username, password, callback && (() => callback(this, username))),
    passwordInteract: async (username, callback) => {
      for (let i = 0; ; i++) {
        const password = await this._ask_user(`${username}'s password? `, false);
        if (password === undefined) throw new SshError('SOCKET_TIMEOUT', 'Timeout waiting for user response!');
        try {
          return await this._authOps.password(username, password, callback);
        } catch (e) {
          if (i === 2 || !(e instanceof SshError) || e.errno !== LIBSSH2_ERROR.AUTHENTICATION_FAILED) throw e;
          printStderr('Password authentication failed!\n');
        }
      }
    },
    publickey: async (username, privatekey, passphrase) => A.authPublickey(this.#authHost, username, await A.loadKey({ path: privatekey }, passphrase)),
    hostbased: async (username, publickey, privatekey, hostname, localUsername, passphrase) => {
      // libssh2 reads the public key file first (when one is named), then the private key.
      const pub = publickey === undefined ? undefined : await A.loadPublicKey(publickey);
      await A.authHostbased(this.#authHost, username, await A.loadKey({ path: privatekey }, passphrase), hostname, localUsername ?? username, pub);
    },
    keyboard: (username, passwordOrCallback) => {
      const answer: string | A.KeyboardCallback =
        passwordOrCallback ??
        (async (_ss, user, name, instruction, ...prompts) => {
          printStderr(`[user ${user}] ${name ? `${name}\n` : ''}${instruction ? `${instruction}\n` : ''}`);
          const out: string[] = [];
          for (const p of prompts) out.push((await this._ask_user(p.text, p.echo)) ?? '');
          return out;
        });
      return A.authKeyboard(this.#authHost, this, username, answer);
    },
    agent: (username) => A.authAgent(this.#authHost, username),
  };

  // ---------------------------------------------------------------- channels

  #requireConnection(): Connection {
    if (!this.connection) throw new SshError('SOCKET_NONE', 'not authenticated');
    return this.connection;
  }

  /** A session channel (window default 2 MiB, packet 32 KiB). */
  channel(type = 'session', window_size?: number, packet_size?: number): Promise<Channel | undefined> {
    return this._io(this, 'channel', [type, window_size, packet_size], async () => {
      if (type !== 'session') throw new SshError('INVAL', `channel type must be "session"`);
      const ch = await openSession(this.#requireConnection(), {
        window: window_size ?? LIBSSH2_CHANNEL_WINDOW_DEFAULT,
        maxPacket: packet_size ?? LIBSSH2_CHANNEL_PACKET_DEFAULT,
      });
      return new Channel(this, ch);
    });
  }

  /** A direct-tcpip channel to host:port (shost/sport are informative, default 127.0.0.1:22). */
  tcpip(host: string, port: number, shost = '127.0.0.1', sport = 22): Promise<Channel | undefined> {
    return this._io(
      this,
      'tcpip',
      [host, port, shost, sport],
      async () => new Channel(this, await openDirectTcpip(this.#requireConnection(), host, port, { originatorAddress: shost, originatorPort: sport })),
    );
  }

  /** tcpip-forward on the server; the Listener's `bound_port` is Perl's \$bound_port. */
  listen(port: number, host = '0.0.0.0', _bound_port?: unknown, queue_size = 16): Promise<Listener | undefined> {
    return this._io(this, 'listen', [port, host, queue_size], async () => {
      this.#requireConnection();
      return new Listener(this, await this.forwarding!.listenTcp(host, port), queue_size);
    });
  }

  /** @internal wrap a core channel */
  _wrap(ch: CoreChannel): Channel {
    return new Channel(this, ch);
  }

  /** SCP download to a local path (default: the remote basename) or to a writable ({ write(chunk) }). */
  scp_get(remote_path: string, local?: string | { write(chunk: Uint8Array): unknown }): Promise<true | undefined> {
    return this._io(
      this,
      'scp_get',
      [remote_path, local],
      async () => {
        const host = { exec: (cmd: string) => execOn(this.#requireConnection(), cmd) };
        if (local !== undefined && typeof local !== 'string') await scpGet(host, remote_path, async (c) => void (await local.write(c)));
        else await scpGetFile(host, remote_path, local ?? basename(remote_path), nodeLocalFs);
        return true as const;
      },
      { fallback: 'FILE' },
    );
  }

  /** SCP upload of a local path, or of `{ data, mode?, mtime?, atime? }` (Perl's file handle); remote defaults to the basename. */
  scp_put(local: string | { data: string | Uint8Array; mode?: number; mtime?: number; atime?: number }, remote_path?: string): Promise<true | undefined> {
    return this._io(
      this,
      'scp_put',
      [local, remote_path],
      async () => {
        const host = { exec: (cmd: string) => execOn(this.#requireConnection(), cmd) };
        if (typeof local === 'string') await scpPutFile(host, local, remote_path ?? basename(local), nodeLocalFs, { preserve: true });
        else {
          const data = typeof local.data === 'string' ? new TextEncoder().encode(local.data) : local.data;
          const now = Math.floor(Date.now() / 1000);
          await scpPut(host, remote_path!, data, data.length, { mode: (local.mode ?? 0o644) & 0o777, mtime: local.mtime ?? now, atime: local.atime ?? now });
        }
        return true as const;
      },
      { fallback: 'FILE' },
    );
  }

  /** Start the SFTP subsystem. */
  sftp(): Promise<SFTP | undefined> {
    return this._io(this, 'sftp', [], async () => {
      const ch = await openSession(this.#requireConnection(), { window: LIBSSH2_CHANNEL_WINDOW_DEFAULT, maxPacket: LIBSSH2_CHANNEL_PACKET_DEFAULT });
      if (!(await ch.request('subsystem', true, Session.stringBody('sftp')))) {
        ch.closeNow();
        throw new SshError('CHANNEL_FAILURE', 'Unable to request SFTP subsystem');
      }
      return new SFTP(this, await SftpClient.open(ch, { serverVersion: this.transport!.serverVersion }));
    });
  }

  /** The publickey subsystem (RFC 4819). */
  public_key(): Promise<PublicKey | undefined> {
    return this._io(this, 'public_key', [], () => PublicKey._open(this, this.#requireConnection()));
  }

  // ---------------------------------------------------------------- keepalive and poll

  /** Net::SSH2's `keepalive_config`: keepalive interval in seconds, and whether to want replies. */
  keepalive_config(want_reply: boolean | number, interval: number): void {
    this.keepalive = { wantReply: !!want_reply, interval, last: 0 };
  }

  /** Send keepalive@openssh.com if due; resolves the seconds until the next one. */
  keepalive_send(): Promise<number | undefined> {
    return this._io(this, 'keepalive_send', [], async () => {
      const k = this.keepalive;
      if (k.interval <= 0) return 0;
      const now = Date.now() / 1000;
      const since = now - k.last;
      if (since < k.interval) return Math.ceil(k.interval - since);
      k.last = now;
      const conn = this.#requireConnection();
      void conn.globalRequest('keepalive@openssh.com', k.wantReply).catch(() => {});
      return k.interval;
    });
  }

  /** Deprecated libssh2_poll: fills each item's `revents`; resolves the count of ready items. */
  poll(timeout_ms: number, items: PollItem[]): Promise<number | undefined> {
    return this._attempt(() => pollItems(timeout_ms, items, this.transport));
  }
}

export default SSH2;

function utf8Text(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}
