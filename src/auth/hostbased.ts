/**
 * The "hostbased" method (RFC 4252 §9): the client host signs for its local user with the
 * host's own key; the server trusts the host (shosts.equiv / .shosts) and knows its key.
 */
import type { PrivateKey } from '../crypto/keys/types.js';
import { MSG } from '../wire/constants.js';
import { Writer } from '../wire/writer.js';
import { decodeFailure, SERVICE_CONNECTION, type UserauthFailure, userauthRequest } from './messages.js';
import { candidateAlgorithms } from './publickey.js';
import { unexpected } from './reply.js';
import type { AuthContext, AuthMethod, AuthOutcome } from './types.js';

/** What "hostbased" authentication signs with: the client host's key and names. */
export interface HostbasedOptions {
  /** the client host's private host key */
  key: PrivateKey;
  /** the client host name as the server should look it up (OpenSSH sends its FQDN with a trailing ".") */
  localHost: string;
  /** the user name on the client host */
  localUser: string;
  /** signature algorithms we are willing to use; all the key can make by default */
  acceptedAlgorithms?: readonly string[];
}

/** RFC 4252 §9: what the host key signs (everything in the request but the signature). */
export function hostbasedSignedData(
  sessionId: Uint8Array,
  user: string,
  algorithm: string,
  blob: Uint8Array,
  localHost: string,
  localUser: string,
): Uint8Array {
  return new Writer(512)
    .string(sessionId)
    .u8(MSG.USERAUTH_REQUEST)
    .string(user)
    .string(SERVICE_CONNECTION)
    .string('hostbased')
    .string(algorithm)
    .string(blob)
    .string(localHost)
    .string(localUser)
    .finish()
    .slice();
}

/** The "hostbased" method (RFC 4252 §9). */
export function hostbasedMethod(options: HostbasedOptions): AuthMethod {
  return {
    name: 'hostbased',
    async attempt(ctx: AuthContext): Promise<AuthOutcome> {
      const { key, localHost, localUser } = options;
      const blob = key.publicKey.blob;
      let last: UserauthFailure = { methods: [], partialSuccess: false };
      for (const alg of candidateAlgorithms(key, ctx.serverSigAlgs, options.acceptedAlgorithms)) {
        ctx.debug?.(`hostbased: ${key.type} (${alg}) for ${localUser}@${localHost}`);
        const signature = await key.sign(alg, hostbasedSignedData(ctx.sessionId, ctx.username, alg, blob, localHost, localUser), ctx.publicKey);
        const req = userauthRequest(ctx.username, 'hostbased').string(alg).string(blob).string(localHost).string(localUser).string(signature);
        await ctx.send(req.finish().slice());
        const reply = await ctx.next();
        if (reply[0] === MSG.USERAUTH_SUCCESS) return { success: true };
        if (reply[0] !== MSG.USERAUTH_FAILURE) throw unexpected('hostbased', reply);
        last = decodeFailure(reply);
        if (last.partialSuccess || !last.methods.includes('hostbased')) break;
      }
      return { success: false, failure: last };
    },
  };
}
