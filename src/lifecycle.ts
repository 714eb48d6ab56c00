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
import { Transport, type TransportEvents } from './transport/transport.js';

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
  'serverVersion' | 'hostKeyBlob' | 'negotiated' | 'sessionId' | 'serverSigAlgs' | 'strictKex' | 'kexCount' | 'closed' | 'isClosed' | 'rekey' | 'disconnect'
>;

/** The client side's transport over `stream`, not yet started: `await transport.start()` runs the handshake. */
export function clientTransport(stream: ByteStream, options: ClientTransportOptions): Transport {
  const { checkHostKey, random, provider, ...rest } = options;
  return new Transport(stream, {
    ...rest,
    random: random ?? randomBytes,
    provider,
    verifyHostKeySignature: (blob, alg, H, sig) => verifySignature(blob, alg, H, sig, provider?.publicKey),
    checkHostKey: async (blob, algorithm, first) => {
      if (first) await checkHostKey(blob, algorithm);
    },
  });
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
