/**
 * Non-blocking mode (`blocking(0)`) against sshd: a call that must wait for the network
 * resolves undefined with error() = LIBSSH2_ERROR_EAGAIN (-37) and block_directions()
 * INBOUND; the same call repeated later continues the pending operation, and a loop that
 * retries on EAGAIN reaches exactly what blocking mode gives.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import {
  Channel,
  Dir,
  File,
  SFTP,
  SSH2,
  LIBSSH2_ERROR_EAGAIN,
  LIBSSH2_SESSION_BLOCK_INBOUND,
  LIBSSH2_SESSION_BLOCK_OUTBOUND,
  O_CREAT,
  O_RDONLY,
  O_TRUNC,
  O_WRONLY,
} from '../../src/facade/index.js';
import { argKey } from '../../src/facade/nonblocking.js';
import { startFixture, type Fixture } from './support.js';

const tick = () => new Promise((r) => setTimeout(r, 1));

/** Repeat `call` while it gives EAGAIN; returns its result and how many EAGAINs it took. */
async function retry<T>(ss: SSH2, call: () => Promise<T | undefined>): Promise<{ value: T | undefined; eagains: number }> {
  for (let eagains = 0; ; eagains++) {
    ss._set_error(); // so an undefined result without an error is not mistaken for EAGAIN
    const value = await call();
    if (value !== undefined || ss.error() !== LIBSSH2_ERROR_EAGAIN) return { value, eagains };
    expect(ss.block_directions() & LIBSSH2_SESSION_BLOCK_INBOUND).to.equal(LIBSSH2_SESSION_BLOCK_INBOUND);
    await tick();
  }
}

/** The first call must be EAGAIN (-37, inbound); then retry to the result. */
async function eagainThen<T>(ss: SSH2, call: () => Promise<T | undefined>): Promise<T | undefined> {
  ss._set_error();
  expect(await call()).to.equal(undefined);
  expect(ss.error()).to.equal(LIBSSH2_ERROR_EAGAIN);
  expect(ss.error_list()[1]).to.equal('LIBSSH2_ERROR_EAGAIN');
  expect(ss.block_directions()).to.equal(LIBSSH2_SESSION_BLOCK_INBOUND);
  return (await retry(ss, call)).value;
}

