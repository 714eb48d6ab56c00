/**
 * Host certificates against known_hosts (OpenSSH sshconnect.c check_host_key): `@revoked`
 * on the certified key or on its CA refuses; a `@cert-authority` line for the host holding the
 * CA vouches for a valid host certificate whose principals name the host; anything else leaves
 * the certified key to be checked as a plain host key.
 */
import { equalConstantTime } from '../wire/bytes.js';
import { type Certificate, CERT_TYPE_HOST, checkCertificate, verifyCertificateSignature } from '../crypto/keys/certificate.js';
import type { FoundEntry, KnownHosts } from './db.js';
import { DEFAULT_PORT } from './match.js';

/** What known_hosts says of a host certificate: trusted by a CA, revoked, or no CA for it. */
export interface HostCertificateVerdict {
  /** trusted: a CA line vouches for it; revoked: refuse; plain: check the certified key as a plain key */
  readonly status: 'trusted' | 'revoked' | 'plain';
  /** the `@cert-authority` or `@revoked` line that decided */
  readonly found: FoundEntry | null;
  /** why the certificate was not trusted, in OpenSSH's words (null when trusted or no CA line applies) */
  readonly reason: string | null;
}

/**
 * The verdict on `cert` presented by host:port. `name` is the name its principals must list
 * (the host name as typed, or HostKeyAlias); default `host`. `now` in seconds, default the clock.
 */
export function checkHostCertificate(
  db: KnownHosts,
  host: string,
  port: number = DEFAULT_PORT,
  cert: Certificate,
  name = host,
  now?: bigint,
): HostCertificateVerdict {
  const found = db.find(host, port);
  const listed = (f: FoundEntry): boolean => equalConstantTime(f.entry.keyBlob, cert.key.blob) || equalConstantTime(f.entry.keyBlob, cert.signatureKey.blob);
  const revoked = found.find((f) => f.entry.marker === 'revoked' && listed(f));
  if (revoked) return { status: 'revoked', found: revoked, reason: 'certificate or its CA key is marked as revoked' };
  const ca = found.find((f) => f.entry.marker === 'cert-authority' && equalConstantTime(f.entry.keyBlob, cert.signatureKey.blob));
  if (!ca) return { status: 'plain', found: null, reason: 'No matching CA found' };
  const reason =
    verifyCertificateSignature(cert) ??
    checkCertificate(cert, { certType: CERT_TYPE_HOST, principal: name, ...(now === undefined ? {} : { now }) }) ??
    (cert.criticalOptions.length > 0 ? `Certificate for ${name} contains unsupported critical options(s)` : null);
  return reason ? { status: 'plain', found: ca, reason } : { status: 'trusted', found: ca, reason: null };
}
