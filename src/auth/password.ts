/** The "password" method (RFC 4252 §8). */
import { AuthError } from '../errors.js';
import { MSG } from '../wire/constants.js';
import { decodeFailure, userauthRequest } from './messages.js';
import { unexpected } from './reply.js';
import type { AuthContext, AuthMethod, AuthOutcome } from './types.js';

export type PasswordSource = string | (() => Promise<string | null> | string | null);

export function passwordMethod(source: PasswordSource): AuthMethod {
  return {
    name: 'password',
    async attempt(ctx: AuthContext): Promise<AuthOutcome> {
      const password = typeof source === 'string' ? source : await source();
      if (password === null) return { success: false, failure: { methods: [], partialSuccess: false } };
      await ctx.send(userauthRequest(ctx.username, 'password').bool(false).string(password).finish().slice());
      const reply = await ctx.next();
      switch (reply[0]) {
        case MSG.USERAUTH_SUCCESS:
          return { success: true };
        case MSG.USERAUTH_FAILURE:
          return { success: false, failure: decodeFailure(reply) };
        case MSG.USERAUTH_PASSWD_CHANGEREQ:
          throw new AuthError('password expired: the server asks for a password change', [], 'PASSWORD_EXPIRED');
        default:
          throw unexpected('password', reply);
      }
    },
  };
}
