import { expect } from 'chai';
import { Deferred } from '../../../src/async.js';
import { SshError, ProtocolError } from '../../../src/errors.js';
import { Reader } from '../../../src/wire/reader.js';
import { Writer } from '../../../src/wire/writer.js';
import { FXP, FX } from '../../../src/sftp/constants.js';
import { SftpClient } from '../../../src/sftp/client.js';
import type { SftpStream } from '../../../src/sftp/engine.js';
import {
  SftpConnectionLostError,
  SftpEofError,
  SftpError,
  SftpFailureError,
  SftpNoSuchFileError,
  SftpOpUnsupportedError,
  SftpPermissionDeniedError,
  sftpError,
} from '../../../src/sftp/errors.js';
import { readRange, writeChunks } from '../../../src/sftp/pipeline.js';
import { SftpFrames } from './frames.js';

interface Req {
  type: number;
  id: number;
  body: Reader;
}

/** An in-memory peer: sees each request, answers with raw packets, cuts output as told. */
class FakeServer implements SftpStream {
  private out: Uint8Array[] = [];
  private waiter: Deferred<void> | null = null;
  private ended = false;
  private readonly frames = new SftpFrames();
  requests: Req[] = [];
  /** how to cut the outgoing bytes: 'whole' packets, 'bytes' one at a time, or 'merged' all queued at once */
  cut: 'whole' | 'bytes' | 'merged' = 'whole';

  constructor(
    private readonly onRequest: (r: Req, s: FakeServer) => void,
    private readonly extensions: Array<[string, string]> = [],
  ) {}

  async read(): Promise<Uint8Array | null> {
    for (;;) {
      if (this.out.length > 0) {
        if (this.cut === 'merged') {
          const all = Buffer.concat(this.out.splice(0));
          return new Uint8Array(all);
        }
        return this.out.shift()!;
      }
      if (this.ended) return null;
      this.waiter ??= new Deferred<void>();
      await this.waiter.promise;
    }
  }

  async write(data: Uint8Array): Promise<void> {
    for (const p of this.frames.push(data)) {
      if (p[0] === FXP.INIT) {
        const w = new Writer().u8(FXP.VERSION).u32(3);
        for (const [n, d] of this.extensions) w.string(n).string(d);
        this.send(w.finish().slice());
        continue;
      }
      const r = new Reader(p, 1);
      const req = { type: p[0]!, id: r.u32(), body: r };
      this.requests.push(req);
      this.onRequest(req, this);
    }
  }

  close(): void {
    this.end();
  }

  send(payload: Uint8Array): void {
    const pkt = new Writer().string(payload).finish().slice();
    if (this.cut === 'bytes') for (const b of pkt) this.out.push(Uint8Array.of(b));
    else this.out.push(pkt);
    this.wake();
  }

  status(id: number, code: number, msg = ''): void {
    this.send(new Writer().u8(FXP.STATUS).u32(id).u32(code).string(msg).string('').finish().slice());
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.resolve();
  }
}

