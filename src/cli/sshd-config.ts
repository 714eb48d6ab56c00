/**
 * sshd_config(5) for `puressh sshd`, read as OpenSSH 9.2's sshd reads it.
 *
 * Use:
 *
 *   const loaded = loadSshdConfig({ configFile: '/etc/ssh/sshd_config', options: ['Port=2222'] });
 *   loaded.config                 // SshdConfig: the global settings, defaults filled in
 *   evaluateMatch(loaded, { user: 'alice', host: 'h', addr: '10.1.2.3', laddr: '127.0.0.1', lport: 22 })
 *                                 // SshdConfig for one connection: the Match blocks that apply, applied
 *   checkUserAccess(settings, { user, groups, host, addr })   // AllowUsers/DenyUsers/AllowGroups/DenyGroups
 *
 * Errors are SshdConfigError with sshd's message (`/path line N: Bad configuration option: Foo`,
 * `…: terminating, 1 bad configuration options`) and the exit status sshd would end with
 * (`exitCode`, 255 for fatal errors); `diagnostics` holds the lines sshd prints on the way
 * (deprecated and unsupported keywords, each bad option).
 *
 * Semantics are sshd's: the first value of a keyword wins (-o options come first), except the
 * keywords that accumulate or keep their last value (sshd-keywords.ts); Match blocks are
 * checked for syntax at load and applied per connection by a second pass over the same text,
 * whose values replace the global ones; `Include` globs are relative to /etc/ssh and read once.
 *
 * Keywords puressh does not act on are still parsed and shown by `-T` as sshd shows them;
 * `notImplementedWarnings()` names the ones set to something puressh will not honour.
 * Kerberos and GSSAPI keywords are "Unsupported option"s (an OpenSSH built without them),
 * and PerSourcePenalties (OpenSSH 9.8) is parsed although 9.2 does not know it.
 */
import { matchWildcard } from './algo-list.js';
import { assembleServerList, droppedAlgorithms, type AlgorithmKind, type AlgorithmListName } from './sshd-algorithms.js';
import { nodeLoadEnv, type LoadEnv } from './sshd-files.js';
import { a2port, SshdConfigError, strdelim } from './sshd-lexer.js';
import { allowedInMatch, processLine, type LineEnv, type RawOptions } from './sshd-keywords.js';
import { addrMatchList, matchHostname, matchPatternList, matchUser } from './sshd-match.js';

export { SshdConfigError };

/** What a connection is matched on (sshd's connection_info and `-C user=,host=,addr=,laddr=,lport=`). */
export interface ConnectionInfo {
  user?: string;
  /** the client's host name (or address when UseDNS is off) */
  host?: string;
  addr?: string;
  laddr?: string;
  lport?: number;
  /** the user's groups for `Match Group`; looked up in /etc/passwd and /etc/group when absent */
  groups?: readonly string[];
}

export type YesNo = boolean;
export type Forwarding = 'yes' | 'no' | 'local' | 'remote';

