import { expect } from 'chai';
import { createCipheriv } from 'node:crypto';
import { MacError, SshError } from '../../../src/errors.js';
import {
  CIPHERS,
  DEFAULT_CIPHERS,
  SUPPORTED_CIPHERS,
  getCipher,
  keySizes,
  type AeadCipherState,
  type BlockCipherState,
} from '../../../src/transport/cipher/index.js';
import { layeredProvider } from '../../../src/crypto/provider.js';
import { PacketEncoder } from '../../../src/transport/codec.js';
import { chachaPolySealRef, concat, hex, poly1305Ref, prng, u32be, unhex } from './helpers.js';

const rng = prng(0xc1fe);

/** One node:crypto stream over all the data: what our per-packet calls must add up to. */
function nodeStream(alg: string, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const c = createCipheriv(alg, key, iv);
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}

describe('transport/cipher registry', () => {
  it('every DEFAULT and SUPPORTED name is registered, under its own name', () => {
    for (const name of [...DEFAULT_CIPHERS, ...SUPPORTED_CIPHERS]) {
      expect(CIPHERS.has(name), name).to.equal(true);
      expect(CIPHERS.get(name)!.name).to.equal(name);
    }
    for (const name of DEFAULT_CIPHERS) expect(SUPPORTED_CIPHERS).to.include(name);
    expect([...CIPHERS.keys()].sort()).to.deep.equal([...SUPPORTED_CIPHERS].sort());
  });

  it('defaults follow OpenSSH order and contain nothing insecure', () => {
    expect(DEFAULT_CIPHERS).to.deep.equal([
      'chacha20-poly1305@openssh.com',
      'aes128-ctr',
      'aes192-ctr',
      'aes256-ctr',
      'aes128-gcm@openssh.com',
      'aes256-gcm@openssh.com',
    ]);
    for (const name of DEFAULT_CIPHERS) expect(CIPHERS.get(name)!.insecure, name).to.equal(false);
    for (const name of ['aes128-cbc', 'aes192-cbc', 'aes256-cbc']) expect(CIPHERS.get(name)!.insecure).to.equal(true);
  });

  it('descriptors carry the sizes OpenSSH uses', () => {
    const table: Record<string, [number, number, number, number, boolean]> = {
      'chacha20-poly1305@openssh.com': [64, 0, 8, 16, true],
      'aes128-ctr': [16, 16, 16, 0, false],
      'aes192-ctr': [24, 16, 16, 0, false],
      'aes256-ctr': [32, 16, 16, 0, false],
      'aes128-gcm@openssh.com': [16, 12, 16, 16, true],
      'aes256-gcm@openssh.com': [32, 12, 16, 16, true],
      'aes128-cbc': [16, 16, 16, 0, false],
      'aes192-cbc': [24, 16, 16, 0, false],
      'aes256-cbc': [32, 16, 16, 0, false],
    };
    for (const [name, [k, iv, bs, tag, aead]] of Object.entries(table)) {
      const c = CIPHERS.get(name)!;
      expect([c.keyLength, c.ivLength, c.blockSize, c.tagLength, c.aead], name).to.deep.equal([k, iv, bs, tag, aead]);
      expect(Object.isFrozen(c), name).to.equal(true);
    }
  });

  it('keySizes: MAC key length from the MAC, 0 for AEAD', () => {
    expect(keySizes('aes256-ctr', 'hmac-sha2-512')).to.deep.equal({ keyLength: 32, ivLength: 16, macKeyLength: 64 });
    expect(keySizes('aes128-cbc', 'hmac-sha1-96')).to.deep.equal({ keyLength: 16, ivLength: 16, macKeyLength: 20 });
    expect(keySizes('aes128-gcm@openssh.com', '')).to.deep.equal({ keyLength: 16, ivLength: 12, macKeyLength: 0 });
    expect(keySizes('chacha20-poly1305@openssh.com', 'hmac-sha1')).to.deep.equal({
      keyLength: 64,
      ivLength: 0,
      macKeyLength: 0,
    });
    expect(() => keySizes('rc4', 'hmac-sha1'))
      .to.throw(SshError)
      .with.property('code', 'ALGO_UNSUPPORTED');
    expect(() => keySizes('aes128-ctr', 'umac-32@openssh.com'))
      .to.throw(SshError)
      .with.property('code', 'ALGO_UNSUPPORTED');
  });

  it('the lists are frozen; another implementation comes from a provider, keeping the descriptor', () => {
    for (const list of [DEFAULT_CIPHERS, SUPPORTED_CIPHERS]) expect(Object.isFrozen(list)).to.equal(true);
    const original = getCipher('aes128-ctr');
    let created = 0;
    const counting = layeredProvider('counting', {
      ciphers: new Map([
        [
          'aes128-ctr',
          (key: Uint8Array, iv: Uint8Array) => {
            created++;
            return original.create(key, iv);
          },
        ],
      ]),
    });
    const enc = new PacketEncoder(() => new Uint8Array(0), { provider: counting });
    enc.setKeys({ cipher: 'aes128-ctr', mac: 'hmac-sha2-256', key: new Uint8Array(16), iv: new Uint8Array(16), macKey: new Uint8Array(32) });
    expect(created).to.equal(1);
    expect(getCipher('aes128-ctr')).to.equal(original);
    expect(counting.cipher!('aes256-ctr')).to.equal(undefined);
  });

  it('rejects keys and IVs of the wrong length with a typed error', () => {
    for (const c of CIPHERS.values()) {
      expect(() => c.create(new Uint8Array(c.keyLength + 1), new Uint8Array(c.ivLength)), c.name).to.throw(SshError);
      expect(() => c.create(new Uint8Array(c.keyLength), new Uint8Array(c.ivLength + 1)), c.name).to.throw(SshError);
    }
  });
});

