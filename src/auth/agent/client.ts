/**
 * An ssh-agent client over any ByteStream (universal; the Unix-socket connector is in
 * ./node.ts). One connection, opened on first use; requests go one at a time, in order.
 *
 * @example
 * ```ts
 * const agent = new AgentClient(unixSocketAgent());       // $SSH_AUTH_SOCK
 * for (const id of await agent.identities()) console.log(id.type, id.comment);
 * await SshClient.connect(stream, { username, hostKeyVerifier, agent });
 * ```
 */
import { parsePublicKeyBlob, plainNameOf, signatureAlgorithmsForKeyType } from '../../crypto/keys/index.js';
import type { PrivateKey, PublicKey } from '../../crypto/keys/types.js';
import type { CryptoProvider } from '../../crypto/provider.js';
import { SshError } from '../../errors.js';
import type { ByteStream } from '../../transport/stream.js';
import { Reader } from '../../wire/reader.js';
import { Writer } from '../../wire/writer.js';
import {
  type AddConstraints,
  AGENT_MAX_MESSAGE,
  AgentError,
  type AgentIdentity,
  decodeIdentities,
  decodeSignResponse,
  encode,
  expectSuccess,
  signFlags,
} from './protocol.js';
import { agentKeyFields, type AgentKeyFields } from './keys.js';

/** Opens a fresh connection to the agent. */
export type AgentConnector = () => Promise<ByteStream>;

/** Reads whole uint32-length-framed messages from a ByteStream. */
export class FramedStream {
  private buf = new Uint8Array(0);
  constructor(readonly stream: ByteStream) {}

  async readMessage(): Promise<Uint8Array | null> {
    for (;;) {
      if (this.buf.length >= 4) {
        const len = new DataView(this.buf.buffer, this.buf.byteOffset, 4).getUint32(0);
        if (len > AGENT_MAX_MESSAGE) throw new AgentError(`agent message of ${len} bytes exceeds the ${AGENT_MAX_MESSAGE}-byte limit`);
        if (this.buf.length >= 4 + len) {
          const msg = this.buf.slice(4, 4 + len);
          this.buf = this.buf.subarray(4 + len);
          return msg;
        }
      }
      const chunk = await this.stream.read();
      if (chunk === null) {
        if (this.buf.length > 0) throw new AgentError('agent connection closed mid-message');
        return null;
      }
      const next = new Uint8Array(this.buf.length + chunk.length);
      next.set(this.buf);
      next.set(chunk, this.buf.length);
      this.buf = next;
    }
  }

  async writeMessage(body: Uint8Array): Promise<void> {
    await this.stream.write(new Writer(body.length + 4).string(body).finish().slice());
  }
}

