import { expect } from 'chai';
import { DEFAULT_KEX, INSECURE_KEX, KEX_ALGORITHMS, SUPPORTED_KEX, getKex } from '../../../src/kex/index.js';
import { HOST_KEY, MAGICS, hex, memKexPair, seededRandom } from './helpers.js';

const HASH_LEN: Record<string, number> = {
  'mlkem768x25519-sha256': 32,
  'sntrup761x25519-sha512': 64,
  'sntrup761x25519-sha512@openssh.com': 64,
  'curve25519-sha256': 32,
  'curve25519-sha256@libssh.org': 32,
  'ecdh-sha2-nistp256': 32,
  'ecdh-sha2-nistp384': 48,
  'ecdh-sha2-nistp521': 64,
  'diffie-hellman-group-exchange-sha256': 32,
  'diffie-hellman-group16-sha512': 64,
  'diffie-hellman-group18-sha512': 64,
  'diffie-hellman-group14-sha256': 32,
  'diffie-hellman-group14-sha1': 20,
  'diffie-hellman-group-exchange-sha1': 20,
  'diffie-hellman-group1-sha1': 20,
};

const HYBRID = new Set(['mlkem768x25519-sha256', 'sntrup761x25519-sha512', 'sntrup761x25519-sha512@openssh.com']);

describe('kex registry', () => {
  it('DEFAULT_KEX is the OpenSSH 10 client order: post-quantum hybrids first', () => {
    expect(DEFAULT_KEX).to.deep.equal([
      'mlkem768x25519-sha256',
      'sntrup761x25519-sha512',
      'sntrup761x25519-sha512@openssh.com',
      'curve25519-sha256',
      'curve25519-sha256@libssh.org',
      'ecdh-sha2-nistp256',
      'ecdh-sha2-nistp384',
      'ecdh-sha2-nistp521',
      'diffie-hellman-group-exchange-sha256',
      'diffie-hellman-group16-sha512',
      'diffie-hellman-group18-sha512',
      'diffie-hellman-group14-sha256',
    ]);
  });

  it('every listed name is registered under its own name, and every registration is listed', () => {
    for (const name of [...DEFAULT_KEX, ...INSECURE_KEX, ...SUPPORTED_KEX]) {
      expect(KEX_ALGORITHMS.get(name)?.name, name).to.equal(name);
    }
    expect([...KEX_ALGORITHMS.keys()].sort()).to.deep.equal([...SUPPORTED_KEX].sort());
    expect(SUPPORTED_KEX).to.have.length(15);
    expect(new Set(SUPPORTED_KEX).size).to.equal(SUPPORTED_KEX.length);
  });

  it('marks exactly the SHA-1 and 1024-bit methods insecure, and keeps them out of the defaults', () => {
    expect(INSECURE_KEX).to.deep.equal(['diffie-hellman-group14-sha1', 'diffie-hellman-group-exchange-sha1', 'diffie-hellman-group1-sha1']);
    for (const [name, alg] of KEX_ALGORITHMS) {
      expect(Boolean(alg.insecure), name).to.equal(INSECURE_KEX.includes(name));
      if (alg.insecure) expect(DEFAULT_KEX).not.to.include(name);
    }
  });

  it('each method hashes with the hash its RFC names', () => {
    for (const [name, alg] of KEX_ALGORITHMS) {
      expect(alg.hash(new Uint8Array(3)).length, name).to.equal(HASH_LEN[name]);
    }
  });

  it('the lists are frozen', () => {
    for (const list of [DEFAULT_KEX, INSECURE_KEX, SUPPORTED_KEX]) expect(Object.isFrozen(list)).to.equal(true);
    expect(() => (DEFAULT_KEX as string[]).push('test-kex@puressh')).to.throw(TypeError);
  });
});

describe('kex client vs server over an in-memory pair', () => {
  for (const name of SUPPORTED_KEX) {
    it(`${name}: both sides agree on K and H`, async () => {
      const alg = KEX_ALGORITHMS.get(name)!;
      const pair = memKexPair();
      const [c, s] = await Promise.all([
        alg.client(pair.client, MAGICS, seededRandom(`client ${name}`)),
        alg.server(pair.server, MAGICS, HOST_KEY, seededRandom(`server ${name}`)),
      ]);
      expect(hex(c.K)).to.equal(hex(s.K));
      expect(hex(c.H)).to.equal(hex(s.H));
      expect(c.H.length).to.equal(HASH_LEN[name]);
      expect(hex(c.hostKey)).to.equal(hex(HOST_KEY.blob));
      expect(hex(c.signature)).to.equal(hex(s.signature));
      expect(hex(c.signature)).to.equal(hex(HOST_KEY.sign(c.H) as Uint8Array));
      const len = new DataView(c.K.buffer, c.K.byteOffset).getUint32(0);
      expect(len).to.equal(c.K.length - 4);
      if (HYBRID.has(name)) {
        // Hybrid K is a string holding the hash output (draft-ietf-sshm-mlkem-hybrid-kex).
        expect(len).to.equal(HASH_LEN[name]);
      } else {
        // Classic K is an mpint: non-negative, minimal
        expect(c.K[4]! & 0x80).to.equal(0);
        if (len > 1) expect(c.K[4] === 0 && (c.K[5]! & 0x80) === 0).to.equal(false);
      }
      // fresh randomness gives a different exchange
      const pair2 = memKexPair();
      const [c2] = await Promise.all([
        alg.client(pair2.client, MAGICS, seededRandom(`client2 ${name}`)),
        alg.server(pair2.server, MAGICS, HOST_KEY, seededRandom(`server ${name}`)),
      ]);
      expect(hex(c2.H)).not.to.equal(hex(c.H));
    });
  }

  it('group exchange honours the client size options (4096-bit group when min is 3072)', async () => {
    const alg = getKex('diffie-hellman-group-exchange-sha256')!;
    const pair = memKexPair();
    const [c, s] = await Promise.all([
      alg.client(pair.client, MAGICS, seededRandom('gex c'), { gexMin: 3072, gexPreferred: 4096, gexMax: 4096 }),
      alg.server(pair.server, MAGICS, HOST_KEY, seededRandom('gex s')),
    ]);
    expect(hex(c.H)).to.equal(hex(s.H));
    // GROUP message: byte 31, mpint p (4096 bits -> 513 bytes with the 0x00 sign byte)
    const group = pair.serverSent[0]!;
    expect(group[0]).to.equal(31);
    expect(new DataView(group.buffer).getUint32(1)).to.equal(513);
  });
});
