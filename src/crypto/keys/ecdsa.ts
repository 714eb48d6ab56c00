/**
 * ecdsa-sha2-nistp256/384/521 keys and signatures (RFC 5656 §3.1), on @noble/curves.
 * Blob: string type, string curve identifier, string Q (SEC1 uncompressed point).
 * Signature: string(mpint r ‖ mpint s), message hashed with SHA-256/384/512 (RFC 5656 §6.2.1).
 */
import type { ECDSA } from '@noble/curves/abstract/weierstrass.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { KeyError, SshError } from '../../errors.js';
import { Reader } from '../../wire/reader.js';
import { Writer } from '../../wire/writer.js';
import { bigintToBytes, bytesToBigint } from '../bigint.js';
import { checkConsistent, decodeSignature, encodeBlob, encodeSignature, type KeyType } from './common.js';
import { equalConstantTime } from '../../wire/bytes.js';
import type { HashName, NistCurve, PublicKeyOps } from '../provider.js';
import type { KeyMaterial, PrivateKey, PublicKey } from './types.js';

interface Curve {
  /** key type and signature algorithm name */
  readonly type: string;
  /** curve identifier inside the blob */
  readonly id: NistCurve;
  readonly bits: number;
  /** byte length of a field element / scalar */
  readonly size: number;
  /** noble instance; its built-in prehash is the hash RFC 5656 §6.2.1 assigns to the curve */
  readonly ecdsa: ECDSA;
  /** that hash, by name (for a provider) */
  readonly hash: HashName;
}

const CURVES: readonly Curve[] = [
  { type: 'ecdsa-sha2-nistp256', id: 'nistp256', bits: 256, size: 32, ecdsa: p256, hash: 'sha256' },
  { type: 'ecdsa-sha2-nistp384', id: 'nistp384', bits: 384, size: 48, ecdsa: p384, hash: 'sha384' },
  { type: 'ecdsa-sha2-nistp521', id: 'nistp521', bits: 521, size: 66, ecdsa: p521, hash: 'sha512' },
];

export class EcdsaPublicKey implements PublicKey {
  readonly type: string;
  readonly bits: number;
  readonly blob: Uint8Array;

  /** `point` is the SEC1 uncompressed encoding 04 ‖ X ‖ Y; it is checked to lie on the curve. */
  constructor(
    private readonly curve: Curve,
    readonly point: Uint8Array,
    blob?: Uint8Array,
  ) {
    this.type = curve.type;
    this.bits = curve.bits;
    if (point.length !== 1 + 2 * curve.size || point[0] !== 4) {
      throw new KeyError(`${curve.type}: public point must be uncompressed (${1 + 2 * curve.size} bytes)`);
    }
    try {
      curve.ecdsa.Point.fromBytes(point).assertValidity();
    } catch {
      throw new KeyError(`${curve.type}: public point is not on the curve`);
    }
    this.blob = blob ?? encodeBlob(curve.type, (w) => w.string(curve.id).string(point));
  }

  verify(algorithm: string, data: Uint8Array, signature: Uint8Array, ops?: PublicKeyOps): boolean {
    if (algorithm !== this.type) return false;
    const inner = decodeSignature(signature, this.type);
    if (!inner) return false;
    let compact: Uint8Array;
    try {
      const r = new Reader(inner, 0, 'ecdsa signature');
      const sr = r.mpint('r');
      const ss = r.mpint('s');
      r.end();
      const n = this.curve.ecdsa.Point.CURVE().n;
      if (sr <= 0n || ss <= 0n || sr >= n || ss >= n) return false;
      compact = new Uint8Array(2 * this.curve.size);
      compact.set(bigintToBytes(sr, this.curve.size), 0);
      compact.set(bigintToBytes(ss, this.curve.size), this.curve.size);
    } catch (e) {
      if (e instanceof SshError) return false;
      throw e;
    }
    if (ops) return ops.ecdsaVerify(this.curve.id, this.point, this.curve.hash, data, compact);
    try {
      // High-S signatures are valid ECDSA (OpenSSL makes them), so lowS is off.
      return this.curve.ecdsa.verify(compact, data, this.point, { lowS: false, prehash: true });
    } catch {
      return false;
    }
  }
}

