/**
 * Security keys and passkeys in the browser through WebAuthn (W3C Web Authentication Level 2):
 * a {@link SecurityKeySigner} over `navigator.credentials.get` whose answers become
 * webauthn-sk-ecdsa-sha2-nistp256@openssh.com signatures (OpenSSH PROTOCOL.u2f "webauthn
 * signatures"), and registration over `navigator.credentials.create` that gives the
 * sk-ecdsa-sha2-nistp256@openssh.com key for authorized_keys.
 *
 * The key's application string is the WebAuthn relying party id (rpId: the page's domain or a
 * registrable suffix of it, e.g. "example.com"): sshd checks the authenticator's rpIdHash
 * against sha256(application), so a key registered in a page of example.com has application
 * "example.com" and can sign only from pages of that site. (ssh-keygen's keys have
 * application "ssh:", which no web page may use as rpId.) sshd also checks that the signed
 * clientDataJSON begins {"type":"webauthn.get","challenge":"<base64url of the SSH data>",
 * "origin":"<origin>" — what browsers write.
 *
 * Only structural types are used here (no DOM library): pass `credentials` explicitly outside
 * a browser (a test double, a WebAuthn library).
 */
import { base64UrlEncode } from '../crypto/keys/webauthn-client-data.js';
import { EcdsaPublicKey } from '../crypto/keys/ecdsa.js';
import { parseDerPublicKey } from '../crypto/keys/pem.js';
import { formatPublicKeyLine } from '../crypto/keys/index.js';
import {
  SK_USER_PRESENCE,
  SK_USER_VERIFICATION,
  type SecurityKeySigner,
  type SecurityKeySignRequest,
  type SecurityKeySignResponse,
} from '../crypto/keys/sk-common.js';
import { SkEcdsaPublicKey } from '../crypto/keys/sk-ecdsa.js';
import { SecurityKeyPrivateKey } from '../crypto/keys/sk-private.js';
import { SecurityKeyError, SshError } from '../errors.js';

/** Binary data as WebAuthn hands it over: an ArrayBuffer or a view of one. */
export type WebAuthnBytes = ArrayBuffer | ArrayBufferView;
type Bytes = WebAuthnBytes;

/** What puressh reads of a PublicKeyCredential from `get` (AuthenticatorAssertionResponse). */
export interface WebAuthnAssertion {
  readonly response: { readonly authenticatorData: WebAuthnBytes; readonly clientDataJSON: WebAuthnBytes; readonly signature: WebAuthnBytes };
}

/** What puressh reads of a PublicKeyCredential from `create` (AuthenticatorAttestationResponse, WebAuthn L2 §5.2.1). */
export interface WebAuthnAttestation {
  readonly rawId: WebAuthnBytes;
  readonly response: {
    /** the credential public key as SubjectPublicKeyInfo DER */
    getPublicKey(): WebAuthnBytes | null;
    /** its COSE algorithm (-7: ES256) */
    getPublicKeyAlgorithm(): number;
  };
}

/** The part of `navigator.credentials` (CredentialsContainer) puressh uses. */
export interface WebAuthnCredentials {
  /** navigator.credentials.get: resolves with a PublicKeyCredential ({@link WebAuthnAssertion}) */
  get(options: { publicKey: Record<string, unknown>; signal?: AbortSignal }): Promise<unknown>;
  /** navigator.credentials.create: resolves with a PublicKeyCredential ({@link WebAuthnAttestation}) */
  create(options: { publicKey: Record<string, unknown>; signal?: AbortSignal }): Promise<unknown>;
}

/** Options of {@link webauthnSigner} and {@link registerWebAuthnKey}. */
export interface WebAuthnOptions {
  /** default: `globalThis.navigator.credentials` */
  credentials?: WebAuthnCredentials;
  /** WebAuthn userVerification; default: "required" when the key's flags ask for it, else "discouraged" */
  userVerification?: 'required' | 'preferred' | 'discouraged';
  /** milliseconds the browser waits for the user */
  timeout?: number;
  signal?: AbortSignal;
}

/** COSE algorithm ES256 (RFC 9053 §2.1): the only one OpenSSH verifies in WebAuthn form. */
const COSE_ES256 = -7;

