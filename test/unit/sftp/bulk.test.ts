/**
 * The bulk data path: DATA replies that span stream chunks (kept as pieces), WRITE requests
 * built in place from a local file (uploadFrom / SftpFile.writeFromFile), and the channel's
 * reused CHANNEL_DATA buffer. Every test checks the exact bytes that arrive.
 */
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { Deferred } from '../../../src/async.js';
import { SshError } from '../../../src/errors.js';
import { Reader } from '../../../src/wire/reader.js';
import { Writer } from '../../../src/wire/writer.js';
import { MSG } from '../../../src/wire/constants.js';
import { Channel, type ChannelHost } from '../../../src/connection/channel.js';
import { FXP, FX } from '../../../src/sftp/constants.js';
import { SftpClient } from '../../../src/sftp/client.js';
import type { SftpStream } from '../../../src/sftp/engine.js';
import { SftpFailureError } from '../../../src/sftp/errors.js';
import type { LocalFile } from '../../../src/sftp/local.js';
import { SftpFrames } from './frames.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/**
 * An in-memory SFTP server holding one file: OPEN, READ, WRITE, FSTAT, CLOSE. Its output is
 * cut into pieces of `cut` bytes (0: whole packets) so replies span stream chunks.
 */
class FileServer implements SftpStream {
  content: Uint8Array;
  cut = 0;
  /** WRITE requests seen: offset, length, and the whole packet body as received */
  writes: { at: number; length: number }[] = [];
  /** fail the WRITE at this offset with FAILURE */
  failWriteAt = -1;
  /** requests received but not answered yet, most at once */
  peakPending = 0;
  /** hold replies to WRITE until answerHeld() (to observe the number in flight) */
  holdWrites = false;
  private held: Array<() => void> = [];
  private out: Uint8Array[] = [];
  private waiter: Deferred<void> | null = null;
  private readonly frames = new SftpFrames();

  constructor(size: number) {
    this.content = new Uint8Array(size);
  }

  async read(): Promise<Uint8Array | null> {
    for (;;) {
      const c = this.out.shift();
      if (c) return c;
      this.waiter ??= new Deferred<void>();
      await this.waiter.promise;
    }
  }

  async write(data: Uint8Array): Promise<void> {
    for (const p of this.frames.push(data)) this.handle(p);
  }

  close(): void {}

  answerHeld(): void {
    for (const h of this.held.splice(0)) h();
  }

  /** chunks sent, each with the type of the packet it is cut from and whether it holds more than length bytes */
  sent: { chunk: Uint8Array; type: number; body: boolean }[] = [];
  /** chunks the engine gave back (SftpStream.release) */
  released: Uint8Array[] = [];
  private readonly releasedSet = new Set<Uint8Array>();
  /** the chunks cut from each packet (each packet has a buffer of its own) */
  private readonly chunksOf = new Map<ArrayBufferLike, Uint8Array[]>();

  release(chunk: Uint8Array): void {
    this.released.push(chunk);
    this.releasedSet.add(chunk);
  }

  /** Whether the chunk `piece` lies in came back (a packet's chunks start every `cut` bytes of it). */
  isReleased(piece: Uint8Array): boolean {
    const chunk = this.chunksOf.get(piece.buffer)![this.cut > 0 ? Math.floor(piece.byteOffset / this.cut) : 0]!;
    expect(piece.byteOffset).to.be.within(chunk.byteOffset, chunk.byteOffset + chunk.length - 1);
    return this.releasedSet.has(chunk);
  }

