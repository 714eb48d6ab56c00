/**
 * SftpServer over an in-memory pipe: puressh's own SftpClient against MemoryFs (every
 * request and extension, status codes and messages as OpenSSH's sftp-server words them),
 * and a raw client sending hostile input (malformed packets, huge lengths, unknown handles,
 * too many handles, random bytes) that must get errors or a clean close, never a crash.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { SftpClient } from '../../../src/sftp/client.js';
import { FX, FXP } from '../../../src/sftp/constants.js';
import { SftpError } from '../../../src/sftp/errors.js';
import { buildPacket, decodeResponse, decodeVersion, type SftpResponse } from '../../../src/sftp/packets.js';
import { MemoryFs } from '../../../src/sftp/server/memory-fs.js';
import { SftpServer, type SftpServerOptions } from '../../../src/sftp/server/server.js';
import type { ByteStream } from '../../../src/transport/stream.js';
import { memPipe } from '../../support/fake-server.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function rand(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

async function pair(options: Partial<SftpServerOptions> = {}): Promise<{ client: SftpClient; server: SftpServer; fs: MemoryFs; served: Promise<void> }> {
  const fs = (options.fs as MemoryFs | undefined) ?? new MemoryFs({ home: '/home/u', users: { 1000: 'u' }, groups: { 1000: 'g' } });
  const [a, b] = memPipe();
  const server = new SftpServer(b, { ...options, fs });
  const served = server.serve();
  const client = await SftpClient.open({ read: () => a.read(), write: async (d) => a.write(d), close: () => a.close() }, { symlinkOrder: 'openssh' });
  return { client, server, fs, served };
}

async function status(p: Promise<unknown>): Promise<[number, string]> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SftpError) return [e.status, e.serverMessage];
    throw e;
  }
  return [FX.OK, ''];
}

describe('SftpServer with SftpClient over a memory pipe (MemoryFs)', function () {
  this.timeout(60_000);

  it('writes and reads back files of 0, 1, 32 KiB - 1, 32 KiB, 32 KiB + 1 and 5 MiB bytes', async () => {
    const { client, fs, served } = await pair();
    for (const n of [0, 1, 32767, 32768, 32769, 5 * 1024 * 1024]) {
      const data = rand(n, n + 7);
      const f = await client.open(`f${n}`, 'w');
      await f.write(data);
      await f.close();
      expect(sha(fs.readFile(`/home/u/f${n}`)!)).to.equal(sha(data));
      const r = await client.open(`f${n}`, 'r');
      expect(sha(await r.readAll())).to.equal(sha(data));
      expect((await r.stat()).size).to.equal(n);
      await r.close();
    }
    await client.end();
    await served;
  });

  it('answers failures with the codes and messages of OpenSSH sftp-server', async () => {
    const { client, fs, served } = await pair();
    fs.writeFile('/home/u/a', 'x');
    fs.writeFile('/home/u/b', 'y');
    fs.writeFile('/home/u/full/f', 'z');
    fs.mkdirp('/home/u/locked', 0o000);
    expect(await status(client.stat('missing'))).to.deep.equal([FX.NO_SUCH_FILE, 'No such file']);
    expect(await status(client.open('missing', 'r'))).to.deep.equal([FX.NO_SUCH_FILE, 'No such file']);
    expect(await status(client.rmdir('full'))).to.deep.equal([FX.FAILURE, 'Failure']);
    expect(await status(client.rename('a', 'b'))).to.deep.equal([FX.FAILURE, 'Failure']);
    expect(await status(client.mkdir('full'))).to.deep.equal([FX.FAILURE, 'Failure']);
    expect(await status(client.opendir('locked'))).to.deep.equal([FX.PERMISSION_DENIED, 'Permission denied']);
    expect(await status(client.symlink('a', 'b'))).to.deep.equal([FX.FAILURE, 'Failure']);
    expect(await status(client.remove('full'))).to.deep.equal([FX.FAILURE, 'Failure']);
    expect(await status(client.readlink('a'))).to.deep.equal([FX.BAD_MESSAGE, 'Bad message']);
    expect(await status(client.lsetstat('a', { size: 0 }))).to.deep.equal([FX.BAD_MESSAGE, 'Bad message']);
    await client.posixRename('a', 'b');
    expect(new TextDecoder().decode(fs.readFile('/home/u/b'))).to.equal('x');
    await client.end();
    await served;
  });

  it('serves every request and extension', async () => {
    const { client, fs, served } = await pair();
    expect(await client.realpath('.')).to.equal('/home/u');
    expect(await client.realpath('../../..')).to.equal('/');
    expect(await status(client.realpath('x/..'))).to.deep.equal([FX.NO_SUCH_FILE, 'No such file']);
    await client.mkdir('d', { permissions: 0o750 });
    expect((await client.stat('d')).permissions! & 0o777).to.equal(0o750 & ~0o022);
    fs.writeFile('/home/u/d/file', 'hello world');
    await client.symlink('d/file', 'ln');
    expect(await client.readlink('ln')).to.equal('d/file');
    expect((await client.lstat('ln')).permissions! & 0o170000).to.equal(0o120000);
    expect((await client.stat('ln')).size).to.equal(11);
    expect(await client.realpath('ln')).to.equal('/home/u/d/file');
    await client.hardlink('d/file', 'hard');
    expect(new TextDecoder().decode(fs.readFile('/home/u/hard'))).to.equal('hello world');
    await client.chmod('hard', 0o600);
    await client.utimes('hard', 1000, 2000);
    const st = await client.stat('d/file');
    expect([st.permissions! & 0o777, st.atime, st.mtime]).to.deep.equal([0o600, 1000, 2000]);
    await client.truncate('hard', 5);
    expect(new TextDecoder().decode(fs.readFile('/home/u/d/file'))).to.equal('hello');
    expect(await client.expandPath('~')).to.equal('/home/u');
    expect(await client.expandPath('~/d')).to.equal('/home/u/d');
    expect(await client.homeDirectory()).to.equal('/home/u');
    expect(await client.usersGroupsById([1000, 5], [1000])).to.deep.equal({ users: ['u', ''], groups: ['g'] });
    expect((await client.statvfs('/')).bsize).to.equal(4096n);
    const src = await client.open('hard', 'r');
    const dst = await client.open('copy', 'w');
    await src.copyTo(dst);
    await dst.sync();
    expect((await dst.statvfs()).namemax).to.equal(255n);
    await Promise.all([src.close(), dst.close()]);
    expect(new TextDecoder().decode(fs.readFile('/home/u/copy'))).to.equal('hello');
    await client.rename('copy', 'copy2');
    await client.remove('copy2');
    await client.remove('ln');
    await client.remove('hard');
    await client.remove('d/file');
    await client.rmdir('d');
    expect((await client.readdir('.')).map((n) => n.filename)).to.deep.equal([]);
    await client.end();
    await served;
  });

  it('lists a 3000-entry directory in batches, names as bytes (not UTF-8 too)', async () => {
    const { client, fs, served } = await pair();
    const names = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      fs.writeFile(`/home/u/big/n${String(i).padStart(4, '0')}`, '');
      names.add(`n${String(i).padStart(4, '0')}`);
    }
    const odd = Uint8Array.from([0x66, 0xff, 0xfe, 0x80]);
    fs.writeFile(Uint8Array.from([...enc('/home/u/big/'), ...odd]), 'odd');
    const list = await client.readdir('big');
    expect(list.length).to.equal(3001);
    expect(list.filter((n) => names.has(n.filename)).length).to.equal(3000);
    const o = list.find((n) => n.filenameBytes.length === 4 && n.filenameBytes[1] === 0xff)!;
    expect([...o.filenameBytes]).to.deep.equal([...odd]);
    expect(o.longname).to.match(/^-rw-r--r-- {4}1 u {8}g {8} {7}3 /);
    const f = await client.open(Uint8Array.from([...enc('big/'), ...odd]), 'r');
    expect(new TextDecoder().decode(await f.readAll())).to.equal('odd');
    await f.close();
    await client.end();
    await served;
  });

  it('read-only mode and the authorize hook refuse with PERMISSION_DENIED', async () => {
    const ro = await pair({ readOnly: true });
    ro.fs.writeFile('/home/u/a', 'x');
    expect(await status(ro.client.open('a', 'w'))).to.deep.equal([FX.PERMISSION_DENIED, 'Permission denied']);
    expect(await status(ro.client.remove('a'))).to.deep.equal([FX.PERMISSION_DENIED, 'Permission denied']);
    expect(await status(ro.client.mkdir('x'))).to.deep.equal([FX.PERMISSION_DENIED, 'Permission denied']);
    expect((await ro.client.stat('a')).size).to.equal(1);
    await ro.client.end();
    await ro.served;
    const seen: string[] = [];
    const hooked = await pair({
      authorize: (r) => {
        seen.push(`${r.name}:${r.paths.map((p) => new TextDecoder().decode(p)).join(',')}`);
        return !(r.name === 'remove' && new TextDecoder().decode(r.paths[0]) === 'keep');
      },
    });
    hooked.fs.writeFile('/home/u/keep', 'k');
    hooked.fs.writeFile('/home/u/drop', 'd');
    expect(await status(hooked.client.remove('keep'))).to.deep.equal([FX.PERMISSION_DENIED, 'Permission denied']);
    await hooked.client.remove('drop');
    expect(seen).to.include.members(['remove:keep', 'remove:drop']);
    await hooked.client.end();
    await hooked.served;
  });
});

/** A raw SFTP client: send packets, read decoded replies. */
function raw(options: Partial<SftpServerOptions> = {}): {
  send(p: Uint8Array): void;
  next(): Promise<SftpResponse | null>;
  served: Promise<void>;
  server: SftpServer;
  stream: ByteStream;
} {
  const [a, b] = memPipe();
  const server = new SftpServer(b, { fs: new MemoryFs(), ...options });
  const served = server.serve();
  let buf = new Uint8Array(0);
  const next = async (): Promise<SftpResponse | null> => {
    for (;;) {
      if (buf.length >= 4) {
        const len = new DataView(buf.buffer, buf.byteOffset).getUint32(0);
        if (buf.length >= 4 + len) {
          const p = buf.slice(4, 4 + len);
          buf = buf.slice(4 + len);
          return p[0] === FXP.VERSION ? { type: FXP.EXTENDED_REPLY, id: 0, data: p } : decodeResponse(p);
        }
      }
      const c = await a.read();
      if (c === null) return null;
      const nb = new Uint8Array(buf.length + c.length);
      nb.set(buf);
      nb.set(c, buf.length);
      buf = nb;
    }
  };
  return { send: (p) => void a.write(p), next, served, server, stream: a };
}

