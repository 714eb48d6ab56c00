/**
 * What the server's application callbacks see and return during user authentication
 * (RFC 4252, RFC 4256): one request type per method, the verdicts, and the permissions an
 * accepted method carries to the connection layer (as Go's `ssh.Permissions` does).
 */
import type { SecurityKeySignatureInfo } from '../crypto/keys/sk-common.js';
import type { PublicKey } from '../crypto/keys/types.js';
import type { InfoPrompt } from './auth-messages.js';

export type { InfoPrompt } from './auth-messages.js';

/** Who is on the other end of a connection, as far as the server knows. */
export interface PeerInfo {
  /** the address the connection came from, when the listener knows it */
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
  /** the server's own address and port of the connection (sshd's Match LocalAddress/LocalPort, SSH_CONNECTION) */
  localAddress?: string | undefined;
  localPort?: number | undefined;
  /** the client's identification string (RFC 4253 §4.2), without CR LF */
  clientVersion: string;
  /** the session identifier H of the first key exchange */
  sessionId: Uint8Array;
}

/**
 * Settings that depend on who logs in (sshd's `Match User` blocks), answered by
 * {@link SshServerOptions.userSettings} once per connection. Each one given replaces the
 * server-wide value for that connection.
 */
export interface UserSettings {
  /** the USERAUTH_BANNER text (sshd's Banner); null: no banner */
  banner?: string | null;
  /** MaxAuthTries for the rest of authentication */
  maxAuthTries?: number;
  /** MaxSessions, once authenticated */
  maxSessions?: number;
  /** the rekey limits once authenticated (sshd's RekeyLimit); 0: the transport's default */
  rekeyBytes?: number;
  rekeySeconds?: number;
}

/**
 * Restrictions and settings an accepted authentication carries to the sessions and
 * forwardings of the connection, like authorized_keys options or certificate critical
 * options. The server enforces `noPty`, `noPortForwarding` and `noAgentForwarding` itself
 * (refusing those requests before any handler runs); the rest is for the handlers.
 */
export interface AuthPermissions {
  /** run this instead of what the client asks (authorized_keys command=, ForceCommand) */
  forceCommand?: string;
  /** environment variables to set for sessions (authorized_keys environment=) */
  environment?: Record<string, string>;
  noPty?: boolean;
  noPortForwarding?: boolean;
  noAgentForwarding?: boolean;
  noX11Forwarding?: boolean;
  noUserRc?: boolean;
  /** host:port patterns direct-tcpip may reach (authorized_keys permitopen=); the handler checks */
  permitOpen?: string[];
  /** [host:]port patterns tcpip-forward may bind (authorized_keys permitlisten=); the handler checks */
  permitListen?: string[];
  /**
   * A FIDO security key's signature counts without the user-presence flag (authorized_keys
   * no-touch-required); without it the server refuses such a signature, as sshd does.
   */
  noTouchRequired?: boolean;
  /** A FIDO security key's signature must carry the user-verification flag (authorized_keys verify-required). */
  verifyRequired?: boolean;
  /** anything else the application wants to carry from authentication to its handlers */
  extensions?: Record<string, unknown>;
}

/** A callback's answer: refuse (false), accept (true), or accept with permissions. */
export type AuthVerdict = boolean | AuthPermissions;

/** What every authentication request says. */
export interface AuthRequest {
  /** the user name the client asks to log in as (RFC 4252 §5) */
  username: string;
  /** the method name: "none", "password", "publickey", "keyboard-interactive", "hostbased" */
  method: string;
  peer: PeerInfo;
}

/** A "password" request (RFC 4252 §8). */
export interface PasswordRequest extends AuthRequest {
  password: string;
  /**
   * The new password, when the client answers the change request this server sent
   * (USERAUTH_PASSWD_CHANGEREQ); `password` is then the old one.
   */
  newPassword?: string;
}

/**
 * A "password" verdict: besides the usual ones, `{ changePassword: prompt }` asks the
 * client for a new password (RFC 4252 §8); its answer comes back with `newPassword` set.
 */
export type PasswordVerdict = AuthVerdict | { changePassword: string };

/**
 * A "publickey" request (RFC 4252 §7). With `signed` false it is the query "would this key
 * do?" (answered USERAUTH_PK_OK on acceptance); with `signed` true the signature over the
 * session has already been verified: the callback only decides whether the key may log in.
 */
