/**
 * sshd_config(5) keywords, one line at a time, as OpenSSH 9.2's servconf.c
 * process_server_config_line_depth() takes them: which keywords exist, which may appear
 * inside `Match`, how each argument is checked, and which value wins. Most keywords keep
 * their first value; the exceptions are sshd's own and are kept here (Port, ListenAddress,
 * HostKey, AcceptEnv, AllowUsers… accumulate; MaxStartups, IPQoS, PerSourceNetBlockSize,
 * PerSourceMaxStartups, StreamLocalBindMask and FingerprintHash keep their last value).
 *
 * Values go into a map keyed by the keyword's `sshd -T` name; sshd-config.ts turns the map
 * into the typed SshdConfig. Kerberos and GSSAPI keywords are treated as in an OpenSSH built
 * without them ("Unsupported option"), which is what puressh is.
 */
import { matchUser } from './sshd-match.js';
import { validAlgorithmSpec, type AlgorithmKind } from './sshd-algorithms.js';
import {
  a2port,
  argvSplit,
  atoiErr,
  cleanhostname,
  convtime,
  hpdelim,
  parseIpqos,
  permitopenPort,
  scanScaled,
  SshdConfigError,
  strdelim,
  WHITESPACE,
} from './sshd-lexer.js';

/** Where a keyword may appear (servconf.c SSHCFG_*). */
export const GLOBAL = 1;
export const MATCH = 2;
const ALL = GLOBAL | MATCH;

/** Option values by `sshd -T` name; a name absent is "not set" (sshd's -1 / NULL). */
export type RawOptions = Map<string, unknown>;

/** The state one line is read in. */
export interface LineEnv {
  file: string;
  line: number;
  /** sshd's *activep: whether values are taken (false inside a Match that does not apply) */
  active: boolean;
  /** an -o option: Match and Include are refused */
  cmdline: boolean;
  /** the per-connection pass (sshd's connectinfo != NULL): global-only keywords are skipped */
  reprocess: boolean;
  /** -p was given: Port lines are ignored */
  portsFromCmdline: boolean;
  /** sshd's error()/logit() lines (bad options, deprecated keywords) */
  log(message: string): void;
  /** the home directory for `~` (no name: the running user) as tilde_expand_filename finds it */
  userHome(name?: string): string | undefined;
  cwd: string;
  /** `Match` criteria (the rest of the line): sets `active` */
  match(criteria: string): void;
  /** `Include` arguments */
  include(args: string[]): void;
}

type Kind = 'flag' | 'multi' | 'int' | 'time' | 'filename' | 'algos' | 'kexalgos' | 'deprecated' | 'unsupported' | 'ignore' | 'special';

interface Keyword {
  /** the `sshd -T` name (the first keyword of its opcode in servconf.c) */
  id: string;
  flags: number;
  kind: Kind;
  /** multistate: accepted words → the value kept (compared case-insensitively) */
  states?: Record<string, string>;
}

const YES_NO = { yes: 'yes', no: 'no' };
const FORWARD = { yes: 'yes', all: 'yes', no: 'no', remote: 'remote', local: 'local' };

function kw(id: string, flags: number, kind: Kind, states?: Record<string, string>): Keyword {
  return states ? { id, flags, kind, states } : { id, flags, kind };
}

