/**
 * ssh_config(5) files for `puressh ssh` (and the sftp and scp it runs): the user's
 * ~/.ssh/config, then /etc/ssh/ssh_config, or the one file `-F` names.
 *
 * Lines are `Keyword arguments` or `Keyword=arguments`; `#` starts a comment line; arguments
 * may be double-quoted. `Host` and `Match` start blocks that apply until the next one;
 * `Include` reads more files (glob patterns, relative to ~/.ssh or /etc/ssh) in place. The
 * lines of every block that applies are handed on in file order, and the caller keeps the
 * first value of each setting, after the command line's, as ssh does.
 *
 * Matching follows OpenSSH 9: `Host` patterns are compared with the host as given on the
 * command line (case-sensitive; on the final pass, with the lower-case name in effect); `Match host` with the host name in effect so far (HostName
 * applied, case-insensitive); `Match user` with the remote user so far; `originalhost`,
 * `localuser`, `exec` (through /bin/sh), `all`; `canonical` and `final` hold only on the
 * second pass that a `Match final` asks for (puressh does not canonicalize host names).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { hostname as localHostname } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { matchWildcard } from './algo-list.js';
import { applyConfigLine, quoteWord, splitWords, UsageError, type SshArgs } from './ssh-args.js';

export { splitWords };

/** Keywords whose value is a list of words: even one word is passed quoted, so that blanks in it survive. */
const LIST_KEYWORDS = new Set(['sendenv', 'setenv', 'userknownhostsfile', 'globalknownhostsfile']);

/** OpenSSH's READCONF_MAX_DEPTH: Include may nest this deep. */
const MAX_DEPTH = 16;

export interface ConfigEnv {
  /** the host as given on the command line */
  originalHost: string;
  home: string;
  localUser: string;
  /** the value a setting has so far (command line first, then earlier config lines) */
  current(keyword: string): string | undefined;
  /** `Match exec`: whether the command succeeds (default: /bin/sh -c, output discarded) */
  exec?: (command: string) => boolean;
}

/** A setting line that applies: lower-case keyword, and its argument (several: joined by blanks, quoted where needed). */
export type ApplyLine = (keyword: string, value: string, where: string) => void;

/** Apply the config files `args` names (or the default ones) to `args`, for its destination. */
export function loadSshConfig(args: SshArgs, env: { home: string; localUser: string }): void {
  if (args.host === null) return;
  const config: ConfigEnv = { originalHost: args.host, home: env.home, localUser: env.localUser, current: (k) => args.options.get(k) };
  applySshConfig(args.configFile, config, (keyword, value, where) => applyConfigLine(args, keyword, value, where));
}

/**
 * Read the config files ssh would (`-F file` alone, or the user's then the system's) and
 * hand on every line that applies to this destination. `configFile` null: none at all.
 */
export function applySshConfig(configFile: string | null | undefined, env: ConfigEnv, apply: ApplyLine): void {
  const files: { path: string; user: boolean; required: boolean }[] =
    configFile === null
      ? []
      : configFile !== undefined
        ? [{ path: expandHome(configFile, env.home), user: true, required: true }]
        : [
            { path: join(env.home, '.ssh', 'config'), user: true, required: false },
            { path: '/etc/ssh/ssh_config', user: false, required: false },
          ];
  let wantFinal = false as boolean; // set inside pass(): `as` keeps TypeScript from narrowing it to false
  const pass = (final: boolean, hostForHost: string): void => {
    for (const f of files) {
      const text = readConfig(f.path, f.required);
      if (text !== null) wantFinal = readLines(text, f.path, { user: f.user, final, depth: 0, env, apply, hostForHost }) || wantFinal;
    }
  };
  pass(false, env.originalHost);
  if (wantFinal) {
    // As ssh: the final pass matches Host against the name now in effect (HostName applied,
    // lower case), which also becomes the HostName, so later HostName lines no longer count.
    const host = tokenEnv(env).host.toLowerCase();
    if (env.current('hostname') === undefined) apply('hostname', host.replace(/%/g, '%%'), 'final pass');
    pass(true, host);
  }
}

function readConfig(path: string, required: boolean): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (!required && (e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new UsageError(
      `Can't open user config file ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}`,
    );
  }
}

interface ReadState {
  user: boolean;
  final: boolean;
  /** what Host patterns are compared with: the host as typed, or on the final pass the name in effect */
  hostForHost: string;
  depth: number;
  env: ConfigEnv;
  apply: ApplyLine;
}

