/** publickey authentication with the keys an agent holds (asked for when the method runs). */
import { publickeyMethod, type PublicKeyOptions } from '../publickey.js';
import type { AuthContext, AuthMethod, AuthOutcome } from '../types.js';
import type { AgentClient } from './client.js';
import { AgentError } from './protocol.js';

/** The "publickey" method with the keys an ssh-agent holds; the agent signs. */
export function agentMethod(agent: AgentClient, options: PublicKeyOptions = {}): AuthMethod {
  return {
    name: 'publickey',
    async attempt(ctx: AuthContext): Promise<AuthOutcome> {
      let keys;
      try {
        keys = await agent.keys();
      } catch (e) {
        // Like ssh: an unreachable or locked agent just means no agent keys.
        if (!(e instanceof AgentError)) throw e;
        ctx.debug?.(`agent unavailable: ${e.message}`);
        return { success: false, failure: { methods: [], partialSuccess: false } };
      }
      ctx.debug?.(`agent offers ${keys.length} key(s)`);
      if (keys.length === 0) return { success: false, failure: { methods: [], partialSuccess: false } };
      return publickeyMethod(keys, options).attempt(ctx);
    },
  };
}