/** name → keyword (servconf.c keywords[]); aliases point at their opcode's `sshd -T` name. */
const KEYWORDS = new Map<string, Keyword>();
function def(names: string, k: Keyword): void {
  for (const n of names.split(' ')) KEYWORDS.set(n, k);
}
def('usepam', kw('usepam', GLOBAL, 'multi', YES_NO));
def('port', kw('port', GLOBAL, 'special'));
def('hostkey hostdsakey', kw('hostkey', GLOBAL, 'special'));
def('hostkeyagent', kw('hostkeyagent', GLOBAL, 'special'));
def('pidfile', kw('pidfile', GLOBAL, 'filename'));
def('modulifile', kw('modulifile', GLOBAL, 'filename'));
def('logingracetime', kw('logingracetime', GLOBAL, 'time'));
def(
  'permitrootlogin',
  kw('permitrootlogin', ALL, 'multi', {
    'without-password': 'prohibit-password',
    'prohibit-password': 'prohibit-password',
    'forced-commands-only': 'forced-commands-only',
    yes: 'yes',
    no: 'no',
  }),
);
def('syslogfacility', kw('syslogfacility', GLOBAL, 'special'));
def('loglevel', kw('loglevel', ALL, 'special'));
def('logverbose', kw('logverbose', ALL, 'special'));
def('hostbasedauthentication', kw('hostbasedauthentication', ALL, 'multi', YES_NO));
def('hostbasedusesnamefrompacketonly', kw('hostbasedusesnamefrompacketonly', ALL, 'multi', YES_NO));
def('hostbasedacceptedalgorithms hostbasedacceptedkeytypes', kw('hostbasedacceptedalgorithms', ALL, 'algos'));
def('hostkeyalgorithms', kw('hostkeyalgorithms', GLOBAL, 'algos'));
def('pubkeyauthentication', kw('pubkeyauthentication', ALL, 'multi', YES_NO));
def('dsaauthentication', kw('pubkeyauthentication', GLOBAL, 'multi', YES_NO));
def('pubkeyacceptedalgorithms pubkeyacceptedkeytypes', kw('pubkeyacceptedalgorithms', ALL, 'algos'));
def('pubkeyauthoptions', kw('pubkeyauthoptions', ALL, 'special'));
def('kerberosauthentication gssapiauthentication', kw('', ALL, 'unsupported'));
def(
  'kerberosorlocalpasswd kerberosticketcleanup kerberosgetafstoken kerberostgtpassing afstokenpassing ' +
    'gssapicleanupcredentials gssapistrictacceptorcheck gssapikeyexchange gssapistorecredentialsonrekey ' +
    'gssapikexalgorithms gssapiusesessioncredcache gssapicleanupcreds debianbanner',
  kw('', GLOBAL, 'unsupported'),
);
def('passwordauthentication', kw('passwordauthentication', ALL, 'multi', YES_NO));
def('kbdinteractiveauthentication challengeresponseauthentication skeyauthentication', kw('kbdinteractiveauthentication', ALL, 'multi', YES_NO));
def('listenaddress', kw('listenaddress', GLOBAL, 'special'));
def('addressfamily', kw('addressfamily', GLOBAL, 'multi', { inet: 'inet', inet6: 'inet6', any: 'any' }));
def('printmotd', kw('printmotd', GLOBAL, 'multi', YES_NO));
def('printlastlog', kw('printlastlog', GLOBAL, 'multi', YES_NO));
def('ignorerhosts', kw('ignorerhosts', ALL, 'multi', { yes: 'yes', no: 'no', 'shosts-only': 'shosts-only' }));
def('ignoreuserknownhosts', kw('ignoreuserknownhosts', GLOBAL, 'multi', YES_NO));
def('x11forwarding', kw('x11forwarding', ALL, 'multi', YES_NO));
def('x11displayoffset', kw('x11displayoffset', ALL, 'int'));
def('x11uselocalhost', kw('x11uselocalhost', ALL, 'multi', YES_NO));
def('xauthlocation', kw('xauthlocation', GLOBAL, 'filename'));
def('strictmodes', kw('strictmodes', GLOBAL, 'multi', YES_NO));
def('permitemptypasswords', kw('permitemptypasswords', ALL, 'multi', YES_NO));
def('permituserenvironment', kw('permituserenvironment', GLOBAL, 'special'));
def('compression', kw('compression', GLOBAL, 'multi', { yes: 'yes', delayed: 'yes', no: 'no' }));
def('rekeylimit', kw('rekeylimit', ALL, 'special'));
def('tcpkeepalive keepalive', kw('tcpkeepalive', GLOBAL, 'multi', YES_NO));
def('allowtcpforwarding', kw('allowtcpforwarding', ALL, 'multi', FORWARD));
def('allowagentforwarding', kw('allowagentforwarding', ALL, 'multi', YES_NO));
def('allowusers', kw('allowusers', ALL, 'special'));
def('denyusers', kw('denyusers', ALL, 'special'));
def('allowgroups', kw('allowgroups', ALL, 'special'));
def('denygroups', kw('denygroups', ALL, 'special'));
def('ciphers', kw('ciphers', GLOBAL, 'kexalgos'));
def('macs', kw('macs', GLOBAL, 'kexalgos'));
def('protocol', kw('', GLOBAL, 'ignore'));
def('gatewayports', kw('gatewayports', ALL, 'multi', { clientspecified: 'clientspecified', yes: 'yes', no: 'no' }));
def('subsystem', kw('subsystem', GLOBAL, 'special'));
def('maxstartups', kw('maxstartups', GLOBAL, 'special'));
def('persourcemaxstartups', kw('persourcemaxstartups', GLOBAL, 'special'));
def('persourcenetblocksize', kw('persourcenetblocksize', GLOBAL, 'special'));
def('persourcepenalties', kw('persourcepenalties', GLOBAL, 'special'));
def('persourcepenaltyexemptlist', kw('persourcepenaltyexemptlist', GLOBAL, 'special'));
def('maxauthtries', kw('maxauthtries', ALL, 'int'));
def('maxsessions', kw('maxsessions', ALL, 'int'));
def('banner', kw('banner', ALL, 'filename'));
def('usedns', kw('usedns', GLOBAL, 'multi', YES_NO));
def('clientaliveinterval', kw('clientaliveinterval', ALL, 'time'));
def('clientalivecountmax', kw('clientalivecountmax', ALL, 'int'));
def('authorizedkeysfile', kw('authorizedkeysfile', ALL, 'special'));
def('acceptenv', kw('acceptenv', ALL, 'special'));
def('setenv', kw('setenv', ALL, 'special'));
def('permittunnel', kw('permittunnel', ALL, 'special'));
def('permittty', kw('permittty', ALL, 'multi', YES_NO));
def('permituserrc', kw('permituserrc', ALL, 'multi', YES_NO));
def('match', kw('match', ALL, 'special'));
def('permitopen', kw('permitopen', ALL, 'special'));
def('permitlisten', kw('permitlisten', ALL, 'special'));
def('forcecommand', kw('forcecommand', ALL, 'special'));
def('chrootdirectory', kw('chrootdirectory', ALL, 'special'));
def('hostcertificate', kw('hostcertificate', GLOBAL, 'special'));
def('revokedkeys', kw('revokedkeys', ALL, 'filename'));
def('trustedusercakeys', kw('trustedusercakeys', ALL, 'filename'));
def('authorizedprincipalsfile', kw('authorizedprincipalsfile', ALL, 'special'));
def('kexalgorithms', kw('kexalgorithms', GLOBAL, 'kexalgos'));
def('include', kw('include', ALL, 'special'));
def('ipqos', kw('ipqos', ALL, 'special'));
def('authorizedkeyscommand', kw('authorizedkeyscommand', ALL, 'special'));
def('authorizedkeyscommanduser', kw('authorizedkeyscommanduser', ALL, 'special'));
def('authorizedprincipalscommand', kw('authorizedprincipalscommand', ALL, 'special'));
def('authorizedprincipalscommanduser', kw('authorizedprincipalscommanduser', ALL, 'special'));
def('versionaddendum', kw('versionaddendum', GLOBAL, 'special'));
def('authenticationmethods', kw('authenticationmethods', ALL, 'special'));
def('streamlocalbindmask', kw('streamlocalbindmask', ALL, 'special'));
def('streamlocalbindunlink', kw('streamlocalbindunlink', ALL, 'multi', YES_NO));
def('allowstreamlocalforwarding', kw('allowstreamlocalforwarding', ALL, 'multi', FORWARD));
def('fingerprinthash', kw('fingerprinthash', GLOBAL, 'special'));
def('disableforwarding', kw('disableforwarding', ALL, 'multi', YES_NO));
def('exposeauthinfo', kw('exposeauthinfo', ALL, 'multi', YES_NO));
def('rdomain', kw('rdomain', ALL, 'special'));
def('casignaturealgorithms', kw('casignaturealgorithms', ALL, 'algos'));
def('securitykeyprovider', kw('securitykeyprovider', GLOBAL, 'special'));
def('requiredrsasize', kw('requiredrsasize', ALL, 'int'));
def('channeltimeout', kw('channeltimeout', ALL, 'special'));
def('unusedconnectiontimeout', kw('unusedconnectiontimeout', ALL, 'special'));
def(
  'pamauthenticationviakbdint serverkeybits keyregenerationinterval rhostsauthentication checkmail uselogin ' +
    'verifyreversemapping reversemappingcheck useprivilegeseparation',
  kw('', GLOBAL, 'deprecated'),
);
def('rhostsrsaauthentication rsaauthentication authorizedkeysfile2', kw('', ALL, 'deprecated'));

