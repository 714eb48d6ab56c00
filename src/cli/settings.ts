/**
 * From parsed ssh arguments to the settings puressh connects with: OpenSSH's defaults,
 * `~` expansion, algorithm lists (with +/-/^ syntax), and the `-Q` lists.
 */
import {
  DEFAULT_PUBKEY_ALGORITHMS,
  KEY_TYPES,
  SECURITY_KEY_ALGORITHMS,
  plainNameOf,
  SUPPORTED_CERT_ALGORITHMS,
  signatureAlgorithmsForKeyType,
} from '../crypto/keys/index.js';
import {
  DEFAULT_CIPHERS,
  DEFAULT_HOSTKEY_ALGORITHMS,
  DEFAULT_KEX,
  DEFAULT_MACS,
  NODE_PREFERRED_CIPHERS,
  SUPPORTED_CIPHERS,
  SUPPORTED_COMPRESSIONS,
  SUPPORTED_HOSTKEY_ALGORITHMS,
  SUPPORTED_KEX,
  SUPPORTED_MACS,
  type AlgorithmPreferences,
} from '../node.js';
import { applyAlgorithmSpec, matchWildcard } from './algo-list.js';
import { expandHome, expandHostName, expandTokens, splitWords, type TokenValues } from './ssh-config.js';
import { knownHostName } from './known-hosts.js';
import { resolveSessionSettings, type SessionSettings } from './ssh-session.js';
import { parseBytes, parsePort, parseTime, parseYesNo, UsageError, type SshArgs } from './ssh-args.js';

export type StrictHostKeyChecking = 'yes' | 'no' | 'accept-new' | 'ask';
export type LogLevel = 'QUIET' | 'FATAL' | 'ERROR' | 'INFO' | 'VERBOSE' | 'DEBUG';

export interface SshSettings {
  host: string;
  port: number;
  user: string;
  /** user command (null: start the login shell) */
  command: string | null;
  identityFiles: string[];
  /** true when the files came from -i/IdentityFile (missing ones are then reported) */
  identityFilesExplicit: boolean;
  /** CertificateFile, expanded as IdentityFile is */
  certificateFiles: string[];
  /** RevokedHostKeys: a KRL or a file of public keys; null: none */
  revokedHostKeys: string | null;
  userKnownHostsFiles: string[];
  globalKnownHostsFiles: string[];
  /** the name host keys are looked up and recorded under: HostKeyAlias, or host / [host]:port */
  knownHostsName: string;
  /** HostKeyAlias as given (-G) */
  hostKeyAlias: string | undefined;
  /** IdentitiesOnly: authenticate with the identity files only, not the agent's other keys */
  identitiesOnly: boolean;
  strictHostKeyChecking: StrictHostKeyChecking;
  hashKnownHosts: boolean;
  /** UpdateHostKeys: learn the server's other host keys (hostkeys-00) and add the proven ones */
  updateHostKeys: boolean;
  batchMode: boolean;
  passwordAuthentication: boolean;
  pubkeyAuthentication: boolean;
  kbdInteractiveAuthentication: boolean;
  hostbasedAuthentication: boolean;
  /** the agent socket (IdentityAgent, default $SSH_AUTH_SOCK); null: no agent */
  identityAgent: string | null;
  /** -A / ForwardAgent */
  forwardAgent: boolean;
  numberOfPasswordPrompts: number;
  preferredAuthentications: string[];
  algorithms: AlgorithmPreferences;
  /** true when HostKeyAlgorithms was given (so known_hosts must not reorder it) */
  hostKeyAlgorithmsExplicit: boolean;
  connectTimeoutMs: number | undefined;
  serverAliveIntervalMs: number | undefined;
  serverAliveCountMax: number | undefined;
  rekeyBytes: number | undefined;
  rekeySeconds: number | undefined;
  /** -n / StdinNull (also implied by -f) */
  noStdin: boolean;
  /** -f / ForkAfterAuthentication: go to the background once authenticated and forwarding */
  forkAfterAuthentication: boolean;
  logLevel: LogLevel;
  verbose: number;
  /** pty, forwarding, -N, -W, escape character */
  session: SessionSettings;
  /** -J / ProxyJump: the hosts to go through, in order ([user@]host[:port] or ssh:// URIs); empty: direct */
  proxyJump: string[];
  /** ProxyCommand: as written (for -G) and with its %-tokens expanded; null: none (connect over TCP) */
  proxyCommand: { line: string; command: string } | null;
  /** SendEnv: the names of local environment variables to send (wildcard patterns) */
  sendEnv: string[];
  /** SetEnv: NAME=VALUE pairs to send, in order */
  setEnv: [string, string][];
  /** -F as given (undefined: the default files), handed on to the jump hosts' settings */
  configFile: string | null | undefined;
}

