/**
 * FIDO security keys (PROTOCOL.u2f): sk-ssh-ed25519 and sk-ecdsa-sha2-nistp256 public keys,
 * signatures made through a signer and checked as sshd checks them (flags, counter,
 * application), webauthn-sk-ecdsa signatures, key files, certificates.
 */
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { expect } from 'chai';
import {
  Certificate,
  CERT_TYPE_USER,
  CERT_VALID_FOREVER,
  CertifiedPrivateKey,
  generateKeyPair,
  parseCertificateBlob,
  parsePrivateKey,
  parsePublicKeyBlob,
  parsePublicKeyLine,
  SecurityKeyPrivateKey,
  signCertificate,
  SkEcdsaPublicKey,
  SkEd25519PublicKey,
  verifyCertificateSignature,
  verifySignature,
  withSecurityKeySigner,
  writeOpenSSHPrivateKey,
} from '../../../src/crypto/keys/index.js';
import { decodeSkSignature, encodeSkSignature } from '../../../src/crypto/keys/sk-common.js';
import { base64UrlEncode } from '../../../src/crypto/keys/webauthn-client-data.js';
import { KeyError, SecurityKeyError } from '../../../src/errors.js';
import { authenticatorSigned, SoftwareAuthenticator } from '../../support/software-authenticator.js';

const MESSAGE = new TextEncoder().encode('the session data');

