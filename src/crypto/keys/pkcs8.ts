/**
 * PKCS#8 private keys (RFC 5208 PrivateKeyInfo, RFC 5958 OneAsymmetricKey, "PRIVATE KEY" PEM)
 * and X.509 SubjectPublicKeyInfo (RFC 5280 §4.1.2.7, "PUBLIC KEY" PEM), for rsaEncryption
 * (RFC 8017), id-ecPublicKey (RFC 5480), id-dsa (RFC 3279) and id-Ed25519 (RFC 8410).
 */
import { KeyError } from '../../errors.js';
import { algorithmIdentifier, contextTag, DerReader, readDer } from './asn1/der.js';
import { derBitString, derNull, derOctetString, derOid, derSequence, derUint } from './asn1/der-writer.js';
import { checkConsistent } from './common.js';
import { equalConstantTime } from '../../wire/bytes.js';
import { dsaPrivateKeyFromPkcs8, dsaPublicKeyFromDer, readDssParms } from './dsa-der.js';
import { Ed25519PrivateKey, Ed25519PublicKey } from './ed25519.js';
import { rsaPrivateKeyFromPkcs1, rsaPrivateKeyToPkcs1, rsaPublicKeyFromPkcs1, rsaPublicKeyToPkcs1 } from './pkcs1.js';
import { ecdsaPublicKey, ecPrivateKeyFromSec1, ecPrivateKeyToSec1, namedCurveOid, readNamedCurve } from './sec1.js';
import type { PublicKeyOps } from '../provider.js';
import type { KeyMaterial, PrivateKey, PublicKey } from './types.js';
import { EcdsaPublicKey } from './ecdsa.js';
import { RsaPublicKey } from './rsa.js';

const OID = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  ecPublicKey: '1.2.840.10045.2.1',
  dsa: '1.2.840.10040.4.1',
  ed25519: '1.3.101.112',
} as const;

/** Algorithms people do have keys for, named in the error when refused. */
const KNOWN_UNSUPPORTED: ReadonlyMap<string, string> = new Map([
  ['1.2.840.113549.1.1.10', 'RSASSA-PSS'],
  ['1.3.101.113', 'Ed448'],
  ['1.3.101.110', 'X25519'],
  ['1.3.101.111', 'X448'],
  ['1.2.156.10197.1.301', 'SM2'],
]);

function unsupported(oid: string): KeyError {
  const name = KNOWN_UNSUPPORTED.get(oid);
  return new KeyError(`unsupported key algorithm ${name ? `${name} (${oid})` : oid}`, 'ALGO_UNSUPPORTED');
}

/** rsaEncryption parameters must be NULL (RFC 8017 Appendix A.1); tolerate them absent, as OpenSSL does. */
function rsaParams(params: DerReader): void {
  if (!params.done) params.null('rsaEncryption parameters');
  params.end();
}

/** id-Ed25519 has no parameters (RFC 8410 §3). */
function noParams(params: DerReader, what: string): void {
  if (!params.done) throw new KeyError(`${what}: the algorithm takes no parameters`);
}

/**
 * Decode a PrivateKeyInfo / OneAsymmetricKey:
 *   SEQUENCE { version INTEGER (0 | 1), privateKeyAlgorithm AlgorithmIdentifier,
 *              privateKey OCTET STRING, attributes [0] IMPLICIT OPTIONAL,
 *              publicKey [1] IMPLICIT BIT STRING OPTIONAL (version 1 only) }
 * A public key stored alongside must match the private one.
 */
export function parsePkcs8PrivateKey(der: Uint8Array, comment = '', ops?: PublicKeyOps): PrivateKey {
  return readDer(der, 'PKCS#8 PrivateKeyInfo', (r) => {
    const version = r.small('version');
    if (version > 1) throw new KeyError(`PKCS#8: unknown version ${version}`);
    const alg = algorithmIdentifier(r, 'privateKeyAlgorithm');
    const privateKey = r.octetString('privateKey');
    r.optional(contextTag(0, true), 'attributes');
    const pubBits = version === 1 ? r.optional(contextTag(1, false), 'publicKey') : undefined;
    let publicKey: Uint8Array | undefined;
    if (pubBits) {
      if (pubBits.length === 0 || pubBits[0] !== 0) throw new KeyError('PKCS#8: publicKey BIT STRING with unused bits');
      publicKey = pubBits.subarray(1);
    }

    switch (alg.oid) {
      case OID.rsaEncryption: {
        rsaParams(alg.params);
        const key = rsaPrivateKeyFromPkcs1(privateKey, comment);
        if (publicKey) checkConsistent(equalConstantTime(rsaPublicKeyFromPkcs1(publicKey).blob, key.publicKey.blob), key.type);
        return key;
      }
      case OID.ecPublicKey: {
        const curve = readNamedCurve(alg.params, 'namedCurve');
        alg.params.end();
        const key = ecPrivateKeyFromSec1(privateKey, comment, curve, ops);
        if (publicKey) checkConsistent(equalConstantTime(ecdsaPublicKey(curve, publicKey).blob, key.publicKey.blob), key.type);
        return key;
      }
      case OID.dsa: {
        const params = readDssParms(alg.params);
        alg.params.end();
        const key = dsaPrivateKeyFromPkcs8(params, privateKey, comment);
        if (publicKey) checkConsistent(equalConstantTime(dsaPublicKeyFromDer(params, publicKey).blob, key.publicKey.blob), key.type);
        return key;
      }
      case OID.ed25519: {
        noParams(alg.params, 'id-Ed25519');
        // RFC 8410 §7: privateKey holds CurvePrivateKey ::= OCTET STRING (the 32-byte seed).
        const inner = new DerReader(privateKey, 'Ed25519 CurvePrivateKey');
        const seed = inner.octetString('CurvePrivateKey');
        inner.end();
        if (seed.length !== 32) throw new KeyError(`Ed25519 private key must be 32 bytes, not ${seed.length}`);
        const key = new Ed25519PrivateKey(seed, comment, ops);
        if (publicKey) checkConsistent(equalConstantTime(publicKey, key.publicKey.point), key.type);
        return key;
      }
      default:
        throw unsupported(alg.oid);
    }
  });
}

