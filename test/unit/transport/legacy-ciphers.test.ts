/**
 * libssh2's legacy algorithm table at the transport layer: registry entries, and
 * each cipher in SSH framing byte-for-byte against OpenSSL (the cipher stream) and
 * node:crypto (the MAC), with MAC-then-encrypt and encrypt-then-MAC, IV/keystream carried
 * across packets. The every-cipher × every-MAC round-trip sweep is in codec.test.ts.
 */
import { expect } from 'chai';
import { createCipheriv, createHmac } from 'node:crypto';
import { SshError } from '../../../src/errors.js';
import { CIPHERS, DEFAULT_CIPHERS, NONE_CIPHER_NAME, SUPPORTED_CIPHERS, getCipher, keySizes } from '../../../src/transport/cipher/index.js';
import { PacketDecoder, PacketEncoder } from '../../../src/transport/codec.js';
import { DEFAULT_MACS, MACS, NONE_MAC_NAME, SUPPORTED_MACS, getMac } from '../../../src/transport/mac/index.js';
import type { DirectionKeys } from '../../../src/transport/protection.js';
import { opensslEnc, python, requireOpensslLegacy } from '../crypto/primitives-openssl.js';
import { concat, hex, prng, u32be, unhex } from './helpers.js';

const LEGACY_CIPHERS: Record<string, [key: number, iv: number, block: number]> = {
  '3des-cbc': [24, 8, 8],
  'blowfish-cbc': [16, 8, 8],
  'cast128-cbc': [16, 8, 8],
  arcfour: [16, 0, 8],
  arcfour128: [16, 0, 8],
  arcfour256: [32, 0, 8],
  'rijndael-cbc@lysator.liu.se': [32, 16, 16],
};
const LEGACY_MACS = ['hmac-ripemd160', 'hmac-ripemd160@openssh.com'];

/** The reference cipher stream: OpenSSL (or node:crypto) over all packets' bytes at once. */
function referenceStream(cipher: string, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const discarded = (f: (d: Uint8Array) => Uint8Array): Uint8Array => f(concat(new Uint8Array(1536), data)).subarray(1536);
  switch (cipher) {
    case '3des-cbc': {
      const c = createCipheriv('des-ede3-cbc', key, iv).setAutoPadding(false);
      return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
    }
    case 'rijndael-cbc@lysator.liu.se': {
      const c = createCipheriv('aes-256-cbc', key, iv).setAutoPadding(false);
      return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
    }
    case 'blowfish-cbc':
      return opensslEnc('bf-cbc', key, iv, data);
    case 'cast128-cbc':
      return opensslEnc('cast5-cbc', key, iv, data);
    case 'arcfour':
      return opensslEnc('rc4', key, null, data);
    case 'arcfour128': // RFC 4345 §4: drop 1536 keystream bytes
      return discarded((d) => opensslEnc('rc4', key, null, d));
    case 'arcfour256': // `openssl enc` cannot take a 32-byte RC4 key: python3-cryptography (OpenSSL) can
      return discarded((d) =>
        python(
          'from cryptography.hazmat.primitives.ciphers import Cipher, algorithms\nprint(Cipher(algorithms.ARC4(h("k")), None).encryptor().update(h("d")).hex())',
          {
            k: key,
            d,
          },
        ),
      );
    default:
      throw new Error(`no reference for ${cipher}`);
  }
}

const NODE_HASH: Record<string, [string, number]> = {
  'hmac-md5': ['md5', 16],
  'hmac-sha1-96-etm@openssh.com': ['sha1', 12],
  'hmac-ripemd160': ['ripemd160', 20],
  'hmac-ripemd160@openssh.com': ['ripemd160', 20],
};

function hmacRef(mac: string, key: Uint8Array, data: Uint8Array): Uint8Array {
  const [hash, len] = NODE_HASH[mac]!;
  return new Uint8Array(createHmac(hash, key).update(data).digest()).subarray(0, len);
}

