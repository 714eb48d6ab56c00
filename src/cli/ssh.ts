/**
 * `puressh ssh`: OpenSSH's command line over the puressh client. Runs the command (or the
 * login shell), streams stdin to it and its stdout/stderr back, and exits with its exit
 * status, or 255 with a one-line reason when connecting, the host key or authentication fails.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { nodeAgent } from '../auth/agent/node.js';
import type { HostbasedOptions } from '../auth/hostbased.js';
import type { KbdResponder } from '../auth/keyboard-interactive.js';
import type { Readable, Writable } from 'node:stream';
import type { AuthContext, AuthMethod, AuthOutcome } from '../auth/types.js';
import { passwordMethod } from '../auth/password.js';
import type { SshClient } from '../client.js';
import type { Channel } from '../connection/channel.js';
import { DEFAULT_HOSTKEY_ALGORITHMS, parsePrivateKey, type PrivateKey } from '../crypto/keys/index.js';
import { KeyError } from '../errors.js';
import type { NodeConnectOptions } from '../node.js';
import { describeFailure, type FailureContext } from './failure.js';
import { makeHostKeyVerifier, type HostKeyState } from './host-key.js';
import { knownHostName, lookupKnownHosts } from './known-hosts.js';
import { startHostKeyUpdate } from './update-host-keys.js';
import type { Prompter } from './prompt.js';
import { dumpConfig, preferKnownHostKeyTypes, queryList, resolveSettings, type SshSettings } from './settings.js';
import { loadSshConfig } from './ssh-config.js';
import { connectThroughJumps, HopFailure } from './jump.js';
import { parseSshArgs, USAGE, UsageError } from './ssh-args.js';
import { withSessionFeatures } from './ssh-session.js';

export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  home: string;
  localUser: string;
  prompt: Prompter;
  version: string;
}

/** Plain functions (makeLog's closures), so they can be passed on unbound. */
export interface Log {
  debug: (line: string) => void;
  info: (line: string) => void;
  error: (line: string) => void;
}

export function makeLog(stderr: Writable, settings: Pick<SshSettings, 'logLevel'>): Log {
  const level = settings.logLevel;
  const w = (line: string): void => void stderr.write(line + '\n');
  return {
    debug: (line) => level === 'DEBUG' && w(`debug1: ${line}`),
    info: (line) => (level === 'INFO' || level === 'VERBOSE' || level === 'DEBUG') && w(line),
    error: (line) => level !== 'QUIET' && w(line),
  };
}

export async function runSsh(argv: readonly string[], io: CliIo): Promise<number> {
  let args;
  try {
    args = parseSshArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`puressh: ${e.message}\n${USAGE}\n`);
    return 255;
  }
  if (args.version) {
    io.stderr.write(`puressh ${io.version} (pure TypeScript SSH client)\n`);
    return 0;
  }
  if (args.query !== null) {
    const list = queryList(args.query);
    if (!list) {
      io.stderr.write(`puressh: Unsupported query "${args.query}"\n`);
      return 255;
    }
    io.stdout.write(list.join('\n') + '\n');
    return 0;
  }
  if (args.destination === null) {
    io.stderr.write(USAGE + '\n');
    return 255;
  }
  let settings: SshSettings;
  try {
    loadSshConfig(args, io);
    settings = resolveSettings(args, io);
  } catch (e) {
    io.stderr.write(`puressh: ${(e as Error).message}\n`);
    return 255;
  }
  if (args.printConfig) {
    io.stdout.write(dumpConfig(args.host!, settings));
    return 0;
  }
  const log = makeLog(io.stderr, settings);
  for (const n of args.notes) log.debug(n);

  const state: HostKeyState = { refusal: [], passwordDisabled: false };
  const ctx = { host: settings.host, port: settings.port, user: settings.user, hostKeyRefusal: state.refusal };
  let client: SshClient;
  try {
    client = await connectThroughJumps(settings, io, state, (hop, hopState) => clientOptions(hop, io, log, hopState));
  } catch (e) {
    for (const line of describeFailure(...failureFor(e, ctx))) log.error(line);
    return 255;
  }
  try {
    log.debug(`Authenticated to ${settings.host} ([${settings.host}]:${settings.port}) using "${client.authMethod}".`);
    // A key accepted despite a mismatch (StrictHostKeyChecking=no) must not vouch for others.
    const hostKeysUpdated = state.passwordDisabled ? async () => {} : startHostKeyUpdate(client, settings, log);
    const status = await withSessionFeatures(client, settings, io, log, () => runCommand(client, settings, io, log));
    await hostKeysUpdated();
    return status;
  } catch (e) {
    for (const line of describeFailure(e, ctx)) log.error(line);
    return 255;
  } finally {
    await client.disconnect().catch(() => {});
  }
}

