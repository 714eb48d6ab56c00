/**
 * Public-key operations over node:crypto (Node-only): X25519, ECDH P-256/384/521,
 * finite-field DH (the fixed MODP groups and group-exchange primes), Ed25519, ECDSA, RSA
 * PKCS#1 v1.5 and DSA signing, and the key exchange's digests. OpenSSL is 5-25x faster here than noble
 * and BigInt, and its RSA signing and modular exponentiation are constant-time, which BigInt's
 * are not. Inputs and outputs match the pure code (differential-tested).
 */
import {
  createECDH,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  getDiffieHellman,
  randomBytes,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto';
import { algorithmIdentifier, DerReader, readDer } from '../keys/asn1/der.js';
import type { DsaPrivateParts, HashName, NistCurve, PublicKeyOps, RsaPrivateParts } from '../provider.js';

const OPENSSL_CURVE: Record<NistCurve, string> = { nistp256: 'prime256v1', nistp384: 'secp384r1', nistp521: 'secp521r1' };
const JWK_CURVE: Record<NistCurve, string> = { nistp256: 'P-256', nistp384: 'P-384', nistp521: 'P-521' };
const CURVE_BYTES: Record<NistCurve, number> = { nistp256: 32, nistp384: 48, nistp521: 66 };

const b64u = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');
const view = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

function bigToBytes(v: bigint, len?: number): Buffer {
  let hex = v.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  const raw = Buffer.from(hex, 'hex');
  if (len === undefined || raw.length >= len) return raw;
  return Buffer.concat([Buffer.alloc(len - raw.length), raw]);
}

const bytesToBig = (b: Uint8Array): bigint => (b.length === 0 ? 0n : BigInt('0x' + view(b).toString('hex')));

const X25519_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const ED25519_PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * X25519 and Ed25519 keys go in and out of OpenSSL as JWK (RFC 8037 OKP: the raw key,
 * base64url) where the runtime allows: Node turns a JWK into EVP_PKEY_new_raw_*_key, while
 * DER goes through OpenSSL 3's decoder framework, which in Node 20's OpenSSL 3.0 tries its
 * decoders in turn: there a private key imports in ~0.03 ms instead of ~0.4 ms, a public key
 * in ~0.01 instead of ~0.1 ms, and the public half exports in ~0.003 instead of ~0.07 ms; a
 * connection does all three. A private JWK's `x` is not read by Node 20 and 22, Bun or Deno
 * (the public half is derived from `d`), so none is given. Node 24 checks `x` against `d` and
 * refuses that JWK; there, and wherever else it is refused, private keys go in as PKCS #8,
 * which the newer OpenSSL it ships imports in ~0.03 ms. The secret passes through a
 * base64url string, as the ECDSA and RSA private keys below do.
 */
let privateJwkRefused = false;

function okpPrivate(crv: 'X25519' | 'Ed25519', secret: Uint8Array): KeyObject {
  if (!privateJwkRefused) {
    try {
      return createPrivateKey({ key: { kty: 'OKP', crv, d: b64u(secret), x: '' }, format: 'jwk' });
    } catch (e) {
      if (secret.length !== 32) throw e; // a bad key, not a runtime that wants x
      privateJwkRefused = true;
    }
  }
  const der = Buffer.concat([crv === 'X25519' ? X25519_PKCS8 : ED25519_PKCS8, view(secret)]);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

const okpPublic = (crv: 'X25519' | 'Ed25519', point: Uint8Array): KeyObject => createPublicKey({ key: { kty: 'OKP', crv, x: b64u(point) }, format: 'jwk' });

/**
 * OpenSSL key objects for the private keys we have seen, by the secret's object: building one
 * costs about as much as an Ed25519 signature; a client signs with the same key at every
 * connection, and an X25519 kex uses its secret twice. Each entry keeps a copy of the secret
 * bytes and is used only while they still match (a secret zeroed after use does not leave a
 * usable key object behind).
 */
const EMPTY = new Uint8Array(0);
const signingKeys = new WeakMap<object, { secret: Uint8Array; key: KeyObject }>();

function cachedKey(owner: object, secret: Uint8Array, make: () => KeyObject): KeyObject {
  const hit = signingKeys.get(owner);
  if (hit && hit.secret.length === secret.length && view(hit.secret).equals(view(secret))) return hit.key;
  const key = make();
  signingKeys.set(owner, { secret: secret.slice(), key });
  return key;
}

/** Ed25519 key object for `seed`: made once, found again when the key signs. */
function ed25519Private(seed: Uint8Array): KeyObject {
  return cachedKey(seed, seed, () => okpPrivate('Ed25519', seed));
}

/** The raw 32-byte public key of an X25519 or Ed25519 private key object (its JWK's x). */
function rawPublic32(key: KeyObject): Uint8Array {
  const { x } = createPublicKey(key).export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(x!, 'base64url'));
}

/** RFC 8032 public key A of a 32-byte seed, by OpenSSL. */
function ed25519PublicFromSeed(seed: Uint8Array): Uint8Array {
  if (seed.length !== 32) throw new RangeError('Ed25519 seed must be 32 bytes');
  return rawPublic32(ed25519Private(seed));
}

/** The X25519 key object for `secret`: made once for x25519Public, found again by x25519Shared. */
function x25519Private(secret: Uint8Array): KeyObject {
  return cachedKey(secret, secret, () => okpPrivate('X25519', secret));
}

/** Which of Node's built-in MODP groups (RFC 2409, RFC 3526) has prime p, by prime. */
const MODP_NAMES = ['modp2', 'modp14', 'modp16', 'modp18'] as const;
let modpByPrime: Map<bigint, string> | null = null;
function modpGroup(p: bigint): string | undefined {
  modpByPrime ??= new Map(MODP_NAMES.map((n) => [bytesToBig(getDiffieHellman(n).getPrime()), n]));
  return modpByPrime.get(p);
}

/** DER (X.690) TLV with a definite length. */
function derTlv(tag: number, body: Uint8Array): Buffer {
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...len]), body]);
}

