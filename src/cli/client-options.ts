/**
 * The connect options of one `puressh ssh` hop (also for sftp and scp) from its settings, as
 * ssh behaves: known_hosts-ordered host key algorithms, identity files with passphrase
 * prompts, the agent, password and keyboard-interactive prompts, hostbased identity,
 * timeouts and keepalives.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { AgentClient } from '../auth/agent/client.js';
import { nodeAgent } from '../auth/agent/node.js';
import type { HostbasedOptions } from '../auth/hostbased.js';
import type { KbdResponder } from '../auth/keyboard-interactive.js';
import type { AuthContext, AuthMethod, AuthOutcome } from '../auth/types.js';
import { passwordMethod } from '../auth/password.js';
import { equalConstantTime } from '../wire/bytes.js';
import {
  Certificate,
  CERT_ALGORITHMS,
  CertifiedPrivateKey,
  DEFAULT_HOSTKEY_ALGORITHMS,
  parsePrivateKey,
  parsePublicKey,
  securityKeyOf,
  type PrivateKey,
  type SecurityKeySigner,
} from '../crypto/keys/index.js';
import { nodeProvider } from '../crypto/node/index.js';
import { KeyError } from '../errors.js';
import type { NodeConnectOptions } from '../node.js';
import type { SshClient } from '../client.js';
import { logFailure, type FailureContext } from './failure.js';
import { readIdentityFile } from './identity-file.js';
import { loadSignerModule, prepareSecurityKey, SK_SIGNER_ENV } from './security-key.js';
import { makeHostKeyVerifier, type HostKeyState } from './host-key.js';
import { connectThroughJumps, failureFor } from './jump.js';
import type { CliIo, Log } from './io.js';
import { lookupKnownHosts } from './known-hosts.js';
import type { Prompter } from './prompt.js';
import { preferKnownHostKeyTypes, type SshSettings } from './settings.js';

/**
 * Connect as `puressh ssh` does (through the jump hosts, if any); on failure print ssh's lines,
 * then `closedLine` (what OpenSSH's sftp and scp say when their ssh exits), and resolve with exit status 255. `state` tells afterwards how the host key was accepted.
 */
export async function connectForCli(
  settings: SshSettings,
  io: CliIo,
  log: Log,
  closedLine?: string,
): Promise<{ client: SshClient; state: HostKeyState; ctx: FailureContext } | number> {
  const state: HostKeyState = { refusal: [], passwordDisabled: false };
  const ctx: FailureContext = { host: settings.host, port: settings.port, user: settings.user, hostKeyRefusal: state.refusal };
  try {
    const client = await connectThroughJumps(settings, io, state, (hop, hopState) => clientOptions(hop, io, log, hopState));
    return { client, state, ctx };
  } catch (e) {
    logFailure(log, ...failureFor(e, ctx));
    if (closedLine !== undefined) io.stderr.write(closedLine + '\n');
    return 255;
  }
}