/** A client of ssh-agent (draft-miller-ssh-agent): lists, adds, removes keys and signs. */
export class AgentClient {
  private conn: Promise<FramedStream> | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly connector: AgentConnector,
    /** whose public-key operations check keys given to addIdentity (default: the pure code) */
    private readonly options: { provider?: CryptoProvider } = {},
  ) {}

  /** A new connection to the same agent (agent forwarding opens one per channel). */
  connect(): Promise<ByteStream> {
    return this.connector();
  }

  /** Send one request and wait for its reply; requests are serialized. */
  request(body: Uint8Array): Promise<Uint8Array> {
    const run = async (): Promise<Uint8Array> => {
      this.conn ??= this.connector().then((s) => new FramedStream(s));
      let framed: FramedStream;
      try {
        framed = await this.conn;
      } catch (e) {
        this.conn = null;
        if (e instanceof SshError) throw e;
        throw new AgentError(`cannot connect to the agent: ${(e as Error | undefined)?.message ?? String(e)}`, { cause: e });
      }
      try {
        await framed.writeMessage(body);
        const reply = await framed.readMessage();
        if (reply === null) throw new AgentError('the agent closed the connection');
        return reply;
      } catch (e) {
        // A broken exchange leaves the stream out of step: start afresh next time.
        this.conn = null;
        framed.stream.close();
        if (e instanceof AgentError) throw e;
        throw new AgentError(`agent connection failed: ${(e as Error | undefined)?.message ?? String(e)}`, { cause: e });
      }
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => {});
    return p;
  }

  /** SSH_AGENTC_REQUEST_IDENTITIES: the keys the agent holds. */
  async identities(): Promise<AgentIdentity[]> {
    return decodeIdentities(await this.request(encode.requestIdentities()));
  }

  /**
   * SSH_AGENTC_SIGN_REQUEST: sign `data` with the key `blob` using `algorithm`
   * (rsa-sha2-256/512 set the matching flag). Returns the signature blob, checked to be
   * made with `algorithm`.
   */
  async sign(blob: Uint8Array, algorithm: string, data: Uint8Array): Promise<Uint8Array> {
    // A certificate's signature is its plain key's, named by the plain algorithm (PROTOCOL.certkeys).
    algorithm = plainNameOf(algorithm) ?? algorithm;
    const sig = decodeSignResponse(await this.request(encode.sign(blob, data, signFlags(algorithm))));
    let got: string;
    try {
      got = new Reader(sig, 0, 'agent signature').ascii('signature algorithm');
    } catch (e) {
      throw new AgentError(`malformed signature from the agent: ${(e as Error).message}`);
    }
    // A security key's signature is finished by the agent (flags, counter): it passes through as is.
    // An sk-ecdsa key may answer in the WebAuthn format of the same key (PROTOCOL.u2f).
    const sameKey = got === algorithm || (algorithm === 'sk-ecdsa-sha2-nistp256@openssh.com' && got === 'webauthn-sk-ecdsa-sha2-nistp256@openssh.com');
    if (!sameKey) throw new AgentError(`the agent signed with ${got}, not ${algorithm} (agent too old for RFC 8332?)`);
    return sig;
  }

  /**
   * SSH_AGENTC_ADD_IDENTITY (or ADD_ID_CONSTRAINED): give the agent a private key, from an
   * unencrypted OpenSSH private key file or from its raw fields.
   */
  async addIdentity(key: string | Uint8Array | AgentKeyFields, options: AddConstraints & { comment?: string } = {}): Promise<void> {
    const fields = typeof key === 'string' || key instanceof Uint8Array ? agentKeyFields(key, this.options.provider?.publicKey) : key;
    const comment = options.comment ?? fields.comment;
    expectSuccess(await this.request(encode.addIdentity(fields.fields, comment, options)), 'add identity');
  }

  /** SSH_AGENTC_REMOVE_IDENTITY */
  async removeIdentity(blob: Uint8Array): Promise<void> {
    expectSuccess(await this.request(encode.removeIdentity(blob)), 'remove identity');
  }

  /** SSH_AGENTC_REMOVE_ALL_IDENTITIES */
  async removeAllIdentities(): Promise<void> {
    expectSuccess(await this.request(encode.removeAll()), 'remove all identities');
  }

  /** SSH_AGENTC_LOCK: the agent refuses to sign or list until unlocked with the same passphrase. */
  async lock(passphrase: string): Promise<void> {
    expectSuccess(await this.request(encode.lock(passphrase)), 'lock');
  }

  /** Unlock a locked agent. */
  async unlock(passphrase: string): Promise<void> {
    expectSuccess(await this.request(encode.unlock(passphrase)), 'unlock (wrong passphrase?)');
  }

  /**
   * The agent's keys as PrivateKey objects whose sign() asks the agent (FIDO security keys
   * too: the agent reaches the authenticator). Keys of types we cannot use are left out.
   */
  async keys(): Promise<AgentPrivateKey[]> {
    const out: AgentPrivateKey[] = [];
    for (const id of await this.identities()) {
      let pub: PublicKey;
      try {
        pub = parsePublicKeyBlob(id.blob);
      } catch (e) {
        if (e instanceof SshError) continue;
        throw e;
      }
      out.push(new AgentPrivateKey(this, pub, id.comment));
    }
    return out;
  }

  /** Close the connection (a later request reconnects). */
  close(): void {
    const c = this.conn;
    this.conn = null;
    void c?.then(
      (f) => f.stream.close(),
      () => {},
    );
  }
}

/** A key held by an agent: the private half never leaves it. */
export class AgentPrivateKey implements PrivateKey {
  readonly type: string;
  readonly signatureAlgorithms: readonly string[];

  constructor(
    private readonly agent: AgentClient,
    readonly publicKey: PublicKey,
    readonly comment: string,
  ) {
    this.type = publicKey.type;
    this.signatureAlgorithms = signatureAlgorithmsForKeyType(publicKey.type);
  }

  sign(algorithm: string, data: Uint8Array): Promise<Uint8Array> {
    return this.agent.sign(this.publicKey.blob, algorithm, data);
  }
}