/** DER INTEGER of a non-negative big-endian magnitude (a leading zero keeps it positive). */
function derUintBytes(raw: Uint8Array): Buffer {
  return derTlv(0x02, raw[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), raw]) : raw);
}

const derUint = (v: bigint): Buffer => derUintBytes(bigToBytes(v));

/** AlgorithmIdentifier: OID (hex of the whole TLV) and a SEQUENCE of INTEGER parameters. */
function derAlgorithm(oidTlvHex: string, ...params: bigint[]): Buffer {
  return derTlv(0x30, Buffer.concat([Buffer.from(oidTlvHex, 'hex'), derTlv(0x30, Buffer.concat(params.map(derUint)))]));
}

/** PKCS #8 PrivateKeyInfo (RFC 5208): version 0, the algorithm, OCTET STRING { INTEGER secret }. */
function derPkcs8(algorithm: Buffer, secretInteger: Buffer): Buffer {
  return derTlv(0x30, Buffer.concat([Buffer.from([0x02, 0x01, 0x00]), algorithm, derTlv(0x04, secretInteger)]));
}

/** dhKeyAgreement (PKCS #3, OID 1.2.840.113549.1.3.1) with DHParameter (p, g). */
const dhAlgorithm = (p: bigint, g: bigint): Buffer => derAlgorithm('06092a864886f70d010301', p, g);

/** The DH public value y of an SPKI (RFC 3279 §2.3.3: the BIT STRING holds INTEGER y). */
function spkiDhPublic(spki: Uint8Array): bigint {
  return readDer(spki, 'DH SubjectPublicKeyInfo', (r) => {
    algorithmIdentifier(r, 'algorithm');
    const y = new DerReader(r.bitString('subjectPublicKey'), 'DH public key');
    const value = y.uint('y');
    y.end();
    return value;
  });
}

