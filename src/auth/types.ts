/** The narrow view an authentication method has of the connection (RFC 4252). */
import type { PublicKeyOps } from '../crypto/provider.js';
import type { UserauthFailure } from './messages.js';

/** What an {@link AuthMethod} gets to talk to the server during user authentication. */
export interface AuthContext {
  readonly username: string;
  readonly sessionId: Uint8Array;
  /** RFC 8308 server-sig-algs, or null when the server sent none */
  readonly serverSigAlgs: readonly string[] | null;
  /** Send one userauth message. */
  send(payload: Uint8Array): Promise<void>;
  /** Next USERAUTH reply (SUCCESS, FAILURE or a method-specific 60-79); banners are handled for us. */
  next(): Promise<Uint8Array>;
  /** Debug log lines, when the client logs. */
  debug?: ((line: string) => void) | undefined;
  /** a provider's public-key arithmetic for signing (node:crypto), if any */
  publicKey?: PublicKeyOps | undefined;
}

/** The result of one method attempt: success, or the server's USERAUTH_FAILURE (RFC 4252 §5.1). */
export type AuthOutcome = { success: true } | { success: false; failure: UserauthFailure };

/** One user authentication method (RFC 4252 §5), attempted by the client in rank order. */
export interface AuthMethod {
  /** the method name on the wire */
  readonly name: string;
  /** Try this method (possibly several credentials); resolve on success or the last failure. */
  attempt(ctx: AuthContext): Promise<AuthOutcome>;
}
