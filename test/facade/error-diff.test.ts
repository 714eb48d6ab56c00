/**
 * Differential tests of the session's error slot: the same calls through Net::SSH2 0.73 (Perl,
 * run here) and through the facade, against the same sshd, with `error()` read after each.
 * libssh2 resets the error when a blocking call waits on the socket: a failure stays visible
 * until the next call that goes to the network, calls without I/O leave it alone, and the SFTP
 * status is kept until the next SFTP failure.
 */
import { expect } from 'chai';
import { SSH2 } from '../../src/facade/index.js';
import { runPerl, startFixture, type Fixture } from './support.js';

const PERL_ERRORS = `
my ($host, $port, $user, $pub, $key) = @ARGV;
my %r;
my $s = Net::SSH2->new;
$s->connect($host, $port) or die;
$r{bad_password} = [($s->auth_password($user, 'wrong') ? 1 : 0), scalar $s->error];
$r{missing_key} = [($s->auth_publickey($user, undef, '/nonexistent/key') ? 1 : 0), scalar $s->error];
$r{auth_ok} = [($s->auth_ok ? 1 : 0), scalar $s->error];
$r{auth_publickey} = [($s->auth_publickey($user, $pub, $key) ? 1 : 0), scalar $s->error];
$r{bad_method} = [($s->method('KEX', 'no-such-kex') ? 1 : 0), scalar $s->error];
my $c = $s->channel;
$r{channel} = [($c ? 1 : 0), scalar $s->error];
$r{subsystem} = [($c->subsystem('nope') ? 1 : 0), scalar $s->error];
$c = $s->channel;
$c->exec('echo hi');
$r{exec} = [scalar $s->error, $c->readline];
my $sftp = $s->sftp;
$r{sftp} = [($sftp ? 1 : 0), scalar $s->error];
$r{sftp_open} = [($sftp->open('/nonexistent/puressh') ? 1 : 0), scalar $s->error, scalar $sftp->error];
$r{sftp_stat} = [($sftp->stat('/') ? 1 : 0), scalar $s->error, scalar $sftp->error];
$s->timeout(1000);
my $list = $s->auth_list($user);
$r{auth_list_after_auth} = [$list, scalar $s->error];
$s->timeout(0);
$c = $s->channel;
$r{channel_after} = [($c ? 1 : 0), scalar $s->error];
out(\\%r);
`;

async function facadeErrors(f: Fixture): Promise<Record<string, unknown>> {
  const { host, port, user } = f.sshd;
  const r: Record<string, unknown> = {};
  const s = new SSH2();
  if (!(await s.connect(host, port))) s.die_with_error();
  r.bad_password = [(await s.auth_password(user, 'wrong')) ? 1 : 0, s.error()];
  r.missing_key = [(await s.auth_publickey(user, null, '/nonexistent/key')) ? 1 : 0, s.error()];
  r.auth_ok = [s.auth_ok() ? 1 : 0, s.error()];
  r.auth_publickey = [(await s.auth_publickey(user, f.pub, f.key)) ? 1 : 0, s.error()];
  r.bad_method = [s.method('KEX', 'no-such-kex') ? 1 : 0, s.error()];
  let c = await s.channel();
  r.channel = [c ? 1 : 0, s.error()];
  r.subsystem = [(await c!.subsystem('nope')) ? 1 : 0, s.error()];
  c = (await s.channel())!;
  await c.exec('echo hi');
  r.exec = [s.error(), await c.readline()];
  const sftp = await s.sftp();
  r.sftp = [sftp ? 1 : 0, s.error()];
  r.sftp_open = [(await sftp!.open('/nonexistent/puressh')) ? 1 : 0, s.error(), sftp!.error()];
  r.sftp_stat = [(await sftp!.stat('/')) ? 1 : 0, s.error(), sftp!.error()];
  s.timeout(1000);
  const list = await s.auth_list(user);
  r.auth_list_after_auth = [list ?? null, s.error()];
  s.timeout(0);
  c = await s.channel();
  r.channel_after = [c ? 1 : 0, s.error()];
  await s.disconnect();
  return r;
}

describe('Net::SSH2 facade vs Net::SSH2 0.73: the error slot', function () {
  this.timeout(120_000);
  let f: Fixture;
  before(async () => {
    f = await startFixture();
  });
  after(async () => {
    await f?.sshd.stop();
  });

  it('a failure is cleared by the next call that waits for the server, kept by calls without I/O; auth_list after authentication is TIMEOUT', async () => {
    const { host, port, user } = f.sshd;
    const perl = (await runPerl(PERL_ERRORS, [host, port, user, f.pub, f.key])) as Record<string, unknown>;
    const ours = await facadeErrors(f);
    // libssh2 clears the error only when a call finds its reply not yet there and waits on the
    // socket (_libssh2_wait_socket); on a loaded machine the reply can already be readable, and
    // then the previous failure stays. Net::SSH2 0.73 was seen both ways for these calls, which
    // each follow a failure (listed: the previous error and where the session error sits); ours
    // clears it whenever the call waits for the server.
    const waitsAfterFailure: Record<string, [previous: number, at: number]> = {
      auth_publickey: [-16, 1],
      channel: [-33, 1],
      exec: [-22, 0],
      sftp_stat: [-31, 1],
      channel_after: [-9, 1],
    };
    const theirs: Record<string, unknown> = { ...perl };
    for (const [name, [previous, at]] of Object.entries(waitsAfterFailure)) {
      const row = [...(theirs[name] as unknown[])];
      expect([0, previous], `Net::SSH2's ${name}`).to.include(row[at]);
      row[at] = 0;
      theirs[name] = row;
    }
    expect(ours).to.deep.equal(theirs);
    // What both said, spelled out: the codes are libssh2's.
    expect(ours.bad_password).to.deep.equal([0, -18]);
    expect(ours.missing_key).to.deep.equal([0, -16]);
    expect(ours.auth_ok).to.deep.equal([0, -16]);
    expect(ours.auth_publickey).to.deep.equal([1, 0]);
    expect(ours.bad_method).to.deep.equal([0, -33]);
    expect(ours.channel).to.deep.equal([1, 0]);
    expect(ours.subsystem).to.deep.equal([0, -22]);
    expect(ours.exec).to.deep.equal([0, 'hi\n']);
    expect(ours.sftp_open).to.deep.equal([0, -31, 2]);
    expect(ours.sftp_stat).to.deep.equal([1, 0, 2]);
    expect(ours.auth_list_after_auth).to.deep.equal([null, -9]);
    expect(ours.channel_after).to.deep.equal([1, 0]);
  });
});