describe('transport/cipher AES-CTR (RFC 4344) vs node:crypto', () => {
  for (const [name, bits] of [
    ['aes128-ctr', 128],
    ['aes192-ctr', 192],
    ['aes256-ctr', 256],
  ] as const) {
    it(`${name}: one keystream across many calls, counter carried over (the low word into the next, and the 128-bit wrap)`, () => {
      const c = getCipher(name);
      for (const ivHex of ['', 'ffffffffffffffffffffffffffffffff', '00000000000000fffffffffffffffffe', '0123456789abcdef01234567fffffffd']) {
        const key = rng.bytes(c.keyLength);
        const iv = ivHex ? unhex(ivHex) : rng.bytes(16);
        const sizes = [16, 32, 4096, 16, 48, 0, 160, 35008];
        const plain = rng.bytes(sizes.reduce((a, b) => a + b, 0));
        const expected = nodeStream(`aes-${bits}-ctr`, key, iv, plain);
        const enc = c.create(key, iv) as BlockCipherState;
        const dec = c.create(key, iv) as BlockCipherState;
        expect(enc.kind).to.equal('block');
        const work = plain.slice();
        let off = 0;
        for (const n of sizes) {
          enc.encrypt(work.subarray(off, off + n));
          off += n;
        }
        expect(hex(work)).to.equal(hex(expected));
        off = 0;
        for (const n of sizes) {
          dec.decrypt(work.subarray(off, off + n));
          off += n;
        }
        expect(hex(work)).to.equal(hex(plain));
      }
    });
  }

  it('works on unaligned views and refuses partial blocks', () => {
    const c = getCipher('aes128-ctr');
    const key = rng.bytes(16);
    const iv = rng.bytes(16);
    const buf = rng.bytes(65);
    const plain = buf.slice(1);
    const enc = c.create(key, iv) as BlockCipherState;
    enc.encrypt(buf.subarray(1));
    expect(hex(buf.subarray(1))).to.equal(hex(nodeStream('aes-128-ctr', key, iv, plain)));
    expect(() => enc.encrypt(new Uint8Array(15))).to.throw(SshError);
  });
});