/** The effective settings: defaults filled in, "none" as null. Field names follow the keywords. */
export interface SshdConfig {
  ports: number[];
  addressFamily: 'any' | 'inet' | 'inet6';
  /** host null: every address of the family (sshd's wildcard listen) */
  listenAddresses: { host: string | null; port: number }[];
  hostKeys: string[];
  hostCertificates: string[];
  hostKeyAgent: string | null;
  pidFile: string | null;
  moduliFile: string;
  usePam: YesNo;
  loginGraceTime: number;
  permitRootLogin: 'yes' | 'no' | 'prohibit-password' | 'forced-commands-only';
  syslogFacility: string;
  logLevel: string;
  logVerbose: string[];
  pubkeyAuthentication: YesNo;
  pubkeyAcceptedAlgorithms: string[];
  pubkeyAuthOptions: string[];
  passwordAuthentication: YesNo;
  kbdInteractiveAuthentication: YesNo;
  hostbasedAuthentication: YesNo;
  hostbasedUsesNameFromPacketOnly: YesNo;
  hostbasedAcceptedAlgorithms: string[];
  permitEmptyPasswords: YesNo;
  authenticationMethods: string[];
  maxAuthTries: number;
  maxSessions: number;
  maxStartups: { begin: number; rate: number; full: number };
  perSourceMaxStartups: number | null;
  perSourceNetBlockSize: { ipv4: number; ipv6: number };
  perSourcePenalties: PerSourcePenalties;
  perSourcePenaltyExemptList: string | null;
  clientAliveInterval: number;
  clientAliveCountMax: number;
  unusedConnectionTimeout: number;
  channelTimeout: string[];
  rekeyLimit: { bytes: number; seconds: number };
  ciphers: string[];
  macs: string[];
  kexAlgorithms: string[];
  hostKeyAlgorithms: string[];
  caSignatureAlgorithms: string[];
  requiredRsaSize: number;
  /** AuthorizedKeysFile entries as written: %h, %u, %% and relative paths are for `authorizedKeysFiles()` */
  authorizedKeysFile: string[];
  authorizedKeysCommand: string | null;
  authorizedKeysCommandUser: string | null;
  authorizedPrincipalsFile: string | null;
  authorizedPrincipalsCommand: string | null;
  authorizedPrincipalsCommandUser: string | null;
  trustedUserCaKeys: string | null;
  revokedKeys: string | null;
  allowUsers: string[];
  denyUsers: string[];
  allowGroups: string[];
  denyGroups: string[];
  strictModes: YesNo;
  ignoreRhosts: 'yes' | 'no' | 'shosts-only';
  ignoreUserKnownHosts: YesNo;
  allowTcpForwarding: Forwarding;
  allowStreamLocalForwarding: Forwarding;
  allowAgentForwarding: YesNo;
  disableForwarding: YesNo;
  gatewayPorts: 'yes' | 'no' | 'clientspecified';
  /** ['any'], ['none'] or host:port entries */
  permitOpen: string[];
  permitListen: string[];
  permitTunnel: 'yes' | 'no' | 'point-to-point' | 'ethernet';
  streamLocalBindMask: number;
  streamLocalBindUnlink: YesNo;
  x11Forwarding: YesNo;
  x11DisplayOffset: number;
  x11UseLocalhost: YesNo;
  xauthLocation: string | null;
  permitTTY: YesNo;
  permitUserRC: YesNo;
  /** true, false, or a pattern list of the names allowed */
  permitUserEnvironment: boolean | string;
  acceptEnv: string[];
  setEnv: string[];
  subsystems: { name: string; command: string; args: string }[];
  forceCommand: string | null;
  chrootDirectory: string | null;
  banner: string | null;
  printMotd: YesNo;
  printLastLog: YesNo;
  tcpKeepAlive: YesNo;
  useDns: YesNo;
  compression: YesNo;
  ipQos: { interactive: number; bulk: number };
  versionAddendum: string;
  fingerprintHash: string;
  exposeAuthInfo: YesNo;
  securityKeyProvider: string | null;
}

/** PerSourcePenalties (OpenSSH 9.8) in seconds, with 9.8's defaults. */
export interface PerSourcePenalties {
  enabled: boolean;
  crash: number;
  authfail: number;
  noauth: number;
  graceExceeded: number;
  refuseConnection: number;
  max: number;
  min: number;
  maxSources4: number;
  maxSources6: number;
  overflow: 'permissive' | 'deny-all';
  overflow6: 'permissive' | 'deny-all';
}

/** A loaded configuration: the global settings, and what evaluateMatch needs to re-read it. */
export interface LoadedSshdConfig {
  config: SshdConfig;
  /** the global option values (sshd -T names), before defaults: for evaluateMatch and -T */
  readonly raw: RawOptions;
  readonly source: ConfigSource;
  /** lines sshd would print while loading (deprecated, unsupported keywords) */
  diagnostics: string[];
}

interface ConfigSource {
  file: string;
  /** null: `-f none` */
  text: string | null;
  includes: IncludeItem[];
  env: LoadEnv;
}

interface IncludeItem {
  selector: string;
  file: string | null;
  text: string;
}

export interface LoadOptions {
  /** -f: the config file (default /etc/ssh/sshd_config); "none" for none */
  configFile?: string;
  /** -o options and -h host key files, in command-line order */
  options?: readonly (string | { hostKey: string })[];
  /** -p ports (they replace the config's Port lines) */
  ports?: readonly number[];
  /** -c host certificate files */
  hostCertificates?: readonly string[];
  /** -4 / -6 */
  addressFamily?: 'inet' | 'inet6';
  /** -d/-q: the log level set on the command line (it wins over LogLevel) */
  logLevel?: string;
  /** -g: login grace time */
  loginGraceTime?: number;
  /** the running process's environment: working directory, home directories, groups, files */
  env?: Partial<LoadEnv>;
}