describe('security keys (PROTOCOL.u2f)', () => {
  for (const alg of ['ed25519', 'ecdsa-p256'] as const) {
    describe(alg, () => {
      const type = alg === 'ed25519' ? 'sk-ssh-ed25519@openssh.com' : 'sk-ecdsa-sha2-nistp256@openssh.com';

      it('the public key blob round-trips and names the application', () => {
        const auth = new SoftwareAuthenticator();
        const { key, publicLine } = auth.enroll(alg, { application: 'ssh:test' });
        const parsed = parsePublicKeyLine(publicLine).key as SkEd25519PublicKey | SkEcdsaPublicKey;
        expect(parsed.type).to.equal(type);
        expect(parsed.application).to.equal('ssh:test');
        expect(parsed.blob).to.deep.equal(key.publicKey.blob);
        expect(parsePublicKeyBlob(key.publicKey.blob).type).to.equal(type);
      });

      it('signs through the signer; the signature verifies with flags and counter', async () => {
        const auth = new SoftwareAuthenticator();
        const { key } = auth.enroll(alg);
        const sig = await key.sign(type, MESSAGE);
        const parts = decodeSkSignature(sig)!;
        expect(parts.algorithm).to.equal(type);
        expect([parts.flags, parts.counter]).to.deep.equal([1, 1]);
        expect(verifySignature(key.publicKey.blob, type, MESSAGE, sig)).to.equal(true);
        expect(key.publicKey.verifySecurityKey!(type, MESSAGE, sig)).to.deep.equal({ flags: 1, counter: 1, userPresent: true, userVerified: false });
        // the signer saw the key's application, handle and flags, and the raw message
        const req = auth.requests[0]!;
        expect([req.algorithm, req.application, req.flags]).to.deep.equal([alg, 'ssh:', 1]);
        expect(req.keyHandle).to.deep.equal(key.keyHandle);
        expect(req.data).to.deep.equal(MESSAGE);
        expect(verifySignature(key.publicKey.blob, type, new TextEncoder().encode('other data'), sig)).to.equal(false);
      });

      it('without the user-presence flag: verify() says no, verifySecurityKey reports the flags', async () => {
        const auth = new SoftwareAuthenticator();
        auth.userPresence = false;
        auth.userVerification = true;
        const { key } = auth.enroll(alg);
        const sig = await key.sign(type, MESSAGE);
        expect(key.publicKey.verify(type, MESSAGE, sig)).to.equal(false);
        expect(key.publicKey.verifySecurityKey!(type, MESSAGE, sig)).to.deep.equal({ flags: 4, counter: 1, userPresent: false, userVerified: true });
      });

      it('a signature for another application does not verify', async () => {
        const auth = new SoftwareAuthenticator();
        auth.applicationOverride = 'ssh:other';
        const { key } = auth.enroll(alg);
        const sig = await key.sign(type, MESSAGE);
        expect(key.publicKey.verifySecurityKey!(type, MESSAGE, sig)).to.equal(null);
      });

      it('a tampered flags byte or counter does not verify', async () => {
        const auth = new SoftwareAuthenticator();
        const { key } = auth.enroll(alg);
        const parts = decodeSkSignature(await key.sign(type, MESSAGE))!;
        for (const bad of [
          { ...parts, flags: parts.flags | 4 },
          { ...parts, counter: parts.counter + 1 },
        ]) {
          expect(key.publicKey.verifySecurityKey!(type, MESSAGE, encodeSkSignature(bad))).to.equal(null);
        }
      });

      it('key files: written as ssh-keygen does, read back, plain and encrypted', async () => {
        const auth = new SoftwareAuthenticator();
        const { key, privateKeyText } = auth.enroll(alg, { flags: 0x25, comment: 'me@host' });
        const read = parsePrivateKey(privateKeyText) as SecurityKeyPrivateKey;
        expect(read).to.be.instanceOf(SecurityKeyPrivateKey);
        expect([read.type, read.comment, read.application, read.flags]).to.deep.equal([type, 'me@host', 'ssh:', 0x25]);
        expect(read.keyHandle).to.deep.equal(key.keyHandle);
        expect(read.publicKey.blob).to.deep.equal(key.publicKey.blob);
        // without a signer it says what to do
        try {
          await read.sign(type, MESSAGE);
          expect.fail('signed without a signer');
        } catch (e) {
          expect(e).to.be.instanceOf(SecurityKeyError);
          expect((e as SecurityKeyError).message).to.match(/needs its security key/);
        }
        const withSigner = parsePrivateKey(privateKeyText, { securityKeySigner: auth });
        expect(verifySignature(key.publicKey.blob, type, MESSAGE, await withSigner.sign(type, MESSAGE))).to.equal(true);

        const encrypted = writeOpenSSHPrivateKey(key.material(), 'enc', randomBytes, { passphrase: 'pw', rounds: 2 });
        expect(() => parsePrivateKey(encrypted)).to.throw(KeyError, /passphrase/);
        const dec = parsePrivateKey(encrypted, 'pw') as SecurityKeyPrivateKey;
        expect([dec.comment, dec.flags]).to.deep.equal(['enc', 0x25]);
        expect(dec.keyHandle).to.deep.equal(key.keyHandle);
      });

      it('a certificate of the key: parses, signs and verifies with the -cert algorithm', async () => {
        const auth = new SoftwareAuthenticator();
        const { key } = auth.enroll(alg);
        const ca = generateKeyPair({ type: 'ed25519' }, randomBytes).privateKey;
        const cert = await signCertificate(
          {
            key: key.publicKey,
            nonce: randomBytes(32),
            serial: 7n,
            certType: CERT_TYPE_USER,
            keyId: 'sk',
            principals: ['me'],
            validAfter: 0n,
            validBefore: CERT_VALID_FOREVER,
            criticalOptions: [],
            extensions: [],
          },
          ca,
        );
        const certType = `${type.replace('@openssh.com', '')}-cert-v01@openssh.com`;
        expect(cert.type).to.equal(certType);
        const again = parseCertificateBlob(cert.blob);
        expect(again.key.blob).to.deep.equal(key.publicKey.blob);
        expect(verifyCertificateSignature(again)).to.equal(null);
        const certified = withSecurityKeySigner(new CertifiedPrivateKey(new SecurityKeyPrivateKey(key.publicKey, key, 'c'), cert), auth);
        const sig = await certified.sign(certType, MESSAGE);
        expect(verifySignature(cert.blob, certType, MESSAGE, sig)).to.equal(true);
        expect(again.verifySecurityKey(certType, MESSAGE, sig)).to.include({ userPresent: true });
        // the private key file of a certified sk key (cert, [A,] application, flags, handle, reserved)
        const file = certifiedKeyFile(cert, key);
        const parsed = parsePrivateKey(file, { securityKeySigner: auth });
        expect(parsed.type).to.equal(certType);
        expect(verifySignature(cert.blob, certType, MESSAGE, await parsed.sign(certType, MESSAGE))).to.equal(true);
      });
    });
  }

  it('an sk key can be a CA; its signature counts without a touch (as sshkey_verify)', async () => {
    const auth = new SoftwareAuthenticator();
    auth.userPresence = false;
    const ca = auth.enroll('ed25519').key;
    const user = generateKeyPair({ type: 'ed25519' }, randomBytes).privateKey;
    const cert = await signCertificate(
      {
        key: user.publicKey,
        nonce: randomBytes(32),
        serial: 1n,
        certType: CERT_TYPE_USER,
        keyId: 'x',
        principals: [],
        validAfter: 0n,
        validBefore: CERT_VALID_FOREVER,
        criticalOptions: [],
        extensions: [],
      },
      ca,
    );
    expect(cert.signatureAlgorithm).to.equal('sk-ssh-ed25519@openssh.com');
    expect(verifyCertificateSignature(cert)).to.equal(null);
  });

  it('ECDSA signatures from the signer as DER are accepted', async () => {
    const auth = new SoftwareAuthenticator();
    auth.derSignatures = true;
    const { key } = auth.enroll('ecdsa-p256');
    const sig = await key.sign('sk-ecdsa-sha2-nistp256@openssh.com', MESSAGE);
    expect(key.publicKey.verify('sk-ecdsa-sha2-nistp256@openssh.com', MESSAGE, sig)).to.equal(true);
  });

  it('a signer answer that is not a signature is a SecurityKeyError', async () => {
    const auth = new SoftwareAuthenticator();
    const { key } = auth.enroll('ed25519');
    const bad = key.withSigner({ sign: () => ({ signature: new Uint8Array(10), flags: 1, counter: 1 }) });
    let err: unknown;
    await bad.sign(key.type, MESSAGE).catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(SecurityKeyError);
    const failing = key.withSigner({ sign: () => Promise.reject(new Error('device unplugged')) });
    await failing.sign(key.type, MESSAGE).catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(SecurityKeyError);
    expect((err as Error).message).to.equal('security key signing failed: device unplugged');
  });

  describe('webauthn-sk-ecdsa-sha2-nistp256@openssh.com', () => {
    const ORIGIN = 'https://ssh.example.com';
    /** A signature as a browser makes it: clientDataJSON with the challenge, authenticatorData, ECDSA. */
    function webauthnSignature(
      secret: Uint8Array,
      rpId: string,
      message: Uint8Array,
      opts: { flags?: number; clientData?: string; extensions?: Uint8Array } = {},
    ): Uint8Array {
      const clientData = new TextEncoder().encode(
        opts.clientData ?? `{"type":"webauthn.get","challenge":"${base64UrlEncode(message)}","origin":"${ORIGIN}","crossOrigin":false}`,
      );
      const flags = opts.flags ?? 0x05;
      const ext = opts.extensions ?? new Uint8Array(0);
      const authData = authenticatorSigned(rpId, flags, 9, new Uint8Array(0)).subarray(0, 37);
      const signed = new Uint8Array([...authData, ...ext, ...sha256(clientData)]);
      const sig = p256.sign(signed, secret, { prehash: true, format: 'compact' });
      const field = new Uint8Array([0, 0, 0, 33, 0, ...sig.subarray(0, 32), 0, 0, 0, 33, 0, ...sig.subarray(32)]);
      return encodeSkSignature({
        algorithm: 'webauthn-sk-ecdsa-sha2-nistp256@openssh.com',
        signature: field,
        flags,
        counter: 9,
        webauthn: { origin: ORIGIN, clientData, extensions: ext },
      });
    }

    it('verifies against the key; origin and flags are reported', () => {
      const auth = new SoftwareAuthenticator();
      const { key } = auth.enroll('ecdsa-p256', { application: 'ssh.example.com' });
      const secret = auth.secretOf(key.keyHandle)!;
      const sig = webauthnSignature(secret, 'ssh.example.com', MESSAGE);
      expect(key.publicKey.verifySecurityKey!('sk-ecdsa-sha2-nistp256@openssh.com', MESSAGE, sig)).to.deep.equal({
        flags: 5,
        counter: 9,
        userPresent: true,
        userVerified: true,
        webauthnOrigin: ORIGIN,
      });
      expect(verifySignature(key.publicKey.blob, 'sk-ecdsa-sha2-nistp256@openssh.com', MESSAGE, sig)).to.equal(true);
    });

    it('refuses a wrong challenge, type, origin quote, AT flag, or ED/extensions mismatch', () => {
      const auth = new SoftwareAuthenticator();
      const { key } = auth.enroll('ecdsa-p256', { application: 'ssh.example.com' });
      const secret = auth.secretOf(key.keyHandle)!;
      const v = (sig: Uint8Array): unknown => key.publicKey.verifySecurityKey!('sk-ecdsa-sha2-nistp256@openssh.com', MESSAGE, sig);
      const other = base64UrlEncode(new TextEncoder().encode('other'));
      expect(
        v(webauthnSignature(secret, 'ssh.example.com', MESSAGE, { clientData: `{"type":"webauthn.get","challenge":"${other}","origin":"${ORIGIN}"}` })),
      ).to.equal(null);
      expect(
        v(
          webauthnSignature(secret, 'ssh.example.com', MESSAGE, {
            clientData: `{"type":"webauthn.create","challenge":"${base64UrlEncode(MESSAGE)}","origin":"${ORIGIN}"}`,
          }),
        ),
      ).to.equal(null);
      expect(v(webauthnSignature(secret, 'ssh.example.com', MESSAGE, { flags: 0x45 }))).to.equal(null);
      expect(v(webauthnSignature(secret, 'ssh.example.com', MESSAGE, { flags: 0x85 }))).to.equal(null);
      expect(v(webauthnSignature(secret, 'ssh.example.com', MESSAGE, { extensions: new Uint8Array([0xa0]) }))).to.equal(null);
      expect(v(webauthnSignature(secret, 'ssh.example.com', MESSAGE, { flags: 0x85, extensions: new Uint8Array([0xa0]) }))).to.deep.include({ flags: 0x85 });
      expect(v(webauthnSignature(secret, 'ssh.other.com', MESSAGE))).to.equal(null);
    });
  });
});