/** Compression=yes order of OpenSSH 9 (compression_alg_list). */
const COMPRESSION_YES = ['zlib@openssh.com', 'zlib', 'none'];
const COMPRESSION_NO = ['none', 'zlib@openssh.com', 'zlib'];

export function resolveSettings(args: SshArgs, env: { home: string; localUser: string }): SshSettings {
  const o = args.options;
  const yesNo = (key: string, dflt: boolean): boolean => (o.has(key) ? parseYesNo(key, o.get(key)!) : dflt);
  if (!args.host) throw new UsageError('no destination given');
  // HostName takes %h (the host as typed); ssh then lowercases the name it connects to.
  const hostName = o.get('hostname');
  const host = (hostName === undefined ? args.host : expandHostName(hostName, args.host)).toLowerCase();
  const port = o.has('port') ? parsePort(o.get('port')!) : 22;
  const user = o.get('user') ?? env.localUser;
  const hostKeyAlias = o.get('hostkeyalias');
  const tokens: TokenValues = { host, originalHost: args.host, port, user, localUser: env.localUser, home: env.home };
  if (hostKeyAlias !== undefined) tokens.hostKeyAlias = hostKeyAlias;
  const command = remoteCommand(args.command, o.get('remotecommand'), tokens);
  /** `~`, then %-tokens and ${VAR}, as ssh expands IdentityFile, UserKnownHostsFile and IdentityAgent */
  const expandPath = (p: string, key: string): string => expandTokens(expandHome(p, env.home), tokens, key);

  const strict = (o.get('stricthostkeychecking') ?? 'ask').toLowerCase();
  const strictMap: Record<string, StrictHostKeyChecking> = {
    yes: 'yes',
    true: 'yes',
    no: 'no',
    false: 'no',
    off: 'no',
    'accept-new': 'accept-new',
    ask: 'ask',
  };
  if (!(strict in strictMap)) throw new UsageError(`command-line line 0: unsupported option "${strict}" for stricthostkeychecking`);

  const level = (o.get('loglevel') ?? (args.quiet ? 'QUIET' : 'INFO')).toUpperCase();
  const logLevel: LogLevel = level.startsWith('DEBUG')
    ? 'DEBUG'
    : ((['QUIET', 'FATAL', 'ERROR', 'INFO', 'VERBOSE'].includes(level) ? level : 'INFO') as LogLevel);

  const list = (key: string, defaults: readonly string[], supported: readonly string[], label: string): string[] | undefined =>
    o.has(key) ? applyAlgorithmSpec(o.get(key)!, defaults, supported, label) : undefined;
  const algorithms: AlgorithmPreferences = {};
  const kex = list('kexalgorithms', DEFAULT_KEX, SUPPORTED_KEX, 'KEX algorithms');
  if (kex) algorithms.kex = kex;
  const cipher = list('ciphers', DEFAULT_CIPHERS, SUPPORTED_CIPHERS, 'cipher');
  if (cipher) algorithms.cipher = cipher;
  const mac = list('macs', DEFAULT_MACS, SUPPORTED_MACS, 'MAC algorithm');
  if (mac) algorithms.mac = mac;
  const hostKey = list('hostkeyalgorithms', DEFAULT_HOSTKEY_ALGORITHMS, [...SUPPORTED_CERT_ALGORITHMS, ...SUPPORTED_HOSTKEY_ALGORITHMS], 'host key algorithms');
  if (hostKey) algorithms.hostKey = hostKey;
  const allKeyAlgorithms = [...SUPPORTED_CERT_ALGORITHMS, ...SUPPORTED_HOSTKEY_ALGORITHMS, ...SECURITY_KEY_ALGORITHMS];
  const publicKey = list('pubkeyacceptedalgorithms', DEFAULT_PUBKEY_ALGORITHMS, allKeyAlgorithms, 'key algorithms');
  if (publicKey) algorithms.publicKey = publicKey;
  const compression = yesNo('compression', false) ? COMPRESSION_YES : COMPRESSION_NO;
  algorithms.compression = compression.filter((c) => SUPPORTED_COMPRESSIONS.includes(c));

  const revokedHostKeys = o.get('revokedhostkeys');
  const explicitIds = args.identityFiles.length > 0;
  const identityFiles = (explicitIds ? args.identityFiles : ['~/.ssh/id_ed25519', '~/.ssh/id_ecdsa', '~/.ssh/id_rsa']).map((p) =>
    expandPath(p, 'identityfile'),
  );
  const files = (key: string, dflt: string): string[] =>
    splitWords(o.get(key) ?? dflt, key)
      .filter((p) => p && p.toLowerCase() !== 'none')
      .map((p) => (key === 'userknownhostsfile' ? expandPath(p, key) : expandHome(p, env.home)));

  const seconds = (key: string): number | undefined => (o.has(key) ? parseTime(key, o.get(key)!) : undefined);
  const connectTimeout = seconds('connecttimeout');
  // ssh_config(5): in batch mode the keepalive defaults to 300 seconds
  const aliveInterval = seconds('serveraliveinterval') ?? (yesNo('batchmode', false) ? 300 : undefined);
  let rekeyBytes: number | undefined;
  let rekeySeconds: number | undefined;
  if (o.has('rekeylimit')) {
    const [bytes, time] = o.get('rekeylimit')!.split(/\s+/);
    if (bytes && bytes !== 'default') rekeyBytes = parseBytes('rekeylimit', bytes);
    if (time && time !== 'none') rekeySeconds = parseTime('rekeylimit', time);
  }
  const count = (key: string, dflt: number): number => {
    if (!o.has(key)) return dflt;
    const n = Number(o.get(key));
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`command-line line 0: invalid number "${o.get(key)}" for ${key}`);
    return n;
  };

  return {
    host,
    port,
    user,
    command,
    identityFiles,
    identityFilesExplicit: explicitIds,
    certificateFiles: args.certificateFiles.map((p) => expandPath(p, 'certificatefile')),
    revokedHostKeys: revokedHostKeys && revokedHostKeys.toLowerCase() !== 'none' ? expandPath(revokedHostKeys, 'revokedhostkeys') : null,
    userKnownHostsFiles: files('userknownhostsfile', '~/.ssh/known_hosts ~/.ssh/known_hosts2'),
    globalKnownHostsFiles: files('globalknownhostsfile', '/etc/ssh/ssh_known_hosts /etc/ssh/ssh_known_hosts2'),
    knownHostsName: hostKeyAlias ?? knownHostName(host, port),
    hostKeyAlias,
    identitiesOnly: yesNo('identitiesonly', false),
    strictHostKeyChecking: strictMap[strict]!,
    hashKnownHosts: yesNo('hashknownhosts', false),
    updateHostKeys: yesNo('updatehostkeys', false),
    batchMode: yesNo('batchmode', false),
    passwordAuthentication: yesNo('passwordauthentication', true),
    pubkeyAuthentication: yesNo('pubkeyauthentication', true),
    kbdInteractiveAuthentication: yesNo('kbdinteractiveauthentication', true),
    hostbasedAuthentication: yesNo('hostbasedauthentication', false),
    identityAgent: identityAgent(o.get('identityagent'), (p) => expandPath(p, 'identityagent')),
    forwardAgent: yesNo('forwardagent', false),
    numberOfPasswordPrompts: count('numberofpasswordprompts', 3),
    preferredAuthentications: (o.get('preferredauthentications') ?? 'hostbased,publickey,keyboard-interactive,password')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    algorithms,
    hostKeyAlgorithmsExplicit: hostKey !== undefined,
    connectTimeoutMs: connectTimeout !== undefined && connectTimeout > 0 ? connectTimeout * 1000 : undefined,
    serverAliveIntervalMs: aliveInterval ? aliveInterval * 1000 : undefined,
    serverAliveCountMax: o.has('serveralivecountmax') ? count('serveralivecountmax', 3) : undefined,
    rekeyBytes,
    rekeySeconds,
    noStdin: args.noStdin || yesNo('stdinnull', false) || yesNo('forkafterauthentication', false),
    forkAfterAuthentication: yesNo('forkafterauthentication', false),
    logLevel: args.verbose > 0 ? 'DEBUG' : logLevel,
    verbose: args.verbose,
    session: sessionSettings(args, o),
    proxyJump: proxyJumps(o.get('proxyjump')),
    proxyCommand: proxyCommand(o.get('proxycommand'), tokens),
    sendEnv: [...args.sendEnv],
    setEnv: setEnvPairs(o.get('setenv')),
    configFile: args.configFile,
  };
}