const SSHDIR = '/etc/ssh';
const NEVERMATCH = 4;
const MATCH_ONLY = 8;
const MAX_DEPTH = 16;

/** Read the configuration as sshd does at startup (-o options, the file, defaults). */
export function loadSshdConfig(opts: LoadOptions = {}): LoadedSshdConfig {
  const env: LoadEnv = { ...nodeLoadEnv(), ...opts.env };
  const diagnostics: string[] = [];
  const o: RawOptions = new Map();
  // the command line first: its values win (sshd.c main() before load_server_config)
  if (opts.addressFamily) o.set('addressfamily', opts.addressFamily);
  if (opts.logLevel) o.set('loglevel', opts.logLevel);
  if (opts.loginGraceTime !== undefined) o.set('logingracetime', opts.loginGraceTime);
  if (opts.ports?.length) o.set('port', [...opts.ports]);
  for (const c of opts.hostCertificates ?? []) pushList(o, 'hostcertificate', derelativise(c, env));
  const portsFromCmdline = (opts.ports?.length ?? 0) > 0;
  try {
    for (const option of opts.options ?? []) {
      if (typeof option !== 'string') {
        pushList(o, 'hostkey', derelativise(option.hostKey, env));
        continue;
      }
      const lineEnv = makeEnv('command-line', 0, { v: true }, null, 0, [], env, diagnostics, portsFromCmdline);
      lineEnv.cmdline = true;
      if (!processLine(o, option, lineEnv)) throw new SshdConfigError(diagnostics.pop() ?? 'bad option', 1);
    }
    const file = opts.configFile ?? `${SSHDIR}/sshd_config`;
    let text: string | null = null;
    if (file.toLowerCase() !== 'none') {
      try {
        text = loadText(env.readFile(file));
      } catch (e) {
        throw new SshdConfigError(`${file}: ${errnoText(e)}`, 1);
      }
    }
    const source: ConfigSource = { file, text, includes: [], env };
    if (text !== null) parseDepth(o, file, text, source, null, 0, { v: true }, 0, diagnostics, portsFromCmdline);
    if (!o.has('port')) o.set('port', [22]);
    const config = toConfig(o, null);
    return { config, raw: o, source, diagnostics };
  } catch (e) {
    if (e instanceof SshdConfigError) e.diagnostics = [...diagnostics, ...e.diagnostics];
    throw e;
  }
}

/**
 * The settings for one connection: the Match blocks that apply to it (sshd's second pass,
 * parse_server_match_config) over the global settings. With `test` (sshd -T -C), criteria
 * whose field is missing do not match, and a LocalPort criterion without lport is fatal, as in sshd.
 */
export function evaluateMatch(loaded: LoadedSshdConfig, conn: ConnectionInfo, test = false): SshdConfig {
  const mo: RawOptions = new Map();
  const diagnostics: string[] = [];
  const { source } = loaded;
  if (source.text !== null) parseDepth(mo, 'reprocess config', source.text, source, { ...conn, test }, MATCH_ONLY, { v: false }, 0, diagnostics, false);
  const merged: RawOptions = new Map(loaded.raw);
  // copy_set_server_options: only what a Match block may set (a global keyword inside
  // `Match All` is taken by the first pass, and not again here)
  for (const [k, v] of mo) if (k === 'rekeyinterval' || allowedInMatch(k)) merged.set(k, v);
  return toConfig(merged, loaded.raw);
}

/**
 * Every LogLevel a connection may end up with: the global one and each LogLevel line of the
 * configuration and its Includes, whether in a Match block or not (read from the text, without
 * evaluating any Match). Used to set up tracing only when some connection can ask for it.
 */
