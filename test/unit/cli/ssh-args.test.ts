/**
 * `puressh ssh` command-line parsing, OpenSSH's rules: first value wins, options before and
 * right after the destination, the command starts at the next word; algorithm list syntax.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import {
  IGNORED_OPTIONS,
  parseDestination,
  parseOption,
  parseSshArgs,
  parseTime,
  parseBytes,
  splitWords,
  SUPPORTED_OPTIONS,
  UsageError,
} from '../../../src/cli/ssh-args.js';
import { applyAlgorithmSpec, AlgorithmSpecError, matchWildcard } from '../../../src/cli/algo-list.js';
import { preferKnownHostKeyTypes, queryList, resolveSettings } from '../../../src/cli/settings.js';
import { DEFAULT_CIPHERS, SUPPORTED_CIPHERS } from '../../../src/transport/cipher/index.js';
import { DEFAULT_HOSTKEY_ALGORITHMS } from '../../../src/crypto/keys/index.js';

const env = { home: '/home/me', localUser: 'me' };
const settings = (...argv: string[]) => resolveSettings(parseSshArgs(argv), env);

describe('cli: ssh argument parsing', () => {
  it('splits flags, destination and command like ssh', () => {
    const a = parseSshArgs(['-p', '2222', '-i', 'k1', '-ik2', '-Cv', 'bob@host', 'echo', 'a  b', '-x']);
    expect(a.destination).to.equal('bob@host');
    expect(a.host).to.equal('host');
    expect(a.command).to.deep.equal(['echo', 'a  b', '-x']);
    expect(a.identityFiles).to.deep.equal(['k1', 'k2']);
    expect(a.verbose).to.equal(1);
    expect(a.options.get('port')).to.equal('2222');
    expect(a.options.get('user')).to.equal('bob');
    expect(a.options.get('compression')).to.equal('yes');
  });

  it('takes options right after the destination, and -- ends options', () => {
    const a = parseSshArgs(['host', '-p22', '-v', 'ls', '-l']);
    expect(a.options.get('port')).to.equal('22');
    expect(a.verbose).to.equal(1);
    expect(a.command).to.deep.equal(['ls', '-l']);
    const b = parseSshArgs(['--', 'host', '-v']);
    expect(b.verbose).to.equal(0);
    expect(b.command).to.deep.equal(['-v']);
  });

  it('keeps the first value of a setting (flag, -o or destination)', () => {
    expect(parseSshArgs(['-l', 'first', 'second@h']).options.get('user')).to.equal('first');
    expect(parseSshArgs(['second@h', '-l', 'third']).options.get('user')).to.equal('second');
    expect(parseSshArgs(['-o', 'Port=1', '-p', '2', 'h']).options.get('port')).to.equal('1');
    expect(parseSshArgs(['-c', 'aes128-ctr', '-o', 'Ciphers=aes256-ctr', 'h']).options.get('ciphers')).to.equal('aes128-ctr');
    expect(parseSshArgs(['-o', 'IdentityFile=a', '-i', 'b', 'h']).identityFiles).to.deep.equal(['a', 'b']);
  });

  it('reads -o as Name=Value or "Name Value", case-insensitively, with old aliases', () => {
    expect(parseOption('StrictHostKeyChecking=accept-new')).to.deep.equal(['stricthostkeychecking', 'accept-new']);
    expect(parseOption('ciphers  aes128-ctr')).to.deep.equal(['ciphers', 'aes128-ctr']);
    expect(parseOption('PubkeyAcceptedKeyTypes = +ssh-rsa')).to.deep.equal(['pubkeyacceptedalgorithms', '+ssh-rsa']);
    expect(() => parseOption('Ciphers')).to.throw(UsageError);
  });

  it('rejects unknown flags and options, notes ignored ones', () => {
    expect(() => parseSshArgs(['-Z', 'h'])).to.throw(UsageError, 'unknown option -- Z');
    expect(() => parseSshArgs(['-p'])).to.throw(UsageError, 'option requires an argument -- p');
    expect(() => parseSshArgs(['-o', 'NoSuchThing=1', 'h'])).to.throw(UsageError, 'Bad configuration option: nosuchthing');
    const a = parseSshArgs(['-F', '/dev/null', '-o', 'ForwardX11=no', '-x', 'h', 'true']);
    expect(a.notes).to.have.length(2);
  });

  it('parses destinations, ssh:// URIs and ports', () => {
    expect(parseDestination('host')).to.deep.equal({ host: 'host' });
    expect(parseDestination('a@b@host')).to.deep.equal({ user: 'a@b', host: 'host' });
    expect(parseDestination('ssh://me@host:2200')).to.deep.equal({ user: 'me', host: 'host', port: 2200 });
    expect(parseDestination('ssh://[::1]:22')).to.deep.equal({ host: '::1', port: 22 });
    expect(() => parseDestination('@host')).to.throw(UsageError);
    expect(() => settings('-p', '70000', 'h')).to.throw(UsageError, "Bad port '70000'");
  });

  it('parses ssh_config times and sizes', () => {
    expect(parseTime('t', '30')).to.equal(30);
    expect(parseTime('t', '1h30m')).to.equal(5400);
    expect(() => parseTime('t', '5x')).to.throw(UsageError);
    expect(parseBytes('b', '64K')).to.equal(65536);
    expect(parseBytes('b', '1G')).to.equal(1073741824);
  });
});

describe('cli: algorithm list syntax', () => {
  const defaults = ['a', 'b', 'c'];
  const supported = ['a', 'b', 'c', 'x', 'y-1', 'y-2'];
  it('replaces, appends, prepends and removes', () => {
    expect(applyAlgorithmSpec('x,a', defaults, supported, 'cipher')).to.deep.equal(['x', 'a']);
    expect(applyAlgorithmSpec('+x,a', defaults, supported, 'cipher')).to.deep.equal(['a', 'b', 'c', 'x']);
    expect(applyAlgorithmSpec('^x,c', defaults, supported, 'cipher')).to.deep.equal(['x', 'c', 'a', 'b']);
    expect(applyAlgorithmSpec('-b', defaults, supported, 'cipher')).to.deep.equal(['a', 'c']);
    expect(applyAlgorithmSpec('-a*,?', ['a', 'ab', 'b', 'cd'], supported, 'cipher')).to.deep.equal(['cd']);
  });
  it("fails like ssh's spec check", () => {
    expect(() => applyAlgorithmSpec('nope', defaults, supported, 'cipher')).to.throw(AlgorithmSpecError, "Bad SSH2 cipher spec 'nope'.");
    expect(() => applyAlgorithmSpec('+a,nope', defaults, supported, 'cipher')).to.throw(AlgorithmSpecError);
    expect(() => applyAlgorithmSpec('-*', defaults, supported, 'cipher')).to.throw(AlgorithmSpecError);
    expect(() => applyAlgorithmSpec('', defaults, supported, 'cipher')).to.throw(AlgorithmSpecError);
  });
  it('matches wildcards over the whole name only', () => {
    expect(matchWildcard('aes128-ctr', 'aes*')).to.equal(true);
    expect(matchWildcard('aes128-ctr', 'aes128-c?r')).to.equal(true);
    expect(matchWildcard('aes128-ctr', 'aes128')).to.equal(false);
    expect(matchWildcard('a.b', 'a?b')).to.equal(true);
    expect(matchWildcard('axb', 'a.b')).to.equal(false);
  });
});

describe('cli: settings', () => {
  it("uses OpenSSH's defaults", () => {
    const s = settings('host', 'true');
    expect(s).to.include({ host: 'host', port: 22, user: 'me', command: 'true', strictHostKeyChecking: 'ask', batchMode: false, passwordAuthentication: true });
    expect(s.identityFiles).to.deep.equal(['/home/me/.ssh/id_ed25519', '/home/me/.ssh/id_ecdsa', '/home/me/.ssh/id_rsa']);
    expect(s.userKnownHostsFiles).to.deep.equal(['/home/me/.ssh/known_hosts', '/home/me/.ssh/known_hosts2']);
    expect(s.algorithms.cipher).to.equal(undefined);
    expect(s.algorithms.compression).to.deep.equal(['none', 'zlib@openssh.com', 'zlib']);
    expect(s.preferredAuthentications).to.deep.equal(['hostbased', 'publickey', 'keyboard-interactive', 'password']);
    expect(settings('h').command).to.equal(null);
  });
  it('maps flags and -o names onto client options', () => {
    const s = settings(
      '-C',
      '-i',
      '~/k',
      '-o',
      'Ciphers=-chacha20*',
      '-o',
      'MACs=hmac-sha2-512',
      '-o',
      'ConnectTimeout=7',
      '-o',
      'UserKnownHostsFile=~/kh /x/kh2',
      '-o',
      'StrictHostKeyChecking=accept-new',
      '-o',
      'BatchMode=yes',
      '-o',
      'RekeyLimit=1M 30s',
      '-o',
      'PreferredAuthentications=password',
      'u@h',
      'ls',
    );
    expect(s.algorithms.cipher).to.deep.equal(DEFAULT_CIPHERS.filter((c) => !c.startsWith('chacha20')));
    expect(s.algorithms.mac).to.deep.equal(['hmac-sha2-512']);
    expect(s.algorithms.compression).to.deep.equal(['zlib@openssh.com', 'zlib', 'none']);
    expect(s.identityFiles).to.deep.equal(['/home/me/k']);
    expect(s.identityFilesExplicit).to.equal(true);
    expect(s.userKnownHostsFiles).to.deep.equal(['/home/me/kh', '/x/kh2']);
    expect(s).to.include({ user: 'u', connectTimeoutMs: 7000, strictHostKeyChecking: 'accept-new', batchMode: true, rekeyBytes: 1048576, rekeySeconds: 30 });
    expect(s.preferredAuthentications).to.deep.equal(['password']);
    expect(() => settings('-o', 'BatchMode=maybe', 'h')).to.throw(UsageError);
  });
  it('puts host key types known for the host first (order_hostkeyalgs)', () => {
    expect(preferKnownHostKeyTypes(DEFAULT_HOSTKEY_ALGORITHMS, ['ssh-rsa'])).to.deep.equal([
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-ed25519',
      'ecdsa-sha2-nistp256',
      'ecdsa-sha2-nistp384',
      'ecdsa-sha2-nistp521',
    ]);
  });
  it('answers -Q with the registries', () => {
    expect(queryList('cipher')).to.deep.equal([...SUPPORTED_CIPHERS]);
    expect(queryList('key')).to.include('ssh-ed25519');
    expect(queryList('compression')).to.deep.equal(['none', 'zlib@openssh.com', 'zlib']);
    expect(queryList('nonsense')).to.equal(null);
  });

  it('SendEnv adds up; -pattern removes the patterns it matches; SetEnv: the first line wins', () => {
    const a = parseSshArgs(['-o', 'SendEnv=LANG LC_* X', '-o', 'SendEnv=-LC_* -Y', '-o', 'SetEnv=A=1', '-o', 'SetEnv=B=2', 'h']);
    expect(a.sendEnv).to.deep.equal(['LANG', 'X']);
    const s = resolveSettings(a, env);
    expect(s.setEnv).to.deep.equal([['A', '1']]);
    expect(() => settings('-o', 'SetEnv=NOVALUE', 'h')).to.throw(UsageError, 'Invalid environment.');
  });

  it("splits words as OpenSSH's argv_split: quotes anywhere, backslash escapes, unterminated quote refused", () => {
    expect(splitWords(`a"b c"d 'e f' g\\ h i\\"j`, 'x')).to.deep.equal(['ab cd', 'e f', 'g h', 'i"j']);
    expect(() => splitWords('"open', 'cfg line 2')).to.throw(UsageError, 'cfg line 2: invalid quotes');
  });

  it('the ignored keywords are the ones the README names, and none is also acted on', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('accepted and ignored because they do not'), readme.indexOf('- Identities:'));
    const named = [...section.matchAll(/`([A-Za-z0-9]+)`/g)].map((m) => m[1]!.toLowerCase());
    expect(new Set(named)).to.deep.equal(IGNORED_OPTIONS);
    for (const k of IGNORED_OPTIONS) expect(SUPPORTED_OPTIONS.has(k), k).to.equal(false);
  });
});
