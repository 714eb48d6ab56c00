/**
 * `puressh sshd`: the command line and configuration of OpenSSH's sshd. `-t` checks the
 * configuration, `-T` prints the effective one (for the connection `-C` describes); otherwise
 * it serves (sshd-serve.ts), in the foreground with -D, else from a background child.
 */
import { accessSync, constants } from 'node:fs';
import type { CliIo } from './io.js';
import { parseSshdArgs, SSHD_USAGE, SshdUsageError } from './sshd-args.js';
import { evaluateMatch, loadSshdConfig, notImplementedWarnings, SshdConfigError, type SshdConfig } from './sshd-config.js';
import { dumpSshdConfig, listenAddressLines } from './sshd-dump.js';
import { backgroundChild, runInBackground } from './fork.js';
import { SshdLog } from './sshd-log.js';
import { serveSshd } from './sshd-serve.js';
import { enableEarlyFree } from '../node-free.js';
import { tuneHeapForBulkTransfer } from './v8-heap.js';

const DEBUG_LEVELS = ['DEBUG', 'DEBUG2', 'DEBUG3'];

export async function runSshd(argv: readonly string[], io: CliIo): Promise<number> {
  enableEarlyFree();
  const err = (line: string): void => void io.stderr.write(line + '\n');
  let args;
  try {
    args = parseSshdArgs(argv);
  } catch (e) {
    if (!(e instanceof SshdUsageError)) throw e;
    err(e.message);
    if (e.usage) err(`puressh ${io.version}\n${SSHD_USAGE}`);
    return e.exitCode;
  }
  if (args.version) {
    err(`puressh ${io.version}`);
    return 0;
  }
  if (args.test < 2 && args.connection !== null) {
    err('Config test connection parameter (-C) provided without test mode (-T)');
    return 255;
  }
  const logLevel = args.quiet && args.debug === 0 ? 'QUIET' : args.debug > 0 ? DEBUG_LEVELS[Math.min(args.debug, 3) - 1] : undefined;
  try {
    const loaded = loadSshdConfig({
      configFile: args.configFile,
      options: args.options,
      ports: args.ports,
      hostCertificates: args.hostCertificates,
      ...(args.addressFamily ? { addressFamily: args.addressFamily } : {}),
      ...(logLevel ? { logLevel } : {}),
      ...(args.loginGraceTime !== undefined ? { loginGraceTime: args.loginGraceTime } : {}),
    });
    if (!args.quiet) for (const d of loaded.diagnostics) err(d);
    const c = loaded.config;
    const listen = await listenAddressLines(c);
    checkSensible(c);
    if (args.extra.length > 0) {
      err(`Extra argument ${args.extra[0]}.`);
      return 1;
    }
    let usable = 0;
    for (const k of c.hostKeys) {
      try {
        accessSync(k, constants.R_OK);
        usable++;
      } catch {
        if (loaded.raw.has('hostkey')) err(`Unable to load host key: ${k}`);
      }
    }
    if (usable === 0) {
      err('sshd: no hostkeys available -- exiting.');
      return 1;
    }
    if (!args.quiet) for (const w of notImplementedWarnings(c, loaded.raw)) err(`puressh sshd: warning: ${w}`);
    if (args.test === 2) {
      const effective = evaluateMatch(loaded, args.connection ?? {}, true);
      for (const l of dumpSshdConfig(effective, listen)) io.stdout.write(l + '\n');
    }
    if (args.test) return 0;
    if (args.inetd) {
      err('puressh sshd: inetd mode (-i) is not supported');
      return 1;
    }
    // Node cannot fork: without -D the same command line runs again as a background child.
    const child = backgroundChild();
    if (!args.foreground && !child) return runInBackground(['sshd', ...argv]);
    const log = new SshdLog(c.logLevel, err);
    tuneHeapForBulkTransfer();
    return await serveSshd(loaded, { log, ...(child ? { onListening: () => child.ready() } : {}) });
  } catch (e) {
    if (!(e instanceof SshdConfigError)) {
      if (e instanceof Error && e.message.startsWith('bad addr or host')) {
        err(e.message);
        return 255;
      }
      throw e;
    }
    for (const d of e.diagnostics) err(d);
    err(e.message);
    return e.exitCode;
  }
}

/** The checks sshd makes once its configuration is read (sshd.c main()). */
function checkSensible(c: SshdConfig): void {
  if (c.authorizedKeysCommand !== null && c.authorizedKeysCommandUser === null)
    throw new SshdConfigError('AuthorizedKeysCommand set without AuthorizedKeysCommandUser');
  if (c.authorizedPrincipalsCommand !== null && c.authorizedPrincipalsCommandUser === null)
    throw new SshdConfigError('AuthorizedPrincipalsCommand set without AuthorizedPrincipalsCommandUser');
  if (c.authenticationMethods.length === 0) return;
  const enabled: Record<string, boolean> = {
    none: true,
    publickey: c.pubkeyAuthentication,
    hostbased: c.hostbasedAuthentication,
    password: c.passwordAuthentication,
    'keyboard-interactive': c.kbdInteractiveAuthentication,
    'gssapi-with-mic': false,
  };
  const lines: string[] = [];
  for (const list of c.authenticationMethods) {
    const off = list.split(',').find((m) => !enabled[m.split(':')[0]!]);
    if (off === undefined) return;
    lines.push(`Disabled method "${off.split(':')[0]}" in AuthenticationMethods list "${list}"`);
  }
  throw new SshdConfigError('AuthenticationMethods cannot be satisfied by enabled authentication methods', 255, lines);
}
