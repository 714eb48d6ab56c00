/** Base64 / PEM helpers, bigint arithmetic, fingerprints and the algorithm registry. */
import { expect } from 'chai';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { bitLength, modInverse, modPow } from '../../../src/crypto/bigint.js';
import { base64Decode, base64Encode, pemDecode, pemEncode, toHex } from '../../../src/crypto/encoding.js';
import { fingerprintMD5, fingerprintSHA256, hostKeyHash } from '../../../src/crypto/fingerprint.js';
import {
  DEFAULT_HOSTKEY_ALGORITHMS,
  HOSTKEY_ALGORITHMS,
  INSECURE_HOSTKEY_ALGORITHMS,
  KEY_TYPES,
  SECURITY_KEY_ALGORITHMS,
  SUPPORTED_CERT_ALGORITHMS,
  SUPPORTED_HOSTKEY_ALGORITHMS,
  keyTypeForAlgorithm,
  signatureAlgorithmsForKeyType,
} from '../../../src/crypto/keys/index.js';
import { KeyError } from '../../../src/errors.js';

describe('crypto/encoding: base64', () => {
  it('RFC 4648 §10 vectors', () => {
    const v: [string, string][] = [
      ['', ''],
      ['f', 'Zg=='],
      ['fo', 'Zm8='],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg=='],
      ['fooba', 'Zm9vYmE='],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, enc] of v) {
      const bytes = new TextEncoder().encode(plain);
      expect(base64Encode(bytes)).to.equal(enc);
      expect(base64Encode(bytes, false)).to.equal(enc.replace(/=+$/, ''));
      expect(base64Decode(enc)).to.deep.equal(bytes);
      expect(base64Decode(enc.replace(/=+$/, ''))).to.deep.equal(bytes);
    }
  });

  it('matches node Buffer for random data, with and without padding and line breaks', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        const ref = Buffer.from(data).toString('base64');
        expect(base64Encode(data)).to.equal(ref);
        expect(base64Decode(ref)).to.deep.equal(data);
        expect(base64Decode(ref.replace(/.{1,64}/g, '$&\r\n'))).to.deep.equal(data);
      }),
    );
  });

  it('rejects bad characters, bad padding, a dangling char, non-zero trailing bits', () => {
    for (const bad of ['Zm9v!', 'Zg=', 'Zg===', 'Z', 'Zm9vY', 'Zh==', 'Zm9=', '=Zg', 'Zg==Zg==', 'Zm8=a', 'é']) {
      expect(() => base64Decode(bad), bad).to.throw(KeyError);
    }
  });

  it('random strings decode or throw KeyError, never anything else', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        try {
          base64Decode(s);
        } catch (e) {
          expect(e).to.be.instanceOf(KeyError);
        }
      }),
    );
  });
});

describe('crypto/encoding: PEM armor', () => {
  it('round-trips, finds the block after leading text, returns headers', () => {
    const data = new Uint8Array(200).map((_, i) => i);
    const armored = pemEncode('OPENSSH PRIVATE KEY', data);
    expect(armored.split('\n')[1]!.length).to.equal(70);
    const block = pemDecode('garbage before\n' + armored.replace(/\n/g, '\r\n'));
    expect(block.label).to.equal('OPENSSH PRIVATE KEY');
    expect(block.data).to.deep.equal(data);
    const legacy = pemDecode('-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00FF\n\nAAEC\n-----END RSA PRIVATE KEY-----\n');
    expect(legacy.headers.get('Proc-Type')).to.equal('4,ENCRYPTED');
    expect(legacy.headers.get('DEK-Info')).to.equal('AES-128-CBC,00FF');
    expect(legacy.data).to.deep.equal(new Uint8Array([0, 1, 2]));
  });

  it('rejects a missing BEGIN, a mismatched END, a bad body', () => {
    expect(() => pemDecode('hello')).to.throw(KeyError, /BEGIN/);
    expect(() => pemDecode('-----BEGIN A-----\nAAAA\n-----END B-----')).to.throw(KeyError, /END A/);
    expect(() => pemDecode('-----BEGIN A-----\nA*AA\n-----END A-----')).to.throw(KeyError);
  });
});

describe('crypto/bigint', () => {
  it('modPow and modInverse agree with naive arithmetic', () => {
    fc.assert(
      fc.property(fc.bigInt(0n, 1n << 200n), fc.bigInt(0n, 1n << 64n), fc.bigInt(2n, 1n << 128n), (b, e, m) => {
        let naive = 1n;
        let base = b % m;
        let k = e;
        while (k > 0n) {
          if (k & 1n) naive = (naive * base) % m;
          base = (base * base) % m;
          k >>= 1n;
        }
        expect(modPow(b, e, m)).to.equal(naive);
        const p = 0xffffffffffffffffffffffffffffff61n; // prime
        const a = (b % (p - 1n)) + 1n;
        expect((modInverse(a, p) * a) % p).to.equal(1n);
      }),
    );
    expect(modPow(5n, 0n, 7n)).to.equal(1n);
    expect(modPow(-2n, 3n, 7n)).to.equal(6n);
    expect(() => modInverse(6n, 9n)).to.throw(RangeError);
    expect(bitLength(0n)).to.equal(0);
    expect(bitLength(255n)).to.equal(8);
    expect(bitLength(256n)).to.equal(9);
  });
});

