/**
 * Differential tests: the node:crypto provider's public-key operations against the pure
 * code (noble, BigInt) for every algorithm it takes over: X25519, ECDH P-256/384/521, the
 * fixed MODP groups, Ed25519, ECDSA and RSA signatures, and every kex method with a
 * node:crypto client against a pure server (same K and H).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { x25519, ed25519 } from '@noble/curves/ed25519.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { NODE_PUBLIC_KEY_OPS as ops } from '../../../src/crypto/node/pubkey.js';
import * as node from '../../../src/node.js';
import { nodeProvider } from '../../../src/crypto/node/index.js';
import { pureProvider, type NistCurve } from '../../../src/crypto/provider.js';
import { Ed25519PrivateKey, RsaPrivateKey, ecdsaPrivateKey, parsePrivateKey, verifySignature } from '../../../src/crypto/keys/index.js';
import { KEX_ALGORITHMS } from '../../../src/kex/index.js';
import { MODP_GROUP_14, MODP_GROUP_16, MODP_GROUP_18, OAKLEY_GROUP_2 } from '../../../src/kex/dh-groups-data.js';
import { modPow } from '../../../src/crypto/bigint.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { providerHash } from '../../../src/kex/kex-hash.js';
import { decapsulate as sntrupDecapsulate, encapsulate as sntrupEncapsulate, keypair as sntrupKeypair } from '../../../src/kex/sntrup761/kem.js';
import { HOST_KEY, MAGICS, hex, memKexPair, seededRandom } from '../kex/helpers.js';

const rnd = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const big = (s: string) => BigInt('0x' + (Buffer.from(s, 'base64url').toString('hex') || '0'));

describe('node:crypto public-key ops vs pure', () => {
  it('X25519: public keys and shared secrets match noble; all-zero results are refused', () => {
    for (let i = 0; i < 20; i++) {
      const a = rnd(32);
      const b = rnd(32);
      expect(hex(ops.x25519Public(a))).to.equal(hex(x25519.getPublicKey(a)));
      const pubB = x25519.getPublicKey(b);
      expect(hex(ops.x25519Shared(a, pubB))).to.equal(hex(x25519.getSharedSecret(a, pubB)));
    }
    expect(() => ops.x25519Shared(rnd(32), new Uint8Array(32))).to.throw();
    expect(() => ops.x25519Shared(rnd(32), new Uint8Array(31))).to.throw();
  });

  const curves: [NistCurve, typeof p256][] = [
    ['nistp256', p256],
    ['nistp384', p384],
    ['nistp521', p521],
  ];
  for (const [id, curve] of curves) {
    it(`ECDH ${id}: public points and shared x match noble; invalid points are refused`, () => {
      for (let i = 0; i < 8; i++) {
        const a = curve.utils.randomSecretKey();
        const b = curve.utils.randomSecretKey();
        expect(hex(ops.ecdhPublic(id, a))).to.equal(hex(curve.getPublicKey(a, false)));
        const pubB = curve.getPublicKey(b, false);
        expect(hex(ops.ecdhShared(id, a, pubB))).to.equal(hex(curve.getSharedSecret(a, pubB, true).subarray(1)));
      }
      const bad = curve.getPublicKey(curve.utils.randomSecretKey(), false);
      bad[bad.length - 1]! ^= 1;
      expect(() => ops.ecdhShared(id, curve.utils.randomSecretKey(), bad)).to.throw();
    });

    it(`ECDSA ${id}: node signs what pure verifies and the reverse; tampering fails both`, () => {
      const d = curve.utils.randomSecretKey();
      const key = ecdsaPrivateKey(id, BigInt('0x' + Buffer.from(d).toString('hex')));
      for (let i = 0; i < 5; i++) {
        const data = rnd(1 + i * 37);
        const byNode = key.sign(key.type, data, ops);
        const byPure = key.sign(key.type, data);
        for (const sig of [byNode, byPure]) {
          expect(key.publicKey.verify(key.type, data, sig)).to.equal(true);
          expect(key.publicKey.verify(key.type, data, sig, ops)).to.equal(true);
          expect(verifySignature(key.publicKey.blob, key.type, data, sig, ops)).to.equal(true);
          const bad = sig.slice();
          bad[bad.length - 3]! ^= 4;
          expect(key.publicKey.verify(key.type, data, bad, ops)).to.equal(false);
          expect(key.publicKey.verify(key.type, data, bad)).to.equal(false);
        }
      }
    });
  }

  it('Ed25519: node signatures equal noble bytes (deterministic); verify agrees, including on tampering', () => {
    for (let i = 0; i < 10; i++) {
      const seed = rnd(32);
      const key = new Ed25519PrivateKey(seed);
      const data = rnd(i * 50);
      const sig = key.sign('ssh-ed25519', data, ops);
      expect(hex(sig)).to.equal(hex(key.sign('ssh-ed25519', data)));
      expect(hex(ops.ed25519Sign(seed, data))).to.equal(hex(ed25519.sign(data, seed)));
      expect(key.publicKey.verify('ssh-ed25519', data, sig, ops)).to.equal(true);
      const bad = sig.slice();
      bad[bad.length - 1]! ^= 0x40;
      expect(key.publicKey.verify('ssh-ed25519', data, bad, ops)).to.equal(false);
      expect(key.publicKey.verify('ssh-ed25519', data, bad)).to.equal(false);
    }
    expect(ops.ed25519Verify(new Uint8Array(31), new Uint8Array(1), new Uint8Array(64))).to.equal(false);
  });

  it('public keys from secrets: OpenSSL derives the same Ed25519 A and ECDSA Q as noble; keys take it from the provider they are given', () => {
    for (let i = 0; i < 20; i++) {
      const seed = rnd(32);
      expect(hex(ops.ed25519Public(seed))).to.equal(hex(ed25519.getPublicKey(seed)));
    }
    expect(() => ops.ed25519Public(new Uint8Array(31))).to.throw(RangeError);
    const calls: string[] = [];
    const counting: typeof ops = {
      ...ops,
      ed25519Public: (seed) => (calls.push('ed25519'), ops.ed25519Public(seed)),
      ecdhPublic: (curve, d) => (calls.push(curve), ops.ecdhPublic(curve, d)),
    };
    const seed = rnd(32);
    expect(hex(new Ed25519PrivateKey(seed, '', counting).publicKey.point)).to.equal(hex(ed25519.getPublicKey(seed)));
    expect(hex(new Ed25519PrivateKey(seed).publicKey.point)).to.equal(hex(ed25519.getPublicKey(seed)));
    for (const [id, curve] of curves) {
      const d = curve.utils.randomSecretKey();
      const scalar = BigInt('0x' + Buffer.from(d).toString('hex'));
      expect(hex(ecdsaPrivateKey(id, scalar, '', counting).publicKey.point)).to.equal(hex(curve.getPublicKey(d, false)));
      expect(hex(ecdsaPrivateKey(id, scalar).publicKey.point)).to.equal(hex(curve.getPublicKey(d, false)));
    }
    expect(calls).to.deep.equal(['ed25519', 'nistp256', 'nistp384', 'nistp521']);
  });

  it('parsePrivateKey: the universal one derives with noble unless given a provider; the Node entry one passes the node provider', () => {
    const ed = generateKeyPairSync('ed25519');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const pems = [ed, ec].map((k) => k.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
    const a = Buffer.from(ed.publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex');
    const jwk = ec.publicKey.export({ format: 'jwk' });
    const q = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]).toString('hex');
    const calls: string[] = [];
    const counting = {
      name: 'counting',
      publicKey: {
        ...ops,
        ed25519Public: (seed: Uint8Array) => (calls.push('ed25519'), ops.ed25519Public(seed)),
        ecdhPublic: (curve: NistCurve, d: Uint8Array) => (calls.push(curve), ops.ecdhPublic(curve, d)),
      },
    };
    for (const parse of [parsePrivateKey, node.parsePrivateKey]) {
      const [edKey, ecKey] = pems.map((p) => parse(p, { provider: counting }));
      expect(hex(edKey!.publicKey.blob).endsWith(a)).to.equal(true);
      expect(hex(ecKey!.publicKey.blob).endsWith(q)).to.equal(true);
      const [edPlain, ecPlain] = pems.map((p) => parse(p));
      expect(hex(edPlain!.publicKey.blob)).to.equal(hex(edKey!.publicKey.blob));
      expect(hex(ecPlain!.publicKey.blob)).to.equal(hex(ecKey!.publicKey.blob));
    }
    expect(calls).to.deep.equal(['ed25519', 'nistp384', 'ed25519', 'nistp384']);
    // Which provider the Node entry passes by default is checked on a bundle of it (test/unit/tree-shaking.test.ts).
  });

  it('signing key objects are cached per secret, and never outlive a change of the secret bytes', () => {
    const seed = rnd(32);
    const data = rnd(40);
    expect(hex(ops.ed25519Sign(seed, data))).to.equal(hex(ed25519.sign(data, seed)));
    expect(hex(ops.ed25519Sign(seed, data))).to.equal(hex(ed25519.sign(data, seed)));
    // The same Uint8Array with other bytes (a key zeroed or reused): a new key object.
    seed.set(rnd(32));
    expect(hex(ops.ed25519Sign(seed, data))).to.equal(hex(ed25519.sign(data, seed)));
    seed.fill(7);
    expect(hex(ops.ed25519Sign(seed, data))).to.equal(hex(ed25519.sign(data, seed)));
    const ec = ecdsaPrivateKey('nistp256', BigInt('0x' + Buffer.from(p256.utils.randomSecretKey()).toString('hex')));
    for (let i = 0; i < 2; i++) expect(ec.publicKey.verify(ec.type, data, ec.sign(ec.type, data, ops))).to.equal(true);
    // RSA keys cache by their (immutable) parts object: the RSA tests below sign repeatedly with one key.
  });

  for (const bits of [2048, 3072]) {
    it(`RSA ${bits}: node signatures equal the BigInt bytes for ssh-rsa, rsa-sha2-256/512; verify agrees`, () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
      const j = privateKey.export({ format: 'jwk' });
      const key = new RsaPrivateKey({ n: big(j.n!), e: big(j.e!), d: big(j.d!), p: big(j.p!), q: big(j.q!) });
      for (const alg of ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']) {
        const data = rnd(100);
        const sig = key.sign(alg, data, ops);
        expect(hex(sig)).to.equal(hex(key.sign(alg, data)));
        expect(key.publicKey.verify(alg, data, sig, ops)).to.equal(true);
        const bad = sig.slice();
        bad[bad.length - 5]! ^= 1;
        expect(key.publicKey.verify(alg, data, bad, ops)).to.equal(false);
        // a signature under another hash does not pass
        expect(key.publicKey.verify(alg === 'ssh-rsa' ? 'rsa-sha2-256' : 'ssh-rsa', data, sig, ops)).to.equal(false);
      }
    });
  }

  for (const [name, group] of [
    ['oakley group 2', OAKLEY_GROUP_2],
    ['group 14', MODP_GROUP_14],
    ['group 16', MODP_GROUP_16],
    ['group 18', MODP_GROUP_18],
  ] as const) {
    it(`DH ${name}: OpenSSL's pair agrees with BigInt arithmetic`, () => {
      const pair = ops.dhGroup(group.p, group.g, 512)!;
      expect(pair).to.not.equal(null);
      expect(pair.publicKey > 1n && pair.publicKey < group.p - 1n).to.equal(true);
      const y = BigInt('0x' + Buffer.from(rnd(32)).toString('hex'));
      const f = modPow(group.g, y, group.p);
      // (g^x)^y = (g^y)^x
      expect(pair.shared(f)).to.equal(modPow(pair.publicKey, y, group.p));
    });
  }

  // A group-exchange group OpenSSL has no name for goes in as a PKCS #8 key with our exponent.
  for (const [name, p, g] of [
    ['group 14 prime, g = 5', MODP_GROUP_14.p, 5n],
    ['group 16 prime, g = 3', MODP_GROUP_16.p, 3n],
    ['an odd modulus that is no known group', MODP_GROUP_14.p - 2n, 2n],
  ] as const) {
    it(`DH ${name} (group exchange): OpenSSL's pair agrees with BigInt arithmetic`, () => {
      for (let i = 0; i < 3; i++) {
        const pair = ops.dhGroup(p, g, 512)!;
        expect(pair).to.not.equal(null);
        expect(pair.publicKey > 1n && pair.publicKey < p - 1n).to.equal(true);
        const y = BigInt('0x' + Buffer.from(rnd(64)).toString('hex'));
        expect(pair.shared(modPow(g, y, p))).to.equal(modPow(pair.publicKey, y, p));
      }
    });
  }

  it('DH: a pair the provider cannot take is null (BigInt computes it)', () => {
    expect(ops.dhGroup(MODP_GROUP_14.p + 1n, 2n, 512)).to.equal(null); // even modulus
    expect(ops.dhGroup(MODP_GROUP_14.p, 1n, 512)).to.equal(null);
    expect(ops.dhGroup(MODP_GROUP_14.p, MODP_GROUP_14.p - 1n, 512)).to.equal(null);
    expect(ops.dhGroup(MODP_GROUP_14.p, 5n, 2048)).to.equal(null); // exponent as large as p
  });

  it('digest: SHA-1/256/384/512 equal noble; providerHash uses it for those four and leaves any other hash alone', () => {
    const hashes = { sha1, sha256, sha384, sha512 } as const;
    for (const len of [0, 1, 111, 112, 128, 4099]) {
      const data = rnd(len);
      for (const [name, fn] of Object.entries(hashes)) {
        expect(hex(ops.digest!(name as keyof typeof hashes, data)), `${name} ${len}`).to.equal(hex(fn(data)));
        const viaProvider = providerHash(fn, ops);
        expect(viaProvider).to.not.equal(fn);
        expect(hex(viaProvider(data))).to.equal(hex(fn(data)));
        expect(providerHash(fn, undefined)).to.equal(fn);
      }
    }
    const other = (d: Uint8Array): Uint8Array => d;
    expect(providerHash(other, ops)).to.equal(other);
  });

  it("sntrup761 with the provider's SHA-512: the same keys, ciphertexts and secrets as with noble's", () => {
    const nodeSha512 = providerHash(sha512, ops);
    const a = sntrupKeypair(seededRandom('sntrup-k'));
    const b = sntrupKeypair(seededRandom('sntrup-k'), nodeSha512);
    expect(hex(b.publicKey)).to.equal(hex(a.publicKey));
    expect(hex(b.secretKey)).to.equal(hex(a.secretKey));
    const e1 = sntrupEncapsulate(a.publicKey, seededRandom('sntrup-e'));
    const e2 = sntrupEncapsulate(a.publicKey, seededRandom('sntrup-e'), nodeSha512);
    expect(hex(e2.cipherText)).to.equal(hex(e1.cipherText));
    expect(hex(e2.sharedSecret)).to.equal(hex(e1.sharedSecret));
    expect(hex(sntrupDecapsulate(e1.cipherText, a.secretKey, nodeSha512))).to.equal(hex(e1.sharedSecret));
    // implicit rejection takes the same path with either hash
    const bad = e1.cipherText.slice();
    bad[0]! ^= 1;
    expect(hex(sntrupDecapsulate(bad, a.secretKey, nodeSha512))).to.equal(hex(sntrupDecapsulate(bad, a.secretKey)));
  });

  it('the node provider carries these ops; the pure provider has none', () => {
    expect(nodeProvider.publicKey).to.equal(ops);
    expect(pureProvider.publicKey).to.equal(undefined);
  });

  // Every kex: a client computing with node:crypto against a pure server reaches the same K and H.
  for (const name of [...KEX_ALGORITHMS.keys()]) {
    it(`kex ${name}: node:crypto client and pure server agree on K and H`, async () => {
      const alg = KEX_ALGORITHMS.get(name)!;
      const pair = memKexPair();
      const [c, s] = await Promise.all([
        alg.client(pair.client, MAGICS, seededRandom(`c-${name}`), { publicKey: ops, gexMin: 2048, gexPreferred: 2048, gexMax: 2048 }),
        alg.server(pair.server, MAGICS, HOST_KEY, seededRandom(`s-${name}`)),
      ]);
      expect(hex(c.K)).to.equal(hex(s.K));
      expect(hex(c.H)).to.equal(hex(s.H));
    });
  }
});