describe('sftp engine (in-memory peer)', () => {
  for (const cut of ['whole', 'bytes', 'merged'] as const) {
    it(`matches out-of-order responses to pipelined requests (${cut} chunks)`, async () => {
      const held: Req[] = [];
      const srv = new FakeServer((r, s) => {
        held.push(r);
        if (held.length === 3) {
          // answer in reverse order
          for (const h of held.reverse()) {
            const path = h.body.text();
            s.send(new Writer().u8(FXP.ATTRS).u32(h.id).u32(1).u64(path.length).finish().slice());
          }
        }
      });
      srv.cut = cut;
      const c = await SftpClient.open(srv);
      const sizes = await Promise.all([c.stat('a'), c.stat('bb'), c.stat('ccc')]);
      expect(sizes.map((a) => a.size)).to.deep.equal([1, 2, 3]);
      expect(new Set(srv.requests.map((r) => r.id)).size).to.equal(3);
    });
  }

  it('maps each status code to its typed error, with message and path', async () => {
    const codes = [FX.EOF, FX.NO_SUCH_FILE, FX.PERMISSION_DENIED, FX.FAILURE, FX.OP_UNSUPPORTED, 18];
    let i = 0;
    const srv = new FakeServer((r, s) => s.status(r.id, codes[i++]!, 'server says no'));
    const c = await SftpClient.open(srv);
    const classes = [SftpEofError, SftpNoSuchFileError, SftpPermissionDeniedError, SftpFailureError, SftpOpUnsupportedError, SftpError];
    for (let k = 0; k < codes.length; k++) {
      const err = await c.remove('/x/y').then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(classes[k]!);
      expect(err).to.be.instanceOf(SshError);
      const e = err as SftpError;
      expect(e.status).to.equal(codes[k]);
      expect(e.serverMessage).to.equal('server says no');
      expect(e.path).to.equal('/x/y');
      expect(e.request).to.equal('REMOVE');
      expect(e.code).to.equal('SFTP_PROTOCOL');
    }
    expect(sftpError(18, '').statusName).to.equal('DIR_NOT_EMPTY');
  });

  it('fails every pending request with CONNECTION_LOST when the stream ends', async () => {
    const srv = new FakeServer(() => {});
    const c = await SftpClient.open(srv);
    const p = [c.stat('/a'), c.open('/b', 'w')];
    srv.end();
    for (const x of p) {
      const e = await x.then(
        () => null,
        (err: unknown) => err,
      );
      expect(e).to.be.instanceOf(SftpConnectionLostError);
      expect((e as SftpError).status).to.equal(FX.CONNECTION_LOST);
    }
    const late = await c.stat('/c').then(
      () => null,
      (err: unknown) => err,
    );
    expect(late).to.be.instanceOf(SftpConnectionLostError);
    expect((late as SftpError).path).to.equal('/c');
  });

  it('treats a response with an unknown id as a protocol error', async () => {
    const srv = new FakeServer((r, s) => s.status(r.id + 1000, 0));
    const c = await SftpClient.open(srv);
    const e = await c.stat('/a').then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).to.be.instanceOf(ProtocolError);
    expect((e as Error).message).to.match(/unknown request id/);
  });

  it('refuses an oversized packet length', async () => {
    const srv = new FakeServer((r, s) => s.send(new Uint8Array(64)));
    const c = await SftpClient.open(srv, { maxPacket: 32 });
    const e = await c.stat('/a').then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).to.be.instanceOf(ProtocolError);
    expect((e as Error).message).to.match(/exceeds our limit/);
  });

  it('sends SYMLINK in OpenSSH order to OpenSSH and in draft order otherwise', async () => {
    for (const [serverVersion, first] of [
      ['SSH-2.0-OpenSSH_9.2p1', 'target'],
      ['SSH-2.0-AsyncSSH_2.10.1', 'link'],
    ] as const) {
      const srv = new FakeServer((r, s) => s.status(r.id, FX.OK));
      const c = await SftpClient.open(srv, { serverVersion });
      await c.symlink('target', 'link');
      const body = srv.requests[0]!.body;
      expect(body.text()).to.equal(first);
    }
  });

  it('refuses extension requests the server did not announce, and uses announced limits', async () => {
    const srv = new FakeServer(
      (r, s) => {
        const name = r.body.text();
        if (name === 'limits@openssh.com') {
          s.send(new Writer().u8(FXP.EXTENDED_REPLY).u32(r.id).u64(1000).u64(100).u64(200).u64(5).finish().slice());
        }
      },
      [['limits@openssh.com', '1']],
    );
    const c = await SftpClient.open(srv);
    expect(c.limits).to.deep.equal({ maxPacketLength: 1000, maxReadLength: 100, maxWriteLength: 200, maxOpenHandles: 5 });
    const e = await c.statvfs('/').then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).to.be.instanceOf(SftpOpUnsupportedError);
    expect((e as SftpError).path).to.equal('/');
  });
});

