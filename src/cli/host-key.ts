/**
 * The CLI's host-key policy, ssh's StrictHostKeyChecking over known_hosts:
 * yes (unknown and changed keys fail), accept-new (unknown keys are added), no (unknown keys
 * added; a changed key is accepted with a warning and password auth is then refused), ask
 * (the default: unknown keys are confirmed on the terminal; BatchMode or no terminal fails).
 */
import type { HostKeyInfo } from '../client.js';
import { fingerprintSHA256 } from '../crypto/fingerprint.js';
import { equalConstantTime } from '../wire/bytes.js';
import { readFileSync } from 'node:fs';
import {
  Certificate,
  CERT_TYPE_HOST,
  checkCertificate,
  parsePublicKeyBlob,
  parsePublicKeyLine,
  verifyCertificateSignature,
  type PublicKey,
} from '../crypto/keys/index.js';
import { isKrl, isRevoked, parseKrl } from '../crypto/keys/krl.js';
import { checkKnownHost, lookupKnownHosts } from './known-hosts.js';
import type { Prompter } from './prompt.js';
import type { SshSettings } from './settings.js';
import { addKnownHost } from '../knownhosts/file.js';

export interface HostKeyState {
  /** lines explaining a refusal, printed before "Host key verification failed." */
  refusal: string[];
  /** set after accepting a changed key with StrictHostKeyChecking=no */
  passwordDisabled: boolean;
}

export interface HostKeyIo {
  /** an informational line (suppressed by -q / LogLevel=ERROR) */
  info(line: string): void;
  /** an error line (shown unless -q / LogLevel=QUIET) */
  error(line: string): void;
  debug(line: string): void;
  prompt: Prompter;
}

/** "ED25519", "ECDSA", "RSA", "DSA" (with "-CERT" for certificates): the names ssh prints. */
export function keyLabel(type: string): string {
  const cert = type.endsWith('-cert-v01@openssh.com');
  if (cert) return `${keyLabel(type.slice(0, -'-cert-v01@openssh.com'.length))}-CERT`;
  if (type === 'ssh-ed25519') return 'ED25519';
  if (type === 'sk-ssh-ed25519@openssh.com' || type === 'sk-ssh-ed25519') return 'ED25519-SK';
  if (type.startsWith('sk-ecdsa-')) return 'ECDSA-SK';
  if (type.startsWith('ecdsa-')) return 'ECDSA';
  if (type === 'ssh-rsa') return 'RSA';
  if (type === 'ssh-dss') return 'DSA';
  return type.toUpperCase();
}

export function makeHostKeyVerifier(settings: SshSettings, io: HostKeyIo, state: HostKeyState): (info: HostKeyInfo) => Promise<boolean> {
  const name = settings.knownHostsName;
  const files = [...settings.userKnownHostsFiles, ...settings.globalKnownHostsFiles];
  return async (info) => {
    const key = info.certificate ?? parsePublicKeyBlob(info.blob);
    if (settings.revokedHostKeys !== null && !notRevoked(settings.revokedHostKeys, key, io)) return false;
    if (key instanceof Certificate) {
      const verdict = hostCertificateVerdict(settings, files, name, key, io);
      if (verdict === 'trusted') return true;
      if (verdict === 'revoked') return false;
      // sshconnect.c: "No matching CA found. Retry with plain key"
      io.debug('No matching CA found. Retry with plain key');
      info = { type: key.key.type, algorithm: info.algorithm, blob: key.key.blob, fingerprint: fingerprintSHA256(key.key.blob) };
    }
    const label = keyLabel(info.type);
    const result = checkKnownHost(files, name, info, (n) => io.debug(n));
    switch (result.status) {
      case 'match':
        io.debug(`Host '${name}' is known and matches the ${label} host key.`);
        io.debug(`Found key in ${result.entry.file}:${result.entry.line}`);
        return true;
      case 'revoked':
        state.refusal.push(`Host key ${label} ${info.fingerprint} revoked by file ${result.entry.file} line ${result.entry.line}`);
        return false;
      case 'mismatch': {
        const where = result.known.map((k) => `${k.file}:${k.line}`).join(', ');
        const warning = `WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! The ${label} key sent by ${name} is ${info.fingerprint}; offending key in ${where}`;
        if (settings.strictHostKeyChecking === 'no') {
          io.info(warning);
          io.info('Password authentication is disabled to avoid man-in-the-middle attacks.');
          state.passwordDisabled = true;
          return true;
        }
        state.refusal.push(warning);
        return false;
      }
      case 'unknown':
        return unknownKey(settings, io, state, name, info, label);
      default: {
        const never: never = result;
        throw new Error(`unexpected known_hosts status ${JSON.stringify(never)}`);
      }
    }
  };
}

/**
 * RevokedHostKeys (sshconnect.c verify_host_key, sshkey_check_revoked): a KRL, or a file of
 * public keys. False, with ssh's error line, when the key is revoked or the file unusable.
 */
