/**
 * The auth_* methods of Net::SSH2 as functions over one userauth attempt each: the core
 * method objects (src/auth) do the protocol; here we only build them from Net::SSH2's
 * arguments and map outcomes to libssh2's codes.
 */
import { agentMethod } from '../auth/agent/method.js';
import { nodeAgent } from '../auth/agent/node.js';
import { hostbasedMethod } from '../auth/hostbased.js';
import { keyboardInteractiveMethod, type KbdChallenge } from '../auth/keyboard-interactive.js';
import { noneMethod } from '../auth/none.js';
import { passwordMethod } from '../auth/password.js';
import { publickeyMethod } from '../auth/publickey.js';
import type { AuthMethod, AuthOutcome } from '../auth/types.js';
import { equalConstantTime } from '../wire/bytes.js';
import { parsePrivateKey, parsePublicKey } from '../crypto/keys/index.js';
import { nodeProvider } from '../crypto/node/index.js';
import type { PrivateKey, PublicKey } from '../crypto/keys/types.js';
import { AuthError, KeyError, SshError } from '../errors.js';
import { readBytes } from './node-io.js';

/** What the auth functions need from the session: one userauth attempt as `username`. */
export interface AuthHost {
  attempt(method: AuthMethod, username: string): Promise<AuthOutcome>;
}

/** A Net::SSH2 keyboard-interactive callback: (ss, username, name, instruction, ...prompts) → answers. */
export type KeyboardCallback = (ss: unknown, username: string, name: string, instruction: string, ...prompts: { text: string; echo: boolean }[]) => unknown;

/**
 * Run one method. Resolves the server's "can continue" list on failure (thrown as
 * AUTHENTICATION_FAILED, libssh2's code), or null on success.
 */
export async function tryMethod(host: AuthHost, username: string, method: AuthMethod, what: string): Promise<string[] | null> {
  const outcome = await host.attempt(method, username);
  if (outcome.success) return null;
  throw new AuthError(`Authentication failed (${what})`, outcome.failure.methods);
}

/** `auth_list`: a "none" request; null means it succeeded (the session is authenticated). */
export async function authList(host: AuthHost, username: string): Promise<string[] | null> {
  const outcome = await host.attempt(noneMethod, username);
  return outcome.success ? null : outcome.failure.methods;
}

export async function authPassword(host: AuthHost, username: string, password: string | undefined, onChange?: () => unknown): Promise<void> {
  if (password === undefined) {
    // Net::SSH2: with no password this is a "none" request.
    if ((await authList(host, username)) !== null) throw new AuthError('Authentication failed (none)');
    return;
  }
  const m = passwordMethod(password, onChange ? { onPasswordChange: async () => ((await onChange()) as string | undefined) ?? null } : {});
  await tryMethod(host, username, m, 'username/password');
}

/** Read and decode a private key; failures are LIBSSH2_ERROR_FILE, as libssh2 reports them. */
export async function loadKey(source: { path?: string; data?: string | Uint8Array }, passphrase?: string): Promise<PrivateKey> {
  let data: string | Uint8Array;
  try {
    data = source.data ?? (await readBytes(source.path!));
  } catch (e) {
    throw new KeyError(`Unable to open private key file: ${(e as Error).message}`, 'FILE');
  }
  try {
    return parsePrivateKey(data, { passphrase, provider: nodeProvider });
  } catch (e) {
    throw new KeyError(`Unable to extract public key from private key file: ${(e as Error).message}`, 'FILE');
  }
}

export async function authPublickey(host: AuthHost, username: string, key: PrivateKey): Promise<void> {
  await tryMethod(host, username, publickeyMethod([key]), 'publickey');
}

/** A named public key file, as libssh2 reads it before the private key: failures are LIBSSH2_ERROR_FILE. */
export async function loadPublicKey(path: string): Promise<PublicKey> {
  let data: Uint8Array;
  try {
    data = await readBytes(path);
  } catch (e) {
    throw new KeyError(`Unable to open public key file: ${(e as Error).message}`, 'FILE');
  }
  try {
    return parsePublicKey(data).key;
  } catch (e) {
    throw new KeyError(`Invalid public key data: ${(e as Error).message}`, 'FILE');
  }
}

const HOSTBASED_REFUSED = 'Invalid signature for supplied public key, or bad username/public key combination';

/**
 * libssh2 1.10 (userauth_hostbased_fromfile) reports every USERAUTH_FAILURE to a hostbased
 * request as PUBLICKEY_UNVERIFIED, not AUTHENTICATION_FAILED. A public key file that is not
 * the private key's gets the same answer (libssh2 sends it with a signature that cannot verify).
 */
export async function authHostbased(
  host: AuthHost,
  username: string,
  key: PrivateKey,
  hostname: string,
  localUser: string,
  publicKey?: PublicKey,
): Promise<void> {
  if (publicKey && !equalConstantTime(publicKey.blob, key.publicKey.blob)) throw new AuthError(HOSTBASED_REFUSED, [], 'PUBLICKEY_UNVERIFIED');
  try {
    await tryMethod(host, username, hostbasedMethod({ key, localHost: hostname, localUser }), 'hostbased');
  } catch (e) {
    if (e instanceof AuthError) throw new AuthError(HOSTBASED_REFUSED, e.methodsLeft, 'PUBLICKEY_UNVERIFIED');
    throw e;
  }
}

export async function authKeyboard(host: AuthHost, ss: unknown, username: string, answer: string | KeyboardCallback): Promise<void> {
  const responder =
    typeof answer === 'string'
      ? answer
      : async (c: KbdChallenge) => {
          const r = await answer(ss, username, c.name, c.instruction, ...c.prompts.map((p) => ({ text: p.prompt, echo: p.echo })));
          if (r === undefined || r === null) return null;
          return (Array.isArray(r) ? r : [r]).map((x) => String(x ?? ''));
        };
  await tryMethod(host, username, keyboardInteractiveMethod(responder), 'keyboard-interactive');
}

export async function authAgent(host: AuthHost, username: string): Promise<void> {
  const agent = nodeAgent();
  // libssh2 fails with AGENT_PROTOCOL when there is no agent to talk to: ask it first.
  try {
    await agent.identities();
  } catch (e) {
    throw new SshError('AGENT_PROTOCOL', `Unable to connect to agent: ${(e as Error).message}`);
  }
  await tryMethod(host, username, agentMethod(agent), 'agent');
}
