import { expect } from 'chai';
import { constants as Z, createDeflate, deflateSync, inflateSync } from 'node:zlib';
import { SshError } from '../../../src/errors.js';
import { COMPRESSIONS, DEFAULT_COMPRESSIONS, SUPPORTED_COMPRESSIONS, createCompressor, createDecompressor } from '../../../src/transport/compression.js';
import { concat, hex, prng } from './helpers.js';

const rng = prng(0x21b);

/** A mix of incompressible, repetitive and text-like payloads, including empty ones. */
function payloads(n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const text = new TextEncoder().encode('the quick brown fox jumps over the lazy dog; ');
  for (let i = 0; i < n; i++) {
    const kind = i % 4;
    const len = rng.int(kind === 3 ? 35000 : 2000);
    if (kind === 0) out.push(rng.bytes(len));
    else if (kind === 1) out.push(new Uint8Array(len).fill(i & 0xff));
    else if (kind === 2) out.push(new Uint8Array(Array.from({ length: len }, (_, j) => text[j % text.length]!)));
    else out.push(i % 8 === 3 ? new Uint8Array(0) : rng.bytes(len));
  }
  return out;
}

/** node:zlib's streaming deflate with a Z_SYNC_FLUSH per payload, as OpenSSH (zlib) does it. */
async function nodeDeflateStream(items: Uint8Array[]): Promise<Uint8Array[]> {
  const d = createDeflate();
  const out: Uint8Array[] = [];
  let current: Buffer[] = [];
  d.on('data', (b: Buffer) => current.push(b));
  for (const p of items) {
    d.write(p);
    await new Promise<void>((resolve) => d.flush(Z.Z_SYNC_FLUSH, () => resolve()));
    out.push(new Uint8Array(Buffer.concat(current)));
    current = [];
  }
  d.end();
  return out;
}

describe('transport/compression registry', () => {
  it('lists none, zlib and the delayed zlib@openssh.com', () => {
    for (const name of [...DEFAULT_COMPRESSIONS, ...SUPPORTED_COMPRESSIONS]) expect(COMPRESSIONS.has(name), name).to.equal(true);
    expect([...COMPRESSIONS.keys()].sort()).to.deep.equal(['none', 'zlib', 'zlib@openssh.com']);
    expect(COMPRESSIONS.get('zlib@openssh.com')).to.include({ compresses: true, delayed: true });
    expect(COMPRESSIONS.get('zlib')).to.include({ compresses: true, delayed: false });
    expect(COMPRESSIONS.get('none')).to.include({ compresses: false, delayed: false });
    expect(DEFAULT_COMPRESSIONS[0]).to.equal('none');
  });
});

describe('transport/compression streams (RFC 4253 §6.2)', () => {
  it('round-trips many packets through one stream per direction; history carries over', () => {
    const tx = createCompressor();
    const rx = createDecompressor(256 * 1024);
    const items = payloads(120);
    const wire: Uint8Array[] = [];
    for (const p of items) {
      const c = tx.compress(p);
      wire.push(c);
      expect(hex(rx.decompress(c))).to.equal(hex(p));
    }
    // the same repetitive payload twice: the second copy compresses to a back-reference
    const again = createCompressor();
    const block = rng.bytes(3000);
    const first = again.compress(block);
    const second = again.compress(block);
    expect(second.length).to.be.lessThan(first.length / 10);
    // every non-empty packet ends on a sync-flush marker (00 00 ff ff), so it decodes on arrival;
    // an empty payload right after a flush produces no bytes at all (zlib's Z_BUF_ERROR case)
    wire.forEach((c, i) => {
      if (items[i]!.length > 0) expect(hex(c.subarray(c.length - 4))).to.equal('0000ffff');
    });
  });

  it('interoperates with node:zlib in both directions', async () => {
    const items = payloads(40);
    // ours → node: one inflate over the concatenation yields the concatenated payloads
    const tx = createCompressor();
    const ours = items.map((p) => tx.compress(p));
    const inflated = inflateSync(concat(...ours), { finishFlush: Z.Z_SYNC_FLUSH });
    expect(hex(new Uint8Array(inflated))).to.equal(hex(concat(...items)));
    // node → ours, packet by packet
    const theirs = await nodeDeflateStream(items);
    const rx = createDecompressor(64 * 1024);
    theirs.forEach((c, i) => expect(hex(rx.decompress(c)), `packet ${i}`).to.equal(hex(items[i]!)));
  });

  it('a zip bomb fails with a ZLIB error instead of filling memory', () => {
    const bomb = deflateSync(new Uint8Array(64 * 1024 * 1024), { level: 9, finishFlush: Z.Z_SYNC_FLUSH });
    expect(bomb.length).to.be.lessThan(100 * 1024);
    const rx = createDecompressor(256 * 1024);
    let err: unknown;
    try {
      rx.decompress(new Uint8Array(bomb));
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(SshError);
    expect((err as SshError).code).to.equal('ZLIB');
    expect((err as SshError).message).to.match(/exceeds 262144 bytes/);
    // the stream is dead afterwards
    expect(() => rx.decompress(new Uint8Array([0]))).to.throw(SshError);
  });

  it('exactly maxOutput bytes is allowed, one more is not', () => {
    const data = rng.bytes(5000);
    const ok = createDecompressor(5000);
    expect(ok.decompress(createCompressor().compress(data)).length).to.equal(5000);
    const tight = createDecompressor(4999);
    expect(() => tight.decompress(createCompressor().compress(data)))
      .to.throw(SshError)
      .with.property('code', 'ZLIB');
  });

  it('corrupt data and a finished stream are ZLIB errors', () => {
    const rx = createDecompressor(1024);
    expect(() => rx.decompress(new Uint8Array([0x78, 0x9c, 0xff, 0xff, 0xff, 0x00])))
      .to.throw(SshError)
      .with.property('code', 'ZLIB');
    const ended = createDecompressor(1024);
    expect(() => ended.decompress(new Uint8Array(deflateSync(new Uint8Array([1, 2, 3])))))
      .to.throw(SshError)
      .with.property('code', 'ZLIB');
    expect(() => createDecompressor(0)).to.throw(SshError);
  });
});