  private handle(p: Uint8Array): void {
    const r = new Reader(p, 1);
    if (p[0] === FXP.INIT) return this.send(new Writer().u8(FXP.VERSION).u32(3).finish().slice());
    const id = r.u32();
    switch (p[0]) {
      case FXP.OPEN:
        return this.send(new Writer().u8(FXP.HANDLE).u32(id).string('h1').finish().slice());
      case FXP.FSTAT:
        return this.send(new Writer().u8(FXP.ATTRS).u32(id).u32(1).u64(this.content.length).finish().slice());
      case FXP.CLOSE:
        return this.status(id, FX.OK);
      case FXP.READ: {
        expect(r.ascii()).to.equal('h1');
        const at = Number(r.u64());
        const n = r.u32();
        if (at >= this.content.length) return this.status(id, FX.EOF);
        return this.send(
          new Writer()
            .u8(FXP.DATA)
            .u32(id)
            .string(this.content.subarray(at, Math.min(at + n, this.content.length)))
            .finish()
            .slice(),
        );
      }
      case FXP.WRITE: {
        expect(r.ascii()).to.equal('h1');
        const at = Number(r.u64());
        const data = r.string();
        r.end();
        this.writes.push({ at, length: data.length });
        const answer = (): void => {
          if (at === this.failWriteAt) return this.status(id, FX.FAILURE, 'disk full');
          if (at + data.length > this.content.length) {
            const grown = new Uint8Array(at + data.length);
            grown.set(this.content);
            this.content = grown;
          }
          this.content.set(data, at);
          this.status(id, FX.OK);
        };
        if (this.holdWrites) {
          this.held.push(answer);
          this.peakPending = Math.max(this.peakPending, this.held.length);
        } else answer();
        return;
      }
      default:
        return this.status(id, FX.OP_UNSUPPORTED);
    }
  }

  private status(id: number, code: number, msg = ''): void {
    this.send(new Writer().u8(FXP.STATUS).u32(id).u32(code).string(msg).string('').finish().slice());
  }

  private send(payload: Uint8Array): void {
    const pkt = new Writer().string(payload).finish().slice();
    const pieces: [Uint8Array, number][] = [];
    if (this.cut > 0) for (let o = 0; o < pkt.length; o += this.cut) pieces.push([pkt.subarray(o, o + this.cut), o]);
    else pieces.push([pkt, 0]);
    for (const [chunk, at] of pieces) {
      this.out.push(chunk);
      this.sent.push({ chunk, type: payload[0]!, body: at + chunk.length > 4 });
      const ofPacket = this.chunksOf.get(pkt.buffer) ?? [];
      ofPacket.push(chunk);
      this.chunksOf.set(pkt.buffer, ofPacket);
    }
    const w = this.waiter;
    this.waiter = null;
    w?.resolve();
  }
}

/**
 * A local file in memory; reads can be made short or the file can shrink. With `readv`, it
 * also reads into several buffers per call, at most `readvMax` bytes per call if given.
 */
function memoryFile(
  content: Uint8Array,
  opts: { shortReads?: boolean; shrinkTo?: number; readv?: boolean; readvMax?: number } = {},
): LocalFile & { peakReads: number; calls: number; readvCalls: number } {
  let inFlight = 0;
  const readAt = async (position: number, room: number): Promise<Uint8Array> => {
    inFlight++;
    f.calls++;
    f.peakReads = Math.max(f.peakReads, inFlight);
    await new Promise((r) => setImmediate(r));
    inFlight--;
    const size = opts.shrinkTo ?? content.length;
    if (position >= size) return new Uint8Array(0);
    let n = Math.min(room, size - position);
    // a short read: at most 1000 bytes, ending off any request boundary
    if (opts.shortReads) n = Math.min(n, 1000);
    return content.subarray(position, position + n);
  };
  const f: LocalFile & { peakReads: number; calls: number; readvCalls: number } = {
    peakReads: 0,
    calls: 0,
    readvCalls: 0,
    async read(buffer: Uint8Array, position: number): Promise<number> {
      const got = await readAt(position, buffer.length);
      buffer.set(got);
      return got.length;
    },
    async write(): Promise<void> {
      throw new Error('read-only');
    },
    async close(): Promise<void> {},
  };
  if (opts.readv) {
    f.readv = async (buffers: Uint8Array[], position: number): Promise<number> => {
      f.readvCalls++;
      const room = buffers.reduce((a, b) => a + b.length, 0);
      const got = await readAt(position, Math.min(room, opts.readvMax ?? room));
      let off = 0;
      for (const b of buffers) {
        const take = Math.min(b.length, got.length - off);
        if (take <= 0) break;
        b.set(got.subarray(off, off + take));
        off += take;
      }
      return got.length;
    };
  }
  return f;
}

