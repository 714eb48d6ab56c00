/**
 * Public-key entry points: decode key blobs, verify signature blobs, read key files.
 * Host-key verification (kex) and user auth both go through here.
 */
import { KeyError } from '../../errors.js';
import { Reader } from '../../wire/reader.js';
import { base64Decode, base64Encode, pemDecode } from '../encoding.js';
import { asKeyError } from './common.js';
import { OPENSSH_PRIVATE_LABEL, parseOpenSSHPrivateKeyBinary } from './openssh-private.js';
import { firstPemKeyBlock, parseDerPrivateKey, parseDerPublicKey, parsePemPrivateKey, parsePemPublicKey, PEM_PRIVATE_KEY_LABELS } from './pem.js';
import { parsePuttyPrivateKey, PPK_MAGIC } from './putty-ppk.js';
import { formatRfc4716, parseRfc4716, RFC4716_BEGIN } from './rfc4716.js';
import { KEY_TYPES, keyTypeForAlgorithm } from './registry.js';
import type { CryptoProvider, PublicKeyOps } from '../provider.js';
import type { PrivateKey, PublicKey } from './types.js';
import type { SecurityKeySigner } from './sk-common.js';
import { withSecurityKeySigner } from './sk-attach.js';
import { latin1 } from '../../wire/bytes.js';

export type { PrivateKey, PublicKey } from './types.js';
export type { KeyType } from './common.js';
export {
  CERT_ALGORITHMS,
  DEFAULT_PUBKEY_ALGORITHMS,
  INSECURE_CERT_ALGORITHMS,
  SUPPORTED_CERT_ALGORITHMS,
  DEFAULT_HOSTKEY_ALGORITHMS,
  HOSTKEY_ALGORITHMS,
  INSECURE_HOSTKEY_ALGORITHMS,
  KEY_TYPES,
  SUPPORTED_HOSTKEY_ALGORITHMS,
  SECURITY_KEY_ALGORITHMS,
  keyTypeForAlgorithm,
  signatureAlgorithmsForKeyType,
  type HostKeyAlgorithm,
} from './registry.js';
export {
  Certificate,
  CertifiedPrivateKey,
  CERT_TYPE_HOST,
  CERT_TYPE_USER,
  CERT_VALID_FOREVER,
  DEFAULT_CA_SIGNATURE_ALGORITHMS,
  checkCertificate,
  optionStringData,
  parseCertificateBlob,
  plainNameOf,
  signCertificate,
  verifyCertificateSignature,
  type CertificateCheck,
  type CertificateFields,
  type CertOption,
} from './certificate.js';
export { generateKeyPair, RSA_GEN_DEFAULT_BITS, type GeneratedKeyPair, type KeyGenSpec, type KeyMaterial, type RandomBytes } from './generate.js';
export { isKrl, isRevoked, parseKrl, writeKrl, type Krl, type KrlCertificates, type KrlContents } from './krl.js';
export { DEFAULT_KDF_ROUNDS, writeOpenSSHPrivateKey, type PrivateKeyWriteOptions } from './openssh-private-writer.js';
export { formatPublicKeyPem, writePemPrivateKey, type PemKeyFormat } from './pem-writer.js';
export { Ed25519PrivateKey, Ed25519PublicKey } from './ed25519.js';
export { EcdsaPrivateKey, EcdsaPublicKey, ecdsaPrivateKey } from './ecdsa.js';
export { RsaPrivateKey, RsaPublicKey, type RsaComponents } from './rsa.js';
export { DsaPrivateKey, DsaPublicKey, type DsaParams } from './dsa.js';
export type { RandomSource } from '../random-source.js';
export {
  SK_USER_PRESENCE,
  SK_USER_VERIFICATION,
  SK_RESIDENT_KEY,
  securityKeyPolicyProblem,
  type SecurityKeyPolicy,
  type SecurityKeySignatureInfo,
  type SecurityKeySigner,
  type SecurityKeySignRequest,
  type SecurityKeySignResponse,
} from './sk-common.js';
export { SkEd25519PublicKey } from './sk-ed25519.js';
export { SkEcdsaPublicKey } from './sk-ecdsa.js';
export { SecurityKeyPrivateKey, type SkPublicKey, type SkPrivateFields } from './sk-private.js';
export { securityKeyOf, withSecurityKeySigner } from './sk-attach.js';
export type { SecurityKeyMaterial } from './types.js';

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
export function verifySignature(keyBlob: Uint8Array, algorithm: string, data: Uint8Array, sigBlob: Uint8Array, ops?: PublicKeyOps): boolean {
  const key = parsePublicKeyBlob(keyBlob);
  if (keyTypeForAlgorithm(algorithm) !== key.type) return false;
  return key.verify(algorithm, data, sigBlob, ops);
}

