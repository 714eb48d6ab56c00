/**
 * Differential tests: one scenario written for Net::SSH2 0.73 (Perl, run here) and for the
 * facade, against the same sshd; the results (return values, error codes, channel output,
 * host key hashes, forwarded data) must be equal.
 */
import { expect } from 'chai';
import { createServer, type Server } from 'node:net';
import { SSH2 } from '../../src/facade/index.js';
import { hex, runPerl, startFixture, type Fixture } from './support.js';

const PERL_SESSION = `
my ($host, $port, $user, $pub, $key, $tuser, $tpw, $echo) = @ARGV;
my %r;
my $bad = Net::SSH2->new;
$r{connect_refused} = [($bad->connect('127.0.0.1', 1) ? 1 : 0), ($bad->error)[0,1]];
my $s = Net::SSH2->new;
$r{connect} = $s->connect($host, $port) ? 1 : 0;
$r{methods} = [map { $s->method($_) } qw(KEX HOSTKEY CRYPT_CS CRYPT_SC MAC_CS MAC_SC COMP_CS COMP_SC)];
$r{hash} = [unpack('H*', $s->hostkey_hash('md5')), unpack('H*', $s->hostkey_hash(LIBSSH2_HOSTKEY_HASH_SHA1))];
my ($k, $t) = $s->remote_hostkey;
$r{remote_hostkey} = [unpack('H*', $k), $t];
$r{hostname} = $s->hostname; $r{port} = $s->port + 0;
$r{auth_list} = scalar $s->auth_list($user);
$r{auth_list_list} = [$s->auth_list($user)];
$r{auth_ok_before} = $s->auth_ok ? 1 : 0;
$r{bad_password} = [($s->auth_password($user, 'wrong') ? 1 : 0), ($s->error)[0,1]];
$r{bad_key} = [($s->auth_publickey($user, undef, '/nonexistent/key') ? 1 : 0), ($s->error)[0,1]];
$r{auth_publickey} = $s->auth_publickey($user, $pub, $key) ? 1 : 0;
$r{auth_ok} = $s->auth_ok ? 1 : 0;
my $c = $s->channel;
$c->exec('printf out; printf err >&2; exit 7');
my ($o, $e) = ('', '');
while (my @x = $c->read2) { $o .= $x[0]; $e .= $x[1]; }
$r{exec} = [$o, $e, $c->eof ? 1 : 0, $c->exit_status + 0];
$c = $s->channel; $c->exec('kill -TERM $$');
$r{signal} = [scalar($c->exit_signal), $c->exit_signal_number, [$c->exit_signal]];
$c = $s->channel;
$r{setenv} = [($c->setenv(PURESSH_A => 'one', PURESSH_B => 'two') ? 1 : 0)];
$c->exec('echo "$PURESSH_A $PURESSH_B"');
$r{setenv_out} = [$c->readline];
$c = $s->channel;
$r{setenv_refused} = [($c->setenv(NOT_ACCEPTED => 'x') ? 1 : 0), ($s->error)[0]];
$c = $s->channel;
$r{pty} = $c->pty('vt100', { echo => 0 }, 100, 30) ? 1 : 0;
$c->exec('stty size; tty >/dev/null && echo tty');
my @lines = $c->readline; $r{pty_out} = \\@lines;
$c = $s->channel;
$c->ext_data('merge');
$c->exec('echo a; echo b >&2; echo c');
my $all = ''; while (defined(my $l = $c->readline)) { $all .= $l }
$r{merge} = [sort split /\\n/, $all];
$c = $s->channel;
$c->exec('cat');
$r{write} = $c->write("line1\\nline2\\n") + 0;
$c->send_eof;
$r{cat} = [$c->readline(0, "\\n"), $c->readline, $c->getc];
$r{cat_exit} = $c->exit_status + 0;
$c = $s->channel;
$r{subsystem_refused} = [($c->subsystem('nope') ? 1 : 0), ($s->error)[0]];
my $tc = $s->tcpip('127.0.0.1', $echo);
$tc->write("ping");
$tc->read(my $buf, 4);
$r{tcpip} = $buf;
my $l = $s->listen(0, '127.0.0.1', \\my $bound);
$r{listen} = $bound > 0 ? 1 : 0;
$c = $s->channel;
$c->exec("echo hello > /dev/tcp/127.0.0.1/$bound");
my $a = $l->accept;
# (the accepted channel's readline dies in 0.73: its session is the Listener)
my $got = ''; while ($a and length($got) < 6) { $a->read(my $b2, 100) or last; $got .= $b2 } $r{accept} = $got;
$r{disconnect} = $s->disconnect ? 1 : 0;
out(\\%r);
`;