async function openFile(srv: FileServer, limits = { maxReadLength: 4096, maxWriteLength: 4096 }): Promise<Awaited<ReturnType<SftpClient['open']>>> {
  const c = await SftpClient.open(srv, { limits });
  return c.open('/f', 'r+');
}

describe('sftp bulk reads: chunks go back to the stream once their DATA pieces are released', () => {
  for (const cut of [0, 1, 7, 1000, 4096 + 13]) {
    it(`every chunk of a DATA reply comes back once, no chunk of another reply does (stream cut every ${cut || 'packet'} bytes)`, async () => {
      const srv = new FileServer(0);
      srv.content = new Uint8Array(randomBytes(50_000));
      // Cut from the start: VERSION, HANDLE, ATTRS and STATUS come in pieces too.
      srv.cut = cut;
      const c = await SftpClient.open(srv, { limits: { maxReadLength: 4096, maxWriteLength: 4096 } });
      const f = await c.open('/f', 'r+');
      expect((await f.stat()).size).to.equal(50_000);
      const parts: Uint8Array[] = [];
      for await (const piece of f.chunks(0, srv.content.length, { concurrency: 5 })) {
        parts.push(new Uint8Array(piece));
        // Not yet released: the chunk it lies in has not come back.
        expect(srv.isReleased(piece)).to.equal(false);
        c.engine.release(piece);
      }
      expect(sha(Buffer.concat(parts))).to.equal(sha(srv.content));
      const released = new Set(srv.released);
      expect(released.size, 'each once').to.equal(srv.released.length);
      // DATA chunks all came back; of the others only chunks that held nothing but a length.
      const data = srv.sent.filter((s) => s.type === FXP.DATA);
      expect(data.length).to.be.greaterThan(12);
      for (const s of data) expect(released.has(s.chunk), 'DATA chunk released').to.equal(true);
      const others = srv.sent.filter((s) => s.type !== FXP.DATA && s.body);
      expect(new Set(others.map((s) => s.type))).to.deep.equal(new Set([FXP.VERSION, FXP.HANDLE, FXP.ATTRS]));
      for (const s of others) expect(released.has(s.chunk), `type ${s.type} chunk kept`).to.equal(false);
    });
  }

  it('a piece that is not released keeps its chunk', async () => {
    const srv = new FileServer(0);
    srv.content = new Uint8Array(randomBytes(3 * 4096));
    const c = await SftpClient.open(srv, { limits: { maxReadLength: 4096, maxWriteLength: 4096 } });
    const f = await c.open('/f', 'r+');
    let kept: Uint8Array | null = null;
    for await (const piece of f.chunks(0, srv.content.length)) {
      if (kept === null) kept = piece;
      else c.engine.release(piece);
    }
    const data = srv.sent.filter((s) => s.type === FXP.DATA).map((s) => s.chunk);
    expect(data).to.have.length(3);
    expect(srv.released).to.not.include(data[0]);
    expect(srv.released).to.include.members(data.slice(1));
    c.engine.release(kept!);
    c.engine.release(kept!);
    expect(srv.released.filter((r) => r === data[0])).to.have.length(1);
  });
});

describe('sftp bulk reads: DATA replies in pieces', () => {
  for (const cut of [0, 1, 7, 1000, 4096 + 13]) {
    it(`file.chunks() and readChunk deliver the exact bytes (stream cut every ${cut || 'packet'} bytes)`, async () => {
      const srv = new FileServer(0);
      srv.content = new Uint8Array(randomBytes(50_000));
      const f = await openFile(srv);
      srv.cut = cut;
      const parts: Uint8Array[] = [];
      for await (const c of f.chunks(0, srv.content.length, { concurrency: 5 })) parts.push(c);
      expect(sha(Buffer.concat(parts))).to.equal(sha(srv.content));
      const one = await f.readChunk(4096, 100);
      expect(sha(one!)).to.equal(sha(srv.content.subarray(100, 4196)));
      expect(await f.readChunk(10, 50_000)).to.equal(null);
      const all = await f.readAll();
      expect(sha(all)).to.equal(sha(srv.content));
    });
  }

  it('a reply that spans stream chunks keeps its pieces: no byte is copied on the way', async () => {
    const srv = new FileServer(0);
    srv.content = new Uint8Array(randomBytes(4096));
    const f = await openFile(srv);
    srv.cut = 1000;
    const parts = await f.readParts(4096, 0);
    // 4096 data bytes after a 13-byte head in 1000-byte pieces: 5 pieces, the first 987 bytes
    expect(parts!.map((p) => p.length)).to.deep.equal([987, 1000, 1000, 1000, 109]);
    expect(sha(Buffer.concat(parts!))).to.equal(sha(srv.content));
  });
});

