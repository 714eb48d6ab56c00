import { expect } from 'chai';
import fc from 'fast-check';
import { SshError } from '../../../src/errors.js';
import { Reader } from '../../../src/wire/reader.js';
import { Writer } from '../../../src/wire/writer.js';
import { readAttrs, writeAttrs, fileType, type SftpAttrs } from '../../../src/sftp/attrs.js';
import { FXP, FX } from '../../../src/sftp/constants.js';
import {
  buildPacket,
  decodeDataParts,
  decodeLimits,
  decodeResponse,
  decodeStatVfs,
  decodeUsersGroups,
  decodeVersion,
  initPacket,
} from '../../../src/sftp/packets.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

function attrsBytes(a: SftpAttrs): Uint8Array {
  return writeAttrs(new Writer(), a).finish().slice();
}

describe('sftp packets and attrs', () => {
  it('INIT is length, type 1, version 3 (filexfer-02 §4)', () => {
    expect(hex(initPacket(3))).to.equal('00000005' + '01' + '00000003');
  });

  it('builds a request with the length prefix over type, id and fields', () => {
    const p = buildPacket(FXP.OPEN, 8, (w) => w.u32(7).string('a').u32(0x1a).u32(0));
    expect(hex(p)).to.equal('00000012' + '03' + '00000007' + '0000000161' + '0000001a' + '00000000');
  });

  it('encodes every attribute in flag order with a 64-bit size (filexfer-02 §5)', () => {
    const a: SftpAttrs = { size: 5 * 2 ** 32 + 1, uid: 1, gid: 2, permissions: 0o100644, atime: 3, mtime: 4, extended: [{ type: 'x@y', data: bytes('ff') }] };
    expect(hex(attrsBytes(a))).to.equal(
      '8000000f' + '0000000500000001' + '00000001' + '00000002' + '000081a4' + '00000003' + '00000004' + '00000001' + '00000003' + '784079' + '00000001ff',
    );
    expect(readAttrs(new Reader(attrsBytes(a)))).to.deep.equal(a);
    expect(hex(attrsBytes({}))).to.equal('00000000');
  });

  it('refuses half of a uid/gid or atime/mtime pair', () => {
    expect(() => attrsBytes({ uid: 1 })).to.throw(SshError);
    expect(() => attrsBytes({ mtime: 1 })).to.throw(SshError);
    expect(() => attrsBytes({ permissions: -1 })).to.throw(SshError);
  });

  it('rejects unknown attribute flag bits and sizes beyond 2^53', () => {
    expect(() => readAttrs(new Reader(bytes('00000010')))).to.throw(SshError, /unknown flag/);
    expect(() => readAttrs(new Reader(bytes('00000001 0020000000000000')))).to.throw(SshError, /2\^53/);
  });

  it('names file types from permissions', () => {
    expect(fileType({ permissions: 0o040755 })).to.equal('directory');
    expect(fileType({ permissions: 0o120777 })).to.equal('symlink');
    expect(fileType({ permissions: 0o100600 })).to.equal('file');
    expect(fileType({})).to.equal(undefined);
  });

  it('decodes VERSION with extension pairs', () => {
    const v = decodeVersion(bytes('02 00000003 00000003 61626300000001 31'));
    expect(v.version).to.equal(3);
    expect([...v.extensions.keys()]).to.deep.equal(['abc']);
    expect(hex(v.extensions.get('abc')!)).to.equal('31');
  });

  it('decodes STATUS with and without message/language', () => {
    expect(decodeResponse(bytes('65 00000009 00000002 00000004 6e6f7065 00000002 656e'))).to.deep.equal({
      type: FXP.STATUS,
      id: 9,
      code: FX.NO_SUCH_FILE,
      message: 'nope',
      language: 'en',
    });
    expect(decodeResponse(bytes('65 00000009 00000000'))).to.deep.equal({ type: FXP.STATUS, id: 9, code: 0, message: '', language: '' });
  });

  it('decodes a DATA reply in pieces, cut anywhere, into views of those pieces', () => {
    const packet = bytes('67 00000007 0000000c 000102030405060708090a0b');
    const data = packet.subarray(9);
    for (let a = 0; a <= packet.length; a++) {
      for (let b = a; b <= packet.length; b++) {
        const parts = [packet.subarray(0, a), packet.subarray(a, b), packet.subarray(b)];
        const r = decodeDataParts(parts, packet.length);
        expect(r.id).to.equal(7);
        expect(hex(Buffer.concat(r.chunks))).to.equal(hex(data));
        // no empty pieces, and every piece is a view of the packet (nothing copied)
        for (const c of r.chunks) {
          expect(c.length).to.be.above(0);
          expect(c.buffer).to.equal(packet.buffer);
        }
      }
    }
    expect(() => decodeDataParts([packet.subarray(0, 5), packet.subarray(5)], packet.length + 1)).to.throw(SshError, /does not match/);
    expect(() => decodeDataParts([packet.subarray(0, 4)], 4)).to.throw(SshError, /truncated/);
    expect(() => decodeDataParts([bytes('65 00000007'), bytes('00000000')], 9)).to.throw(SshError, /expected SSH_FXP_DATA/);
  });

  it('decodes HANDLE, DATA, ATTRS, EXTENDED_REPLY and NAME', () => {
    expect(decodeResponse(bytes('66 00000001 00000002 abcd'))).to.deep.include({ type: FXP.HANDLE, id: 1 });
    const d = decodeResponse(bytes('67 00000002 00000003 010203'));
    expect(d.type === FXP.DATA && d.chunks.map(hex)).to.deep.equal(['010203']);
    expect(decodeResponse(bytes('69 00000003 00000004 000001ed'))).to.deep.equal({ type: FXP.ATTRS, id: 3, attrs: { permissions: 0o755 } });
    const x = decodeResponse(bytes('c9 00000004 0102'));
    expect(x.type === FXP.EXTENDED_REPLY && hex(x.data)).to.equal('0102');
    const n = decodeResponse(bytes('68 00000005 00000001 00000002 66ff 00000001 6c 00000000'));
    expect(n.type).to.equal(FXP.NAME);
    if (n.type !== FXP.NAME) return;
    expect(n.names[0]!.filename).to.equal('f\udcff');
    expect(hex(n.names[0]!.filenameBytes)).to.equal('66ff');
    expect(n.names[0]!.longname).to.equal('l');
  });

  it('rejects trailing bytes, unknown types, huge counts and long handles', () => {
    expect(() => decodeResponse(bytes('69 00000003 00000000 00'))).to.throw(SshError, /trailing/);
    expect(() => decodeResponse(bytes('07 00000003'))).to.throw(SshError, /unexpected SFTP packet type/);
    expect(() => decodeResponse(bytes('68 00000005 ffffffff'))).to.throw(SshError, /cannot fit/);
    expect(() => decodeResponse(new Uint8Array([0x66, 0, 0, 0, 1, 0, 0, 1, 1, ...new Array(257).fill(0)]))).to.throw(SshError, /256/);
    expect(() => decodeResponse(new Uint8Array(0))).to.throw(SshError);
  });

  it('decodes statvfs, limits and users-groups-by-id replies (PROTOCOL §4)', () => {
    const w = new Writer();
    for (let i = 1n; i <= 11n; i++) w.u64(i);
    const v = decodeStatVfs(w.finish().slice());
    expect(v.bsize).to.equal(1n);
    expect(v.namemax).to.equal(11n);
    const l = decodeLimits(new Writer().u64(262144).u64(261120).u64(261120).u64(0).finish().slice());
    expect(l).to.deep.equal({ maxPacketLength: 262144, maxReadLength: 261120, maxWriteLength: 261120, maxOpenHandles: 0 });
    const names = new Writer().string('root').string('').finish().slice();
    const groups = new Writer().string('wheel').finish().slice();
    expect(decodeUsersGroups(new Writer().string(names).string(groups).finish().slice())).to.deep.equal({ users: ['root', ''], groups: ['wheel'] });
  });

  describe('fuzzing (fast-check): decoders throw only typed errors', () => {
    const onlyTyped = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        if (!(e instanceof SshError)) throw e;
      }
    };

    it('decodeResponse on random bytes', () => {
      fc.assert(
        fc.property(fc.constantFrom(101, 102, 103, 104, 105, 201, 0, 7), fc.uint8Array({ maxLength: 96 }), (type, body) => {
          onlyTyped(() => decodeResponse(new Uint8Array([type, ...body])));
        }),
        { numRuns: 5000 },
      );
    });

    it('readAttrs, decodeVersion and extension replies on random bytes', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 96 }), (b) => {
          onlyTyped(() => readAttrs(new Reader(b)));
          onlyTyped(() => decodeVersion(new Uint8Array([2, ...b])));
          onlyTyped(() => decodeStatVfs(b));
          onlyTyped(() => decodeLimits(b));
          onlyTyped(() => decodeUsersGroups(b));
        }),
        { numRuns: 5000 },
      );
    });

    it('attrs round-trip for any valid attributes', () => {
      const u32 = fc.integer({ min: 0, max: 0xffffffff });
      const arb = fc.record(
        {
          size: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
          ids: fc.tuple(u32, u32),
          permissions: u32,
          times: fc.tuple(u32, u32),
          extended: fc.array(fc.record({ type: fc.string({ maxLength: 8 }), data: fc.uint8Array({ maxLength: 8 }) }), { minLength: 1, maxLength: 3 }),
        },
        { requiredKeys: [] },
      );
      fc.assert(
        fc.property(arb, (r) => {
          const a: SftpAttrs = {};
          if (r.size !== undefined) a.size = r.size;
          if (r.ids) [a.uid, a.gid] = r.ids;
          if (r.permissions !== undefined) a.permissions = r.permissions;
          if (r.times) [a.atime, a.mtime] = r.times;
          if (r.extended) a.extended = r.extended;
          const rd = new Reader(attrsBytes(a));
          expect(readAttrs(rd)).to.deep.equal(a);
          rd.end();
        }),
        { numRuns: 2000 },
      );
    });

    it('truncations of valid responses fail with typed errors', () => {
      const valid = bytes(
        '68 00000005 00000001 00000002 66ff 00000001 6c 8000000f 0000000500000001 00000001 00000002 000081a4 00000003 00000004 00000001 00000001 78 00000000',
      );
      expect(() => decodeResponse(valid)).to.not.throw();
      for (let n = 0; n < valid.length; n++) {
        expect(() => decodeResponse(valid.subarray(0, n))).to.throw(SshError);
      }
    });
  });
});
