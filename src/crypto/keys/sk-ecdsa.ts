/**
 * sk-ecdsa-sha2-nistp256@openssh.com: a P-256 key held by a FIDO authenticator (PROTOCOL.u2f).
 * Blob: string type, string "nistp256", string Q, string application.
 * The ECDSA signature (SHA-256) covers sha256(application) ‖ flags ‖ counter ‖ extensions ‖
 * H, where H is sha256(message), or for webauthn-sk-ecdsa-sha2-nistp256@openssh.com
 * signatures sha256(clientData) with clientData starting
 * {"type":"webauthn.get","challenge":"<base64url(message)>","origin":"<origin>"
 * (ssh-ecdsa-sk.c ssh_ecdsa_sk_verify, webauthn_check_prepare_hash).
 */
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { KeyError } from '../../errors.js';
import type { Reader } from '../../wire/reader.js';
import type { PublicKeyOps } from '../provider.js';
import { encodeBlob, type KeyType } from './common.js';
import {
  compactFromEcdsaField,
  decodeSkSignature,
  readApplication,
  signatureInfo,
  SK_ECDSA,
  SK_WEBAUTHN_ECDSA,
  skSignedBlob,
  type SecurityKeySignatureInfo,
  type SkSignatureParts,
} from './sk-common.js';
import { readSkPrivateFields, SecurityKeyPrivateKey } from './sk-private.js';
import { webauthnClientDataPrefix } from './webauthn-client-data.js';
import type { PublicKey } from './types.js';

const CURVE_ID = 'nistp256';
/** WebAuthn authenticator data flags: AT (attested credential data) and ED (extensions). */
const FLAG_AT = 0x40;
const FLAG_ED = 0x80;

export class SkEcdsaPublicKey implements PublicKey {
  readonly type = SK_ECDSA;
  readonly bits = 256;
  readonly blob: Uint8Array;

  /** `point` is the SEC1 uncompressed P-256 point, checked to lie on the curve. */
  constructor(
    readonly point: Uint8Array,
    /** the FIDO application (relying party id), "ssh:" unless chosen otherwise */
    readonly application: string,
    blob?: Uint8Array,
  ) {
    if (point.length !== 65 || point[0] !== 4) throw new KeyError(`${SK_ECDSA}: public point must be uncompressed (65 bytes)`);
    try {
      p256.Point.fromBytes(point).assertValidity();
    } catch {
      throw new KeyError(`${SK_ECDSA}: public point is not on the curve`);
    }
    this.blob = blob ?? encodeBlob(SK_ECDSA, (w) => w.string(CURVE_ID).string(point).string(application));
  }

  /** Good signature with the user-presence flag set (see verifySecurityKey for the flags). */
  verify(algorithm: string, data: Uint8Array, signature: Uint8Array, ops?: PublicKeyOps): boolean {
    return this.verifySecurityKey(algorithm, data, signature, ops)?.userPresent === true;
  }

  /**
   * The authenticator's flags and counter when the signature is good, else null; no policy
   * applied. `algorithm` is the key's (the webauthn variant is a signature format of the same
   * key, as sshd takes it).
   */
  verifySecurityKey(algorithm: string, data: Uint8Array, signature: Uint8Array, ops?: PublicKeyOps): SecurityKeySignatureInfo | null {
    if (algorithm !== SK_ECDSA && algorithm !== SK_WEBAUTHN_ECDSA) return null;
    const parts = decodeSkSignature(signature);
    if (!parts || (parts.algorithm !== SK_ECDSA && parts.algorithm !== SK_WEBAUTHN_ECDSA)) return null;
    const compact = compactFromEcdsaField(parts.signature);
    if (!compact) return null;
    const hashed = messageHash(parts, data);
    if (!hashed) return null;
    const signed = skSignedBlob(this.application, parts.flags, parts.counter, parts.webauthn?.extensions ?? new Uint8Array(0), hashed);
    let ok: boolean;
    if (ops) ok = ops.ecdsaVerify(CURVE_ID, this.point, 'sha256', signed, compact);
    else {
      try {
        // OpenSSL (which sshd uses) accepts high-S signatures, so lowS is off.
        ok = p256.verify(compact, signed, this.point, { lowS: false, prehash: true });
      } catch {
        ok = false;
      }
    }
    return ok ? signatureInfo(parts) : null;
  }
}

/** sha256(message), or for WebAuthn sha256(clientData) once its preamble is checked; null when it is not right. */
function messageHash(parts: SkSignatureParts, data: Uint8Array): Uint8Array | null {
  const w = parts.webauthn;
  if (!w) return sha256(data);
  // webauthn_check_prepare_hash: no quote in the origin, AT clear, ED set exactly when there are extensions.
  if (w.origin.includes('"') || (parts.flags & FLAG_AT) !== 0 || ((parts.flags & FLAG_ED) === 0) !== (w.extensions.length === 0)) return null;
  const prefix = webauthnClientDataPrefix(data, w.origin);
  if (w.clientData.length < prefix.length) return null;
  for (let i = 0; i < prefix.length; i++) if (w.clientData[i] !== prefix[i]) return null;
  return sha256(w.clientData);
}

function readCurve(r: Reader): void {
  const id = r.ascii('ecdsa curve identifier');
  if (id !== CURVE_ID) throw new KeyError(`${SK_ECDSA}: curve identifier "${id}" is not ${CURVE_ID}`);
}

export const SK_ECDSA_TYPE: KeyType = {
  type: SK_ECDSA,
  signatureAlgorithms: [SK_ECDSA],
  readPublic(r: Reader, blob: Uint8Array): PublicKey {
    readCurve(r);
    const point = r.string('ecdsa public point').slice();
    const application = readApplication(r);
    r.end();
    return new SkEcdsaPublicKey(point, application, blob.slice());
  },
  readPrivate(r: Reader) {
    // PROTOCOL.u2f: string curve, string Q, string application, uint8 flags, string key_handle, string reserved
    readCurve(r);
    const point = r.string('ecdsa public point').slice();
    const fields = readSkPrivateFields(r);
    const pub = new SkEcdsaPublicKey(point, fields.application);
    return (comment: string) => new SecurityKeyPrivateKey(pub, fields, comment);
  },
};