describe('transport: legacy ciphers and MACs in the registries', () => {
  it('are registered under their own names with OpenSSH/libssh2 sizes, insecure, supported but never default', () => {
    for (const [name, [k, iv, bs]] of Object.entries(LEGACY_CIPHERS)) {
      const c = getCipher(name);
      expect([c.name, c.keyLength, c.ivLength, c.blockSize, c.tagLength, c.aead, c.insecure], name).to.deep.equal([name, k, iv, bs, 0, false, true]);
      expect(Object.isFrozen(c)).to.equal(true);
      expect(SUPPORTED_CIPHERS).to.include(name);
      expect(DEFAULT_CIPHERS).to.not.include(name);
    }
    for (const name of LEGACY_MACS) {
      const m = getMac(name);
      expect([m.name, m.keyLength, m.length, m.etm, m.insecure], name).to.deep.equal([name, 20, 20, false, true]);
      expect(SUPPORTED_MACS).to.include(name);
      expect(DEFAULT_MACS).to.not.include(name);
    }
    // the other legacy MACs: opt-in too
    for (const name of ['hmac-sha1-96-etm@openssh.com', 'hmac-md5-etm@openssh.com', 'hmac-md5-96-etm@openssh.com']) {
      expect(getMac(name).insecure, name).to.equal(true);
      expect(DEFAULT_MACS).to.not.include(name);
    }
  });

  it('none (cipher and MAC) is found only by name: in no table, no list', () => {
    expect(CIPHERS.has('none')).to.equal(false);
    expect(MACS.has('none')).to.equal(false);
    expect(SUPPORTED_CIPHERS).to.not.include('none');
    expect(SUPPORTED_MACS).to.not.include('none');
    expect(NONE_CIPHER_NAME).to.equal('none');
    expect(NONE_MAC_NAME).to.equal('none');
    const c = getCipher('none');
    const m = getMac('none');
    expect([c.keyLength, c.ivLength, c.blockSize, c.insecure]).to.deep.equal([0, 0, 8, true]);
    expect([m.keyLength, m.length, m.etm, m.insecure]).to.deep.equal([0, 0, false, true]);
    expect(keySizes('none', 'none')).to.deep.equal({ keyLength: 0, ivLength: 0, macKeyLength: 0 });
    expect(keySizes('3des-cbc', 'hmac-ripemd160')).to.deep.equal({ keyLength: 24, ivLength: 8, macKeyLength: 20 });
    expect(() => c.create(new Uint8Array(1), new Uint8Array(0))).to.throw(SshError);
    expect(() => m.create(new Uint8Array(1))).to.throw(SshError);
  });

  it('rijndael-cbc@lysator.liu.se is aes256-cbc under its old name', () => {
    const rng = prng(1);
    const key = rng.bytes(32);
    const iv = rng.bytes(16);
    const data = rng.bytes(160);
    const a = data.slice();
    const b = data.slice();
    const alias = getCipher('rijndael-cbc@lysator.liu.se').create(key, iv);
    const aes = getCipher('aes256-cbc').create(key, iv);
    if (alias.kind !== 'block' || aes.kind !== 'block') throw new Error('not block ciphers');
    alias.encrypt(a);
    aes.encrypt(b);
    expect(hex(a)).to.equal(hex(b));
  });

  it('hmac-ripemd160: RFC 2286 test cases 1 and 3 (the first 4 data bytes ride in the sequence number)', () => {
    const m1 = getMac('hmac-ripemd160').create(new Uint8Array(20).fill(0x0b));
    const out = new Uint8Array(20);
    m1.compute(0x48692054 /* "Hi T" */, new TextEncoder().encode('here'), out);
    expect(hex(out)).to.equal('24cb4bd67d20fc1a5d2ed7732dcc39377f0a5668');
    const m3 = getMac('hmac-ripemd160@openssh.com').create(new Uint8Array(20).fill(0xaa));
    m3.compute(0xdddddddd, new Uint8Array(46).fill(0xdd), out);
    expect(hex(out)).to.equal('b0b105360de759960ab4f35298e116e295d8e7c1');
    expect(m3.verify(0xdddddddd, new Uint8Array(46).fill(0xdd), unhex('b0b105360de759960ab4f35298e116e295d8e7c1'))).to.equal(true);
    expect(m3.verify(0xdddddddd, new Uint8Array(46).fill(0xdd), unhex('b0b105360de759960ab4f35298e116e295d8e7c0'))).to.equal(false);
  });

  it('hmac-ripemd160 matches node:crypto on random keys, sequence numbers and data', () => {
    const rng = prng(2);
    for (let i = 0; i < 50; i++) {
      const key = rng.bytes(20);
      const seq = Math.floor(rng.next() * 2 ** 32);
      const data = rng.bytes(rng.int(3000));
      const out = new Uint8Array(20);
      getMac('hmac-ripemd160').create(key).compute(seq, data, out);
      expect(hex(out)).to.equal(hex(hmacRef('hmac-ripemd160', key, concat(u32be(seq), data))));
    }
  });
});

