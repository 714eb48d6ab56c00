import { expect } from 'chai';
import { createCipheriv, createHmac } from 'node:crypto';
import { MacError, ProtocolError, SshError } from '../../../src/errors.js';
import { CIPHERS } from '../../../src/transport/cipher/index.js';
import { PACKET_MAX_SIZE, PacketDecoder, PacketEncoder, keySizes } from '../../../src/transport/codec.js';
import { MACS } from '../../../src/transport/mac/index.js';
import type { DirectionKeys } from '../../../src/transport/protection.js';
import { chachaPolySealRef, concat, hex, prng, u32be } from './helpers.js';

type Rng = ReturnType<typeof prng>;

function makeKeys(rng: Rng, cipher: string, mac: string): DirectionKeys {
  const sizes = keySizes(cipher, mac);
  return { cipher, mac, key: rng.bytes(sizes.keyLength), iv: rng.bytes(sizes.ivLength), macKey: rng.bytes(sizes.macKeyLength) };
}

/** Every cipher with every MAC; AEAD ciphers once (their MAC name is ignored). */
function combos(): [string, string][] {
  const out: [string, string][] = [];
  for (const c of CIPHERS.values()) {
    if (c.aead) out.push([c.name, '']);
    else for (const m of MACS.keys()) out.push([c.name, m]);
  }
  return out;
}

/** Where the packet_length can be changed by tampering: the first cipher block for MtE, else 4 bytes. */
function lengthRegion(cipher: string, mac: string): number {
  const c = CIPHERS.get(cipher)!;
  return !c.aead && !MACS.get(mac)!.etm ? c.blockSize : 4;
}

/** Pull every available payload. */
function drain(dec: PacketDecoder, out: Uint8Array[]): void {
  for (let p = dec.next(); p !== null; p = dec.next()) out.push(p);
}

/** The packet_length field's alignment rule for a mode (RFC 4253 §6; ETM/AEAD exclude the length). */
function checkFraming(wire: Uint8Array, payloadLength: number, cipher: string | null, mac: string): void {
  const c = cipher ? CIPHERS.get(cipher)! : null;
  const m = c && !c.aead ? MACS.get(mac)! : null;
  const trailer = c ? (c.aead ? c.tagLength : m!.length) : 0;
  const bs = Math.max(8, c?.blockSize ?? 8);
  const packetLength = wire.length - 4 - trailer;
  const padding = packetLength - 1 - payloadLength;
  expect(padding).to.be.within(4, 4 + bs - 1);
  const aligned = c && (c.aead || m!.etm) ? packetLength : packetLength + 4;
  expect(aligned % bs).to.equal(0);
}

