/** The "none" method (RFC 4252 §5.2): learns which methods the server accepts. */
import { MSG } from '../wire/constants.js';
import { decodeFailure, userauthRequest } from './messages.js';
import type { AuthContext, AuthMethod, AuthOutcome } from './types.js';
import { unexpected } from './reply.js';

export const noneMethod: AuthMethod = {
  name: 'none',
  async attempt(ctx: AuthContext): Promise<AuthOutcome> {
    await ctx.send(userauthRequest(ctx.username, 'none').finish().slice());
    const reply = await ctx.next();
    if (reply[0] === MSG.USERAUTH_SUCCESS) return { success: true };
    if (reply[0] === MSG.USERAUTH_FAILURE) return { success: false, failure: decodeFailure(reply) };
    throw unexpected('none', reply);
  },
};
