/**
 * The promise-based client (universal: no `node:*` imports). Runs over any ByteStream:
 * version exchange and key exchange, host-key verification before any credential is
 * sent, user authentication, then channels.
 *
 * @example
 * ```ts
 * const client = await SshClient.connect(stream, {
 *   username: 'me',
 *   hostKeyVerifier: ({ fingerprint }) => fingerprint === expected,
 *   privateKeys: [parsePrivateKey(keyText)],
 * });
 * const { stdout, code } = await client.run('uname -a');
 * ```
 */
import { concatBytes } from './wire/writer.js';
import type { AgentClient } from './auth/agent/client.js';
import { installAgentForwarding, requestAgentForwarding } from './auth/agent/forward.js';
import type { HostbasedOptions } from './auth/hostbased.js';
import type { KbdResponder } from './auth/keyboard-interactive.js';
import type { PasswordChangeCallback, PasswordSource } from './auth/password.js';
import { rankAuthMethods } from './auth/rank.js';
import type { AuthMethod } from './auth/types.js';
import type { OperationOptions } from './connection/abort.js';
import { Channel, type ExitStatus } from './connection/channel.js';
import type { Connection, OpenOptions } from './connection/connection.js';
import { Forwarding, openDirectStreamlocal, openDirectTcpip, type DirectTcpipOptions, type RemoteListener } from './connection/forward.js';
import { HostKeyUpdates } from './connection/hostkeys.js';
import { Keepalive, type KeepaliveOptions } from './connection/keepalive.js';
import { execOn, openSession, startSession, type ExecOptions, type Session } from './connection/session.js';
import { fingerprintSHA256 } from './crypto/fingerprint.js';
import {
  Certificate,
  CERT_TYPE_HOST,
  checkCertificate,
  DEFAULT_HOSTKEY_ALGORITHMS,
  HOSTKEY_ALGORITHMS,
  parsePublicKeyBlob,
  verifyCertificateSignature,
} from './crypto/keys/index.js';
import type { PrivateKey } from './crypto/keys/types.js';
import type { CryptoProvider } from './crypto/provider.js';
import { HostKeyError, SshError, TimeoutError, DISCONNECT_REASON } from './errors.js';
import { DEFAULT_KEX, KEX_ALGORITHMS } from './kex/index.js';
import type { RandomSource } from './kex/types.js';
import { CIPHERS, DEFAULT_CIPHERS, NONE_CIPHER_NAME } from './transport/cipher/index.js';
import { COMPRESSIONS } from './transport/compression.js';
import { DEFAULT_MACS, MACS, NONE_MAC_NAME } from './transport/mac/index.js';
import { clientTransport, UserauthStage, type NegotiatedAlgorithms, type TransportView } from './lifecycle.js';
import { checkedAlgorithmList, symmetricKexInitLists, type KexInitLists } from './transport/negotiate.js';
import type { ByteStream } from './transport/stream.js';
import { SftpClient, type SftpClientOptions } from './sftp/client.js';
import { scpGet, scpPut, type ScpFileInfo, type ScpPutOptions } from './sftp/scp.js';
import type { LocalFs } from './sftp/local.js';
import type { HostKeyInfo } from './crypto/keys/types.js';

export { Channel, type ExitStatus } from './connection/channel.js';
export { Session, type ExecOptions } from './connection/session.js';

export type { HostKeyInfo } from './crypto/keys/types.js';

/** Algorithm lists to offer in KEXINIT (RFC 4253 §7.1), most preferred first; an omitted list means the default. */
export interface AlgorithmPreferences {
  kex?: string[];
  hostKey?: string[];
  cipher?: string[];
  mac?: string[];
  compression?: string[];
  /** signature algorithms for publickey auth (PubkeyAcceptedAlgorithms) */
  publicKey?: string[];
}

