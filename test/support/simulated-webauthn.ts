/**
 * A simulated `navigator.credentials` for tests of the WebAuthn signer: a virtual
 * authenticator (P-256 credentials, as Chromium's DevTools WebAuthn.addVirtualAuthenticator
 * makes) behind create() and get(), producing what a browser returns: clientDataJSON in the
 * browser's field order, authenticatorData (rpIdHash, flags, counter), DER signatures, and
 * getPublicKey() as SubjectPublicKeyInfo. It checks what a browser checks: the rpId is the
 * page's domain (or a suffix of it), the credential is allowed.
 */
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { base64UrlEncode } from '../../src/crypto/keys/webauthn-client-data.js';
import type { WebAuthnCredentials } from '../../src/auth/webauthn.js';

interface Cred {
  rpId: string;
  secret: Uint8Array;
  counter: number;
}

const SPKI_P256_PREFIX = Uint8Array.from(Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex'));

export class SimulatedWebAuthn implements WebAuthnCredentials {
  /** the user touches the key (UP) */
  userPresence = true;
  /** the authenticator verifies the user (UV) when asked */
  userVerification = true;
  readonly calls: { kind: 'get' | 'create'; publicKey: Record<string, unknown> }[] = [];
  private readonly creds = new Map<string, Cred>();

  /** `origin` is the page's origin, e.g. "https://ssh.example.com". */
  constructor(readonly origin: string) {}

  private rpIdAllowed(rpId: string): boolean {
    const host = new URL(this.origin).hostname;
    return host === rpId || host.endsWith(`.${rpId}`);
  }

  async create(options: { publicKey: Record<string, unknown> }): Promise<unknown> {
    this.calls.push({ kind: 'create', publicKey: options.publicKey });
    const pk = options.publicKey as { rp: { id: string }; pubKeyCredParams: { alg: number }[] };
    if (!this.rpIdAllowed(pk.rp.id)) throw new DOMException('The relying party ID is not a registrable domain suffix of the origin', 'SecurityError');
    if (!pk.pubKeyCredParams.some((p) => p.alg === -7)) throw new DOMException('no supported algorithm', 'NotSupportedError');
    const id = randomBytes(32);
    const secret = p256.utils.randomSecretKey();
    this.creds.set(Buffer.from(id).toString('hex'), { rpId: pk.rp.id, secret, counter: 0 });
    const spki = new Uint8Array([...SPKI_P256_PREFIX, ...p256.getPublicKey(secret, false)]);
    return { rawId: id.buffer, response: { getPublicKey: () => spki.buffer, getPublicKeyAlgorithm: () => -7 } };
  }

  async get(options: { publicKey: Record<string, unknown> }): Promise<unknown> {
    this.calls.push({ kind: 'get', publicKey: options.publicKey });
    const pk = options.publicKey as { challenge: Uint8Array; rpId: string; allowCredentials: { id: Uint8Array }[]; userVerification: string };
    if (!this.rpIdAllowed(pk.rpId)) throw new DOMException('The relying party ID is not a registrable domain suffix of the origin', 'SecurityError');
    const allowed = pk.allowCredentials.map((c) => Buffer.from(c.id).toString('hex'));
    const key = allowed.find((id) => this.creds.get(id)?.rpId === pk.rpId);
    if (!key) throw new DOMException('The operation either timed out or was not allowed.', 'NotAllowedError');
    const cred = this.creds.get(key)!;
    const clientData = new TextEncoder().encode(
      JSON.stringify({ type: 'webauthn.get', challenge: base64UrlEncode(pk.challenge), origin: this.origin, crossOrigin: false }),
    );
    const flags = (this.userPresence ? 0x01 : 0) | (this.userVerification && pk.userVerification !== 'discouraged' ? 0x04 : 0);
    const authData = new Uint8Array(37);
    authData.set(sha256(new TextEncoder().encode(pk.rpId)));
    authData[32] = flags;
    new DataView(authData.buffer).setUint32(33, ++cred.counter);
    const signature = p256.sign(new Uint8Array([...authData, ...sha256(clientData)]), cred.secret, { prehash: true, format: 'der' });
    return { response: { authenticatorData: authData.buffer, clientDataJSON: clientData.buffer, signature: signature.buffer } };
  }
}