/** The remote command: the command line's words, else RemoteCommand (tokens expanded); both is an error, as in ssh. */
function remoteCommand(words: readonly string[], configured: string | undefined, tokens: TokenValues): string | null {
  const line = configured === undefined || configured.toLowerCase() === 'none' ? null : configured;
  if (words.length && line !== null) throw new UsageError('Cannot execute command-line and remote command.');
  if (words.length) return words.join(' ');
  return line === null ? null : expandTokens(line, tokens, 'remotecommand');
}

/** Session settings, with ClearAllForwardings (no forwardings at all) and SessionType none (as -N). */
function sessionSettings(args: SshArgs, o: ReadonlyMap<string, string>): SessionSettings {
  const clear = o.has('clearallforwardings') && parseYesNo('clearallforwardings', o.get('clearallforwardings')!);
  const type = (o.get('sessiontype') ?? 'default').toLowerCase();
  if (type !== 'default' && type !== 'none')
    throw new UsageError(`command-line line 0: unsupported SessionType "${o.get('sessiontype')}" (puressh has no subsystem sessions from ssh)`);
  const session = { ...args.session, forwards: clear ? [] : args.session.forwards, noCommand: args.session.noCommand || type === 'none' };
  return resolveSessionSettings(session, o);
}

/** ProxyCommand's value: "none", or a command line whose tokens (%h %p %r %n ...) are expanded now. */
function proxyCommand(value: string | undefined, tokens: TokenValues): SshSettings['proxyCommand'] {
  if (value === undefined || value.toLowerCase() === 'none') return null;
  return { line: value, command: expandTokens(value, tokens, 'proxycommand') };
}

