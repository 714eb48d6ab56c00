/**
 * authorized_keys and authorized_principals key options (sshd(8) AUTHORIZED_KEYS FILE FORMAT),
 * read as OpenSSH's auth-options.c sshauthopt_parse reads them: comma-separated, names
 * case-insensitive, flags matched by prefix (so "ptyx" is an unknown option), values in double
 * quotes where `\"` stands for a quote and every other character, backslashes included, is
 * literal. Also the options a user certificate carries (sshauthopt_from_cert) and how the two
 * are merged (sshauthopt_merge).
 */
import { cidrListProblem } from '../match/address.js';
import { parseAbsoluteTime } from './time.js';
import type { Certificate } from '../crypto/keys/certificate.js';
import { Reader } from '../wire/reader.js';
import { SshError } from '../errors.js';

/** auth-options.h SSH_AUTHOPT_ENV_MAX / SSH_AUTHOPT_PERMIT_MAX */
const ENV_MAX = 1024;
const PERMIT_MAX = 4096;
/** misc.h SSH_TUNID_MAX: the highest tun device number */
const TUNID_MAX = 0x7ffffffd;
/** netdb.h NI_MAXHOST */
const MAX_HOST = 1025;

/**
 * What an authorized_keys line, an authorized_principals line or a certificate allows: sshd's
 * `struct sshauthopt`. Flags are the permissions in effect (true = allowed).
 */
export interface KeyOptions {
  /** port-forwarding / no-port-forwarding (certificate: permit-port-forwarding) */
  readonly permitPortForwarding: boolean;
  /** agent-forwarding / no-agent-forwarding (certificate: permit-agent-forwarding) */
  readonly permitAgentForwarding: boolean;
  /** X11-forwarding / no-X11-forwarding (certificate: permit-X11-forwarding) */
  readonly permitX11Forwarding: boolean;
  /** pty / no-pty (certificate: permit-pty) */
  readonly permitPty: boolean;
  /** user-rc / no-user-rc (certificate: permit-user-rc): whether ~/.ssh/rc runs */
  readonly permitUserRc: boolean;
  /** `restrict` was given */
  readonly restricted: boolean;
  /** `cert-authority`: the key is a CA trusted for user certificates */
  readonly certAuthority: boolean;
  /** no-touch-required (certificate extension of the same name): FIDO keys need no user presence */
  readonly noRequireUserPresence: boolean;
  /** verify-required (also a certificate critical option): FIDO signatures must attest user verification */
  readonly requireVerify: boolean;
  /** command="…" (certificate: force-command) */
  readonly forceCommand?: string;
  /** principals="…": the comma-separated names a certificate must carry one of */
  readonly certPrincipals?: string;
  /** from="…": host-name and address patterns the client must match */
  readonly fromPatterns?: string;
  /** the certificate's source-address: CIDR list the client address must be in */
  readonly sourceAddress?: string;
  /** expiry-time="…" as seconds since the epoch (the earliest when given twice) */
  readonly expiresAt?: number;
  /** environment="NAME=value" entries, in order; the first for a name wins */
  readonly environment: readonly string[];
  /** permitopen="host:port" entries as written */
  readonly permitOpen: readonly string[];
  /** permitlisten="[host:]port" entries; a bare port is recorded as "*:port" */
  readonly permitListen: readonly string[];
  /** tunnel="n": the tun device forced ('any' for "any"), undefined when not given */
  readonly tunnel?: number | 'any';
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer E)[] ? E[] : T[K] };

/** No permissions at all: a certificate's starting point (sshauthopt_new). */
export function emptyKeyOptions(): KeyOptions {
  return {
    permitPortForwarding: false,
    permitAgentForwarding: false,
    permitX11Forwarding: false,
    permitPty: false,
    permitUserRc: false,
    restricted: false,
    certAuthority: false,
    noRequireUserPresence: false,
    requireVerify: false,
    environment: [],
    permitOpen: [],
    permitListen: [],
  };
}

/** What a key line without options allows (sshauthopt_new_with_keys_defaults). */
export function defaultKeyOptions(): KeyOptions {
  return { ...emptyKeyOptions(), permitPortForwarding: true, permitAgentForwarding: true, permitX11Forwarding: true, permitPty: true, permitUserRc: true };
}

/** A key option string sshd refuses, with its reason in sshd's words ("missing end quote"). */
export class KeyOptionsError extends SshError {
  override name = 'KeyOptionsError';
  constructor(readonly reason: string) {
    super('FILE', `bad key options: ${reason}`);
  }
}