/**
 * Decode a SubjectPublicKeyInfo:
 *   SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
 */
export function parseSubjectPublicKeyInfo(der: Uint8Array): PublicKey {
  return readDer(der, 'SubjectPublicKeyInfo', (r) => {
    const alg = algorithmIdentifier(r, 'algorithm');
    const bits = r.bitString('subjectPublicKey');
    switch (alg.oid) {
      case OID.rsaEncryption:
        rsaParams(alg.params);
        return rsaPublicKeyFromPkcs1(bits);
      case OID.ecPublicKey: {
        const curve = readNamedCurve(alg.params, 'namedCurve');
        alg.params.end();
        return ecdsaPublicKey(curve, bits);
      }
      case OID.dsa: {
        const params = readDssParms(alg.params);
        alg.params.end();
        return dsaPublicKeyFromDer(params, bits);
      }
      case OID.ed25519:
        noParams(alg.params, 'id-Ed25519');
        // RFC 8410 §4: the raw 32-byte public key.
        if (bits.length !== 32) throw new KeyError(`Ed25519 public key must be 32 bytes, not ${bits.length}`);
        return new Ed25519PublicKey(bits.slice());
      default:
        throw unsupported(alg.oid);
    }
  });
}

/** AlgorithmIdentifier of a key, as OpenSSL writes it (rsaEncryption with NULL parameters). */
function keyAlgorithm(m: KeyMaterial): Uint8Array {
  switch (m.kind) {
    case 'rsa':
      return derSequence(derOid(OID.rsaEncryption), derNull());
    case 'ecdsa':
      return derSequence(derOid(OID.ecPublicKey), namedCurveOid(m.curve));
    case 'ed25519':
      return derSequence(derOid(OID.ed25519));
    case 'sk-ed25519':
    case 'sk-ecdsa':
      throw new KeyError('a security key has no PKCS#8 form (its secret is in the authenticator)', 'ALGO_UNSUPPORTED');
  }
}

/**
 * PrivateKeyInfo DER (RFC 5208, version 0, no attributes) as OpenSSL 3 writes it: RSA holds
 * an RSAPrivateKey, ECDSA an ECPrivateKey without parameters, Ed25519 its seed (RFC 8410 §7).
 */
export function pkcs8PrivateKeyInfo(m: KeyMaterial): Uint8Array {
  const algorithm = keyAlgorithm(m);
  let inner: Uint8Array;
  if (m.kind === 'rsa') inner = rsaPrivateKeyToPkcs1(m);
  else if (m.kind === 'ecdsa') inner = ecPrivateKeyToSec1(m.curve, m.d, m.point, false);
  else if (m.kind === 'ed25519') inner = derOctetString(m.seed);
  else throw new KeyError('a security key has no PKCS#8 form', 'ALGO_UNSUPPORTED');
  return derSequence(derUint(0), algorithm, derOctetString(inner));
}

/**
 * SubjectPublicKeyInfo DER ("PUBLIC KEY" PEM) of an RSA, ECDSA or Ed25519 public key.
 * Throws KeyError (ALGO_UNSUPPORTED) for another key type.
 */
export function subjectPublicKeyInfo(key: PublicKey): Uint8Array {
  if (key instanceof RsaPublicKey) {
    return derSequence(derSequence(derOid(OID.rsaEncryption), derNull()), derBitString(rsaPublicKeyToPkcs1(key.n, key.e)));
  }
  if (key instanceof EcdsaPublicKey) {
    const curve = key.type.slice('ecdsa-sha2-'.length);
    return derSequence(derSequence(derOid(OID.ecPublicKey), namedCurveOid(curve)), derBitString(key.point));
  }
  if (key instanceof Ed25519PublicKey) return derSequence(derSequence(derOid(OID.ed25519)), derBitString(key.point));
  throw new KeyError(`cannot write a ${key.type} key as SubjectPublicKeyInfo`, 'ALGO_UNSUPPORTED');
}
