/**
 * The WebAuthn signer and registration against a simulated navigator.credentials: the
 * registered key's authorized_keys line, webauthn-sk-ecdsa-sha2-nistp256 signatures that
 * verify as sshd verifies them and log in to SshServer; what the browser was asked.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { registerWebAuthnKey, webauthnSigner } from '../../../src/auth/webauthn.js';
import { generateKeyPair, parsePublicKeyLine, parsePrivateKey, writeOpenSSHPrivateKey } from '../../../src/crypto/keys/index.js';
import { decodeSkSignature } from '../../../src/crypto/keys/sk-common.js';
import { SecurityKeyError } from '../../../src/errors.js';
import { connectInMemory } from '../../../src/server/memory-pair.js';
import { SshServer } from '../../../src/server/server.js';
import type { PublicKeyRequest } from '../../../src/server/types.js';
import { SimulatedWebAuthn } from '../../support/simulated-webauthn.js';

const rng = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const MESSAGE = new TextEncoder().encode('ssh session data');

describe('WebAuthn signer (simulated navigator.credentials)', () => {
  it('registers: an sk-ecdsa key whose application is the rpId', async () => {
    const browser = new SimulatedWebAuthn('https://ssh.example.com');
    const reg = await registerWebAuthnKey({ credentials: browser, rpId: 'example.com', userName: 'alice', random: rng });
    const { key, comment } = parsePublicKeyLine(reg.publicKeyLine);
    expect([key.type, comment]).to.deep.equal(['sk-ecdsa-sha2-nistp256@openssh.com', 'alice@example.com']);
    expect(reg.publicKey.application).to.equal('example.com');
    const asked = browser.calls[0]!.publicKey as { rp: { id: string }; pubKeyCredParams: unknown; attestation: string };
    expect([asked.rp.id, asked.pubKeyCredParams, asked.attestation]).to.deep.equal(['example.com', [{ type: 'public-key', alg: -7 }], 'none']);
  });

  it('signs in WebAuthn form; the signature verifies with origin, flags, counter', async () => {
    const browser = new SimulatedWebAuthn('https://ssh.example.com');
    const reg = await registerWebAuthnKey({ credentials: browser, rpId: 'example.com', userName: 'alice', random: rng });
    const sig = await reg.key.sign('sk-ecdsa-sha2-nistp256@openssh.com', MESSAGE);
    expect(decodeSkSignature(sig)!.algorithm).to.equal('webauthn-sk-ecdsa-sha2-nistp256@openssh.com');
    expect(reg.publicKey.verifySecurityKey('sk-ecdsa-sha2-nistp256@openssh.com', MESSAGE, sig)).to.deep.equal({
      flags: 1,
      counter: 1,
      userPresent: true,
      userVerified: false,
      webauthnOrigin: 'https://ssh.example.com',
    });
    const asked = browser.calls[1]!.publicKey as { challenge: Uint8Array; rpId: string; allowCredentials: { id: Uint8Array }[]; userVerification: string };
    expect([Buffer.from(asked.challenge).toString(), asked.rpId, asked.userVerification]).to.deep.equal(['ssh session data', 'example.com', 'discouraged']);
    expect(asked.allowCredentials[0]!.id).to.deep.equal(reg.keyHandle);
  });

  it('a key file of the registered key signs through webauthnSigner() after a reload', async () => {
    const browser = new SimulatedWebAuthn('https://ssh.example.com');
    const reg = await registerWebAuthnKey({ credentials: browser, rpId: 'example.com', userName: 'alice', random: rng, userVerification: 'required' });
    const file = writeOpenSSHPrivateKey(reg.key.material(), 'web', rng);
    const key = parsePrivateKey(file, { securityKeySigner: webauthnSigner({ credentials: browser }) });
    const sig = await key.sign(key.type, MESSAGE);
    expect(reg.publicKey.verifySecurityKey('sk-ecdsa-sha2-nistp256@openssh.com', MESSAGE, sig)).to.include({ userVerified: true, counter: 1 });
  });

  it('logs in to SshServer; a browser refusal is a SecurityKeyError', async () => {
    const browser = new SimulatedWebAuthn('https://ssh.example.com');
    const reg = await registerWebAuthnKey({ credentials: browser, rpId: 'example.com', userName: 'alice', random: rng });
    const seen: PublicKeyRequest[] = [];
    const server = new SshServer({
      hostKeys: [generateKeyPair({ type: 'ed25519' }, rng).privateKey],
      auth: { publicKey: (req) => (seen.push(req), Buffer.from(req.blob).equals(reg.publicKey.blob)) },
      limits: { authFailureDelay: false },
    });
    const { client } = await connectInMemory(server, { username: 'alice', privateKeys: [reg.key] });
    await client.disconnect();
    expect(seen.find((r) => r.signed)!.securityKey!.webauthnOrigin).to.equal('https://ssh.example.com');

    const elsewhere = webauthnSigner({ credentials: new SimulatedWebAuthn('https://other.example.net') });
    let err: unknown;
    await reg.key
      .withSigner(elsewhere)
      .sign(reg.key.type, MESSAGE)
      .catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(SecurityKeyError);
    expect((err as Error).message).to.match(/^navigator\.credentials\.get failed: SecurityError/);
  });

  it('no WebAuthn and no credentials option: a SecurityKeyError that says so', async () => {
    let err: unknown;
    await Promise.resolve()
      .then(() =>
        webauthnSigner().sign({
          algorithm: 'ecdsa-p256',
          application: 'example.com',
          keyHandle: new Uint8Array(1),
          flags: 1,
          data: MESSAGE,
          publicKeyBlob: new Uint8Array(0),
        }),
      )
      .then(undefined, (e: unknown) => (err = e));
    expect((err as Error).message).to.equal('WebAuthn is not available here (no navigator.credentials); pass options.credentials');
  });
});