export class EcdsaPrivateKey implements PrivateKey {
  readonly type: string;
  readonly signatureAlgorithms: readonly string[];
  readonly publicKey: EcdsaPublicKey;
  readonly #scalar: Uint8Array;

  /**
   * `d` is the private scalar, 1 ≤ d < n. The public point Q = d·G comes from `ops` when
   * given (node:crypto: OpenSSL), else from noble, which builds its base-point table on first
   * use per curve (30-60 ms, kept for the life of the process); same point.
   */
  constructor(
    private readonly curve: Curve,
    d: bigint,
    readonly comment = '',
    ops?: PublicKeyOps,
  ) {
    this.type = curve.type;
    this.signatureAlgorithms = [curve.type];
    if (d <= 0n || d >= curve.ecdsa.Point.CURVE().n) throw new KeyError(`${curve.type}: private scalar out of range`);
    this.#scalar = bigintToBytes(d, curve.size);
    this.publicKey = new EcdsaPublicKey(curve, ops ? ops.ecdhPublic(curve.id, this.#scalar) : curve.ecdsa.getPublicKey(this.#scalar, false));
  }

  sign(algorithm: string, data: Uint8Array, ops?: PublicKeyOps): Uint8Array {
    if (algorithm !== this.type) throw new KeyError(`${this.type} key cannot sign ${algorithm}`, 'ALGO_UNSUPPORTED');
    // RFC 6979 deterministic k (OpenSSL: random k); s is not normalized (as OpenSSL does not normalize).
    const sig = ops
      ? ops.ecdsaSign(this.curve.id, this.publicKey.point, this.#scalar, this.curve.hash, data)
      : this.curve.ecdsa.sign(data, this.#scalar, { prehash: true, lowS: false });
    const size = this.curve.size;
    const inner = new Writer(2 * size + 16)
      .mpint(bytesToBigint(sig.subarray(0, size)))
      .mpint(bytesToBigint(sig.subarray(size, 2 * size)))
      .finish();
    return encodeSignature(this.type, inner);
  }

  /** The key's secret numbers, for writing it to a key file. */
  material(): KeyMaterial {
    return { kind: 'ecdsa', curve: this.curve.id, d: bytesToBigint(this.#scalar), point: this.publicKey.point.slice() };
  }
}

function readCurveId(r: Reader, curve: Curve): void {
  const id = r.ascii('ecdsa curve identifier');
  if (id !== curve.id) throw new KeyError(`${curve.type}: curve identifier "${id}" does not match the key type`);
}

function keyType(curve: Curve): KeyType {
  return {
    type: curve.type,
    signatureAlgorithms: [curve.type],
    readPublic(r: Reader, blob: Uint8Array): PublicKey {
      readCurveId(r, curve);
      const point = r.string('ecdsa public point').slice();
      r.end();
      return new EcdsaPublicKey(curve, point, blob.slice());
    },
    readPrivate(r: Reader) {
      // PROTOCOL.key / sshkey_private_serialize: string curve, string Q, mpint d
      readCurveId(r, curve);
      const point = r.string('ecdsa public point').slice();
      const d = r.mpint('ecdsa private scalar');
      return (comment: string, ops?: PublicKeyOps) => {
        const key = new EcdsaPrivateKey(curve, d, comment, ops);
        checkConsistent(equalConstantTime(key.publicKey.point, point), curve.type);
        return key;
      };
    },
  };
}

export const ECDSA_NISTP256: KeyType = keyType(CURVES[0]!);
export const ECDSA_NISTP384: KeyType = keyType(CURVES[1]!);
export const ECDSA_NISTP521: KeyType = keyType(CURVES[2]!);

/** Build a private key from a curve identifier ("nistp256" …) and scalar (e.g. for tests or other key formats). */
export function ecdsaPrivateKey(curveId: string, d: bigint, comment = '', ops?: PublicKeyOps): EcdsaPrivateKey {
  const curve = CURVES.find((c) => c.id === curveId);
  if (!curve) throw new KeyError(`unsupported ECDSA curve "${curveId}"`, 'ALGO_UNSUPPORTED');
  return new EcdsaPrivateKey(curve, d, comment, ops);
}