/**
 * DH in a group OpenSSL has no name for (a group-exchange prime): the private key goes in as
 * PKCS #8 with the exponent we drew, so OpenSSL neither picks a full-size exponent nor runs
 * DH_check on the prime (createDiffieHellman(p, g) does: ~33 ms for 2048 bits, more than
 * BigInt). Both exponentiations run in OpenSSL with the exponent flagged constant-time.
 */
function dhWithExponent(p: bigint, g: bigint, exponentBits: number): { publicKey: bigint; shared(peer: bigint): bigint } | null {
  const pBits = p.toString(2).length;
  if (!Number.isInteger(exponentBits) || exponentBits < 2 || exponentBits >= pBits) return null;
  const nbytes = Math.ceil(exponentBits / 8);
  const xBytes = randomBytes(nbytes);
  const excess = nbytes * 8 - exponentBits;
  // exactly exponentBits bits: top bit set, so 1 < x < p-1
  xBytes[0] = (xBytes[0]! & (0xff >> excess)) | (0x80 >> excess);
  const xInt = derUintBytes(xBytes);
  const pkcs8 = derPkcs8(dhAlgorithm(p, g), xInt);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  } catch {
    return null; // a group OpenSSL refuses (e.g. over its 10000-bit limit): BigInt takes it
  } finally {
    xBytes.fill(0);
    xInt.fill(0);
    pkcs8.fill(0);
  }
  const algorithm = dhAlgorithm(p, g);
  return {
    publicKey: spkiDhPublic(createPublicKey(privateKey).export({ format: 'der', type: 'spki' })),
    shared(peer: bigint): bigint {
      const spki = derTlv(0x30, Buffer.concat([algorithm, derTlv(0x03, Buffer.concat([Buffer.from([0]), derUint(peer)]))]));
      return bytesToBig(diffieHellman({ privateKey, publicKey: createPublicKey({ key: spki, format: 'der', type: 'spki' }) }));
    },
  };
}

/** DSA key objects by their (immutable) parts object, as RSA's. */
const dsaKeys = new WeakMap<DsaPrivateParts, KeyObject>();

function dsaPrivate(key: DsaPrivateParts): KeyObject {
  let k = dsaKeys.get(key);
  if (!k) {
    // id-dsa (1.2.840.10040.4.1) with Dss-Parms (p, q, g), INTEGER x
    const der = derPkcs8(derAlgorithm('06072a8648ce380401', key.p, key.q, key.g), derUint(key.x));
    k = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    der.fill(0);
    dsaKeys.set(key, k);
  }
  return k;
}

function ecPublicJwk(curve: NistCurve, point: Uint8Array): KeyObject {
  const size = CURVE_BYTES[curve];
  if (point.length !== 1 + 2 * size || point[0] !== 4) throw new RangeError('not an uncompressed point');
  return createPublicKey({
    key: { kty: 'EC', crv: JWK_CURVE[curve], x: b64u(point.subarray(1, 1 + size)), y: b64u(point.subarray(1 + size)) },
    format: 'jwk',
  });
}