/** A cursor over the option string, advanced as sshd's `const char **optsp` is. */
class Cursor {
  constructor(
    readonly s: string,
    public i = 0,
  ) {}
  get c(): string {
    return this.s[this.i] ?? '';
  }
  startsWithCaseless(term: string, at = this.i): boolean {
    return this.s.slice(at, at + term.length).toLowerCase() === term;
  }
}

/** opt_flag: 1 for `opt`, 0 for `no-opt` (when negatable), -1 when neither starts here. */
function optFlag(cur: Cursor, opt: string, negatable: boolean): -1 | 0 | 1 {
  let at = cur.i;
  let negated = false;
  if (negatable && cur.startsWithCaseless('no-')) {
    at += 3;
    negated = true;
  }
  if (!cur.startsWithCaseless(opt, at)) return -1;
  cur.i = at + opt.length;
  return negated ? 0 : 1;
}

/** opt_match: `term=` starts here. */
function optMatch(cur: Cursor, term: string): boolean {
  if (!cur.startsWithCaseless(term) || cur.s[cur.i + term.length] !== '=') return false;
  cur.i += term.length + 1;
  return true;
}

/** opt_dequote: a double-quoted value where only `\"` is an escape. */
function optDequote(cur: Cursor): string {
  if (cur.c !== '"') throw new KeyOptionsError('missing start quote');
  let i = cur.i + 1;
  let out = '';
  const s = cur.s;
  while (i < s.length && s[i] !== '"') {
    if (s[i] === '\\' && s[i + 1] === '"') i++;
    out += s[i++];
  }
  if (i >= s.length) throw new KeyOptionsError('missing end quote');
  cur.i = i + 1;
  return out;
}

/** strtonum(3) over [min, max]: optional blanks and sign, then decimal digits. */
function strtonum(s: string, min: number, max: number): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)$/.exec(s);
  if (!m) return undefined;
  const v = Number(m[2]) * (m[1] === '-' ? -1 : 1);
  return v >= min && v <= max ? v : undefined;
}

/** Service names a2port resolves through /etc/services (Debian's, the common TCP ones). */
const TCP_SERVICES: ReadonlyMap<string, number> = new Map([
  ['ftp', 21],
  ['ssh', 22],
  ['telnet', 23],
  ['smtp', 25],
  ['domain', 53],
  ['http', 80],
  ['pop3', 110],
  ['imap2', 143],
  ['imap', 143],
  ['ldap', 389],
  ['https', 443],
  ['submission', 587],
  ['ldaps', 636],
  ['imaps', 993],
  ['pop3s', 995],
  ['mysql', 3306],
  ['postgresql', 5432],
  ['x11', 6000],
]);

/** a2port: a port number 0..65535 or a TCP service name; -1 when neither. */
function a2port(s: string): number {
  return strtonum(s, 0, 65535) ?? TCP_SERVICES.get(s) ?? -1;
}

/** hpdelim2's split of "host:port", "host/port" or "[v6]:port": the host, and the rest (undefined when absent); null when malformed. */
function splitHostPort(s: string): { host: string; rest: string | undefined } | null {
  let end: number;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) return null;
    end = close + 1;
  } else {
    const m = /[:/]/.exec(s);
    end = m ? m.index : s.length;
  }
  if (end === s.length) return { host: s, rest: undefined };
  if (s[end] !== ':' && s[end] !== '/') return null;
  return { host: s.slice(0, end), rest: s.slice(end + 1) };
}

/** handle_permit: one permitopen/permitlisten value, checked for form and recorded as written. */
function permitValue(cur: Cursor, bareIsListen: boolean, list: string[]): void {
  if (list.length > PERMIT_MAX) throw new KeyOptionsError('too many permission directives');
  let opt = optDequote(cur);
  if (bareIsListen && !opt.includes(':')) opt = `*:${opt}`;
  const hp = splitHostPort(opt);
  if (hp === null || hp.host.length >= MAX_HOST) throw new KeyOptionsError('invalid permission hostname');
  if (hp.rest === undefined || (hp.rest !== '*' && a2port(hp.rest) <= 0)) throw new KeyOptionsError('invalid permission port');
  list.push(opt);
}

/** valid_env_name: one or more ASCII letters, digits or underscores. */
const validEnvName = (name: string): boolean => /^[A-Za-z0-9_]+$/.test(name);

