/**
 * Elliptic-curve keys in DER: SEC1 ECPrivateKey (RFC 5915 §3, "EC PRIVATE KEY" PEM files and
 * the inside of PKCS#8 id-ecPublicKey keys), named-curve parameters (RFC 5480 §2.1.1) and EC
 * points (SEC1 §2.3.3/2.3.4), for the three NIST curves SSH uses (RFC 5656 §10.1).
 */
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { KeyError } from '../../errors.js';
import { Reader } from '../../wire/reader.js';
import { bigintToBytes, bytesToBigint } from '../bigint.js';
import { contextTag, DerReader, readDer } from './asn1/der.js';
import { derBitString, derContext, derOctetString, derOid, derSequence, derUint } from './asn1/der-writer.js';
import { asKeyError, checkConsistent, encodeBlob, type KeyType } from './common.js';
import { equalConstantTime } from '../../wire/bytes.js';
import { ECDSA_NISTP256, ECDSA_NISTP384, ECDSA_NISTP521, ecdsaPrivateKey, type EcdsaPrivateKey } from './ecdsa.js';
import type { PublicKeyOps } from '../provider.js';
import type { PublicKey } from './types.js';

interface NamedCurve {
  /** SSH curve identifier (RFC 5656 §10.1) */
  readonly id: string;
  readonly oid: string;
  /** field element / scalar length in bytes */
  readonly size: number;
  readonly keyType: KeyType;
  readonly point: (bytes: Uint8Array) => Uint8Array;
}

/** Parse a SEC1 point (compressed or not) and return its uncompressed form; throws on anything off the curve. */
const uncompress = (curve: typeof p256) => (bytes: Uint8Array) => curve.Point.fromBytes(bytes).toBytes(false);

/** Named curves by OID: secp256r1, secp384r1, secp521r1 (RFC 5480 §2.1.1.1). */
const CURVES: ReadonlyMap<string, NamedCurve> = new Map(
  [
    { id: 'nistp256', oid: '1.2.840.10045.3.1.7', size: 32, keyType: ECDSA_NISTP256, point: uncompress(p256) },
    { id: 'nistp384', oid: '1.3.132.0.34', size: 48, keyType: ECDSA_NISTP384, point: uncompress(p384) },
    { id: 'nistp521', oid: '1.3.132.0.35', size: 66, keyType: ECDSA_NISTP521, point: uncompress(p521) },
  ].map((c) => [c.oid, c]),
);

/**
 * ECParameters (RFC 5480 §2.1.1): only namedCurve is accepted; implicitCurve and
 * specifiedCurve (explicit parameters) are refused as unsupported.
 */
export function readNamedCurve(r: DerReader, field: string): NamedCurve {
  if (r.peekTag() !== 0x06) throw new KeyError(`${field}: only named curves are supported`, 'ALGO_UNSUPPORTED');
  const oid = r.oid(field);
  const curve = CURVES.get(oid);
  if (!curve) throw new KeyError(`unsupported elliptic curve ${oid}`, 'ALGO_UNSUPPORTED');
  return curve;
}

/** The uncompressed form of a public point on `curve`; KeyError if it is not a valid point. */
function normalizePoint(curve: NamedCurve, bytes: Uint8Array): Uint8Array {
  try {
    return curve.point(bytes);
  } catch {
    throw new KeyError(`ecdsa-sha2-${curve.id}: public point is not on the curve`);
  }
}

/** An ECDSA public key from a curve and a SEC1 point (subjectPublicKey of id-ecPublicKey). */
export function ecdsaPublicKey(curve: NamedCurve, pointBytes: Uint8Array): PublicKey {
  const point = normalizePoint(curve, pointBytes);
  const blob = encodeBlob(curve.keyType.type, (w) => w.string(curve.id).string(point));
  return asKeyError('EC public key', () => curve.keyType.readPublic(new Reader(blob, curve.keyType.type.length + 4), blob));
}

/**
 * ECPrivateKey ::= SEQUENCE { version INTEGER (1), privateKey OCTET STRING,
 *   parameters [0] ECParameters OPTIONAL, publicKey [1] BIT STRING OPTIONAL }   (RFC 5915 §3)
 * `outerCurve` comes from the PKCS#8 AlgorithmIdentifier; when both are present they must agree.
 * A stored public key must match the one derived from the scalar.
 */
export function ecPrivateKeyFromSec1(der: Uint8Array, comment = '', outerCurve?: NamedCurve, ops?: PublicKeyOps): EcdsaPrivateKey {
  return readDer(der, 'SEC1 ECPrivateKey', (r) => {
    const version = r.small('version');
    if (version !== 1) throw new KeyError(`SEC1 ECPrivateKey: unknown version ${version}`);
    const scalar = r.octetString('privateKey');
    const params = r.optional(contextTag(0, true), 'parameters');
    const pub = r.optional(contextTag(1, true), 'publicKey');
    let curve = outerCurve;
    if (params) {
      const pr = new DerReader(params, 'SEC1 ECPrivateKey parameters');
      const inner = readNamedCurve(pr, 'parameters');
      pr.end();
      if (curve && curve !== inner) throw new KeyError('SEC1 ECPrivateKey: curve differs from the PKCS#8 algorithm');
      curve = inner;
    }
    if (!curve) throw new KeyError('SEC1 ECPrivateKey: no curve parameters');
    // RFC 5915 §3: the scalar is ceiling(log2(n)/8) octets; accept shorter encodings, as OpenSSL does.
    if (scalar.length === 0 || scalar.length > curve.size) {
      throw new KeyError(`SEC1 ECPrivateKey: ${scalar.length}-byte scalar for ${curve.id}`);
    }
    const key = ecdsaPrivateKey(curve.id, bytesToBigint(scalar), comment, ops);
    if (pub) {
      const pr = new DerReader(pub, 'SEC1 ECPrivateKey publicKey');
      const point = pr.bitString('publicKey');
      pr.end();
      checkConsistent(equalConstantTime(normalizePoint(curve, point), key.publicKey.point), key.type);
    }
    return key;
  });
}

/** The named curve of an SSH curve identifier ("nistp256" …); KeyError for another. */
export function namedCurve(id: string): NamedCurve {
  for (const c of CURVES.values()) if (c.id === id) return c;
  throw new KeyError(`unsupported ECDSA curve "${id}"`, 'ALGO_UNSUPPORTED');
}

/** ECParameters as a namedCurve OID element (RFC 5480 §2.1.1). */
export const namedCurveOid = (curveId: string): Uint8Array => derOid(namedCurve(curveId).oid);

/**
 * ECPrivateKey DER (RFC 5915 §3) as OpenSSL writes it: the scalar at the curve's size, then
 * [0] parameters (omitted inside PKCS#8, whose AlgorithmIdentifier names the curve) and
 * [1] the public point.
 */
export function ecPrivateKeyToSec1(curveId: string, d: bigint, point: Uint8Array, withParameters: boolean): Uint8Array {
  const curve = namedCurve(curveId);
  const parts = [derUint(1), derOctetString(bigintToBytes(d, curve.size))];
  if (withParameters) parts.push(derContext(0, true, namedCurveOid(curveId)));
  parts.push(derContext(1, true, derBitString(point)));
  return derSequence(...parts);
}
