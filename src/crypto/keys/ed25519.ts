/**
 * ssh-ed25519 keys and signatures (RFC 8709 §4, RFC 8032), on @noble/curves.
 * Blob: string "ssh-ed25519", string A (32 bytes). Signature: 64 bytes.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { KeyError } from '../../errors.js';
import type { Reader } from '../../wire/reader.js';
import { checkConsistent, decodeSignature, encodeBlob, encodeSignature, type KeyType } from './common.js';
import { equalConstantTime } from '../../wire/bytes.js';
import type { PublicKeyOps } from '../provider.js';
import type { KeyMaterial, PrivateKey, PublicKey } from './types.js';

const TYPE = 'ssh-ed25519';

export class Ed25519PublicKey implements PublicKey {
  readonly type = TYPE;
  readonly bits = 256;
  readonly blob: Uint8Array;

  constructor(
    readonly point: Uint8Array,
    blob?: Uint8Array,
  ) {
    if (point.length !== 32) throw new KeyError('ssh-ed25519 public key must be 32 bytes');
    this.blob = blob ?? encodeBlob(TYPE, (w) => w.string(point));
  }

  verify(algorithm: string, data: Uint8Array, signature: Uint8Array, ops?: PublicKeyOps): boolean {
    if (algorithm !== TYPE) return false;
    const sig = decodeSignature(signature, TYPE);
    if (!sig || sig.length !== 64) return false;
    if (ops) return ops.ed25519Verify(this.point, data, sig);
    try {
      // RFC 8032 §5.1.7 strict decoding (not ZIP-215), as OpenSSH's ref10 does.
      return ed25519.verify(sig, data, this.point, { zip215: false });
    } catch {
      return false;
    }
  }
}

export class Ed25519PrivateKey implements PrivateKey {
  readonly type = TYPE;
  readonly signatureAlgorithms = [TYPE] as const;
  readonly publicKey: Ed25519PublicKey;

  readonly #seed: Uint8Array;

  /**
   * `seed` is the 32-byte RFC 8032 private key. The public half A (§5.1.5) comes from `ops`
   * when given (node:crypto: OpenSSL), else from noble, which builds its base-point table on
   * first use (~25 ms, ~1 MB of BigInts kept for the life of the process); same bytes.
   */
  constructor(
    seed: Uint8Array,
    readonly comment = '',
    ops?: PublicKeyOps,
  ) {
    if (seed.length !== 32) throw new KeyError('ssh-ed25519 private seed must be 32 bytes');
    this.#seed = seed.slice();
    this.publicKey = new Ed25519PublicKey(ops ? ops.ed25519Public(this.#seed) : ed25519.getPublicKey(this.#seed));
  }

  sign(algorithm: string, data: Uint8Array, ops?: PublicKeyOps): Uint8Array {
    if (algorithm !== TYPE) throw new KeyError(`ssh-ed25519 key cannot sign ${algorithm}`, 'ALGO_UNSUPPORTED');
    return encodeSignature(TYPE, ops ? ops.ed25519Sign(this.#seed, data) : ed25519.sign(data, this.#seed));
  }

  /** The key's secret numbers, for writing it to a key file (copies: zero them when done). */
  material(): KeyMaterial {
    return { kind: 'ed25519', seed: this.#seed.slice(), point: this.publicKey.point.slice() };
  }
}

export const ED25519: KeyType = {
  type: TYPE,
  signatureAlgorithms: [TYPE],
  readPublic(r: Reader, blob: Uint8Array): PublicKey {
    const point = r.string('ed25519 public key').slice();
    r.end();
    return new Ed25519PublicKey(point, blob.slice());
  },
  readPrivate(r: Reader) {
    // PROTOCOL.key / sshkey_private_serialize: string A, string (seed || A)
    const point = r.string('ed25519 public key');
    const secret = r.string('ed25519 secret key');
    if (point.length !== 32 || secret.length !== 64) throw new KeyError('malformed ssh-ed25519 private key');
    return (comment: string, ops?: PublicKeyOps) => {
      const key = new Ed25519PrivateKey(secret.subarray(0, 32), comment, ops);
      checkConsistent(equalConstantTime(key.publicKey.point, point) && equalConstantTime(secret.subarray(32), point), TYPE);
      return key;
    };
  },
};