describe('transport/cipher AES-CBC (RFC 4253 §6.3) vs node:crypto', () => {
  for (const [name, bits] of [
    ['aes128-cbc', 128],
    ['aes192-cbc', 192],
    ['aes256-cbc', 256],
  ] as const) {
    it(`${name}: IV chains across calls`, () => {
      const c = getCipher(name);
      const key = rng.bytes(c.keyLength);
      const iv = rng.bytes(16);
      const sizes = [16, 64, 4096, 32, 0, 1024];
      const plain = rng.bytes(sizes.reduce((a, b) => a + b, 0));
      const expected = nodeStream(`aes-${bits}-cbc`, key, iv, plain);
      const enc = c.create(key, iv) as BlockCipherState;
      const dec = c.create(key, iv) as BlockCipherState;
      const work = plain.slice();
      let off = 0;
      for (const n of sizes) {
        enc.encrypt(work.subarray(off, off + n));
        off += n;
      }
      expect(hex(work)).to.equal(hex(expected));
      // decrypt with different splits: chaining must not depend on how calls are cut
      const splits = [16, 16, 48, 4096, 1056];
      off = 0;
      for (const n of splits) {
        dec.decrypt(work.subarray(off, off + n));
        off += n;
      }
      expect(hex(work)).to.equal(hex(plain));
    });
  }
});

describe('transport/cipher AES-GCM (RFC 5647) vs node:crypto', () => {
  for (const [name, bits] of [
    ['aes128-gcm@openssh.com', 128],
    ['aes256-gcm@openssh.com', 256],
  ] as const) {
    it(`${name}: length as AAD, nonce = fixed ‖ invocation counter (+1 per packet, 64-bit wrap)`, () => {
      const c = getCipher(name);
      const key = rng.bytes(c.keyLength);
      // invocation counter starts near 2^64 to exercise the wrap, which must not touch the fixed field
      const iv = unhex('0a0b0c0d' + 'fffffffffffffffe');
      const enc = c.create(key, iv) as AeadCipherState;
      const dec = c.create(key, iv) as AeadCipherState;
      expect(enc.kind).to.equal('aead');
      const nonces = ['0a0b0c0dfffffffffffffffe', '0a0b0c0dffffffffffffffff', '0a0b0c0d0000000000000000', '0a0b0c0d0000000000000001'];
      for (const [i, nonceHex] of nonces.entries()) {
        const body = rng.bytes(16 * (1 + i * 3));
        const len = u32be(body.length);
        const packet = concat(len, body, new Uint8Array(16));
        enc.seal(1000 + i, packet);
        const g = createCipheriv(`aes-${bits}-gcm`, key, unhex(nonceHex));
        g.setAAD(len);
        const ct = Buffer.concat([g.update(body), g.final()]);
        expect(hex(packet), `packet ${i}`).to.equal(hex(concat(len, ct, g.getAuthTag())));
        expect(dec.decryptLength(0, packet.subarray(0, 4))).to.equal(body.length);
        dec.open(0, packet);
        expect(hex(packet.subarray(4, 4 + body.length))).to.equal(hex(body));
      }
    });

    it(`${name}: a stream of packets at every alignment in their buffers, both ways, as node:crypto`, () => {
      const c = getCipher(name);
      const key = rng.bytes(c.keyLength);
      const iv = rng.bytes(12);
      const enc = c.create(key, iv) as AeadCipherState;
      const dec = c.create(key, iv) as AeadCipherState;
      const nonce = iv.slice();
      for (let i = 0; i < 24; i++) {
        const body = rng.bytes(16 * (1 + rng.int(40)));
        const len = u32be(body.length);
        // The packet sits at offset i % 8 of a larger buffer, as the decoder's views do.
        const at = i % 8;
        const buffer = new Uint8Array(at + 4 + body.length + 16 + 3);
        const packet = buffer.subarray(at, at + 4 + body.length + 16);
        packet.set(concat(len, body));
        enc.seal(i, packet);
        const g = createCipheriv(`aes-${bits}-gcm`, key, nonce);
        g.setAAD(len);
        const ct = Buffer.concat([g.update(body), g.final()]);
        expect(hex(packet), `packet ${i}`).to.equal(hex(concat(len, ct, g.getAuthTag())));
        dec.open(i, packet);
        expect(hex(packet.subarray(4, 4 + body.length)), `packet ${i}`).to.equal(hex(body));
        for (let k = 11; k >= 4 && ++nonce[k]! === 256; k--) nonce[k] = 0;
      }
    });

    it(`${name}: any changed byte (length, body or tag) → MacError`, () => {
      const c = getCipher(name);
      const key = rng.bytes(c.keyLength);
      const iv = rng.bytes(12);
      const body = rng.bytes(64);
      const sealed = concat(u32be(64), body, new Uint8Array(16));
      (c.create(key, iv) as AeadCipherState).seal(0, sealed);
      for (const pos of [0, 3, 4, 40, 67, 68, 83]) {
        const bad = sealed.slice();
        bad[pos]! ^= 0x01;
        expect(() => (c.create(key, iv) as AeadCipherState).open(0, bad), `pos ${pos}`).to.throw(MacError);
      }
    });
  }
});

