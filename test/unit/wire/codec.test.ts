import { expect } from 'chai';
import fc from 'fast-check';
import { Reader } from '../../../src/wire/reader.js';
import { bigintToBytes, bytesToBigint, mpintBytes, Writer } from '../../../src/wire/writer.js';
import { ProtocolError, SshError } from '../../../src/errors.js';

describe('wire codec', () => {
  it('round-trips every field type (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.stringMatching(/^[a-z0-9@.-]{1,20}$/), { maxLength: 8 }),
        fc.bigInt({ min: -(1n << 600n), max: 1n << 600n }),
        (u8, b, u32, u64, bytes, names, mp) => {
          const enc = new Writer(4).u8(u8).bool(b).u32(u32).u64(u64).string(bytes).nameList(names).mpint(mp).finish();
          const r = new Reader(enc);
          expect(r.u8()).to.equal(u8);
          expect(r.bool()).to.equal(b);
          expect(r.u32()).to.equal(u32);
          expect(r.u64()).to.equal(u64);
          expect(Array.from(r.string())).to.deep.equal(Array.from(bytes));
          expect(r.nameList()).to.deep.equal(names);
          expect(r.mpint()).to.equal(mp);
          r.end();
        },
      ),
    );
  });

  it('encodes mpints exactly as RFC 4251 §5 shows', () => {
    const hex = (v: bigint) => Buffer.from(new Writer().mpint(v).finish()).toString('hex');
    expect(hex(0n)).to.equal('00000000');
    expect(hex(0x9a378f9b2e332a7n)).to.equal('0000000809a378f9b2e332a7');
    expect(hex(0x80n)).to.equal('000000020080');
    expect(hex(-0x1234n)).to.equal('00000002edcc');
    expect(hex(-0xdeadbeefn)).to.equal('00000005ff21524111');
    expect(Buffer.from(new Writer().mpintFromUnsigned(new Uint8Array([0, 0, 0x80, 1])).finish()).toString('hex')).to.equal('00000003008001');
  });

  it('bigint/bytes helpers agree', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 1n << 521n }), (v) => {
        expect(bytesToBigint(bigintToBytes(v))).to.equal(v);
        expect(bytesToBigint(bigintToBytes(v, 80))).to.equal(v);
      }),
    );
    expect(mpintBytes(127n)).to.deep.equal(new Uint8Array([127]));
  });

  it('truncated or trailing input throws ProtocolError naming the field', () => {
    expect(() => new Reader(new Uint8Array([0, 0, 0, 9, 1]), 0, 'TEST').string('blob')).to.throw(ProtocolError, 'TEST: truncated blob');
    expect(() => new Reader(new Uint8Array([1, 2]), 0, 'TEST').u32('count')).to.throw(ProtocolError, 'TEST: truncated count');
    const r = new Reader(new Uint8Array([1, 2]), 0, 'TEST');
    r.u8();
    expect(() => r.end()).to.throw(ProtocolError, '1 unexpected trailing bytes');
    expect(() => new Reader(new Uint8Array([0, 0, 0, 1, 0xff])).text('name')).to.throw(ProtocolError, 'not valid UTF-8');
  });

  it('random input only ever raises SshError (fast-check)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 12 }), (buf, ops) => {
        const r = new Reader(buf);
        try {
          for (const op of ops) {
            [() => r.u8(), () => r.u32(), () => r.u64(), () => r.string(), () => r.nameList(), () => r.mpint(), () => r.text(), () => r.end()][op]!();
          }
        } catch (e) {
          expect(e).to.be.instanceOf(SshError);
        }
      }),
    );
  });
});