async function facadeSession(f: Fixture, echoPort: number): Promise<Record<string, unknown>> {
  const { host, port, user } = f.sshd;
  const r: Record<string, unknown> = {};
  const bad = new SSH2();
  r.connect_refused = [(await bad.connect('127.0.0.1', 1)) ? 1 : 0, ...bad.error_list().slice(0, 2)];
  const s = new SSH2();
  r.connect = (await s.connect(host, port)) ? 1 : 0;
  r.methods = ['KEX', 'HOSTKEY', 'CRYPT_CS', 'CRYPT_SC', 'MAC_CS', 'MAC_SC', 'COMP_CS', 'COMP_SC'].map((m) => s.method(m));
  r.hash = [hex(s.hostkey_hash('md5')), hex(s.hostkey_hash(2))];
  const [k, t] = s.remote_hostkey()!;
  r.remote_hostkey = [hex(k), t];
  r.hostname = s.hostname();
  r.port = s.port();
  r.auth_list = await s.auth_list(user);
  r.auth_list_list = await s.auth_list_list(user);
  r.auth_ok_before = s.auth_ok() ? 1 : 0;
  r.bad_password = [(await s.auth_password(user, 'wrong')) ? 1 : 0, ...s.error_list().slice(0, 2)];
  r.bad_key = [(await s.auth_publickey(user, null, '/nonexistent/key')) ? 1 : 0, ...s.error_list().slice(0, 2)];
  r.auth_publickey = (await s.auth_publickey(user, f.pub, f.key)) ? 1 : 0;
  r.auth_ok = s.auth_ok() ? 1 : 0;
  let c = (await s.channel())!;
  await c.exec('printf out; printf err >&2; exit 7');
  let o = '';
  let e = '';
  for (let x; (x = await c.read2());) {
    o += Buffer.from(x[0]).toString();
    e += Buffer.from(x[1]).toString();
  }
  r.exec = [o, e, c.eof() ? 1 : 0, await c.exit_status()];
  c = (await s.channel())!;
  await c.exec('kill -TERM $$');
  r.signal = [await c.exit_signal(), await c.exit_signal_number(), ((await c.exit_signal_list()) ?? []).map((v) => v ?? null)];
  c = (await s.channel())!;
  r.setenv = [(await c.setenv('PURESSH_A', 'one', 'PURESSH_B', 'two')) ? 1 : 0];
  await c.exec('echo "$PURESSH_A $PURESSH_B"');
  r.setenv_out = [await c.readline()];
  c = (await s.channel())!;
  r.setenv_refused = [(await c.setenv({ NOT_ACCEPTED: 'x' })) ? 1 : 0, s.error()];
  c = (await s.channel())!;
  r.pty = (await c.pty('vt100', { echo: 0 }, 100, 30)) ? 1 : 0;
  await c.exec('stty size; tty >/dev/null && echo tty');
  r.pty_out = [(await c.readline_list()).length];
  c = (await s.channel())!;
  c.ext_data('merge');
  await c.exec('echo a; echo b >&2; echo c');
  r.merge = (await c.readline_list()).join('').split('\n').filter(Boolean).sort();
  c = (await s.channel())!;
  await c.exec('cat');
  r.write = await c.write('line1\nline2\n');
  await c.send_eof();
  r.cat = [await c.readline(0, '\n'), await c.readline(), await c.getc()];
  r.cat_exit = await c.exit_status();
  c = (await s.channel())!;
  r.subsystem_refused = [(await c.subsystem('nope')) ? 1 : 0, s.error()];
  const tc = (await s.tcpip('127.0.0.1', echoPort))!;
  await tc.write('ping');
  r.tcpip = Buffer.from((await tc.read(4))!).toString();
  const l = (await s.listen(0, '127.0.0.1'))!;
  r.listen = l.bound_port > 0 ? 1 : 0;
  c = (await s.channel())!;
  await c.exec(`echo hello > /dev/tcp/127.0.0.1/${l.bound_port}`);
  const a = await l.accept();
  r.accept = a ? await a.readline() : undefined;
  r.disconnect = (await s.disconnect()) ? 1 : 0;
  return r;
}

