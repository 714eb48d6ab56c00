/**
 * sshd's decision on a public key or user certificate (auth2-pubkey.c user_key_allowed,
 * auth2-pubkeyfile.c auth_check_authkey_line / auth_authorise_keyopts, user_cert_trusted_ca):
 * allowed or not, and the restrictions that then apply. Log lines are sshd's.
 */
import { Certificate, CERT_TYPE_USER, checkCertificate, DEFAULT_CA_SIGNATURE_ALGORITHMS, verifyCertificateSignature } from '../crypto/keys/certificate.js';
import { fingerprintSHA256 } from '../crypto/fingerprint.js';
import type { PublicKeyOps } from '../crypto/provider.js';
import type { PublicKey } from '../crypto/keys/types.js';
import { addrMatchCidrList, normalizeRemoteAddress } from '../match/address.js';
import { matchHostAndIp, matchList } from '../match/pattern.js';
import { equalConstantTime } from '../wire/bytes.js';
import { certificateKeyOptions, KeyOptionsError, mergeKeyOptions, type KeyOptions } from './options.js';
import type { AuthorizedKey, AuthorizedKeysFile, AuthorizedPrincipalsFile } from './parse.js';
import { keyIsRevoked, type PublicKeyList, type RevokedKeys } from './revoked.js';

/** Who is logging in, from where, and when: what sshd knows when it decides. */
export interface KeyAuthorizationContext {
  /** the account name (pw_name) */
  readonly user: string;
  /** the client's address ("::ffff:a.b.c.d" is read as a.b.c.d, as sshd does) */
  readonly address: string;
  /** the client's host name when sshd resolves it (UseDNS yes); default: the address, as with UseDNS no */
  readonly hostname?: string;
  /** seconds since the epoch; default: now */
  readonly now?: number;
  /** CASignatureAlgorithms: what a certificate's CA may sign with (default: OpenSSH 9's) */
  readonly caSignatureAlgorithms?: readonly string[];
  /** RevokedKeys, read with parseRevokedKeys */
  readonly revokedKeys?: RevokedKeys;
  /** public-key arithmetic for the CA signature check (e.g. the node:crypto provider's) */
  readonly ops?: PublicKeyOps;
}

/** Where the key was authorized. */
export type KeyAuthorizationSource = { readonly kind: 'authorized_keys'; readonly location: string } | { readonly kind: 'trusted-ca' };

/**
 * sshd's verdict. When allowed, `options` are the restrictions in effect (key options merged
 * with the certificate's). `log` holds what sshd logs about it, in order, in sshd's words.
 */
export type KeyAuthorization =
  | { readonly allowed: true; readonly options: KeyOptions; readonly source: KeyAuthorizationSource; readonly log: readonly string[] }
  | { readonly allowed: false; readonly log: readonly string[] };

/** sshkey_type(): "ED25519", "ECDSA", "ED25519-SK", "ECDSA-SK", "RSA", "DSA", and "-CERT" for certificates. */
export function keyTypeLabel(type: string): string {
  const suffix = '-cert-v01@openssh.com';
  if (type.endsWith(suffix)) return `${keyTypeLabel(type.slice(0, -suffix.length))}-CERT`;
  if (type === 'ssh-ed25519') return 'ED25519';
  if (type === 'sk-ssh-ed25519@openssh.com' || type === 'sk-ssh-ed25519') return 'ED25519-SK';
  if (type.startsWith('sk-ecdsa-')) return 'ECDSA-SK';
  if (type.startsWith('ecdsa-')) return 'ECDSA';
  if (type === 'ssh-rsa') return 'RSA';
  if (type === 'ssh-dss') return 'DSA';
  return type.toUpperCase();
}

const describe = (k: PublicKey): string => `${keyTypeLabel(k.type)} ${fingerprintSHA256(k.blob)}`;

const sameKey = (a: PublicKey, b: PublicKey): boolean => a.type === b.type && equalConstantTime(a.blob, b.blob);

interface Ctx {
  user: string;
  address: string;
  hostname: string;
  now: number;
  log: string[];
}

function resolve(c: KeyAuthorizationContext): Ctx {
  const address = normalizeRemoteAddress(c.address);
  return { user: c.user, address, hostname: c.hostname ?? address, now: c.now ?? Math.floor(Date.now() / 1000), log: [] };
}

