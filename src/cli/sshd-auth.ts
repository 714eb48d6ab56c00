/**
 * `puressh sshd`'s authentication decisions, as OpenSSH's sshd makes them: the account looked
 * up once per connection (auth.c getpwnamallow / allowed_user: the shell, AllowUsers,
 * DenyUsers, AllowGroups, DenyGroups), the Match blocks evaluated for that user and address,
 * PermitRootLogin, and public keys through AuthorizedKeysFile (%h, %u, StrictModes),
 * TrustedUserCAKeys with AuthorizedPrincipalsFile, and RevokedKeys (auth2-pubkey.c).
 *
 * Passwords are not checked: verifying the system's password hashes (yescrypt, sha512-crypt
 * in /etc/shadow) and PAM needs native code; the server says so at startup when they are on.
 */
import { readFile } from 'node:fs/promises';
import { authorizeKey, type TrustedUserCaConfig } from '../authkeys/evaluate.js';
import { loadAuthorizedKeysSync, loadAuthorizedPrincipalsSync } from '../authkeys/node-strict-modes.js';
import type { KeyOptions } from '../authkeys/options.js';
import type { AuthorizedKeysFile } from '../authkeys/parse.js';
import { parsePublicKeyList, parseRevokedKeys, type RevokedKeys } from '../authkeys/revoked.js';
import { checkSecurityKeySignature } from '../authkeys/security-key.js';
import { Certificate } from '../crypto/keys/certificate.js';
import { fingerprintSHA256 } from '../crypto/fingerprint.js';
import type { PublicKey } from '../crypto/keys/types.js';
import { nodeProvider } from '../crypto/node/index.js';
import { parseAuthenticationMethods } from '../server/auth-policy.js';
import { lookupUser, shellRefusal, type PasswdEntry } from '../server/node-passwd.js';
import type { AuthPermissions, PublicKeyRequest } from '../server/types.js';
import { matchPatternList } from './sshd-match.js';
import { checkUserAccess, evaluateMatch, expandAuthorizedPath, type LoadedSshdConfig, type SshdConfig } from './sshd-config.js';
import { nodeLoadEnv } from './sshd-files.js';
import type { SshdLog } from './sshd-log.js';
import { idsOf, readAsUser, type UserIds } from './sshd-as-user.js';

/** One client connection as sshd tracks it: where from, who it claims to be, what applies. */
export interface ConnectionContext {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** the user name of the first authentication request */
  user: string | null;
  /** the account, once looked up; null when the user is invalid or not allowed */
  account: PasswdEntry | null;
  /** the settings for this connection: global until the user is known, then with Match applied */
  settings: SshdConfig;
  /** the user `settings` were matched for (null: still the global ones) */
  matchedUser: string | null;
  /**
   * the connection's log: the server's until the user is known, then at the LogLevel of
   * `settings` (sshd changes its level in getpwnamallow, so the lines of the first request
   * come before the change and everything from the user lookup on after it)
   */
  log: SshdLog;
  /** the key options of the accepted public key */
  keyOptions: KeyOptions | null;
  /** "ED25519 SHA256:…" descriptions of keys offered, by fingerprint, for the Accepted/Failed lines */
  readonly keyDescriptions: Map<string, string>;
  /** authentication requests so far (sshd's authctxt->attempt) */
  attempts: number;
  /** failures as sshd's unprivileged child counts them: every failed request but a first "none" (MaxAuthTries) */
  failures: number;
  /**
   * failures as sshd's monitor counts them, which sets the level of its Failed lines: only
   * requests that reached a decision on a signature (not a key refused by authorized_keys)
   */
  decidedFailures: number;
  authenticated: boolean;
  /** resolves once the account lookup of the first request is done */
  lookup: Promise<void> | null;
  /**
   * the ChrootDirectory, expanded and checked once the user is authenticated (sshd does it
   * then, for the whole connection): null without one; rejects with sshd's message when the
   * path fails sshd's checks (the connection is then dropped)
   */
  chroot: Promise<string | null> | null;
}