export function possibleLogLevels(loaded: LoadedSshdConfig): string[] {
  const levels = [loaded.config.logLevel];
  const texts = [loaded.source.text ?? '', ...loaded.source.includes.map((it) => it.text)];
  for (const text of texts) for (const m of text.matchAll(/^[ \t]*"?loglevel"?(?:[ \t]*=[ \t]*|[ \t]+)"?([a-z0-9]+)/gim)) levels.push(m[1]!.toUpperCase());
  return levels;
}

/** Match criteria values with sshd's test-mode flag. */
type MatchConn = ConnectionInfo & { test: boolean };

function makeEnv(
  file: string,
  line: number,
  active: { v: boolean },
  conn: MatchConn | null,
  flags: number,
  _unused: unknown[],
  env: LoadEnv,
  diagnostics: string[],
  portsFromCmdline: boolean,
): LineEnv {
  return {
    file,
    line,
    get active() {
      return active.v;
    },
    set active(v: boolean) {
      active.v = v;
    },
    cmdline: false,
    reprocess: conn !== null,
    portsFromCmdline,
    log: (m) => diagnostics.push(m),
    userHome: (name) => env.userHome(name),
    cwd: env.cwd,
    match: () => {},
    include: () => {},
  };
}

/** parse_server_config_depth: every line of one file; bad options counted, then fatal. */
function parseDepth(
  o: RawOptions,
  file: string,
  text: string,
  source: ConfigSource,
  conn: MatchConn | null,
  startFlags: number,
  active: { v: boolean },
  depth: number,
  diagnostics: string[],
  portsFromCmdline: boolean,
): void {
  if (depth > MAX_DEPTH) throw new SshdConfigError('Too many recursive configuration includes');
  let flags = startFlags;
  let bad = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const env = makeEnv(file, lineNo, active, conn, flags, [], source.env, diagnostics, portsFromCmdline);
    env.match = (criteria) => {
      const r = matchCriteria(criteria, lineNo, flags & NEVERMATCH ? null : conn, source.env, diagnostics);
      if (r < 0) throw new SshdConfigError(`${file} line ${lineNo}: Bad Match condition`);
      active.v = flags & NEVERMATCH ? false : r === 1;
      flags &= ~MATCH_ONLY;
    };
    env.include = (args) => {
      for (const arg2 of args) {
        const selector = arg2.startsWith('/') || arg2.startsWith('~') ? arg2 : `${SSHDIR}/${arg2}`;
        const outer = active.v;
        const innerFlags = flags & MATCH_ONLY ? MATCH_ONLY : outer ? 0 : NEVERMATCH;
        let items = source.includes.filter((it) => it.selector === selector);
        if (items.length === 0) {
          const files = source.env.glob(selector);
          if (files.length === 0) source.includes.push({ selector, file: null, text: '' });
          for (const f of files) {
            let t: string;
            try {
              t = loadText(source.env.readFile(f));
            } catch (e) {
              throw new SshdConfigError(`${f}: ${errnoText(e)}`, 1);
            }
            source.includes.push({ selector, file: f, text: t });
          }
          items = source.includes.filter((it) => it.selector === selector);
        }
        for (const item of items) {
          if (item.file !== null) parseDepth(o, item.file, item.text, source, conn, innerFlags, active, depth + 1, diagnostics, portsFromCmdline);
          active.v = outer;
        }
      }
    };
    if (!processLine(o, lines[i]!, env)) bad++;
  }
  if (bad > 0) throw new SshdConfigError(`${file}: terminating, ${bad} bad configuration options`);
}

/** load_server_config: blanks and CR at the start of each line go (line numbers stay). */
function loadText(text: string): string {
  return text
    .split('\n')
    .map((l) => l.replace(/^[ \t\r]+/, ''))
    .join('\n');
}

/**
 * match_cfg_line: 1 all criteria hold, 0 not, -1 malformed (after sshd's error line).
 * `conn` null is the syntax check of the first pass (nothing matches).
 */
function matchCriteria(criteria: string, line: number, conn: MatchConn | null, env: LoadEnv, diagnostics: string[]): number {
  let result = 1;
  let attributes = 0;
  let cp: string | null = criteria;
  const word = (): string | null => {
    if (cp === null) return null;
    const r = strdelim(cp);
    cp = r.rest;
    return r.word;
  };
  const err = (m: string): number => {
    diagnostics.push(m);
    return -1;
  };
  const missingField = (criterion: string, field: string): never => {
    throw new SshdConfigError(`'Match ${criterion}' in configuration but '${field}' not in connection test specification.`);
  };
  for (let attrib = word(); attrib !== null && attrib !== ''; attrib = word()) {
    if (attrib.startsWith('#')) break;
    attributes++;
    const a = attrib.toLowerCase();
    if (a === 'all') {
      const arg = word();
      if (attributes > 1 || (arg !== null && arg !== '' && !arg.startsWith('#'))) return err("'all' cannot be combined with other Match attributes");
      return 1;
    }
    const arg = word();
    if (arg === null || arg === '' || arg.startsWith('#')) return err(`Missing Match criteria for ${attrib}`);
    switch (a) {
      case 'user':
        if (conn === null || (conn.test && conn.user === undefined)) {
          result = 0;
          break;
        }
        if (matchPatternList(conn.user!, arg, false) !== 1) result = 0;
        break;
      case 'group': {
        if (conn === null || (conn.test && conn.user === undefined)) {
          result = 0;
          break;
        }
        const groups = conn.groups ?? env.groupsOf(conn.user!);
        if (!groups || !groupsMatch(groups, arg)) result = 0;
        break;
      }
      case 'host':
        if (conn === null || (conn.test && conn.host === undefined)) {
          result = 0;
          break;
        }
        if (matchHostname(conn.host!, arg) !== 1) result = 0;
        break;
      case 'address':
      case 'localaddress': {
        const value = a === 'address' ? conn?.addr : conn?.laddr;
        if (conn === null || (conn.test && value === undefined)) {
          if (addrMatchList(null, arg) !== 0)
            throw new SshdConfigError(`Invalid Match ${a === 'address' ? 'address' : 'localaddress'} argument '${arg}' at line ${line}`);
          result = 0;
          break;
        }
        const r = addrMatchList(value!, arg);
        if (r === -2) return -1;
        if (r !== 1) result = 0;
        break;
      }
      case 'localport': {
        const port = a2port(arg);
        if (port === -1) return err(`Invalid LocalPort '${arg}' on Match line`);
        if (conn === null) {
          result = 0;
          break;
        }
        if (conn.lport === undefined || conn.lport === 0) {
          if (conn.test) missingField('LocalPort', 'lport');
          result = 0;
          break;
        }
        if (port !== conn.lport) result = 0;
        break;
      }
      case 'rdomain':
        result = 0;
        break;
      default:
        return err(`Unsupported Match attribute ${attrib}`);
    }
  }
  if (attributes === 0) return err('One or more attributes required for Match');
  return result;
}

/** ga_match_pattern_list: some group matches and none is excluded by a negated pattern. */
function groupsMatch(groups: readonly string[], list: string): boolean {
  let found = false;
  for (const g of groups) {
    const r = matchPatternList(g, list, false);
    if (r === -1) return false;
    if (r === 1) found = true;
  }
  return found;
}

function pushList(o: RawOptions, id: string, v: unknown): void {
  o.set(id, [...((o.get(id) as unknown[] | undefined) ?? []), v]);
}

function derelativise(p: string, env: LoadEnv): string {
  if (p.toLowerCase() === 'none') return 'none';
  let e = p;
  if (p === '~' || p.startsWith('~/')) e = (env.userHome() ?? '') + p.slice(1);
  return e.startsWith('/') ? e : `${env.cwd.replace(/\/$/, '')}/${e}`;
}

function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT'
    ? 'No such file or directory'
    : code === 'EACCES'
      ? 'Permission denied'
      : code === 'EISDIR'
        ? 'Is a directory'
        : String((e as Error).message);
}