/** Whether sshd knows the keyword (any spelling). */
export function isSshdKeyword(name: string): boolean {
  return KEYWORDS.has(name.toLowerCase());
}

/** Whether a keyword may appear inside a Match block. */
export function allowedInMatch(name: string): boolean {
  return ((KEYWORDS.get(name.toLowerCase())?.flags ?? 0) & MATCH) !== 0;
}

/** The authentication method names AuthenticationMethods accepts (auth2.c authmethods[]). */
export const AUTH_METHOD_NAMES = ['none', 'publickey', 'hostbased', 'password', 'keyboard-interactive', 'gssapi-with-mic'];

/** auth2_methods_valid(list, 0): every comma-separated name (before any `:submethod`) known. */
export function authMethodsValid(list: string): boolean {
  if (list === '') return false;
  return list.split(',').every((m) => AUTH_METHOD_NAMES.includes(m.split(':')[0]!));
}

const LOG_LEVELS = ['QUIET', 'FATAL', 'ERROR', 'INFO', 'VERBOSE', 'DEBUG', 'DEBUG1', 'DEBUG2', 'DEBUG3'];
const FACILITIES = ['DAEMON', 'USER', 'AUTH', 'AUTHPRIV', ...[0, 1, 2, 3, 4, 5, 6, 7].map((n) => `LOCAL${n}`)];