describe('transport: legacy ciphers in SSH framing, byte for byte against OpenSSL', function () {
  before(requireOpensslLegacy);
  const padByte = 0x3c;
  const fixedRandom = (n: number): Uint8Array => new Uint8Array(n).fill(padByte);
  const PAYLOADS = [1, 7, 8, 15, 100, 1000, 5, 3000];

  /** RFC 4253 §6 padding for a payload: ≥ 4 bytes, aligned to max(8, block size), ETM excluding the length. */
  function padding(len: number, block: number, etm: boolean): number {
    const bs = Math.max(8, block);
    let p = bs - (((etm ? 0 : 4) + 1 + len) % bs);
    if (p < 4) p += bs;
    return p;
  }

  for (const cipher of Object.keys(LEGACY_CIPHERS)) {
    for (const mac of ['hmac-md5', 'hmac-sha1-96-etm@openssh.com', 'hmac-ripemd160']) {
      const etm = mac.includes('-etm@');
      it(`${cipher} + ${mac} (${etm ? 'encrypt-then-MAC' : 'MAC-then-encrypt'}): ${PAYLOADS.length} packets`, () => {
        const rng = prng(cipher.length * 131 + mac.length);
        const sizes = keySizes(cipher, mac);
        const keys: DirectionKeys = { cipher, mac, key: rng.bytes(sizes.keyLength), iv: rng.bytes(sizes.ivLength), macKey: rng.bytes(sizes.macKeyLength) };
        const start = 0xfffffffd; // crosses the 2^32 sequence wrap
        const enc = new PacketEncoder(fixedRandom, { initialSequence: start });
        enc.setKeys(keys);
        const payloads = PAYLOADS.map((n) => rng.bytes(n));
        const wires = payloads.map((p) => enc.encode(p));

        // Expected: plaintext packets, one cipher stream over all of them (the chain / keystream
        // carries across packets), then each packet's MAC over seq ‖ plaintext or ‖ ciphertext.
        const block = LEGACY_CIPHERS[cipher]![2];
        const plains = payloads.map((p) => {
          const pad = padding(p.length, block, etm);
          return concat(u32be(1 + p.length + pad), new Uint8Array([pad]), p, fixedRandom(pad));
        });
        const encrypted = referenceStream(cipher, keys.key, keys.iv, concat(...plains.map((p) => (etm ? p.subarray(4) : p))));
        let off = 0;
        plains.forEach((plain, i) => {
          const seq = (start + i) >>> 0;
          const n = etm ? plain.length - 4 : plain.length;
          const ct = encrypted.subarray(off, off + n);
          off += n;
          const expected = etm
            ? concat(plain.subarray(0, 4), ct, hmacRef(mac, keys.macKey, concat(u32be(seq), plain.subarray(0, 4), ct)))
            : concat(ct, hmacRef(mac, keys.macKey, concat(u32be(seq), plain)));
          if (hex(wires[i]!) !== hex(expected)) expect.fail(`packet ${i} (payload ${payloads[i]!.length} bytes) differs from the reference`);
        });
        expect(off).to.equal(encrypted.length);

        // and our decoder reads the reference bytes back
        const dec = new PacketDecoder({ initialSequence: start });
        dec.setKeys(keys);
        dec.push(concat(...wires));
        for (const p of payloads) expect(hex(dec.next()!)).to.equal(hex(p));
        expect(dec.next()).to.equal(null);
        expect(dec.sequence).to.equal((start + payloads.length) >>> 0);
      });
    }
  }

  it('none + none: the packet is the plaintext, 8-byte aligned, no tag; damage goes unnoticed (that is what none means)', () => {
    const keys: DirectionKeys = { cipher: 'none', mac: 'none', key: new Uint8Array(0), iv: new Uint8Array(0), macKey: new Uint8Array(0) };
    const enc = new PacketEncoder(fixedRandom);
    enc.setKeys(keys);
    const payload = new Uint8Array([94, 1, 2, 3, 4]);
    const wire = enc.encode(payload); // 4+1+5 = 10 → padding 6
    expect(hex(wire)).to.equal('0000000c' + '06' + '5e01020304' + '3c'.repeat(6));
    const dec = new PacketDecoder();
    dec.setKeys(keys);
    const damaged = wire.slice();
    damaged[6]! ^= 0xff;
    dec.push(concat(wire, damaged));
    expect(hex(dec.next()!)).to.equal('5e01020304');
    expect(hex(dec.next()!)).to.equal('5efe020304');
  });

  it('none cipher + hmac-sha1, and 3des-cbc + none MAC, round-trip (the MAC still guards the clear packet)', () => {
    const rng = prng(5);
    for (const [cipher, mac] of [
      ['none', 'hmac-sha1'],
      ['3des-cbc', 'none'],
    ] as const) {
      const s = keySizes(cipher, mac);
      const keys: DirectionKeys = { cipher, mac, key: rng.bytes(s.keyLength), iv: rng.bytes(s.ivLength), macKey: rng.bytes(s.macKeyLength) };
      const enc = new PacketEncoder(rng.bytes);
      const dec = new PacketDecoder();
      enc.setKeys(keys);
      dec.setKeys(keys);
      const payloads = [rng.bytes(10), rng.bytes(2000)];
      dec.push(concat(...payloads.map((p) => enc.encode(p))));
      for (const p of payloads) expect(hex(dec.next()!), `${cipher} + ${mac}`).to.equal(hex(p));
    }
  });
});