export async function clientOptions(settings: SshSettings, io: CliIo, log: Log, state: HostKeyState): Promise<NodeConnectOptions> {
  const algorithms = { ...settings.algorithms };
  if (!settings.hostKeyAlgorithmsExplicit) {
    const name = settings.knownHostsName;
    const known = lookupKnownHosts([...settings.userKnownHostsFiles, ...settings.globalKnownHostsFiles], name);
    const types = [...new Set(known.filter((k) => k.marker === null).map((k) => k.type))];
    // Certificates are asked for (first, as ssh's default list has them) only where a CA can vouch for them.
    const defaults = known.some((k) => k.marker === 'cert-authority') ? [...CERT_ALGORITHMS, ...DEFAULT_HOSTKEY_ALGORITHMS] : DEFAULT_HOSTKEY_ALGORITHMS;
    if (types.length || defaults !== DEFAULT_HOSTKEY_ALGORITHMS) algorithms.hostKey = preferKnownHostKeyTypes(defaults, types);
  }
  const agent = settings.identityAgent && (settings.pubkeyAuthentication || settings.forwardAgent) ? nodeAgent(settings.identityAgent) : undefined;
  const privateKeys = settings.pubkeyAuthentication ? await loadIdentities(settings, io.prompt, log, agent) : [];
  const extraAuthMethods: AuthMethod[] = [];
  const interactivePassword = settings.passwordAuthentication && !settings.batchMode;
  if (interactivePassword) extraAuthMethods.push(promptingPassword(settings, io.prompt, log, state));
  const options: NodeConnectOptions = {
    host: settings.host,
    port: settings.port,
    username: settings.user,
    hostKeyVerifier: makeHostKeyVerifier(settings, { info: log.info, error: log.error, debug: log.debug, prompt: io.prompt }, state),
    privateKeys,
    extraAuthMethods,
    authMethods: authRank(settings),
    algorithms,
    onBanner: (text) => log.info(text.replace(/\n$/, '')),
    // Authenticate as OpenSSH's ssh does: learn the methods with "none", query keys before signing.
    queryAuthMethods: true,
    queryPublicKeys: true,
  };
  if (agent) {
    options.agent = agent;
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
async function loadIdentities(settings: SshSettings, prompt: Prompter, log: Log, agent: AgentClient | undefined): Promise<PrivateKey[]> {
  const keys: PrivateKey[] = [];
  let signer: Promise<SecurityKeySigner | undefined> | undefined;
  // Loaded only when a security key is among the identities; a module that fails to load is reported once.
  const skSigner = (): Promise<SecurityKeySigner | undefined> =>
    (signer ??= (async () => {
      const modulePath = process.env[SK_SIGNER_ENV];
      if (!modulePath) return undefined;
      try {
        return await loadSignerModule(modulePath);
      } catch (e) {
        log.error((e as Error).message);
        return undefined;
      }
    })());
  for (const path of settings.identityFiles) {
    const text = readIdentityFile(path, settings.identityFilesExplicit, log);
    if (text === null) continue;
    let passphrase: string | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        let key = parsePrivateKey(text, { passphrase, provider: nodeProvider });
        if (securityKeyOf(key)) key = prepareSecurityKey(key, path, await skSigner(), agent, log);
        keys.push(key);
        log.debug(`Will attempt key: ${path}`);
        // as ssh: KEY-cert.pub beside the key is offered too, after the key
        const cert = loadCertificate(`${path}-cert.pub`, log, false);
        if (cert && equalConstantTime(cert.key.blob, key.publicKey.blob)) {
          keys.push(new CertifiedPrivateKey(key, cert));
          log.debug(`Will attempt key: ${path} ${cert.type}`);
        }
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
  // CertificateFile: each goes with the loaded key it certifies, and is offered first (as ssh does).
  const certified: PrivateKey[] = [];
  for (const path of settings.certificateFiles) {
    const cert = loadCertificate(path, log, true);
    const key = cert && keys.find((k) => !(k instanceof CertifiedPrivateKey) && equalConstantTime(cert.key.blob, k.publicKey.blob));
    if (!cert) continue;
    if (!key) {
      log.debug(`no identity file for certificate ${path}`);
      continue;
    }
    certified.push(new CertifiedPrivateKey(key, cert));
    log.debug(`Will attempt key: ${path} ${cert.type}`);
  }
  return [...certified, ...keys];
}

/** A certificate file: null when absent (reported if `explicit`) or not a certificate (reported). */
function loadCertificate(path: string, log: Log, explicit: boolean): Certificate | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message;
    if (explicit) log.info(`Warning: Certificate file ${path} not accessible: ${reason}.`);
    return null;
  }
  try {
    const cert = parsePublicKey(text).key;
    if (!(cert instanceof Certificate)) throw new KeyError('not a certificate');
    return cert;
  } catch (e) {
    log.info(`Load certificate "${path}": ${e instanceof KeyError ? e.message : String(e)}`);
    return null;
  }
}

/** PreferredAuthentications as a rank: "publickey" covers the agent's keys first, then the files. */
function authRank(settings: SshSettings): string[] {
  return settings.preferredAuthentications.flatMap((m) => {
    // IdentitiesOnly: the identity files only, not every key the agent holds
    if (m === 'publickey') return settings.pubkeyAuthentication ? (settings.identitiesOnly ? ['publickey'] : ['agent', 'publickey']) : [];
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
      return { key: parsePrivateKey(readFileSync(path, 'utf8'), { provider: nodeProvider }), localHost: `${hostname()}.`, localUser };
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
