/**
 * Host key rotation, the server's side (OpenSSH PROTOCOL §2.5): after authentication the
 * server lists every host key in hostkeys-00@openssh.com, and proves possession of those
 * the client asks about in hostkeys-prove-00@openssh.com by signing the session id.
 */
import { HOSTKEYS_PROVE_REQUEST, HOSTKEYS_REQUEST } from '../connection/hostkeys.js';
import { keyTypeForAlgorithm } from '../crypto/keys/index.js';
import { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';

export { HOSTKEYS_PROVE_REQUEST, HOSTKEYS_REQUEST };

/**
 * A host key as the server uses it: its public blob, the host-key algorithms it can sign
 * with (an RSA key: rsa-sha2-512, rsa-sha2-256, and ssh-rsa only if enabled), and the signer.
 */
export interface HostKeySigner {
  blob: Uint8Array;
  algorithms: readonly string[];
  /** sign `data` with `algorithm`, returning the signature blob (string algorithm, string signature) */
  sign(algorithm: string, data: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/** The hostkeys-00@openssh.com body: one string per key, each listed once. */
export function hostKeysBody(keys: readonly HostKeySigner[]): Uint8Array {
  const w = new Writer(1024);
  const seen = new Set<string>();
  for (const k of keys) {
    const id = k.blob.join(',');
    if (seen.has(id)) continue;
    seen.add(id);
    w.string(k.blob);
  }
  return w.finish().slice();
}

const RSA_SIGNATURES = ['rsa-sha2-512', 'rsa-sha2-256'];

/**
 * Answer hostkeys-prove-00@openssh.com: a signature per requested key over (string
 * "hostkeys-prove-00@openssh.com", string session id, string key), in request order; null
 * (REQUEST_FAILURE) if any key is not ours. RSA keys sign with the RSA algorithm of the key
 * exchange when there was one, else rsa-sha2-512, as sshd does.
 */
export async function proveHostKeys(
  body: Reader,
  keys: readonly HostKeySigner[],
  sessionId: Uint8Array,
  kexHostKeyAlgorithm: string,
): Promise<Uint8Array | null> {
  const wanted: Uint8Array[] = [];
  while (body.remaining > 0) wanted.push(body.string('host key').slice());
  if (wanted.length === 0) return null;
  const out = new Writer(512 * wanted.length);
  for (const blob of wanted) {
    const key = keys.find((k) => equal(k.blob, blob));
    if (!key) return null;
    const data = new Writer(256).string(HOSTKEYS_PROVE_REQUEST).string(sessionId).string(blob).finish().slice();
    out.string(await key.sign(algorithmFor(key, kexHostKeyAlgorithm), data));
  }
  return out.finish().slice();
}

function algorithmFor(key: HostKeySigner, kexAlgorithm: string): string {
  const isRsa = key.algorithms.some((a) => keyTypeForAlgorithm(a) === 'ssh-rsa');
  if (!isRsa) return key.algorithms[0]!;
  if (RSA_SIGNATURES.includes(kexAlgorithm)) return kexAlgorithm;
  return 'rsa-sha2-512';
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
