/**
 * Every user-auth method against Debian's OpenSSH sshd, as the dedicated test account:
 * password (with a banner), keyboard-interactive through PAM, hostbased, two-step
 * AuthenticationMethods, and the Net::SSH2-style ranking. See hostbased's `before` for the
 * sshd setup hostbased needs.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { connect, type NodeConnectOptions } from '../../src/node.js';
import { parsePrivateKey, parsePublicKeyLine } from '../../src/crypto/keys/index.js';
import { AuthError } from '../../src/errors.js';
import type { KbdChallenge } from '../../src/auth/keyboard-interactive.js';
import type { SshClient } from '../../src/client.js';
import { generateKey, startSshd, type Sshd, type SshdOptions } from '../support/sshd.js';
import { ensureTestUser, type TestUser } from '../support/test-user.js';

const AUTH_KEYS = '.ssh/puressh_authorized_keys';

/** sshd for the test user: its authorized_keys lives in its home (sshd reads it as the user). */
async function sshdFor(user: TestUser, config: string[], opts: SshdOptions = {}): Promise<Sshd> {
  const sshd = await startSshd({ ...opts, config: [...config, `AuthorizedKeysFile ${AUTH_KEYS}`] });
  user.writeHomeFile(AUTH_KEYS, sshd.userKeys.ed25519.publicLine + '\n', 0o600);
  return sshd;
}

function baseOptions(sshd: Sshd, user: TestUser, extra: Partial<NodeConnectOptions> = {}): NodeConnectOptions {
  const known = new Set(Object.values(sshd.hostKeys).map((h) => Buffer.from(parsePublicKeyLine(h.publicLine).key.blob).toString('base64')));
  return {
    host: sshd.host,
    port: sshd.port,
    username: user.name,
    hostKeyVerifier: (info) => known.has(Buffer.from(info.blob).toString('base64')),
    timeout: 20_000,
    ...extra,
  };
}

async function whoami(c: SshClient): Promise<string> {
  const r = await c.run('id -un');
  expect(r.code).to.equal(0);
  return new TextDecoder().decode(r.stdout).trim();
}

