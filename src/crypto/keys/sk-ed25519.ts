/**
 * sk-ssh-ed25519@openssh.com: an Ed25519 key held by a FIDO authenticator (PROTOCOL.u2f).
 * Blob: string type, string A (32 bytes), string application.
 * The authenticator's Ed25519 signature covers sha256(application) ‖ flags ‖ counter ‖
 * sha256(message) itself (ssh-ed25519-sk.c ssh_ed25519_sk_verify).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { KeyError } from '../../errors.js';
import type { Reader } from '../../wire/reader.js';
import type { PublicKeyOps } from '../provider.js';
import { encodeBlob, type KeyType } from './common.js';
import { decodeSkSignature, readApplication, signatureInfo, SK_ED25519, skSignedBlob, type SecurityKeySignatureInfo } from './sk-common.js';
import { readSkPrivateFields, SecurityKeyPrivateKey } from './sk-private.js';
import type { PublicKey } from './types.js';

export class SkEd25519PublicKey implements PublicKey {
  readonly type = SK_ED25519;
  readonly bits = 256;
  readonly blob: Uint8Array;

  constructor(
    readonly point: Uint8Array,
    /** the FIDO application (relying party id), "ssh:" unless chosen otherwise */
    readonly application: string,
    blob?: Uint8Array,
  ) {
    if (point.length !== 32) throw new KeyError(`${SK_ED25519} public key must be 32 bytes`);
    this.blob = blob ?? encodeBlob(SK_ED25519, (w) => w.string(point).string(application));
  }

  /** Good signature with the user-presence flag set (see verifySecurityKey for the flags). */
  verify(algorithm: string, data: Uint8Array, signature: Uint8Array, ops?: PublicKeyOps): boolean {
    return this.verifySecurityKey(algorithm, data, signature, ops)?.userPresent === true;
  }

  /** The authenticator's flags and counter when the signature is good, else null; no policy applied. */
  verifySecurityKey(algorithm: string, data: Uint8Array, signature: Uint8Array, ops?: PublicKeyOps): SecurityKeySignatureInfo | null {
    if (algorithm !== SK_ED25519) return null;
    const parts = decodeSkSignature(signature);
    if (!parts || parts.algorithm !== SK_ED25519 || parts.signature.length !== 64) return null;
    const signed = skSignedBlob(this.application, parts.flags, parts.counter, new Uint8Array(0), sha256(data));
    let ok: boolean;
    if (ops) ok = ops.ed25519Verify(this.point, signed, parts.signature);
    else {
      try {
        ok = ed25519.verify(parts.signature, signed, this.point, { zip215: false });
      } catch {
        ok = false;
      }
    }
    return ok ? signatureInfo(parts) : null;
  }
}

export const SK_ED25519_TYPE: KeyType = {
  type: SK_ED25519,
  signatureAlgorithms: [SK_ED25519],
  readPublic(r: Reader, blob: Uint8Array): PublicKey {
    const point = r.string('ed25519-sk public key').slice();
    const application = readApplication(r);
    r.end();
    return new SkEd25519PublicKey(point, application, blob.slice());
  },
  readPrivate(r: Reader) {
    // PROTOCOL.u2f: string A, string application, uint8 flags, string key_handle, string reserved
    const point = r.string('ed25519-sk public key').slice();
    const fields = readSkPrivateFields(r);
    const pub = new SkEd25519PublicKey(point, fields.application);
    return (comment: string) => new SecurityKeyPrivateKey(pub, fields, comment);
  },
};