/** Process one file's lines; returns whether a `Match final` was seen. */
function readLines(text: string, path: string, st: ReadState): boolean {
  let active = true;
  let wantFinal = false;
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const where = `${path} line ${n + 1}`;
    const parsed = splitLine(lines[n]!, where);
    if (!parsed) continue;
    const [keyword, args] = parsed;
    switch (keyword) {
      case 'host':
        active = hostMatches(args, st.hostForHost);
        break;
      case 'match': {
        const r = matchLine(args, st, where);
        active = r.matched;
        wantFinal ||= r.wantFinal;
        break;
      }
      case 'include':
        if (!active) break;
        if (st.depth >= MAX_DEPTH) throw new UsageError(`${where}: Include nesting too deep`);
        for (const file of includeFiles(args, st, where)) {
          const inner = readConfig(file, false);
          if (inner !== null) wantFinal = readLines(inner, file, { ...st, depth: st.depth + 1 }) || wantFinal;
        }
        break;
      default:
        if (active) {
          if (args.length === 0) throw new UsageError(`${where}: no argument after keyword "${keyword}"`);
          // one argument as it is; several (or a list keyword's), joined and quoted where needed (splitWords reads them back)
          st.apply(keyword, args.length === 1 && !LIST_KEYWORDS.has(keyword) ? args[0]! : args.map(quoteWord).join(' '), where);
        }
    }
  }
  return wantFinal;
}

/** Keyword (lower case) and arguments of a line; null for blank and comment lines. */
export function splitLine(line: string, where: string): [string, string[]] | null {
  const s = line.replace(/^[ \t\r]+/, '').replace(/[ \t\r\n]+$/, '');
  if (s === '' || s.startsWith('#')) return null;
  const m = /^([^\s=]+)(?:\s*=\s*|\s+|$)/.exec(s);
  if (!m) throw new UsageError(`${where}: Bad configuration option: ${s}`);
  return [m[1]!.toLowerCase(), splitWords(s.slice(m[0].length), where)];
}

/**
 * `Host` patterns (blank-separated, unlike Match's comma lists; `*`, `?`, a leading `!`
 * negates): any positive match and no negated one. Compared with the host exactly as typed.
 */
function hostMatches(patterns: string[], host: string): boolean {
  return patternList(patterns, host, false);
}