/**
 * Read a key options string, such as `restrict,pty,command="nethack"` (sshauthopt_parse).
 * Parsing stops at the first blank outside quotes; `undefined` or '' give the defaults.
 * Throws {@link KeyOptionsError} with sshd's reason when the string is refused.
 * @example parseKeyOptions('no-pty,from="10.0.0.0/8"').permitPty // false
 */
export function parseKeyOptions(text: string | undefined): KeyOptions {
  const o = defaultKeyOptions() as Mutable<KeyOptions>;
  if (text === undefined) return o;
  const cur = new Cursor(text);
  let r: -1 | 0 | 1;
  while (cur.c !== '' && cur.c !== ' ' && cur.c !== '\t') {
    if (optFlag(cur, 'restrict', false) !== -1) {
      o.restricted = true;
      o.permitPortForwarding = o.permitAgentForwarding = o.permitX11Forwarding = o.permitPty = o.permitUserRc = false;
    } else if ((r = optFlag(cur, 'cert-authority', false)) !== -1) {
      o.certAuthority = r === 1;
    } else if ((r = optFlag(cur, 'port-forwarding', true)) !== -1) {
      o.permitPortForwarding = r === 1;
    } else if ((r = optFlag(cur, 'agent-forwarding', true)) !== -1) {
      o.permitAgentForwarding = r === 1;
    } else if ((r = optFlag(cur, 'x11-forwarding', true)) !== -1) {
      o.permitX11Forwarding = r === 1;
    } else if ((r = optFlag(cur, 'touch-required', true)) !== -1) {
      o.noRequireUserPresence = r !== 1;
    } else if ((r = optFlag(cur, 'verify-required', true)) !== -1) {
      o.requireVerify = r === 1;
    } else if ((r = optFlag(cur, 'pty', true)) !== -1) {
      o.permitPty = r === 1;
    } else if ((r = optFlag(cur, 'user-rc', true)) !== -1) {
      o.permitUserRc = r === 1;
    } else if (optMatch(cur, 'command')) {
      if (o.forceCommand !== undefined) throw new KeyOptionsError('multiple "command" clauses');
      o.forceCommand = optDequote(cur);
    } else if (optMatch(cur, 'principals')) {
      if (o.certPrincipals !== undefined) throw new KeyOptionsError('multiple "principals" clauses');
      o.certPrincipals = optDequote(cur);
    } else if (optMatch(cur, 'from')) {
      if (o.fromPatterns !== undefined) throw new KeyOptionsError('multiple "from" clauses');
      o.fromPatterns = optDequote(cur);
    } else if (optMatch(cur, 'expiry-time')) {
      const t = parseAbsoluteTime(optDequote(cur));
      if (t === undefined || t === 0) throw new KeyOptionsError('invalid expires time');
      if (o.expiresAt === undefined || t < o.expiresAt) o.expiresAt = t;
    } else if (optMatch(cur, 'environment')) {
      if (o.environment.length > ENV_MAX) throw new KeyOptionsError('too many environment strings');
      const value = optDequote(cur);
      const eq = value.indexOf('=');
      if (eq < 0 || !validEnvName(value.slice(0, eq))) throw new KeyOptionsError('invalid environment string');
      const prefix = value.slice(0, eq + 1);
      if (!o.environment.some((e) => e.startsWith(prefix))) o.environment.push(value);
    } else if (optMatch(cur, 'permitopen')) {
      permitValue(cur, false, o.permitOpen);
    } else if (optMatch(cur, 'permitlisten')) {
      permitValue(cur, true, o.permitListen);
    } else if (optMatch(cur, 'tunnel')) {
      const v = optDequote(cur);
      const n = v.toLowerCase() === 'any' ? 'any' : strtonum(v, 0, TUNID_MAX);
      if (n === undefined) throw new KeyOptionsError('invalid tun device');
      o.tunnel = n;
    }
    if (cur.c === '' || cur.c === ' ' || cur.c === '\t') break;
    if (cur.c !== ',') throw new KeyOptionsError('unknown key option');
    cur.i++;
    if (cur.i >= text.length) throw new KeyOptionsError('unexpected end-of-options');
  }
  return o;
}

/**
 * A user certificate's critical options and extensions as key options (sshauthopt_from_cert):
 * extensions permit-* / no-touch-required grant, unknown extensions are ignored; critical
 * options force-command, source-address and verify-required are understood and any other one
 * refuses the certificate. Throws {@link KeyOptionsError} (reason in sshd's words).
 */
