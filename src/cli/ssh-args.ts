/**
 * Command-line parsing for `puressh ssh`, with OpenSSH's flags and rules:
 * - options may come before and right after the destination; the next word starts the
 *   command, and every word after it belongs to the command (joined with spaces, as ssh does);
 * - flags cluster (`-Cv`), option arguments may be attached (`-p2222`), `--` ends options;
 * - the first value obtained for a setting wins (ssh_config(5)), whether it came from a flag
 *   (`-p`, `-l`, `-c`, `-m`, `-C`), an `-o Name=Value` or the `user@` / `ssh://` destination;
 *   identity files accumulate.
 */

import { matchWildcard } from './algo-list.js';
import type { SessionArgs } from './ssh-session.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE = `usage: puressh ssh [-46ACfGNnqTtVv] [-c cipher_spec] [-D [bind_address:]port]
           [-e escape_char] [-F configfile] [-i identity_file] [-J destination]
           [-L address] [-l login_name] [-m mac_spec] [-o option] [-p port]
           [-Q query_option] [-R address] [-W host:port]
           destination [command [argument ...]]
       puressh ssh -Q kex|cipher|mac|key|key-sig|compression`;

/** -o keywords puressh acts on (lower case). */
export const SUPPORTED_OPTIONS = new Set([
  'kexalgorithms',
  'ciphers',
  'macs',
  'hostkeyalgorithms',
  'pubkeyacceptedalgorithms',
  'compression',
  'port',
  'user',
  'hostname',
  'identityfile',
  'certificatefile',
  'revokedhostkeys',
  'identitiesonly',
  'stricthostkeychecking',
  'userknownhostsfile',
  'globalknownhostsfile',
  'connecttimeout',
  'batchmode',
  'passwordauthentication',
  'pubkeyauthentication',
  'preferredauthentications',
  'numberofpasswordprompts',
  'loglevel',
  'serveraliveinterval',
  'serveralivecountmax',
  'rekeylimit',
  'hashknownhosts',
  'identityagent',
  'forwardagent',
  'kbdinteractiveauthentication',
  'hostbasedauthentication',
  'requesttty',
  'exitonforwardfailure',
  'escapechar',
  'updatehostkeys',
  'proxyjump',
  'sendenv',
  'setenv',
  'proxycommand',
  'forkafterauthentication',
  'stdinnull',
  'hostkeyalias',
  'clearallforwardings',
  'remotecommand',
  'sessiontype',
]);

/** Old names OpenSSH still accepts. */
const ALIASES: Record<string, string> = {
  pubkeyacceptedkeytypes: 'pubkeyacceptedalgorithms',
};

/**
 * Accepted and ignored, because they do not apply to puressh (README "ssh_config keywords
 * that are ignored" lists them, with why): GSSAPI (no Kerberos: ssh too skips the method
 * without credentials), connection sharing (each run makes its own connection, as ssh does
 * with no master running), checks and output puressh does not do (CheckHostIP,
 * VerifyHostKeyDNS, VisualHostKey), socket and logging details (AddressFamily, TCPKeepAlive,
 * IPQoS, SyslogFacility), X11 (never forwarded), and the ~C command line (not offered).
 */
export const IGNORED_OPTIONS = new Set([
  'gssapiauthentication',
  'gssapidelegatecredentials',
  'controlmaster',
  'controlpath',
  'controlpersist',
  'checkhostip',
  'verifyhostkeydns',
  'visualhostkey',
  'addressfamily',
  'tcpkeepalive',
  'ipqos',
  'syslogfacility',
  'forwardx11',
  'forwardx11trusted',
  'enableescapecommandline',
]);

export interface SshArgs {
  destination: string | null;
  /** the host part of the destination */
  host: string | null;
  /** the command words (empty: no command) */
  command: string[];
  /** number of -v flags */
  verbose: number;
  quiet: boolean;
  /** -n: stdin from /dev/null */
  noStdin: boolean;
  /** -Q argument */
  query: string | null;
  /** -V */
  version: boolean;
  /** settings by lower-case keyword, first value wins */
  options: Map<string, string>;
  /** -i and IdentityFile, in order */
  identityFiles: string[];
  /** SendEnv patterns, accumulated over every line (`-pattern` removes earlier ones) */
  sendEnv: string[];
  /** CertificateFile, in order */
  certificateFiles: string[];
  /** notes about accepted-but-ignored flags and options (printed with -v) */
  notes: string[];
  /** -t count, -N, -L/-R/-D, -W (resolved in ssh-session.ts) */
  session: SessionArgs;
  /** -F: the one config file to read; null for `-F none`; undefined: ~/.ssh/config, /etc/ssh/ssh_config */
  configFile?: string | null;
  /** -G: print the configuration and exit */
  printConfig: boolean;
}

const NO_ARG = new Set(['4', '6', 'A', 'C', 'f', 'G', 'N', 'n', 'q', 'T', 't', 'V', 'v', 'a', 'x', 'k']);
const WITH_ARG = new Set(['c', 'D', 'e', 'F', 'i', 'J', 'L', 'l', 'm', 'o', 'p', 'Q', 'R', 'W']);

/** Parse "Name=Value" or "Name Value" as ssh's -o does. */
export function parseOption(text: string): [string, string] {
  const m = /^\s*([A-Za-z0-9]+)\s*(?:=\s*|\s+)(.*?)\s*$/.exec(text);
  if (!m || m[2] === '') throw new UsageError(`command-line line 0: no argument after keyword "${text.trim()}"`);
  const key = m[1]!.toLowerCase();
  return [ALIASES[key] ?? key, unquote(m[2]!)];
}

/**
 * Words as OpenSSH's argv_split reads a config line: separated by blanks; `"` or `'` quote
 * anywhere in a word; a backslash escapes a quote, a backslash or (unquoted) a blank. An
 * unterminated quote is an error.
 */