function patternList(patterns: string[], value: string, caseless: boolean): boolean {
  let matched = false;
  const v = caseless ? value.toLowerCase() : value;
  for (const raw of patterns) {
    if (raw === '') continue;
    const negated = raw.startsWith('!');
    const p = caseless ? raw.slice(negated ? 1 : 0).toLowerCase() : raw.slice(negated ? 1 : 0);
    if (matchWildcard(v, p)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** `Match` criteria, all of which must hold (each may be negated with `!`). */
function matchLine(args: string[], st: ReadState, where: string): { matched: boolean; wantFinal: boolean } {
  const env = st.env;
  if (args.length === 0) throw new UsageError(`${where}: missing Match criteria`);
  let matched = true;
  let wantFinal = false;
  for (let i = 0; i < args.length; i++) {
    let attr = args[i]!.toLowerCase();
    const negate = attr.startsWith('!');
    if (negate) attr = attr.slice(1);
    let result: boolean;
    if (attr === 'all') {
      // "all" stands alone (or with canonical/final)
      if (args.some((a) => !['all', 'canonical', 'final', '!all'].includes(a.toLowerCase())))
        throw new UsageError(`${where}: 'all' cannot be combined with other Match attributes`);
      result = true;
    } else if (attr === 'canonical' || attr === 'final') {
      if (attr === 'final') wantFinal = true;
      result = st.final;
    } else {
      const value = args[++i];
      if (value === undefined) throw new UsageError(`${where}: Match keyword ${attr} requires argument`);
      const list = value.split(',');
      switch (attr) {
        case 'host':
          result = patternList(list, tokenEnv(env).host, true);
          break;
        case 'originalhost':
          result = patternList(list, env.originalHost, true);
          break;
        case 'user':
          result = patternList(list, env.current('user') ?? env.localUser, false);
          break;
        case 'localuser':
          result = patternList(list, env.localUser, false);
          break;
        case 'exec':
          // OpenSSH skips exec once the block can no longer match
          result = matched ? (env.exec ?? shellSucceeds)(expandTokens(value, tokenEnv(env), 'exec', where)) : false;
          break;
        default:
          throw new UsageError(`${where}: Unsupported Match attribute ${attr}`);
      }
    }
    if (negate) result = !result;
    if (!result) matched = false;
  }
  return { matched, wantFinal };
}

function shellSucceeds(command: string): boolean {
  try {
    execFileSync('/bin/sh', ['-c', command], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Include arguments: `~` and tokens expanded, relative to ~/.ssh (user) or /etc/ssh, `*` and `?` in the file name. */
function includeFiles(args: string[], st: ReadState, where: string): string[] {
  const out: string[] = [];
  for (const arg of args) {
    let path = expandHome(expandTokens(arg, tokenEnv(st.env), 'include', where), st.env.home);
    if (!isAbsolute(path)) path = st.user ? join(st.env.home, '.ssh', path) : join('/etc/ssh', path);
    const dir = dirname(path);
    const name = path.slice(dir.length + 1);
    if (!/[*?[]/.test(name)) {
      out.push(path);
      continue;
    }
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      continue; // as glob(3): nothing matches
    }
    out.push(
      ...entries
        .filter((e) => !e.startsWith('.') && matchWildcard(e, name))
        .sort()
        .map((e) => join(dir, e)),
    );
  }
  return out;
}

/** `~` and `~/…` as the home directory. */
export function expandHome(path: string, home: string): string {
  if (path === '~') return home;
  return path.startsWith('~/') ? join(home, path.slice(2)) : path;
}

/** What the `%` tokens stand for (ssh_config(5) TOKENS). */
export interface TokenValues {
  /** %h: the remote host name (HostName applied) */
  host: string;
  /** %n: the host as given on the command line */
  originalHost: string;
  /** %k: HostKeyAlias (default: %n) */
  hostKeyAlias?: string;
  /** %p */
  port: number;
  /** %r */
  user: string;
  /** %u */
  localUser: string;
  /** %d */
  home: string;
}

function tokenEnv(env: ConfigEnv): TokenValues {
  const hostName = env.current('hostname');
  return {
    host: hostName === undefined ? env.originalHost : expandHostName(hostName, env.originalHost),
    originalHost: env.originalHost,
    port: Number(env.current('port') ?? 22),
    user: env.current('user') ?? env.localUser,
    localUser: env.localUser,
    home: env.home,
  };
}

/** HostName's expansion: only %h (the host as typed) and %%. */
export function expandHostName(value: string, originalHost: string): string {
  return expandTokens(value, { host: originalHost, originalHost, port: 0, user: '', localUser: '', home: '' }, 'hostname');
}

/**
 * Expand `%x` tokens (and `${VAR}` environment references) in `value`, as ssh does for
 * IdentityFile, UserKnownHostsFile, IdentityAgent, Match exec and Include; `HostName` takes
 * only %h and %%. An unknown token is an error naming the keyword.
 */
export function expandTokens(value: string, t: TokenValues, keyword: string, where = 'command-line'): string {
  const hostOnly = keyword === 'hostname';
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    // ProxyCommand's ${VAR} is left to the shell that runs it
    if (ch === '$' && value[i + 1] === '{' && !hostOnly && keyword !== 'proxycommand') {
      const end = value.indexOf('}', i + 2);
      if (end < 0) throw new UsageError(`${where}: ${keyword}: unterminated \${`);
      const name = value.slice(i + 2, end);
      const v = process.env[name];
      if (v === undefined) throw new UsageError(`${where}: ${keyword}: environment variable "${name}" is not set`);
      out += v;
      i = end;
    } else if (ch === '%') {
      const k = value[++i] ?? '';
      const v = hostOnly ? (k === '%' ? '%' : k === 'h' ? t.originalHost : undefined) : tokenValue(k, t);
      if (v === undefined) throw new UsageError(`${where}: ${keyword}: unknown token %${k}`);
      out += v;
    } else {
      out += ch;
    }
  }
  return out;
}

/** ssh_config(5) TOKENS (%j, the ProxyJump hosts, is empty: as in ssh for the destination's own connection). */
function tokenValue(k: string, t: TokenValues): string | undefined {
  switch (k) {
    case '%':
      return '%';
    case 'h':
      return t.host;
    case 'n':
      return t.originalHost;
    case 'k':
      return t.hostKeyAlias ?? t.originalHost;
    case 'p':
      return String(t.port);
    case 'r':
      return t.user;
    case 'u':
      return t.localUser;
    case 'd':
      return t.home;
    case 'l':
      return localHostname();
    case 'L':
      return localHostname().split('.')[0]!;
    case 'i':
      return String(process.getuid?.() ?? '');
    case 'j':
      return '';
    case 'C':
      return createHash('sha1')
        .update(localHostname() + t.host + String(t.port) + t.user)
        .digest('hex');
    default:
      return undefined;
  }
}
