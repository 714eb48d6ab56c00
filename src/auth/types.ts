/** The narrow view an authentication method has of the connection (RFC 4252). */
import type { PublicKeyOps } from '../crypto/provider.js';
import type { UserauthFailure } from './messages.js';

export interface AuthContext {
  readonly username: string;
  readonly sessionId: Uint8Array;
  /** RFC 8308 server-sig-algs, or null when the server sent none */
  readonly serverSigAlgs: readonly string[] | null;
  send(payload: Uint8Array): Promise<void>;
  /** Next USERAUTH reply (SUCCESS, FAILURE or a method-specific 60-79); banners are handled for us. */
  next(): Promise<Uint8Array>;
  debug?: ((line: string) => void) | undefined;
  /** a provider's public-key arithmetic for signing (node:crypto), if any */
  publicKey?: PublicKeyOps | undefined;
}

export type AuthOutcome = { success: true } | { success: false; failure: UserauthFailure };

export interface AuthMethod {
  /** the method name on the wire */
  readonly name: string;
  /** Try this method (possibly several credentials); resolve on success or the last failure. */
  attempt(ctx: AuthContext): Promise<AuthOutcome>;
}