describe('transport/cipher chacha20-poly1305@openssh.com (PROTOCOL.chacha20poly1305)', () => {
  it('the reference Poly1305 matches RFC 8439 §2.5.2', () => {
    const key = unhex('85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b');
    const msg = new TextEncoder().encode('Cryptographic Forum Research Group');
    expect(hex(poly1305Ref(key, msg))).to.equal('a8061dc1305136c6c22b8baf0c0127a9');
  });

  it('seal matches the reference construction (node:crypto ChaCha20 + BigInt Poly1305)', () => {
    const c = getCipher('chacha20-poly1305@openssh.com');
    const key = rng.bytes(64);
    const enc = c.create(key, new Uint8Array(0)) as AeadCipherState;
    const dec = c.create(key, new Uint8Array(0)) as AeadCipherState;
    for (const seq of [0, 1, 7, 0x7fffffff, 0xfffffffe, 0xffffffff]) {
      const body = rng.bytes(8 * (1 + rng.int(300)));
      const plain = concat(u32be(body.length), body);
      const packet = concat(plain, new Uint8Array(16));
      enc.seal(seq, packet);
      expect(hex(packet), `seq ${seq}`).to.equal(hex(chachaPolySealRef(key, seq, plain)));
      expect(dec.decryptLength(seq, packet.subarray(0, 4))).to.equal(body.length);
      // decryptLength has no side effects: asking twice gives the same answer
      expect(dec.decryptLength(seq, packet.subarray(0, 4))).to.equal(body.length);
      dec.open(seq, packet);
      expect(hex(packet.subarray(0, 4 + body.length))).to.equal(hex(plain));
    }
  });

  it('open rejects a changed byte anywhere, and the wrong sequence number', () => {
    const c = getCipher('chacha20-poly1305@openssh.com');
    const key = rng.bytes(64);
    const body = rng.bytes(32);
    const sealed = concat(u32be(32), body, new Uint8Array(16));
    (c.create(key, new Uint8Array(0)) as AeadCipherState).seal(5, sealed);
    for (let pos = 0; pos < sealed.length; pos++) {
      const bad = sealed.slice();
      bad[pos]! ^= 0x80;
      expect(() => (c.create(key, new Uint8Array(0)) as AeadCipherState).open(5, bad), `pos ${pos}`).to.throw(MacError);
    }
    expect(() => (c.create(key, new Uint8Array(0)) as AeadCipherState).open(6, sealed.slice())).to.throw(MacError);
    (c.create(key, new Uint8Array(0)) as AeadCipherState).open(5, sealed);
    expect(hex(sealed.subarray(4, 36))).to.equal(hex(body));
  });
});

describe('transport/cipher dispose', () => {
  it('every cipher state can be disposed', () => {
    for (const c of CIPHERS.values()) {
      const s = c.create(rng.bytes(c.keyLength), rng.bytes(c.ivLength));
      s.dispose();
    }
  });
});