/** The error and the context to describe it in: a jump host's own when it was one that failed. */
export function failureFor(e: unknown, ctx: FailureContext): [unknown, FailureContext] {
  if (!(e instanceof HopFailure)) return [e, ctx];
  return [e.error, { host: e.hop.host, port: e.hop.port, user: e.hop.user, hostKeyRefusal: e.state.refusal }];
}

export async function clientOptions(settings: SshSettings, io: CliIo, log: Log, state: HostKeyState): Promise<NodeConnectOptions> {
  const algorithms = { ...settings.algorithms };
  if (!settings.hostKeyAlgorithmsExplicit) {
    const name = knownHostName(settings.host, settings.port);
    const known = lookupKnownHosts([...settings.userKnownHostsFiles, ...settings.globalKnownHostsFiles], name);
    const types = [...new Set(known.filter((k) => k.marker === null).map((k) => k.type))];
    if (types.length) algorithms.hostKey = preferKnownHostKeyTypes(DEFAULT_HOSTKEY_ALGORITHMS, types);
  }
  const privateKeys = settings.pubkeyAuthentication ? await loadIdentities(settings, io.prompt, log) : [];
  const extraAuthMethods: AuthMethod[] = [];
  const interactivePassword = settings.passwordAuthentication && !settings.batchMode;
  if (interactivePassword) extraAuthMethods.push(promptingPassword(settings, io.prompt, log, state));
  const options: NodeConnectOptions = {
    host: settings.host,
    port: settings.port,
    username: settings.user,
    hostKeyVerifier: makeHostKeyVerifier(settings, { info: log.info, debug: log.debug, prompt: io.prompt }, state),
    privateKeys,
    extraAuthMethods,
    authMethods: authRank(settings),
    algorithms,
    onBanner: (text) => log.info(text.replace(/\n$/, '')),
    // Authenticate as OpenSSH's ssh does: learn the methods with "none", query keys before signing.
    queryAuthMethods: true,
    queryPublicKeys: true,
  };
  if (settings.identityAgent && (settings.pubkeyAuthentication || settings.forwardAgent)) {
    options.agent = nodeAgent(settings.identityAgent);
    options.forwardAgent = settings.forwardAgent;
  } else if (settings.forwardAgent) {
    log.debug('ForwardAgent: no agent (SSH_AUTH_SOCK unset or IdentityAgent none)');
  }
  if (settings.kbdInteractiveAuthentication && !settings.batchMode) options.keyboardInteractive = promptingKbd(io.prompt, log);
  if (settings.hostbasedAuthentication) {
    const hb = hostbasedIdentity(io.localUser, log);
    if (hb) options.hostbased = hb;
  }
  if (settings.verbose > 0) options.debug = log.debug;
  if (settings.connectTimeoutMs !== undefined) {
    options.connectTimeout = settings.connectTimeoutMs;
    // ssh's ConnectTimeout also bounds the handshake; not while a person may be typing a password
    if (!interactivePassword) options.timeout = settings.connectTimeoutMs;
  }
  if (settings.serverAliveIntervalMs !== undefined) options.keepaliveInterval = settings.serverAliveIntervalMs;
  if (settings.serverAliveCountMax !== undefined) options.keepaliveCountMax = settings.serverAliveCountMax;
  if (settings.rekeyBytes !== undefined) options.rekeyBytes = settings.rekeyBytes;
  if (settings.rekeySeconds !== undefined) options.rekeySeconds = settings.rekeySeconds;
  return options;
}

/** Read the identity files; encrypted ones ask for their passphrase (not in BatchMode). */
async function loadIdentities(settings: SshSettings, prompt: Prompter, log: Log): Promise<PrivateKey[]> {
  const keys: PrivateKey[] = [];
  for (const path of settings.identityFiles) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      if (settings.identityFilesExplicit) log.info(`Warning: Identity file ${path} not accessible: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}.`);
      continue;
    }
    let passphrase: string | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        keys.push(parsePrivateKey(text, passphrase));
        log.debug(`Will attempt key: ${path}`);
        break;
      } catch (e) {
        if (e instanceof KeyError && e.code === 'KEYFILE_AUTH_FAILED' && !settings.batchMode && attempt < 3) {
          const answer = await prompt(`Enter passphrase for key '${path}': `, false);
          if (answer !== null && answer !== '') {
            passphrase = answer;
            continue;
          }
        }
        log.info(`Load key "${path}": ${e instanceof KeyError ? e.message : String(e)}`);
        break;
      }
    }
  }
  return keys;
}