const PENALTY_DEFAULTS: PerSourcePenalties = {
  enabled: true,
  crash: 90,
  authfail: 5,
  noauth: 1,
  graceExceeded: 10,
  refuseConnection: 10,
  max: 600,
  min: 15,
  maxSources4: 65536,
  maxSources6: 65536,
  overflow: 'permissive',
  overflow6: 'permissive',
};

/** Defaults filled in (fill_default_server_options) and "none" made null. */
function toConfig(o: RawOptions, _global: RawOptions | null): SshdConfig {
  const get = <T>(id: string, dflt: T): T => (o.has(id) ? (o.get(id) as T) : dflt);
  const yes = (id: string, dflt: boolean): boolean => get<string>(id, dflt ? 'yes' : 'no') === 'yes';
  const str = (id: string, dflt: string | null = null): string | null => {
    const v = get<string | null>(id, dflt);
    return v === null || v.toLowerCase() === 'none' ? null : v;
  };
  const list = (name: AlgorithmListName): string[] => {
    const spec = o.get(name) as string | undefined;
    const out = assembleServerList(name, spec);
    if (out === null) throw new SshdConfigError(`${name}: no algorithm in '${spec}' is supported by puressh`);
    return out;
  };
  const ports = get<number[]>('port', [22]);
  const family = get<'any' | 'inet' | 'inet6'>('addressfamily', 'any');
  const queued = get<{ host: string; port: number }[]>('listenaddress', []);
  const listenAddresses =
    queued.length === 0
      ? ports.map((port) => ({ host: null, port }))
      : queued.flatMap((q) => (q.port > 0 ? [{ host: q.host, port: q.port }] : ports.map((port) => ({ host: q.host, port }))));
  const hostKeys = get<string[]>('hostkey', []);
  const ms = get<[number, number, number]>('maxstartups', [10, 30, 100]);
  const nb = get<[number, number]>('persourcenetblocksize', [32, 128]);
  const psp = get<Record<string, unknown>>('persourcepenalties', {});
  // Debian's defaults (lowdelay, throughput); upstream OpenSSH 9.2 has af21 cs1
  const ipqos = get<[number, number]>('ipqos', [0x10, 0x08]);
  const methods = get<string[]>('authenticationmethods', []);
  const penalty = (k: string, d: unknown): unknown => psp[k] ?? d;
  return {
    ports,
    addressFamily: family,
    listenAddresses,
    hostKeys: hostKeys.length ? hostKeys : ['/etc/ssh/ssh_host_rsa_key', '/etc/ssh/ssh_host_ecdsa_key', '/etc/ssh/ssh_host_ed25519_key'],
    hostCertificates: get<string[]>('hostcertificate', []),
    hostKeyAgent: str('hostkeyagent'),
    pidFile: str('pidfile', '/run/sshd.pid'),
    moduliFile: get('modulifile', '/etc/ssh/moduli'),
    usePam: yes('usepam', false),
    loginGraceTime: get('logingracetime', 120),
    permitRootLogin: get('permitrootlogin', 'prohibit-password'),
    syslogFacility: get('syslogfacility', 'AUTH'),
    logLevel: get('loglevel', 'INFO'),
    logVerbose: get('logverbose', []),
    pubkeyAuthentication: yes('pubkeyauthentication', true),
    pubkeyAcceptedAlgorithms: list('pubkeyacceptedalgorithms'),
    pubkeyAuthOptions: get('pubkeyauthoptions', []),
    passwordAuthentication: yes('passwordauthentication', true),
    kbdInteractiveAuthentication: yes('kbdinteractiveauthentication', true),
    hostbasedAuthentication: yes('hostbasedauthentication', false),
    hostbasedUsesNameFromPacketOnly: yes('hostbasedusesnamefrompacketonly', false),
    hostbasedAcceptedAlgorithms: list('hostbasedacceptedalgorithms'),
    permitEmptyPasswords: yes('permitemptypasswords', false),
    authenticationMethods: methods.length === 1 && methods[0] === 'any' ? [] : methods,
    maxAuthTries: get('maxauthtries', 6),
    maxSessions: get('maxsessions', 10),
    // a component sshd's sscanf did not reach stays unset (-1) and takes its default
    maxStartups: { begin: ms[0] === -1 ? 10 : ms[0], rate: ms[1] === -1 ? 30 : ms[1], full: ms[2] === -1 ? 100 : ms[2] },
    perSourceMaxStartups: ((v: number) => (v === Infinity ? null : v))(get('persourcemaxstartups', Infinity)),
    perSourceNetBlockSize: { ipv4: nb[0], ipv6: nb[1] },
    perSourcePenalties: {
      enabled: psp.enabled === undefined ? PENALTY_DEFAULTS.enabled : Boolean(psp.enabled),
      crash: penalty('crash', 90) as number,
      authfail: penalty('authfail', 5) as number,
      noauth: penalty('noauth', 1) as number,
      graceExceeded: penalty('grace-exceeded', 10) as number,
      refuseConnection: penalty('refuseconnection', 10) as number,
      max: penalty('max', 600) as number,
      min: penalty('min', 15) as number,
      maxSources4: penalty('max-sources4', 65536) as number,
      maxSources6: penalty('max-sources6', 65536) as number,
      overflow: penalty('overflow', 'permissive') as 'permissive',
      overflow6: penalty('overflow6', 'permissive') as 'permissive',
    },
    perSourcePenaltyExemptList: str('persourcepenaltyexemptlist'),
    clientAliveInterval: get('clientaliveinterval', 0),
    clientAliveCountMax: get('clientalivecountmax', 3),
    unusedConnectionTimeout: get('unusedconnectiontimeout', 0),
    channelTimeout: ((v: string[]) => (v.length === 1 && v[0]!.toLowerCase() === 'none' ? [] : v))(get('channeltimeout', [])),
    rekeyLimit: { bytes: get('rekeylimit', 0), seconds: get('rekeyinterval', 0) },
    ciphers: list('ciphers'),
    macs: list('macs'),
    kexAlgorithms: list('kexalgorithms'),
    hostKeyAlgorithms: list('hostkeyalgorithms'),
    caSignatureAlgorithms: list('casignaturealgorithms'),
    requiredRsaSize: get('requiredrsasize', 1024),
    authorizedKeysFile: get('authorizedkeysfile', ['.ssh/authorized_keys', '.ssh/authorized_keys2']),
    authorizedKeysCommand: str('authorizedkeyscommand'),
    authorizedKeysCommandUser: str('authorizedkeyscommanduser'),
    authorizedPrincipalsFile: str('authorizedprincipalsfile'),
    authorizedPrincipalsCommand: str('authorizedprincipalscommand'),
    authorizedPrincipalsCommandUser: str('authorizedprincipalscommanduser'),
    trustedUserCaKeys: str('trustedusercakeys'),
    revokedKeys: str('revokedkeys'),
    allowUsers: get('allowusers', []),
    denyUsers: get('denyusers', []),
    allowGroups: get('allowgroups', []),
    denyGroups: get('denygroups', []),
    strictModes: yes('strictmodes', true),
    ignoreRhosts: get('ignorerhosts', 'yes'),
    ignoreUserKnownHosts: yes('ignoreuserknownhosts', false),
    allowTcpForwarding: get('allowtcpforwarding', 'yes'),
    allowStreamLocalForwarding: get('allowstreamlocalforwarding', 'yes'),
    allowAgentForwarding: yes('allowagentforwarding', true),
    disableForwarding: yes('disableforwarding', false),
    gatewayPorts: get('gatewayports', 'no'),
    permitOpen: get('permitopen', ['any']),
    permitListen: get('permitlisten', ['any']),
    permitTunnel: get('permittunnel', 'no'),
    streamLocalBindMask: get('streamlocalbindmask', 0o177),
    streamLocalBindUnlink: yes('streamlocalbindunlink', false),
    x11Forwarding: yes('x11forwarding', false),
    x11DisplayOffset: get('x11displayoffset', 10),
    x11UseLocalhost: yes('x11uselocalhost', true),
    xauthLocation: str('xauthlocation', '/usr/bin/xauth'),
    permitTTY: yes('permittty', true),
    permitUserRC: yes('permituserrc', true),
    permitUserEnvironment: get('permituserenvironment', false),
    acceptEnv: get('acceptenv', []),
    setEnv: get('setenv', []),
    subsystems: get('subsystem', []),
    forceCommand: str('forcecommand'),
    chrootDirectory: str('chrootdirectory'),
    banner: str('banner'),
    printMotd: yes('printmotd', true),
    printLastLog: yes('printlastlog', true),
    tcpKeepAlive: yes('tcpkeepalive', true),
    useDns: yes('usedns', false),
    compression: yes('compression', true),
    ipQos: { interactive: ipqos[0], bulk: ipqos[1] },
    versionAddendum: get('versionaddendum', ''),
    fingerprintHash: get('fingerprinthash', 'SHA256'),
    exposeAuthInfo: yes('exposeauthinfo', false),
    securityKeyProvider: str('securitykeyprovider', 'internal'),
  };
}

