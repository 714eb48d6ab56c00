/**
 * ssh-rsa keys; signatures ssh-rsa (SHA-1, RFC 4253 §6.6), rsa-sha2-256 and rsa-sha2-512
 * (RFC 8332), all RSASSA-PKCS1-v1_5 (RFC 8017 §8.2) written on BigInt.
 * Blob: string "ssh-rsa", mpint e, mpint n.
 *
 * BigInt arithmetic is not constant-time (see ../bigint.ts): fine for verification, a known
 * weakness for signing that a later node:crypto / WebCrypto provider will take over.
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { KeyError } from '../../errors.js';
import type { Reader } from '../../wire/reader.js';
import { bigintToBytes, bitLength, bytesToBigint, mod, modInverse, modPow } from '../bigint.js';
import { checkConsistent, decodeSignature, encodeBlob, encodeSignature, type KeyType } from './common.js';
import { equalConstantTime } from '../../wire/bytes.js';
import type { HashName, PublicKeyOps, RsaPrivateParts } from '../provider.js';
import type { KeyMaterial, PrivateKey, PublicKey } from './types.js';

const TYPE = 'ssh-rsa';
/** OpenSSH refuses RSA keys under 1024 bits (SSH_RSA_MINIMUM_MODULUS_SIZE) and over 16384 (SSHBUF_MAX_BIGNUM). */
export const RSA_MIN_BITS = 1024;
export const RSA_MAX_BITS = 16384;

const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (h) => parseInt(h, 16));

interface RsaHash {
  readonly hash: (data: Uint8Array) => Uint8Array;
  /** the same hash by name (for a provider) */
  readonly name: HashName;
  /** DER DigestInfo prefix (RFC 8017 §9.2 note 1) */
  readonly prefix: Uint8Array;
}

/** Signature algorithm → hash; best first (the order PrivateKey.signatureAlgorithms reports). */
const HASHES: ReadonlyMap<string, RsaHash> = new Map([
  ['rsa-sha2-512', { hash: sha512, name: 'sha512', prefix: hex('3051300d060960864801650304020305000440') }],
  ['rsa-sha2-256', { hash: sha256, name: 'sha256', prefix: hex('3031300d060960864801650304020105000420') }],
  ['ssh-rsa', { hash: sha1, name: 'sha1', prefix: hex('3021300906052b0e03021a05000414') }],
]);
const ALGORITHMS = [...HASHES.keys()];

/** EMSA-PKCS1-v1_5 (RFC 8017 §9.2): 00 01 FF…FF 00 DigestInfo, `k` bytes long. */
function emsaPkcs1(h: RsaHash, data: Uint8Array, k: number): Uint8Array {
  const digest = h.hash(data);
  const tLen = h.prefix.length + digest.length;
  if (k < tLen + 11) throw new KeyError('RSA modulus too short for the digest');
  const em = new Uint8Array(k).fill(0xff);
  em[0] = 0;
  em[1] = 1;
  em[k - tLen - 1] = 0;
  em.set(h.prefix, k - tLen);
  em.set(digest, k - digest.length);
  return em;
}

export class RsaPublicKey implements PublicKey {
  readonly type = TYPE;
  readonly bits: number;
  readonly blob: Uint8Array;
  /** modulus length in bytes */
  readonly size: number;

  constructor(
    readonly n: bigint,
    readonly e: bigint,
    blob?: Uint8Array,
  ) {
    this.bits = bitLength(n);
    if (this.bits < RSA_MIN_BITS || this.bits > RSA_MAX_BITS) {
      throw new KeyError(`ssh-rsa: ${this.bits}-bit modulus is outside ${RSA_MIN_BITS}..${RSA_MAX_BITS} bits`);
    }
    if (n <= 0n || (n & 1n) === 0n || e < 3n || (e & 1n) === 0n || e >= n) throw new KeyError('ssh-rsa: invalid public exponent or modulus');
    this.size = Math.ceil(this.bits / 8);
    this.blob = blob ?? encodeBlob(TYPE, (w) => w.mpint(e).mpint(n));
  }

  verify(algorithm: string, data: Uint8Array, signature: Uint8Array, ops?: PublicKeyOps): boolean {
    const h = HASHES.get(algorithm);
    if (!h) return false;
    const sig = decodeSignature(signature, algorithm);
    // RFC 8332 §3 wants exactly `size` bytes; OpenSSH (ssh-rsa.c) also accepts shorter ones and left-pads.
    if (!sig || sig.length === 0 || sig.length > this.size) return false;
    const s = bytesToBigint(sig);
    if (s >= this.n) return false;
    if (ops) return ops.rsaVerify(this.n, this.e, h.name, data, bigintToBytes(s, this.size));
    const em = bigintToBytes(modPow(s, this.e, this.n), this.size);
    return equalConstantTime(em, emsaPkcs1(h, data, this.size));
  }
}