export interface PublicKeyRequest extends AuthRequest {
  key: PublicKey;
  /** the signature algorithm, e.g. "rsa-sha2-512" for an ssh-rsa key */
  algorithm: string;
  /** the public key blob as sent */
  blob: Uint8Array;
  signed: boolean;
  /**
   * For a signed request with a FIDO security key (PROTOCOL.u2f): the authenticator's flags
   * and counter. The server then refuses a signature without the user-presence flag unless
   * the verdict says `noTouchRequired`, and one without user verification when it says
   * `verifyRequired` (or the server's pubkeyAuthOptions do); a callback may also check the counter.
   */
  securityKey?: SecurityKeySignatureInfo;
}

/** sshd's PubkeyAuthOptions touch-required / verify-required (see SshServerOptions.pubkeyAuthOptions). */
export interface SecurityKeyServerPolicy {
  touchRequired?: boolean;
  verifyRequired?: boolean;
}

/** A "hostbased" request (RFC 4252 §9), its signature by the client host already verified. */
export interface HostbasedRequest extends AuthRequest {
  key: PublicKey;
  algorithm: string;
  blob: Uint8Array;
  /** the client host name as the client gave it (OpenSSH sends its FQDN with a trailing ".") */
  localHost: string;
  /** the user name on the client host */
  localUser: string;
}

/** One round of prompts of keyboard-interactive authentication (RFC 4256 §3.2). */
export interface InfoChallenge {
  name?: string;
  instruction?: string;
  prompts: InfoPrompt[];
}

/**
 * A "keyboard-interactive" request (RFC 4256). The callback asks as many rounds as it
 * wants with `prompt`, which resolves with one answer per prompt, then gives its verdict.
 * If the client abandons the exchange with a new request, `prompt` rejects and the verdict
 * is ignored.
 */
export interface KeyboardInteractiveRequest extends AuthRequest {
  /** the client's submethods hint (RFC 4256 §3.1), often empty */
  submethods: string[];
  /** send one INFO_REQUEST round and wait for its answers */
  readonly prompt: (challenge: InfoChallenge) => Promise<string[]>;
}

/**
 * The application's authentication decisions, one callback per method. A method without a
 * callback is not offered. Every callback may be async; a callback that throws refuses.
 */
export interface ServerAuthHandlers {
  /** "none" (RFC 4252 §5.2): accept without credentials (e.g. a public demo server) */
  none?(request: AuthRequest): AuthVerdict | Promise<AuthVerdict>;
  /** "password" (RFC 4252 §8), including the answer to a change request */
  password?(request: PasswordRequest): PasswordVerdict | Promise<PasswordVerdict>;
  /** "publickey" (RFC 4252 §7): called for the PK_OK query and for the verified signed request */
  publicKey?(request: PublicKeyRequest): AuthVerdict | Promise<AuthVerdict>;
  /** "keyboard-interactive" (RFC 4256): prompt as many rounds as needed, then decide */
  keyboardInteractive?(request: KeyboardInteractiveRequest): AuthVerdict | Promise<AuthVerdict>;
  /** "hostbased" (RFC 4252 §9): the client host's signature is verified; decide on the host and users */
  hostbased?(request: HostbasedRequest): AuthVerdict | Promise<AuthVerdict>;
}

/** The outcome of user authentication: who logged in, how, and with which permissions. */
export interface AuthenticatedUser {
  username: string;
  /** the methods that succeeded, in order (several with multi-step AuthenticationMethods) */
  methods: string[];
  /** the permissions of every step, merged (restrictions add up, later values win) */
  permissions: AuthPermissions;
}

/**
 * Timers the server uses (LoginGraceTime, failure delays, penalties). Tests inject a fake
 * clock; the default is the platform's `Date.now` / `setTimeout`.
 */
export interface ServerClock {
  /** milliseconds since some fixed point */
  now(): number;
  /** call `fn` once after `ms` milliseconds; returns a handle for clearTimeout */
  setTimeout(fn: () => void, ms: number): unknown;
  /** cancel a timer set with setTimeout */
  clearTimeout(handle: unknown): void;
}

/** The platform's clock. */
export const SYSTEM_CLOCK: ServerClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Wait `ms` on `clock` (0 or less: at once). */
export function sleep(clock: ServerClock, ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

/** Merge the permissions of one more accepted step into what earlier steps granted. */
export function mergePermissions(a: AuthPermissions, b: AuthPermissions): AuthPermissions {
  const out: AuthPermissions = { ...a, ...b };
  for (const k of ['noPty', 'noPortForwarding', 'noAgentForwarding', 'noX11Forwarding', 'noUserRc'] as const) {
    if (a[k] || b[k]) out[k] = true;
  }
  if (a.environment || b.environment) out.environment = { ...a.environment, ...b.environment };
  if (a.extensions || b.extensions) out.extensions = { ...a.extensions, ...b.extensions };
  return out;
}