describe('transport/codec in the clear', () => {
  it('encodes exactly: length, padding length, payload, random padding; 8-byte alignment, ≥4 padding', () => {
    const enc = new PacketEncoder((n) => new Uint8Array(n).fill(0xaa));
    // payload 0x15 (NEWKEYS): 4+1+1 = 6 → padding 10 (2 is < 4, add 8)
    expect(hex(enc.encode(new Uint8Array([0x15])))).to.equal('0000000c0a15' + 'aa'.repeat(10));
    expect(enc.sequence).to.equal(1);
    // 4+1+3 = 8 → padding 8 (0 < 4)
    expect(hex(enc.encode(new Uint8Array([1, 2, 3])))).to.equal('0000000c08010203' + 'aa'.repeat(8));
    // 4+1+0 = 5 → padding 11
    expect(hex(enc.encode(new Uint8Array(0)))).to.equal('0000000c0b' + 'aa'.repeat(11));
    const dec = new PacketDecoder();
    dec.push(new Uint8Array([0, 0, 0, 0x0c, 0x0a, 0x15, ...new Array(10).fill(0xaa)]));
    expect(hex(dec.next()!)).to.equal('15');
    expect(dec.next()).to.equal(null);
    expect(dec.sequence).to.equal(1);
    expect(dec.buffered).to.equal(0);
  });

  it('rejects a bad length, misalignment and bad padding with ProtocolError', () => {
    const cases: [string, RegExp][] = [
      ['00000004' + '04000000', /bad packet length/], // below minimum 5
      ['0000000d' + '04' + '00'.repeat(12), /not aligned/], // 4+13 not a multiple of 8
      ['0000000c' + '03' + '00'.repeat(11), /padding/], // padding < 4
      ['0000000c' + '0c' + '00'.repeat(11), /padding/], // padding > packet_length-1
      ['ffffffff', /bad packet length/],
    ];
    for (const [wire, re] of cases) {
      const dec = new PacketDecoder();
      dec.push(new Uint8Array(Buffer.from(wire, 'hex')));
      expect(() => dec.next(), wire).to.throw(ProtocolError, re);
      // dead after a failure: rethrows
      expect(() => dec.next()).to.throw(ProtocolError);
    }
  });

  it('checks the length before waiting for (or allocating) the body', () => {
    const dec = new PacketDecoder({ maxPacketLength: 1024 });
    dec.push(u32be(1032)); // only the header: the decision needs nothing more
    expect(() => dec.next()).to.throw(ProtocolError, /bad packet length 1032/);
    const ok = new PacketDecoder({ maxPacketLength: 1024 });
    ok.push(u32be(1024 - 4));
    expect(ok.next()).to.equal(null); // legal length: waits for the body
    expect(ok.buffered).to.equal(4);
    const dflt = new PacketDecoder();
    dflt.push(u32be(PACKET_MAX_SIZE + 4));
    expect(() => dflt.next()).to.throw(ProtocolError);
  });

  it('validates its options', () => {
    expect(() => new PacketDecoder({ maxPacketLength: 10 })).to.throw(SshError);
    expect(() => new PacketDecoder({ initialSequence: -1 })).to.throw(SshError);
    expect(() => new PacketEncoder((n) => new Uint8Array(n), { initialSequence: 2 ** 32 })).to.throw(SshError);
    expect(() => new PacketEncoder((n) => new Uint8Array(n - 1)).encode(new Uint8Array(3))).to.throw(SshError);
  });

  it('padding comes from a pool: consecutive bytes of the source, one call per ~2 KiB of padding', () => {
    const calls: number[] = [];
    let next = 0;
    const source = (n: number): Uint8Array => {
      calls.push(n);
      return Uint8Array.from({ length: n }, () => next++ & 0xff);
    };
    const enc = new PacketEncoder(source);
    const dec = new PacketDecoder();
    const padding: number[] = [];
    for (let i = 0; i < 300; i++) {
      const wire = enc.encode(new Uint8Array(i % 40));
      const padLen = wire[4]!;
      padding.push(...wire.subarray(wire.length - padLen));
      dec.push(wire);
      expect(dec.next()!.length).to.equal(i % 40);
    }
    // 300 packets of 4–11 bytes of padding: two draws of 2048, each served in order from its
    // start (a pool's tail too short for the next packet is dropped, never reused).
    expect(calls).to.deep.equal([2048, 2048]);
    const fromFirst = padding.findIndex((b, k) => b !== (k & 0xff));
    expect(fromFirst).to.be.within(2048 - 255, 2048);
    expect(padding.slice(fromFirst)).to.deep.equal(Array.from({ length: padding.length - fromFirst }, (_, k) => (2048 + k) & 0xff));
  });
});