/** Options of {@link SshClient.connect}: who to authenticate as, how, and how to check the server. */
export interface ClientOptions {
  username: string;
  /**
   * Decides whether to trust the server's host key. Runs after the server proved it holds
   * the key and before any credential is sent; false (or a throw) ends the connection.
   */
  hostKeyVerifier: (info: HostKeyInfo) => boolean | Promise<boolean>;
  password?: PasswordSource;
  privateKeys?: PrivateKey[];
  /** answers the server's password change request (SSH_MSG_USERAUTH_PASSWD_CHANGEREQ) with a new password */
  passwordChange?: PasswordChangeCallback;
  /** keyboard-interactive (RFC 4256): answers each round of the server's prompts */
  keyboardInteractive?: KbdResponder;
  /** an ssh-agent whose keys are offered for publickey authentication */
  agent?: AgentClient;
  /** forward `agent` to every session exec()/shell()/subsystem() open (auth-agent-req@openssh.com) */
  forwardAgent?: boolean;
  /** hostbased authentication (RFC 4252 §9): the client host key, host name and local user */
  hostbased?: HostbasedOptions;
  /**
   * Authentication methods in preference order, Net::SSH2 `auth(rank => …)` style: "hostbased",
   * "agent", "publickey", "keyboard" (or "keyboard-interactive"), "keyboard-auto", "password",
   * "none", or an extra method's name. Only methods with credentials are used; each is tried
   * when the server allows it. Default: hostbased, agent, publickey, keyboard, keyboard-auto, password.
   */
  authMethods?: string[];
  /** extra method implementations (keyboard-interactive, agent, hostbased, …) */
  extraAuthMethods?: AuthMethod[];
  /**
   * Start with "none" to learn which methods the server allows before trying any (RFC 4252
   * §5.2), as OpenSSH's client does. Off by default: the first configured method goes first,
   * which saves a round trip and sshd's delay on a failed attempt; `serverAuthMethods` then
   * holds what the first failure listed (empty when the first method succeeded).
   */
  queryAuthMethods?: boolean;
  /**
   * publickey: ask whether each key is acceptable (USERAUTH_PK_OK) before signing with it, as
   * OpenSSH's client does. Off by default: keys in memory sign the first request at once.
   */
  queryPublicKeys?: boolean;
  algorithms?: AlgorithmPreferences;
  /** rekey after this many bytes in either direction (default 1 GiB) */
  rekeyBytes?: number;
  /** rekey after this many seconds (default 3600) */
  rekeySeconds?: number;
  /** receives trace lines: message names, sizes, negotiated algorithms; never secrets */
  debug?: (line: string) => void;
  /** fail if version exchange, key exchange and authentication take longer (ms) */
  timeout?: number;
  /** random source (tests inject a deterministic one) */
  random?: RandomSource;
  /** the USERAUTH_BANNER text, when the server sends one */
  onBanner?: (text: string) => void;
  /** cipher, MAC and public-key implementations: the Node entry point defaults to node:crypto, the universal one to pure JS */
  crypto?: CryptoProvider;
  /** local file access for SFTP get/put (`sftp()`): the Node entry point defaults to node:fs, the universal one has none */
  localFs?: LocalFs;
  /** RFC 4419 group sizes */
  gexMin?: number;
  gexPreferred?: number;
  gexMax?: number;
  /**
   * Probe the server with keepalive@openssh.com after this many ms without traffic from it
   * (ssh's ServerAliveInterval, in ms); 0 or undefined: off.
   */
  keepaliveInterval?: number;
  /** unanswered probes before the connection is declared lost (ServerAliveCountMax; default 3) */
  keepaliveCountMax?: number;
  /**
   * Default timeout (ms) for connection-layer operations that wait for the server's answer:
   * channel opens, channel and global requests, channel close. Each call may override it
   * with its own `timeout` or `signal`.
   */
  operationTimeout?: number;
}

export type { NegotiatedAlgorithms } from './lifecycle.js';

/** What {@link SshClient.run} collects: the command's output and how it ended. */
export interface ExecResult extends ExitStatus {
  stdout: Uint8Array;
  stderr: Uint8Array;
}

export interface RunOptions extends ExecOptions {
  /** bytes for the command's stdin (then EOF) */
  input?: Uint8Array;
}

/**
 * Start `command` on `s`; with no input to send, EOF follows the exec request in the same
 * write (RFC 4254 §5.3 allows EOF at any time): the server handles both in one wake-up
 * instead of two round trips apart. A module function, not a closure per run(): the bundle
 * names each named closure it creates at run time.
 */
function execThenEof(s: Session, command: string, op: OperationOptions, noInput: boolean): Promise<void> {
  const started = s.exec(command, op);
  if (noInput) void s.eof().catch(() => {});
  return started;
}

/**
 * An SSH connection to one server, once the handshake and user authentication are done:
 * sessions, exec, SFTP, port forwarding. Create it with `SshClient.connect` over any
 * {@link ByteStream}, or `connect` from the Node entry over TCP.
 */
export class SshClient {
  /** remote listeners (tcpip-forward, streamlocal-forward) and their incoming channels */
  readonly forwarding: Forwarding;
  /** the server's other host keys (hostkeys-00@openssh.com) and proofs of possession */
  readonly hostKeyUpdates: HostKeyUpdates;
  private keepaliveTimer: Keepalive | null = null;