describe('crypto/fingerprint', () => {
  it('formats SHA256 (unpadded base64) and MD5 (colon hex) of the blob; raw hashes match node', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (blob) => {
        const sha = createHash('sha256').update(blob).digest();
        expect(fingerprintSHA256(blob)).to.equal('SHA256:' + sha.toString('base64').replace(/=+$/, ''));
        const md5 = createHash('md5').update(blob).digest();
        expect(fingerprintMD5(blob)).to.equal('MD5:' + md5.toString('hex').replace(/(..)(?!$)/g, '$1:'));
        for (const h of ['md5', 'sha1', 'sha256'] as const) {
          expect(Buffer.from(hostKeyHash(blob, h)).equals(createHash(h).update(blob).digest())).to.equal(true);
        }
      }),
    );
    expect(toHex(new Uint8Array([0, 255, 16]), ':')).to.equal('00:ff:10');
  });
});

describe('crypto/keys registry', () => {
  it('every listed algorithm is registered, maps to a registered key type that can make it', () => {
    // Security keys (PROTOCOL.u2f) sign user authentication only; they are no host-key algorithms to offer.
    for (const name of [...SUPPORTED_HOSTKEY_ALGORITHMS, ...SUPPORTED_CERT_ALGORITHMS, ...SECURITY_KEY_ALGORITHMS]) {
      const a = HOSTKEY_ALGORITHMS.get(name);
      expect(a, name).to.not.equal(undefined);
      expect(a!.name).to.equal(name);
      expect(KEY_TYPES.has(a!.keyType), name).to.equal(true);
      expect(signatureAlgorithmsForKeyType(a!.keyType)).to.include(name);
    }
    expect([...HOSTKEY_ALGORITHMS.keys()].sort()).to.deep.equal(
      [...SUPPORTED_HOSTKEY_ALGORITHMS, ...SUPPORTED_CERT_ALGORITHMS, ...SECURITY_KEY_ALGORITHMS].sort(),
    );
    expect(SUPPORTED_CERT_ALGORITHMS).to.deep.equal([
      'ssh-ed25519-cert-v01@openssh.com',
      'ecdsa-sha2-nistp256-cert-v01@openssh.com',
      'ecdsa-sha2-nistp384-cert-v01@openssh.com',
      'ecdsa-sha2-nistp521-cert-v01@openssh.com',
      'rsa-sha2-512-cert-v01@openssh.com',
      'rsa-sha2-256-cert-v01@openssh.com',
      'ssh-rsa-cert-v01@openssh.com',
      'ssh-dss-cert-v01@openssh.com',
    ]);
  });

  it('defaults are OpenSSH 9 client order, without insecure algorithms', () => {
    expect(DEFAULT_HOSTKEY_ALGORITHMS).to.deep.equal([
      'ssh-ed25519',
      'ecdsa-sha2-nistp256',
      'ecdsa-sha2-nistp384',
      'ecdsa-sha2-nistp521',
      'rsa-sha2-512',
      'rsa-sha2-256',
    ]);
    expect(INSECURE_HOSTKEY_ALGORITHMS).to.deep.equal(['ssh-rsa', 'ssh-dss']);
    for (const name of DEFAULT_HOSTKEY_ALGORITHMS) expect(HOSTKEY_ALGORITHMS.get(name)!.insecure, name).to.equal(false);
    for (const name of INSECURE_HOSTKEY_ALGORITHMS) expect(HOSTKEY_ALGORITHMS.get(name)!.insecure, name).to.equal(true);
    expect(SUPPORTED_HOSTKEY_ALGORITHMS).to.deep.equal([...DEFAULT_HOSTKEY_ALGORITHMS, ...INSECURE_HOSTKEY_ALGORITHMS]);
  });

  it('keyTypeForAlgorithm / signatureAlgorithmsForKeyType', () => {
    expect(keyTypeForAlgorithm('rsa-sha2-256')).to.equal('ssh-rsa');
    expect(keyTypeForAlgorithm('rsa-sha2-512')).to.equal('ssh-rsa');
    expect(keyTypeForAlgorithm('ssh-rsa')).to.equal('ssh-rsa');
    expect(keyTypeForAlgorithm('ecdsa-sha2-nistp384')).to.equal('ecdsa-sha2-nistp384');
    expect(keyTypeForAlgorithm('ssh-ed448')).to.equal(undefined);
    expect(signatureAlgorithmsForKeyType('ssh-rsa')).to.deep.equal(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(signatureAlgorithmsForKeyType('nope')).to.deep.equal([]);
  });
});