function bytes(b: Bytes): Uint8Array {
  return b instanceof ArrayBuffer ? new Uint8Array(b.slice(0)) : new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function container(options: WebAuthnOptions): WebAuthnCredentials {
  const c = options.credentials ?? (globalThis as unknown as { navigator?: { credentials?: WebAuthnCredentials } }).navigator?.credentials;
  if (!c) throw new SecurityKeyError('WebAuthn is not available here (no navigator.credentials); pass options.credentials');
  return c;
}

const errorText = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/**
 * A signer that asks the browser's authenticator (security key or passkey) through
 * navigator.credentials.get. The key must be an sk-ecdsa-sha2-nistp256 key whose application
 * is this site's rpId (see the module comment); the signature is in WebAuthn form.
 * @example
 * const key = parsePrivateKey(skKeyFileText, { securityKeySigner: webauthnSigner() });
 */
export function webauthnSigner(options: WebAuthnOptions = {}): SecurityKeySigner {
  return {
    async sign(request: SecurityKeySignRequest): Promise<SecurityKeySignResponse> {
      if (request.algorithm !== 'ecdsa-p256') throw new SecurityKeyError('WebAuthn signatures exist only for sk-ecdsa-sha2-nistp256 keys (PROTOCOL.u2f)');
      const userVerification = options.userVerification ?? ((request.flags & SK_USER_VERIFICATION) !== 0 ? 'required' : 'discouraged');
      let got: unknown;
      try {
        got = await container(options).get({
          publicKey: {
            // The challenge is the SSH data itself: the browser puts its base64url into clientDataJSON.
            challenge: request.data.slice(),
            rpId: request.application,
            allowCredentials: [{ type: 'public-key', id: request.keyHandle.slice() }],
            userVerification,
            ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
          },
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } catch (e) {
        if (e instanceof SshError) throw e;
        throw new SecurityKeyError(`navigator.credentials.get failed: ${errorText(e)}`, { cause: e });
      }
      return assertionToResponse(got as WebAuthnAssertion | null, request.data);
    },
  };
}

/** The signer's answer from an assertion: authenticatorData = rpIdHash ‖ flags ‖ counter ‖ extensions. */
export function assertionToResponse(assertion: WebAuthnAssertion | null, challenge: Uint8Array): SecurityKeySignResponse {
  // what the browser (or a stand-in) returned is checked, not trusted to match the type
  const r = (assertion as { response?: Partial<WebAuthnAssertion['response']> } | null)?.response;
  if (!r?.authenticatorData || !r.clientDataJSON || !r.signature) throw new SecurityKeyError('WebAuthn returned no assertion');
  const authData = bytes(r.authenticatorData);
  if (authData.length < 37) throw new SecurityKeyError('WebAuthn authenticatorData is shorter than 37 bytes');
  const clientData = bytes(r.clientDataJSON);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(clientData));
  } catch {
    throw new SecurityKeyError('WebAuthn clientDataJSON is not JSON');
  }
  const parsed = (typeof json === 'object' && json !== null ? json : {}) as { type?: unknown; origin?: unknown; challenge?: unknown };
  if (parsed.type !== 'webauthn.get' || typeof parsed.origin !== 'string') {
    throw new SecurityKeyError('WebAuthn clientDataJSON is not a webauthn.get with an origin');
  }
  if (parsed.challenge !== base64UrlEncode(challenge)) throw new SecurityKeyError('WebAuthn clientDataJSON carries another challenge');
  const flags = authData[32]!;
  const counter = new DataView(authData.buffer, authData.byteOffset + 33, 4).getUint32(0);
  return { signature: bytes(r.signature), flags, counter, webauthn: { origin: parsed.origin, clientData, extensions: authData.slice(37) } };
}

/** What {@link registerWebAuthnKey} gives back. */
export interface WebAuthnRegistration {
  /** the key (application = rpId), signing through {@link webauthnSigner} with the same options */
  readonly key: SecurityKeyPrivateKey;
  readonly publicKey: SkEcdsaPublicKey;
  /** "sk-ecdsa-sha2-nistp256@openssh.com AAAA… comment": the authorized_keys line */
  readonly publicKeyLine: string;
  /** the credential id (the key handle) */
  readonly keyHandle: Uint8Array;
}

/** Options of {@link registerWebAuthnKey}. */
export interface WebAuthnRegisterOptions extends WebAuthnOptions {
  /** the relying party id, which becomes the key's application; default: the page's host name */
  rpId?: string;
  rpName?: string;
  /** the account name the authenticator shows */
  userName: string;
  /** the WebAuthn user handle; default: random 16 bytes */
  userId?: Uint8Array;
  /** ask for a discoverable credential (passkey); default false */
  residentKey?: boolean;
  /** comment of the authorized_keys line */
  comment?: string;
  /** randomness for the challenge and user id; default crypto.getRandomValues */
  random?: (n: number) => Uint8Array;
}

function defaultRandom(n: number): Uint8Array {
  const c = (globalThis as unknown as { crypto?: { getRandomValues(b: Uint8Array): Uint8Array } }).crypto;
  if (!c) throw new SecurityKeyError('no crypto.getRandomValues: pass options.random');
  return c.getRandomValues(new Uint8Array(n));
}

/**
 * Register a new credential with navigator.credentials.create (ES256) and return it as an
 * sk-ecdsa-sha2-nistp256@openssh.com key whose application is the rpId. The attestation is
 * not asked for ("none"); the public key comes from getPublicKey() (WebAuthn Level 2).
 * @example
 * const { publicKeyLine, key } = await registerWebAuthnKey({ userName: 'alice' });
 * // put publicKeyLine into ~/.ssh/authorized_keys; keep key.keyHandle (or the key file) for login
 */
export async function registerWebAuthnKey(options: WebAuthnRegisterOptions): Promise<WebAuthnRegistration> {
  const rpId = options.rpId ?? (globalThis as unknown as { location?: { hostname?: string } }).location?.hostname;
  if (!rpId) throw new SecurityKeyError('registerWebAuthnKey needs options.rpId outside a web page');
  const random = options.random ?? defaultRandom;
  const userVerification = options.userVerification ?? 'discouraged';
  let got: unknown;
  try {
    got = await container(options).create({
      publicKey: {
        rp: { id: rpId, name: options.rpName ?? rpId },
        user: { id: options.userId ?? random(16), name: options.userName, displayName: options.userName },
        challenge: random(32),
        pubKeyCredParams: [{ type: 'public-key', alg: COSE_ES256 }],
        authenticatorSelection: { userVerification, residentKey: options.residentKey ? 'required' : 'discouraged' },
        attestation: 'none',
        ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
      },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (e) {
    if (e instanceof SshError) throw e;
    throw new SecurityKeyError(`navigator.credentials.create failed: ${errorText(e)}`, { cause: e });
  }
  const maybe = got as { rawId?: WebAuthnBytes; response?: Partial<WebAuthnAttestation['response']> } | null;
  if (!maybe?.rawId || typeof maybe.response?.getPublicKey !== 'function' || typeof maybe.response.getPublicKeyAlgorithm !== 'function') {
    throw new SecurityKeyError('WebAuthn returned no credential with getPublicKey()');
  }
  const cred = maybe as WebAuthnAttestation;
  if (cred.response.getPublicKeyAlgorithm() !== COSE_ES256) throw new SecurityKeyError('the authenticator made a key other than ES256 (P-256)');
  const spki = cred.response.getPublicKey();
  if (!spki) throw new SecurityKeyError('WebAuthn gave no public key');
  let ec: EcdsaPublicKey;
  try {
    const k = parseDerPublicKey(bytes(spki));
    if (!(k instanceof EcdsaPublicKey) || k.type !== 'ecdsa-sha2-nistp256') throw new SecurityKeyError('the credential key is not P-256');
    ec = k;
  } catch (e) {
    if (e instanceof SecurityKeyError) throw e;
    throw new SecurityKeyError(`the credential's public key is unreadable: ${errorText(e)}`);
  }
  const publicKey = new SkEcdsaPublicKey(ec.point, rpId);
  const keyHandle = bytes(cred.rawId);
  const flags = SK_USER_PRESENCE | (userVerification === 'required' ? SK_USER_VERIFICATION : 0);
  const comment = options.comment ?? `${options.userName}@${rpId}`;
  const key = new SecurityKeyPrivateKey(publicKey, { application: rpId, flags, keyHandle, reserved: new Uint8Array(0) }, comment, webauthnSigner(options));
  return { key, publicKey, publicKeyLine: formatPublicKeyLine(publicKey, comment), keyHandle };
}