describe('Net::SSH2 facade: non-blocking mode against sshd', function () {
  this.timeout(120_000);
  let f: Fixture;
  before(async () => {
    f = await startFixture();
    writeFileSync(join(f.work, 'nb.txt'), 'alpha\nbeta\ngamma\n'.repeat(500));
    writeFileSync(join(f.work, 'nb2.txt'), 'second\n');
  });
  after(async () => {
    await f?.sshd.stop();
  });

  async function blockingSession(): Promise<SSH2> {
    const s = new SSH2({ timeout: 30_000 });
    (await s.connect(f.sshd.host, f.sshd.port)) || s.die_with_error('connect');
    (await s.auth_publickey(f.sshd.user, f.pub, f.key)) || s.die_with_error('auth');
    return s;
  }

  /** connect + auth_publickey in non-blocking mode, each first giving EAGAIN. */
  async function nonBlockingSession(): Promise<SSH2> {
    const s = new SSH2();
    s.blocking(0);
    expect(await eagainThen(s, () => s.connect(f.sshd.host, f.sshd.port))).to.equal(true);
    expect(await eagainThen(s, () => s.auth_publickey(f.sshd.user, f.pub, f.key))).to.equal(true);
    expect(s.auth_ok()).to.equal(true);
    return s;
  }

  it('connect and auth_publickey: EAGAIN first, then true on a retry with the same arguments', async () => {
    const s = await nonBlockingSession();
    expect(s.method('KEX')).to.be.a('string');
    s.blocking(1);
    await s.disconnect();
  });

  it('auth_list, a failing auth_password and auth(): the same results as blocking', async () => {
    const s = new SSH2();
    s.blocking(0);
    await retry(s, () => s.connect(f.sshd.host, f.sshd.port));
    expect(await eagainThen(s, () => s.auth_list(f.user.name))).to.equal('publickey,password,keyboard-interactive');
    const bad = await retry(s, () => s.auth_password(f.user.name, 'wrong'));
    expect([bad.value, s.error()]).to.deep.equal([undefined, -18]);
    expect(await eagainThen(s, () => s.auth({ username: f.user.name, password: f.user.password, rank: ['publickey', 'password'] }))).to.equal('password');
    expect(s.auth_ok()).to.equal(true);
    s.blocking(1);
    await s.disconnect();
  });

  it('channel, exec, read until EOF and exit_status: the same output as blocking mode', async () => {
    const cmd = 'printf "one\\n"; sleep 0.2; printf "two\\n"; printf err >&2; exit 5';
    const b = await blockingSession();
    const bc = (await b.channel())!;
    await bc.exec(cmd);
    let bout = '';
    for (let d; (d = await bc.read()) && d.length;) bout += Buffer.from(d).toString();
    const bstatus = await bc.exit_status();
    await b.disconnect();

    const s = await nonBlockingSession();
    const c = (await eagainThen(s, () => s.channel()))!;
    expect(c).to.be.instanceOf(Channel);
    expect(await eagainThen(s, () => c.exec(cmd))).to.equal(true);
    let out = '';
    let eagains = 0;
    for (;;) {
      const r = await retry(s, () => c.read(1000));
      eagains += r.eagains;
      if (!r.value!.length) break;
      out += Buffer.from(r.value!).toString();
    }
    expect(eagains).to.be.greaterThan(0);
    expect(out).to.equal(bout);
    expect(out).to.equal('one\ntwo\n');
    expect((await retry(s, () => c.read(100, 1))).value).to.deep.equal(new Uint8Array(Buffer.from('err')));
    expect((await retry(s, () => c.exit_status())).value).to.equal(bstatus);
    expect(bstatus).to.equal(5);
    s.blocking(1);
    await s.disconnect();
  });

  it('readline in non-blocking mode gives EAGAIN until the whole line is there, consuming nothing before', async () => {
    const s = await nonBlockingSession();
    const c = (await retry(s, () => s.channel())).value!;
    await retry(s, () => c.exec('printf abc; sleep 0.3; printf "def\\nlast"'));
    const first = await retry(s, () => c.readline());
    expect(first.eagains).to.be.greaterThan(0);
    expect(first.value).to.equal('abcdef\n');
    expect((await retry(s, () => c.readline())).value).to.equal('last');
    expect(s.error()).to.equal(0);
    s.blocking(1);
    expect(await c.readline()).to.equal(undefined);
    await s.disconnect();
  });

  it('sftp, stat, open/read, opendir/readdir, realpath: EAGAIN first, then what blocking mode gives', async () => {
    const path = join(f.work, 'nb.txt');
    const b = await blockingSession();
    const bs = (await b.sftp())!;
    const bstat = await bs.stat(path);
    const bf = (await bs.open(path, O_RDONLY))!;
    const bdata = await bf.read(100_000);
    const bd = (await bs.opendir(f.work))!;
    const bnames: string[] = [];
    for (let e; (e = await bd.read());) bnames.push(e.name!);
    const bmissing = [await bs.stat(join(f.work, 'missing')), b.error(), bs.error()];
    await b.disconnect();

    const s = await nonBlockingSession();
    const sftp = (await eagainThen(s, () => s.sftp()))!;
    expect(sftp).to.be.instanceOf(SFTP);
    // (atime aside: the blocking session's read may have moved it)
    expect({ ...(await eagainThen(s, () => sftp.stat(path))), atime: 0 }).to.deep.equal({ ...bstat, atime: 0 });
    const fh = (await eagainThen(s, () => sftp.open(path, O_RDONLY)))!;
    expect(fh).to.be.instanceOf(File);
    const data = await eagainThen(s, () => fh.read(100_000));
    expect(Buffer.from(data!).toString()).to.equal(Buffer.from(bdata!).toString());
    expect(data!.length).to.equal(bstat!.size);
    expect((await retry(s, () => fh.read(10))).value!.length).to.equal(0); // EOF
    const dir = (await eagainThen(s, () => sftp.opendir(f.work)))!;
    expect(dir).to.be.instanceOf(Dir);
    const names: string[] = [];
    for (;;) {
      const e = (await retry(s, () => dir.read())).value;
      if (!e) break;
      names.push(e.name!);
    }
    expect(names.sort()).to.deep.equal(bnames.sort());
    expect(names).to.include.members(['nb.txt', 'nb2.txt']);
    expect(await eagainThen(s, () => sftp.realpath(join(f.work, '.', 'nb2.txt')))).to.equal(join(f.work, 'nb2.txt'));
    const missing = await retry(s, () => sftp.stat(join(f.work, 'missing')));
    expect([missing.value, s.error(), sftp.error()]).to.deep.equal(bmissing);
    expect(bmissing).to.deep.equal([undefined, -31, 2]);
    s.blocking(1);
    await s.disconnect();
  });

  it('a pending operation is continued by the identical call, also after switching back to blocking; other arguments start another', async () => {
    const s = await nonBlockingSession();
    const sftp = (await retry(s, () => s.sftp())).value!;
    const a = join(f.work, 'nb.txt');
    const b2 = join(f.work, 'nb2.txt');
    expect(await sftp.stat(a)).to.equal(undefined);
    expect(s.error()).to.equal(LIBSSH2_ERROR_EAGAIN);
    expect(await sftp.stat(b2)).to.equal(undefined);
    s.blocking(1);
    const sa = await sftp.stat(a);
    const sb = await sftp.stat(b2);
    expect([sa!.size, sb!.size]).to.deep.equal([17 * 500, 7]);
    // Repeated writes are one write: the file holds the data once.
    s.blocking(0);
    const out = join(f.work, 'nb-out.txt');
    const fh = (await retry(s, () => sftp.open(out, O_WRONLY | O_CREAT | O_TRUNC))).value!;
    expect(await fh.write('hello')).to.equal(undefined);
    expect(s.error()).to.equal(LIBSSH2_ERROR_EAGAIN);
    expect((await retry(s, () => fh.write('hello'))).value).to.equal(5);
    s.blocking(1);
    await fh.DESTROY();
    expect((await sftp.stat(out))!.size).to.equal(5);
    await s.disconnect();
  });

  it('write: partial writes within the send window, EAGAIN with OUTBOUND when the window is closed', async () => {
    const s = await nonBlockingSession();
    // a small receive window: cat's echo stops once we stop reading, then sshd stops opening ours
    const c = (await retry(s, () => s.channel('session', 32768, 16384))).value!;
    await retry(s, () => c.exec('cat'));
    const chunk = new Uint8Array(256 * 1024).fill(0x61);
    let sent = 0;
    // Same-argument retries collect a write still on its way out; once the peer's window is
    // closed every call is EAGAIN at once (50 in a row end the loop).
    for (let eagainsInARow = 0; eagainsInARow < 50;) {
      s._set_error();
      const n = await c.write(chunk);
      if (n === undefined) {
        expect(s.error()).to.equal(LIBSSH2_ERROR_EAGAIN);
        expect(s.block_directions()).to.equal(LIBSSH2_SESSION_BLOCK_OUTBOUND);
        eagainsInARow++;
        await tick();
      } else {
        expect(n).to.be.within(1, chunk.length);
        sent += n;
        eagainsInARow = 0;
      }
    }
    expect(c.window_write()).to.equal(0);
    // Drain the echo (blocking) and close our side: every byte sent comes back.
    s.blocking(1);
    await c.send_eof();
    let back = 0;
    for (let d; (d = await c.read()) && d.length;) back += d.length;
    expect(back).to.equal(sent);
    await s.disconnect();
  });

  it('the pending-operation key compares values by content and objects by identity', () => {
    expect(argKey('a')).to.equal(argKey('a'));
    expect(argKey(new Uint8Array([1, 2]))).to.equal(argKey(Uint8Array.from([1, 2])));
    expect(argKey({ b: 1, a: [null, undefined] })).to.equal(argKey({ a: [null, undefined], b: 1 }));
    expect(argKey('1')).to.not.equal(argKey(1));
    const fn = () => 1;
    expect(argKey(fn)).to.equal(argKey(fn));
    expect(argKey(fn)).to.not.equal(argKey(() => 1));
  });
});