describe('sftp pipeline', () => {
  const content = new Uint8Array(1000).map((_, i) => (i * 7) & 0xff);

  it('delivers ranges in order, completing short reads before later data', async () => {
    const calls: Array<[number, number]> = [];
    const file = {
      async readChunk(len: number, at: number): Promise<Uint8Array | null> {
        calls.push([at, len]);
        await new Promise((r) => setTimeout(r, (at * 13) % 5));
        if (at >= content.length) return null;
        const n = Math.min(len, at % 3 === 0 ? Math.max(1, len >> 1) : len); // some reads come back short
        return content.slice(at, Math.min(at + n, content.length));
      },
    };
    const parts: Uint8Array[] = [];
    for await (const c of readRange(file, 10, undefined, { chunkSize: 64, concurrency: 4 })) parts.push(c);
    expect(Buffer.concat(parts).equals(Buffer.from(content.subarray(10)))).to.equal(true);
    for await (const c of readRange(file, 0, 100, { chunkSize: 64, concurrency: 4 })) parts.push(c);
    expect(calls.every(([at, len]) => at < 100 || len > 0)).to.equal(true);
  });

  it('stops at end, never requesting beyond it', async () => {
    const seen: number[] = [];
    const file = { readChunk: async (len: number, at: number) => (seen.push(at + len), content.slice(at, at + len)) };
    const parts: Uint8Array[] = [];
    for await (const c of readRange(file, 100, 300, { chunkSize: 64, concurrency: 8 })) parts.push(c);
    expect(Buffer.concat(parts).equals(Buffer.from(content.subarray(100, 300)))).to.equal(true);
    expect(Math.max(...seen)).to.equal(300);
  });

  it('coalesces and splits writes into chunk-size requests with bounded concurrency', async () => {
    const out = new Uint8Array(1000);
    const sizes: number[] = [];
    let inflight = 0;
    let peak = 0;
    const file = {
      async writeChunk(data: Uint8Array, at: number): Promise<void> {
        sizes.push(data.length);
        inflight++;
        peak = Math.max(peak, inflight);
        await new Promise((r) => setTimeout(r, 1));
        out.set(data, at);
        inflight--;
      },
    };
    function* src(): Generator<Uint8Array> {
      for (let o = 0; o < 900; o += 30) yield content.slice(o, o + 30);
      yield content.slice(900, 1000);
    }
    const progress: number[] = [];
    const n = await writeChunks(file, src(), 0, { chunkSize: 128, concurrency: 3, onProgress: (b) => progress.push(b) });
    expect(n).to.equal(1000);
    expect(Buffer.from(out).equals(Buffer.from(content))).to.equal(true);
    expect(sizes.slice(0, -1).every((s) => s === 128)).to.equal(true);
    expect(peak).to.be.at.most(3);
    expect(progress[progress.length - 1]).to.equal(1000);
  });

  it('throws the first write failure and stops sending', async () => {
    let calls = 0;
    const file = {
      async writeChunk(_d: Uint8Array, at: number): Promise<void> {
        calls++;
        if (at === 256) throw sftpError(FX.FAILURE, 'disk full', '/f', 'WRITE');
      },
    };
    const big = new Uint8Array(128 * 100);
    const e = await writeChunks(file, [big], 0, { chunkSize: 128, concurrency: 4 }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).to.be.instanceOf(SftpFailureError);
    expect((e as SftpError).serverMessage).to.equal('disk full');
    expect(calls).to.be.below(100);
  });
});

describe('sftp pipeline without a known end', () => {
  it('starts with one request and doubles while reads come back full', async () => {
    const data = new Uint8Array(10 * 64 + 5).map((_, i) => i & 0xff);
    const requested: number[] = [];
    const file = {
      readChunk: async (len: number, at: number) => (requested.push(at), at >= data.length ? null : data.slice(at, at + len)),
    };
    const parts: Uint8Array[] = [];
    for await (const c of readRange(file, 0, undefined, { chunkSize: 64, concurrency: 8 })) parts.push(c);
    expect(Buffer.concat(parts).equals(Buffer.from(data))).to.equal(true);
    // a tiny file costs one request for its data and one that finds EOF
    requested.length = 0;
    for await (const c of readRange(
      { readChunk: async (len: number, at: number) => (requested.push(at), at >= 10 ? null : data.slice(at, Math.min(10, at + len))) },
      0,
      undefined,
      { chunkSize: 64, concurrency: 8 },
    ))
      void c;
    expect(requested).to.deep.equal([0, 10]);
  });
});