export function certificateKeyOptions(cert: Certificate): KeyOptions {
  const o = emptyKeyOptions() as Mutable<KeyOptions>;
  const value = (name: string, data: Uint8Array): string => {
    try {
      const r = new Reader(data, 0, name);
      const v = r.text(name);
      r.end();
      return v;
    } catch (e) {
      if (e instanceof SshError) throw new KeyOptionsError(`Certificate option "${name}" corrupt`);
      throw e;
    }
  };
  for (const { name, data } of cert.extensions) {
    const known = ['no-touch-required', 'permit-X11-forwarding', 'permit-agent-forwarding', 'permit-port-forwarding', 'permit-pty', 'permit-user-rc'];
    if (!known.includes(name)) continue;
    if (data.length !== 0) throw new KeyOptionsError(`Certificate option "${name}" corrupt (extra data)`);
    if (name === 'no-touch-required') o.noRequireUserPresence = true;
    else if (name === 'permit-X11-forwarding') o.permitX11Forwarding = true;
    else if (name === 'permit-agent-forwarding') o.permitAgentForwarding = true;
    else if (name === 'permit-port-forwarding') o.permitPortForwarding = true;
    else if (name === 'permit-pty') o.permitPty = true;
    else o.permitUserRc = true;
  }
  for (const { name, data } of cert.criticalOptions) {
    if (name === 'verify-required') {
      if (data.length !== 0) throw new KeyOptionsError(`Certificate option "${name}" corrupt (extra data)`);
      o.requireVerify = true;
    } else if (name === 'force-command') {
      o.forceCommand = value(name, data);
    } else if (name === 'source-address') {
      const list = value(name, data);
      if (cidrListProblem(list) !== undefined) throw new KeyOptionsError('Certificate source-address contents invalid');
      o.sourceAddress = list;
    } else {
      throw new KeyOptionsError(`Certificate critical option "${name}" is not supported`);
    }
  }
  return o;
}

/**
 * Merge a key line's (or principals line's) options with a certificate's (sshauthopt_merge):
 * access lists, environment, permits and the tunnel come from `primary` when it has them;
 * permissions must be granted by both; verify-required by either; the earlier expiry wins;
 * two forced commands must be identical. cert-authority and principals are not carried over.
 * Throws {@link KeyOptionsError} ("forced command options do not match").
 */
export function mergeKeyOptions(primary: KeyOptions, additional: KeyOptions): KeyOptions {
  const pick = <T>(a: readonly T[], b: readonly T[]): T[] => [...(a.length > 0 ? a : b)];
  if (primary.forceCommand !== undefined && additional.forceCommand !== undefined && primary.forceCommand !== additional.forceCommand) {
    throw new KeyOptionsError('forced command options do not match');
  }
  // as sshauthopt_merge: the additional expiry counts only against a primary one
  let expiresAt = primary.expiresAt;
  if (additional.expiresAt !== undefined && expiresAt !== undefined && additional.expiresAt < expiresAt) expiresAt = additional.expiresAt;
  const out: Mutable<KeyOptions> = {
    ...emptyKeyOptions(),
    permitPortForwarding: primary.permitPortForwarding && additional.permitPortForwarding,
    permitAgentForwarding: primary.permitAgentForwarding && additional.permitAgentForwarding,
    permitX11Forwarding: primary.permitX11Forwarding && additional.permitX11Forwarding,
    permitPty: primary.permitPty && additional.permitPty,
    permitUserRc: primary.permitUserRc && additional.permitUserRc,
    noRequireUserPresence: primary.noRequireUserPresence && additional.noRequireUserPresence,
    requireVerify: primary.requireVerify || additional.requireVerify,
    environment: pick(primary.environment, additional.environment),
    permitOpen: pick(primary.permitOpen, additional.permitOpen),
    permitListen: pick(primary.permitListen, additional.permitListen),
  };
  const fromPatterns = primary.fromPatterns ?? additional.fromPatterns;
  const sourceAddress = primary.sourceAddress ?? additional.sourceAddress;
  const forceCommand = primary.forceCommand ?? additional.forceCommand;
  const tunnel = primary.tunnel ?? additional.tunnel;
  if (fromPatterns !== undefined) out.fromPatterns = fromPatterns;
  if (sourceAddress !== undefined) out.sourceAddress = sourceAddress;
  if (forceCommand !== undefined) out.forceCommand = forceCommand;
  if (tunnel !== undefined) out.tunnel = tunnel;
  if (expiresAt !== undefined) out.expiresAt = expiresAt;
  return out;
}
