/**
 * fast-check over the security key parsers (PROTOCOL.u2f): mutated sk public key blobs, key
 * files (plain and certified), signature blobs, and WebAuthn assertions only ever give a
 * typed error (KeyError, SecurityKeyError) or a well-formed result — never another throw.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { assertionToResponse } from '../../../src/auth/webauthn.js';
import { base64Decode, pemDecode } from '../../../src/crypto/encoding.js';
import { parseCertificateBlob, parsePrivateKey, parsePublicKeyBlob, type SkPublicKey } from '../../../src/crypto/keys/index.js';
import { decodeSkSignature } from '../../../src/crypto/keys/sk-common.js';
import { SshError } from '../../../src/errors.js';
import { SoftwareAuthenticator } from '../../support/software-authenticator.js';

const MESSAGE = new TextEncoder().encode('fuzzed');

function mutate(data: Uint8Array, ms: { at: number; byte: number; cut: boolean }[]): Uint8Array {
  let d = data.slice();
  for (const m of ms) {
    if (d.length === 0) break;
    const at = m.at % d.length;
    if (m.cut) d = d.slice(0, at);
    else d[at] = m.byte;
  }
  return d;
}
const mutations = fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), cut: fc.boolean() }), { minLength: 1, maxLength: 4 });

/** Run fn; a non-SshError throw fails the property. */
function typedOnly(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof SshError)) throw e;
  }
}

describe('security key parsers under fuzzing', () => {
  const auth = new SoftwareAuthenticator();
  const ed = auth.enroll('ed25519');
  const ec = auth.enroll('ecdsa-p256', { passphrase: 'p' });

  it('public key blobs and certificate blobs', () => {
    fc.assert(
      fc.property(fc.constantFrom(ed.key.publicKey.blob, ec.key.publicKey.blob), mutations, (blob, ms) => {
        typedOnly(() => parsePublicKeyBlob(mutate(blob, ms)));
        typedOnly(() => parseCertificateBlob(mutate(blob, ms)));
      }),
      { numRuns: 400 },
    );
  });

  it('key files (the unencrypted body; the encrypted one under the right passphrase)', () => {
    const bodies = [pemDecode(ed.privateKeyText).data, pemDecode(ec.privateKeyText).data];
    fc.assert(
      fc.property(fc.constantFrom(...bodies), mutations, (body, ms) => {
        typedOnly(() => parsePrivateKey(mutate(body, ms), 'p'));
      }),
      { numRuns: 100 },
    );
  });

  it('signature blobs: verification says null or gives flags and counter; never throws', async () => {
    const sigs = [await ed.key.sign(ed.key.type, MESSAGE), await ec.key.sign(ec.key.type, MESSAGE)];
    const keys: SkPublicKey[] = [ed.key.publicKey, ec.key.publicKey];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1 }), mutations, (i, ms) => {
        const sig = mutate(sigs[i]!, ms);
        const info = keys[i]!.verifySecurityKey!(keys[i]!.type, MESSAGE, sig);
        if (info) expect(info.counter).to.be.a('number');
        const parts = decodeSkSignature(sig);
        if (parts) expect(parts.flags).to.be.within(0, 255);
      }),
      { numRuns: 400 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (junk) => {
        expect(keys[1]!.verifySecurityKey!(keys[1]!.type, MESSAGE, junk)).to.equal(null);
      }),
    );
  });

  it('WebAuthn assertions: a SecurityKeyError or an answer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.string(), fc.uint8Array({ maxLength: 80 }), (authData, json, sig) => {
        typedOnly(() =>
          assertionToResponse({ response: { authenticatorData: authData, clientDataJSON: new TextEncoder().encode(json), signature: sig } }, MESSAGE),
        );
      }),
    );
  });

  it('a public key line with a bad sk blob is a KeyError', () => {
    typedOnly(() => parsePublicKeyBlob(base64Decode('AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAAA==')));
  });
});