/**
 * auth.c allowed_user()'s list checks, in sshd's order: DenyUsers, AllowUsers, DenyGroups,
 * AllowGroups. Returns null if the user may log in, else the reason sshd logs.
 */
export function checkUserAccess(
  c: Pick<SshdConfig, 'allowUsers' | 'denyUsers' | 'allowGroups' | 'denyGroups'>,
  who: { user: string; groups: readonly string[]; host: string; addr: string },
): string | null {
  const { user, host, addr } = who;
  if (c.denyUsers.some((p) => matchUser(user, host, addr, p) === 1)) return `User ${user} from ${host} not allowed because listed in DenyUsers`;
  if (c.allowUsers.length > 0 && !c.allowUsers.some((p) => matchUser(user, host, addr, p) === 1))
    return `User ${user} from ${host} not allowed because not listed in AllowUsers`;
  if (c.denyGroups.length > 0 && who.groups.some((g) => c.denyGroups.some((p) => matchWildcard(g, p))))
    return `User ${user} from ${host} not allowed because a group is listed in DenyGroups`;
  if (c.allowGroups.length > 0 && !who.groups.some((g) => c.allowGroups.some((p) => matchWildcard(g, p))))
    return `User ${user} from ${host} not allowed because none of user's groups are listed in AllowGroups`;
  return null;
}