/** PreferredAuthentications as a rank: "publickey" covers the agent's keys first, then the files. */
function authRank(settings: SshSettings): string[] {
  return settings.preferredAuthentications.flatMap((m) => {
    if (m === 'publickey') return settings.pubkeyAuthentication ? ['agent', 'publickey'] : [];
    if (m === 'keyboard-interactive') return settings.kbdInteractiveAuthentication ? [m] : [];
    if (m === 'hostbased') return settings.hostbasedAuthentication ? [m] : [];
    return [m];
  });
}

/** keyboard-interactive on the terminal: name and instruction shown, each prompt asked (echo as the server says). */
function promptingKbd(prompt: Prompter, log: Log): KbdResponder {
  return async (ch) => {
    if (ch.name) log.info(ch.name);
    if (ch.instruction) log.info(ch.instruction.replace(/\n$/, ''));
    const answers: string[] = [];
    for (const p of ch.prompts) {
      const a = await prompt(p.prompt, p.echo);
      if (a === null) return null;
      answers.push(a);
    }
    return answers;
  };
}

/** ssh's HostbasedAuthentication: the first host key we can read, this host's name, the local user. */
function hostbasedIdentity(localUser: string, log: Log): HostbasedOptions | null {
  for (const t of ['ed25519', 'ecdsa', 'rsa']) {
    const path = `/etc/ssh/ssh_host_${t}_key`;
    try {
      return { key: parsePrivateKey(readFileSync(path, 'utf8')), localHost: `${hostname()}.`, localUser };
    } catch (e) {
      log.debug(`hostbased: cannot use ${path}: ${(e as Error).message}`);
    }
  }
  return null;
}

/** "password" with ssh's NumberOfPasswordPrompts retries and its prompt text. */
function promptingPassword(settings: SshSettings, prompt: Prompter, log: Log, state: HostKeyState): AuthMethod {
  return {
    name: 'password',
    async attempt(ctx: AuthContext): Promise<AuthOutcome> {
      let outcome: AuthOutcome = { success: false, failure: { methods: [], partialSuccess: false } };
      for (let i = 0; i < settings.numberOfPasswordPrompts && !state.passwordDisabled; i++) {
        if (i > 0) log.error('Permission denied, please try again.');
        const password = await prompt(`${settings.user}@${settings.host}'s password: `, false);
        if (password === null) break;
        outcome = await passwordMethod(password).attempt(ctx);
        if (outcome.success || outcome.failure.partialSuccess || !outcome.failure.methods.includes('password')) break;
      }
      return outcome;
    },
  };
}

async function runCommand(client: SshClient, settings: SshSettings, io: CliIo, log: Log): Promise<number> {
  const ch = settings.command !== null ? await client.exec(settings.command) : await client.shell();
  if (settings.command === null) log.debug('no command given: running the login shell without a pseudo-terminal');
  const output = Promise.all([pumpOut(() => ch.read(), io.stdout), pumpOut(() => ch.readStderr(), io.stderr)]);
  if (settings.noStdin) await ch.eof();
  else void pumpIn(io.stdin, ch, log);
  try {
    await output;
  } catch (e) {
    if (!(e instanceof BrokenPipe)) throw e;
    // like ssh: a reader that went away (`| head`) ends the session with status 255
    log.debug(`${e.message}; closing the channel`);
    await ch.close().catch(() => {});
    return 255;
  }
  const status = await ch.exit;
  if (status.signal) log.debug(`remote command killed by signal ${status.signal}${status.message ? `: ${status.message}` : ''}`);
  log.debug(`exit status ${status.code ?? 'none'}`);
  return status.code ?? 255;
}

class BrokenPipe extends Error {}

/** Channel output to a local stream, waiting for 'drain' so the window tracks the consumer. */
async function pumpOut(read: () => Promise<Uint8Array | null>, out: Writable): Promise<void> {
  let failed = null as Error | null; // set by onError: `as` keeps TypeScript from narrowing it to null
  const onError = (e: Error): void => {
    failed = e;
  };
  out.on('error', onError);
  try {
    for (;;) {
      const chunk = await read();
      if (chunk === null) return;
      if (failed || out.destroyed) throw new BrokenPipe(`write: ${failed?.message ?? 'output closed'}`);
      if (!out.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            out.off('drain', done);
            out.off('close', done);
            out.off('error', done);
            resolve();
          };
          out.on('drain', done);
          out.on('close', done);
          out.on('error', done);
        });
      }
    }
  } finally {
    out.off('error', onError);
  }
}

/** Local stdin to the channel, chunk by chunk with the channel's backpressure, then EOF. */
async function pumpIn(stdin: Readable, ch: Channel, log: Log): Promise<void> {
  try {
    for await (const chunk of stdin) {
      if (ch.isClosed) break;
      await ch.write(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : (chunk as Uint8Array));
    }
    if (!ch.isClosed) await ch.eof();
  } catch (e) {
    log.debug(`stdin: ${(e as Error).message}`);
  }
}