/** How parsePrivateKey reads a key. */
export interface PrivateKeyOptions {
  /** for an encrypted key */
  passphrase?: string;
  /** whose public-key operations derive the public half (default: the pure code) */
  provider?: CryptoProvider;
  /** for a FIDO security key file (sk-ssh-ed25519, sk-ecdsa-sha2-nistp256): the authenticator it signs through */
  securityKeySigner?: SecurityKeySigner;
}

const MAGIC_TEXT = 'openssh-key-v1\0';

/**
 * Read a private key file, from its text or its bytes:
 * - OpenSSH "-----BEGIN OPENSSH PRIVATE KEY-----" (or its raw binary body);
 * - PEM: "RSA PRIVATE KEY" (PKCS#1), "EC PRIVATE KEY" (SEC1), "DSA PRIVATE KEY" (OpenSSL),
 *   plain or with Proc-Type/DEK-Info encryption; "PRIVATE KEY" and "ENCRYPTED PRIVATE KEY"
 *   (PKCS#8, PBES2); the same structures as bare DER bytes;
 * - PuTTY .ppk versions 2 and 3.
 * Encrypted keys need a passphrase (`options` as a string is the passphrase). With
 * `options.provider`, the provider's public-key operations derive the key's public half (the
 * Node entry's parsePrivateKey passes the node:crypto provider). Throws KeyError: malformed or
 * inconsistent key (code FILE), unsupported format, type, cipher or KDF (ALGO_UNSUPPORTED),
 * missing or wrong passphrase (KEYFILE_AUTH_FAILED). ssh.com private keys are refused with a
 * KeyError naming the format. A FIDO security key file (PROTOCOL.u2f) gives a key that signs
 * through `options.securityKeySigner` (or, without one, only through an agent).
 * @example parsePrivateKey(readFileSync('id_ed25519', 'utf8')).sign('ssh-ed25519', data)
 */
export function parsePrivateKey(text: string | Uint8Array, options?: string | PrivateKeyOptions): PrivateKey {
  const signer = typeof options === 'string' ? undefined : options?.securityKeySigner;
  const key = readPrivateKey(text, options);
  return signer ? withSecurityKeySigner(key, signer) : key;
}

function readPrivateKey(text: string | Uint8Array, options?: string | PrivateKeyOptions): PrivateKey {
  const { passphrase, provider } = typeof options === 'string' ? { passphrase: options, provider: undefined } : (options ?? {});
  const ops = provider?.publicKey;
  let bytes: Uint8Array | undefined;
  if (typeof text !== 'string') {
    const head = latin1(text.subarray(0, MAGIC_TEXT.length));
    if (head === MAGIC_TEXT) return parseOpenSSHPrivateKeyBinary(text, passphrase, ops);
    if (text[0] === 0x30) return parseDerPrivateKey(text, passphrase, ops);
    bytes = text;
    text = latin1(text);
  }
  if (text.startsWith(PPK_MAGIC)) return parsePuttyPrivateKey(bytes ?? text, passphrase, ops);
  if (text.includes('---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----')) {
    throw new KeyError('ssh.com private keys are not supported; convert with ssh-keygen -i', 'ALGO_UNSUPPORTED');
  }
  const pem = firstPemKeyBlock(text);
  if (pem.label === OPENSSH_PRIVATE_LABEL) return parseOpenSSHPrivateKeyBinary(pem.data, passphrase, ops);
  if (PEM_PRIVATE_KEY_LABELS.includes(pem.label)) return parsePemPrivateKey(pem, passphrase, ops);
  throw new KeyError(`unrecognised private key format "${pem.label}"`);
}

/**
 * Read a public key file, from its text or its bytes: OpenSSH's one-line form (id_*.pub),
 * RFC 4716 ("---- BEGIN SSH2 PUBLIC KEY ----", with its Comment header), PEM "PUBLIC KEY"
 * (SubjectPublicKeyInfo) or "RSA PUBLIC KEY" (PKCS#1), or either as bare DER. Throws KeyError.
 * @example parsePublicKey(execSync('ssh-keygen -e -f id_rsa.pub', 'utf8')).key.type // 'ssh-rsa'
 */
export function parsePublicKey(text: string | Uint8Array): { key: PublicKey; comment: string } {
  if (typeof text !== 'string') {
    if (text[0] === 0x30) return { key: parseDerPublicKey(text), comment: '' };
    text = new TextDecoder('utf-8').decode(text);
  }
  if (text.includes(RFC4716_BEGIN)) {
    const { blob, comment } = parseRfc4716(text);
    return { key: parsePublicKeyBlob(blob), comment };
  }
  if (text.includes('-----BEGIN ')) return { key: parsePemPublicKey(pemDecode(text)), comment: '' };
  return parsePublicKeyLine(text.trim());
}

/**
 * Encode a public key as an RFC 4716 block (what `ssh-keygen -e` prints).
 * @example formatPublicKeyRfc4716(key, '256-bit ED25519') // '---- BEGIN SSH2 PUBLIC KEY ----\n…'
 */
export function formatPublicKeyRfc4716(key: PublicKey, comment = ''): string {
  return formatRfc4716(key.blob, comment);
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
