/**
 * PEM and DER key files written by OpenSSL and by `ssh-keygen -m PEM|PKCS8`, dispatched on
 * the PEM label (RFC 7468) or, for bare DER, on the shape of the structure:
 *
 *   RSA PRIVATE KEY        PKCS#1 RSAPrivateKey       (optionally Proc-Type/DEK-Info encrypted)
 *   EC PRIVATE KEY         SEC1 ECPrivateKey          (idem)
 *   DSA PRIVATE KEY        OpenSSL DSAPrivateKey      (idem)
 *   PRIVATE KEY            PKCS#8 PrivateKeyInfo
 *   ENCRYPTED PRIVATE KEY  PKCS#8 EncryptedPrivateKeyInfo (PBES2)
 *   PUBLIC KEY             SubjectPublicKeyInfo
 *   RSA PUBLIC KEY         PKCS#1 RSAPublicKey
 *
 * Error codes: malformed file FILE, unsupported algorithm ALGO_UNSUPPORTED, missing or wrong
 * passphrase KEYFILE_AUTH_FAILED. Encrypted data that decrypts to garbage is indistinguishable
 * from a wrong passphrase and reported as one.
 */
import { KeyError } from '../../errors.js';
import { pemDecode, type PemBlock } from '../encoding.js';
import { DerReader, TAG } from './asn1/der.js';
import { dsaPrivateKeyFromOpenSSL } from './dsa-der.js';
import { decryptLegacyPem, isLegacyEncrypted } from './openssh-legacy-pem-encryption.js';
import { decryptPkcs8 } from './pbes2.js';
import { rsaPrivateKeyFromPkcs1, rsaPublicKeyFromPkcs1 } from './pkcs1.js';
import { parsePkcs8PrivateKey, parseSubjectPublicKeyInfo } from './pkcs8.js';
import { ecPrivateKeyFromSec1 } from './sec1.js';
import type { PublicKeyOps } from '../provider.js';
import type { PrivateKey, PublicKey } from './types.js';

/** `ops`: the provider's public-key operations, to derive a public half (see ed25519.ts). */
type DerPrivateParser = (der: Uint8Array, ops?: PublicKeyOps) => PrivateKey;

/** Private-key PEM labels with an unencrypted DER body, and their decoders. */
const PRIVATE_LABELS: ReadonlyMap<string, DerPrivateParser> = new Map<string, DerPrivateParser>([
  ['RSA PRIVATE KEY', (der) => rsaPrivateKeyFromPkcs1(der)],
  ['EC PRIVATE KEY', (der, ops) => ecPrivateKeyFromSec1(der, '', undefined, ops)],
  ['DSA PRIVATE KEY', (der) => dsaPrivateKeyFromOpenSSL(der)],
  ['PRIVATE KEY', (der, ops) => parsePkcs8PrivateKey(der, '', ops)],
]);
const ENCRYPTED_PKCS8 = 'ENCRYPTED PRIVATE KEY';

/** Every private-key label this module reads. */
export const PEM_PRIVATE_KEY_LABELS: readonly string[] = Object.freeze([...PRIVATE_LABELS.keys(), ENCRYPTED_PKCS8]);

const PUBLIC_LABELS: ReadonlyMap<string, (der: Uint8Array) => PublicKey> = new Map([
  ['PUBLIC KEY', parseSubjectPublicKeyInfo],
  ['RSA PUBLIC KEY', rsaPublicKeyFromPkcs1],
]);

/** Parameter blocks `openssl ecparam -genkey` / `dsaparam -genkey` write before the key. */
const PARAMETER_LABELS = new Set(['EC PARAMETERS', 'DSA PARAMETERS']);

/**
 * The first PEM block of `text` that is not a parameters block.
 * @example firstPemKeyBlock(readFileSync('key.pem', 'utf8')).label // 'EC PRIVATE KEY'
 */
export function firstPemKeyBlock(text: string): PemBlock {
  for (;;) {
    const block = pemDecode(text);
    if (!PARAMETER_LABELS.has(block.label)) return block;
    const end = `-----END ${block.label}-----`;
    text = text.slice(text.indexOf(end) + end.length);
  }
}

/** Decode data that came out of a decryption; garbage there means a wrong passphrase. */
function afterDecryption<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof KeyError && e.code === 'FILE') {
      throw new KeyError('wrong passphrase for the private key (or its encrypted data is corrupt)', 'KEYFILE_AUTH_FAILED');
    }
    throw e;
  }
}