/** Connection contexts by TCP 4-tuple (unique among live connections). */
export function connectionKey(p: {
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
  localAddress?: string | undefined;
  localPort?: number | undefined;
}): string {
  return `${p.remoteAddress ?? ''}|${p.remotePort ?? 0}|${p.localAddress ?? ''}|${p.localPort ?? 0}`;
}

/** sshkey_type() with sshd's labels: "ED25519", "ECDSA", "RSA", "…-CERT". */
export function keyLabel(type: string): string {
  const suffix = '-cert-v01@openssh.com';
  if (type.endsWith(suffix)) return `${keyLabel(type.slice(0, -suffix.length))}-CERT`;
  if (type === 'ssh-ed25519') return 'ED25519';
  if (type.startsWith('ecdsa-')) return 'ECDSA';
  if (type === 'ssh-rsa') return 'RSA';
  if (type === 'ssh-dss') return 'DSA';
  if (type.startsWith('sk-ssh-ed25519')) return 'ED25519-SK';
  if (type.startsWith('sk-ecdsa')) return 'ECDSA-SK';
  return type.toUpperCase();
}

/** How sshd describes a key in its Accepted/Failed lines (auth2-pubkey.c format_key). */
export function describeKey(key: PublicKey): string {
  const base = `${keyLabel(key.type)} ${fingerprintSHA256(key.blob)}`;
  if (!(key instanceof Certificate)) return base;
  const ca = key.signatureKey;
  return `${base} ID ${key.keyId} (serial ${key.serial}) CA ${keyLabel(ca.type)} ${fingerprintSHA256(ca.blob)}`;
}

/** The per-connection settings (sshd's second configuration pass) for `user`. */
export function settingsFor(loaded: LoadedSshdConfig, ctx: ConnectionContext, user: string): SshdConfig {
  return evaluateMatch(loaded, { user, host: ctx.remoteAddress, addr: ctx.remoteAddress, laddr: ctx.localAddress, lport: ctx.localPort });
}

/** The connection's settings for `user` (Match applied once, when the first request names the user), kept in `ctx.settings`. */
export function matchSettings(loaded: LoadedSshdConfig, ctx: ConnectionContext, user: string): SshdConfig {
  if (ctx.matchedUser !== user) {
    ctx.settings = settingsFor(loaded, ctx, user);
    ctx.matchedUser = user;
    ctx.log = ctx.log.atLevel(ctx.settings.logLevel);
  }
  return ctx.settings;
}

/** AuthenticationMethods for the connection, as the server's method plan takes it (null: any one method). */
export function methodsFor(settings: SshdConfig): string[][] | null {
  const lists = settings.authenticationMethods;
  // publickey is the only method puressh sshd has: off for this user, none is offered (an empty list, as sshd's)
  if (lists.length === 0) return settings.pubkeyAuthentication ? null : [];
  return parseAuthenticationMethods(lists.join(' '));
}

/**
 * Look the user up once per connection (the first request's name): the account, the Match
 * settings, and sshd's allowed_user checks, logging sshd's refusal lines.
 */
export function resolveUser(loaded: LoadedSshdConfig, ctx: ConnectionContext, user: string): Promise<void> {
  ctx.lookup ??= (async () => {
    ctx.user = user;
    matchSettings(loaded, ctx, user);
    const { log } = ctx;
    const from = `from ${ctx.remoteAddress} port ${ctx.remotePort}`;
    const entry = await lookupUser(user).catch(() => null);
    if (!entry) {
      log.info(`Invalid user ${user} ${from}`);
      return;
    }
    const shell = await shellRefusal(entry);
    const groups = nodeLoadEnv().groupsOf(user) ?? [];
    const refusal = shell ?? checkUserAccess(ctx.settings, { user, groups, host: ctx.remoteAddress, addr: ctx.remoteAddress });
    if (refusal) {
      log.info(refusal);
      return;
    }
    const uid = process.getuid?.();
    if (uid !== undefined && uid !== 0 && uid !== entry.uid) {
      // As sshd run by an ordinary user: it can only ever start sessions as that user.
      log.info(`User ${user} not allowed: this server runs as uid ${uid} and can serve only that user`);
      return;
    }
    ctx.account = entry;
  })();
  return ctx.lookup;
}