/** SetEnv's value: blank-separated NAME=VALUE words (the first SetEnv line wins, as in ssh; a name given twice: the first). */
function setEnvPairs(value: string | undefined): [string, string][] {
  const out: [string, string][] = [];
  for (const word of value === undefined ? [] : splitWords(value, 'setenv')) {
    const eq = word.indexOf('=');
    if (eq <= 0) throw new UsageError('command-line line 0: Invalid environment.');
    const name = word.slice(0, eq);
    if (!out.some(([n]) => n === name)) out.push([name, word.slice(eq + 1)]);
  }
  return out;
}

/**
 * The "env" requests a session sends (RFC 4254 §6.4), as ssh's client_session2_setup does:
 * each local variable whose name matches a SendEnv pattern, in environment order, then the
 * SetEnv pairs. The server takes only the names its AcceptEnv lists.
 */
export function sessionEnvironment(
  settings: Pick<SshSettings, 'sendEnv' | 'setEnv'>,
  environ: NodeJS.ProcessEnv,
  debug?: (line: string) => void,
): Record<string, string> {
  const env: Record<string, string> = {};
  if (settings.sendEnv.length) {
    for (const [name, value] of Object.entries(environ)) {
      if (value === undefined || !settings.sendEnv.some((p) => matchWildcard(name, p))) continue;
      debug?.(`Sending env ${name} = ${value}`);
      env[name] = value;
    }
  }
  for (const [name, value] of settings.setEnv) {
    debug?.(`Setting env ${name} = ${value}`);
    env[name] = value;
  }
  return env;
}