/** openssh-key-v1 text for a certified sk key, laid out as sshkey_private_serialize does. */
function certifiedKeyFile(cert: Certificate, key: SecurityKeyPrivateKey): string {
  const w: number[] = [];
  const u32 = (n: number): void => void w.push((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
  const str = (b: Uint8Array | string): void => {
    const bytes = typeof b === 'string' ? new TextEncoder().encode(b) : b;
    u32(bytes.length);
    w.push(...bytes);
  };
  u32(0x01020304);
  u32(0x01020304);
  str(cert.type);
  str(cert.blob);
  if (key.type === 'sk-ssh-ed25519@openssh.com') str(key.publicKey.point);
  str(key.application);
  w.push(key.flags);
  str(key.keyHandle);
  str(key.reserved);
  str('certified');
  for (let i = 1; w.length % 8 !== 0; i++) w.push(i);
  const section = new Uint8Array(w);
  w.length = 0;
  w.push(...new TextEncoder().encode('openssh-key-v1\0'));
  str('none');
  str('none');
  str(new Uint8Array(0));
  u32(1);
  str(cert.blob);
  str(section);
  const body = Buffer.from(w).toString('base64').replace(/.{70}/g, '$&\n');
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${body}\n-----END OPENSSH PRIVATE KEY-----\n`;
}