const init = buildPacket(FXP.INIT, 8, (w) => w.u32(3));

describe('SftpServer reply order', () => {
  it('answers in request order while requests run concurrently (a slow first READ holds back later replies)', async () => {
    const fs = new MemoryFs();
    fs.writeFile('/f', rand(4 * 32768));
    // Reads at offset 0 take 50 ms; the others are immediate, so they finish first.
    const openFile = fs.open.bind(fs);
    fs.open = async (...args: Parameters<MemoryFs['open']>) => {
      const file = await openFile(...args);
      const read = file.read.bind(file);
      file.read = async (buf: Uint8Array, pos: number) => {
        if (pos === 0) await new Promise((r) => setTimeout(r, 50));
        return read(buf, pos);
      };
      return file;
    };
    const c = raw({ fs });
    c.send(init);
    await c.next();
    c.send(buildPacket(FXP.OPEN, 64, (w) => w.u32(1).string('/f').u32(1).u32(0)));
    const h = (await c.next()) as { handle: Uint8Array };
    for (let i = 0; i < 4; i++)
      c.send(
        buildPacket(FXP.READ, 64, (w) =>
          w
            .u32(10 + i)
            .string(h.handle)
            .u64(i * 32768)
            .u32(32768),
        ),
      );
    c.send(buildPacket(FXP.STAT, 64, (w) => w.u32(20).string('/f')));
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push((await c.next())!.id);
    expect(ids).to.deep.equal([10, 11, 12, 13, 20]);
    c.stream.close();
    await c.served;
  });
});