export function splitWords(s: string, where: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (i >= s.length) break;
    let word = '';
    let quote = '';
    for (; i < s.length; i++) {
      const c = s[i]!;
      const next = s[i + 1];
      if (c === '\\' && (next === "'" || next === '"' || next === '\\' || (quote === '' && next === ' '))) word += s[++i];
      else if (quote === '' && (c === ' ' || c === '\t')) break;
      else if (quote === '' && (c === '"' || c === "'")) quote = c;
      else if (quote !== '' && c === quote) quote = '';
      else word += c;
    }
    if (quote !== '') throw new UsageError(`${where}: invalid quotes`);
    out.push(word);
  }
  return out;
}

/** A word written so that splitWords reads it back unchanged. */
export function quoteWord(word: string): string {
  return /[ \t"'\\]/.test(word) || word === '' ? `"${word.replace(/["'\\]/g, '\\$&')}"` : word;
}

function unquote(v: string): string {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

/** Parse the words after `puressh ssh`. Throws UsageError. */
export function parseSshArgs(argv: readonly string[]): SshArgs {
  const out: SshArgs = {
    destination: null,
    host: null,
    command: [],
    verbose: 0,
    quiet: false,
    noStdin: false,
    query: null,
    version: false,
    options: new Map(),
    identityFiles: [],
    sendEnv: [],
    certificateFiles: [],
    notes: [],
    session: { tty: 0, noCommand: false, forwards: [], stdioForward: null },
    printConfig: false,
  };
  const set = (key: string, value: string): void => setOption(out, key, value);
  let i = 0;
  let optionsDone = false;
  while (i < argv.length) {
    const word = argv[i]!;
    if (!optionsDone && word === '--') {
      optionsDone = true;
      i++;
      continue;
    }
    if (optionsDone || !word.startsWith('-') || word === '-') {
      if (out.destination === null) {
        const d = parseDestination(word);
        out.destination = word;
        out.host = d.host;
        if (d.user !== undefined) set('user', d.user);
        if (d.port !== undefined) set('port', String(d.port));
        i++;
        continue;
      }
      out.command = argv.slice(i);
      break;
    }
    // a cluster of flags, the last of which may take an argument
    for (let j = 1; j < word.length; j++) {
      const flag = word[j]!;
      if (NO_ARG.has(flag)) {
        applyFlag(out, flag, set);
        continue;
      }
      if (!WITH_ARG.has(flag)) {
        throw new UsageError(`unknown option -- ${flag}`);
      }
      let arg = word.slice(j + 1);
      if (arg === '') {
        i++;
        if (i >= argv.length) throw new UsageError(`option requires an argument -- ${flag}`);
        arg = argv[i]!;
      }
      applyArgFlag(out, flag, arg, set);
      break;
    }
    i++;
  }
  return out;
}

/** Record a setting: the first value wins; identity files and forwardings accumulate. */
function setOption(out: SshArgs, key: string, value: string): void {
  if (key === 'identityfile') {
    // as ssh, a file named twice is tried once
    if (!out.identityFiles.includes(value)) out.identityFiles.push(value);
  } else if (key === 'sendenv') {
    addSendEnv(out.sendEnv, value);
  } else if (key === 'certificatefile') {
    if (!out.certificateFiles.includes(value)) out.certificateFiles.push(value);
  } else if (FORWARD_KEYWORDS[key]) {
    const f = { kind: FORWARD_KEYWORDS[key], spec: forwardSpec(value) };
    if (!out.session.forwards.some((g) => g.kind === f.kind && g.spec === f.spec)) out.session.forwards.push(f);
  } else if (key === 'proxyjump' && out.options.has('proxycommand')) {
    // ssh_config(5): whichever of ProxyJump and ProxyCommand comes first prevents the other
    // (ProxyCommand none too; but OpenSSH 9.2 lets a ProxyCommand follow ProxyJump none)
  } else if (key === 'proxycommand' && (out.options.get('proxyjump') ?? 'none').toLowerCase() !== 'none') {
    // see above
  } else if (!out.options.has(key)) out.options.set(key, value);
}

/**
 * SendEnv: patterns add up over all lines; `-pattern` removes the patterns collected so far
 * that it matches (OpenSSH's readconf.c rm_env), e.g. `SendEnv -LC_*` undoes `SendEnv LC_*`.
 */
function addSendEnv(list: string[], value: string): void {
  for (const word of splitWords(value, 'sendenv')) {
    if (word.includes('=')) throw new UsageError(`command-line line 0: Invalid environment name.`);
    if (!word.startsWith('-')) list.push(word);
    else for (let i = list.length - 1; i >= 0; i--) if (matchWildcard(list[i]!, word.slice(1))) list.splice(i, 1);
  }
}

/** LocalForward, RemoteForward and DynamicForward: the -L, -R and -D of a config file. */
const FORWARD_KEYWORDS: Record<string, 'L' | 'R' | 'D'> = { localforward: 'L', remoteforward: 'R', dynamicforward: 'D' };

/** "[bind:]port host:hostport" (the keyword form) as the flag's "[bind:]port:host:hostport". */
function forwardSpec(value: string): string {
  return value.trim().split(/\s+/).join(':');
}

/**
 * One line of an ssh_config file that applies to this destination (see ssh-config.ts). A
 * keyword puressh acts on is set unless the command line or an earlier line set it; one it
 * does not is noted (shown with -v) rather than refused, so a config written for OpenSSH
 * still works.
 */
export function applyConfigLine(out: SshArgs, keyword: string, value: string, where: string): void {
  const key = ALIASES[keyword] ?? keyword;
  if (SUPPORTED_OPTIONS.has(key) || FORWARD_KEYWORDS[key]) setOption(out, key, value);
  else out.notes.push(`${where}: ${IGNORED_OPTIONS.has(key) ? 'option' : 'unsupported option'} ${key} ignored by puressh`);
}

function applyFlag(out: SshArgs, flag: string, set: (k: string, v: string) => void): void {
  switch (flag) {
    case 'G':
      out.printConfig = true;
      break;
    case 'C':
      set('compression', 'yes');
      break;
    case 'v':
      out.verbose++;
      break;
    case 'q':
      out.quiet = true;
      break;
    case 'n':
      out.noStdin = true;
      set('stdinnull', 'yes');
      break;
    case 'f':
      set('forkafterauthentication', 'yes');
      break;
    case 'V':
      out.version = true;
      break;
    case 'A':
      set('forwardagent', 'yes');
      break;
    case 'a':
      set('forwardagent', 'no');
      break;
    case 't':
      out.session.tty++;
      break;
    case 'T':
      set('requesttty', 'no');
      break;
    case 'N':
      out.session.noCommand = true;
      break;
    default:
      // -4 -6 -T -x -k: no effect here (IPv4 loopback, no pty, no X11 forwarding)
      out.notes.push(`flag -${flag} has no effect in puressh`);
  }
}

function applyArgFlag(out: SshArgs, flag: string, arg: string, set: (k: string, v: string) => void): void {
  switch (flag) {
    case 'p':
      set('port', arg);
      break;
    case 'l':
      set('user', arg);
      break;
    case 'i':
      set('identityfile', arg);
      break;
    case 'c':
      set('ciphers', arg);
      break;
    case 'm':
      set('macs', arg);
      break;
    case 'Q':
      out.query = arg;
      break;
    case 'L':
    case 'R':
    case 'D':
      out.session.forwards.push({ kind: flag, spec: arg });
      break;
    case 'W':
      out.session.stdioForward ??= arg;
      break;
    case 'e':
      set('escapechar', arg);
      break;
    case 'J':
      set('proxyjump', arg);
      break;
    case 'F':
      // as ssh: the last -F wins, and "none" reads no file at all
      out.configFile = arg === 'none' ? null : arg;
      break;
    case 'o': {
      const [key, value] = parseOption(arg);
      if (SUPPORTED_OPTIONS.has(key) || FORWARD_KEYWORDS[key]) set(key, value);
      else if (IGNORED_OPTIONS.has(key)) out.notes.push(`option ${key} is ignored by puressh`);
      else throw new UsageError(`command-line line 0: Bad configuration option: ${key}`);
      break;
    }
  }
}

export interface Destination {
  user?: string;
  host: string;
  port?: number;
}

/** `[user@]host` or `ssh://[user@]host[:port]` (the last '@' separates the user). */
export function parseDestination(dest: string): Destination {
  let rest = dest;
  let port: number | undefined;
  const uri = /^ssh:\/\/(.*)$/i.exec(dest);
  if (uri) {
    rest = uri[1]!.replace(/\/$/, '');
    const m = /^(.*?)(?::(\d+))?$/.exec(rest)!;
    rest = m[1]!;
    if (m[2] !== undefined) port = parsePort(m[2]);
  }
  const at = rest.lastIndexOf('@');
  const user = at > 0 ? rest.slice(0, at) : undefined;
  const host = at >= 0 ? rest.slice(at + 1) : rest;
  if (at === 0 || host === '') throw new UsageError(`invalid destination "${dest}"`);
  const out: Destination = { host: host.replace(/^\[(.*)\]$/, '$1') };
  if (user !== undefined) out.user = user;
  if (port !== undefined) out.port = port;
  return out;
}

export function parsePort(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= 65535)) throw new UsageError(`Bad port '${text}'`);
  return n;
}

/** yes/no style values ("true"/"false" too, as ssh_config accepts). */
export function parseYesNo(key: string, value: string): boolean {
  const v = value.toLowerCase();
  if (v === 'yes' || v === 'true') return true;
  if (v === 'no' || v === 'false') return false;
  throw new UsageError(`command-line line 0: unsupported option "${value}" for ${key}`);
}

/** Seconds (ssh_config time format: 30, 30s, 5m, 1h, 1h30m). */
export function parseTime(key: string, value: string): number {
  const units: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  let total = 0;
  const re = /(\d+)([smhdw]?)/giy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while ((m = re.exec(value))) {
    total += Number(m[1]) * units[m[2]!.toLowerCase()]!;
    pos = re.lastIndex;
  }
  if (pos !== value.length || value === '') throw new UsageError(`command-line line 0: invalid time value "${value}" for ${key}`);
  return total;
}

/** Bytes with an optional K/M/G suffix (RekeyLimit). */
export function parseBytes(key: string, value: string): number {
  const m = /^(\d+)([KMG]?)$/i.exec(value);
  if (!m) throw new UsageError(`command-line line 0: invalid size "${value}" for ${key}`);
  const mult = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G'];
  return Number(m[1]) * mult;
}

/** Parse a cluster of single-letter flags; `withArg` letters take the rest or the next word. */
export function parseFlags(argv: readonly string[], noArg: string, withArg: string): { flags: Map<string, string[]>; rest: string[] } {
  const flags = new Map<string, string[]>();
  const add = (k: string, v: string): void => void flags.set(k, [...(flags.get(k) ?? []), v]);
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    for (let j = 1; j < a.length; j++) {
      const c = a[j]!;
      if (noArg.includes(c)) add(c, '');
      else if (withArg.includes(c)) {
        const v = j + 1 < a.length ? a.slice(j + 1) : argv[++i];
        if (v === undefined) throw new UsageError(`option requires an argument -- ${c}`);
        add(c, v);
        break;
      } else throw new UsageError(`unknown option -- ${c}`);
    }
  }
  return { flags, rest: argv.slice(i) };
}

/**
 * ssh.c's valid_hostname and valid_ruser: a host or user given on the command line that holds
 * shell metacharacters is refused before anything expands it into a ProxyCommand, as ssh does
 * since 9.6 (CVE-2023-51385). Returns ssh's fatal message, or null when both are acceptable.
 */
export function invalidNameMessage(args: Pick<SshArgs, 'host' | 'options'>): string | null {
  const user = args.options.get('user');
  if (user !== undefined && !validRemoteUser(user)) return 'remote username contains invalid characters';
  if (args.host !== null && !validHostname(args.host)) return 'hostname contains invalid characters';
  return null;
}

function validHostname(s: string): boolean {
  if (s.startsWith('-')) return false;
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  return !/['`"$\\;&<>|(){}\s\x00-\x1f\x7f]/.test(s);
}

function validRemoteUser(s: string): boolean {
  if (s.startsWith('-')) return false;
  if (/['`";&<>|(){}]/.test(s)) return false;
  // no '-' after whitespace, no '\' at the end
  return !/\s-/.test(s) && !s.endsWith('\\');
}
