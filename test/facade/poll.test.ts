/**
 * The deprecated `poll` against sshd: the revents it reports for channel data (stdout and
 * stderr), the send window (including a wake-up by the peer's WINDOW_ADJUST), a channel's
 * close, a listener's close, the session's end and a timeout. Waits are event-driven; the
 * long timeouts below only bound them.
 */
import { expect } from 'chai';
import { SSH2, OTHER, type Channel, type PollItem } from '../../src/facade/index.js';
import { startFixture, type Fixture } from './support.js';

const P = OTHER;

describe('Net::SSH2 facade: poll against sshd', function () {
  this.timeout(120_000);
  let f: Fixture;
  let s: SSH2;
  before(async () => {
    f = await startFixture();
  });
  after(async () => {
    await f?.sshd.stop();
  });
  beforeEach(async () => {
    s = new SSH2({ timeout: 60_000 });
    (await s.connect(f.sshd.host, f.sshd.port)) || s.die_with_error('connect');
    (await s.auth_publickey(f.sshd.user, f.pub, f.key)) || s.die_with_error('auth');
  });
  afterEach(async () => {
    await s.disconnect();
  });
  async function exec(cmd: string, window?: number): Promise<Channel> {
    const c = (await s.channel('session', window, window && 16384))!;
    expect(await c.exec(cmd)).to.equal(true);
    return c;
  }

  it('POLLIN when stdout data arrives (waits for it), POLLEXT for stderr', async () => {
    const c = await exec('sleep 0.3; echo out; sleep 0.3; echo err >&2; sleep 5');
    const items: PollItem[] = [{ handle: c, events: ['in'] }];
    expect(await s.poll(60_000, items)).to.equal(1);
    expect(items[0]!.revents).to.deep.equal({ value: P.LIBSSH2_POLLFD_POLLIN, in: 1 });
    expect(Buffer.from((await c.read())!).toString()).to.equal('out\n');
    const ext: PollItem[] = [{ handle: c, events: P.LIBSSH2_POLLFD_POLLEXT }];
    expect(await s.poll(60_000, ext)).to.equal(1);
    expect(ext[0]!.revents).to.deep.equal({ value: P.LIBSSH2_POLLFD_POLLEXT, ext: 1 });
    expect(Buffer.from((await c.read(100, 1))!).toString()).to.equal('err\n');
    await c.close();
  });

  it('a timeout with nothing ready reports 0 and empty revents', async () => {
    const c = await exec('sleep 5');
    const items: PollItem[] = [{ handle: c, events: ['in', 'ext'] }];
    expect(await s.poll(100, items)).to.equal(0);
    expect(items[0]!.revents).to.deep.equal({ value: 0 });
    await c.close();
  });

  it("POLLOUT while the send window is open; the peer's WINDOW_ADJUST wakes a poll on a closed window", async () => {
    const c = await exec('cat', 32768);
    const now: PollItem[] = [{ handle: c, events: ['out'] }];
    expect(await s.poll(0, now)).to.equal(1);
    expect(now[0]!.revents).to.deep.equal({ value: P.LIBSSH2_POLLFD_POLLOUT, out: 1 });
    // Fill the peer's window without reading cat's echo: it closes.
    s.blocking(0);
    const chunk = new Uint8Array(256 * 1024);
    for (let again = 0; again < 50;) {
      if ((await c.write(chunk)) === undefined) {
        again++;
        await new Promise((r) => setTimeout(r, 1));
      } else again = 0;
    }
    s.blocking(1);
    expect(c.window_write()).to.equal(0);
    const items: PollItem[] = [{ handle: c, events: ['out'] }];
    const polled = s.poll(60_000, items);
    // Reading the echo lets cat go on, and sshd re-opens our send window.
    let read = 0;
    const reader = (async () => {
      while (c.window_write() === 0) read += (await c.read())!.length;
    })();
    expect(await polled).to.equal(1);
    expect(items[0]!.revents).to.deep.equal({ value: P.LIBSSH2_POLLFD_POLLOUT, out: 1 });
    await reader;
    expect(read).to.be.greaterThan(0);
  });

  it('CHANNEL_CLOSED once the channel has closed (a poll for input at EOF waits for it)', async () => {
    const c = await exec('exit 0');
    expect(await c.read()).to.deep.equal(new Uint8Array(0));
    const items: PollItem[] = [{ handle: c, events: ['in'] }];
    expect(await s.poll(60_000, items)).to.equal(1);
    expect(items[0]!.revents).to.deep.equal({ value: P.LIBSSH2_POLLFD_CHANNEL_CLOSED, channel_closed: 1 });
  });

  it('LISTENER_CLOSED when the listener is closed during the poll', async () => {
    const l = (await s.listen(0, '127.0.0.1'))!;
    const items: PollItem[] = [{ handle: l, events: ['in'] }];
    const polled = s.poll(60_000, items);
    void l.DESTROY();
    expect(await polled).to.equal(1);
    expect(items[0]!.revents).to.deep.equal({ value: P.LIBSSH2_POLLFD_LISTENER_CLOSED, listener_closed: 1 });
  });

  it('SESSION_CLOSED (and CHANNEL_CLOSED) when the session ends during the poll', async () => {
    const c = await exec('sleep 30');
    const items: PollItem[] = [{ handle: c, events: ['in'] }];
    const polled = s.poll(60_000, items);
    void s.disconnect();
    expect(await polled).to.equal(1);
    expect(items[0]!.revents).to.deep.equal({
      value: P.LIBSSH2_POLLFD_CHANNEL_CLOSED | P.LIBSSH2_POLLFD_SESSION_CLOSED,
      channel_closed: 1,
      session_closed: 1,
    });
  });

  it('several items: counts only the ready ones', async () => {
    const idle = await exec('sleep 5');
    const busy = await exec('echo hi; sleep 5');
    const items: PollItem[] = [
      { handle: idle, events: ['in'] },
      { handle: busy, events: ['in'] },
    ];
    expect(await s.poll(60_000, items)).to.equal(1);
    expect(items.map((i) => i.revents)).to.deep.equal([{ value: 0 }, { value: P.LIBSSH2_POLLFD_POLLIN, in: 1 }]);
    await idle.close();
    await busy.close();
  });
});
