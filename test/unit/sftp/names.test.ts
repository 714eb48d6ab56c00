import { expect } from 'chai';
import fc from 'fast-check';
import { decodeName, displayName, encodeName, joinPath } from '../../../src/sftp/names.js';
import { SshError } from '../../../src/errors.js';

describe('sftp names (bytes on the wire)', () => {
  it('encodes strings as UTF-8', () => {
    expect([...encodeName('a/é/€/😀')]).to.deep.equal([0x61, 0x2f, 0xc3, 0xa9, 0x2f, 0xe2, 0x82, 0xac, 0x2f, 0xf0, 0x9f, 0x98, 0x80]);
  });

  it('passes byte names through untouched', () => {
    const b = Uint8Array.from([0xff, 0x00, 0x80]);
    expect(encodeName(b)).to.equal(b);
  });

  it('escapes bytes that are not UTF-8 as U+DC80..U+DCFF and restores them', () => {
    const bytes = Uint8Array.from([0x66, 0xff, 0xfe, 0x2e, 0xc3, 0xa9, 0xc3]);
    const s = decodeName(bytes);
    expect(s).to.equal('f\udcff\udcfe.é\udcc3');
    expect([...encodeName(s)]).to.deep.equal([...bytes]);
    expect(displayName(bytes)).to.equal('f\\xff\\xfe.é\\xc3');
  });

  it('treats UTF-8-encoded surrogates and overlong forms as invalid bytes', () => {
    for (const bytes of [[0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xf4, 0x90, 0x80, 0x80], [0xf8]]) {
      const s = decodeName(Uint8Array.from(bytes));
      expect(s.length).to.equal(bytes.length);
      expect([...encodeName(s)]).to.deep.equal(bytes);
    }
  });

  it('refuses lone surrogates that stand for no byte', () => {
    expect(() => encodeName('a\ud800b')).to.throw(SshError);
    expect(() => encodeName('a\udc10')).to.throw(SshError);
  });

  it('round-trips any bytes through a string (fast-check)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        expect([...encodeName(decodeName(b))]).to.deep.equal([...b]);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips well-formed strings (fast-check)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 32 }), (s) => {
        expect(decodeName(encodeName(s))).to.equal(s);
        expect(Buffer.from(encodeName(s)).toString('utf8')).to.equal(s);
      }),
      { numRuns: 1000 },
    );
  });

  it('joins paths as strings or bytes', () => {
    expect(joinPath('/a', 'b')).to.equal('/a/b');
    expect(joinPath('/a/', 'b')).to.equal('/a/b');
    expect([...(joinPath('/a', Uint8Array.from([0xff])) as Uint8Array)]).to.deep.equal([0x2f, 0x61, 0x2f, 0xff]);
  });
});