describe('transport/codec known-answer framing (cross-checked with node:crypto)', () => {
  const rng = prng(0xface);
  const padByte = 0x5c;
  const fixedRandom = (n: number): Uint8Array => new Uint8Array(n).fill(padByte);

  function plainPacket(payload: Uint8Array, padding: number): Uint8Array {
    return concat(u32be(1 + payload.length + padding), new Uint8Array([padding]), payload, fixedRandom(padding));
  }

  it('aes128-ctr + hmac-sha2-256 (MtE): MAC over seq ‖ plaintext, whole packet encrypted', () => {
    const keys = makeKeys(rng, 'aes128-ctr', 'hmac-sha2-256');
    const enc = new PacketEncoder(fixedRandom, { initialSequence: 3 });
    enc.setKeys(keys);
    const ctr = createCipheriv('aes-128-ctr', keys.key, keys.iv);
    for (const [seq, payload] of [
      [3, rng.bytes(10)],
      [4, rng.bytes(100)],
    ] as const) {
      // 4+1+10 = 15 → padding 17 (1 < 4, +16); 4+1+100 = 105 → padding 7
      const plain = plainPacket(payload, payload.length === 10 ? 17 : 7);
      const mac = createHmac('sha256', keys.macKey)
        .update(concat(u32be(seq), plain))
        .digest();
      const expected = concat(ctr.update(plain), mac);
      expect(hex(enc.encode(payload)), `seq ${seq}`).to.equal(hex(expected));
    }
  });

  it('aes256-cbc + hmac-sha1-etm (ETM): length clear, MAC over seq ‖ length ‖ ciphertext', () => {
    const keys = makeKeys(rng, 'aes256-cbc', 'hmac-sha1-etm@openssh.com');
    const enc = new PacketEncoder(fixedRandom);
    enc.setKeys(keys);
    const cbc = createCipheriv('aes-256-cbc', keys.key, keys.iv).setAutoPadding(false);
    for (const [seq, payload] of [
      [0, rng.bytes(20)],
      [1, rng.bytes(11)],
    ] as const) {
      // ETM: 1+20 = 21 → padding 11; 1+11 = 12 → padding 4
      const plain = plainPacket(payload, payload.length === 20 ? 11 : 4);
      const ct = concat(plain.subarray(0, 4), cbc.update(plain.subarray(4)));
      const mac = createHmac('sha1', keys.macKey)
        .update(concat(u32be(seq), ct))
        .digest();
      expect(hex(enc.encode(payload)), `seq ${seq}`).to.equal(hex(concat(ct, mac)));
    }
  });

  it('aes256-gcm@openssh.com: length as AAD, 16-byte alignment without the length', () => {
    const keys = makeKeys(rng, 'aes256-gcm@openssh.com', '');
    const enc = new PacketEncoder(fixedRandom);
    enc.setKeys(keys);
    const payload = rng.bytes(30); // 1+30 = 31 → padding 17
    const plain = plainPacket(payload, 17);
    const g = createCipheriv('aes-256-gcm', keys.key, keys.iv);
    g.setAAD(plain.subarray(0, 4));
    const ct = concat(g.update(plain.subarray(4)), g.final());
    expect(hex(enc.encode(payload))).to.equal(hex(concat(plain.subarray(0, 4), ct, g.getAuthTag())));
  });

  it('chacha20-poly1305@openssh.com: matches the reference construction, 8-byte alignment', () => {
    const keys = makeKeys(rng, 'chacha20-poly1305@openssh.com', '');
    const enc = new PacketEncoder(fixedRandom, { initialSequence: 0xffffffff });
    enc.setKeys(keys);
    const payload = rng.bytes(2); // 1+2 = 3 → padding 5
    expect(hex(enc.encode(payload))).to.equal(hex(chachaPolySealRef(keys.key, 0xffffffff, plainPacket(payload, 5))));
    expect(enc.sequence).to.equal(0);
    expect(hex(enc.encode(payload))).to.equal(hex(chachaPolySealRef(keys.key, 0, plainPacket(payload, 5))));
  });
});