/**
 * AuthorizedKeysFile (and AuthorizedPrincipalsFile) paths for a user: %h the home directory,
 * %u the user name, %U the uid, %% a percent sign; a relative path is taken from the home
 * directory (auth.c expand_authorized_keys).
 */
export function expandAuthorizedPath(path: string, user: { name: string; home: string; uid: number }): string {
  const out = path.replace(/%([%hUu])/g, (_m, t: string) => (t === '%' ? '%' : t === 'h' ? user.home : t === 'u' ? user.name : String(user.uid)));
  return out.startsWith('/') ? out : `${user.home.replace(/\/$/, '')}/${out}`;
}

/** Settings puressh parses but will not honour as set; one warning line each. */
export function notImplementedWarnings(c: SshdConfig, raw: RawOptions): string[] {
  const w: string[] = [];
  const set = (k: string, msg: string, when = true): void => {
    if (when) w.push(`${k}: ${msg}`);
  };
  set('UsePAM', 'PAM is not supported; ignored', c.usePam);
  set('X11Forwarding', 'X11 forwarding is not supported; treated as no', c.x11Forwarding);
  set('PermitTunnel', 'tun forwarding is not supported; treated as no', c.permitTunnel !== 'no');
  set('HostbasedAuthentication', 'not supported by puressh sshd; treated as no', c.hostbasedAuthentication);
  set('AuthorizedPrincipalsCommand', 'not supported; ignored', c.authorizedPrincipalsCommand !== null);
  set('PermitUserRC', 'ignored (~/.ssh/rc is not run)', raw.get('permituserrc') === 'yes');
  set('PrintLastLog', 'ignored (no lastlog)', raw.get('printlastlog') === 'yes');
  set('SecurityKeyProvider', 'ignored (no security keys)', raw.has('securitykeyprovider'));
  set('HostKeyAgent', 'ignored (host keys are read from files)', c.hostKeyAgent !== null);
  set(
    'ChrootDirectory',
    'served for internal-sftp sessions only; other sessions it applies to are refused',
    c.chrootDirectory !== null && c.chrootDirectory.toLowerCase() !== 'none',
  );
  set('AuthorizedKeysCommand', 'not supported; ignored (only AuthorizedKeysFile is read)', c.authorizedKeysCommand !== null);
  // LogVerbose patterns name OpenSSH's source places (file:function:line), which puressh's lines do not have
  set(
    'LogVerbose',
    "ignored (its patterns name places in OpenSSH's C sources)",
    c.logVerbose.some((v) => v.toLowerCase() !== 'none'),
  );
  const kinds: [string, AlgorithmKind][] = [
    ['ciphers', 'cipher'],
    ['macs', 'mac'],
    ['kexalgorithms', 'kex'],
    ['hostkeyalgorithms', 'key'],
    ['pubkeyacceptedalgorithms', 'key'],
    ['hostbasedacceptedalgorithms', 'key'],
    ['casignaturealgorithms', 'key'],
  ];
  for (const [k, kind] of kinds) {
    const spec = raw.get(k) as string | undefined;
    const dropped = spec === undefined ? [] : droppedAlgorithms(kind, spec);
    set(k, `not implemented by puressh, left out: ${dropped.join(',')}`, dropped.length > 0);
  }
  return w;
}