  private constructor(
    private readonly transport: TransportView,
    private readonly connection: Connection,
    readonly hostKey: HostKeyInfo,
    /** the method that authenticated us */
    readonly authMethod: string,
    /** the methods the server listed at the first failed attempt (RFC 4252 §5.2); empty when none failed */
    readonly serverAuthMethods: string[],
    private readonly debug?: (line: string) => void,
    private readonly localFs?: LocalFs,
  ) {
    this.forwarding = new Forwarding(connection);
    this.hostKeyUpdates = new HostKeyUpdates(connection, transport.sessionId!, transport.negotiated!.hostKey, debug);
  }

  /** Handshake, verify the host key, authenticate. */
  static async connect(stream: ByteStream, options: ClientOptions): Promise<SshClient> {
    const algorithms = algorithmLists(options.algorithms, options.debug);
    let hostKey: HostKeyInfo | null = null;
    const transport = clientTransport(stream, {
      algorithms,
      random: options.random,
      rekeyBytes: options.rekeyBytes,
      rekeySeconds: options.rekeySeconds,
      debug: options.debug,
      provider: options.crypto,
      kexOptions: { gexMin: options.gexMin, gexPreferred: options.gexPreferred, gexMax: options.gexMax },
      checkHostKey: async (blob, algorithm) => {
        const key = parsePublicKeyBlob(blob);
        const info: HostKeyInfo = { type: key.type, algorithm, blob: blob.slice(), fingerprint: fingerprintSHA256(blob) };
        if (key instanceof Certificate) {
          info.certificate = key;
          info.certificateProblem =
            verifyCertificateSignature(key, undefined, options.crypto?.publicKey) ?? checkCertificate(key, { certType: CERT_TYPE_HOST });
        }
        options.debug?.(`server host key: ${info.type} ${info.fingerprint}`);
        let ok: boolean;
        try {
          ok = await options.hostKeyVerifier(info);
        } catch (e) {
          if (e instanceof SshError) throw e;
          throw new HostKeyError('rejected', `host key verification failed: ${(e as Error | undefined)?.message ?? String(e)}`);
        }
        if (!ok) throw new HostKeyError('rejected', 'Host key verification failed.');
        hostKey = info;
      },
    });

    let timer: ReturnType<typeof setTimeout> | undefined;
    if (options.timeout !== undefined && options.timeout > 0) {
      timer = setTimeout(() => transport.fail(new TimeoutError(`timed out after ${options.timeout} ms during connection setup`)), options.timeout);
    }
    try {
      await transport.start();
      const methods: AuthMethod[] = rankAuthMethods(
        {
          password: options.password,
          passwordChange: options.passwordChange,
          privateKeys: options.privateKeys,
          publicKeyAlgorithms: options.algorithms?.publicKey,
          keyboardInteractive: options.keyboardInteractive,
          agent: options.agent,
          hostbased: options.hostbased,
          extra: options.extraAuthMethods,
          queryPublicKeys: options.queryPublicKeys,
        },
        options.authMethods,
      );
      const userauth = await UserauthStage.start(transport, {
        username: options.username,
        onBanner: options.onBanner,
        debug: options.debug,
        publicKey: options.crypto?.publicKey,
      });
      const auth = await userauth.run(methods, { queryMethods: options.queryAuthMethods });
      const connection = userauth.finish({ operationTimeout: options.operationTimeout });
      const client = new SshClient(transport, connection, hostKey!, auth.method, auth.serverMethods, options.debug, options.localFs);
      if (options.forwardAgent && options.agent) client.forwardAgentTo = options.agent;
      if (options.keepaliveInterval) client.setKeepalive({ interval: options.keepaliveInterval, countMax: options.keepaliveCountMax });
      return client;
    } catch (e) {
      const err = e instanceof SshError ? e : new SshError('PROTO', `connection setup failed: ${(e as Error | undefined)?.message ?? String(e)}`);
      if (err instanceof HostKeyError || err.code === 'AUTHENTICATION_FAILED') {
        await transport.disconnect(
          err instanceof HostKeyError ? DISCONNECT_REASON.HOST_KEY_NOT_VERIFIABLE : DISCONNECT_REASON.NO_MORE_AUTH_METHODS_AVAILABLE,
          err.message,
        );
      } else {
        transport.fail(err);
      }
      throw err;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  get serverVersion(): string {
    return this.transport.serverVersion;
  }

  get algorithms(): NegotiatedAlgorithms {
    return { ...this.transport.negotiated! };
  }

  get sessionId(): Uint8Array {
    return this.transport.sessionId!;
  }

  /** server-sig-algs from RFC 8308 EXT_INFO, or null */
  get serverSigAlgs(): readonly string[] | null {
    return this.transport.serverSigAlgs;
  }

  /** Whether strict KEX (OpenSSH's Terrapin countermeasure) is in force. */
  get strictKex(): boolean {
    return this.transport.strictKex;
  }

  /** Number of completed key exchanges (1 after connect; more after rekeys). */
  get kexCount(): number {
    return this.transport.kexCount;
  }

  /** Resolves with the error that ended the connection, or null after a clean disconnect. */
  get closed(): Promise<SshError | null> {
    return this.transport.closed;
  }

  /** The connection multiplexer, for channel types beyond session. */
  get channels(): Connection {
    return this.connection;
  }

  /** Start a key re-exchange now. */
  rekey(): Promise<void> {
    return this.transport.rekey();
  }

  /**
   * Open a session channel and run `command` (RFC 4254 §6.5), after the optional env and
   * pty requests.
   */
  exec(command: string, options?: ExecOptions): Promise<Session> {
    if (this.forwardAgentTo) return startSession(this.connection, options ?? {}, (s) => this.withAgent(s, () => s.exec(command, options)));
    return execOn(this.connection, command, options);
  }

  /** The agent forwarded to sessions opened by exec()/shell()/subsystem() (ClientOptions.forwardAgent). */
  forwardAgentTo: AgentClient | null = null;

  /**
   * Forward `agent` on a session channel, before its exec/shell: asks the server with
   * auth-agent-req@openssh.com and relays the server's auth-agent@openssh.com channels to
   * the agent. Resolves to whether the server agreed.
   */
  async forwardAgent(session: Channel, agent: AgentClient | null = this.forwardAgentTo): Promise<boolean> {
    if (!agent) throw new SshError('BAD_USE', 'agent forwarding needs an agent (ClientOptions.agent)');
    installAgentForwarding(this.connection, () => agent.connect(), this.debug);
    return requestAgentForwarding(session);
  }

  private async withAgent(s: Session, start: () => Promise<void>): Promise<void> {
    if (this.forwardAgentTo && !(await this.forwardAgent(s))) this.debug?.('the server refused agent forwarding');
    await start();
  }

  /** Open a bare session channel (for pty, shell, subsystem, env requests). */
  session(options?: OpenOptions): Promise<Session> {
    return openSession(this.connection, options);
  }

  /** Open a session and start the login shell (usually with `pty`). */
  shell(options: ExecOptions = {}): Promise<Session> {
    return startSession(this.connection, options, (s) => this.withAgent(s, () => s.shell({ signal: options.signal, timeout: options.timeout })));
  }

  /** Open a session and start a subsystem by name (see `sftp()` for SFTP). */
  subsystem(name: string, options: ExecOptions = {}): Promise<Session> {
    return startSession(this.connection, options, (s) => this.withAgent(s, () => s.subsystem(name, { signal: options.signal, timeout: options.timeout })));
  }

  /**
   * Start the "sftp" subsystem on a new session channel (RFC 4254 §6.5) and run the SFTP
   * INIT/VERSION exchange.
   */
  async sftp(options: SftpClientOptions = {}): Promise<SftpClient> {
    // A larger window and packet than a shell needs: SFTP moves 255 KiB per request.
    const ch = await this.connection.openChannel('session', undefined, { window: 16 * 1024 * 1024, maxPacket: 128 * 1024 });
    const ok = await ch.request('subsystem', true, Channel.stringBody('sftp'));
    if (!ok) {
      ch.closeNow();
      throw new SshError('CHANNEL_REQUEST_DENIED', 'the server refused the sftp subsystem');
    }
    return SftpClient.open(ch, { serverVersion: this.transport.serverVersion, localFs: this.localFs, ...options });
  }

  /** Download one file with SCP (`scp -f`); its bytes go to `sink` in order. */
  scpGet(remote: string, sink: (chunk: Uint8Array) => void | Promise<void>, options?: { preserve?: boolean }): Promise<ScpFileInfo> {
    return scpGet(this, remote, sink, options);
  }

  /** Upload `size` bytes to `remote` with SCP (`scp -t`), with mode and optional times. */
  scpPut(remote: string, source: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>, size: number, options?: ScpPutOptions): Promise<void> {
    return scpPut(this, remote, source, size, options);
  }

  /**
   * Run `command` to completion, collecting its output (stdin gets `input`, then EOF).
   * The `signal`/`timeout` options bound each step of the run.
   */
  async run(command: string, input?: Uint8Array | RunOptions): Promise<ExecResult> {
    const opts: RunOptions = input instanceof Uint8Array ? { input } : (input ?? {});
    const op: OperationOptions = { signal: opts.signal, timeout: opts.timeout };
    const noInput = !opts.input;
    const ch = await startSession(
      this.connection,
      opts,
      this.forwardAgentTo ? (s) => this.withAgent(s, () => execThenEof(s, command, op, noInput)) : (s) => execThenEof(s, command, op, noInput),
    );
    try {
      const writing = (opts.input ? ch.write(opts.input, op) : Promise.resolve()).then(() => ch.eof());
      const [stdout, stderr] = await Promise.all([collect(() => ch.read(op)), collect(() => ch.readStderr(op)), writing]);
      const status = await ch.exit;
      return { ...status, stdout, stderr };
    } catch (e) {
      void ch.close().catch(() => {});
      throw e;
    }
  }

  /** Open a direct-tcpip channel: the server connects to host:port (ssh -L, RFC 4254 §7.2). */
  forwardOut(host: string, port: number, options?: DirectTcpipOptions): Promise<Channel> {
    return openDirectTcpip(this.connection, host, port, options);
  }

  /** Open a channel to a Unix socket on the server (direct-streamlocal@openssh.com). */
  openStreamLocal(socketPath: string, options?: OpenOptions): Promise<Channel> {
    return openDirectStreamlocal(this.connection, socketPath, options);
  }

  /** Ask the server to listen on address:port (ssh -R; port 0: the server picks, see `listener.port`). */
  forwardIn(address: string, port: number, options?: OperationOptions): Promise<RemoteListener> {
    return this.forwarding.listenTcp(address, port, options);
  }

  /** Ask the server to listen on a Unix socket (streamlocal-forward@openssh.com). */
  forwardInStreamLocal(socketPath: string, options?: OperationOptions): Promise<RemoteListener> {
    return this.forwarding.listenUnix(socketPath, options);
  }

  /** Send a global request (RFC 4254 §4); resolves to the reply data, or null if refused. */
  globalRequest(name: string, wantReply: boolean, body?: Uint8Array, options?: OperationOptions): Promise<Uint8Array | null> {
    return this.connection.globalRequest(name, wantReply, body, options);
  }

  /** Start, change or (with null) stop keepalive probing (ServerAliveInterval / CountMax). */
  setKeepalive(options: KeepaliveOptions | null): void {
    this.keepaliveTimer?.stop();
    this.keepaliveTimer = options && options.interval > 0 ? new Keepalive(this.connection, options, this.debug) : null;
  }

  /** Default timeout (ms) for opens, requests and channel close; undefined: none. */
  get operationTimeout(): number | undefined {
    return this.connection.operationTimeout;
  }

  set operationTimeout(ms: number | undefined) {
    this.connection.operationTimeout = ms;
  }

  /** Disconnect cleanly (SSH_MSG_DISCONNECT, reason BY_APPLICATION). */
  disconnect(description = 'disconnected by user'): Promise<void> {
    return this.transport.disconnect(DISCONNECT_REASON.BY_APPLICATION, description);
  }
}

async function collect(read: () => Promise<Uint8Array | null>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (let c = await read(); c !== null; c = await read()) parts.push(c);
  return concatBytes(...parts);
}

/**
 * Our KEXINIT lists from the caller's preferences (OpenSSH's defaults otherwise). The `none`
 * cipher and MAC are accepted only when named explicitly, and then `debug` hears a warning.
 */
export function algorithmLists(pref: AlgorithmPreferences = {}, debug?: (line: string) => void): KexInitLists {
  const cipher = checkedAlgorithmList('cipher', pref.cipher ?? [...DEFAULT_CIPHERS], (n) => CIPHERS.has(n) || n === NONE_CIPHER_NAME);
  const mac = checkedAlgorithmList('MAC', pref.mac ?? [...DEFAULT_MACS], (n) => MACS.has(n) || n === NONE_MAC_NAME);
  if (cipher.includes(NONE_CIPHER_NAME)) debug?.('WARNING: cipher "none" offered: if negotiated, packets travel unencrypted');
  if (mac.includes(NONE_MAC_NAME)) debug?.('WARNING: MAC "none" offered: if negotiated, packets carry no integrity check');
  const compression = checkedAlgorithmList('compression', pref.compression ?? ['none'], (n) => COMPRESSIONS.has(n));
  return symmetricKexInitLists({
    kex: checkedAlgorithmList('key exchange', pref.kex ?? [...DEFAULT_KEX], (n) => KEX_ALGORITHMS.has(n)),
    hostKey: checkedAlgorithmList('host key', pref.hostKey ?? [...DEFAULT_HOSTKEY_ALGORITHMS], (n) => HOSTKEY_ALGORITHMS.has(n)),
    cipher,
    mac,
    compression,
  });
}