/** ProxyJump's value: "none", or comma-separated jump hosts. */
function proxyJumps(value: string | undefined): string[] {
  if (value === undefined || value.toLowerCase() === 'none') return [];
  const hops = value.split(',').map((h) => h.trim());
  if (hops.some((h) => h === '')) throw new UsageError(`Invalid ProxyJump "${value}"`);
  return hops;
}

/**
 * `-G`: the settings puressh would connect with, one `keyword value` line each in ssh -G's
 * format, for the keywords puressh acts on (paths with `~`, tokens and variables expanded).
 */
export function dumpConfig(originalHost: string, s: SshSettings): string {
  const yn = (b: boolean): string => (b ? 'yes' : 'no');
  const bracket = (h: string | undefined): string => (h === undefined ? '' : `[${h}]:`);
  const lines: string[] = [
    `host ${originalHost}`,
    `user ${s.user}`,
    `hostname ${s.host}`,
    `port ${s.port}`,
    `batchmode ${yn(s.batchMode)}`,
    `compression ${yn(s.algorithms.compression?.[0] !== 'none')}`,
    `forwardagent ${yn(s.forwardAgent)}`,
    `hashknownhosts ${yn(s.hashKnownHosts)}`,
    `hostbasedauthentication ${yn(s.hostbasedAuthentication)}`,
    `kbdinteractiveauthentication ${yn(s.kbdInteractiveAuthentication)}`,
    `passwordauthentication ${yn(s.passwordAuthentication)}`,
    `pubkeyauthentication ${yn(s.pubkeyAuthentication)}`,
    `stricthostkeychecking ${s.strictHostKeyChecking}`,
    `updatehostkeys ${yn(s.updateHostKeys)}`,
    `exitonforwardfailure ${yn(s.session.exitOnForwardFailure)}`,
    `forkafterauthentication ${yn(s.forkAfterAuthentication)}`,
    `stdinnull ${yn(s.noStdin)}`,
    `requesttty ${{ yes: 'true', no: 'false', force: 'force', auto: 'auto' }[s.session.requestTty]}`,
    `loglevel ${s.logLevel}`,
    `numberofpasswordprompts ${s.numberOfPasswordPrompts}`,
    `serveralivecountmax ${s.serverAliveCountMax ?? 3}`,
    `serveraliveinterval ${(s.serverAliveIntervalMs ?? 0) / 1000}`,
    `connecttimeout ${s.connectTimeoutMs === undefined ? 'none' : s.connectTimeoutMs / 1000}`,
    `preferredauthentications ${s.preferredAuthentications.join(',')}`,
  ];
  for (const [kw, list] of [
    ['kexalgorithms', s.algorithms.kex ?? DEFAULT_KEX],
    // with no Ciphers given, the Node entry puts AES-GCM first (NODE_PREFERRED_CIPHERS)
    ['ciphers', s.algorithms.cipher ?? NODE_PREFERRED_CIPHERS],
    ['macs', s.algorithms.mac ?? DEFAULT_MACS],
    ['hostkeyalgorithms', s.algorithms.hostKey ?? DEFAULT_HOSTKEY_ALGORITHMS],
    ['pubkeyacceptedalgorithms', s.algorithms.publicKey ?? DEFAULT_PUBKEY_ALGORITHMS],
  ] as const) {
    lines.push(`${kw} ${list.join(',')}`);
  }
  for (const f of s.identityFiles) lines.push(`identityfile ${f}`);
  for (const f of s.certificateFiles) lines.push(`certificatefile ${f}`);
  lines.push(`userknownhostsfile ${s.userKnownHostsFiles.join(' ') || 'none'}`);
  lines.push(`globalknownhostsfile ${s.globalKnownHostsFiles.join(' ') || 'none'}`);
  lines.push(`identityagent ${s.identityAgent ?? 'none'}`);
  for (const f of s.session.forwards) {
    const listen = f.bindPath ?? `${bracket(f.bindHost)}${f.bindPort}`;
    const kw = f.kind === 'L' ? 'localforward' : f.kind === 'R' ? 'remoteforward' : 'dynamicforward';
    lines.push(f.kind === 'D' ? `${kw} ${listen}` : `${kw} ${listen} ${f.path ?? `[${f.host}]:${f.port}`}`);
  }
  if (s.proxyJump.length) lines.push(`proxyjump ${s.proxyJump.join(',')}`);
  if (s.proxyCommand) lines.push(`proxycommand ${s.proxyCommand.line}`);
  for (const p of s.sendEnv) lines.push(`sendenv ${p}`);
  if (s.hostKeyAlias !== undefined) lines.push(`hostkeyalias ${s.hostKeyAlias}`);
  lines.push(`identitiesonly ${yn(s.identitiesOnly)}`);
  lines.push(`sessiontype ${s.session.noCommand ? 'none' : 'default'}`);
  for (const [name, value] of s.setEnv) lines.push(`setenv ${name}=${value}`);
  if (s.rekeyBytes !== undefined || s.rekeySeconds !== undefined) lines.push(`rekeylimit ${s.rekeyBytes ?? 0} ${s.rekeySeconds ?? 0}`);
  return lines.join('\n') + '\n';
}