describe('transport/codec key switching', () => {
  it('bytes pushed before setKeys are decoded lazily with the new keys; sequence carries on; strict KEX reset', () => {
    const rng = prng(7);
    const keys = makeKeys(rng, 'aes128-ctr', 'hmac-sha2-256-etm@openssh.com');
    const enc = new PacketEncoder(rng.bytes);
    const kexinit = enc.encode(rng.bytes(300));
    const newkeys = enc.encode(new Uint8Array([21]));
    enc.setKeys(keys);
    const p1 = rng.bytes(40);
    const p2 = rng.bytes(4000);
    const after = concat(enc.encode(p1), enc.encode(p2));
    const dec = new PacketDecoder();
    dec.push(concat(kexinit, newkeys, after.subarray(0, 50)));
    dec.push(after.subarray(50));
    expect(dec.next()!.length).to.equal(300);
    expect(hex(dec.next()!)).to.equal('15');
    dec.setKeys(keys);
    expect(hex(dec.next()!)).to.equal(hex(p1));
    expect(hex(dec.next()!)).to.equal(hex(p2));
    expect(dec.sequence).to.equal(4);
    expect(enc.sequence).to.equal(4);

    // strict KEX: both sides reset to 0 after NEWKEYS, and the MAC uses the reset number
    const keys2 = makeKeys(rng, 'chacha20-poly1305@openssh.com', '');
    const nk = enc.encode(new Uint8Array([21]));
    enc.setKeys(keys2);
    enc.resetSequence();
    const p3 = enc.encode(new Uint8Array([94, 1, 2, 3]));
    dec.push(concat(nk, p3));
    expect(hex(dec.next()!)).to.equal('15');
    dec.setKeys(keys2);
    dec.resetSequence();
    expect(hex(dec.next()!)).to.equal('5e010203');
    expect(dec.sequence).to.equal(1);
  });

  it('a sequence mismatch is a MacError (the MAC covers the sequence number)', () => {
    for (const [cipher, mac] of [
      ['aes128-ctr', 'hmac-sha2-256'],
      ['aes128-ctr', 'hmac-sha2-256-etm@openssh.com'],
      ['chacha20-poly1305@openssh.com', ''],
    ] as const) {
      const rng = prng(8);
      const keys = makeKeys(rng, cipher, mac);
      const enc = new PacketEncoder(rng.bytes, { initialSequence: 5 });
      const dec = new PacketDecoder({ initialSequence: 6 });
      enc.setKeys(keys);
      dec.setKeys(keys);
      dec.push(enc.encode(rng.bytes(64)));
      // chacha20-poly1305 decrypts the length with the wrong nonce: garbage, so a bad length
      // (ProtocolError) or, rarely, a MacError; the HMAC modes fail the MAC
      expect(() => dec.next(), cipher + mac).to.throw(cipher.startsWith('chacha') ? SshError : MacError);
    }
  });

  it('setKeys refuses to switch in the middle of a packet, and unknown names', () => {
    const rng = prng(9);
    const dec = new PacketDecoder();
    dec.push(new PacketEncoder(rng.bytes).encode(rng.bytes(100)).subarray(0, 10));
    expect(dec.next()).to.equal(null);
    expect(() => dec.setKeys(makeKeys(rng, 'aes128-ctr', 'hmac-sha1'))).to.throw(SshError);
    const enc = new PacketEncoder(rng.bytes);
    expect(() => enc.setKeys({ ...makeKeys(rng, 'aes128-ctr', 'hmac-sha1'), cipher: 'rc4' })).to.throw(SshError);
    expect(() => enc.setKeys({ ...makeKeys(rng, 'aes128-ctr', 'hmac-sha1'), mac: 'nope' })).to.throw(SshError);
    expect(() => enc.setKeys({ ...makeKeys(rng, 'aes128-ctr', 'hmac-sha1'), macKey: new Uint8Array(3) })).to.throw(SshError);
  });
});

describe('transport/codec dispose', () => {
  it('zeroes keys and refuses further use', () => {
    const rng = prng(10);
    const keys = makeKeys(rng, 'aes128-ctr', 'hmac-sha2-256');
    const enc = new PacketEncoder(rng.bytes);
    const dec = new PacketDecoder();
    enc.setKeys(keys);
    dec.setKeys(keys);
    dec.push(enc.encode(rng.bytes(10)).subarray(0, 20));
    expect(dec.next()).to.equal(null);
    enc.dispose();
    dec.dispose();
    enc.dispose(); // idempotent
    expect(dec.buffered).to.equal(0);
    expect(() => enc.encode(new Uint8Array(1)))
      .to.throw(SshError)
      .with.property('code', 'BAD_USE');
    expect(() => dec.next())
      .to.throw(SshError)
      .with.property('code', 'BAD_USE');
    expect(() => enc.setKeys(keys)).to.throw(SshError);
  });
});

