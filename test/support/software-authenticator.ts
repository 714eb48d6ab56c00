/**
 * A software FIDO authenticator for tests: it enrolls Ed25519 and P-256 credentials (a random
 * key handle names each), and signs as a U2F/FIDO2 token does (PROTOCOL.u2f "SSH U2F
 * signatures"): over sha256(application) ‖ flags ‖ counter ‖ sha256(message), Ed25519 directly
 * and ECDSA with SHA-256, returning the raw signature, the flags and a counter that goes up.
 * Switches let a test clear the user-presence bit, set user verification, or sign for another
 * application than the key's, to see what a server does with that.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import {
  SecurityKeyPrivateKey,
  SK_USER_PRESENCE,
  SK_USER_VERIFICATION,
  SkEcdsaPublicKey,
  SkEd25519PublicKey,
  writeOpenSSHPrivateKey,
  type SecurityKeySigner,
  type SecurityKeySignRequest,
  type SecurityKeySignResponse,
} from '../../src/crypto/keys/index.js';
import { formatPublicKeyLine } from '../../src/crypto/keys/index.js';

interface Credential {
  algorithm: 'ed25519' | 'ecdsa-p256';
  secret: Uint8Array;
}

/** What {@link SoftwareAuthenticator.enroll} makes: the key, its file, its authorized_keys line. */
export interface Enrolled {
  key: SecurityKeyPrivateKey;
  /** the openssh-key-v1 file text, as ssh-keygen -t ed25519-sk / ecdsa-sk would write it */
  privateKeyText: string;
  publicLine: string;
}

export class SoftwareAuthenticator implements SecurityKeySigner {
  /** set the user-presence bit in signatures (a touch) */
  userPresence = true;
  /** set the user-verification bit in signatures (a PIN was checked) */
  userVerification = false;
  /** sign for this application instead of the one asked (a token for another relying party) */
  applicationOverride: string | undefined;
  /** return ECDSA signatures as DER, as real tokens do, instead of r ‖ s */
  derSignatures = false;
  /** the signature counter of the last signature */
  counter = 0;
  /** every request seen, newest last */
  readonly requests: SecurityKeySignRequest[] = [];
  private readonly credentials = new Map<string, Credential>();

  /**
   * Make a credential for `application` (default "ssh:", as ssh-keygen) with the key flags
   * `flags` (default SK_USER_PRESENCE: touch required); the key signs through this
   * authenticator. `passphrase` encrypts the key file.
   */
  enroll(
    algorithm: 'ed25519' | 'ecdsa-p256',
    options: { application?: string; flags?: number; comment?: string; passphrase?: string; keyHandle?: Uint8Array } = {},
  ): Enrolled {
    const application = options.application ?? 'ssh:';
    const keyHandle = options.keyHandle ?? randomBytes(48);
    const secret = algorithm === 'ed25519' ? randomBytes(32) : p256.utils.randomSecretKey();
    this.credentials.set(hex(keyHandle), { algorithm, secret });
    const publicKey =
      algorithm === 'ed25519'
        ? new SkEd25519PublicKey(ed25519.getPublicKey(secret), application)
        : new SkEcdsaPublicKey(p256.getPublicKey(secret, false), application);
    const fields = { application, flags: options.flags ?? SK_USER_PRESENCE, keyHandle, reserved: new Uint8Array(0) };
    const comment = options.comment ?? `sk-${algorithm}@test`;
    const key = new SecurityKeyPrivateKey(publicKey, fields, comment, this);
    const privateKeyText = writeOpenSSHPrivateKey(key.material(), comment, randomBytes, options.passphrase ? { passphrase: options.passphrase } : {});
    return { key, privateKeyText, publicLine: formatPublicKeyLine(publicKey, comment) };
  }

  sign(request: SecurityKeySignRequest): SecurityKeySignResponse {
    this.requests.push(request);
    const cred = this.credentials.get(hex(request.keyHandle));
    if (!cred) throw new Error('no credential for this key handle (FIDO_ERR_NO_CREDENTIALS)');
    if (cred.algorithm !== request.algorithm) throw new Error(`credential is ${cred.algorithm}, asked for ${request.algorithm}`);
    const flags = (this.userPresence ? SK_USER_PRESENCE : 0) | (this.userVerification ? SK_USER_VERIFICATION : 0);
    const counter = ++this.counter;
    const signed = authenticatorSigned(this.applicationOverride ?? request.application, flags, counter, sha256(request.data));
    if (cred.algorithm === 'ed25519') return { signature: ed25519.sign(signed, cred.secret), flags, counter };
    const sig = p256.sign(signed, cred.secret, { prehash: true, format: this.derSignatures ? 'der' : 'compact' });
    return { signature: sig, flags, counter };
  }

  /** The credentials and switches as JSON, to rebuild the authenticator in another process. */
  toJson(): string {
    const creds = [...this.credentials].map(([handle, c]) => [handle, c.algorithm, hex(c.secret)]);
    return JSON.stringify({ creds, userPresence: this.userPresence, userVerification: this.userVerification, counter: this.counter });
  }

  static fromJson(json: string): SoftwareAuthenticator {
    const o = JSON.parse(json) as { creds: [string, Credential['algorithm'], string][]; userPresence: boolean; userVerification: boolean; counter: number };
    const a = new SoftwareAuthenticator();
    for (const [handle, algorithm, secret] of o.creds) a.credentials.set(handle, { algorithm, secret: new Uint8Array(Buffer.from(secret, 'hex')) });
    Object.assign(a, { userPresence: o.userPresence, userVerification: o.userVerification, counter: o.counter });
    return a;
  }

  /** The P-256 secret of a credential, for tests that play a WebAuthn authenticator. */
  secretOf(keyHandle: Uint8Array): Uint8Array | undefined {
    return this.credentials.get(hex(keyHandle))?.secret;
  }
}

/** authenticatorData without extensions ‖ clientDataHash, as FIDO signs it. */
export function authenticatorSigned(application: string, flags: number, counter: number, clientDataHash: Uint8Array): Uint8Array {
  const out = new Uint8Array(32 + 1 + 4 + 32);
  out.set(sha256(new TextEncoder().encode(application)), 0);
  out[32] = flags;
  new DataView(out.buffer).setUint32(33, counter);
  out.set(clientDataHash, 37);
  return out;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
