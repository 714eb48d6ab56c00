/**
 * ssh_config files for the CLI (src/cli/ssh-config.ts): line syntax, Host and Match blocks,
 * Include, the second pass of `Match final`, %-tokens, and how the lines join the command
 * line's settings (first value wins). test/openssh/ssh-config.test.ts compares with `ssh -G`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { applySshConfig, expandTokens, loadSshConfig, splitLine, type ConfigEnv } from '../../../src/cli/ssh-config.js';
import { parseSshArgs, UsageError } from '../../../src/cli/ssh-args.js';
import { resolveSettings } from '../../../src/cli/settings.js';

describe('cli: ssh_config files', () => {
  let dir: string;
  let home: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'puressh-config-'));
    home = join(dir, 'home');
    mkdirSync(join(home, '.ssh', 'conf.d'), { recursive: true });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Write `text` as a config file and return the settings for `argv` read with it. */
  function withConfig(text: string, argv: string[], name = 'config'): ReturnType<typeof parseSshArgs> {
    const path = join(dir, name);
    writeFileSync(path, text);
    const args = parseSshArgs(['-F', path, ...argv]);
    loadSshConfig(args, { home, localUser: 'me' });
    return args;
  }

  it('splits keyword and arguments as ssh does: blanks or one "=", double quotes, comment lines', () => {
    expect(splitLine('  # a comment', 'f')).to.equal(null);
    expect(splitLine('', 'f')).to.equal(null);
    expect(splitLine('Port 2222', 'f')).to.deep.equal(['port', ['2222']]);
    expect(splitLine('Port=2222', 'f')).to.deep.equal(['port', ['2222']]);
    expect(splitLine('\tPort = 2222 \r', 'f')).to.deep.equal(['port', ['2222']]);
    expect(splitLine('IdentityFile "/a b/c" d', 'f')).to.deep.equal(['identityfile', ['/a b/c', 'd']]);
    expect(splitLine('Host a #b', 'f')).to.deep.equal(['host', ['a', '#b']]);
    expect(() => splitLine('IdentityFile "/a b', 'cfg line 3')).to.throw(UsageError, 'cfg line 3: invalid quotes');
  });

  it('Host: patterns as typed (case-sensitive), *, ?, and ! negation; the first value wins', () => {
    const text = 'Host web? !web9\n  Port 1001\nHost Web1\n  Port 1002\nHost *\n  Port 1003\n  User fallback\n';
    expect(withConfig(text, ['web1']).options.get('port')).to.equal('1001');
    expect(withConfig(text, ['web9']).options.get('port')).to.equal('1003');
    expect(withConfig(text, ['Web1']).options.get('port')).to.equal('1002');
    expect(withConfig(text, ['-p', '7', 'web1']).options.get('port')).to.equal('7');
    expect(withConfig(text, ['ann@web1']).options.get('user')).to.equal('ann');
    expect(withConfig(text, ['web1']).options.get('user')).to.equal('fallback');
    // a comma is part of a Host pattern, not a separator
    expect(withConfig('Host a,b\n  Port 5\n', ['a']).options.has('port')).to.equal(false);
  });

  it('Match host sees HostName (case-insensitive); originalhost, user, localuser; negation; all', () => {
    const text = [
      'Host alias',
      '  HostName Real.Example',
      'Match host real.example',
      '  Port 2001',
      'Match originalhost ALIAS user bob',
      '  ConnectTimeout 9',
      'Match !localuser me',
      '  Compression yes',
      'Match localuser m?',
      '  ServerAliveInterval 4',
      'Match all',
      '  BatchMode yes',
    ].join('\n');
    const a = withConfig(text, ['bob@alias']);
    expect(a.options.get('port')).to.equal('2001');
    expect(a.options.get('connecttimeout')).to.equal('9');
    expect(a.options.has('compression')).to.equal(false);
    expect(a.options.get('serveraliveinterval')).to.equal('4');
    expect(a.options.get('batchmode')).to.equal('yes');
    expect(withConfig(text, ['carol@alias']).options.has('connecttimeout')).to.equal(false);
    expect(() => withConfig('Match all host x\n  Port 1\n', ['h'])).to.throw(UsageError, "'all' cannot be combined");
    expect(() => withConfig('Match host\n  Port 1\n', ['h'])).to.throw(UsageError, 'requires argument');
    expect(() => withConfig('Match tagged x\n  Port 1\n', ['h'])).to.throw(UsageError, 'Unsupported Match attribute tagged');
  });

  it('Match exec runs the command with tokens expanded (only while the block can still match)', () => {
    const seen: string[] = [];
    const env: ConfigEnv = {
      originalHost: 'box',
      home,
      localUser: 'me',
      current: () => undefined,
      exec: (c) => {
        seen.push(c);
        return c.endsWith('yes');
      },
    };
    const path = join(dir, 'exec');
    writeFileSync(path, 'Match exec "probe %h %r yes"\n  Port 1\nMatch exec "probe %n no"\n  User u\nMatch host other exec "never run"\n  Port 3\n');
    const got = new Map<string, string>();
    applySshConfig(path, env, (k, v) => void (got.has(k) || got.set(k, v)));
    expect(got.get('port')).to.equal('1');
    expect(got.has('user')).to.equal(false);
    expect(seen).to.deep.equal(['probe box me yes', 'probe box no']);
  });

  it('Match final and canonical hold on the second pass, which only adds what is still unset', () => {
    const text = 'Match final\n  Port 3001\n  User late\nHost h\n  User early\nMatch canonical\n  Compression yes\n';
    const a = withConfig(text, ['h']);
    expect(a.options.get('port')).to.equal('3001');
    expect(a.options.get('user')).to.equal('early');
    expect(a.options.get('compression')).to.equal('yes');
    expect(withConfig('Match canonical\n  Port 1\n', ['h']).options.has('port')).to.equal(false);
  });

  it('Include: globs relative to ~/.ssh, applied in place, inside a matching block only, depth-limited', () => {
    writeFileSync(join(home, '.ssh', 'conf.d', '20-b.conf'), 'Port 4002\n');
    writeFileSync(join(home, '.ssh', 'conf.d', '10-a.conf'), 'Host h\n  Port 4001\n');
    writeFileSync(join(home, '.ssh', 'conf.d', 'skip.txt'), 'Port 1\n');
    expect(withConfig('Include conf.d/*.conf\n', ['h']).options.get('port')).to.equal('4001');
    expect(withConfig('Include conf.d/*.conf\n', ['other']).options.get('port')).to.equal('4002');
    expect(withConfig('Host nope\n  Include conf.d/*.conf\nHost *\n  Port 9\n', ['h']).options.get('port')).to.equal('9');
    expect(withConfig('Include ~/.ssh/conf.d/20-b.conf\n', ['h']).options.get('port')).to.equal('4002');
    expect(withConfig('Include conf.d/none-*.conf\n  Port 8\n', ['h']).options.get('port')).to.equal('8');
    writeFileSync(join(home, '.ssh', 'loop'), 'Include loop\n');
    expect(() => withConfig('Include loop\n', ['h'])).to.throw(UsageError, 'Include nesting too deep');
  });

  it('files: -F names the only one (a missing one is an error), none reads nothing, else ~/.ssh/config', () => {
    expect(() => withConfig('', ['-F', join(dir, 'missing'), 'h'])).to.throw(UsageError, `Can't open user config file ${join(dir, 'missing')}`);
    const none = parseSshArgs(['-F', 'none', 'h']);
    expect(none.configFile).to.equal(null);
    writeFileSync(join(home, '.ssh', 'config'), 'Host h\n  Port 5005\n');
    const dflt = parseSshArgs(['h']);
    loadSshConfig(dflt, { home, localUser: 'me' });
    expect(dflt.options.get('port')).to.equal('5005');
    loadSshConfig(none, { home, localUser: 'me' });
    expect(none.options.has('port')).to.equal(false);
  });

  it('keywords: identity files and forwardings accumulate without duplicates; others are noted, not refused', () => {
    const text =
      'IdentityFile ~/a\nIdentityFile ~/b\nIdentityFile ~/a\nLocalForward 8080 localhost:80\nRemoteForward 9090 /tmp/s\nDynamicForward 1080\nControlMaster auto\nNoSuchKeyword x\n';
    const a = withConfig(text, ['-i', '~/a', '-L', '8080:localhost:80', 'h']);
    expect(a.identityFiles).to.deep.equal(['~/a', '~/b']);
    expect(a.session.forwards).to.deep.equal([
      { kind: 'L', spec: '8080:localhost:80' },
      { kind: 'R', spec: '9090:/tmp/s' },
      { kind: 'D', spec: '1080' },
    ]);
    expect(a.notes.some((n) => n.includes('option controlmaster ignored'))).to.equal(true);
    expect(a.notes.some((n) => n.includes('unsupported option nosuchkeyword ignored'))).to.equal(true);
    expect(() => withConfig('Port\n', ['h'])).to.throw(UsageError, 'line 1: no argument after keyword "port"');
  });

  it('tokens: %h %n %p %r %u %d %% and ${VAR}; HostName takes %h only; an unknown token is an error', () => {
    const t = { host: 'real', originalHost: 'alias', port: 2222, user: 'bob', localUser: 'me', home: '/home/me' };
    expect(expandTokens('%h-%n-%p-%r-%u-%d-%%-%k', t, 'identityfile')).to.equal('real-alias-2222-bob-me-/home/me-%-alias');
    process.env.PURESSH_TEST_VAR = 'v';
    try {
      expect(expandTokens('/x/${PURESSH_TEST_VAR}/%C', t, 'identityfile')).to.match(/^\/x\/v\/[0-9a-f]{40}$/);
    } finally {
      delete process.env.PURESSH_TEST_VAR;
    }
    expect(expandTokens('%h.internal', t, 'hostname')).to.equal('alias.internal');
    expect(() => expandTokens('%p', t, 'hostname')).to.throw(UsageError, 'hostname: unknown token %p');
    expect(() => expandTokens('%z', t, 'identityfile', 'cfg line 2')).to.throw(UsageError, 'cfg line 2: identityfile: unknown token %z');
    expect(() => expandTokens('${PURESSH_UNSET_VAR}', t, 'identityfile')).to.throw(UsageError, 'PURESSH_UNSET_VAR');
  });

  it('settings: HostName with %h, lowercased; IdentityFile and UserKnownHostsFile with ~ and tokens', () => {
    const a = withConfig('Host Alias\n  HostName %h.Example\n  User bob\n  Port 2022\n  IdentityFile ~/.ssh/id_%r@%h\n  UserKnownHostsFile ~/kh_%n_%p\n', [
      'Alias',
    ]);
    const s = resolveSettings(a, { home, localUser: 'me' });
    expect(s.host).to.equal('alias.example');
    expect(s.identityFiles).to.deep.equal([join(home, '.ssh', 'id_bob@alias.example')]);
    expect(s.userKnownHostsFiles).to.deep.equal([join(home, 'kh_Alias_2022')]);
  });
});
