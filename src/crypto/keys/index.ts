/**
 * Public-key entry points: decode key blobs, verify signature blobs, read key files.
 * Host-key verification (kex) and user auth both go through here.
 */
import { KeyError } from '../../errors.js';
import { Reader } from '../../wire/reader.js';
import { base64Decode, base64Encode, pemDecode } from '../encoding.js';
import { asKeyError } from './common.js';
import { OPENSSH_PRIVATE_LABEL, parseOpenSSHPrivateKeyBinary } from './openssh-private.js';
import { KEY_TYPES, keyTypeForAlgorithm } from './registry.js';
import type { PrivateKey, PublicKey } from './types.js';

export type { PrivateKey, PublicKey } from './types.js';
export type { KeyType } from './common.js';
export {
  DEFAULT_HOSTKEY_ALGORITHMS,
  HOSTKEY_ALGORITHMS,
  INSECURE_HOSTKEY_ALGORITHMS,
  KEY_TYPES,
  SUPPORTED_HOSTKEY_ALGORITHMS,
  keyTypeForAlgorithm,
  signatureAlgorithmsForKeyType,
  type HostKeyAlgorithm,
} from './registry.js';
export { Ed25519PrivateKey, Ed25519PublicKey } from './ed25519.js';
export { EcdsaPrivateKey, EcdsaPublicKey, ecdsaPrivateKey } from './ecdsa.js';
export { RsaPrivateKey, RsaPublicKey, type RsaComponents } from './rsa.js';
export { DsaPrivateKey, DsaPublicKey, type DsaParams, type RandomSource } from './dsa.js';

/**
 * Decode a public key blob (RFC 4253 §6.6), dispatching on its type string.
 * Throws KeyError: unknown type (code ALGO_UNSUPPORTED) or malformed/invalid key (code FILE).
 * @example parsePublicKeyBlob(blob).type // 'ssh-ed25519'
 */
export function parsePublicKeyBlob(blob: Uint8Array): PublicKey {
  return asKeyError('public key', () => {
    const r = new Reader(blob, 0, 'public key');
    const type = r.ascii('key type');
    const keyType = KEY_TYPES.get(type);
    if (!keyType) throw new KeyError(`unsupported public key type "${type}"`, 'ALGO_UNSUPPORTED');
    return keyType.readPublic(r, blob);
  });
}

/**
 * Verify a signature blob made with `algorithm` over `data` by the key in `keyBlob`.
 * False when the signature is wrong or malformed, or `algorithm` does not fit the key type;
 * throws KeyError only when the key blob itself is unusable.
 * @example verifySignature(hostKeyBlob, 'rsa-sha2-512', exchangeHash, sigBlob)
 */
export function verifySignature(keyBlob: Uint8Array, algorithm: string, data: Uint8Array, sigBlob: Uint8Array): boolean {
  const key = parsePublicKeyBlob(keyBlob);
  if (keyTypeForAlgorithm(algorithm) !== key.type) return false;
  return key.verify(algorithm, data, sigBlob);
}

const MAGIC_TEXT = 'openssh-key-v1\0';
const latin1 = (b: Uint8Array): string => {
  let s = '';
  for (let i = 0; i < b.length; i += 0x2000) s += String.fromCharCode(...b.subarray(i, i + 0x2000));
  return s;
};

/**
 * Read a private key file: OpenSSH "-----BEGIN OPENSSH PRIVATE KEY-----" armor (or its
 * raw binary body). Encrypted keys need `passphrase`. PEM (PKCS#1, SEC1, PKCS#8), PuTTY
 * and ssh.com formats are recognised and refused with a KeyError naming the format.
 * @example parsePrivateKey(readFileSync('id_ed25519', 'utf8')).sign('ssh-ed25519', data)
 */
export function parsePrivateKey(text: string | Uint8Array, passphrase?: string): PrivateKey {
  if (typeof text !== 'string') {
    const head = latin1(text.subarray(0, MAGIC_TEXT.length));
    if (head === MAGIC_TEXT) return parseOpenSSHPrivateKeyBinary(text, passphrase);
    text = latin1(text);
  }
  if (text.startsWith('PuTTY-User-Key-File-')) {
    throw new KeyError('PuTTY private keys are not supported; convert with puttygen -O private-openssh-new');
  }
  if (text.includes('---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----')) {
    throw new KeyError('ssh.com private keys are not supported; convert with ssh-keygen -i');
  }
  const pem = pemDecode(text);
  switch (pem.label) {
    case OPENSSH_PRIVATE_LABEL:
      return parseOpenSSHPrivateKeyBinary(pem.data, passphrase);
    case 'RSA PRIVATE KEY':
    case 'DSA PRIVATE KEY':
    case 'EC PRIVATE KEY':
    case 'PRIVATE KEY':
    case 'ENCRYPTED PRIVATE KEY':
      throw new KeyError(
        `PEM "${pem.label}" keys are not supported yet; convert with: ssh-keygen -p -f KEYFILE (rewrites it in OpenSSH format)`,
      );
    default:
      throw new KeyError(`unrecognised private key format "${pem.label}"`);
  }
}

/**
 * Decode OpenSSH's one-line public key form "type base64 [comment]" (id_*.pub, authorized_keys
 * without options). The type word must match the blob. Throws KeyError.
 * @example parsePublicKeyLine('ssh-ed25519 AAAAC3Nz… me@host').comment // 'me@host'
 */
export function parsePublicKeyLine(line: string): { key: PublicKey; comment: string } {
  const m = /^\s*(\S+)\s+(\S+)(?:\s+(.*?))?\s*$/.exec(line);
  if (!m) throw new KeyError('public key line must be "type base64 [comment]"');
  const key = parsePublicKeyBlob(base64Decode(m[2]!));
  if (key.type !== m[1]) throw new KeyError(`public key line says "${m[1]}" but the key is ${key.type}`);
  return { key, comment: m[3] ?? '' };
}

/**
 * Encode a public key in OpenSSH's one-line form.
 * @example formatPublicKeyLine(key, 'me@host') // 'ssh-ed25519 AAAAC3Nz… me@host'
 */
export function formatPublicKeyLine(key: PublicKey, comment = ''): string {
  const line = `${key.type} ${base64Encode(key.blob)}`;
  return comment ? `${line} ${comment}` : line;
}
