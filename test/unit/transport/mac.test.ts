import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import { SshError } from '../../../src/errors.js';
import { DEFAULT_MACS, MACS, SUPPORTED_MACS, getMac } from '../../../src/transport/mac/index.js';
import { equalConstantTime } from '../../../src/wire/bytes.js';
import { concat, hex, prng, u32be } from './helpers.js';

const rng = prng(0x3ac);

/** [node hash name, digest bytes, tag bytes, etm, insecure] per wire name */
const EXPECTED: Record<string, [string, number, number, boolean, boolean]> = {
  'hmac-sha2-256-etm@openssh.com': ['sha256', 32, 32, true, false],
  'hmac-sha2-512-etm@openssh.com': ['sha512', 64, 64, true, false],
  'hmac-sha1-etm@openssh.com': ['sha1', 20, 20, true, false],
  'hmac-sha2-256': ['sha256', 32, 32, false, false],
  'hmac-sha2-512': ['sha512', 64, 64, false, false],
  'hmac-sha1': ['sha1', 20, 20, false, false],
  'hmac-sha1-96-etm@openssh.com': ['sha1', 20, 12, true, true],
  'hmac-sha1-96': ['sha1', 20, 12, false, true],
  'hmac-md5-etm@openssh.com': ['md5', 16, 16, true, true],
  'hmac-md5': ['md5', 16, 16, false, true],
  'hmac-md5-96-etm@openssh.com': ['md5', 16, 12, true, true],
  'hmac-md5-96': ['md5', 16, 12, false, true],
  'hmac-ripemd160': ['ripemd160', 20, 20, false, true],
  'hmac-ripemd160@openssh.com': ['ripemd160', 20, 20, false, true],
};

/** UMAC (RFC 4418, 16-byte key): [tag bytes, etm] per wire name */
const UMAC_EXPECTED: Record<string, [number, boolean]> = {
  'umac-64-etm@openssh.com': [8, true],
  'umac-128-etm@openssh.com': [16, true],
  'umac-64@openssh.com': [8, false],
  'umac-128@openssh.com': [16, false],
};

describe('transport/mac registry', () => {
  it('every DEFAULT and SUPPORTED name is registered, under its own name', () => {
    for (const name of [...DEFAULT_MACS, ...SUPPORTED_MACS]) {
      expect(MACS.has(name), name).to.equal(true);
      expect(MACS.get(name)!.name).to.equal(name);
    }
    for (const name of DEFAULT_MACS) expect(SUPPORTED_MACS).to.include(name);
    expect([...MACS.keys()].sort()).to.deep.equal([...SUPPORTED_MACS].sort());
  });

  it("defaults are OpenSSH's client order (ssh_config(5) MACs) and contain nothing insecure", () => {
    expect(DEFAULT_MACS).to.deep.equal([
      'umac-64-etm@openssh.com',
      'umac-128-etm@openssh.com',
      'hmac-sha2-256-etm@openssh.com',
      'hmac-sha2-512-etm@openssh.com',
      'hmac-sha1-etm@openssh.com',
      'umac-64@openssh.com',
      'umac-128@openssh.com',
      'hmac-sha2-256',
      'hmac-sha2-512',
      'hmac-sha1',
    ]);
    for (const name of DEFAULT_MACS) expect(MACS.get(name)!.insecure, name).to.equal(false);
  });

  it('descriptors: key length = digest length, tag length, etm and insecure flags', () => {
    expect([...Object.keys(EXPECTED), ...Object.keys(UMAC_EXPECTED)].sort()).to.deep.equal([...MACS.keys()].sort());
    for (const [name, [tag, etm]] of Object.entries(UMAC_EXPECTED)) {
      const m = MACS.get(name)!;
      expect([m.keyLength, m.length, m.etm, m.insecure], name).to.deep.equal([16, tag, etm, false]);
      expect(Object.isFrozen(m)).to.equal(true);
    }
    for (const [name, [, digest, tag, etm, insecure]] of Object.entries(EXPECTED)) {
      const m = MACS.get(name)!;
      expect([m.keyLength, m.length, m.etm, m.insecure], name).to.deep.equal([digest, tag, etm, insecure]);
      expect(Object.isFrozen(m)).to.equal(true);
    }
  });

  it('the lists are frozen; unknown names are refused with a typed error', () => {
    for (const list of [DEFAULT_MACS, SUPPORTED_MACS]) expect(Object.isFrozen(list)).to.equal(true);
    expect(() => getMac('umac-32@openssh.com'))
      .to.throw(SshError)
      .with.property('code', 'ALGO_UNSUPPORTED');
  });

  it('rejects MAC keys of the wrong length', () => {
    for (const m of MACS.values()) {
      expect(() => m.create(new Uint8Array(m.keyLength - 1)), m.name).to.throw(SshError);
    }
  });
});

describe('transport/mac HMAC vs node:crypto createHmac', () => {
  for (const [name, [nodeHash, , tagLen]] of Object.entries(EXPECTED)) {
    it(`${name}: MAC(key, uint32 seq ‖ data), one keyed state reused for many packets`, () => {
      const m = getMac(name);
      const key = rng.bytes(m.keyLength);
      const state = m.create(key);
      expect(state.length).to.equal(tagLen);
      for (const [i, seq] of [0, 1, 2, 0x7fffffff, 0xffffffff, 3, 3].entries()) {
        const data = rng.bytes([0, 1, 55, 64, 127, 128, 5000][i]!);
        const expected = createHmac(nodeHash, key)
          .update(concat(u32be(seq), data))
          .digest()
          .subarray(0, tagLen);
        const out = new Uint8Array(tagLen + 10);
        state.compute(seq, data, out, 7);
        expect(hex(out.subarray(7, 7 + tagLen)), `seq ${seq}`).to.equal(hex(expected));
        expect(hex(out.subarray(0, 7))).to.equal('00000000000000');
        expect(state.verify(seq, data, new Uint8Array(expected))).to.equal(true);
        const bad = new Uint8Array(expected);
        bad[tagLen - 1]! ^= 1;
        expect(state.verify(seq, data, bad)).to.equal(false);
        expect(state.verify(seq + 1, data, new Uint8Array(expected))).to.equal(false);
        expect(state.verify(seq, data, new Uint8Array(expected).subarray(0, tagLen - 1))).to.equal(false);
      }
      state.dispose();
    });
  }
});

describe('wire/bytes equalConstantTime', () => {
  it('compares bytes and lengths', () => {
    expect(equalConstantTime(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).to.equal(true);
    expect(equalConstantTime(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).to.equal(false);
    expect(equalConstantTime(new Uint8Array([1, 2]), new Uint8Array([1]))).to.equal(false);
    expect(equalConstantTime(new Uint8Array(0), new Uint8Array(0))).to.equal(true);
  });
});
