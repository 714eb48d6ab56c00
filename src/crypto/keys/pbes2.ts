/**
 * Encrypted PKCS#8 ("ENCRYPTED PRIVATE KEY", RFC 5958 §3 EncryptedPrivateKeyInfo) with PBES2
 * (RFC 8018 §6.2): PBKDF2 (§5.2) with HMAC-SHA-1/224/256/384/512, then AES-128/192/256-CBC or
 * DES-EDE3-CBC with PKCS#7 padding — what `openssl pkcs8 -topk8 -v2 …` and
 * `ssh-keygen -m PKCS8 -N …` write. PBES1 and scrypt are refused as unsupported.
 */
import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import type { CHash } from '@noble/hashes/utils.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha224, sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { KeyError } from '../../errors.js';
import { algorithmIdentifier, DerReader, readDer, TAG } from './asn1/der.js';
import { AES_128_CBC, AES_192_CBC, AES_256_CBC, DES_EDE3_CBC, decryptCbcPadded, encryptAesCbcPadded, type KeyFileCbcCipher } from './key-file-cbc.js';
import { derNull, derOctetString, derOid, derSequence, derUint } from './asn1/der-writer.js';

const PBES2 = '1.2.840.113549.1.5.13';
const PBKDF2 = '1.2.840.113549.1.5.12';

/** PBKDF2 PRFs (RFC 8018 Appendix B.1); hmacWithSHA1 is the DEFAULT. */
const PRFS: ReadonlyMap<string, CHash> = new Map([
  ['1.2.840.113549.2.7', sha1],
  ['1.2.840.113549.2.8', sha224],
  ['1.2.840.113549.2.9', sha256],
  ['1.2.840.113549.2.10', sha384],
  ['1.2.840.113549.2.11', sha512],
]);

/** Encryption schemes (RFC 8018 Appendix B.2; NIST aes OIDs), parameter = IV OCTET STRING. */
const SCHEMES: ReadonlyMap<string, KeyFileCbcCipher> = new Map([
  ['2.16.840.1.101.3.4.1.2', AES_128_CBC],
  ['2.16.840.1.101.3.4.1.22', AES_192_CBC],
  ['2.16.840.1.101.3.4.1.42', AES_256_CBC],
  ['1.2.840.113549.3.7', DES_EDE3_CBC],
]);

const NAMED: ReadonlyMap<string, string> = new Map([
  ['1.3.6.1.4.1.11591.4.11', 'scrypt'],
  ['1.2.840.113549.1.5.3', 'PBES1 pbeWithMD5AndDES-CBC'],
  ['1.2.840.113549.1.5.10', 'PBES1 pbeWithSHA1AndDES-CBC'],
  ['1.2.840.113549.1.12.1.3', 'PKCS#12 pbeWithSHAAnd3-KeyTripleDES-CBC'],
  ['1.2.840.113549.1.12.1.6', 'PKCS#12 pbeWithSHAAnd40BitRC2-CBC'],
]);

const unsupported = (what: string, oid: string): KeyError =>
  new KeyError(`unsupported ${what} ${NAMED.has(oid) ? `${NAMED.get(oid)} (${oid})` : oid}`, 'ALGO_UNSUPPORTED');

/** Refuse absurd work factors from a hostile file (OpenSSL writes 2048 by default). */
export const MAX_PBKDF2_ITERATIONS = 10_000_000;

interface Pbes2Params {
  salt: Uint8Array;
  iterations: number;
  keyLength: number | undefined;
  prf: CHash;
  cipher: KeyFileCbcCipher;
  iv: Uint8Array;
}

