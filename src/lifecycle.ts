/**
 * A connection's life in stages (universal: no `node:*` imports), shared by `SshClient`,
 * which runs them in one go, and the Net::SSH2 facade, which runs them one call at a time:
 *
 * 1. `clientTransport`: version exchange and key exchange (RFC 4253), the host key decided
 *    before anything else is sent;
 * 2. `UserauthStage`: the ssh-userauth service (RFC 4252), one method per `attempt`; the
 *    attempt that succeeds marks the transport authenticated;
 * 3. `UserauthStage.finish`: the connection protocol (RFC 4254) over the same transport.
 */
import { randomBytes } from '@noble/hashes/utils.js';
import { authenticate, startUserauth, userauthContext, type AuthResult, type UserauthAttempts, type UserauthOptions } from './auth/index.js';
import type { AuthContext, AuthMethod, AuthOutcome } from './auth/types.js';
import { Connection, type ConnectionOptions } from './connection/connection.js';
import { verifySignature } from './crypto/keys/index.js';
import type { CryptoProvider } from './crypto/provider.js';
import { SshError } from './errors.js';
import type { KexClientOptions, RandomSource } from './kex/types.js';
import type { KexInitLists } from './transport/negotiate.js';
import type { ByteStream } from './transport/stream.js';
import { Transport, type ServerHostKey, type TransportEvents } from './transport/transport.js';
import { SERVER_VERSION } from './transport/version.js';
import { MSG } from './wire/constants.js';
import { latin1Bytes } from './wire/bytes.js';
import type { PrivateKey } from './crypto/keys/types.js';

export type { NegotiatedAlgorithms } from './transport/negotiate.js';
export type { UserauthOptions } from './auth/index.js';

export interface ClientTransportOptions {
  /** our KEXINIT lists, best first */
  algorithms: KexInitLists;
  /**
   * Decides on the server's host key once the server proved it holds it, at the first key
   * exchange (later ones must present the same key: the transport checks that). Throw to refuse.
   */
  checkHostKey: (blob: Uint8Array, algorithm: string) => Promise<void>;
  /** default: @noble/hashes' randomBytes (the platform's CSPRNG) */
  random?: RandomSource | undefined;
  /** cipher/MAC/public-key implementations (default: pure JS) */
  provider?: CryptoProvider | undefined;
  rekeyBytes?: number | undefined;
  rekeySeconds?: number | undefined;
  kexOptions?: KexClientOptions | undefined;
  debug?: ((line: string) => void) | undefined;
  events?: TransportEvents | undefined;
  /** the identification we send (default: puressh's) */
  clientVersion?: string | undefined;
}

/**
 * What the layers above read from (and do to) the transport once it runs: the handshake's
 * results, its end, a clean disconnect.
 */
export type TransportView = Pick<
  Transport,
  | 'serverVersion'
  | 'clientVersion'
  | 'hostKeyBlob'
  | 'negotiated'
  | 'sessionId'
  | 'serverSigAlgs'
  | 'strictKex'
  | 'kexCount'
  | 'closed'
  | 'isClosed'
  | 'rekey'
  | 'disconnect'
>;

/** The client side's transport over `stream`, not yet started: `await transport.start()` runs the handshake. */
export function clientTransport(stream: ByteStream, options: ClientTransportOptions): Transport {
  const { checkHostKey, random, provider, kexOptions, clientVersion, ...rest } = options;
  let ackScheduled = false;
  const transport: Transport = new Transport(stream, {
    ...rest,
    version: clientVersion,
    random: random ?? randomBytes,
    provider,
    role: {
      kind: 'client',
      kexOptions,
      verifyHostKeySignature: (blob, alg, H, sig) => verifySignature(blob, alg, H, sig, provider?.publicKey),
      checkHostKey: async (blob, algorithm, first) => {
        if (first) await checkHostKey(blob, algorithm);
      },
    },
    // sshd sends small unsolicited packets right after auth (key options, hostkeys-00@openssh.com)
    // without TCP_NODELAY; with nothing to carry our ACK, the kernel delays it ~40 ms and Nagle
    // holds sshd's next small packet (the channel open confirmation) until then. An IGNORE from
    // us, unless something else went out first, makes the ACK go at once.
    onUnsolicited: () => {
      if (ackScheduled) return;
      ackScheduled = true;
      const sent = transport.packetsSent;
      // After the packets of this read and the upper layers' answers to them (microtasks).
      setTimeout(() => {
        ackScheduled = false;
        if (transport.isClosed || transport.packetsSent !== sent) return;
        void transport.send(IGNORE_PACKET).catch(() => {});
      }, 0);
    },
  });
  return transport;
}

/** SSH_MSG_IGNORE with an empty string (RFC 4253 §11.2). */
const IGNORE_PACKET = new Uint8Array([MSG.IGNORE, 0, 0, 0, 0]);

