/**
 * Net::SSH2's prioritizing `auth()`: a ranked list of method names; the methods for which
 * credentials were given are built in that order, and the driver (./index.ts) tries them
 * among those the server allows, in order.
 *
 * Names: "hostbased", "agent", "publickey", "keyboard" (alias "keyboard-interactive": the
 * responder callback), "keyboard-auto" (keyboard-interactive answered with the password),
 * "password", "none", and the wire name of any extra method.
 */
import type { PrivateKey } from '../crypto/keys/types.js';
import type { AgentClient } from './agent/client.js';
import { agentMethod } from './agent/method.js';
import { hostbasedMethod, type HostbasedOptions } from './hostbased.js';
import { keyboardInteractiveMethod, type KbdResponder } from './keyboard-interactive.js';
import { noneMethod } from './none.js';
import { passwordMethod, type PasswordChangeCallback, type PasswordSource } from './password.js';
import { publickeyMethod } from './publickey.js';
import type { AuthMethod } from './types.js';

/** OpenSSH's PreferredAuthentications order, with Net::SSH2's extra names. */
export const DEFAULT_AUTH_RANK: readonly string[] = Object.freeze(['hostbased', 'agent', 'publickey', 'keyboard', 'keyboard-auto', 'password']);

/** Everything the client could authenticate with; {@link rankAuthMethods} turns it into methods. */
export interface AuthCredentials {
  password?: PasswordSource | undefined;
  passwordChange?: PasswordChangeCallback | undefined;
  privateKeys?: readonly PrivateKey[] | undefined;
  /** PubkeyAcceptedAlgorithms for publickey, agent and hostbased */
  publicKeyAlgorithms?: readonly string[] | undefined;
  keyboardInteractive?: KbdResponder | undefined;
  agent?: AgentClient | undefined;
  hostbased?: HostbasedOptions | undefined;
  /** other method implementations, ranked by their wire name */
  extra?: readonly AuthMethod[] | undefined;
  /** publickey: ask whether each key is acceptable before signing (OpenSSH's way) */
  queryPublicKeys?: boolean | undefined;
}

/**
 * The methods to try, in rank order. Without an explicit rank, extra methods whose names
 * are not in the default rank go last.
 */
export function rankAuthMethods(creds: AuthCredentials, rank?: readonly string[]): AuthMethod[] {
  const algs = { ...(creds.publicKeyAlgorithms ? { acceptedAlgorithms: creds.publicKeyAlgorithms } : {}), query: creds.queryPublicKeys === true };
  const build = (name: string): AuthMethod[] => {
    switch (name) {
      case 'none':
        return [noneMethod];
      case 'hostbased':
        return creds.hostbased ? [hostbasedMethod({ ...algs, ...creds.hostbased })] : [];
      case 'agent':
        return creds.agent ? [agentMethod(creds.agent, algs)] : [];
      case 'publickey':
        return creds.privateKeys?.length ? [publickeyMethod(creds.privateKeys, algs)] : [];
      case 'keyboard':
      case 'keyboard-interactive':
        return creds.keyboardInteractive ? [keyboardInteractiveMethod(creds.keyboardInteractive)] : [];
      case 'keyboard-auto':
        return typeof creds.password === 'string' ? [keyboardInteractiveMethod(creds.password)] : [];
      case 'password':
        return creds.password !== undefined ? [passwordMethod(creds.password, { onPasswordChange: creds.passwordChange })] : [];
      default:
        return [];
    }
  };
  const order = rank ?? [...DEFAULT_AUTH_RANK, ...(creds.extra ?? []).map((m) => m.name)];
  const out: AuthMethod[] = [];
  const usedExtra = new Set<AuthMethod>();
  for (const name of order) {
    // An extra method with this wire name replaces the built-in one.
    const extra = (creds.extra ?? []).filter((m) => m.name === name && !usedExtra.has(m));
    if (extra.length > 0) {
      for (const m of extra) usedExtra.add(m);
      out.push(...extra);
      continue;
    }
    if (out.some((m) => m === noneMethod) && name === 'none') continue;
    out.push(...build(name));
  }
  return out;
}