/** PBES2-params ::= SEQUENCE { keyDerivationFunc AlgorithmIdentifier, encryptionScheme AlgorithmIdentifier } */
function readPbes2Params(r: DerReader): Pbes2Params {
  const seq = r.sequence('PBES2-params');
  const kdf = algorithmIdentifier(seq, 'keyDerivationFunc');
  if (kdf.oid !== PBKDF2) throw unsupported('PBES2 key derivation', kdf.oid);
  // PBKDF2-params ::= SEQUENCE { salt OCTET STRING, iterationCount INTEGER,
  //   keyLength INTEGER OPTIONAL, prf AlgorithmIdentifier DEFAULT hmacWithSHA1 }
  const p = kdf.params.sequence('PBKDF2-params');
  kdf.params.end();
  if (p.peekTag() !== TAG.OCTET_STRING) throw new KeyError('PBKDF2: only a specified salt is supported', 'ALGO_UNSUPPORTED');
  const salt = p.octetString('salt');
  const iterations = p.small('iterationCount');
  const keyLength = p.peekTag() === TAG.INTEGER ? p.small('keyLength', 64) : undefined;
  let prf = sha1;
  if (!p.done) {
    const alg = algorithmIdentifier(p, 'prf');
    const h = PRFS.get(alg.oid);
    if (!h) throw unsupported('PBKDF2 PRF', alg.oid);
    if (!alg.params.done) alg.params.null('prf parameters');
    alg.params.end();
    prf = h;
  }
  p.end();
  const enc = algorithmIdentifier(seq, 'encryptionScheme');
  const cipher = SCHEMES.get(enc.oid);
  if (!cipher) throw unsupported('PBES2 encryption scheme', enc.oid);
  const iv = enc.params.octetString('IV');
  enc.params.end();
  seq.end();
  if (iv.length !== cipher.blockSize) throw new KeyError(`${cipher.name}: IV must be ${cipher.blockSize} bytes`);
  if (iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) throw new KeyError(`PBKDF2: unsupported iteration count ${iterations}`);
  if (keyLength !== undefined && keyLength !== cipher.keyLength) throw new KeyError('PBKDF2: keyLength does not fit the cipher');
  return { salt, iterations, keyLength, prf, cipher, iv };
}

/**
 * EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm AlgorithmIdentifier,
 * encryptedData OCTET STRING }: returns the PrivateKeyInfo DER inside. Throws KeyError:
 * malformed (FILE), unsupported scheme (ALGO_UNSUPPORTED), no passphrase or bad padding
 * (KEYFILE_AUTH_FAILED). As with legacy PEM, the caller maps a failure to decode the
 * result to KEYFILE_AUTH_FAILED.
 */
export function decryptPkcs8(der: Uint8Array, passphrase: string | undefined): Uint8Array {
  const { params, data } = readDer(der, 'PKCS#8 EncryptedPrivateKeyInfo', (r) => {
    const alg = algorithmIdentifier(r, 'encryptionAlgorithm');
    if (alg.oid !== PBES2) throw unsupported('PKCS#8 encryption', alg.oid);
    const params = readPbes2Params(alg.params);
    alg.params.end();
    return { params, data: r.octetString('encryptedData') };
  });
  if (passphrase === undefined) throw new KeyError('the private key is encrypted: a passphrase is required', 'KEYFILE_AUTH_FAILED');
  const { cipher } = params;
  const key = pbkdf2(params.prf, new TextEncoder().encode(passphrase), params.salt, { c: params.iterations, dkLen: cipher.keyLength });
  const plain = decryptCbcPadded(cipher, key, params.iv, data);
  key.fill(0);
  if (!plain) throw new KeyError('wrong passphrase for the private key', 'KEYFILE_AUTH_FAILED');
  return plain;
}

/** What OpenSSL 3's PEM_write_bio_PrivateKey uses with a cipher: PBKDF2-HMAC-SHA256, 2048 rounds, 8-byte salt. */
const WRITE_ITERATIONS = 2048;
const WRITE_SALT_LENGTH = 8;
const HMAC_WITH_SHA256 = '1.2.840.113549.2.9';
const AES_128_CBC_OID = '2.16.840.1.101.3.4.1.2';

/**
 * EncryptedPrivateKeyInfo DER around a PrivateKeyInfo, as `ssh-keygen -m PKCS8 -N …` writes it
 * (OpenSSL 3 defaults): PBES2, PBKDF2 with hmacWithSHA256 and 2048 iterations, AES-128-CBC.
 */
export function encryptPkcs8(privateKeyInfo: Uint8Array, passphrase: string, random: (n: number) => Uint8Array): Uint8Array {
  const salt = random(WRITE_SALT_LENGTH);
  const iv = random(AES_128_CBC.blockSize);
  const key = pbkdf2(sha256, new TextEncoder().encode(passphrase), salt, { c: WRITE_ITERATIONS, dkLen: AES_128_CBC.keyLength });
  const data = encryptAesCbcPadded(key, iv, privateKeyInfo);
  key.fill(0);
  const kdf = derSequence(derOid(PBKDF2), derSequence(derOctetString(salt), derUint(WRITE_ITERATIONS), derSequence(derOid(HMAC_WITH_SHA256), derNull())));
  const scheme = derSequence(derOid(AES_128_CBC_OID), derOctetString(iv));
  return derSequence(derSequence(derOid(PBES2), derSequence(kdf, scheme)), derOctetString(data));
}
