/**
 * ScpInput.exactly with a release callback: a source chunk goes back once its last byte went
 * to the sink and the sink is done, never while part of it is still unread, and a chunk
 * joined with leftover bytes (a copy) is not given back.
 */
import { expect } from 'chai';
import { ScpInput } from '../../../src/sftp/scp-protocol.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function source(chunks: Uint8Array[]): () => Promise<Uint8Array | null> {
  const queue = [...chunks];
  return async () => queue.shift() ?? null;
}

describe('sftp/scp-protocol: ScpInput releases chunks the sink is done with', () => {
  it('a control line, then file bytes across chunks: each chunk back after its last byte was sunk', async () => {
    const chunks = [enc('C0644 10 f\nabc'), enc('defg'), enc('hij\0'), enc('rest')];
    const released: Uint8Array[] = [];
    const sunk: string[] = [];
    const input = new ScpInput(source(chunks), (c) => released.push(c));
    expect(new TextDecoder().decode((await input.line(100))!)).to.equal('C0644 10 f\n');
    const left = await input.exactly(10, async (piece) => {
      sunk.push(new TextDecoder().decode(piece));
      // The chunk being sunk is not back yet.
      expect(released.some((r) => r.buffer === piece.buffer)).to.equal(false);
      await new Promise((r) => setImmediate(r));
    });
    expect(left).to.equal(0);
    expect(sunk).to.deep.equal(['abc', 'defg', 'hij']);
    // The third chunk still holds the acknowledgement byte: not back.
    expect(released).to.deep.equal([chunks[0], chunks[1]]);
    expect(await input.byte()).to.equal(0);
  });

  it('bytes joined with a leftover are a copy: that chunk is not released', async () => {
    const chunks = [enc('C0644 4 f'), enc('\nab'), enc('cd')];
    const released: Uint8Array[] = [];
    const input = new ScpInput(source(chunks), (c) => released.push(c));
    expect((await input.line(100))!.length).to.equal(10);
    expect(await input.exactly(4, () => {})).to.equal(0);
    // "C0644 4 f" and "\nab" were joined into a copy; "cd" arrived whole.
    expect(released).to.deep.equal([chunks[2]]);
  });

  it('without a release callback nothing is given back (the server side, a user sink)', async () => {
    const input = new ScpInput(source([enc('abcd')]));
    const pieces: Uint8Array[] = [];
    expect(await input.exactly(4, (p) => void pieces.push(p))).to.equal(0);
    expect(new TextDecoder().decode(pieces[0])).to.equal('abcd');
  });
});