describe('sftp bulk writes: WRITE requests built in place', () => {
  it('uploads every byte at its offset, in request-sized WRITEs, in order', async () => {
    const srv = new FileServer(0);
    const f = await openFile(srv);
    const content = new Uint8Array(randomBytes(100_000));
    const progress: number[] = [];
    const n = await f.writeFromFile(memoryFile(content), 0, content.length, { concurrency: 4, onProgress: (b) => progress.push(b) });
    expect(n).to.equal(content.length);
    expect(sha(srv.content)).to.equal(sha(content));
    expect(srv.writes.map((w) => w.at)).to.deep.equal(Array.from({ length: 25 }, (_, i) => i * 4096));
    expect(srv.writes.slice(0, -1).every((w) => w.length === 4096)).to.equal(true);
    expect(srv.writes[srv.writes.length - 1]!.length).to.equal(100_000 - 24 * 4096);
    expect(progress[progress.length - 1]).to.equal(content.length);
  });

  it('uploads a range (resume): bytes [start, end) only', async () => {
    const srv = new FileServer(0);
    const f = await openFile(srv);
    const content = new Uint8Array(randomBytes(20_000));
    const n = await f.writeFromFile(memoryFile(content), 5000, 20_000);
    expect(n).to.equal(15_000);
    expect(sha(srv.content.subarray(5000))).to.equal(sha(content.subarray(5000)));
    expect(srv.writes[0]!.at).to.equal(5000);
  });

  it('bounds requests in flight and local reads ahead', async () => {
    const srv = new FileServer(0);
    const f = await openFile(srv);
    srv.holdWrites = true;
    const content = new Uint8Array(randomBytes(64 * 4096));
    const local = memoryFile(content);
    const p = f.writeFromFile(local, 0, content.length, { concurrency: 6, readAhead: 3 * 4096 });
    // let the pipeline fill, then answer in rounds
    for (let i = 0; i < 200 && srv.writes.length < 64; i++) {
      await new Promise((r) => setImmediate(r));
      srv.answerHeld();
    }
    srv.holdWrites = false;
    srv.answerHeld();
    expect(await p).to.equal(content.length);
    expect(sha(srv.content)).to.equal(sha(content));
    expect(srv.peakPending).to.be.at.most(6);
    expect(local.peakReads).to.be.at.most(3);
  });

  for (const readvMax of [undefined, 4096, 2 * 4096, 5000, 1000]) {
    it(`reads several requests per local readv call (at most ${readvMax ?? 'all'} bytes a call), every byte in place`, async () => {
      const srv = new FileServer(0);
      const f = await openFile(srv);
      const content = new Uint8Array(randomBytes(100_000));
      const local = memoryFile(content, { readv: true, readvMax });
      const n = await f.writeFromFile(local, 0, content.length, { readAhead: 8 * 4096 });
      expect(n).to.equal(content.length);
      expect(sha(srv.content)).to.equal(sha(content));
      expect(local.readvCalls).to.be.above(0);
      // whole readv calls need 4 requests per call: 25 requests in 7 calls
      if (readvMax === undefined) expect(local.calls).to.equal(7);
    });
  }

  it('a local file that shrinks under readv ends the upload there', async () => {
    const srv = new FileServer(0);
    const f = await openFile(srv);
    const content = new Uint8Array(randomBytes(100_000));
    for (const shrinkTo of [3 * 4096, 3 * 4096 + 10, 1]) {
      srv.content = new Uint8Array(0);
      const n = await f.writeFromFile(memoryFile(content, { readv: true, shrinkTo }), 0, content.length);
      expect(n).to.equal(shrinkTo);
      expect(sha(srv.content)).to.equal(sha(content.subarray(0, shrinkTo)));
    }
  });

  it('continues short local reads from where they stopped', async () => {
    const srv = new FileServer(0);
    const f = await openFile(srv);
    const content = new Uint8Array(randomBytes(30_000));
    const n = await f.writeFromFile(memoryFile(content, { shortReads: true }), 0, content.length);
    expect(n).to.equal(content.length);
    expect(sha(srv.content)).to.equal(sha(content));
  });

  it('stops where a local file that shrank ends', async () => {
    const srv = new FileServer(0);
    const f = await openFile(srv);
    const content = new Uint8Array(randomBytes(30_000));
    const n = await f.writeFromFile(memoryFile(content, { shrinkTo: 10_000 }), 0, content.length);
    expect(n).to.equal(10_000);
    expect(sha(srv.content)).to.equal(sha(content.subarray(0, 10_000)));
  });

  it('throws the first failed WRITE as its typed error and stops sending', async () => {
    const srv = new FileServer(0);
    const f = await openFile(srv);
    srv.failWriteAt = 2 * 4096;
    const content = new Uint8Array(randomBytes(200 * 4096));
    const e = await f.writeFromFile(memoryFile(content), 0, content.length, { concurrency: 4 }).then(
      () => null,
      (x: unknown) => x,
    );
    expect(e).to.be.instanceOf(SftpFailureError);
    expect((e as SftpFailureError).serverMessage).to.equal('disk full');
    expect(srv.writes.length).to.be.below(200);
  });

  it('a failing local read is a FILE error naming the source', async () => {
    const srv = new FileServer(0);
    const f = await openFile(srv);
    const bad: LocalFile = { read: () => Promise.reject(new Error('EIO')), write: async () => {}, close: async () => {} };
    const e = await f.writeFromFile(bad, 0, 10_000, { source: 'in.bin' }).then(
      () => null,
      (x: unknown) => x,
    );
    expect(e).to.be.instanceOf(SshError);
    expect((e as SshError).code).to.equal('FILE');
    expect((e as SshError).message).to.match(/in\.bin: EIO/);
  });
});