describe('SftpServer on hostile input', function () {
  this.timeout(60_000);

  it('announces version 3 and the OpenSSH extensions', async () => {
    const c = raw();
    c.send(init);
    const v = await c.next();
    const version = decodeVersion((v as { data: Uint8Array }).data);
    expect(version.version).to.equal(3);
    expect([...version.extensions.keys()]).to.include.members([
      'posix-rename@openssh.com',
      'limits@openssh.com',
      'copy-data',
      'users-groups-by-id@openssh.com',
    ]);
    c.stream.close();
    await c.served;
  });

  it('answers unknown handles, unknown types and malformed bodies with errors', async () => {
    const c = raw();
    c.send(init);
    await c.next();
    const bad = Uint8Array.from([0, 0, 0, 9]);
    c.send(buildPacket(FXP.READ, 32, (w) => w.u32(1).string(bad).u64(0).u32(10)));
    c.send(buildPacket(FXP.CLOSE, 32, (w) => w.u32(2).string(bad)));
    c.send(buildPacket(FXP.WRITE, 32, (w) => w.u32(3).string(new Uint8Array(300)).u64(0).string('x')));
    c.send(buildPacket(99, 32, (w) => w.u32(4)));
    c.send(buildPacket(FXP.OPEN, 32, (w) => w.u32(5).u32(0xffffff)));
    c.send(buildPacket(FXP.EXTENDED, 32, (w) => w.u32(6).string('nope@example.com')));
    c.send(buildPacket(FXP.STAT, 32, (w) => w.u32(7).u32(0xfffffff0)));
    const got = new Map<number, number>();
    for (let i = 0; i < 7; i++) {
      const r = (await c.next())!;
      expect(r.type).to.equal(FXP.STATUS);
      got.set(r.id, (r as { code: number }).code);
    }
    expect(Object.fromEntries(got)).to.deep.equal({
      1: FX.FAILURE,
      2: FX.NO_SUCH_FILE,
      3: FX.FAILURE,
      4: FX.OP_UNSUPPORTED,
      5: FX.BAD_MESSAGE,
      6: FX.OP_UNSUPPORTED,
      7: FX.BAD_MESSAGE,
    });
    c.stream.close();
    await c.served;
  });

  it('caps open handles (more opens fail) and closes them all when the client leaves', async () => {
    const fs = new MemoryFs();
    fs.writeFile('/f', 'x');
    const c = raw({ fs, maxHandles: 100 });
    c.send(init);
    await c.next();
    for (let i = 0; i < 150; i++) c.send(buildPacket(FXP.OPEN, 32, (w) => w.u32(i).string('/f').u32(1).u32(0)));
    let handles = 0;
    let failures = 0;
    for (let i = 0; i < 150; i++) {
      const r = (await c.next())!;
      if (r.type === FXP.HANDLE) handles++;
      else if (r.type === FXP.STATUS && r.code === FX.FAILURE) failures++;
    }
    expect([handles, failures]).to.deep.equal([100, 50]);
    expect(c.server.openHandles).to.equal(100);
    c.stream.close();
    await c.served;
    expect(c.server.openHandles).to.equal(0);
  });

  it('closes the stream on a huge length or a request before INIT', async () => {
    const c = raw();
    c.send(Uint8Array.from([0x7f, 0xff, 0xff, 0xff, 1, 2, 3]));
    expect(await c.next()).to.equal(null);
    await c.served;
    const d = raw();
    d.send(buildPacket(FXP.STAT, 16, (w) => w.u32(1).string('/')));
    expect(await d.next()).to.equal(null);
    await d.served;
  });

  it('never crashes on random packets: each gets a reply or the stream closes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 64 })), { minLength: 1, maxLength: 20 }),
        async (packets) => {
          const fs = new MemoryFs();
          fs.writeFile('/f', 'data');
          const c = raw({ fs });
          c.send(init);
          await c.next();
          for (const [type, body] of packets) c.send(buildPacket(type === FXP.INIT ? FXP.STAT : type, body.length + 8, (w) => w.raw(body)));
          // Each packet with a request id is answered; one without ends the session.
          for (;;) {
            const r = await Promise.race([c.next(), new Promise<'idle'>((res) => setTimeout(() => res('idle'), 50))]);
            if (r === null || r === 'idle') break;
          }
          c.stream.close();
          await c.served;
        },
      ),
      { numRuns: 150 },
    );
  });
});
