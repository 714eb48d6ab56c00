/**
 * Differential test: auth_hostbased through Perl Net::SSH2 0.73 (libssh2 1.10) and through the
 * facade against the same sshd, for the client host key types libssh2 1.10 can sign hostbased
 * requests with: ssh-rsa (SHA-1) and ECDSA. (Its ed25519 signer takes exactly one data vector
 * and userauth_hostbased_fromfile passes three, so an ed25519 host key fails in the client
 * before anything is sent: undef with no error code. Not compared here.)
 *
 * sshd is set up as in auth-success.test.ts (the puressh-test account, ~/.shosts naming the
 * client host and local user, ~/.ssh/known_hosts holding the client host keys,
 * HostbasedUsesNameFromPacketOnly). Those two home files are saved first and put back after.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SSH2 } from '../../src/facade/index.js';
import { generateKey, startSshd, type HostKeyType, type Sshd } from '../support/sshd.js';
import { ensureTestUser, type TestUser } from '../support/test-user.js';
import { COMPAT_CONFIG, runPerl } from './support.js';

const CLIENT_HOST = 'client.puressh.test';
const LOCAL_USER = 'localclient';
const KEY_TYPES: HostKeyType[] = ['rsa', 'ecdsa256'];
const HOME_FILES = ['.ssh/known_hosts', '.shosts'];

/**
 * Per case: [return value (1/0), auth_ok (1/0), error code, error name, `id -un` once logged in].
 * Cases: the allowed local user; a local user .shosts does not name; the user's own name as
 * local user (the default when none is given); a host key the server does not know; a public
 * key file that does not exist; the public key file of another key than the private one.
 */
const PERL_HOSTBASED = `
my ($host, $port, $user, $pub, $key, $chost, $luser, $stranger) = @ARGV;
my %r;
my %cases = (
  ok => [$user, $pub, $key, $chost, $luser],
  other_local_user => [$user, $pub, $key, $chost, 'mallory'],
  default_local_user => [$user, $pub, $key, $chost],
  unknown_host_key => [$user, "$stranger.pub", $stranger, $chost, $luser],
  missing_pub => [$user, "$pub.missing", $key, $chost, $luser],
  other_pub => [$user, "$stranger.pub", $key, $chost, $luser],
);
for my $case (sort keys %cases) {
  my $s = Net::SSH2->new;
  $s->connect($host, $port) or die;
  my $rc = $s->auth_hostbased(@{$cases{$case}});
  my @e = $s->error;
  my @row = (($rc ? 1 : 0), ($s->auth_ok ? 1 : 0), ($e[0] // 0), $e[1]);
  if ($s->auth_ok) { my $c = $s->channel; $c->exec('id -un'); my $who = $c->readline; chomp $who; push @row, $who } else { push @row, undef }
  $r{$case} = \\@row;
  $s->disconnect;
}
out(\\%r);
`;

async function facadeHostbased(sshd: Sshd, user: string, pub: string, key: string, stranger: string): Promise<Record<string, unknown[]>> {
  const cases: Record<string, [string, string, string, string, string?]> = {
    ok: [user, pub, key, `${CLIENT_HOST}.`, LOCAL_USER],
    other_local_user: [user, pub, key, `${CLIENT_HOST}.`, 'mallory'],
    default_local_user: [user, pub, key, `${CLIENT_HOST}.`],
    unknown_host_key: [user, `${stranger}.pub`, stranger, `${CLIENT_HOST}.`, LOCAL_USER],
    missing_pub: [user, `${pub}.missing`, key, `${CLIENT_HOST}.`, LOCAL_USER],
    other_pub: [user, `${stranger}.pub`, key, `${CLIENT_HOST}.`, LOCAL_USER],
  };
  const r: Record<string, unknown[]> = {};
  for (const [name, [u, p, k, h, lu]] of Object.entries(cases)) {
    const s = new SSH2({ timeout: 30_000 });
    (await s.connect(sshd.host, sshd.port)) || s.die_with_error('connect');
    const rc = await s.auth_hostbased(u, p, k, h, lu);
    const [code, errName] = s.error_list();
    const row: unknown[] = [rc ? 1 : 0, s.auth_ok() ? 1 : 0, code ?? 0, errName ?? null];
    if (s.auth_ok()) {
      const c = (await s.channel())!;
      await c.exec('id -un');
      row.push((await c.readline())?.replace(/\n$/, ''));
    } else row.push(null);
    r[name] = row;
    await s.disconnect();
  }
  return r;
}