/**
 * Process one line; false for the errors sshd counts (and reports at the end of the file),
 * SshdConfigError thrown for its fatal ones.
 */
export function processLine(o: RawOptions, rawLine: string, env: LineEnv): boolean {
  const where = `${env.file} line ${env.line}`;
  const fatal = (msg: string): never => {
    throw new SshdConfigError(`${where}: ${msg}`);
  };
  const error = (msg: string): false => {
    env.log(`${where}: ${msg}`);
    return false;
  };
  let line = rawLine;
  let end = line.length;
  while (end > 1 && (WHITESPACE + '\f').includes(line[end - 1]!)) end--;
  line = line.slice(0, end);
  if (line === '') return true;

  let { word: keyword, rest: str } = strdelim(line);
  if (keyword === null) return true;
  if (keyword === '' && str !== null) ({ word: keyword, rest: str } = strdelim(str));
  if (!keyword || keyword.startsWith('#')) return true;
  if (str === null || str === '') return error(`no argument after keyword "${keyword}"`);
  const k = KEYWORDS.get(keyword.toLowerCase());
  if (!k) env.log(`${env.file}: line ${env.line}: Bad configuration option: ${keyword}`);
  const flags = k?.flags ?? 0;
  const split = argvSplit(str);
  if (split === null) return error('invalid quotes');
  const av: string[] = split;
  let ai = 0;
  const next = (): string | undefined => av[ai++];
  const consumeAll = (): void => void (ai = av.length);
  const active = env.active;

  if (!active && !(flags & MATCH)) {
    if (!env.reprocess) fatal(`Directive '${keyword}' is not allowed within a Match block`);
    return true;
  }
  if (!k) return false;

  const setFirst = (id: string, v: unknown): void => {
    if (active && !o.has(id)) o.set(id, v);
  };
  const append = (id: string, v: unknown): void => {
    const list = (o.get(id) as unknown[] | undefined) ?? [];
    list.push(v);
    o.set(id, list);
  };
  const expandTilde = (p: string): string => {
    if (!p.startsWith('~')) return p;
    const slash = p.indexOf('/');
    const name = p.slice(1, slash < 0 ? undefined : slash);
    const home = env.userHome(name === '' ? undefined : name);
    if (home === undefined) throw new SshdConfigError(`tilde_expand_filename: No such user ${name}`);
    return slash < 0 ? home : home.replace(/\/$/, '') + p.slice(slash);
  };
  /** derelativise_path: `~` expanded, relative paths made absolute from the working directory; "none" kept */
  const derelativise = (p: string): string => {
    if (p.toLowerCase() === 'none') return 'none';
    const e = expandTilde(p);
    return e.startsWith('/') ? e : `${env.cwd.replace(/\/$/, '')}/${e}`;
  };
  const parseTime = (id: string): void => {
    const arg = next();
    if (!arg) fatal('missing time value.');
    const v = convtime(arg);
    if (v === -1) fatal('invalid time value.');
    setFirst(id, v);
  };
  const parseInt = (id: string): void => {
    const v = atoiErr(next());
    if (typeof v === 'string') fatal(`${keyword} integer value ${v}.`);
    setFirst(id, v);
  };
  const missing = (msg = `${keyword} missing argument.`): string => {
    const arg = next();
    if (!arg) fatal(msg);
    return arg!;
  };

  switch (k.kind) {
    case 'multi': {
      const arg = missing('missing argument.');
      const v = Object.entries(k.states!).find(([key]) => key === arg.toLowerCase())?.[1];
      if (v === undefined) fatal(`unsupported option "${arg}".`);
      setFirst(k.id, v);
      break;
    }
    case 'int':
      parseInt(k.id);
      break;
    case 'time':
      parseTime(k.id);
      break;
    case 'filename': {
      const arg = missing('missing file name.');
      if (active && !o.has(k.id)) o.set(k.id, derelativise(arg));
      break;
    }
    case 'algos': {
      const arg = missing('Missing argument.');
      if (!arg.startsWith('-') && !validAlgorithmSpec('key', arg)) fatal(`Bad key types '${arg}'.`);
      setFirst(k.id, arg);
      break;
    }
    case 'kexalgos': {
      const arg = missing();
      const kind: AlgorithmKind = k.id === 'ciphers' ? 'cipher' : k.id === 'macs' ? 'mac' : 'kex';
      if (!arg.startsWith('-') && !validAlgorithmSpec(kind, arg))
        fatal(kind === 'cipher' ? `Bad SSH2 cipher spec '${arg}'.` : kind === 'mac' ? `Bad SSH2 mac spec '${arg}'.` : `Bad SSH2 KexAlgorithms '${arg}'.`);
      // no *activep test in sshd: these are global-only
      if (!o.has(k.id)) o.set(k.id, arg);
      break;
    }
    case 'deprecated':
    case 'unsupported':
      env.log(`${where}: ${k.kind === 'unsupported' ? 'Unsupported' : 'Deprecated'} option ${keyword}`);
      consumeAll();
      break;
    case 'ignore':
      consumeAll();
      break;
    case 'special':
      if (!special(k.id)) return false;
      break;
  }
  if (ai < av.length) return error(`keyword ${keyword} extra arguments at end of line`);
  return true;

  /** The keywords with their own rules; false for a counted error. */
  function special(id: string): boolean {
    switch (id) {
      case 'port': {
        if (env.portsFromCmdline) {
          consumeAll();
          break;
        }
        const arg = next();
        if (!arg) fatal('missing port number.');
        const p = a2port(arg!);
        if (p <= 0) fatal('Badly formatted port number.');
        append('port', p);
        break;
      }
      case 'hostkey':
      case 'hostcertificate': {
        const arg = missing('missing file name.');
        if (active) append(id, derelativise(arg));
        break;
      }
      case 'hostkeyagent': {
        const arg = missing('missing socket name.');
        setFirst(id, arg === 'SSH_AUTH_SOCK' ? arg : derelativise(arg));
        break;
      }
      case 'listenaddress': {
        const arg = next();
        if (!arg) fatal('missing address');
        let host: string;
        let port = 0;
        const colon = arg!.indexOf(':');
        if (!arg!.includes('[') && colon >= 0 && arg!.indexOf(':', colon + 1) >= 0) host = arg!;
        else {
          const hp = hpdelim(arg!);
          if (hp.host === null) fatal('bad address:port usage');
          host = cleanhostname(hp.host!);
          if (hp.rest !== null && (port = a2port(hp.rest)) <= 0) fatal('bad port number');
        }
        if (next() !== undefined) fatal('bad ListenAddress syntax');
        append('listenaddress', { host, port });
        break;
      }
      case 'pubkeyauthoptions': {
        const set = new Set<string>();
        for (let arg = next(); arg !== undefined; arg = next()) {
          const a = arg.toLowerCase();
          if (a === 'none') continue;
          if (a !== 'touch-required' && a !== 'verify-required') return error(`unsupported ${keyword} option ${arg}`);
          set.add(a);
        }
        setFirst(
          id,
          ['touch-required', 'verify-required'].filter((x) => set.has(x)),
        );
        break;
      }
      case 'permituserenvironment': {
        const arg = missing(`${keyword} missing argument.`);
        setFirst(id, arg === 'yes' ? true : arg === 'no' ? false : arg);
        break;
      }
      case 'rekeylimit': {
        const arg = missing();
        let bytes = 0;
        if (arg !== 'default') {
          const v = scanScaled(arg);
          if (v === null) fatal(`Bad ${keyword} number '${arg}': Invalid argument`);
          if (v! < 0) fatal(`Bad ${keyword} number '${arg}': Result too large`);
          if (v !== 0 && v! < 16) fatal(`${keyword} too small`);
          bytes = v!;
        }
        setFirst('rekeylimit', bytes);
        if (ai < av.length) {
          if (av[ai] === 'none') next();
          else parseTime('rekeyinterval');
        }
        break;
      }
      case 'syslogfacility': {
        const arg = next();
        const v = FACILITIES.find((f) => f === arg?.toUpperCase());
        if (v === undefined) fatal(`unsupported log facility '${arg ?? '<NONE>'}'`);
        if (!o.has(id)) o.set(id, v);
        break;
      }
      case 'loglevel': {
        const arg = next();
        const v = LOG_LEVELS.find((l) => l === arg?.toUpperCase());
        if (v === undefined) fatal(`unsupported log level '${arg ?? '<NONE>'}'`);
        setFirst(id, v === 'DEBUG1' ? 'DEBUG' : v); // log_level_name() calls DEBUG1 "DEBUG"
        break;
      }
      case 'logverbose':
      case 'channeltimeout': {
        const first = !o.has(id);
        const values: string[] = [];
        for (let i = 0, arg = next(); arg !== undefined; i++, arg = next()) {
          if (id === 'logverbose' && arg === '') return error(`keyword ${keyword} empty argument`);
          if (arg.toLowerCase() === 'none') {
            if (i > 0 || ai < av.length) return error(`keyword ${keyword} "none" argument must appear alone.`);
          } else if (id === 'channeltimeout') {
            const eq = arg.indexOf('=');
            if (eq <= 0 || convtime(arg.slice(eq + 1)) < 0) fatal(`invalid channel timeout ${arg}`);
          }
          values.push(arg);
        }
        if (first && active) o.set(id, values);
        break;
      }
      case 'allowusers':
      case 'denyusers':
        for (let arg = next(); arg !== undefined; arg = next()) {
          if (arg === '' || matchUser(null, null, null, arg) === -1) fatal(`invalid ${keyword} pattern: "${arg}"`);
          if (active) append(id, arg);
        }
        break;
      case 'allowgroups':
      case 'denygroups':
        for (let arg = next(); arg !== undefined; arg = next()) {
          if (arg === '') fatal(`empty ${keyword} pattern`);
          if (active) append(id, arg);
        }
        break;
      case 'subsystem': {
        const name = missing();
        if (!active) {
          next();
          break;
        }
        const subs = (o.get(id) as { name: string; command: string; args: string }[] | undefined) ?? [];
        if (subs.some((s) => s.name === name)) fatal(`Subsystem '${name}' already defined.`);
        const command = next();
        if (!command) fatal('Missing subsystem command.');
        const rest: string[] = [];
        for (let a = next(); a !== undefined; a = next()) rest.push(a);
        append(id, { name, command, args: [command, ...rest].join(' ') });
        break;
      }
      case 'maxstartups': {
        const arg = missing();
        // sscanf("%d:%d:%d"): sshd writes each number as it is read, whatever happens next
        const m = /^\s*([+-]?\d+)(?::\s*([+-]?\d+)(?::\s*([+-]?\d+))?)?/.exec(arg);
        const prev = (o.get(id) as [number, number, number] | undefined) ?? [-1, -1, -1];
        const v: [number, number, number] = [
          m ? Number(m[1]) : prev[0],
          m?.[2] !== undefined ? Number(m[2]) : prev[1],
          m?.[3] !== undefined ? Number(m[3]) : prev[2],
        ];
        const n = m ? (m[3] !== undefined ? 3 : m[2] !== undefined ? 2 : 1) : 0;
        if (n === 3) {
          if (v[0] > v[2] || v[1] > 100 || v[1] < 1) fatal(`Invalid ${keyword} spec.`);
        } else if (n !== 1) fatal(`Invalid ${keyword} spec.`);
        else v[2] = v[0];
        if (v[2] <= 0 || v[0] <= 0) fatal(`Invalid ${keyword} spec.`);
        o.set(id, v);
        break;
      }
      case 'persourcenetblocksize': {
        const arg = missing();
        const m = /^\s*([+-]?\d+)(?::\s*([+-]?\d+))?/.exec(arg);
        let n = m ? (m[2] !== undefined ? 2 : 1) : 0;
        const v4 = m ? Number(m[1]) : 0;
        const v6 = m?.[2] !== undefined ? Number(m[2]) : undefined;
        if (n === 2 && (v6! < 0 || v6! > 128)) n = -1;
        if ((n === 1 || n === 2) && (v4 < 0 || v4 > 32)) n = -1;
        if (n !== 1 && n !== 2) fatal(`Invalid ${keyword} spec.`);
        // a lone IPv4 length leaves sshd's IPv6 one uninitialised: 9.2 on Debian prints 0
        if (active) o.set(id, [v4, v6 ?? 0]);
        break;
      }
      case 'persourcemaxstartups': {
        const arg = missing();
        let v: number;
        if (arg === 'none') v = Infinity;
        else {
          const r = atoiErr(arg);
          if (typeof r === 'string') fatal(`${keyword} integer value ${r}.`);
          v = r as number;
        }
        if (active) o.set(id, v);
        break;
      }
      case 'persourcepenalties':
        return perSourcePenalties();
      case 'persourcepenaltyexemptlist': {
        const arg = missing();
        if (arg !== 'none' && arg.split(',').some((a) => a === '' || /[^0-9a-fA-F.:/!*?]/.test(a))) fatal(`Invalid ${keyword} spec.`);
        setFirst(id, arg);
        break;
      }
      case 'authorizedkeysfile': {
        const first = !o.has(id);
        const files: string[] = [];
        for (let arg = next(); arg !== undefined; arg = next()) {
          if (arg === '') return error(`keyword ${keyword} empty argument`);
          files.push(expandTilde(arg));
        }
        if (active && first) o.set(id, files);
        break;
      }
      case 'authorizedprincipalsfile': {
        const arg = missing();
        setFirst(id, expandTilde(arg));
        break;
      }
      case 'acceptenv':
        for (let arg = next(); arg !== undefined; arg = next()) {
          if (arg === '' || arg.includes('=')) fatal('Invalid environment name.');
          if (active) append(id, arg);
        }
        break;
      case 'setenv': {
        const first = !o.has(id);
        const list: string[] = [];
        for (let arg = next(); arg !== undefined; arg = next()) {
          if (arg === '' || !arg.includes('=')) fatal('Invalid environment.');
          const name = arg.slice(0, arg.indexOf('='));
          if (list.some((e) => e.slice(0, e.indexOf('=')) === name)) continue;
          list.push(arg);
        }
        if (active && first) o.set(id, list);
        break;
      }
      case 'permittunnel': {
        const arg = missing();
        if (!['no', 'point-to-point', 'ethernet', 'yes'].includes(arg)) fatal(`bad ${keyword} argument ${arg}`);
        setFirst(id, arg);
        break;
      }
      case 'include':
        if (env.cmdline) throw new SshdConfigError('Include directive not supported as a command-line option');
        if (av.some((a) => a === '')) return error(`keyword ${keyword} empty argument`);
        if (av.length === 0) fatal(`${keyword} missing filename argument`);
        consumeAll();
        env.include(av);
        break;
      case 'match':
        if (env.cmdline) throw new SshdConfigError('Match directive not supported as a command-line option');
        env.match(str!);
        consumeAll();
        break;
      case 'permitopen':
      case 'permitlisten': {
        const first = !o.has(id);
        const arg = missing();
        if (arg === 'any' || arg === 'none') {
          if (active && first) o.set(id, [arg]);
          break;
        }
        const list: string[] = [];
        for (let a: string | undefined = arg; a !== undefined && a !== ''; a = next()) {
          let entry = a;
          let portText: string | null;
          if (id === 'permitlisten' && !a.includes(':')) {
            entry = `*:${a}`;
            portText = a;
          } else {
            const hp = hpdelim(a);
            if (hp.host === null) fatal(`${keyword} missing host`);
            portText = hp.rest;
          }
          if (portText === null || permitopenPort(portText) < 0) fatal(`${keyword} bad port number`);
          list.push(entry);
        }
        if (active && first) o.set(id, list);
        break;
      }
      case 'forcecommand':
      case 'versionaddendum':
      case 'authorizedkeyscommand':
      case 'authorizedprincipalscommand': {
        const text = str!.replace(/^[ \t\r\n]+/, '');
        if (id === 'versionaddendum') {
          if (text.includes('\r')) fatal(`Invalid ${keyword} argument`);
          const cut = text.indexOf('#');
          const v = cut < 0 ? text : text.slice(0, cut).replace(/[ \t\r\n]+$/, '');
          setFirst(id, v.toLowerCase() === 'none' ? '' : v);
        } else if (id === 'forcecommand') setFirst(id, text);
        else {
          if (!text.startsWith('/') && text.toLowerCase() !== 'none') fatal(`${keyword} must be an absolute path`);
          // sshd tests AuthorizedKeysCommand's slot for both commands (servconf.c parse_command)
          if (active && !o.has('authorizedkeyscommand')) o.set(id, text);
        }
        consumeAll();
        break;
      }
      case 'chrootdirectory':
        setFirst(id, missing());
        break;
      case 'authorizedkeyscommanduser':
      case 'authorizedprincipalscommanduser':
        setFirst(id, missing(`missing ${keyword} argument.`));
        break;
      case 'securitykeyprovider': {
        const arg = missing();
        setFirst(id, arg.toLowerCase() === 'internal' ? arg : derelativise(arg));
        break;
      }
      case 'ipqos': {
        const a = missing();
        const v = parseIpqos(a);
        if (v === -1) fatal(`Bad ${keyword} value: ${a}`);
        const b = next();
        const v2 = b === undefined ? v : parseIpqos(b);
        if (v2 === -1) fatal(`Bad ${keyword} value: ${b}`);
        if (active) o.set(id, [v, v2]);
        break;
      }
      case 'authenticationmethods': {
        // sshd tests "any must appear alone" against the methods already kept (this line's
        // included, when it is the first active one), not against the line's own words
        const first = !o.has(id);
        const kept = (o.get(id) as string[] | undefined) ?? [];
        let keptCount = kept.length;
        const list: string[] = [];
        let sawAny = false;
        for (let arg = next(); arg !== undefined; arg = next()) {
          if (arg === 'any') {
            if (keptCount > 0) fatal(`"any" must appear alone in ${keyword}`);
            sawAny = true;
          } else if (sawAny) fatal(`"any" must appear alone in ${keyword}`);
          else if (!authMethodsValid(arg)) {
            env.log(arg === '' ? 'empty authentication method list' : `Unknown authentication method "${badMethod(arg)}" in list`);
            fatal(`invalid ${keyword} method list.`);
          }
          list.push(arg);
          if (first && active) keptCount++;
        }
        if (list.length === 0) fatal(`no ${keyword} specified`);
        if (first && active) o.set(id, list);
        break;
      }
      case 'streamlocalbindmask': {
        const arg = missing();
        const m = /^\s*[+-]?[0-7]+/.exec(arg);
        const v = m ? parseInt8(m[0]) : NaN;
        if (!m || v < 0 || v > 0o777) fatal(`Invalid ${keyword}.`);
        if (active) o.set(id, v);
        break;
      }
      case 'fingerprinthash': {
        const arg = missing();
        const v = ['md5', 'sha1', 'sha256', 'sha384', 'sha512'].find((h) => h === arg.toLowerCase());
        if (v === undefined) fatal(`Invalid ${keyword} algorithm "${arg}".`);
        if (active) o.set(id, v!.toUpperCase());
        break;
      }
      case 'rdomain':
        fatal('setting RDomain not supported on this platform.');
        break;
      case 'unusedconnectiontimeout':
        if (av[0]?.toLowerCase() === 'none') {
          next();
          if (active) o.set(id, 0);
          break;
        }
        parseTime(id);
        break;
    }
    return true;
  }

  /** PerSourcePenalties (OpenSSH 9.8): `yes`/`no` alone, or `name:value` items. */
  function perSourcePenalties(): boolean {
    const p = (o.get('persourcepenalties') as Record<string, unknown> | undefined) ?? {};
    const set = (name: string, v: unknown): void => {
      if (active && p[name] === undefined) {
        p[name] = v;
        p.enabled ??= true;
      }
    };
    for (let arg = next(); arg !== undefined; arg = next()) {
      const a = arg.toLowerCase();
      if (a === 'no' || a === 'yes') {
        if (ai < av.length) fatal(`keyword ${keyword} "${arg}" argument must appear alone.`);
        if (active && p.enabled === undefined) p.enabled = a === 'yes';
        continue;
      }
      const colon = arg.indexOf(':');
      const name = arg.slice(0, colon);
      const value = arg.slice(colon + 1);
      if (colon > 0 && ['crash', 'authfail', 'noauth', 'grace-exceeded', 'refuseconnection', 'max', 'min'].includes(name)) {
        const t = convtime(value);
        if (t === -1) fatal(`invalid ${keyword} time value.`);
        set(name, t);
      } else if (name === 'max-sources4' || name === 'max-sources6') {
        const n = atoiErr(value);
        if (typeof n === 'string') fatal(`${keyword} value ${n}.`);
        set(name, n);
      } else if (arg === 'overflow:deny-all' || arg === 'overflow:permissive' || arg === 'overflow6:deny-all' || arg === 'overflow6:permissive') {
        set(name, value);
      } else fatal(`unsupported ${keyword} keyword ${arg}`);
    }
    if (active) o.set('persourcepenalties', p);
    return true;
  }
}

function parseInt8(s: string): number {
  const t = s.trim();
  return t.startsWith('-') ? -parseInt(t.slice(1), 8) : parseInt(t.replace(/^\+/, ''), 8);
}

function badMethod(list: string): string {
  return list
    .split(',')
    .find((m) => !AUTH_METHOD_NAMES.includes(m.split(':')[0]!))!
    .split(':')[0]!;
}