/**
 * A private key from a PEM block with one of PEM_PRIVATE_KEY_LABELS. Encrypted blocks need
 * `passphrase`. PEM files carry no comment, so the key's comment is empty.
 * @example parsePemPrivateKey(firstPemKeyBlock(text), 'secret').type // 'ecdsa-sha2-nistp256'
 */
export function parsePemPrivateKey(block: PemBlock, passphrase?: string, ops?: PublicKeyOps): PrivateKey {
  if (block.label === ENCRYPTED_PKCS8) {
    if (block.headers.size > 0) throw new KeyError('PEM: unexpected headers on an ENCRYPTED PRIVATE KEY');
    const der = decryptPkcs8(block.data, passphrase);
    return afterDecryption(() => parsePkcs8PrivateKey(der, '', ops));
  }
  const parse = PRIVATE_LABELS.get(block.label);
  if (!parse) throw new KeyError(`unrecognised private key format "${block.label}"`);
  if (isLegacyEncrypted(block)) {
    const der = decryptLegacyPem(block, passphrase);
    return afterDecryption(() => parse(der, ops));
  }
  if (block.headers.size > 0) throw new KeyError('PEM: unexpected headers on an unencrypted key');
  return parse(block.data, ops);
}

/**
 * A public key from a "PUBLIC KEY" (SubjectPublicKeyInfo) or "RSA PUBLIC KEY" (PKCS#1) block.
 * @example parsePemPublicKey(pemDecode(text)).type // 'ssh-rsa'
 */
export function parsePemPublicKey(block: PemBlock): PublicKey {
  const parse = PUBLIC_LABELS.get(block.label);
  if (!parse) throw new KeyError(`unrecognised public key format "${block.label}"`);
  if (block.headers.size > 0) throw new KeyError('PEM: unexpected headers on a public key');
  return parse(block.data);
}

/** Tags of the elements directly inside the outer SEQUENCE of `der`, and the first one's value if a one-byte INTEGER. */
function shape(der: Uint8Array): { tags: number[]; first: number | undefined } {
  const outer = new DerReader(der, 'DER key');
  const inner = new DerReader(outer.expect(TAG.SEQUENCE, 'SEQUENCE'), 'DER key');
  outer.end();
  const tags: number[] = [];
  let first: number | undefined;
  while (!inner.done) {
    const el = inner.next('element');
    if (tags.length === 0 && el.tag === TAG.INTEGER && el.body.length === 1) first = el.body[0];
    tags.push(el.tag);
  }
  return { tags, first };
}

/**
 * A private key from bare DER (`openssl … -outform DER`), recognised by its structure:
 * EncryptedPrivateKeyInfo, PrivateKeyInfo, PKCS#1 RSAPrivateKey, SEC1 ECPrivateKey or
 * OpenSSL DSAPrivateKey.
 */
export function parseDerPrivateKey(der: Uint8Array, passphrase?: string, ops?: PublicKeyOps): PrivateKey {
  const { tags, first } = shape(der);
  const ints = tags.every((t) => t === TAG.INTEGER);
  if (tags.length === 2 && tags[0] === TAG.SEQUENCE && tags[1] === TAG.OCTET_STRING) {
    const inner = decryptPkcs8(der, passphrase);
    return afterDecryption(() => parsePkcs8PrivateKey(inner, '', ops));
  }
  if (tags[0] === TAG.INTEGER && tags[1] === TAG.SEQUENCE) return parsePkcs8PrivateKey(der, '', ops);
  if (first === 1 && tags[0] === TAG.INTEGER && tags[1] === TAG.OCTET_STRING) return ecPrivateKeyFromSec1(der, '', undefined, ops);
  if (ints && tags.length === 9) return rsaPrivateKeyFromPkcs1(der);
  if (ints && tags.length === 6) return dsaPrivateKeyFromOpenSSL(der);
  throw new KeyError('unrecognised DER private key structure');
}

/** A public key from bare DER: SubjectPublicKeyInfo, or PKCS#1 RSAPublicKey. */
export function parseDerPublicKey(der: Uint8Array): PublicKey {
  const { tags } = shape(der);
  if (tags[0] === TAG.SEQUENCE) return parseSubjectPublicKeyInfo(der);
  if (tags.length === 2 && tags[0] === TAG.INTEGER) return rsaPublicKeyFromPkcs1(der);
  throw new KeyError('unrecognised DER public key structure');
}
