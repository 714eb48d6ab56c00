/** Client options for a test sshd: its user, its ed25519 user key, and a host-key check against exactly its host keys. */
import { readFileSync } from 'node:fs';
import { parsePrivateKey, parsePublicKeyLine } from '../../src/crypto/keys/index.js';
import type { NodeConnectOptions } from '../../src/node.js';
import type { Sshd } from './sshd.js';

/** A verifier that accepts only the host keys this sshd was given. */
export function sshdHostKeyVerifier(sshd: Sshd): NodeConnectOptions['hostKeyVerifier'] {
  const known = new Set(Object.values(sshd.hostKeys).map((hk) => Buffer.from(parsePublicKeyLine(hk.publicLine).key.blob).toString('base64')));
  return (info) => known.has(Buffer.from(info.blob).toString('base64'));
}

export function sshdClientOptions(sshd: Sshd, extra: Partial<NodeConnectOptions> = {}): NodeConnectOptions {
  return {
    host: sshd.host,
    port: sshd.port,
    username: sshd.user,
    hostKeyVerifier: sshdHostKeyVerifier(sshd),
    privateKeys: [parsePrivateKey(readFileSync(sshd.userKeys.ed25519.privatePath, 'utf8'))],
    ...extra,
  };
}
