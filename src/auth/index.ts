/**
 * The userauth driver (RFC 4252): requests the service, learns the allowed methods with
 * "none", then tries the configured methods in preference order among those the server
 * allows, following partial success through multi-step AuthenticationMethods.
 */
import { AuthError, ProtocolError } from '../errors.js';
import { MSG } from '../wire/constants.js';
import { decodeBanner, expectServiceAccept, serviceRequest, SERVICE_USERAUTH } from './messages.js';
import { noneMethod } from './none.js';
import type { PublicKeyOps } from '../crypto/provider.js';
import type { AuthContext, AuthMethod } from './types.js';

export interface AuthTransport {
  send(payload: Uint8Array): Promise<void>;
  receive(): Promise<Uint8Array>;
  readonly sessionId: Uint8Array | null;
  readonly serverSigAlgs: string[] | null;
}

export interface AuthenticateOptions {
  username: string;
  /** the methods we can use, in preference order */
  methods: AuthMethod[];
  onBanner?: ((text: string) => void) | undefined;
  debug?: ((line: string) => void) | undefined;
  /** a provider's public-key arithmetic for signing (node:crypto), if any */
  publicKey?: PublicKeyOps | undefined;
}

export interface AuthResult {
  /** the method that completed authentication */
  method: string;
  /** methods the server listed at the first failure (what `auth_list` reports) */
  serverMethods: string[];
}

/**
 * Request the ssh-userauth service (RFC 4253 §10) and return the context every method
 * runs in. The driver below uses it; so does the Net::SSH2 facade, which tries methods one
 * call at a time as libssh2 does.
 */
export async function startUserauth(
  t: AuthTransport,
  options: { username: string; onBanner?: ((text: string) => void) | undefined; debug?: ((line: string) => void) | undefined; publicKey?: PublicKeyOps | undefined },
): Promise<AuthContext> {
  await t.send(serviceRequest(SERVICE_USERAUTH));
  expectServiceAccept(await nextNonBanner(t, options), SERVICE_USERAUTH);
  return userauthContext(t, options);
}

/** The AuthContext over a transport whose ssh-userauth service is already accepted. */
export function userauthContext(
  t: AuthTransport,
  options: { username: string; onBanner?: ((text: string) => void) | undefined; debug?: ((line: string) => void) | undefined; publicKey?: PublicKeyOps | undefined },
): AuthContext {
  return {
    username: options.username,
    get sessionId() {
      return t.sessionId!;
    },
    get serverSigAlgs() {
      return t.serverSigAlgs;
    },
    send: (p) => t.send(p),
    next: () => nextNonBanner(t, options),
    debug: options.debug,
    publicKey: options.publicKey,
  };
}

export async function authenticate(t: AuthTransport, options: AuthenticateOptions): Promise<AuthResult> {
  const ctx = await startUserauth(t, options);

  const first = await noneMethod.attempt(ctx);
  if (first.success) return { method: 'none', serverMethods: [] };
  let allowed = first.failure.methods;
  const serverMethods = allowed;
  options.debug?.(`server allows: ${allowed.join(',')}`);
  // By object, not by name: an agent and key files are both "publickey" methods.
  const tried = new Set<AuthMethod>();
  for (;;) {
    const method = options.methods.find((m) => allowed.includes(m.name) && !tried.has(m));
    if (!method) {
      throw new AuthError(`Permission denied (${allowed.join(',')}).`, allowed);
    }
    tried.add(method);
    options.debug?.(`trying authentication method ${method.name}`);
    const outcome = await method.attempt(ctx);
    if (outcome.success) return { method: method.name, serverMethods };
    if (outcome.failure.methods.length > 0) allowed = outcome.failure.methods;
    if (outcome.failure.partialSuccess) {
      // RFC 4252 §5.1: this step succeeded; the server wants more. Methods may be reused.
      options.debug?.(`partial success; server now allows: ${allowed.join(',')}`);
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
