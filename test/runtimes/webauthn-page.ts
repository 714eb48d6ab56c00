/**
 * The page script of the Chromium WebAuthn test: loads the published universal bundle (mapped
 * to ./puressh.universal.js by the test's build, as for browser-page.ts) and offers the test
 * two steps, called over the DevTools protocol through `globalThis.puresshWebAuthn`:
 * `register` makes a credential with navigator.credentials.create (the library's
 * registerWebAuthnKey; rpId = this page's host) and returns its authorized_keys line;
 * `login` connects through the WebSocket bridge, signs with navigator.credentials.get (the
 * library's webauthn signer) and runs a command. `globalThis.puresshOutcome` says the script
 * has loaded. Every step is shown on the page for the screenshot.
 */
import * as puressh from '../../src/index.js';

export interface RegisterResult {
  publicKeyLine: string;
  application: string;
  /** the credential id (the key handle), base64 */
  keyHandle: string;
}

export interface LoginParams {
  webSocketUrl: string;
  user: string;
  hostKeyFingerprint: string;
  command: string;
  /**
   * present the credential as a key of this application instead of the rpId it was made for
   * (what a key line for another application would need): the browser still signs for the
   * page's rpId, so the signature's rpIdHash is not the key's
   */
  application?: string;
}

export interface LoginResult {
  ok: boolean;
  stdout?: string;
  code?: number | null;
  error?: string;
}

function show(text: string): void {
  const out = document.getElementById('out');
  if (out) out.textContent += text + '\n';
}

let registered: puressh.WebAuthnRegistration | undefined;

async function register(userName: string): Promise<RegisterResult> {
  registered = await puressh.registerWebAuthnKey({ userName });
  show(`registered on ${location.origin} (rpId ${registered.publicKey.application}):\n${registered.publicKeyLine}`);
  const keyHandle = btoa(String.fromCharCode(...registered.keyHandle));
  return { publicKeyLine: registered.publicKeyLine, application: registered.publicKey.application, keyHandle };
}

/** The registered credential as a key of `application`, signing through the browser for the page's rpId. */
function presentedAs(reg: puressh.WebAuthnRegistration, application: string): puressh.SecurityKeyPrivateKey {
  const rpId = reg.publicKey.application;
  const browser = puressh.webauthnSigner();
  const signer: puressh.SecurityKeySigner = { sign: (request) => browser.sign({ ...request, application: rpId }) };
  const publicKey = new puressh.SkEcdsaPublicKey(reg.publicKey.point, application);
  const fields = { application, flags: puressh.SK_USER_PRESENCE, keyHandle: reg.keyHandle, reserved: new Uint8Array(0) };
  return new puressh.SecurityKeyPrivateKey(publicKey, fields, reg.key.comment, signer);
}

async function login(p: LoginParams): Promise<LoginResult> {
  if (!registered) return { ok: false, error: 'nothing registered' };
  const key = p.application === undefined ? registered.key : presentedAs(registered, p.application);
  show(`logging in as ${p.user} through ${p.webSocketUrl} with ${key.publicKey.type} (application ${key.publicKey.application})`);
  try {
    const client = await puressh.SshClient.connect(await puressh.webSocketStream(p.webSocketUrl), {
      username: p.user,
      privateKeys: [key],
      hostKeyVerifier: (info) => info.fingerprint === p.hostKeyFingerprint,
    });
    try {
      const r = await client.run(p.command);
      const stdout = new TextDecoder().decode(r.stdout);
      show(`$ ${p.command}\n${stdout}(exit ${String(r.code)})`);
      return { ok: true, stdout, code: r.code };
    } finally {
      await client.disconnect();
    }
  } catch (e) {
    const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    show(`refused: ${error}`);
    return { ok: false, error };
  }
}

Object.assign(globalThis, { puresshWebAuthn: { register, login }, puresshOutcome: 'loaded' });
show(`secure context: ${String(isSecureContext)}`);