/** RSA private components; `iqmp` = q⁻¹ mod p. */
export interface RsaComponents {
  n: bigint;
  e: bigint;
  d: bigint;
  p: bigint;
  q: bigint;
  iqmp?: bigint;
}

export class RsaPrivateKey implements PrivateKey {
  readonly type = TYPE;
  readonly signatureAlgorithms: readonly string[] = ALGORITHMS;
  readonly publicKey: RsaPublicKey;
  // ES private fields: secrets stay out of util.inspect / console.log output.
  readonly #p: bigint;
  readonly #q: bigint;
  readonly #dp: bigint;
  readonly #dq: bigint;
  readonly #iqmp: bigint;
  readonly #d: bigint;

  /** Checks n = p·q, d·e ≡ 1 mod (p−1) and mod (q−1), and iqmp; throws KeyError if inconsistent. */
  constructor(
    c: RsaComponents,
    readonly comment = '',
  ) {
    this.publicKey = new RsaPublicKey(c.n, c.e);
    const { d, p, q } = c;
    checkConsistent(p > 1n && q > 1n && d > 0n && p * q === c.n, TYPE);
    this.#p = p;
    this.#q = q;
    this.#d = d;
    this.#dp = d % (p - 1n);
    this.#dq = d % (q - 1n);
    checkConsistent(mod(c.e * this.#dp, p - 1n) === 1n && mod(c.e * this.#dq, q - 1n) === 1n, TYPE);
    let iqmp: bigint;
    try {
      iqmp = modInverse(q, p);
    } catch {
      throw new KeyError('ssh-rsa private key is inconsistent (q not invertible mod p)');
    }
    checkConsistent(c.iqmp === undefined || c.iqmp === iqmp, TYPE);
    this.#iqmp = iqmp;
  }

  #parts: RsaPrivateParts | undefined;

  sign(algorithm: string, data: Uint8Array, ops?: PublicKeyOps): Uint8Array {
    const h = HASHES.get(algorithm);
    if (!h) throw new KeyError(`ssh-rsa key cannot sign ${algorithm}`, 'ALGO_UNSUPPORTED');
    const pub = this.publicKey;
    if (ops) {
      // OpenSSL's constant-time RSA (blinded, with its own fault check); same PKCS#1 v1.5 bytes.
      // One parts object per key, so a provider may cache its own key object by it.
      const parts = (this.#parts ??= { n: pub.n, e: pub.e, d: this.#d, p: this.#p, q: this.#q, dp: this.#dp, dq: this.#dq, iqmp: this.#iqmp });
      return encodeSignature(algorithm, ops.rsaSign(parts, h.name, data));
    }
    const m = bytesToBigint(emsaPkcs1(h, data, pub.size));
    // RSASP1 with the CRT (RFC 8017 §5.1.2 2.b).
    const m1 = modPow(m, this.#dp, this.#p);
    const m2 = modPow(m, this.#dq, this.#q);
    const s = m2 + this.#q * mod(this.#iqmp * (m1 - m2), this.#p);
    // Check the result before releasing it: a faulty CRT signature would leak a factor of n.
    if (modPow(s, pub.e, pub.n) !== m) throw new KeyError('ssh-rsa signature self-check failed', 'HOSTKEY_SIGN');
    // RFC 8332 §3: the signature is left-padded to the modulus length.
    return encodeSignature(algorithm, bigintToBytes(s, pub.size));
  }

  /** The key's secret numbers, for writing it to a key file. */
  material(): KeyMaterial {
    const { n, e } = this.publicKey;
    return { kind: 'rsa', n, e, d: this.#d, p: this.#p, q: this.#q, iqmp: this.#iqmp };
  }
}

export const RSA: KeyType = {
  type: TYPE,
  signatureAlgorithms: ALGORITHMS,
  readPublic(r: Reader, blob: Uint8Array): PublicKey {
    const e = r.mpint('rsa e');
    const n = r.mpint('rsa n');
    r.end();
    return new RsaPublicKey(n, e, blob.slice());
  },
  readPrivate(r: Reader) {
    // PROTOCOL.key / sshkey_private_serialize: mpint n, e, d, iqmp, p, q
    const n = r.mpint('rsa n');
    const e = r.mpint('rsa e');
    const d = r.mpint('rsa d');
    const iqmp = r.mpint('rsa iqmp');
    const p = r.mpint('rsa p');
    const q = r.mpint('rsa q');
    return (comment: string) => new RsaPrivateKey({ n, e, d, p, q, iqmp }, comment);
  },
};
