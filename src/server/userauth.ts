/**
 * The server side of the ssh-userauth service (RFC 4252; keyboard-interactive RFC 4256;
 * rsa-sha2 RFC 8332): accepts the service, answers requests method by method through the
 * application's callbacks, follows multi-step AuthenticationMethods, counts failures
 * (MaxAuthTries) and delays them so timing does not reveal which users exist. It logs
 * method names, user names and key fingerprints, never passwords, answers or signatures.
 */
import { hostbasedSignedData } from '../auth/hostbased.js';
import { signedData } from '../auth/publickey.js';
import { fingerprintSHA256 } from '../crypto/fingerprint.js';
import { parsePublicKeyBlob, verifySignature, keyTypeForAlgorithm, SECURITY_KEY_ALGORITHMS } from '../crypto/keys/index.js';
import { securityKeyPolicyProblem, type SecurityKeySignatureInfo } from '../crypto/keys/sk-common.js';
import type { PublicKey } from '../crypto/keys/types.js';
import type { PublicKeyOps } from '../crypto/provider.js';
import { DISCONNECT_REASON, DisconnectError, ProtocolError, SshError } from '../errors.js';
import { MSG, msgName } from '../wire/constants.js';
import type { Reader } from '../wire/reader.js';
import {
  decodeInfoResponse,
  decodeServiceRequest,
  decodeUserauthRequest,
  infoRequest,
  passwordChangeRequest,
  pkOk,
  serviceAccept,
  USERAUTH_SUCCESS_PACKET,
  userauthBanner,
  userauthFailure,
} from './auth-messages.js';
import { MethodPlan, remainingDelay } from './auth-policy.js';
import {
  mergePermissions,
  sleep,
  SYSTEM_CLOCK,
  type AuthenticatedUser,
  type AuthPermissions,
  type AuthRequest,
  type AuthVerdict,
  type InfoChallenge,
  type PeerInfo,
  type SecurityKeyServerPolicy,
  type ServerAuthHandlers,
  type ServerClock,
  type UserSettings,
} from './types.js';

const SERVICE_USERAUTH = 'ssh-userauth';
const SERVICE_CONNECTION = 'ssh-connection';

/** What the userauth server needs from the transport. */
export interface UserauthServerTransport {
  send(payload: Uint8Array): Promise<void>;
  receive(): Promise<Uint8Array>;
  readonly sessionId: Uint8Array | null;
  /** send DISCONNECT with `reason` and close */
  disconnect(reason: number, description: string): Promise<void>;
  /** a protocol violation: disconnect with the error's reason and close */
  abort(err: SshError): void;
  /** authentication succeeded (delayed compression starts) */
  markAuthenticated(): void;
}

/** Options of {@link runUserauth}. */
export interface UserauthServerOptions {
  handlers: ServerAuthHandlers;
  peer: Omit<PeerInfo, 'sessionId'>;
  /** AuthenticationMethods: lists of methods that must all pass, in order; null or absent: any one method */
  authenticationMethods?: readonly (readonly string[])[] | null | ((username: string, peer: PeerInfo) => readonly (readonly string[])[] | null);
  /** PubkeyAcceptedAlgorithms: signature algorithms accepted for publickey */
  publicKeyAlgorithms: readonly string[];
  /** HostbasedAcceptedAlgorithms */
  hostbasedAlgorithms: readonly string[];
  /** MaxAuthTries (default 6): the connection is dropped at this many failures */
  maxAuthTries?: number;
  /** sent as USERAUTH_BANNER before the first answer (RFC 4252 §5.4) */
  banner?: string | undefined;
  /** per-user banner and MaxAuthTries, asked once with the first request's user name */
  userSettings?: ((username: string, peer: PeerInfo) => UserSettings | undefined) | undefined;
  /** PubkeyAuthOptions for FIDO security key signatures */
  pubkeyAuthOptions?: SecurityKeyServerPolicy | undefined;
  /** minimum time (ms) a failed attempt by `username` takes; default none */
  failureDelay?: ((username: string) => number) | undefined;
  clock?: ServerClock | undefined;
  /** a provider's public-key arithmetic for signature checks */
  publicKey?: PublicKeyOps | undefined;
  debug?: ((line: string) => void) | undefined;
  /** called for every decided attempt (logging, penalties); never sees credentials */
  onAttempt?: ((event: AuthAttemptEvent) => void) | undefined;
}