const PERL_AUTH = `
my ($host, $port, $tuser, $tpw) = @ARGV;
my %r;
for my $m (qw(password keyboard keyboard_bad keyboard_cb auth)) {
  my $s = Net::SSH2->new; $s->connect($host, $port) or die;
  my $ok = $m eq 'password' ? $s->auth_password($tuser, $tpw)
         : $m eq 'keyboard' ? $s->auth_keyboard($tuser, $tpw)
         : $m eq 'keyboard_bad' ? $s->auth_keyboard($tuser, 'wrong')
         : $m eq 'keyboard_cb' ? $s->auth_keyboard($tuser, sub { my ($ss, $u, $n, $i, @p) = @_; return map { $tpw } @p })
         : $s->auth(username => $tuser, password => $tpw, rank => ['keyboard-auto', 'password']);
  my $who;
  if ($ok and $s->auth_ok) { my $c = $s->channel; $c->exec('id -un'); $who = $c->readline }
  $r{$m} = [($ok ? "$ok" : undef), scalar($s->error), $who];
}
out(\\%r);
`;

describe('Net::SSH2 facade vs Net::SSH2 0.73: session and channel', function () {
  this.timeout(120_000);
  let f: Fixture;
  let echo: Server;
  let echoPort = 0;
  before(async () => {
    f = await startFixture();
    echo = createServer((sock) => sock.pipe(sock));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    echoPort = (echo.address() as { port: number }).port;
  });
  after(async () => {
    echo?.close();
    await f?.sshd.stop();
  });

  it('same results for connect, host key, auth, exec/read2, signals, setenv, pty, ext_data, write/readline/getc, tcpip, listen/accept', async () => {
    const { host, port, user } = f.sshd;
    const perl = (await runPerl(PERL_SESSION, [host, port, user, f.pub, f.key, f.user.name, f.user.password, echoPort])) as Record<string, unknown>;
    // Perl's readline in list context returns lines; compare the count.
    perl.pty_out = [(perl.pty_out as unknown[]).length];
    const ours = await facadeSession(f, echoPort);
    // The refused-connect message differs in wording only.
    expect(ours).to.deep.equal(perl);
    // Spot checks of what both said.
    expect(ours.exec).to.deep.equal(['out', 'err', 1, 7]);
    expect(ours.signal).to.deep.equal(['TERM', 15, ['TERM', null, null]]);
    expect(ours.cat).to.deep.equal(['line1\n', 'line2\n', '']);
  });

  it('same results for auth_password, auth_keyboard (password, callback, failure) and auth()', async () => {
    const { host, port } = f.sshd;
    const { name, password } = f.user;
    const perl = await runPerl(PERL_AUTH, [host, port, name, password]);
    const r: Record<string, unknown> = {};
    for (const m of ['password', 'keyboard', 'keyboard_bad', 'keyboard_cb', 'auth']) {
      const s = new SSH2();
      if (!(await s.connect(host, port))) s.die_with_error();
      const ok =
        m === 'password'
          ? await s.auth_password(name, password)
          : m === 'keyboard'
            ? await s.auth_keyboard(name, password)
            : m === 'keyboard_bad'
              ? await s.auth_keyboard(name, 'wrong')
              : m === 'keyboard_cb'
                ? await s.auth_keyboard(name, (_ss, _u, _n, _i, ...p) => p.map(() => password))
                : await s.auth({ username: name, password, rank: ['keyboard-auto', 'password'] });
      let who: string | undefined;
      if (ok && s.auth_ok()) {
        const c = (await s.channel())!;
        await c.exec('id -un');
        who = await c.readline();
      }
      r[m] = [ok === true ? '1' : ok ? String(ok) : null, s.error(), who ?? null];
      await s.disconnect();
    }
    expect(r).to.deep.equal(perl);
  });
});