export const NODE_PUBLIC_KEY_OPS: PublicKeyOps = Object.freeze({
  ed25519Public: ed25519PublicFromSeed,

  digest(hash: HashName, data: Uint8Array): Uint8Array {
    // a copy, not a view that may share Node's buffer pool: callers wipe what they hash
    return new Uint8Array(createHash(hash).update(data).digest());
  },

  x25519Public(secret: Uint8Array): Uint8Array {
    return rawPublic32(x25519Private(secret));
  },

  x25519Shared(secret: Uint8Array, peer: Uint8Array): Uint8Array {
    if (peer.length !== 32) throw new RangeError('X25519 public key must be 32 bytes');
    const publicKey = okpPublic('X25519', peer);
    // OpenSSL refuses an all-zero result (a low-order peer point), as RFC 7748 §6.1 allows.
    return new Uint8Array(diffieHellman({ privateKey: x25519Private(secret), publicKey }));
  },

  ecdhPublic(curve: NistCurve, secret: Uint8Array): Uint8Array {
    const ecdh = createECDH(OPENSSL_CURVE[curve]);
    ecdh.setPrivateKey(view(secret));
    return new Uint8Array(ecdh.getPublicKey(null, 'uncompressed'));
  },

  ecdhShared(curve: NistCurve, secret: Uint8Array, peer: Uint8Array): Uint8Array {
    const ecdh = createECDH(OPENSSL_CURVE[curve]);
    ecdh.setPrivateKey(view(secret));
    // computeSecret checks that the point is on the curve; the result is x, curve-size bytes.
    return new Uint8Array(ecdh.computeSecret(view(peer)));
  },

  dhGroup(p: bigint, g: bigint, exponentBits: number): { publicKey: bigint; shared(peer: bigint): bigint } | null {
    if ((p & 1n) === 0n || g <= 1n || g >= p - 1n) return null;
    // The fixed groups by name (OpenSSL sizes the exponent); any other group with ours.
    const name = g === 2n ? modpGroup(p) : undefined;
    if (!name) return dhWithExponent(p, g, exponentBits);
    const dh = getDiffieHellman(name);
    const pub = dh.generateKeys();
    return {
      publicKey: bytesToBig(pub),
      shared: (peer: bigint) => bytesToBig(dh.computeSecret(bigToBytes(peer))),
    };
  },

  ed25519Verify(point: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
    if (point.length !== 32 || signature.length !== 64) return false;
    try {
      return nodeVerify(null, data, okpPublic('Ed25519', point), signature);
    } catch {
      return false;
    }
  },

  ed25519Sign(seed: Uint8Array, data: Uint8Array): Uint8Array {
    return new Uint8Array(nodeSign(null, data, ed25519Private(seed)));
  },

  dsaSign(key: DsaPrivateParts, data: Uint8Array): Uint8Array {
    return new Uint8Array(nodeSign('sha1', data, { key: dsaPrivate(key), dsaEncoding: 'ieee-p1363' }));
  },

  ecdsaVerify(curve: NistCurve, point: Uint8Array, hash: HashName, data: Uint8Array, signature: Uint8Array): boolean {
    try {
      return nodeVerify(hash, data, { key: ecPublicJwk(curve, point), dsaEncoding: 'ieee-p1363' }, signature);
    } catch {
      return false;
    }
  },

  ecdsaSign(curve: NistCurve, point: Uint8Array, d: Uint8Array, hash: HashName, data: Uint8Array): Uint8Array {
    const size = CURVE_BYTES[curve];
    const key = cachedKey(d, d, () =>
      createPrivateKey({
        key: { kty: 'EC', crv: JWK_CURVE[curve], x: b64u(point.subarray(1, 1 + size)), y: b64u(point.subarray(1 + size)), d: b64u(d) },
        format: 'jwk',
      }),
    );
    return new Uint8Array(nodeSign(hash, data, { key, dsaEncoding: 'ieee-p1363' }));
  },

  rsaVerify(n: bigint, e: bigint, hash: HashName, data: Uint8Array, signature: Uint8Array): boolean {
    try {
      const key = createPublicKey({ key: { kty: 'RSA', n: b64u(bigToBytes(n)), e: b64u(bigToBytes(e)) }, format: 'jwk' });
      return nodeVerify(hash, data, key, signature);
    } catch {
      return false;
    }
  },

  rsaSign(k: RsaPrivateParts, hash: HashName, data: Uint8Array): Uint8Array {
    const j = (v: bigint) => b64u(bigToBytes(v));
    // RSA parts are bigints (immutable): the object alone identifies the key.
    const key = cachedKey(k, EMPTY, () =>
      createPrivateKey({
        key: { kty: 'RSA', n: j(k.n), e: j(k.e), d: j(k.d), p: j(k.p), q: j(k.q), dp: j(k.dp), dq: j(k.dq), qi: j(k.iqmp) },
        format: 'jwk',
      }),
    );
    return new Uint8Array(nodeSign(hash, data, key));
  },
});
