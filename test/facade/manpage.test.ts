/**
 * The Net::SSH2 manual page examples (SYNOPSIS of the main page, the seed page's SYNOPSIS
 * and the `auth` example) rewritten in TypeScript, run against sshd. Perl's `print while
 * <$fh>` becomes `for await`; `or die_with_error` becomes `|| die_with_error()`.
 */
import { expect } from 'chai';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { SSH2 } from '../../src/facade/index.js';
import { startFixture, type Fixture } from './support.js';

describe('Net::SSH2 manual page examples in TypeScript', function () {
  this.timeout(120_000);
  let f: Fixture;
  let savedHome: string | undefined;
  before(async () => {
    f = await startFixture();
    // check_hostkey reads ~/.ssh/known_hosts: give it one that knows the test server.
    savedHome = process.env.HOME;
    const home = mkdtempSync(join(tmpdir(), 'puressh-home-'));
    mkdirSync(join(home, '.ssh'));
    copyFileSync(f.sshd.knownHostsPath, join(home, '.ssh', 'known_hosts'));
    process.env.HOME = home;
  });
  after(async () => {
    process.env.HOME = savedHome;
    await f?.sshd.stop();
  });

  it('SYNOPSIS: connect, check_hostkey, auth_publickey, channel, exec ls, exit status, sftp open /etc/passwd', async () => {
    const printed: string[] = [];
    const print = (s: string) => printed.push(s);
    const ENV = { USER: f.sshd.user, HOME: process.env.HOME };

    const ssh2 = new SSH2();
    (await ssh2.connect(f.sshd.host, f.sshd.port)) || ssh2.die_with_error();
    (await ssh2.check_hostkey('ask')) || ssh2.die_with_error();
    // (id_rsa in the manual; libssh2 1.10 and OpenSSH 9 agree on ed25519)
    (await ssh2.auth_publickey(ENV.USER, f.pub, f.key)) || ssh2.die_with_error();
    const chan = (await ssh2.channel()) ?? ssh2.die_with_error();
    (await chan.exec('ls')) || ssh2.die_with_error();
    for await (const line of chan) print(line);
    print(`EXIT CODE: ${await chan.exit_status()}\n`);
    await chan.close();
    const sftp = (await ssh2.sftp()) ?? ssh2.die_with_error();
    const fh = (await sftp.open('/etc/passwd')) ?? sftp.die_with_error();
    const passwd: string[] = [];
    for await (const line of fh) passwd.push(line);

    // `ls` runs in the account's home directory (sshd changes to pw_dir)
    const listing = readdirSync(userInfo().homedir)
      .filter((n) => !n.startsWith('.'))
      .sort();
    expect(
      printed
        .slice(0, -1)
        .map((l) => l.replace(/\n$/, ''))
        .sort(),
    ).to.deep.equal(listing);
    expect(printed[printed.length - 1]).to.equal('EXIT CODE: 0\n');
    expect(passwd.join('')).to.equal(readFileSync('/etc/passwd', 'utf8'));
    void ENV.HOME;
  });

  it('seed SYNOPSIS: check_hostkey ask, auth_keyboard (default prompt), sftp open /etc/passwd', async () => {
    const ssh2 = new SSH2();
    (await ssh2.connect(f.sshd.host, f.sshd.port)) || ssh2.die_with_error();
    (await ssh2.check_hostkey('ask')) || ssh2.die_with_error();
    // The default keyboard-interactive handler asks the user: answer as a user would.
    ssh2._ask_user = async () => f.user.password;
    if (await ssh2.auth_keyboard(f.user.name)) {
      const chan = await ssh2.channel();
      expect(chan).to.not.equal(undefined);
      const sftp = (await ssh2.sftp())!;
      const fh = (await sftp.open('/etc/passwd')) ?? sftp.die_with_error();
      let text = '';
      for await (const line of fh) text += line;
      expect(text).to.equal(readFileSync('/etc/passwd', 'utf8'));
    } else {
      ssh2.die_with_error('auth_keyboard');
    }
  });

  it('auth example: auth(username, privatekey, publickey, password, passphrase => undef)', async () => {
    const ssh2 = new SSH2();
    (await ssh2.connect(f.sshd.host, f.sshd.port)) || ssh2.die_with_error();
    const method = await ssh2.auth({ username: f.sshd.user, privatekey: f.key, publickey: f.pub, password: 'not-the-passphrase', passphrase: null });
    expect(method).to.equal('publickey');
    expect(ssh2.auth_ok()).to.equal(true);
    await ssh2.disconnect();
  });
});
