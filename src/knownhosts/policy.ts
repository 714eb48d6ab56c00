/**
 * Host-key policies (Net::SSH2 `check_hostkey`, OpenSSH StrictHostKeyChecking) turned into
 * a `hostKeyVerifier` for ClientOptions:
 *
 * - `strict` (default): only keys already in known_hosts are accepted.
 * - `ask`: an unknown host is put to the `ask` callback; accepted keys are added and saved.
 * - `tofu` (OpenSSH accept-new): an unknown host is added and accepted.
 * - `advisory`: every key is accepted, nothing is saved.
 * - a callback: decides for every key that is not a plain match.
 *
 * A host certificate is accepted when a `@cert-authority` line for the host holds its CA and it
 * is a valid host certificate naming the host; otherwise its plain key is checked as below
 * (with `certificateProblem` saying why), as ssh does. A changed key (mismatch) and a revoked
 * key (or a certificate whose CA is revoked) are refused by every built-in policy. A host
 * known only under other key types is "notfound" (as in OpenSSH and libssh2); `tofu`
 * refuses it, since trusting a new key type for a known host would let an attacker in.
 */
import type { HostKeyInfo } from '../crypto/keys/types.js';
import { fingerprintSHA256 } from '../crypto/fingerprint.js';
import { HostKeyError } from '../errors.js';
import { checkHostCertificate } from './certificate.js';
import { type AddOptions, type CheckResult, KnownHosts } from './db.js';
import { DEFAULT_PORT, hostPortName } from './match.js';

/** What to do with an unknown host key, as ssh's StrictHostKeyChecking values. */
export type HostKeyPolicyName = 'strict' | 'ask' | 'tofu' | 'advisory';

/** Decide about a key that is not a plain match; true accepts (nothing is saved). */
export type HostKeyDecider = (info: HostKeyInfo, result: CheckResult) => boolean | Promise<boolean>;

/** Options of {@link hostKeyVerifier}. */
export interface HostKeyPolicyOptions {
  /** the known hosts to check against (re-read per connection by `load` when given) */
  knownHosts?: KnownHosts;
  /** fresh known hosts for each check (e.g. read the file); wins over `knownHosts` */
  load?: () => KnownHosts | Promise<KnownHosts>;
  /** persist a newly accepted key; the entry was already added to the returned database */
  save?: (db: KnownHosts, added: { host: string; port: number; info: HostKeyInfo }) => void | Promise<void>;
  host: string;
  port?: number;
  /** the name host certificates must list (ssh's HostKeyAlias); default `host` */
  hostKeyAlias?: string;
  policy?: HostKeyPolicyName | HostKeyDecider;
  /** the question for `ask`: true to trust and save */
  ask?: (info: HostKeyInfo, result: CheckResult) => boolean | Promise<boolean>;
  /** how accepted keys are written (hashed name, comment) */
  add?: Omit<AddOptions, 'marker'>;
  /** every check's outcome (for Net::SSH2's return value) */
  onCheck?: (result: CheckResult) => void;
}

/** OpenSSH-style explanation of a refused key (no secrets: fingerprints and host names only). */
export function describeRefusal(host: string, port: number, info: HostKeyInfo, result: CheckResult): string {
  const where = hostPortName(host, port);
  switch (result.status) {
    case 'revoked':
      return `Host key ${info.type} ${info.fingerprint} for ${where} is marked as revoked (line ${result.found?.line.number ?? 0}).`;
    case 'mismatch':
      return (
        `REMOTE HOST IDENTIFICATION HAS CHANGED for ${where}: the ${info.type} key is now ${info.fingerprint}, ` +
        `known_hosts line ${result.found?.line.number ?? 0} has a different one. Host key verification failed.`
      );
    case 'notfound':
      return result.known.length > 0
        ? `No ${info.type} host key is known for ${where} (it is known with other key types); ${info.fingerprint} not trusted. Host key verification failed.`
        : `No host key is known for ${where} and strict checking is on; ${info.type} ${info.fingerprint} not trusted. Host key verification failed.`;
    case 'match':
      return `host key for ${where} matches`;
    default: {
      const never: never = result.status;
      return String(never);
    }
  }
}

/**
 * Build a ClientOptions.hostKeyVerifier applying `policy` to host:port.
 * @example hostKeyVerifier({ knownHosts: KnownHosts.parse(text), host: 'example.com', policy: 'strict' })
 */
export function hostKeyVerifier(options: HostKeyPolicyOptions): (info: HostKeyInfo) => Promise<boolean> {
  const port = options.port ?? DEFAULT_PORT;
  const policy = options.policy ?? 'strict';
  return async (info: HostKeyInfo): Promise<boolean> => {
    const db = options.load ? await options.load() : (options.knownHosts ?? KnownHosts.empty());
    const cert = info.certificate;
    if (cert) {
      const verdict = checkHostCertificate(db, options.host, port, cert, options.hostKeyAlias ?? options.host);
      if (verdict.status === 'trusted') return true;
      if (verdict.status === 'revoked') {
        const where = hostPortName(options.host, port);
        throw new HostKeyError('revoked', `Host certificate ${info.fingerprint} for ${where}: ${verdict.reason} (line ${verdict.found?.line.number ?? 0}).`);
      }
      // as ssh: a certificate no CA vouches for is checked as its plain key
      const plain = cert.key.blob;
      const fingerprint = fingerprintSHA256(plain);
      info = { type: cert.key.type, algorithm: info.algorithm, blob: plain, fingerprint, certificate: cert, certificateProblem: verdict.reason };
    }
    const result = db.check(options.host, port, info.blob);
    options.onCheck?.(result);
    if (result.status === 'match') return true;
    if (typeof policy === 'function') {
      if (await policy(info, result)) return true;
      throw new HostKeyError(kindOf(result), describeRefusal(options.host, port, info, result));
    }
    if (policy === 'advisory') return true;
    if (result.status === 'revoked' || result.status === 'mismatch') {
      throw new HostKeyError(kindOf(result), describeRefusal(options.host, port, info, result));
    }
    // notfound
    let accept = false;
    if (policy === 'tofu') accept = result.known.length === 0;
    else if (policy === 'ask') accept = options.ask ? await options.ask(info, result) : false;
    if (!accept) {
      throw new HostKeyError(policy === 'ask' ? 'rejected' : 'unknown', describeRefusal(options.host, port, info, result));
    }
    db.add(options.host, port, info.blob, { ...options.add });
    await options.save?.(db, { host: options.host, port, info });
    return true;
  };
}

function kindOf(result: CheckResult): 'unknown' | 'mismatch' | 'revoked' {
  return result.status === 'revoked' ? 'revoked' : result.status === 'mismatch' ? 'mismatch' : 'unknown';
}
