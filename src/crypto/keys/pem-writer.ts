/**
 * PEM key files as OpenSSL writes them for ssh-keygen (RFC 7468 armor, 64-column base64), the
 * counterpart of pem.ts:
 *
 *   -m PEM    private: RSA PRIVATE KEY (PKCS#1), EC PRIVATE KEY (SEC1); with a passphrase,
 *             Proc-Type/DEK-Info AES-128-CBC (RFC 1421 §4.6.1)
 *             public (-e): RSA PUBLIC KEY (PKCS#1) for RSA, PUBLIC KEY for ECDSA
 *   -m PKCS8  private: PRIVATE KEY; with a passphrase ENCRYPTED PRIVATE KEY (PBES2)
 *             public (-e): PUBLIC KEY (SubjectPublicKeyInfo)
 */
import { KeyError } from '../../errors.js';
import { base64Encode } from '../encoding.js';
import { encryptLegacyPem } from './openssh-legacy-pem-encryption.js';
import { encryptPkcs8 } from './pbes2.js';
import { rsaPrivateKeyToPkcs1, rsaPublicKeyToPkcs1 } from './pkcs1.js';
import { pkcs8PrivateKeyInfo, subjectPublicKeyInfo } from './pkcs8.js';
import { RsaPublicKey } from './rsa.js';
import { ecPrivateKeyToSec1 } from './sec1.js';
import type { KeyMaterial, PublicKey } from './types.js';

/** The PEM flavours ssh-keygen's -m names. */
export type PemKeyFormat = 'PEM' | 'PKCS8';

/** OpenSSL's line width. */
const WIDTH = 64;

/** sshkey_private_to_blob_pem_pkcs8: passphrases of 1 to 4 characters are refused. */
export const PEM_MIN_PASSPHRASE = 5;

function armor(label: string, data: Uint8Array, headers: readonly [string, string][] = []): string {
  const b64 = base64Encode(data);
  let out = `-----BEGIN ${label}-----\n`;
  if (headers.length) out += headers.map(([k, v]) => `${k}: ${v}\n`).join('') + '\n';
  for (let i = 0; i < b64.length; i += WIDTH) out += b64.slice(i, i + WIDTH) + '\n';
  return `${out}-----END ${label}-----\n`;
}

/**
 * A private key as a PEM file: `PEM` (PKCS#1 for RSA, SEC1 for ECDSA; Ed25519 has no such
 * form) or `PKCS8` (any of the three). A non-empty passphrase encrypts it as OpenSSL does for
 * ssh-keygen. Throws KeyError: an Ed25519 key as PEM (ALGO_UNSUPPORTED), a passphrase shorter
 * than 5 characters.
 * @example writePemPrivateKey(key.material(), 'PKCS8', randomBytes) // '-----BEGIN PRIVATE KEY-----\n…'
 */
export function writePemPrivateKey(m: KeyMaterial, format: PemKeyFormat, random: (n: number) => Uint8Array, passphrase = ''): string {
  if (passphrase.length > 0 && passphrase.length < PEM_MIN_PASSPHRASE) throw new KeyError('passphrase is too short (minimum five characters)');
  if (format === 'PKCS8') {
    const info = pkcs8PrivateKeyInfo(m);
    return passphrase ? armor('ENCRYPTED PRIVATE KEY', encryptPkcs8(info, passphrase, random)) : armor('PRIVATE KEY', info);
  }
  let label: string;
  let der: Uint8Array;
  if (m.kind === 'rsa') [label, der] = ['RSA PRIVATE KEY', rsaPrivateKeyToPkcs1(m)];
  else if (m.kind === 'ecdsa') [label, der] = ['EC PRIVATE KEY', ecPrivateKeyToSec1(m.curve, m.d, m.point, true)];
  else throw new KeyError(`${m.kind} keys have no PEM (PKCS#1/SEC1) form`, 'ALGO_UNSUPPORTED');
  if (!passphrase) return armor(label, der);
  const { headers, data } = encryptLegacyPem(der, passphrase, random);
  return armor(label, data, headers);
}

/**
 * A public key as `ssh-keygen -e -m PKCS8|PEM` prints it: SubjectPublicKeyInfo ("PUBLIC KEY"),
 * except an RSA key under `PEM`, which is a PKCS#1 "RSA PUBLIC KEY". Throws KeyError
 * (ALGO_UNSUPPORTED) for key types other than RSA, ECDSA and Ed25519.
 * @example formatPublicKeyPem(key, 'PEM') // '-----BEGIN RSA PUBLIC KEY-----\n…'
 */
export function formatPublicKeyPem(key: PublicKey, format: PemKeyFormat): string {
  if (format === 'PEM' && key instanceof RsaPublicKey) return armor('RSA PUBLIC KEY', rsaPublicKeyToPkcs1(key.n, key.e));
  return armor('PUBLIC KEY', subjectPublicKeyInfo(key));
}