/** One decided authentication attempt, for logs and penalties (no credentials). */
export interface AuthAttemptEvent {
  username: string;
  method: string;
  /** 'postponed': a publickey query whose key would do (PK_OK sent, RFC 4252 §7); the client signs next */
  result: 'success' | 'partial' | 'failure' | 'postponed';
  /** "SHA256:…" of the key for publickey and hostbased */
  fingerprint?: string;
  /** the key offered (publickey, hostbased), for a log line that describes it (sshd's format_key) */
  key?: PublicKey;
}

type Outcome = { kind: 'accept'; permissions: AuthPermissions; keyBlob?: Uint8Array } | { kind: 'reject' } | { kind: 'postponed' };

const REJECT: Outcome = { kind: 'reject' };

/** The client abandoned keyboard-interactive with a new request (RFC 4256 §3.1). */
class Abandoned extends SshError {
  constructor() {
    super('AUTHENTICATION_FAILED', 'keyboard-interactive abandoned by the client');
  }
}

/**
 * Run the ssh-userauth service to its end: resolves with the authenticated user once
 * USERAUTH_SUCCESS has gone out (and the transport was told), or rejects after
 * disconnecting the client (too many failures, protocol errors).
 */
export async function runUserauth(t: UserauthServerTransport, options: UserauthServerOptions): Promise<AuthenticatedUser> {
  return new UserauthServer(t, options).run();
}

class UserauthServer {
  private readonly clock: ServerClock;
  private maxTries: number;
  private banner: string | undefined;
  private user: string | null = null;
  private service = '';
  private plan: MethodPlan | null = null;
  private failures = 0;
  private attempts = 0;
  private bannerSent = false;
  private permissions: AuthPermissions = {};
  private readonly passed: string[] = [];
  /** keys that passed an earlier step: OpenSSH refuses them for a later one */
  private readonly usedKeys: Uint8Array[] = [];
  /** a request that arrived while keyboard-interactive waited for answers */
  private stashed: Uint8Array | null = null;
  private changeRequested = false;
  private readonly enabled: string[];
  /** the key of the request being decided (publickey, hostbased), for the attempt event */
  private offeredKey: PublicKey | undefined;

  constructor(
    private readonly t: UserauthServerTransport,
    private readonly o: UserauthServerOptions,
  ) {
    this.clock = o.clock ?? SYSTEM_CLOCK;
    this.maxTries = o.maxAuthTries ?? 6;
    this.banner = o.banner;
    const h = o.handlers;
    this.enabled = [
      ...(h.publicKey ? ['publickey'] : []),
      ...(h.password ? ['password'] : []),
      ...(h.keyboardInteractive ? ['keyboard-interactive'] : []),
      ...(h.hostbased ? ['hostbased'] : []),
      ...(h.none ? ['none'] : []),
    ];
  }

  private get peer(): PeerInfo {
    return { ...this.o.peer, sessionId: this.t.sessionId! };
  }

  private async next(): Promise<Uint8Array> {
    const s = this.stashed;
    if (s) {
      this.stashed = null;
      return s;
    }
    return this.t.receive();
  }

  async run(): Promise<AuthenticatedUser> {
    try {
      await this.acceptService();
      for (;;) {
        const p = await this.next();
        if (p[0] !== MSG.USERAUTH_REQUEST) throw new ProtocolError(`unexpected ${msgName(p[0] ?? 0)} during user authentication`);
        const done = await this.onRequest(p);
        if (done) return done;
      }
    } catch (e) {
      const err = e instanceof SshError ? e : new ProtocolError(`internal error: ${(e as Error | undefined)?.message ?? String(e)}`);
      if (err instanceof ProtocolError) this.t.abort(err);
      throw err;
    }
  }

  private async acceptService(): Promise<void> {
    const p = await this.t.receive();
    if (p[0] !== MSG.SERVICE_REQUEST) throw new ProtocolError(`expected SERVICE_REQUEST, got ${msgName(p[0] ?? 0)}`);
    const name = decodeServiceRequest(p);
    if (name !== SERVICE_USERAUTH) {
      // sshd: "bad service request"; before authentication only ssh-userauth exists.
      await this.disconnect(DISCONNECT_REASON.SERVICE_NOT_AVAILABLE, `bad service request ${name.slice(0, 64)}`);
    }
    await this.t.send(serviceAccept(SERVICE_USERAUTH));
  }