describe('transport/codec registry sweep: every cipher × every MAC (AEAD once)', function () {
  const PACKETS = 200;
  let seed = 1000;
  for (const [cipher, mac] of combos()) {
    const label = mac ? `${cipher} + ${mac}` : cipher;
    const mySeed = seed++;

    it(`${label}: ${PACKETS} random packets in random chunks, sequence wrapping 2^32`, () => {
      const rng = prng(mySeed);
      const keys = makeKeys(rng, cipher, mac);
      const start = 0xffffffff - 100;
      const enc = new PacketEncoder(rng.bytes, { initialSequence: start });
      const dec = new PacketDecoder({ initialSequence: start });
      enc.setKeys(keys);
      dec.setKeys(keys);
      const payloads: Uint8Array[] = [];
      const wires: Uint8Array[] = [];
      for (let i = 0; i < PACKETS; i++) {
        // mostly small, some up to 35000 bytes (RFC 4253 §6.1's limit)
        const len = rng.next() < 0.15 ? rng.int(35001) : rng.int(600);
        const p = rng.bytes(len);
        payloads.push(p);
        const w = enc.encode(p);
        checkFraming(w, len, cipher, mac);
        wires.push(w);
      }
      expect(enc.sequence).to.equal((start + PACKETS) >>> 0);
      const stream = concat(...wires);
      const got: Uint8Array[] = [];
      let off = 0;
      while (off < stream.length) {
        const r = rng.next();
        const n = r < 0.3 ? 1 + rng.int(16) : r < 0.8 ? 1 + rng.int(4000) : 1 + rng.int(80000);
        dec.push(stream.subarray(off, off + n));
        off += n;
        drain(dec, got);
      }
      expect(got.length).to.equal(PACKETS);
      expect(dec.buffered).to.equal(0);
      expect(dec.sequence).to.equal((start + PACKETS) >>> 0);
      // earlier payloads were not overwritten by later decoding
      for (let i = 0; i < PACKETS; i++) {
        if (hex(got[i]!) !== hex(payloads[i]!)) expect.fail(`payload ${i} differs (seed ${mySeed})`);
      }
    });

    it(`${label}: a changed byte anywhere is caught`, () => {
      const rng = prng(mySeed + 50000);
      const keys = makeKeys(rng, cipher, mac);
      const enc = new PacketEncoder(rng.bytes);
      enc.setKeys(keys);
      const wire = enc.encode(rng.bytes(300));
      const region = lengthRegion(cipher, mac);
      for (let pos = 0; pos < wire.length; pos += pos < 40 ? 1 : 1 + rng.int(20)) {
        const bad = wire.slice();
        bad[pos]! ^= 1 << rng.int(8);
        const dec = new PacketDecoder();
        dec.setKeys(keys);
        dec.push(bad);
        let outcome: unknown;
        try {
          outcome = dec.next();
        } catch (e) {
          outcome = e;
        }
        if (pos >= region) {
          expect(outcome, `${label} pos ${pos}`).to.be.instanceOf(MacError);
        } else {
          // the length itself changed: caught as a MAC failure, a bad length, or (a longer
          // length) the decoder waits for bytes that never come — never a payload
          const ok = outcome instanceof MacError || outcome instanceof ProtocolError || outcome === null;
          expect(ok, `${label} pos ${pos}: ${String(outcome)}`).to.equal(true);
        }
      }
    });

    it(`${label}: a length over the maximum is a ProtocolError as soon as the length is read`, () => {
      const rng = prng(mySeed + 90000);
      const keys = makeKeys(rng, cipher, mac);
      const enc = new PacketEncoder(rng.bytes);
      enc.setKeys(keys);
      const wire = enc.encode(rng.bytes(40000));
      const dec = new PacketDecoder({ maxPacketLength: 35000 });
      dec.setKeys(keys);
      dec.push(wire.subarray(0, 16)); // only the first cipher block
      expect(() => dec.next()).to.throw(ProtocolError, /bad packet length/);
    });
  }

  it('a forged 4 GiB length is refused without allocating it (stream modes, length XOR-edited)', () => {
    for (const [cipher, mac] of [
      ['aes128-ctr', 'hmac-sha2-256'],
      ['aes128-ctr', 'hmac-sha2-256-etm@openssh.com'],
      ['aes128-gcm@openssh.com', ''],
      ['chacha20-poly1305@openssh.com', ''],
    ] as const) {
      const rng = prng(31);
      const keys = makeKeys(rng, cipher, mac);
      const enc = new PacketEncoder(rng.bytes);
      enc.setKeys(keys);
      const wire = enc.encode(rng.bytes(3));
      const real = wire.length - 4 - (CIPHERS.get(cipher)!.aead ? 16 : MACS.get(mac)!.length);
      // every mode here either sends the length in clear or XORs it with a keystream
      const forged = u32be((real ^ 0xfffffff0) >>> 0);
      for (let i = 0; i < 4; i++) wire[i]! ^= forged[i]!;
      const dec = new PacketDecoder();
      dec.setKeys(keys);
      dec.push(wire.subarray(0, 16));
      expect(() => dec.next(), cipher).to.throw(ProtocolError, /bad packet length 4294967280/);
    }
  });
});
