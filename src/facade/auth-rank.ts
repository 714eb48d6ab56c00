/**
 * Net::SSH2's prioritizing `auth(%p)`: try the ranked methods the server allows and for
 * which the parameters were given, in order; resolve the name of the one that worked.
 * Mirrors Net::SSH2 0.73's `_auth_methods` table and default rank.
 */
import { LIBSSH2_ERROR } from '../errors.js';
import { localUser } from './node-io.js';
import type { KeyboardCallback } from './auth.js';
import type { SSH2 } from './ssh2.js';

export interface AuthParams {
  rank?: string[];
  username?: string;
  password?: string;
  publickey?: string | null;
  privatekey?: string;
  passphrase?: string | null;
  hostname?: string;
  local_username?: string;
  interact?: boolean;
  fallback?: boolean;
  cb_keyboard?: KeyboardCallback;
  cb_password?: (ss: SSH2, username: string) => unknown;
}

export const DEFAULT_RANK: readonly string[] = ['hostbased', 'publickey', 'keyboard-auto', 'password', 'agent', 'keyboard', 'password-interact', 'none'];

interface MethodSpec {
  ssh: string;
  /** parameter names: "x?" optional, "_x" a pseudo-parameter that must be true */
  params: string[];
  run: (ss: SSH2, args: unknown[]) => Promise<unknown>;
}

const METHODS: Record<string, MethodSpec> = {
  agent: { ssh: 'publickey', params: ['_fallback', 'username'], run: (ss, [u]) => ss.auth_agent(u as string) },
  hostbased: {
    ssh: 'hostbased',
    params: ['username', 'publickey', 'privatekey', 'hostname', 'local_username?', 'passphrase?'],
    run: (ss, [u, pub, priv, h, lu, pp]) => ss.auth_hostbased(u as string, pub as string, priv as string, h as string, lu as string, pp as string),
  },
  publickey: {
    ssh: 'publickey',
    params: ['username', 'publickey?', 'privatekey', 'passphrase?'],
    run: (ss, [u, pub, priv, pp]) => ss.auth_publickey(u as string, pub as string, priv as string, pp as string),
  },
  keyboard: { ssh: 'keyboard-interactive', params: ['_interact', '_fallback', 'username', 'cb_keyboard?'], run: (ss, [u, cb]) => ss.auth_keyboard(u as string, cb as KeyboardCallback) },
  'keyboard-auto': { ssh: 'keyboard-interactive', params: ['username', 'password'], run: (ss, [u, p]) => ss.auth_keyboard(u as string, p as string) },
  password: { ssh: 'password', params: ['username', 'password', 'cb_password?'], run: (ss, [u, p, cb]) => ss.auth_password(u as string, p as string, cb as never) },
  'password-interact': { ssh: 'password', params: ['_interact', '_fallback', 'username', 'cb_password?'], run: (ss, [u, cb]) => ss.auth_password_interact(u as string, cb as never) },
  none: { ssh: 'none', params: ['username'], run: (ss, [u]) => ss.auth_password(u as string) },
};

export async function authWithRank(ss: SSH2, params: AuthParams): Promise<string | undefined> {
  ss._set_error(LIBSSH2_ERROR.AUTHENTICATION_FAILED, 'Authentication failed');
  const p: Record<string, unknown> = { ...params };
  if (p.username === undefined) p.username = localUser();
  const rank = params.rank ?? DEFAULT_RANK;
  const allowed = await ss.auth_list_list(p.username as string);
  if (ss.auth_ok()) return 'none';
  const remote = allowed ? new Set(allowed) : null;
  if (p.password === undefined && p.passphrase === undefined) p.fallback = true;
  next: for (const type of rank) {
    const spec = METHODS[type];
    if (!spec) continue;
    if (remote && !remote.has(spec.ssh)) continue;
    const args: unknown[] = [];
    for (const param of spec.params) {
      const optional = param.endsWith('?');
      const pseudo = param.startsWith('_');
      let name = param.replace(/\?$/, '').replace(/^_/, '');
      // Net::SSH2's deprecated fallback: the password doubles as passphrase unless one is given.
      if (name === 'passphrase' && !('passphrase' in params) && p.password !== undefined) name = 'password';
      if (pseudo) {
        if (!p[name]) continue next;
      } else {
        if (!optional && (p[name] === undefined || p[name] === null)) continue next;
        args.push(p[name] ?? undefined);
      }
    }
    if ((await spec.run(ss, args)) && ss.auth_ok()) return type;
  }
  if (ss.auth_ok()) return 'none';
  ss._set_error(LIBSSH2_ERROR.AUTHENTICATION_FAILED, 'All authentication methods failed');
  return undefined;
}