  private async disconnect(reason: number, description: string): Promise<never> {
    await this.t.disconnect(reason, description);
    throw new DisconnectError(reason, description, false);
  }

  /** One USERAUTH_REQUEST; returns the user once authentication is complete. */
  private async onRequest(p: Uint8Array): Promise<AuthenticatedUser | null> {
    const started = this.clock.now();
    const { username, service, method, body } = decodeUserauthRequest(p);
    if (this.user === null) {
      this.user = username;
      this.service = service;
      const lists = typeof this.o.authenticationMethods === 'function' ? this.o.authenticationMethods(username, this.peer) : this.o.authenticationMethods;
      this.plan = new MethodPlan(lists ?? null, this.enabled);
      // sshd applies Match User here (auth2.c: getpwnamallow before the banner and the first answer)
      const settings = this.o.userSettings?.(username, this.peer);
      if (settings?.maxAuthTries !== undefined) this.maxTries = settings.maxAuthTries;
      if (settings?.banner !== undefined) this.banner = settings.banner ?? undefined;
    } else if (username !== this.user || service !== this.service) {
      // RFC 4252 §5 lets a client change them; OpenSSH does not, and neither do we.
      await this.disconnect(DISCONNECT_REASON.PROTOCOL_ERROR, 'Change of username or service not allowed');
    }
    if (service !== SERVICE_CONNECTION) await this.disconnect(DISCONNECT_REASON.SERVICE_NOT_AVAILABLE, `no such service ${service.slice(0, 64)}`);
    if (!this.bannerSent) {
      this.bannerSent = true;
      if (this.banner) await this.t.send(userauthBanner(this.banner));
    }
    this.attempts++;
    const plan = this.plan!;
    let outcome: Outcome = REJECT;
    let fingerprint: string | undefined;
    this.offeredKey = undefined;
    if (plan.allows(method)) {
      const r = await this.runMethod(method, username, body);
      outcome = r.outcome;
      fingerprint = r.fingerprint;
    } else {
      this.o.debug?.(`userauth: method ${method.slice(0, 64)} not allowed for ${username}`);
    }
    if (this.stashed) return null; // keyboard-interactive abandoned: the new request is next
    if (outcome.kind === 'postponed') {
      if (method === 'publickey') this.o.onAttempt?.({ username, method, result: 'postponed', fingerprint, ...this.offered() });
      return null;
    }
    if (outcome.kind === 'accept') {
      this.permissions = mergePermissions(this.permissions, outcome.permissions);
      if (outcome.keyBlob) this.usedKeys.push(outcome.keyBlob);
      this.passed.push(method);
      const complete = plan.pass(method);
      this.o.onAttempt?.({ username, method, result: complete ? 'success' : 'partial', fingerprint, ...this.offered() });
      if (complete) {
        await this.t.send(USERAUTH_SUCCESS_PACKET);
        this.t.markAuthenticated();
        this.o.debug?.(`userauth: ${username} authenticated with ${this.passed.join(',')}`);
        return { username, methods: [...this.passed], permissions: this.permissions };
      }
      this.o.debug?.(`userauth: partial success for ${username} with ${method}; next: ${plan.next.join(',')}`);
      await this.t.send(userauthFailure(plan.next, true));
      return null;
    }
    this.o.onAttempt?.({ username, method, result: 'failure', fingerprint, ...this.offered() });
    // As sshd counts: a first "none" (the client asking for the method list) is free.
    if (!(method === 'none' && this.attempts === 1)) this.failures++;
    if (this.failures >= this.maxTries) {
      // sshd's auth_maxtries_exceeded: no USERAUTH_FAILURE, a disconnect instead.
      await this.disconnect(DISCONNECT_REASON.PROTOCOL_ERROR, 'Too many authentication failures');
    }
    if (method !== 'none' && this.o.failureDelay) {
      await sleep(this.clock, remainingDelay(this.clock.now() - started, this.o.failureDelay(username)));
    }
    await this.t.send(userauthFailure(plan.next, false));
    return null;
  }

  private offered(): { key?: PublicKey } {
    return this.offeredKey ? { key: this.offeredKey } : {};
  }

