/**
 * The "publickey" method (RFC 4252 §7). With keys in memory, signing costs microseconds, so by
 * default each request carries its signature at once (the query is optional, §7) and a login
 * takes one round trip, as libssh2 and ssh2 do; `query: true` first asks whether a key is
 * acceptable (PK_OK) and signs only then, as OpenSSH's client does. RSA keys sign with
 * rsa-sha2-512/256 as server-sig-algs allows (RFC 8332 §3).
 */
import { plainNameOf } from '../crypto/keys/certificate.js';
import type { PrivateKey } from '../crypto/keys/types.js';
import { SecurityKeyError } from '../errors.js';
import { MSG } from '../wire/constants.js';
import { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';
import { decodeFailure, SERVICE_CONNECTION, type UserauthFailure, userauthRequest } from './messages.js';
import { unexpected } from './reply.js';
import type { AuthContext, AuthMethod, AuthOutcome } from './types.js';

/** Options of {@link publickeyMethod} and {@link agentMethod}. */
export interface PublicKeyOptions {
  /** signature algorithms we are willing to use (PubkeyAcceptedAlgorithms); all by default */
  acceptedAlgorithms?: readonly string[];
  /** ask (PK_OK) before signing with each key; default false: send the signed request at once */
  query?: boolean;
}

/** Which signature algorithms to offer for a key, best first. */
export function candidateAlgorithms(key: PrivateKey, serverSigAlgs: readonly string[] | null, accepted?: readonly string[]): string[] {
  let algs = key.signatureAlgorithms.filter((a) => !accepted || accepted.includes(a));
  if (serverSigAlgs) {
    // server-sig-algs names plain algorithms only; a certificate algorithm goes by its plain one (as ssh does).
    const known = algs.filter((a) => serverSigAlgs.includes(plainNameOf(a) ?? a));
    // A server that lists no algorithm for this key type may still accept it; keep our order then.
    if (known.length > 0) algs = known;
  }
  return algs;
}

/** The "publickey" method (RFC 4252 §7) with these keys, each offered before it signs. */
export function publickeyMethod(keys: readonly PrivateKey[], options: PublicKeyOptions = {}): AuthMethod {
  return {
    name: 'publickey',
    async attempt(ctx: AuthContext): Promise<AuthOutcome> {
      let last: UserauthFailure = { methods: [], partialSuccess: false };
      for (const key of keys) {
        for (const alg of candidateAlgorithms(key, ctx.serverSigAlgs, options.acceptedAlgorithms)) {
          const blob = key.publicKey.blob;
          if (options.query) {
            ctx.debug?.(`offering public key ${key.type} (${alg})`);
            await ctx.send(userauthRequest(ctx.username, 'publickey').bool(false).string(alg).string(blob).finish().slice());
            const reply = await ctx.next();
            if (reply[0] === MSG.USERAUTH_FAILURE) {
              last = decodeFailure(reply);
              if (!last.methods.includes('publickey')) return { success: false, failure: last };
              continue;
            }
            if (reply[0] === MSG.USERAUTH_SUCCESS) return { success: true };
            if (reply[0] !== MSG.USERAUTH_PK_OK) throw unexpected('publickey', reply);
            const ok = new Reader(reply, 1, 'USERAUTH_PK_OK');
            ok.ascii('algorithm');
            ok.string('key blob');
          } else {
            ctx.debug?.(`signing with public key ${key.type} (${alg})`);
          }
          const signed = signedData(ctx.sessionId, ctx.username, alg, blob);
          let signature: Uint8Array;
          try {
            signature = await key.sign(alg, signed, ctx.publicKey);
          } catch (e) {
            // A security key that cannot sign now (no authenticator, no signer): ssh moves on to the next key.
            if (!(e instanceof SecurityKeyError)) throw e;
            ctx.debug?.(`signing with ${key.type} failed: ${e.message}`);
            break;
          }
          await ctx.send(userauthRequest(ctx.username, 'publickey').bool(true).string(alg).string(blob).string(signature).finish().slice());
          const result = await ctx.next();
          if (result[0] === MSG.USERAUTH_SUCCESS) return { success: true };
          if (result[0] !== MSG.USERAUTH_FAILURE) throw unexpected('publickey', result);
          last = decodeFailure(result);
          if (last.partialSuccess || !last.methods.includes('publickey')) return { success: false, failure: last };
          // Unqueried and with no server-sig-algs to go by, the refusal may be about this
          // signature algorithm (an old server without rsa-sha2): try the key's next one.
          if (!options.query && ctx.serverSigAlgs === null) continue;
          break; // this key was refused with a valid signature: try the next key
        }
      }
      return { success: false, failure: last };
    },
  };
}

/** RFC 4252 §7: the data the signature covers. */
export function signedData(sessionId: Uint8Array, user: string, algorithm: string, blob: Uint8Array): Uint8Array {
  return new Writer(512)
    .string(sessionId)
    .u8(MSG.USERAUTH_REQUEST)
    .string(user)
    .string(SERVICE_CONNECTION)
    .string('publickey')
    .bool(true)
    .string(algorithm)
    .string(blob)
    .finish()
    .slice();
}