describe('auth against OpenSSH sshd', function () {
  this.timeout(120_000);
  let user: TestUser;
  before(() => {
    user = ensureTestUser();
  });
  after(() => user?.removeHomeFile(AUTH_KEYS));

  describe('password', () => {
    let sshd: Sshd;
    let bannerPath: string;
    before(async () => {
      bannerPath = join(mkdtempSync(join(tmpdir(), 'puressh-banner-')), 'banner');
      writeFileSync(bannerPath, 'Authorized use only.\nSecond line.\n');
      sshd = await sshdFor(user, ['PasswordAuthentication yes', 'KbdInteractiveAuthentication no', `Banner ${bannerPath}`]);
    });
    after(async () => {
      await sshd?.stop();
      rmSync(join(bannerPath, '..'), { recursive: true, force: true });
    });

    it('logs in with the password; the banner reaches onBanner', async () => {
      const banners: string[] = [];
      const c = await connect(baseOptions(sshd, user, { password: user.password, onBanner: (b) => banners.push(b) }));
      expect(c.authMethod).to.equal('password');
      expect(c.serverAuthMethods).to.deep.equal(['publickey', 'password']);
      expect(banners).to.deep.equal(['Authorized use only.\nSecond line.\n']);
      expect(await whoami(c)).to.equal(user.name);
      await c.disconnect();
    });

    it('a password from a callback; a wrong one is AUTHENTICATION_FAILED', async () => {
      const c = await connect(baseOptions(sshd, user, { password: async () => user.password }));
      expect(c.authMethod).to.equal('password');
      await c.disconnect();
      const e = await connect(baseOptions(sshd, user, { password: 'wrong' + user.password })).catch((x) => x);
      expect(e).to.be.instanceOf(AuthError);
      expect(e.code).to.equal('AUTHENTICATION_FAILED');
      expect(e.message).to.equal('Permission denied (publickey,password).');
    });

    it('ranking: rank ["password"] skips the keys we also gave', async () => {
      const key = parsePrivateKey(readFileSync(sshd.userKeys.ed25519.privatePath, 'utf8'));
      const lines: string[] = [];
      const c = await connect(baseOptions(sshd, user, { password: user.password, privateKeys: [key], authMethods: ['password'], debug: (l) => lines.push(l) }));
      expect(c.authMethod).to.equal('password');
      expect(lines.filter((l) => l.startsWith('trying authentication method'))).to.deep.equal(['trying authentication method password']);
      await c.disconnect();
      const c2 = await connect(baseOptions(sshd, user, { password: user.password, privateKeys: [key] }));
      expect(c2.authMethod).to.equal('publickey');
      await c2.disconnect();
    });
  });

  describe('keyboard-interactive through PAM (UsePAM yes)', () => {
    let sshd: Sshd;
    before(async () => {
      sshd = await sshdFor(user, ['UsePAM yes', 'KbdInteractiveAuthentication yes', 'PasswordAuthentication no']);
    });
    after(() => sshd?.stop());

    it('the callback gets PAM\'s "Password: " prompt (no echo) and logs in', async () => {
      const seen: KbdChallenge[] = [];
      const c = await connect(
        baseOptions(sshd, user, {
          keyboardInteractive: (ch) => {
            seen.push(ch);
            return ch.prompts.map(() => user.password);
          },
        }),
      );
      expect(c.authMethod).to.equal('keyboard-interactive');
      expect(seen[0]!.prompts).to.deep.equal([{ prompt: 'Password: ', echo: false }]);
      expect(seen[0]!.username).to.equal(user.name);
      expect(await whoami(c)).to.equal(user.name);
      await c.disconnect();
    });

    it('"keyboard-auto": a plain password answers PAM\'s prompt', async () => {
      const c = await connect(baseOptions(sshd, user, { password: user.password }));
      expect(c.authMethod).to.equal('keyboard-interactive');
      await c.disconnect();
    });

    it('a wrong answer fails with the methods left', async () => {
      const e = await connect(baseOptions(sshd, user, { keyboardInteractive: (ch) => ch.prompts.map(() => 'nope') })).catch((x) => x);
      expect(e).to.be.instanceOf(AuthError);
      expect(e.methodsLeft).to.deep.equal(['publickey', 'keyboard-interactive']);
    });
  });

  for (const [second, config] of [
    ['password', ['UsePAM no', 'PasswordAuthentication yes', 'AuthenticationMethods publickey,password']],
    [
      'keyboard-interactive',
      ['UsePAM yes', 'KbdInteractiveAuthentication yes', 'PasswordAuthentication no', 'AuthenticationMethods publickey,keyboard-interactive'],
    ],
  ] as const) {
    describe(`two steps: AuthenticationMethods publickey,${second}`, () => {
      let sshd: Sshd;
      before(async () => {
        sshd = await sshdFor(user, [...config]);
      });
      after(() => sshd?.stop());

      for (const query of [false, true]) {
        it(`publickey (partial success), then the second method${query ? ' (queryAuthMethods, queryPublicKeys: as OpenSSH asks)' : ''}`, async () => {
          const key = parsePrivateKey(readFileSync(sshd.userKeys.ed25519.privatePath, 'utf8'));
          const lines: string[] = [];
          const c = await connect(
            baseOptions(sshd, user, {
              privateKeys: [key],
              password: user.password,
              keyboardInteractive: (ch) => ch.prompts.map(() => user.password),
              debug: (l) => lines.push(l),
              queryAuthMethods: query,
              queryPublicKeys: query,
            }),
          );
          expect(c.authMethod).to.equal(second);
          // "none" lists publickey; unprobed, the first failure is publickey's partial success.
          expect(c.serverAuthMethods).to.deep.equal(query ? ['publickey'] : [second]);
          expect(lines.some((l) => l.startsWith('partial success; server now allows: ' + second))).to.equal(true);
          expect(lines.filter((l) => l.startsWith(query ? 'offering public key ssh-ed25519' : 'signing with public key ssh-ed25519'))).to.have.length(1);
          expect(await whoami(c)).to.equal(user.name);
          await c.disconnect();
        });
      }

      it('the key alone is not enough', async () => {
        const key = parsePrivateKey(readFileSync(sshd.userKeys.ed25519.privatePath, 'utf8'));
        const e = await connect(baseOptions(sshd, user, { privateKeys: [key] })).catch((x) => x);
        expect(e).to.be.instanceOf(AuthError);
        expect(e.methodsLeft).to.deep.equal([second]);
      });

      it('the second method alone is not offered', async () => {
        const e = await connect(baseOptions(sshd, user, { password: user.password, keyboardInteractive: (ch) => ch.prompts.map(() => user.password) })).catch(
          (x) => x,
        );
        expect(e).to.be.instanceOf(AuthError);
        expect(e.methodsLeft).to.deep.equal(['publickey']);
      });
    });
  }

  describe('hostbased', () => {
    // sshd: HostbasedAuthentication yes; HostbasedUsesNameFromPacketOnly yes (trust the client
    // host name in the request instead of reverse DNS of 127.0.0.1, stripping its trailing ".");
    // IgnoreRhosts no, so ~/.shosts ("client-host user") says which client user may log in;
    // the client host key is in the user's ~/.ssh/known_hosts under that host name.
    const CLIENT_HOST = 'client.puressh.test';
    let sshd: Sshd;
    let keyDir: string;
    before(async () => {
      sshd = await sshdFor(user, [
        'HostbasedAuthentication yes',
        'HostbasedUsesNameFromPacketOnly yes',
        'IgnoreRhosts no',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
      ]);
      keyDir = mkdtempSync(join(tmpdir(), 'puressh-hostbased-'));
      const lines: string[] = [];
      for (const t of ['ed25519', 'rsa'] as const) {
        const pub = await generateKey(t, join(keyDir, `client_host_${t}`), { rsaBits: 2048, comment: 'client host key' });
        lines.push(`${CLIENT_HOST} ${pub.split(' ').slice(0, 2).join(' ')}`);
      }
      user.writeHomeFile('.ssh/known_hosts', lines.join('\n') + '\n');
      user.writeHomeFile('.shosts', `${CLIENT_HOST} localclient\n`);
    });
    after(async () => {
      await sshd?.stop();
      user?.removeHomeFile('.ssh/known_hosts');
      user?.removeHomeFile('.shosts');
      if (keyDir) rmSync(keyDir, { recursive: true, force: true });
    });

    for (const t of ['ed25519', 'rsa'] as const) {
      it(`logs in with the client host's ${t} key`, async () => {
        const key = parsePrivateKey(readFileSync(join(keyDir, `client_host_${t}`), 'utf8'));
        const c = await connect(baseOptions(sshd, user, { hostbased: { key, localHost: `${CLIENT_HOST}.`, localUser: 'localclient' } }));
        expect(c.authMethod).to.equal('hostbased');
        expect(await whoami(c)).to.equal(user.name);
        await c.disconnect();
        expect(sshd.logs()).to.match(/Accepted hostbased for puressh-test/);
      });
    }

    it('refused for a local user .shosts does not list, and for an unknown host key', async () => {
      const key = parsePrivateKey(readFileSync(join(keyDir, 'client_host_ed25519'), 'utf8'));
      const e1 = await connect(baseOptions(sshd, user, { hostbased: { key, localHost: `${CLIENT_HOST}.`, localUser: 'mallory' } })).catch((x) => x);
      expect(e1).to.be.instanceOf(AuthError);
      const stranger = parsePrivateKey(readFileSync(sshd.userKeys.ecdsa256.privatePath, 'utf8'));
      const e2 = await connect(baseOptions(sshd, user, { hostbased: { key: stranger, localHost: `${CLIENT_HOST}.`, localUser: 'localclient' } })).catch(
        (x) => x,
      );
      expect(e2).to.be.instanceOf(AuthError);
    });
  });
});
