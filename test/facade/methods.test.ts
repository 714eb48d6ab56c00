/**
 * One test per facade method against the real sshd (those the differential tests do not
 * already pin down; test/facade/coverage.test.ts checks every method has a test named
 * "Class.method").
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Channel,
  Dir,
  File,
  KnownHosts,
  Listener,
  PublicKey,
  SFTP,
  SSH2,
  LIBSSH2_ERROR_EAGAIN,
  LIBSSH2_SESSION_BLOCK_INBOUND,
  O_CREAT,
  O_RDWR,
} from '../../src/facade/index.js';
import { startFixture, type Fixture } from './support.js';

describe('Net::SSH2 facade methods against sshd', function () {
  this.timeout(120_000);
  let f: Fixture;
  let s: SSH2;
  before(async () => {
    f = await startFixture();
  });
  after(async () => {
    await f?.sshd.stop();
  });
  async function session(): Promise<SSH2> {
    const ss = new SSH2({ timeout: 30_000 });
    if (!(await ss.connect(f.sshd.host, f.sshd.port))) ss.die_with_error('connect');
    if (!(await ss.auth_publickey(f.sshd.user, f.pub, f.key))) ss.die_with_error('auth');
    return ss;
  }
  async function exec(ss: SSH2, cmd: string): Promise<Channel> {
    const c = (await ss.channel())!;
    expect(await c.exec(cmd)).to.equal(true);
    return c;
  }
  beforeEach(async () => {
    s = await session();
  });
  afterEach(async () => {
    await s.disconnect();
  });

  // ---- SSH2 ----
  it('SSH2.new takes timeout/trace/debug/compress/sigpipe', () => {
    const x = SSH2.new({ timeout: 1234, compress: 1, sigpipe: 1 });
    expect(x.timeout()).to.equal(1234);
  });
  it('SSH2.version and SSH2.version_list report puressh', () => {
    expect(s.version()).to.match(/^\d+\.\d+\.\d+$/);
    const [v, n, banner] = s.version_list();
    expect(v).to.equal(s.version());
    expect(n).to.be.a('number');
    expect(banner).to.match(/^SSH-2\.0-puressh/);
  });
  it('SSH2.banner sets the ident the server logs', async () => {
    const { createServer } = await import('node:net');
    let line = '';
    const srv = createServer((sock) => sock.once('data', (d) => ((line = d.toString('latin1').split('\r\n')[0]!), sock.destroy())));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const x = new SSH2();
    expect(x.banner('facade_test_1.0')).to.equal(true);
    expect(await x.connect('127.0.0.1', (srv.address() as { port: number }).port)).to.equal(undefined);
    srv.close();
    expect(line).to.equal('SSH-2.0-facade_test_1.0');
  });
  it('SSH2.error, SSH2.error_list and SSH2.die_with_error', async () => {
    const x = new SSH2();
    expect(x.error()).to.equal(0);
    expect(x.error_list()).to.deep.equal([]);
    expect(() => x.die_with_error('ctx')).to.throw('ctx: no libssh2 error registered');
    expect(await x.connect('127.0.0.1', 1)).to.equal(undefined);
    expect(x.error()).to.equal(-1);
    expect(x.error_list()[1]).to.equal('LIBSSH2_ERROR_SOCKET_NONE');
    expect(() => x.die_with_error('Unable')).to.throw(/^Unable: .*\(-1 LIBSSH2_ERROR_SOCKET_NONE\)$/);
  });
  it('SSH2.sock is the TCP socket', () => {
    expect(s.sock()!.remotePort).to.equal(f.sshd.port);
  });
  it('SSH2.trace and SSH2.debug switch stderr tracing', () => {
    s.trace(0);
    s.debug(0);
    SSH2.debug(0);
  });
  it('SSH2.timeout turns a long wait into LIBSSH2_ERROR_TIMEOUT', async () => {
    s.timeout(300);
    const c = await exec(s, 'sleep 5');
    expect(await c.read()).to.equal(undefined);
    expect(s.error()).to.equal(-9);
    s.timeout(0);
  });
  it('SSH2.method sets preferences (list or comma string, validated) and reads the negotiated one', async () => {
    const x = new SSH2();
    expect(x.method('CRYPT_CS', 'aes256-ctr', 'aes128-ctr')).to.equal(true);
    expect(x.method('LIBSSH2_METHOD_MAC_SC', 'hmac-sha1,no-such-mac')).to.equal(true);
    expect(x.method('KEX', 'no-such-kex')).to.equal(undefined);
    expect(x.error()).to.equal(-33);
    expect(await x.connect(f.sshd.host, f.sshd.port)).to.equal(true);
    expect(x.method('CRYPT_CS')).to.equal('aes256-ctr');
    expect(x.method(5)).to.equal('hmac-sha1');
    await x.disconnect();
  });
  it('SSH2.flag accepts COMPRESS and SIGPIPE; compression is then negotiated', async () => {
    const x = new SSH2();
    expect(x.flag('COMPRESS', 1)).to.equal(true);
    expect(x.flag('bogus', 1)).to.equal(undefined);
    expect(await x.connect(f.sshd.host, f.sshd.port)).to.equal(true);
    expect(x.method('COMP_CS')).to.equal('zlib@openssh.com');
    await x.disconnect();
  });
  it('SSH2.callback installs DISCONNECT (called when the server disconnects)', async () => {
    const x = new SSH2();
    const seen: unknown[] = [];
    expect(x.callback('DISCONNECT', (_ss, reason) => seen.push(reason))).to.equal(true);
    expect(x.callback('nope', null)).to.equal(undefined);
    expect(await x.connect(f.sshd.host, f.sshd.port)).to.equal(true);
    expect(await x.auth_password(f.sshd.user, 'bad')).to.equal(undefined);
    await x.disconnect();
    expect(seen).to.deep.equal([]); // we disconnected, the server did not
  });
  it("SSH2.callback DEBUG receives sshd's SSH_MSG_DEBUG (authorized_keys options after publickey auth)", async () => {
    const x = new SSH2();
    const seen: unknown[][] = [];
    expect(x.callback('DEBUG', (_ss, ...args) => seen.push(args))).to.equal(true);
    expect(await x.connect(f.sshd.host, f.sshd.port)).to.equal(true);
    expect(await x.auth_publickey(f.sshd.user, f.pub, f.key)).to.equal(true);
    const ch = (await x.channel())!;
    await ch.exec('true');
    await ch.close();
    expect(seen.length).to.be.greaterThan(0);
    const [always, msg, lang] = seen[0]!;
    expect(always).to.equal(0);
    expect(msg).to.match(/authorized_keys:1: key options: .*pty/);
    expect(lang).to.equal('');
    await x.disconnect();
  });
  it('SSH2.blocking and SSH2.block_directions: a non-blocking read with nothing to read is EAGAIN', async () => {
    const c = await exec(s, 'sleep 1; echo late');
    expect(s.blocking()).to.equal(true);
    s.blocking(0);
    expect(await c.read()).to.equal(undefined);
    expect(s.error()).to.equal(LIBSSH2_ERROR_EAGAIN);
    expect(s.block_directions()).to.equal(LIBSSH2_SESSION_BLOCK_INBOUND);
    s.blocking(1);
    expect(Buffer.from((await c.read())!).toString()).to.equal('late\n');
  });
  it('SSH2.connect over an existing socket; SSH2.hostname and SSH2.port', async () => {
    const { createConnection } = await import('node:net');
    const sock = createConnection(f.sshd.port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    const x = new SSH2();
    expect(await x.connect(sock)).to.equal(true);
    expect(x.hostname()).to.equal('127.0.0.1');
    expect(x.port()).to.equal(f.sshd.port);
    await x.disconnect();
  });
  it('SSH2.disconnect ends the session', async () => {
    const x = await session();
    expect(await x.disconnect('bye', 11)).to.equal(true);
    expect(await x.channel()).to.equal(undefined);
  });
  it('SSH2.hostkey_hash, SSH2.hostkey (deprecated) and SSH2.remote_hostkey', () => {
    expect(s.hostkey_hash('sha256')!.length).to.equal(32);
    expect(s.hostkey('md5')!.length).to.equal(16);
    expect(s.hostkey_hash('bogus')).to.equal(undefined);
    expect(s.remote_hostkey()![1]).to.equal(6);
  });
  it('SSH2.check_hostkey: strict refuses an unknown host (the documented meaning), tofu adds it, then it matches', async () => {
    const path = join(f.work, 'kh-policy');
    writeFileSync(path, '');
    expect(await s.check_hostkey('strict', path)).to.equal(undefined);
    expect(s.error()).to.equal(-46);
    expect(await s.check_hostkey('advisory', path)).to.equal(2);
    expect(await s.check_hostkey('tofu', path, 'c1')).to.equal(2);
    expect(readFileSync(path, 'utf8')).to.match(new RegExp(`^\\[127\\.0\\.0\\.1\\]:${f.sshd.port} ssh-ed25519 \\S+ c1\\n$`));
    expect(await s.check_hostkey('strict', path)).to.equal('00');
    s._ask_user = async () => 'no';
    expect(await s.check_hostkey('ask', join(f.work, 'kh-none'))).to.equal(undefined);
    s._ask_user = async () => 'yes';
    expect(await s.check_hostkey('ask', join(f.work, 'kh-ask'))).to.equal(2);
    expect(await s.check_hostkey(() => 0, join(f.work, 'kh-none'))).to.equal(undefined);
  });
  it('SSH2.known_hosts returns a KnownHosts', () => {
    expect(s.known_hosts()).to.be.instanceOf(KnownHosts);
  });
  it('SSH2.auth_list, SSH2.auth_list_list and SSH2.auth_ok', async () => {
    const x = new SSH2();
    await x.connect(f.sshd.host, f.sshd.port);
    expect(await x.auth_list_list(f.user.name)).to.deep.equal(['publickey', 'password', 'keyboard-interactive']);
    expect(x.auth_ok()).to.equal(false);
    expect(s.auth_ok()).to.equal(true);
    await x.disconnect();
  });
  it('SSH2.auth_password (and the "none" form without a password)', async () => {
    const x = new SSH2();
    await x.connect(f.sshd.host, f.sshd.port);
    expect(await x.auth_password(f.user.name)).to.equal(undefined);
    expect(x.error()).to.equal(-18);
    expect(await x.auth_password(f.user.name, f.user.password)).to.equal(true);
    const c = (await x.channel())!;
    await c.exec('id -un');
    expect(await c.readline()).to.equal(`${f.user.name}\n`);
    await x.disconnect();
  });
  it('SSH2.auth_password_interact asks through _ask_user, 3 tries', async () => {
    const x = new SSH2();
    await x.connect(f.sshd.host, f.sshd.port);
    const answers = ['wrong', f.user.password];
    x._ask_user = async () => answers.shift();
    expect(await x.auth_password_interact(f.user.name)).to.equal(true);
    await x.disconnect();
  });
  it('SSH2.auth_keyboard with a password and with a callback', async () => {
    const x = new SSH2();
    await x.connect(f.sshd.host, f.sshd.port);
    const prompts: unknown[] = [];
    expect(await x.auth_keyboard(f.user.name, (_ss, user, _name, _instr, ...p) => (prompts.push(user, p.length), ['wrong']))).to.equal(undefined);
    expect(x.error()).to.equal(-18);
    expect(prompts.slice(0, 2)).to.deep.equal([f.user.name, 1]);
    expect(await x.auth_keyboard(f.user.name, f.user.password)).to.equal(true);
    await x.disconnect();
  });
  it('SSH2.auth_publickey_frommemory', async () => {
    const x = new SSH2();
    await x.connect(f.sshd.host, f.sshd.port);
    expect(await x.auth_publickey_frommemory(f.sshd.user, null, 'not a key')).to.equal(undefined);
    expect(x.error()).to.equal(-16);
    expect(await x.auth_publickey_frommemory(f.sshd.user, readFileSync(f.pub, 'utf8'), readFileSync(f.key, 'utf8'))).to.equal(true);
    await x.disconnect();
  });
  it('SSH2.auth_publickey reads a named public key file first, as libssh2 (missing or undecodable: FILE)', async () => {
    const x = new SSH2();
    await x.connect(f.sshd.host, f.sshd.port);
    // Net::SSH2 0.73 gives -16 "Unable to open public key file" and -16 "Invalid public key data" here.
    expect(await x.auth_publickey(f.sshd.user, '/nonexistent/id.pub', f.key)).to.equal(undefined);
    expect(x.error()).to.equal(-16);
    expect(await x.auth_publickey(f.sshd.user, f.key, f.key)).to.equal(undefined);
    expect(x.error()).to.equal(-16);
    expect(x.auth_ok()).to.equal(false);
    expect(await x.auth_publickey(f.sshd.user, f.pub, f.key)).to.equal(true);
    await x.disconnect();
  });
  it('SSH2.auth_hostbased fails cleanly when the server does not offer it', async () => {
    const x = new SSH2();
    await x.connect(f.sshd.host, f.sshd.port);
    expect(await x.auth_hostbased(f.sshd.user, f.pub, f.key, 'localhost.')).to.equal(undefined);
    // libssh2 1.10 reports any refused hostbased request as PUBLICKEY_UNVERIFIED (hostbased-diff.test.ts)
    expect(x.error()).to.equal(-19);
    await x.disconnect();
  });
  it('SSH2.auth_agent fails with no agent', async () => {
    const x = new SSH2();
    await x.connect(f.sshd.host, f.sshd.port);
    const saved = process.env.SSH_AUTH_SOCK;
    delete process.env.SSH_AUTH_SOCK;
    expect(await x.auth_agent(f.sshd.user)).to.equal(undefined);
    if (saved !== undefined) process.env.SSH_AUTH_SOCK = saved;
    expect(x.error()).to.equal(-42);
    await x.disconnect();
  });
  it('SSH2.auth picks the first ranked method that works and names it', async () => {
    const x = new SSH2();
    await x.connect(f.sshd.host, f.sshd.port);
    expect(await x.auth({ username: f.user.name, password: f.user.password, rank: ['publickey', 'password'] })).to.equal('password');
    await x.disconnect();
    const y = new SSH2();
    await y.connect(f.sshd.host, f.sshd.port);
    expect(await y.auth({ username: f.sshd.user, publickey: f.pub, privatekey: f.key, passphrase: null })).to.equal('publickey');
    await y.disconnect();
    const z = new SSH2();
    await z.connect(f.sshd.host, f.sshd.port);
    expect(await z.auth({ username: f.user.name, password: 'wrong', rank: ['password'] })).to.equal(undefined);
    expect(z.error_list().slice(0, 3)).to.deep.equal([-18, 'LIBSSH2_ERROR_AUTHENTICATION_FAILED', 'All authentication methods failed']);
    await z.disconnect();
  });
  it('SSH2.channel, SSH2.tcpip and SSH2.listen return objects (errors: undefined + code)', async () => {
    expect(await s.channel()).to.be.instanceOf(Channel);
    expect(await s.channel('x11')).to.equal(undefined);
    expect(await s.tcpip('127.0.0.1', 1)).to.equal(undefined);
    expect(s.error()).to.equal(-21);
    expect(await s.listen(0, '127.0.0.1')).to.be.instanceOf(Listener);
  });
  it('SSH2.scp_put and SSH2.scp_get with data and a writable', async () => {
    expect(await s.scp_put({ data: 'scp data\n', mode: 0o600 }, join(f.work, 'scp1'))).to.equal(true);
    const chunks: Uint8Array[] = [];
    expect(await s.scp_get(join(f.work, 'scp1'), { write: (c: Uint8Array) => chunks.push(c) })).to.equal(true);
    expect(Buffer.concat(chunks).toString()).to.equal('scp data\n');
    expect(await s.scp_get(join(f.work, 'missing'), { write: () => {} })).to.equal(undefined);
    expect(s.error()).to.equal(-28);
  });
  it('SSH2.sftp returns an SFTP', async () => {
    expect(await s.sftp()).to.be.instanceOf(SFTP);
  });
  it('SSH2.public_key opens the publickey subsystem (a test server: OpenSSH has none); PublicKey.add, PublicKey.fetch, PublicKey.fetch_list, PublicKey.remove, PublicKey.DESTROY', async () => {
    const pk = (await s.public_key())!;
    expect(pk).to.be.instanceOf(PublicKey);
    const blob = new Uint8Array([0, 0, 0, 3, 1, 2, 3]);
    expect(await pk.add('ssh-ed25519', blob, 0, { name: 'comment', value: 'hello' })).to.equal(true);
    expect(await pk.add('ssh-ed25519', blob, 0)).to.equal(undefined);
    expect(s.error()).to.equal(-36);
    expect(await pk.fetch()).to.equal(1);
    expect(await pk.fetch_list()).to.deep.equal([{ name: 'ssh-ed25519', blob, attr: [{ name: 'comment', value: 'hello', mandatory: false }] }]);
    expect(await pk.remove('ssh-ed25519', blob)).to.equal(true);
    expect(await pk.fetch()).to.equal(0);
    await pk.DESTROY();
  });
  it('SSH2.keepalive_config and SSH2.keepalive_send', async () => {
    expect(await s.keepalive_send()).to.equal(0);
    s.keepalive_config(1, 30);
    expect(await s.keepalive_send()).to.equal(30);
    expect(await s.keepalive_send()).to.be.within(29, 30);
  });
  it('SSH2.poll reports a channel with data', async () => {
    const c = await exec(s, 'echo x');
    const items = [{ handle: c, events: ['in'] }];
    expect(await s.poll(5000, items)).to.equal(1);
    expect((items[0] as { revents?: Record<string, number> }).revents!.in).to.equal(1);
  });

  // ---- Channel ----
  it('Channel.session, Channel.error, Channel.error_list and Channel.blocking delegate to the session', async () => {
    const c = (await s.channel())!;
    expect(c.session()).to.equal(s);
    expect(c.error()).to.equal(s.error());
    expect(c.error_list()).to.deep.equal(s.error_list());
    expect(c.blocking()).to.equal(true);
  });
  it('Channel.shell and Channel.process', async () => {
    const c = (await s.channel())!;
    expect(await c.shell()).to.equal(true);
    await c.write('echo from-shell; exit 4\n');
    // (PAM may print a motd first)
    expect(await c.readline_list()).to.include('from-shell\n');
    expect(await c.exit_status()).to.equal(4);
    const d = (await s.channel())!;
    expect(await d.process('exec', 'echo p')).to.equal(true);
    expect(await d.readline()).to.equal('p\n');
  });
  it('Channel.pty_size sends window-change', async () => {
    const c = (await s.channel())!;
    await c.pty('xterm');
    await c.shell();
    expect(await c.pty_size(120, 40)).to.equal(true);
    await c.write('stty size; exit\n');
    const lines = await c.readline_list();
    expect(lines.join('')).to.include('40 120');
  });
  it('Channel.read, Channel.read1 (stderr with ext) and Channel.eof', async () => {
    const c = await exec(s, 'printf abcdef; printf E >&2');
    expect(Buffer.from((await c.read(2))!).toString()).to.equal('ab');
    expect(Buffer.from((await c.read1(10))!).toString()).to.equal('cdef');
    expect(Buffer.from((await c.read(10, 1))!).toString()).to.equal('E');
    expect((await c.read())!.length).to.equal(0);
    expect(c.eof()).to.equal(true);
  });
  it('Channel.wait_eof, Channel.flush and Channel.wait_closed', async () => {
    const c = await exec(s, 'printf 12345; printf 678 >&2');
    expect(await c.wait_eof()).to.equal(true);
    expect(await c.flush(0)).to.equal(5);
    expect(await c.flush('all')).to.equal(3);
    expect(await c.wait_closed()).to.equal(true);
  });
  it('Channel.close and Channel.CLOSE ($?)', async () => {
    const c = await exec(s, 'exit 3');
    expect(await c.CLOSE()).to.equal(undefined);
    expect(c.child_error).to.equal(3 << 8);
    // As libssh2, close() waits for the server's CLOSE, which sshd sends when the command ends.
    const d = await exec(s, 'sleep 1');
    expect(await d.close()).to.equal(true);
  });
  it('Channel.window_read, Channel.window_read_list, Channel.window_write, Channel.window_write_list and Channel.receive_window_adjust', async () => {
    const c = (await s.channel('session', 65536, 16384))!;
    expect(c.window_read()).to.equal(65536);
    expect(c.window_read_list()).to.deep.equal([65536, 0, 65536]);
    const [, initial] = c.window_write_list();
    expect(c.window_write()).to.equal(initial);
    await c.exec('cat');
    // OpenSSH opens the window once the command runs
    for (let i = 0; i < 100 && c.window_write() === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(c.window_write()).to.be.greaterThan(0);
    expect(await c.receive_window_adjust(2048)).to.equal(65536 + 2048);
    expect(c.window_read()).to.equal(65536 + 2048);
    expect(await c.receive_window_adjust(100)).to.equal(65536 + 2048); // under libssh2's 1024 minimum: not sent
    expect(await c.receive_window_adjust(100, true)).to.equal(65536 + 2148);
    // The server honours the larger window: of 70000 echoed bytes, it sends all 67684 the
    // window allows (more than the original 65536) while nothing is read.
    await c.write('x'.repeat(70000));
    for (let i = 0; i < 200 && c.window_read() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(c.window_read()).to.equal(0);
  });
  it('Channel.readline_list, Channel.getc and the tie interface (PRINT, PRINTF, WRITE, READ, READLINE, GETC, EOF, BINMODE, DESTROY, async iteration)', async () => {
    const c = await exec(s, 'cat');
    expect(await c.PRINT('a', 'b\n')).to.equal(3);
    expect(await c.PRINTF('%s=%d\n', 'x', 5)).to.equal(4);
    expect(await c.WRITE('--zz--', 2, 2)).to.equal(2);
    await c.write('\nl3\nl4\n');
    await c.send_eof();
    expect(await c.READLINE()).to.equal('ab\n');
    expect(await c.GETC()).to.equal('x');
    expect(Buffer.from((await c.READ(4))!).toString()).to.equal('=5\nz');
    expect(await c.getc()).to.equal('z');
    const rest: string[] = [];
    for await (const l of c) rest.push(l);
    expect(rest).to.deep.equal(['\n', 'l3\n', 'l4\n']);
    expect(c.EOF()).to.equal(true);
    expect(c.BINMODE()).to.equal(1);
    await c.DESTROY();
    const d = await exec(s, 'printf "1\\n2\\n"');
    expect(await d.readline_list()).to.deep.equal(['1\n', '2\n']);
  });
  it('Channel.exit_signal_list', async () => {
    const c = await exec(s, 'kill -KILL $$');
    expect(await c.exit_signal_list()).to.deep.equal(['KILL', undefined, undefined]);
  });

  // ---- SFTP, File, Dir ----
  it('SFTP.session, SFTP.error_list, SFTP.die_with_error and SFTP.DESTROY', async () => {
    const sf = (await s.sftp())!;
    expect(sf.session()).to.equal(s);
    expect(sf.error_list()).to.deep.equal([]);
    expect(await sf.rmdir(join(f.work, 'nope'))).to.equal(undefined);
    expect(() => sf.die_with_error('rm')).to.throw('rm: SFTP error 2 SSH_FX_NO_SUCH_FILE');
    await sf.DESTROY();
  });
  it('SFTP.readlink and SFTP.stat without following links', async () => {
    const sf = (await s.sftp())!;
    await sf.symlink(join(f.work, 'ln'), '/etc/hostname');
    expect(await sf.readlink(join(f.work, 'ln'))).to.equal('/etc/hostname');
    expect((await sf.stat(join(f.work, 'ln'), 0))!.mode! & 0o170000).to.equal(0o120000);
    expect(await sf.readlink(join(f.work, 'nope'))).to.equal(undefined);
  });
  it('File.setstat, File.PRINT, File.PRINTF, File.WRITE, File.READ, File.READLINE, File.GETC, File.CLOSE, File.EOF, File.BINMODE, File.readline_list, async iteration and Dir.DESTROY', async () => {
    const sf = (await s.sftp())!;
    const fh = (await sf.open(join(f.work, 'tie.txt'), O_RDWR | O_CREAT))!;
    expect(fh).to.be.instanceOf(File);
    expect(await fh.PRINT('one\n', 'two\n')).to.equal(8);
    expect(await fh.PRINTF('%d\n', 3)).to.equal(2);
    expect(await fh.WRITE('xxfour\nyy', 5, 2)).to.equal(5);
    expect(await fh.setstat({ mode: 0o600 })).to.equal(true);
    fh.seek(0);
    expect(await fh.READLINE()).to.equal('one\n');
    expect(await fh.GETC()).to.equal('t');
    expect(Buffer.from((await fh.READ(3))!).toString()).to.equal('wo\n');
    expect(await fh.readline_list()).to.deep.equal(['3\n', 'four\n']);
    fh.seek(0);
    const all: string[] = [];
    for await (const l of fh) all.push(l);
    expect(all).to.have.length(4);
    expect(fh.EOF()).to.equal(0);
    expect(fh.BINMODE()).to.equal(1);
    fh.CLOSE();
    await fh.DESTROY();
    const d = (await sf.opendir(f.work))!;
    expect(d).to.be.instanceOf(Dir);
    await d.DESTROY();
  });

  // ---- Listener, KnownHosts, PublicKey ----
  it('Listener.accept, Listener.bound_port and Listener.DESTROY', async () => {
    const l = (await s.listen(0, '127.0.0.1'))!;
    await exec(s, `printf hi > /dev/tcp/127.0.0.1/${l.bound_port}`);
    const a = (await l.accept())!;
    expect(Buffer.from((await a.read())!).toString()).to.equal('hi');
    await l.DESTROY();
  });
});