async function readOptional(path: string | null, log: SshdLog, what: string): Promise<Uint8Array | null> {
  if (path === null) return null;
  try {
    return await readFile(path);
  } catch (e) {
    log.error(`${what} ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}`);
    return null;
  }
}

/** auth_openfile's lines: a missing file at DEBUG, anything else (unreadable, refused by StrictModes) at INFO. */
function logFileProblems(lines: readonly string[], log: SshdLog): void {
  for (const l of lines) {
    if (l.endsWith(': No such file or directory')) log.debug(l);
    else log.info(l);
  }
}

/**
 * The authorized_keys files of the account, read with StrictModes, in AuthorizedKeysFile order,
 * under the user's ids (auth2-pubkeyfile.c user_key_allowed2 → temporarily_use_uid).
 */
function authorizedKeysFiles(settings: SshdConfig, account: PasswdEntry, ids: UserIds, log: SshdLog): AuthorizedKeysFile[] {
  const out: AuthorizedKeysFile[] = [];
  for (const entry of settings.authorizedKeysFile) {
    if (entry.toLowerCase() === 'none') continue;
    const path = expandAuthorizedPath(entry, account);
    log.debug(`trying public key file ${path}`);
    const r = readAsUser(ids, () => loadAuthorizedKeysSync(path, account, settings.strictModes));
    logFileProblems(r.log, log);
    if (r.file) out.push(r.file);
  }
  return out;
}

/**
 * sshd's decision on a public key for this connection: refused (null) or the key options
 * that then apply. Logs what sshd logs (debug level except refusals sshd logs louder).
 */
export async function decidePublicKey(ctx: ConnectionContext, req: PublicKeyRequest): Promise<KeyOptions | null> {
  const { log } = ctx;
  const s = ctx.settings;
  const account = ctx.account;
  ctx.keyDescriptions.set(fingerprintSHA256(req.blob), describeKey(req.key));
  if (!account || !s.pubkeyAuthentication) return null;
  if (!s.pubkeyAcceptedAlgorithms.includes(req.algorithm)) {
    log.debug(`userauth_pubkey: signature algorithm ${req.algorithm} not in PubkeyAcceptedAlgorithms`);
    return null;
  }
  if (account.uid === 0 && s.permitRootLogin === 'no') {
    if (req.signed) log.info(`ROOT LOGIN REFUSED FROM ${ctx.remoteAddress} port ${ctx.remotePort}`);
    return null;
  }
  // Not run (warned at startup when set globally): only the files are read, so fewer keys ever pass.
  if (s.authorizedKeysCommand !== null) log.debug('AuthorizedKeysCommand is not supported by puressh sshd; ignored');
  const ids = await idsOf(account);
  const files = authorizedKeysFiles(s, account, ids, log);
  let revokedKeys: RevokedKeys | undefined;
  const revoked = await readOptional(s.revokedKeys, log, 'Error loading RevokedKeys file');
  if (s.revokedKeys !== null) revokedKeys = revoked ? parseRevokedKeys(revoked) : { unreadable: s.revokedKeys };
  let trustedCa: TrustedUserCaConfig | undefined;
  if (req.key instanceof Certificate && s.trustedUserCaKeys !== null) {
    const ca = await readOptional(s.trustedUserCaKeys, log, 'Could not open TrustedUserCAKeys file');
    if (ca) {
      let principals: TrustedUserCaConfig['principals'];
      if (s.authorizedPrincipalsFile !== null && s.authorizedPrincipalsFile.toLowerCase() !== 'none') {
        const path = expandAuthorizedPath(s.authorizedPrincipalsFile, account);
        const r = readAsUser(ids, () => loadAuthorizedPrincipalsSync(path, account, s.strictModes));
        logFileProblems(r.log, log);
        principals = r.file;
      }
      trustedCa = { trustedCaKeys: parsePublicKeyList(new TextDecoder().decode(ca)), ...(principals !== undefined ? { principals } : {}) };
    }
  }
  const verdict = authorizeKey(
    req.key,
    files,
    {
      user: account.name,
      address: ctx.remoteAddress,
      caSignatureAlgorithms: s.caSignatureAlgorithms,
      ops: nodeProvider.publicKey,
      ...(revokedKeys ? { revokedKeys } : {}),
    },
    trustedCa,
  );
  for (const l of verdict.log) {
    // auth2-pubkeyfile.c logs the match it accepts at VERBOSE, the rest of its reasoning at DEBUG
    if (/^Accepted (key|certificate ID) /.test(l)) log.verbose(l);
    else log.debug(l);
  }
  if (!verdict.allowed) return null;
  if (account.uid === 0 && s.permitRootLogin === 'forced-commands-only' && verdict.options.forceCommand === undefined) {
    if (req.signed) log.info(`Root login accepted for forced command. refused: no forced command for ${describeKey(req.key)}`);
    return null;
  }
  return verdict.options;
}

