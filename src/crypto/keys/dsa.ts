/**
 * ssh-dss keys and signatures (RFC 4253 §6.6; FIPS 186-2 DSA with SHA-1), on BigInt.
 * Blob: string "ssh-dss", mpint p, q, g, y. Signature: 40 bytes, r ‖ s, each 20 bytes big-endian.
 * Insecure (1024-bit, SHA-1): only available by name, never in default lists.
 *
 * BigInt arithmetic is not constant-time (see ../bigint.ts): with a provider (node:crypto)
 * signing runs in OpenSSL instead, with a random k.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { KeyError } from '../../errors.js';
import type { Reader } from '../../wire/reader.js';
import type { RandomSource } from '../random-source.js';
import { concatBytes } from '../../wire/writer.js';
import { bigintToBytes, bitLength, bytesToBigint, mod, modInverse, modPow } from '../bigint.js';
import { checkConsistent, decodeSignature, encodeBlob, encodeSignature, type KeyType } from './common.js';
import type { DsaPrivateParts, PublicKeyOps } from '../provider.js';
import type { PrivateKey, PublicKey } from './types.js';

const TYPE = 'ssh-dss';
/** q is 160 bits (the 40-byte signature format and SHA-1 fix it). */
const Q_BITS = 160;
const Q_BYTES = 20;

export interface DsaParams {
  p: bigint;
  q: bigint;
  g: bigint;
}

export class DsaPublicKey implements PublicKey {
  readonly type = TYPE;
  readonly bits: number;
  readonly blob: Uint8Array;

  constructor(
    readonly params: Readonly<DsaParams>,
    readonly y: bigint,
    blob?: Uint8Array,
  ) {
    const { p, q, g } = params;
    this.bits = bitLength(p);
    if (this.bits < 1024 || this.bits > 10000 || bitLength(q) !== Q_BITS) {
      throw new KeyError(`ssh-dss: unsupported sizes (p ${this.bits} bits, q ${bitLength(q)} bits)`);
    }
    if ((p - 1n) % q !== 0n || g <= 1n || g >= p || y <= 1n || y >= p) throw new KeyError('ssh-dss: invalid domain parameters');
    this.blob = blob ?? encodeBlob(TYPE, (w) => w.mpint(p).mpint(q).mpint(g).mpint(y));
  }

  verify(algorithm: string, data: Uint8Array, signature: Uint8Array): boolean {
    if (algorithm !== TYPE) return false;
    const sig = decodeSignature(signature, TYPE);
    if (!sig || sig.length !== 2 * Q_BYTES) return false;
    const { p, q, g } = this.params;
    const r = bytesToBigint(sig.subarray(0, Q_BYTES));
    const s = bytesToBigint(sig.subarray(Q_BYTES));
    if (r <= 0n || r >= q || s <= 0n || s >= q) return false;
    // FIPS 186-2 §6: w = s⁻¹, u1 = H(m)·w, u2 = r·w, v = (g^u1 · y^u2 mod p) mod q
    let w: bigint;
    try {
      w = modInverse(s, q); // always invertible when q is prime, as in any valid key
    } catch {
      return false;
    }
    const h = bytesToBigint(sha1(data));
    const v = ((modPow(g, mod(h * w, q), p) * modPow(this.y, mod(r * w, q), p)) % p) % q;
    return v === r;
  }
}

export class DsaPrivateKey implements PrivateKey {
  readonly type = TYPE;
  readonly signatureAlgorithms: readonly string[] = [TYPE];
  readonly publicKey: DsaPublicKey;
  readonly #x: bigint;
  readonly #random: RandomSource | undefined;
  /** one parts object for the key's life: a provider caches its key object by it */
  #parts: DsaPrivateParts | undefined;

  /**
   * Checks y = g^x mod p. Without `random`, k is deterministic (RFC 6979 §3.2, HMAC-SHA-1);
   * with it, 20 random bytes are mixed in as RFC 6979 §3.6 additional data.
   */
  constructor(
    params: Readonly<DsaParams>,
    y: bigint,
    x: bigint,
    readonly comment = '',
    random?: RandomSource,
  ) {
    this.publicKey = new DsaPublicKey(params, y);
    checkConsistent(x > 0n && x < params.q && modPow(params.g, x, params.p) === y, TYPE);
    this.#x = x;
    this.#random = random;
  }

  sign(algorithm: string, data: Uint8Array, ops?: PublicKeyOps): Uint8Array {
    if (algorithm !== TYPE) throw new KeyError(`ssh-dss key cannot sign ${algorithm}`, 'ALGO_UNSUPPORTED');
    const { p, q, g } = this.publicKey.params;
    if (ops) return encodeSignature(TYPE, ops.dsaSign((this.#parts ??= { p, q, g, y: this.publicKey.y, x: this.#x }), data));
    const h = bytesToBigint(sha1(data));
    const extra = this.#random ? this.#random(Q_BYTES) : new Uint8Array(0);
    const nextK = rfc6979(this.#x, q, h, extra);
    for (;;) {
      const k = nextK();
      const r = modPow(g, k, p) % q;
      if (r === 0n) continue;
      let kInv: bigint;
      try {
        kInv = modInverse(k, q);
      } catch {
        throw new KeyError('ssh-dss: q is not prime');
      }
      const s = mod(kInv * (h + this.#x * r), q);
      if (s === 0n) continue;
      return encodeSignature(TYPE, concatBytes(bigintToBytes(r, Q_BYTES), bigintToBytes(s, Q_BYTES)));
    }
  }
}

/**
 * RFC 6979 §3.2 candidate generator for a 160-bit q with HMAC-SHA-1 (qlen = hlen = 160,
 * so bits2int is the plain integer and bits2octets(h) = int2octets(h mod q)).
 * Each call returns the next k in [1, q).
 */
function rfc6979(x: bigint, q: bigint, h: bigint, extra: Uint8Array): () => bigint {
  const seed = concatBytes(bigintToBytes(x, Q_BYTES), bigintToBytes(mod(h, q), Q_BYTES), extra);
  let v: Uint8Array = new Uint8Array(20).fill(1);
  let key: Uint8Array = new Uint8Array(20);
  key = hmac(sha1, key, concatBytes(v, Uint8Array.of(0), seed));
  v = hmac(sha1, key, v);
  key = hmac(sha1, key, concatBytes(v, Uint8Array.of(1), seed));
  v = hmac(sha1, key, v);
  let first = true;
  return () => {
    for (;;) {
      if (!first) {
        key = hmac(sha1, key, concatBytes(v, Uint8Array.of(0)));
        v = hmac(sha1, key, v);
      }
      first = false;
      v = hmac(sha1, key, v); // tlen = hlen = qlen: one block
      const k = bytesToBigint(v);
      if (k >= 1n && k < q) return k;
    }
  };
}

export const DSA: KeyType = {
  type: TYPE,
  signatureAlgorithms: [TYPE],
  readPublic(r: Reader, blob: Uint8Array): PublicKey {
    const p = r.mpint('dsa p');
    const q = r.mpint('dsa q');
    const g = r.mpint('dsa g');
    const y = r.mpint('dsa y');
    r.end();
    return new DsaPublicKey({ p, q, g }, y, blob.slice());
  },
  readPrivate(r: Reader) {
    // PROTOCOL.key / sshkey_private_serialize: mpint p, q, g, y, x
    const p = r.mpint('dsa p');
    const q = r.mpint('dsa q');
    const g = r.mpint('dsa g');
    const y = r.mpint('dsa y');
    const x = r.mpint('dsa x');
    return (comment: string) => new DsaPrivateKey({ p, q, g }, y, x, comment);
  },
};