  private async runMethod(method: string, username: string, body: Reader): Promise<{ outcome: Outcome; fingerprint?: string }> {
    const base: AuthRequest = { username, method, peer: this.peer };
    const h = this.o.handlers;
    switch (method) {
      case 'none':
        body.end();
        return { outcome: verdict(await ask(() => h.none!(base))) };
      case 'password':
        return { outcome: await this.password(base, body) };
      case 'publickey':
        return this.publicKey(base, body);
      case 'keyboard-interactive':
        return { outcome: await this.keyboardInteractive(base, body) };
      case 'hostbased':
        return this.hostbased(base, body);
      default:
        return { outcome: REJECT };
    }
  }

  private async password(base: AuthRequest, body: Reader): Promise<Outcome> {
    const change = body.bool('change');
    const password = body.text('password');
    const newPassword = change ? body.text('new password') : undefined;
    body.end();
    // A new password is taken only as the answer to our own change request (sshd refuses others).
    if (change && !this.changeRequested) return REJECT;
    this.changeRequested = false;
    const v = await ask(() => this.o.handlers.password!({ ...base, password, ...(newPassword !== undefined ? { newPassword } : {}) }));
    if (typeof v === 'object' && 'changePassword' in v) {
      this.changeRequested = true;
      await this.t.send(passwordChangeRequest(v.changePassword));
      return { kind: 'postponed' };
    }
    return verdict(v);
  }

  private async publicKey(base: AuthRequest, body: Reader): Promise<{ outcome: Outcome; fingerprint?: string }> {
    const signed = body.bool('has signature');
    const algorithm = body.ascii('public key algorithm');
    const blob = body.string('public key blob').slice();
    const signature = signed ? body.string('signature').slice() : null;
    body.end();
    const key = this.checkKey(algorithm, blob, this.o.publicKeyAlgorithms, 'publickey');
    if (!key) return { outcome: REJECT };
    this.offeredKey = key;
    const fingerprint = fingerprintSHA256(blob);
    if (this.usedKeys.some((k) => equalBytes(k, blob))) {
      this.o.debug?.(`userauth: refusing previously-used ${key.type} key ${fingerprint}`);
      return { outcome: REJECT, fingerprint };
    }
    let securityKey: SecurityKeySignatureInfo | undefined;
    if (signature) {
      const data = signedData(this.t.sessionId!, base.username, algorithm, blob);
      // FIDO keys: the flags are policy, decided below with the verdict's options (sshd: after user_key_allowed).
      // Decided by the key's type: a Certificate has the method whatever key it certifies.
      const good = SECURITY_KEY_ALGORITHMS.includes(key.type)
        ? (securityKey = skVerify(key, algorithm, data, signature, this.o.publicKey)) !== undefined
        : verifies(blob, algorithm, data, signature, this.o.publicKey);
      if (!good) {
        this.o.debug?.(`userauth: bad ${algorithm} signature for ${fingerprint}`);
        return { outcome: REJECT, fingerprint };
      }
    }
    const request = { ...base, key, algorithm, blob, signed: signature !== null, ...(securityKey ? { securityKey } : {}) };
    const v = verdict(await ask(() => this.o.handlers.publicKey!(request)));
    if (v.kind !== 'accept') return { outcome: v, fingerprint };
    if (!signature) {
      // RFC 4252 §7: the key would do; the client signs next.
      await this.t.send(pkOk(algorithm, blob));
      return { outcome: { kind: 'postponed' }, fingerprint };
    }
    if (securityKey) {
      const server = this.o.pubkeyAuthOptions ?? {};
      const problem = securityKeyPolicyProblem(securityKey, {
        userPresence: server.touchRequired === true || v.permissions.noTouchRequired !== true,
        userVerification: server.verifyRequired === true || v.permissions.verifyRequired === true,
      });
      this.o.debug?.(`userauth: sk_counter = ${securityKey.counter}, sk_flags = 0x${securityKey.flags.toString(16).padStart(2, '0')}`);
      if (problem) {
        const what = problem === 'user-presence' ? 'user presence (authenticator touch)' : 'user verification';
        this.o.debug?.(`userauth: public key ${fingerprint} signature for ${base.username} rejected: ${what} requirement not met`);
        return { outcome: REJECT, fingerprint };
      }
    }
    return { outcome: { ...v, keyBlob: blob }, fingerprint };
  }

