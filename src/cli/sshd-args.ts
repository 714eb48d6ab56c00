/**
 * The command line of `puressh sshd`, as OpenSSH 9.2's sshd takes it (getopt string
 * "C:E:b:c:f:g:h:k:o:p:u:46DQRTdeiqrtV"), with sshd's messages and exit statuses.
 *
 *   -D foreground   -e log to stderr   -d debug (up to 3)   -q quiet   -f config_file
 *   -p port (repeatable; replaces Port)   -h host_key_file (repeatable)   -o option (repeatable)
 *   -t test the configuration   -T print the effective configuration
 *   -C user=,host=,addr=,laddr=,lport=   (with -T: the connection Match blocks are evaluated for)
 *   -4 -6 -c host_cert_file -E log_file -g login_grace_time -i -u len   (accepted; -b -k -Q -r -R ignored)
 */
import { a2port, convtime } from './sshd-lexer.js';
import type { ConnectionInfo } from './sshd-config.js';

export const SSHD_USAGE = `usage: sshd [-46DdeiqTtV] [-C connection_spec] [-c host_cert_file]
            [-E log_file] [-f config_file] [-g login_grace_time]
            [-h host_key_file] [-o option] [-p port] [-u len]`;

/** A command line sshd refuses: its stderr text, and the status it exits with. */
export class SshdUsageError extends Error {
  override name = 'SshdUsageError';
  constructor(
    message: string,
    readonly exitCode = 1,
    /** print the version line and usage after the message */
    readonly usage = false,
  ) {
    super(message);
  }
}

export interface SshdArgs {
  configFile: string;
  /** -o options and -h host keys, in command-line order */
  options: (string | { hostKey: string })[];
  ports: number[];
  hostCertificates: string[];
  addressFamily?: 'inet' | 'inet6';
  /** -D */
  foreground: boolean;
  /** -e (or -E) */
  logToStderr: boolean;
  logFile: string | null;
  /** number of -d */
  debug: number;
  quiet: boolean;
  /** -i */
  inetd: boolean;
  /** 0, 1 (-t) or 2 (-T) */
  test: 0 | 1 | 2;
  /** -C */
  connection: ConnectionInfo | null;
  loginGraceTime?: number;
  /** -V */
  version: boolean;
  /** words left after the options ("Extra argument", reported once the config is read) */
  extra: string[];
}

const WITH_ARG = 'CEbcfghkopu';
const FLAGS = '46DQRTdeiqrtV';

/** Parse sshd's arguments. Throws SshdUsageError. */
export function parseSshdArgs(argv: readonly string[]): SshdArgs {
  const a: SshdArgs = {
    configFile: '/etc/ssh/sshd_config',
    options: [],
    ports: [],
    hostCertificates: [],
    foreground: false,
    logToStderr: false,
    logFile: null,
    debug: 0,
    quiet: false,
    inetd: false,
    test: 0,
    connection: null,
    version: false,
    extra: [],
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') {
      i++;
      break;
    }
    if (!word.startsWith('-') || word === '-') break;
    for (let j = 1; j < word.length; j++) {
      const c = word[j]!;
      if (WITH_ARG.includes(c)) {
        let arg = word.slice(j + 1);
        if (arg === '') {
          if (i + 1 >= argv.length) throw new SshdUsageError(`option requires an argument -- ${c}`, 1, true);
          arg = argv[++i]!;
        }
        option(a, c, arg);
        break;
      }
      if (!FLAGS.includes(c)) throw new SshdUsageError(`unknown option -- ${c}`, 1, true);
      flag(a, c);
      if (a.version) return a;
    }
  }
  a.extra = argv.slice(i);
  return a;
}

function flag(a: SshdArgs, c: string): void {
  switch (c) {
    case '4':
      a.addressFamily = 'inet';
      break;
    case '6':
      a.addressFamily = 'inet6';
      break;
    case 'D':
      a.foreground = true;
      break;
    case 'd':
      a.debug++;
      break;
    case 'e':
      a.logToStderr = true;
      break;
    case 'i':
      a.inetd = true;
      break;
    case 'q':
      a.quiet = true;
      break;
    case 't':
      a.test = 1;
      break;
    case 'T':
      a.test = 2;
      break;
    case 'V':
      a.version = true;
      break;
    // -Q, -r, -R: ignored (-R is sshd's own re-exec)
  }
}

function option(a: SshdArgs, c: string, arg: string): void {
  switch (c) {
    case 'f':
      a.configFile = arg;
      break;
    case 'o':
      a.options.push(arg);
      break;
    case 'h':
      a.options.push({ hostKey: arg });
      break;
    case 'c':
      a.hostCertificates.push(arg);
      break;
    case 'p': {
      const p = a2port(arg);
      if (p <= 0) throw new SshdUsageError('Bad port number.');
      a.ports.push(p);
      break;
    }
    case 'g': {
      const t = convtime(arg);
      if (t === -1) throw new SshdUsageError('Invalid login grace time.');
      a.loginGraceTime = t;
      break;
    }
    case 'E':
      a.logFile = arg;
      a.logToStderr = true;
      break;
    case 'C':
      a.connection = parseConnectionSpec(arg);
      break;
    case 'u': {
      const n = /^\d+$/.test(arg) ? Number(arg) : 0;
      if (n > 65) throw new SshdUsageError('Invalid utmp length.');
      break;
    }
    // -b, -k: protocol 1 leftovers, ignored
  }
}

/** `-C user=…,host=…,addr=…,laddr=…,lport=…` (parse_server_match_testspec). */
export function parseConnectionSpec(spec: string): ConnectionInfo {
  const ci: ConnectionInfo = {};
  for (const p of spec.split(',')) {
    if (p === '') break;
    if (p.startsWith('addr=')) ci.addr = p.slice(5);
    else if (p.startsWith('host=')) ci.host = p.slice(5);
    else if (p.startsWith('user=')) ci.user = p.slice(5);
    else if (p.startsWith('laddr=')) ci.laddr = p.slice(6);
    else if (p.startsWith('rdomain=')) continue;
    else if (p.startsWith('lport=')) {
      const port = a2port(p.slice(6));
      if (port === -1) throw new SshdUsageError(`Invalid port '${p.slice(6)}' in test mode specification ${p}`);
      ci.lport = port;
    } else throw new SshdUsageError(`Invalid test mode specification ${p}`);
  }
  return ci;
}
