/**
 * DSA keys in DER: OpenSSL's traditional DSAPrivateKey ("DSA PRIVATE KEY" PEM files), and the
 * pieces PKCS#8 and SubjectPublicKeyInfo use for id-dsa (RFC 3279 §2.3.2): Dss-Parms, the
 * public INTEGER y, and the private INTEGER x (RFC 5958 / OpenSSL).
 */
import { KeyError } from '../../errors.js';
import { bitLength, modPow } from '../bigint.js';
import { DerReader, readDer } from './asn1/der.js';
import { DsaPrivateKey, DsaPublicKey, type DsaParams } from './dsa.js';

/** Dss-Parms ::= SEQUENCE { p INTEGER, q INTEGER, g INTEGER } */
export function readDssParms(r: DerReader): DsaParams {
  const seq = r.sequence('Dss-Parms');
  const p = seq.uint('p');
  const q = seq.uint('q');
  const g = seq.uint('g');
  seq.end();
  // DsaPublicKey checks the sizes too, but only after we have spent a modPow on them.
  if (bitLength(p) > 10000 || bitLength(q) > 512) throw new KeyError('ssh-dss: unsupported parameter sizes');
  return { p, q, g };
}

/** subjectPublicKey of id-dsa: DSAPublicKey ::= INTEGER y */
export function dsaPublicKeyFromDer(params: DsaParams, der: Uint8Array): DsaPublicKey {
  const r = new DerReader(der, 'DSA public key');
  const y = r.uint('y');
  r.end();
  return new DsaPublicKey(params, y);
}

/** privateKey of a PKCS#8 id-dsa key: INTEGER x; y = g^x mod p is derived. */
export function dsaPrivateKeyFromPkcs8(params: DsaParams, der: Uint8Array, comment = ''): DsaPrivateKey {
  const r = new DerReader(der, 'DSA private key');
  const x = r.uint('x');
  r.end();
  if (x <= 0n || x >= params.q) throw new KeyError('ssh-dss: private key out of range');
  // y is derived here, not read and compared, so a damaged g would go unnoticed: check that
  // g generates the order-q subgroup (FIPS 186-4 A.2.2) so that signatures verify.
  const { p, q, g } = params;
  if (p <= 2n || q <= 1n || g <= 1n || g >= p || modPow(g, q, p) !== 1n) {
    throw new KeyError('ssh-dss private key is inconsistent (g does not generate the order-q subgroup)');
  }
  return new DsaPrivateKey(params, modPow(g, x, p), x, comment);
}

/**
 * OpenSSL's DSAPrivateKey ::= SEQUENCE { version INTEGER (0), p, q, g, y (pub), x (priv) }
 * (crypto/dsa/dsa_asn1.c). DsaPrivateKey checks y = g^x mod p.
 */
export function dsaPrivateKeyFromOpenSSL(der: Uint8Array, comment = ''): DsaPrivateKey {
  return readDer(der, 'DSAPrivateKey', (r) => {
    const version = r.small('version');
    if (version !== 0) throw new KeyError(`DSAPrivateKey: unknown version ${version}`);
    const p = r.uint('p');
    const q = r.uint('q');
    const g = r.uint('g');
    const y = r.uint('y');
    const x = r.uint('x');
    if (bitLength(p) > 10000 || bitLength(q) > 512) throw new KeyError('ssh-dss: unsupported parameter sizes');
    return new DsaPrivateKey({ p, q, g }, y, x, comment);
  });
}