describe('Net::SSH2 facade vs Net::SSH2 0.73: auth_hostbased', function () {
  this.timeout(180_000);
  let user: TestUser;
  let sshd: Sshd;
  let keyDir: string;
  const saved = new Map<string, string | null>();

  before(async () => {
    user = ensureTestUser();
    for (const f of HOME_FILES) {
      const path = join(user.home, f);
      saved.set(f, existsSync(path) ? readFileSync(path, 'utf8') : null);
    }
    sshd = await startSshd({
      // libssh2 1.10 signs RSA host keys only as "ssh-rsa" (SHA-1), which OpenSSH 9.2 no
      // longer accepts by default; the ECDSA algorithms are in the default list.
      config: [
        'HostbasedAcceptedAlgorithms +ssh-rsa',
        ...COMPAT_CONFIG,
        'HostbasedAuthentication yes',
        'HostbasedUsesNameFromPacketOnly yes',
        'IgnoreRhosts no',
        'AuthorizedKeysFile .ssh/puressh_authorized_keys',
      ],
      hostKeyTypes: ['ed25519'],
    });
    keyDir = mkdtempSync(join(tmpdir(), 'puressh-facade-hostbased-diff-'));
    const known: string[] = [];
    for (const t of KEY_TYPES) {
      const pub = await generateKey(t, join(keyDir, `client_host_${t}`), { comment: `client host key ${t}`, rsaBits: 2048 });
      known.push(`${CLIENT_HOST} ${pub.split(' ').slice(0, 2).join(' ')}`);
      // a key of the same type the server was never told about
      await generateKey(t, join(keyDir, `stranger_${t}`), { comment: `stranger ${t}`, rsaBits: 2048 });
    }
    user.writeHomeFile('.ssh/known_hosts', `${known.join('\n')}\n`);
    user.writeHomeFile('.shosts', `${CLIENT_HOST} ${LOCAL_USER}\n`);
  });

  after(async () => {
    await sshd?.stop();
    if (user) {
      for (const [f, content] of saved) {
        if (content === null) user.removeHomeFile(f);
        else user.writeHomeFile(f, content);
      }
    }
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  });

  for (const t of KEY_TYPES) {
    it(`${t} client host key: same results as Net::SSH2 for the allowed user, other local users, an unknown host key, a missing or foreign public key file`, async () => {
      const key = join(keyDir, `client_host_${t}`);
      const stranger = join(keyDir, `stranger_${t}`);
      const perl = await runPerl(PERL_HOSTBASED, [sshd.host, sshd.port, user.name, `${key}.pub`, key, `${CLIENT_HOST}.`, LOCAL_USER, stranger]);
      const mine = await facadeHostbased(sshd, user.name, `${key}.pub`, key, stranger);
      expect(mine).to.deep.equal(perl);
      const refused = [0, 0, -19, 'LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED', null];
      expect(mine).to.deep.equal({
        ok: [1, 1, 0, null, user.name],
        other_local_user: refused,
        default_local_user: refused,
        unknown_host_key: refused,
        missing_pub: [0, 0, -16, 'LIBSSH2_ERROR_FILE', null],
        other_pub: refused,
      });
      expect(sshd.logs()).to.match(new RegExp(`Accepted hostbased for ${user.name} from .* ssh2: ${t === 'rsa' ? 'RSA' : 'ECDSA'} `));
    });
  }
});