export interface ServerTransportOptions {
  /** our KEXINIT lists, best first; host-key algorithms without a key in `hostKeys` are left out */
  algorithms: KexInitLists;
  /** the host keys, each with the algorithms it signs with ({@link serverHostKey} makes one from a private key) */
  hostKeys: readonly ServerHostKey[];
  /** RFC 8308 server-sig-algs: the public-key algorithms user authentication accepts (sent in EXT_INFO) */
  serverSigAlgs?: readonly string[] | undefined;
  /** default: @noble/hashes' randomBytes (the platform's CSPRNG) */
  random?: RandomSource | undefined;
  /** cipher/MAC/public-key implementations (default: pure JS) */
  provider?: CryptoProvider | undefined;
  rekeyBytes?: number | undefined;
  rekeySeconds?: number | undefined;
  /** milliseconds since an epoch, for rekey-by-time (default Date.now) */
  clock?: (() => number) | undefined;
  debug?: ((line: string) => void) | undefined;
  events?: TransportEvents | undefined;
  /** the identification we send (default: puressh's) */
  serverVersion?: string | undefined;
}

/** The server side's transport over `stream`, not yet started: `await transport.start()` runs the handshake. */
export function serverTransport(stream: ByteStream, options: ServerTransportOptions): Transport {
  const { hostKeys, serverSigAlgs, random, serverVersion, ...rest } = options;
  if (hostKeys.length === 0) throw new SshError('INVAL', 'a server needs at least one host key');
  const extensions: [string, Uint8Array][] = serverSigAlgs ? [['server-sig-algs', latin1Bytes(serverSigAlgs.join(','))]] : [];
  return new Transport(stream, {
    ...rest,
    version: serverVersion ?? SERVER_VERSION,
    random: random ?? randomBytes,
    role: { kind: 'server', hostKeys, extensions },
  });
}

/**
 * A private key as a host key: it signs with every algorithm it can (an RSA key: rsa-sha2-512,
 * rsa-sha2-256, ssh-rsa; the server's algorithm list decides which are offered).
 */
export function serverHostKey(key: PrivateKey, provider?: CryptoProvider): ServerHostKey {
  return {
    blob: key.publicKey.blob,
    algorithms: key.signatureAlgorithms,
    sign: (algorithm, data) => key.sign(algorithm, data, provider?.publicKey),
  };
}

/**
 * The ssh-userauth service, accepted: methods are tried one `attempt` at a time (each with
 * its own user name if the caller wants: RFC 4252 §5 lets every request name one); the one
 * that succeeds ends the stage, and `finish` starts the connection protocol.
 */
export class UserauthStage implements UserauthAttempts {
  private succeeded = false;
  private finished = false;

  private constructor(
    private readonly transport: Transport,
    private readonly options: UserauthOptions,
    private readonly context: AuthContext,
  ) {}

  /** Request the service (RFC 4253 §10) and wait for the server to accept it. */
  static async start(transport: Transport, options: UserauthOptions): Promise<UserauthStage> {
    return new UserauthStage(transport, options, await startUserauth(transport, options));
  }

  /** Whether a method succeeded (USERAUTH_SUCCESS). */
  get authenticated(): boolean {
    return this.succeeded;
  }

  /** Run one method; on success the transport is told (delayed compression starts there). */
  async attempt(method: AuthMethod, username: string = this.options.username): Promise<AuthOutcome> {
    // RFC 4252 §5.1: requests after USERAUTH_SUCCESS are ignored by the server; one would wait forever.
    if (this.succeeded) throw new SshError('BAD_USE', 'already authenticated');
    const ctx = username === this.options.username ? this.context : userauthContext(this.transport, { ...this.options, username });
    const outcome = await method.attempt(ctx);
    if (outcome.success) {
      this.succeeded = true;
      this.transport.markAuthenticated();
    }
    return outcome;
  }

  /** Try `methods` in preference order (then as the server allows) until one succeeds. */
  run(methods: AuthMethod[], options: { queryMethods?: boolean | undefined } = {}): Promise<AuthResult> {
    return authenticate(this, { methods, queryMethods: options.queryMethods, debug: this.options.debug });
  }

  /** The connection protocol over the authenticated transport; it ends when the transport does. */
  finish(options?: ConnectionOptions): Connection {
    if (!this.succeeded) throw new SshError('BAD_USE', 'not authenticated');
    if (this.finished) throw new SshError('BAD_USE', 'the connection protocol has already started');
    this.finished = true;
    const connection = new Connection(this.transport, options);
    void this.transport.closed.then((err) => connection.shutdown(err ?? new SshError('SOCKET_DISCONNECT', 'connection closed')));
    return connection;
  }
}