/** ssh_config IdentityAgent: "none", "SSH_AUTH_SOCK", "$VAR", or a path (default $SSH_AUTH_SOCK). */
function identityAgent(value: string | undefined, expand: (path: string) => string): string | null {
  const v = value ?? 'SSH_AUTH_SOCK';
  if (v.toLowerCase() === 'none') return null;
  if (v === 'SSH_AUTH_SOCK') return process.env.SSH_AUTH_SOCK || null;
  if (v.startsWith('$') && !v.startsWith('${')) return process.env[v.slice(1)] || null;
  return expand(v);
}

/**
 * OpenSSH's order_hostkeyalgs: when known_hosts already holds keys of some types for this
 * host, ask for those types first so the check can succeed.
 */
export function preferKnownHostKeyTypes(defaults: readonly string[], knownTypes: readonly string[]): string[] {
  const first: string[] = [];
  for (const t of knownTypes) for (const alg of signatureAlgorithmsForKeyType(t)) if (defaults.includes(alg) && !first.includes(alg)) first.push(alg);
  // a certificate algorithm goes first with its plain key's type (order_hostkeyalgs), in the list's order
  const certs = defaults.filter((a) => !first.includes(a) && knownTypes.some((t) => signatureAlgorithmsForKeyType(t).includes(plainNameOf(a) ?? '')));
  return [...defaults.filter((a) => certs.includes(a)), ...first, ...defaults.filter((a) => !first.includes(a) && !certs.includes(a))];
}

/** `-Q` answers, named as ssh names them. */
export function queryList(what: string): string[] | null {
  switch (what.toLowerCase()) {
    case 'kex':
    case 'kexalgorithms':
      return [...SUPPORTED_KEX];
    case 'cipher':
    case 'ciphers':
      return [...SUPPORTED_CIPHERS];
    case 'cipher-auth':
      return SUPPORTED_CIPHERS.filter((c) => c.includes('gcm') || c.includes('poly1305'));
    case 'mac':
    case 'macs':
      return [...SUPPORTED_MACS];
    case 'key':
      return [...KEY_TYPES.keys()];
    case 'key-plain':
      return [...KEY_TYPES.keys()].filter((t) => plainNameOf(t) === undefined);
    case 'key-cert':
      return [...KEY_TYPES.keys()].filter((t) => plainNameOf(t) !== undefined);
    case 'key-sig':
    case 'hostkeyalgorithms':
    case 'pubkeyacceptedalgorithms':
    case 'sig':
      return [...SUPPORTED_HOSTKEY_ALGORITHMS];
    case 'compression':
      return [...SUPPORTED_COMPRESSIONS];
    default:
      return null;
  }
}
