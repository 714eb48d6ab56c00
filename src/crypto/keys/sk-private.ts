/**
 * A FIDO security key as its key file holds it (PROTOCOL.u2f private half): the public key,
 * the application, the key's flags, the authenticator's key handle and a reserved string.
 * The secret stays in the authenticator: signing goes through a {@link SecurityKeySigner},
 * and puressh wraps its answer into the SSH signature (sshsk_sign's job in OpenSSH).
 */
import { KeyError, SecurityKeyError, SshError } from '../../errors.js';
import type { Reader } from '../../wire/reader.js';
import {
  ecdsaSignatureField,
  encodeSkSignature,
  p256CompactSignature,
  readApplication,
  SK_ECDSA,
  SK_ED25519,
  SK_WEBAUTHN_ECDSA,
  type SecurityKeySigner,
  type SecurityKeySignResponse,
} from './sk-common.js';
import type { KeyMaterial, PrivateKey, PublicKey } from './types.js';

/** The private fields after the public ones: string application, uint8 flags, string key_handle, string reserved. */
export interface SkPrivateFields {
  readonly application: string;
  readonly flags: number;
  readonly keyHandle: Uint8Array;
  readonly reserved: Uint8Array;
}

/** sshkey_private_deserialize_sk */
export function readSkPrivateFields(r: Reader): SkPrivateFields {
  const application = readApplication(r);
  const flags = r.u8('sk flags');
  const keyHandle = r.string('sk key handle').slice();
  const reserved = r.string('sk reserved').slice();
  return { application, flags, keyHandle, reserved };
}

/** An sk public key: ed25519-sk or ecdsa-sk (sk-ed25519.ts, sk-ecdsa.ts). */
export interface SkPublicKey extends PublicKey {
  readonly point: Uint8Array;
  readonly application: string;
}

/** A security key: signs through the authenticator behind a {@link SecurityKeySigner}. */
export class SecurityKeyPrivateKey implements PrivateKey {
  readonly type: string;
  readonly signatureAlgorithms: readonly string[];
  /** the FIDO application (relying party id) */
  readonly application: string;
  /** the key's flags: SK_USER_PRESENCE (touch required), SK_USER_VERIFICATION (PIN required), SK_RESIDENT_KEY */
  readonly flags: number;
  /** the credential id the authenticator made at enrollment */
  readonly keyHandle: Uint8Array;
  readonly reserved: Uint8Array;

  constructor(
    readonly publicKey: SkPublicKey,
    fields: SkPrivateFields,
    readonly comment = '',
    /** the authenticator; without one, sign() throws (use withSigner, or sign through an agent) */
    readonly signer?: SecurityKeySigner,
  ) {
    if (publicKey.type !== SK_ED25519 && publicKey.type !== SK_ECDSA) throw new KeyError(`${publicKey.type} is not a security key type`);
    if (fields.application !== publicKey.application) throw new KeyError('security key: application differs between the public and private halves');
    if (!Number.isInteger(fields.flags) || fields.flags < 0 || fields.flags > 255) throw new KeyError('security key flags must be a byte');
    this.type = publicKey.type;
    this.signatureAlgorithms = [publicKey.type];
    this.application = fields.application;
    this.flags = fields.flags;
    this.keyHandle = fields.keyHandle.slice();
    this.reserved = fields.reserved.slice();
  }

  /** The same key, signing through `signer`. */
  withSigner(signer: SecurityKeySigner): SecurityKeyPrivateKey {
    return new SecurityKeyPrivateKey(this.publicKey, this.fields(), this.comment, signer);
  }

  private fields(): SkPrivateFields {
    return { application: this.application, flags: this.flags, keyHandle: this.keyHandle, reserved: this.reserved };
  }

  async sign(algorithm: string, data: Uint8Array): Promise<Uint8Array> {
    if (algorithm !== this.type) throw new KeyError(`${this.type} key cannot sign ${algorithm}`, 'ALGO_UNSUPPORTED');
    if (!this.signer) {
      throw new SecurityKeyError(
        `${this.type} key "${this.comment}" needs its security key: load it into an ssh-agent that can use the authenticator, or give a SecurityKeySigner`,
      );
    }
    let answer: SecurityKeySignResponse;
    try {
      answer = await this.signer.sign({
        algorithm: this.type === SK_ED25519 ? 'ed25519' : 'ecdsa-p256',
        application: this.application,
        keyHandle: this.keyHandle.slice(),
        flags: this.flags,
        data: data.slice(),
        publicKeyBlob: this.publicKey.blob,
      });
    } catch (e) {
      if (e instanceof SshError) throw e;
      throw new SecurityKeyError(`security key signing failed: ${(e as Error | undefined)?.message ?? String(e)}`, { cause: e });
    }
    return encodeSignerResponse(this.type, answer);
  }

  /** The key file fields, for writing it with writeOpenSSHPrivateKey. */
  material(): KeyMaterial {
    const common = { point: this.publicKey.point.slice(), ...this.fields() };
    return this.type === SK_ED25519 ? { kind: 'sk-ed25519', ...common } : { kind: 'sk-ecdsa', ...common };
  }
}

const isByte = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 255;
const isU32 = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff;

/** The SSH signature blob for a signer's answer (sshsk_sign: sshsk_ed25519_sig / sshsk_ecdsa_sig). */
export function encodeSignerResponse(type: string, answer: SecurityKeySignResponse): Uint8Array {
  if (!(answer.signature instanceof Uint8Array) || !isByte(answer.flags) || !isU32(answer.counter)) {
    throw new SecurityKeyError('security key signer returned a malformed answer (signature bytes, flags byte, counter uint32)');
  }
  if (type === SK_ED25519) {
    if (answer.webauthn) throw new SecurityKeyError('WebAuthn signatures exist only for sk-ecdsa-sha2-nistp256 keys');
    if (answer.signature.length !== 64) throw new SecurityKeyError('security key signer returned an Ed25519 signature that is not 64 bytes');
    return encodeSkSignature({ algorithm: SK_ED25519, signature: answer.signature, flags: answer.flags, counter: answer.counter });
  }
  const field = ecdsaSignatureField(p256CompactSignature(answer.signature));
  const w = answer.webauthn;
  if (!w) return encodeSkSignature({ algorithm: SK_ECDSA, signature: field, flags: answer.flags, counter: answer.counter });
  return encodeSkSignature({
    algorithm: SK_WEBAUTHN_ECDSA,
    signature: field,
    flags: answer.flags,
    counter: answer.counter,
    webauthn: { origin: w.origin, clientData: w.clientData, extensions: w.extensions ?? new Uint8Array(0) },
  });
}
