/**
 * The typed sshd_config API the server consumes: evaluateMatch per connection, the
 * AllowUsers/DenyUsers checks, AuthorizedKeysFile expansion, and sshd's command line.
 */
import { expect } from 'chai';
import { checkUserAccess, evaluateMatch, expandAuthorizedPath, loadSshdConfig } from '../../../src/cli/sshd-config.js';
import { parseSshdArgs, SshdUsageError } from '../../../src/cli/sshd-args.js';
import { SshdConfigError } from '../../../src/cli/sshd-lexer.js';

function load(text: string, options: string[] = []): ReturnType<typeof loadSshdConfig> {
  return loadSshdConfig({
    configFile: '/virtual/sshd_config',
    options,
    env: { readFile: () => text, glob: () => [], cwd: '/work', userHome: () => '/root', groupsOf: () => ['staff'] },
  });
}

describe('sshd_config typed API', () => {
  const cfg = [
    'Port 2222',
    'PasswordAuthentication yes',
    'AllowUsers alice bob@10.0.0.0/8',
    'Match User alice Address 10.0.0.0/8',
    '  PasswordAuthentication no',
    '  ForceCommand /bin/date',
    'Match Group staff',
    '  AllowTcpForwarding local',
    '',
  ].join('\n');

  it('global settings, then the Match blocks that apply to a connection', () => {
    const loaded = load(cfg);
    expect(loaded.config.ports).to.deep.equal([2222]);
    expect(loaded.config.passwordAuthentication).to.equal(true);
    const a = evaluateMatch(loaded, { user: 'alice', addr: '10.1.2.3', host: 'h', laddr: '127.0.0.1', lport: 2222 });
    expect([a.passwordAuthentication, a.forceCommand, a.allowTcpForwarding]).to.deep.equal([false, '/bin/date', 'local']);
    const b = evaluateMatch(loaded, { user: 'alice', addr: '192.168.1.1', host: 'h', laddr: '127.0.0.1', lport: 2222, groups: [] });
    expect([b.passwordAuthentication, b.forceCommand, b.allowTcpForwarding]).to.deep.equal([true, null, 'yes']);
  });

  it('-o options come first and win', () => {
    expect(load(cfg, ['PasswordAuthentication no', 'Port=22']).config.passwordAuthentication).to.equal(false);
    expect(load(cfg, ['Port=22']).config.ports).to.deep.equal([22, 2222]);
  });

  it('AllowUsers with user@host patterns', () => {
    const c = load(cfg).config;
    expect(checkUserAccess(c, { user: 'alice', groups: [], host: 'h', addr: '1.2.3.4' })).to.equal(null);
    expect(checkUserAccess(c, { user: 'bob', groups: [], host: 'h', addr: '10.9.9.9' })).to.equal(null);
    expect(checkUserAccess(c, { user: 'bob', groups: [], host: 'h', addr: '1.2.3.4' })).to.match(/not listed in AllowUsers/);
  });

  it('AuthorizedKeysFile tokens and relative paths', () => {
    const u = { name: 'alice', home: '/home/alice', uid: 1000 };
    expect(expandAuthorizedPath('.ssh/authorized_keys', u)).to.equal('/home/alice/.ssh/authorized_keys');
    expect(expandAuthorizedPath('/etc/keys/%u.%U%%', u)).to.equal('/etc/keys/alice.1000%');
    expect(expandAuthorizedPath('%h/k', u)).to.equal('/home/alice/k');
  });

  it('an unknown keyword is reported with its file and line, status 255', () => {
    try {
      load('Port 22\nFrobnicate yes\n');
      expect.fail('accepted');
    } catch (e) {
      expect(e).to.be.instanceOf(SshdConfigError);
      const err = e as SshdConfigError;
      expect([err.exitCode, err.diagnostics, err.message]).to.deep.equal([
        255,
        ['/virtual/sshd_config: line 2: Bad configuration option: Frobnicate'],
        '/virtual/sshd_config: terminating, 1 bad configuration options',
      ]);
    }
  });

  it("sshd's flags", () => {
    const a = parseSshdArgs(['-De', '-dd', '-f', 'cfg', '-p2222', '-p', '2200', '-h', 'k1', '-o', 'Port 1', '-T', '-C', 'user=u,lport=22']);
    expect(a).to.include({ configFile: 'cfg', foreground: true, logToStderr: true, debug: 2, test: 2 });
    expect(a.ports).to.deep.equal([2222, 2200]);
    expect(a.options).to.deep.equal([{ hostKey: 'k1' }, 'Port 1']);
    expect(a.connection).to.deep.equal({ user: 'u', lport: 22 });
    expect(() => parseSshdArgs(['-x'])).to.throw(SshdUsageError, 'unknown option -- x');
    expect(() => parseSshdArgs(['-p', 'x'])).to.throw(SshdUsageError, 'Bad port number.');
  });
});