  private async hostbased(base: AuthRequest, body: Reader): Promise<{ outcome: Outcome; fingerprint?: string }> {
    const algorithm = body.ascii('public key algorithm');
    const blob = body.string('public host key').slice();
    const localHost = body.ascii('client host name');
    const localUser = body.text('client user name');
    const signature = body.string('signature').slice();
    body.end();
    const key = this.checkKey(algorithm, blob, this.o.hostbasedAlgorithms, 'hostbased');
    if (!key) return { outcome: REJECT };
    this.offeredKey = key;
    const fingerprint = fingerprintSHA256(blob);
    const data = hostbasedSignedData(this.t.sessionId!, base.username, algorithm, blob, localHost, localUser);
    if (!verifies(blob, algorithm, data, signature, this.o.publicKey)) return { outcome: REJECT, fingerprint };
    return { outcome: verdict(await ask(() => this.o.handlers.hostbased!({ ...base, key, algorithm, blob, localHost, localUser }))), fingerprint };
  }

  /** The key blob decoded, if `algorithm` is accepted and fits the key's type (RFC 8332 §3). */
  private checkKey(algorithm: string, blob: Uint8Array, accepted: readonly string[], what: string): PublicKey | null {
    if (!accepted.includes(algorithm)) {
      this.o.debug?.(`userauth: ${what} algorithm ${algorithm.slice(0, 64)} not accepted`);
      return null;
    }
    let key: PublicKey;
    try {
      key = parsePublicKeyBlob(blob);
    } catch {
      this.o.debug?.(`userauth: ${what}: unusable key blob`);
      return null;
    }
    // e.g. rsa-sha2-256 names an ssh-rsa key; an ed25519 blob under it is refused (sshd: "type mismatch").
    if (keyTypeForAlgorithm(algorithm) !== key.type) {
      this.o.debug?.(`userauth: ${what}: ${key.type} key sent as ${algorithm}`);
      return null;
    }
    return key;
  }

  private async keyboardInteractive(base: AuthRequest, body: Reader): Promise<Outcome> {
    body.ascii('language tag');
    const submethods = body.ascii('submethods');
    body.end();
    // Set inside prompt(): read through an object so the later check is not narrowed away.
    const state = { busy: false, abandoned: false };
    const prompt = async (challenge: InfoChallenge): Promise<string[]> => {
      if (state.abandoned) throw new Abandoned();
      if (state.busy) throw new SshError('BAD_USE', 'keyboard-interactive: one prompt round at a time');
      state.busy = true;
      try {
        await this.t.send(infoRequest(challenge.name ?? '', challenge.instruction ?? '', challenge.prompts));
        const p = await this.t.receive();
        if (p[0] === MSG.USERAUTH_INFO_RESPONSE) return decodeInfoResponse(p, challenge.prompts.length);
        if (p[0] === MSG.USERAUTH_REQUEST) {
          this.stashed = p;
          state.abandoned = true;
          throw new Abandoned();
        }
        throw new ProtocolError(`unexpected ${msgName(p[0] ?? 0)} during keyboard-interactive`);
      } finally {
        state.busy = false;
      }
    };
    let v: AuthVerdict;
    try {
      v = await this.o.handlers.keyboardInteractive!({ ...base, submethods: submethods ? submethods.split(',') : [], prompt });
    } catch (e) {
      if (e instanceof ProtocolError) throw e;
      v = false;
    }
    if (state.abandoned) return { kind: 'postponed' };
    return verdict(v);
  }
}

/** Run an application callback; a throw refuses. */
async function ask<T>(fn: () => T | Promise<T>): Promise<T | false> {
  try {
    return await fn();
  } catch {
    return false;
  }
}

function verdict(v: AuthVerdict | { changePassword: string }): Outcome {
  if (v === true) return { kind: 'accept', permissions: {} };
  if (v === false || typeof v !== 'object' || 'changePassword' in v) return REJECT;
  return { kind: 'accept', permissions: v };
}

function verifies(blob: Uint8Array, algorithm: string, data: Uint8Array, signature: Uint8Array, ops?: PublicKeyOps): boolean {
  try {
    return verifySignature(blob, algorithm, data, signature, ops);
  } catch {
    return false;
  }
}

/** A FIDO signature's flags and counter, or undefined when it is bad. */
function skVerify(key: PublicKey, algorithm: string, data: Uint8Array, signature: Uint8Array, ops?: PublicKeyOps): SecurityKeySignatureInfo | undefined {
  try {
    return key.verifySecurityKey?.(algorithm, data, signature, ops) ?? undefined;
  } catch {
    return undefined;
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