function notRevoked(file: string, key: PublicKey, io: HostKeyIo): boolean {
  const plain = key instanceof Certificate ? key.key : key;
  const what = `${keyLabel(key.type)} ${fingerprintSHA256(plain.blob)}`;
  let revoked: boolean;
  try {
    const data = new Uint8Array(readFileSync(file));
    if (isKrl(data)) {
      revoked = isRevoked(parseKrl(data), key);
    } else {
      const listed = new TextDecoder()
        .decode(data)
        .split('\n')
        .filter((l) => l.trim() && !l.trim().startsWith('#'));
      // sshkey_in_file with check_ca: the key, or the CA that signed it
      const ca = key instanceof Certificate ? key.signatureKey.blob : null;
      revoked = listed.some((l) => {
        const blob = parsePublicKeyLine(l).key.blob;
        return equalConstantTime(blob, plain.blob) || (ca !== null && equalConstantTime(blob, ca));
      });
    }
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : 'invalid format';
    io.error(`Error checking host key ${what} in revoked keys file ${file}: ${reason}`);
    return false;
  }
  if (revoked) io.error(`Host key ${what} revoked by file ${file}`);
  return !revoked;
}

/**
 * ssh's check of a host certificate (sshconnect.c check_host_key / check_host_cert): refused
 * outright when the certificate, its key or its CA is @revoked; trusted when a @cert-authority
 * line for the host holds its CA and the certificate is a valid host certificate naming the
 * host; otherwise 'plain': the caller checks the certified key as a plain host key.
 */
function hostCertificateVerdict(settings: SshSettings, files: string[], name: string, cert: Certificate, io: HostKeyIo): 'trusted' | 'revoked' | 'plain' {
  const known = lookupKnownHosts(files, name);
  const label = keyLabel(cert.type);
  const revoked = known.find((k) => k.marker === 'revoked' && (equalConstantTime(k.blob, cert.key.blob) || equalConstantTime(k.blob, cert.signatureKey.blob)));
  if (revoked) {
    io.error('@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@');
    io.error('@       WARNING: REVOKED HOST KEY DETECTED!               @');
    io.error('@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@');
    io.error(`The ${label} host key for ${name} is marked as revoked.`);
    io.error('This could mean that a stolen key is being used to');
    io.error('impersonate this host.');
    if (settings.strictHostKeyChecking !== 'no') {
      io.error(`${label} host key for ${name} was revoked and you have requested strict checking.`);
      return 'revoked';
    }
    return 'plain';
  }
  const ca = known.find((k) => k.marker === 'cert-authority' && equalConstantTime(k.blob, cert.signatureKey.blob));
  if (!ca) return 'plain';
  // the certificate names the host without its port (sshconnect.c: the host name, or HostKeyAlias)
  const problem =
    verifyCertificateSignature(cert) ??
    checkCertificate(cert, { certType: CERT_TYPE_HOST, principal: settings.hostKeyAlias ?? settings.host }) ??
    (cert.criticalOptions.length > 0 ? `Certificate for ${settings.host} contains unsupported critical options(s)` : null);
  if (problem) {
    io.error(problem);
    return 'plain';
  }
  io.debug(`Host '${name}' is known and matches the ${label} host certificate.`);
  io.debug(`Found CA key in ${ca.file}:${ca.line}`);
  return 'trusted';
}

async function unknownKey(settings: SshSettings, io: HostKeyIo, state: HostKeyState, name: string, info: HostKeyInfo, label: string): Promise<boolean> {
  const mode = settings.strictHostKeyChecking;
  if (mode === 'yes') {
    state.refusal.push(`No ${label} host key is known for ${name} and you have requested strict checking.`);
    return false;
  }
  if (mode === 'ask') {
    if (settings.batchMode) return false;
    const question =
      `The authenticity of host '${name}' can't be established.\n` +
      `${label} key fingerprint is ${info.fingerprint}.\n` +
      'Are you sure you want to continue connecting (yes/no/[fingerprint])? ';
    let answer = await io.prompt(question, true);
    while (answer !== null) {
      const a = answer.trim();
      if (a.toLowerCase() === 'yes' || a === info.fingerprint) break;
      if (a.toLowerCase() === 'no') return false;
      answer = await io.prompt("Please type 'yes', 'no' or the fingerprint: ", true);
    }
    if (answer === null) return false;
  }
  const file = settings.userKnownHostsFiles[0];
  if (!file) return true;
  try {
    await addKnownHost(file, name, 0, info.blob, { hashed: settings.hashKnownHosts });
    io.info(`Warning: Permanently added '${name}' (${label}) to the list of known hosts.`);
  } catch (e) {
    io.info(`Failed to add the host to the list of known hosts (${file}): ${(e as Error).message}`);
  }
  return true;
}