/** PubkeyAuthOptions of the connection's settings (Match applied), as the security-key checks take them. */
export function securityKeyServerPolicy(settings: SshdConfig): { touchRequired: boolean; verifyRequired: boolean } {
  return { touchRequired: settings.pubkeyAuthOptions.includes('touch-required'), verifyRequired: settings.pubkeyAuthOptions.includes('verify-required') };
}

/**
 * A FIDO security key's signature against the key's options and PubkeyAuthOptions, as
 * auth2-pubkey.c userauth_pubkey checks it once the key is allowed and the signature good:
 * false (refused, with sshd's error line) when the user-presence or user-verification flag
 * the options ask for is missing.
 */
export function securityKeyFlagsAccepted(ctx: ConnectionContext, req: PublicKeyRequest, options: KeyOptions): boolean {
  const { log } = ctx;
  if (!req.signed || !req.securityKey) return true;
  log.debug(`userauth_pubkey: sk_counter = ${req.securityKey.counter}, sk_flags = 0x${req.securityKey.flags.toString(16).padStart(2, '0')}`);
  const refusal = checkSecurityKeySignature(req.key, req.securityKey, options, {
    user: req.username,
    address: ctx.remoteAddress,
    port: ctx.remotePort,
    pubkeyAuthOptions: securityKeyServerPolicy(ctx.settings),
  });
  if (refusal === null) return true;
  log.error(refusal);
  return false;
}

/** The key options as the server layer enforces and carries them (auth-options.c semantics). */
export function keyPermissions(o: KeyOptions, settings: SshdConfig): AuthPermissions {
  const env: Record<string, string> = {};
  const allow = settings.permitUserEnvironment;
  if (allow !== false) {
    for (const e of o.environment) {
      const eq = e.indexOf('=');
      if (eq <= 0) continue;
      const name = e.slice(0, eq);
      // PermitUserEnvironment may be a pattern list of the names allowed.
      if (typeof allow === 'string' && matchPatternList(name, allow, false) !== 1) continue;
      if (!(name in env)) env[name] = e.slice(eq + 1);
    }
  }
  return {
    ...(o.forceCommand !== undefined ? { forceCommand: o.forceCommand } : {}),
    ...(Object.keys(env).length ? { environment: env } : {}),
    noPty: !o.permitPty,
    noPortForwarding: !o.permitPortForwarding,
    noAgentForwarding: !o.permitAgentForwarding,
    noX11Forwarding: !o.permitX11Forwarding,
    noUserRc: !o.permitUserRc,
    ...(o.permitOpen.length ? { permitOpen: [...o.permitOpen] } : {}),
    ...(o.permitListen.length ? { permitListen: [...o.permitListen] } : {}),
    // The server layer checks a security key's flags again with these (PubkeyAuthOptions folded in).
    noTouchRequired: o.noRequireUserPresence && !securityKeyServerPolicy(settings).touchRequired,
    verifyRequired: o.requireVerify || securityKeyServerPolicy(settings).verifyRequired,
  };
}