/** format_absolute_time: local "YYYY-MM-DDTHH:MM:SS". */
function formatTime(t: number): string {
  const d = new Date(t * 1000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** auth_authorise_keyopts: expiry, option consistency, from= and source-address. */
function optionsPermit(o: KeyOptions, allowCertAuthority: boolean, ctx: Ctx, loc: string): boolean {
  if (o.expiresAt !== undefined && ctx.now > 0 && o.expiresAt < ctx.now) {
    ctx.log.push(`${loc}: entry expired at ${formatTime(o.expiresAt)}`);
    return false;
  }
  if (o.certPrincipals !== undefined && !o.certAuthority) {
    ctx.log.push(`${loc}: principals on non-CA key`);
    return false;
  }
  if (!allowCertAuthority && o.certAuthority) {
    ctx.log.push(`${loc}: cert-authority flag invalid here`);
    return false;
  }
  if (o.fromPatterns !== undefined) {
    const m = matchHostAndIp(ctx.hostname, ctx.address, o.fromPatterns);
    if (m !== 1) {
      if (m === -1) ctx.log.push(`${loc}: invalid from criteria`);
      ctx.log.push(
        `${loc}: Authentication tried for ${ctx.user.slice(0, 100)} with correct key but not from a permitted host ` +
          `(host=${ctx.hostname.slice(0, 200)}, ip=${ctx.address.slice(0, 200)}, required=${o.fromPatterns.slice(0, 200)}).`,
      );
      return false;
    }
  }
  if (o.sourceAddress !== undefined) {
    const m = addrMatchCidrList(ctx.address, o.sourceAddress);
    if (m !== 1) {
      if (m === -1) ctx.log.push(`${loc}: Certificate source-address invalid`);
      ctx.log.push(
        `${loc}: Authentication tried for ${ctx.user.slice(0, 100)} with valid certificate but not from a permitted source address (${ctx.address.slice(0, 200)}).`,
      );
      return false;
    }
  }
  return true;
}

/** sshauthopt_from_cert, with sshd's log line when refused. */
function certOptions(cert: Certificate, ctx: Ctx): KeyOptions | undefined {
  if (cert.certType !== CERT_TYPE_USER) {
    ctx.log.push('Invalid certificate options');
    return undefined;
  }
  try {
    return certificateKeyOptions(cert);
  } catch (e) {
    if (!(e instanceof KeyOptionsError)) throw e;
    ctx.log.push(e.reason, 'Invalid certificate options');
    return undefined;
  }
}

/** auth_check_authkey_line for one parsed line: the options in effect, or undefined. */
function checkLine(entry: AuthorizedKey, key: PublicKey, ctx: Ctx): KeyOptions | undefined {
  const cert = key instanceof Certificate ? key : undefined;
  const keyopts = entry.options;
  if (cert ? !sameKey(entry.key, cert.signatureKey) || !keyopts.certAuthority : !sameKey(entry.key, key) || keyopts.certAuthority) return undefined;
  const loc = entry.location;
  ctx.log.push(`${loc}: matching ${cert ? 'CA' : 'key'} found: ${describe(entry.key)}`);
  if (!optionsPermit(keyopts, cert !== undefined, ctx, loc)) {
    ctx.log.push('Refused by key options');
    return undefined;
  }
  if (!cert) {
    ctx.log.push(`Accepted key ${describe(entry.key)} found at ${loc}`);
    return keyopts;
  }
  const certopts = certOptions(cert, ctx);
  if (!certopts) return undefined;
  if (!optionsPermit(certopts, false, ctx, loc)) {
    ctx.log.push('Refused by certificate options');
    return undefined;
  }
  let merged: KeyOptions;
  try {
    merged = mergeKeyOptions(keyopts, certopts);
  } catch (e) {
    if (!(e instanceof KeyOptionsError)) throw e;
    ctx.log.push(e.reason);
    return undefined;
  }
  if (keyopts.certPrincipals !== undefined && !cert.principals.some((p) => matchList(p, keyopts.certPrincipals!) !== undefined)) {
    ctx.log.push('Certificate does not contain an authorized principal');
    return undefined;
  }
  const problem = checkCertificate(cert, {
    certType: CERT_TYPE_USER,
    now: BigInt(ctx.now),
    ...(keyopts.certPrincipals === undefined ? { principal: ctx.user } : {}),
  });
  if (problem !== null) {
    ctx.log.push(problem);
    return undefined;
  }
  ctx.log.push(`Accepted certificate ID "${cert.keyId}" (serial ${cert.serial}) signed by CA ${describe(entry.key)} found at ${loc}`);
  return merged;
}

/** The checks sshd makes before any file is read: CA signature and algorithm, revocation. */
function preChecks(key: PublicKey, c: KeyAuthorizationContext, ctx: Ctx): boolean {
  if (key instanceof Certificate) {
    const why = verifyCertificateSignature(key, c.caSignatureAlgorithms ?? DEFAULT_CA_SIGNATURE_ALGORITHMS, c.ops);
    if (why !== null) {
      ctx.log.push(why);
      return false;
    }
  }
  if (c.revokedKeys) {
    const revoked = [key, ...(key instanceof Certificate ? [key.signatureKey] : [])].find((k) => keyIsRevoked(c.revokedKeys!, k));
    if (revoked) {
      ctx.log.push(`Authentication key ${describe(revoked)} revoked by file`);
      return false;
    }
  }
  return true;
}

/** What sshd has configured for certificates signed by a trusted CA (TrustedUserCAKeys). */
export interface TrustedUserCaConfig {
  /** TrustedUserCAKeys, read with parsePublicKeyList */
  readonly trustedCaKeys: PublicKeyList;
  /**
   * AuthorizedPrincipalsFile for this user: undefined when not configured (the certificate
   * must then name the user), null when configured but missing or refused (StrictModes), so
   * no certificate is accepted through it.
   */
  readonly principals?: AuthorizedPrincipalsFile | null;
}

function trustedCa(cert: Certificate, config: TrustedUserCaConfig, ctx: Ctx): KeyOptions | undefined {
  const ca = cert.signatureKey;
  if (!config.trustedCaKeys.keys.some((k) => sameKey(k, ca))) {
    ctx.log.push(`CA ${describe(ca)} is not listed in TrustedUserCAKeys`);
    return undefined;
  }
  const usePrincipals = config.principals !== undefined;
  let principalOpts: KeyOptions | undefined;
  for (const line of config.principals?.lines ?? []) {
    if (line.kind === 'skipped') {
      ctx.log.push(line.message);
      continue;
    }
    if (cert.principals.includes(line.principal)) {
      principalOpts = line.options;
      break;
    }
  }
  if (usePrincipals && !principalOpts) {
    ctx.log.push('Certificate does not contain an authorized principal');
    return undefined;
  }
  const problem = checkCertificate(cert, {
    certType: CERT_TYPE_USER,
    now: BigInt(ctx.now),
    requirePrincipal: true,
    ...(usePrincipals ? {} : { principal: ctx.user }),
  });
  if (problem !== null) {
    ctx.log.push(problem);
    return undefined;
  }
  const certopts = certOptions(cert, ctx);
  if (!certopts) return undefined;
  if (!optionsPermit(certopts, false, ctx, 'cert')) {
    ctx.log.push('Refused by certificate options');
    return undefined;
  }
  if (!principalOpts) return certopts;
  if (!optionsPermit(principalOpts, false, ctx, 'principals')) {
    ctx.log.push('Refused by certificate principals options');
    return undefined;
  }
  try {
    return mergeKeyOptions(principalOpts, certopts);
  } catch (e) {
    if (!(e instanceof KeyOptionsError)) throw e;
    ctx.log.push(e.reason);
    return undefined;
  }
}

/**
 * Decide on a user certificate through TrustedUserCAKeys (and AuthorizedPrincipalsFile), as
 * sshd's user_cert_trusted_ca: the CA listed, a principal matched (the user name, or a line of
 * the principals file), the certificate valid now, its critical options understood and its
 * source-address met; options from the principals line merged with the certificate's.
 * @example authorizeCertificate(cert, { trustedCaKeys: parsePublicKeyList(caText) }, { user: 'alice', address: '192.0.2.7' })
 */
export function authorizeCertificate(cert: Certificate, config: TrustedUserCaConfig, context: KeyAuthorizationContext): KeyAuthorization {
  const ctx = resolve(context);
  if (!preChecks(cert, context, ctx)) return { allowed: false, log: ctx.log };
  const options = trustedCaOptions(cert, config, ctx);
  return options ? { allowed: true, options, source: { kind: 'trusted-ca' }, log: ctx.log } : { allowed: false, log: ctx.log };
}

/**
 * Decide on a public key or user certificate offered by `context.user`, as sshd's
 * user_key_allowed does: revoked keys refused; then each authorized_keys file in order, the
 * first matching line whose options allow this client (from=, expiry-time, and for a
 * certificate: cert-authority, principals=, the certificate's validity, critical options and
 * source-address); then, for a certificate, TrustedUserCAKeys when `trustedCa` is given.
 * Lines that sshd would skip (bad options) are skipped. The certificate's CA signature is
 * checked here (sshd does it when it decodes the key).
 * @example
 * const file = parseAuthorizedKeys(text, '/home/alice/.ssh/authorized_keys');
 * const verdict = authorizeKey(key, [file], { user: 'alice', address: '192.0.2.7' });
 * if (verdict.allowed && verdict.options.forceCommand) runInstead(verdict.options.forceCommand);
 */
export function authorizeKey(
  key: PublicKey,
  files: readonly AuthorizedKeysFile[],
  context: KeyAuthorizationContext,
  trustedCa?: TrustedUserCaConfig,
): KeyAuthorization {
  const ctx = resolve(context);
  if (!preChecks(key, context, ctx)) return { allowed: false, log: ctx.log };
  for (const file of files) {
    for (const entry of file.lines) {
      if (entry.kind !== 'key') {
        if (entry.reason === 'bad-options' || entry.reason === 'bad-option-string') ctx.log.push(entry.message);
        continue;
      }
      const options = checkLine(entry, key, ctx);
      if (options) return { allowed: true, options, source: { kind: 'authorized_keys', location: entry.location }, log: ctx.log };
    }
  }
  if (key instanceof Certificate && trustedCa) {
    const options = trustedCaOptions(key, trustedCa, ctx);
    if (options) return { allowed: true, options, source: { kind: 'trusted-ca' }, log: ctx.log };
  }
  return { allowed: false, log: ctx.log };
}

function trustedCaOptions(cert: Certificate, config: TrustedUserCaConfig, ctx: Ctx): KeyOptions | undefined {
  const options = trustedCa(cert, config, ctx);
  if (options) ctx.log.push(`Accepted certificate ID "${cert.keyId}" (serial ${cert.serial}) signed by ${describe(cert.signatureKey)} via TrustedUserCAKeys`);
  return options;
}
