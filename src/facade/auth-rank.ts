/**
 * Net::SSH2's prioritizing `auth(%p)`: try the ranked methods the server allows and for
 * which the parameters were given, in order; resolve the name of the one that worked.
 * Mirrors Net::SSH2 0.73's `_auth_methods` table and default rank.
 */
import { LIBSSH2_ERROR, SshError } from '../errors.js';
import { localUser } from './node-io.js';
import type { KeyboardCallback } from './auth.js';
import type { SSH2 } from './ssh2.js';

/** The arguments of Net::SSH2's `auth`. */
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
  /** Called for the password when the server asks for one. */
  cb_password?: (ss: SSH2, username: string) => unknown;
}

export const DEFAULT_RANK: readonly string[] = ['hostbased', 'publickey', 'keyboard-auto', 'password', 'agent', 'keyboard', 'password-interact', 'none'];

/** The auth methods as operations that throw on failure (provided by SSH2). */
export interface AuthOps {
  readonly session: SSH2;
  list(username: string): Promise<string[] | null>;
  password(username: string, password: string | undefined, callback?: (ss: SSH2, username: string) => unknown): Promise<void>;
  passwordInteract(username: string, callback?: (ss: SSH2, username: string) => unknown): Promise<void>;
  publickey(username: string, privatekey: string, passphrase?: string): Promise<void>;
  hostbased(username: string, publickey: string | undefined, privatekey: string, hostname: string, localUsername?: string, passphrase?: string): Promise<void>;
  keyboard(username: string, passwordOrCallback?: string | KeyboardCallback): Promise<void>;
  agent(username: string): Promise<void>;
}

interface MethodSpec {
  ssh: string;
  /** parameter names: "x?" optional, "_x" a pseudo-parameter that must be true */
  params: string[];
  run: (ops: AuthOps, args: unknown[]) => Promise<unknown>;
}

const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : (v as string));

const METHODS: Record<string, MethodSpec> = {
  agent: { ssh: 'publickey', params: ['_fallback', 'username'], run: (o, [u]) => o.agent(u as string) },
  hostbased: {
    ssh: 'hostbased',
    params: ['username', 'publickey', 'privatekey', 'hostname', 'local_username?', 'passphrase?'],
    run: (o, [u, pub, priv, h, lu, pp]) => o.hostbased(u as string, str(pub), priv as string, h as string, str(lu), str(pp)),
  },
  publickey: {
    ssh: 'publickey',
    params: ['username', 'publickey?', 'privatekey', 'passphrase?'],
    run: (o, [u, _pub, priv, pp]) => o.publickey(u as string, priv as string, str(pp)),
  },
  keyboard: {
    ssh: 'keyboard-interactive',
    params: ['_interact', '_fallback', 'username', 'cb_keyboard?'],
    run: (o, [u, cb]) => o.keyboard(u as string, cb as KeyboardCallback | undefined),
  },
  'keyboard-auto': { ssh: 'keyboard-interactive', params: ['username', 'password'], run: (o, [u, p]) => o.keyboard(u as string, p as string) },
  password: { ssh: 'password', params: ['username', 'password', 'cb_password?'], run: (o, [u, p, cb]) => o.password(u as string, p as string, cb as never) },
  'password-interact': {
    ssh: 'password',
    params: ['_interact', '_fallback', 'username', 'cb_password?'],
    run: (o, [u, cb]) => o.passwordInteract(u as string, cb as never),
  },
  none: { ssh: 'none', params: ['username'], run: (o, [u]) => o.password(u as string, undefined) },
};

/**
 * One operation (it throws on failure): every failed method is recorded in `error()` as it
 * happens, as Net::SSH2's calls do; the end is AUTHENTICATION_FAILED "All authentication
 * methods failed".
 */
export async function authWithRank(ops: AuthOps, params: AuthParams): Promise<string> {
  const ss = ops.session;
  ss._set_error(LIBSSH2_ERROR.AUTHENTICATION_FAILED, 'Authentication failed');
  const p: Record<string, unknown> = { ...params };
  if (p.username === undefined) p.username = localUser();
  const rank = params.rank ?? DEFAULT_RANK;
  let allowed: string[] | null | undefined;
  try {
    allowed = await ops.list(p.username as string);
  } catch (e) {
    ss._fail(e);
  }
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
    try {
      await spec.run(ops, args);
    } catch (e) {
      ss._fail(e);
    }
    if (ss.auth_ok()) return type;
  }
  if (ss.auth_ok()) return 'none';
  throw new SshError('AUTHENTICATION_FAILED', 'All authentication methods failed');
}
