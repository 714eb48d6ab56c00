/**
 * The userauth driver (RFC 4252): requests the service, then tries the configured methods in
 * preference order, then only those the server allows, following partial success through
 * multi-step AuthenticationMethods. With
 * `queryMethods` it first learns the allowed methods with "none" (§5.2), as OpenSSH does; that
 * costs a round trip plus sshd's failure delay, so it is off by default.
 */
import { AuthError, ProtocolError } from '../errors.js';
import { MSG } from '../wire/constants.js';
import { decodeBanner, expectServiceAccept, serviceRequest, SERVICE_USERAUTH } from './messages.js';
import { noneMethod } from './none.js';
import type { PublicKeyOps } from '../crypto/provider.js';
import type { AuthContext, AuthMethod, AuthOutcome } from './types.js';

export interface AuthTransport {
  send(payload: Uint8Array): Promise<void>;
  receive(): Promise<Uint8Array>;
  readonly sessionId: Uint8Array | null;
  readonly serverSigAlgs: string[] | null;
}

/** One method at a time over an accepted ssh-userauth service: what `authenticate` drives. */
export interface UserauthAttempts {
  attempt(method: AuthMethod): Promise<AuthOutcome>;
}

export interface AuthenticateOptions {
  /** the methods we can use, in preference order */
  methods: AuthMethod[];
  debug?: ((line: string) => void) | undefined;
  /** start with "none" to learn the allowed methods before trying any (RFC 4252 §5.2) */
  queryMethods?: boolean | undefined;
}

export interface AuthResult {
  /** the method that completed authentication */
  method: string;
  /**
   * the methods the server listed at the first failure ("none" when queryMethods is set);
   * empty when the first method tried succeeded
   */
  serverMethods: string[];
}

export interface UserauthOptions {
  username: string;
  /** the USERAUTH_BANNER text, when the server sends one */
  onBanner?: ((text: string) => void) | undefined;
  debug?: ((line: string) => void) | undefined;
  /** a provider's public-key arithmetic for signing (node:crypto), if any */
  publicKey?: PublicKeyOps | undefined;
}

/**
 * Request the ssh-userauth service (RFC 4253 §10), wait for its acceptance and return the
 * context every method runs in.
 */
export async function startUserauth(t: AuthTransport, options: UserauthOptions): Promise<AuthContext> {
  // Not pipelined with the first request, though the protocol would allow it: sshd leaves
  // Nagle on, so its reply to that request waits for our ACK of SERVICE_ACCEPT, which the
  // kernel delays by up to 40 ms when we have nothing to send (measured: +12 ms median).
  await t.send(serviceRequest(SERVICE_USERAUTH));
  expectServiceAccept(await nextNonBanner(t, options), SERVICE_USERAUTH);
  return userauthContext(t, options);
}

/** The AuthContext over a transport whose ssh-userauth service is already accepted. */
export function userauthContext(t: AuthTransport, options: UserauthOptions): AuthContext {
  const next = (): Promise<Uint8Array> => nextNonBanner(t, options);
  return {
    username: options.username,
    get sessionId() {
      return t.sessionId!;
    },
    get serverSigAlgs() {
      return t.serverSigAlgs;
    },
    send: (p) => t.send(p),
    next,
    debug: options.debug,
    publicKey: options.publicKey,
  };
}

/** Try `options.methods` through `auth` until one completes authentication (or none is left). */
export async function authenticate(auth: UserauthAttempts, options: AuthenticateOptions): Promise<AuthResult> {
  let allowed: string[] | null = null;
  let serverMethods: string[] | null = null;
  if (options.queryMethods || options.methods.length === 0) {
    const first = await auth.attempt(noneMethod);
    if (first.success) return { method: 'none', serverMethods: [] };
    allowed = serverMethods = first.failure.methods;
    options.debug?.(`server allows: ${allowed.join(',')}`);
  }
  // By object, not by name: an agent and key files are both "publickey" methods.
  const tried = new Set<AuthMethod>();
  for (;;) {
    const method = options.methods.find((m) => (allowed === null || allowed.includes(m.name)) && !tried.has(m));
    if (!method) {
      const list = allowed ?? [];
      throw new AuthError(`Permission denied (${list.join(',')}).`, list);
    }
    tried.add(method);
    options.debug?.(`trying authentication method ${method.name}`);
    const outcome = await auth.attempt(method);
    if (outcome.success) return { method: method.name, serverMethods: serverMethods ?? [] };
    // An empty list comes from a method that sent nothing (an agent with no keys): keep ours.
    if (outcome.failure.methods.length > 0) {
      if (serverMethods === null) {
        serverMethods = outcome.failure.methods;
        options.debug?.(`server allows: ${serverMethods.join(',')}`);
      }
      allowed = outcome.failure.methods;
    }
    if (outcome.failure.partialSuccess) {
      // RFC 4252 §5.1: this step succeeded; the server wants more. Methods may be reused.
      options.debug?.(`partial success; server now allows: ${(allowed ?? []).join(',')}`);
      tried.clear();
    }
  }
}

async function nextNonBanner(t: AuthTransport, options: { onBanner?: ((text: string) => void) | undefined }): Promise<Uint8Array> {
  for (;;) {
    const p = await t.receive();
    const type = p[0]!;
    if (type === MSG.USERAUTH_BANNER) {
      options.onBanner?.(decodeBanner(p));
      continue;
    }
    if (type === MSG.SERVICE_ACCEPT || type === MSG.USERAUTH_SUCCESS || type === MSG.USERAUTH_FAILURE || (type >= 60 && type <= 79)) return p;
    throw new ProtocolError(`unexpected message ${type} during user authentication`);
  }
}
