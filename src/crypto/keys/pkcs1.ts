/**
 * PKCS#1 RSA keys in DER (RFC 8017 Appendix A.1): RSAPublicKey and RSAPrivateKey, the bodies
 * of "RSA PUBLIC KEY" / "RSA PRIVATE KEY" PEM files and of PKCS#8 / SubjectPublicKeyInfo
 * rsaEncryption keys.
 */
import { KeyError } from '../../errors.js';
import { mod } from '../bigint.js';
import { readDer } from './asn1/der.js';
import { derSequence, derUint } from './asn1/der-writer.js';
import { checkConsistent } from './common.js';
import { RsaPrivateKey, RsaPublicKey } from './rsa.js';

/** RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } */
export function rsaPublicKeyFromPkcs1(der: Uint8Array): RsaPublicKey {
  return readDer(der, 'PKCS#1 RSAPublicKey', (r) => {
    const n = r.uint('modulus');
    const e = r.uint('publicExponent');
    return new RsaPublicKey(n, e);
  });
}

/**
 * RSAPrivateKey ::= SEQUENCE { version, modulus, publicExponent, privateExponent, prime1, prime2,
 * exponent1, exponent2, coefficient, otherPrimeInfos OPTIONAL }. Two-prime keys only (version 0).
 * Every redundant field is checked against the others, so a damaged file never yields a key.
 */
export function rsaPrivateKeyFromPkcs1(der: Uint8Array, comment = ''): RsaPrivateKey {
  return readDer(der, 'PKCS#1 RSAPrivateKey', (r) => {
    const version = r.small('version');
    if (version === 1) throw new KeyError('multi-prime RSA keys are not supported', 'ALGO_UNSUPPORTED');
    if (version !== 0) throw new KeyError(`PKCS#1 RSAPrivateKey: unknown version ${version}`);
    const n = r.uint('modulus');
    const e = r.uint('publicExponent');
    const d = r.uint('privateExponent');
    const p = r.uint('prime1');
    const q = r.uint('prime2');
    const dp = r.uint('exponent1');
    const dq = r.uint('exponent2');
    const iqmp = r.uint('coefficient');
    // RsaPrivateKey checks n = p·q, e·d ≡ 1 modulo p−1 and q−1, and iqmp = q⁻¹ mod p.
    const key = new RsaPrivateKey({ n, e, d, p, q, iqmp }, comment);
    checkConsistent(dp === mod(d, p - 1n) && dq === mod(d, q - 1n), 'ssh-rsa');
    return key;
  });
}

/** RSAPublicKey DER ("RSA PUBLIC KEY" PEM, what `ssh-keygen -e -m PEM` prints for RSA). */
export function rsaPublicKeyToPkcs1(n: bigint, e: bigint): Uint8Array {
  return derSequence(derUint(n), derUint(e));
}

/** RSAPrivateKey DER, version 0 (two primes), with the CRT exponents computed from d. */
export function rsaPrivateKeyToPkcs1(m: { n: bigint; e: bigint; d: bigint; p: bigint; q: bigint; iqmp: bigint }): Uint8Array {
  const { n, e, d, p, q, iqmp } = m;
  return derSequence(derUint(0), derUint(n), derUint(e), derUint(d), derUint(p), derUint(q), derUint(mod(d, p - 1n)), derUint(mod(d, q - 1n)), derUint(iqmp));
}