describe('channel bulk writes (reused CHANNEL_DATA buffer)', () => {
  /** A host that checks each payload when sent (it may be reused afterwards). */
  function recordingHost(): ChannelHost & { messages: string[] } {
    const messages: string[] = [];
    return {
      messages,
      async send(payload: Uint8Array) {
        messages.push(Buffer.from(payload).toString('hex'));
        await new Promise((r) => setImmediate(r));
      },
      release() {},
      closedError: null,
    };
  }

  const dataMsg = (type: number, recipient: number, data: Uint8Array, ext?: number): string => {
    const w = new Writer().u8(type).u32(recipient);
    if (ext !== undefined) w.u32(ext);
    return Buffer.from(w.string(data).finish()).toString('hex');
  };

  it('splits into the peer maximum packet, each message exact (data and extended data)', async () => {
    const host = recordingHost();
    const ch = new Channel(host, 0, 'session', { window: 1 << 20, maxPacket: 1 << 15 });
    ch.opened(42, 1 << 20, 10_064);
    const data = new Uint8Array(randomBytes(35_000));
    await Promise.all([ch.write(data), ch.write(data.subarray(0, 5000), 1), ch.write(data.subarray(0, 100))]);
    const want = [
      ...[0, 10_000, 20_000, 30_000].map((o) => dataMsg(MSG.CHANNEL_DATA, 42, data.subarray(o, Math.min(o + 10_000, 35_000)))),
      dataMsg(MSG.CHANNEL_EXTENDED_DATA, 42, data.subarray(0, 5000), 1),
      dataMsg(MSG.CHANNEL_DATA, 42, data.subarray(0, 100)),
    ];
    expect(host.messages).to.deep.equal(want);
  });
});
