/**
 * sshd_config differential: `puressh sshd -T` beside Debian's OpenSSH 9.2 `sshd -T`, over
 * hand-written configs and fast-check generated ones (Match blocks included), with and
 * without a `-C` connection spec. Accepted configs print the same lines; refused ones are
 * refused with the same exit status and the same last message (which names the line).
 *
 * Normalized, and only this: lines of Kerberos/GSSAPI keywords are dropped (puressh is an
 * OpenSSH without them; Debian adds gssapikeyexchange & co.), and algorithm lists keep the
 * names both puressh and this OpenSSH implement (sk-* and mlkem768x25519-sha256 are
 * each on one side only); puressh's own warnings (`puressh sshd: warning: …`) are dropped
 * from stderr.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import fc from 'fast-check';
import { runSshd } from '../../src/cli/sshd.js';
import { SERVER_SUPPORTED } from '../../src/cli/sshd-algorithms.js';
import type { CliIo } from '../../src/cli/io.js';
import { generateKey, requireSshd, SSHD_PATH, sshdSupported } from '../support/sshd.js';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function ours(args: string[]): Promise<Result> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (b: Buffer) => (out += b.toString()));
  stderr.on('data', (b: Buffer) => (err += b.toString()));
  const io = { stdin: new PassThrough(), stdout, stderr, home: '/root', localUser: 'root', prompt: null, version: 'test' } as unknown as CliIo;
  const code = await runSshd(args, io);
  return { code, stdout: out, stderr: err };
}

function theirs(args: string[]): Result {
  const r = spawnSync(SSHD_PATH, args, { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const ALGO_KEYS: Record<string, string> = {
  ciphers: 'cipher',
  macs: 'mac',
  kexalgorithms: 'kex',
  hostkeyalgorithms: 'key-sig',
  pubkeyacceptedalgorithms: 'key-sig',
  hostbasedacceptedalgorithms: 'key-sig',
  casignaturealgorithms: 'key-sig',
};

function normalizeOut(text: string): string[] {
  const ourKind: Record<string, readonly string[]> = {
    cipher: SERVER_SUPPORTED.cipher,
    mac: SERVER_SUPPORTED.mac,
    kex: SERVER_SUPPORTED.kex,
    'key-sig': SERVER_SUPPORTED.key,
  };
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || /^(kerberos|gssapi)/.test(line)) continue;
    const sp = line.indexOf(' ');
    const k = line.slice(0, sp);
    const kind = ALGO_KEYS[k];
    if (kind) {
      const both = new Set(sshdSupported(kind as 'cipher').filter((n) => ourKind[kind]!.includes(n)));
      out.push(
        `${k} ${line
          .slice(sp + 1)
          .split(',')
          .filter((n) => both.has(n))
          .join(',')}`,
      );
    } else out.push(line);
  }
  return out;
}

function lastError(stderr: string): string {
  const lines = stderr
    .replace(/\r/g, '')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('puressh sshd: warning:'));
  return lines[lines.length - 1] ?? '';
}

let dir: string;
let hostKey: string;
let n = 0;

async function compare(config: string, extra: string[] = [], label = config): Promise<void> {
  const path = join(dir, `c${n++}.conf`);
  writeFileSync(path, config);
  const args = ['-T', '-f', path, ...extra];
  const a = theirs(args);
  const b = await ours(args);
  const ctx = `config:\n${label}\nargs: ${extra.join(' ')}\nsshd stderr: ${a.stderr}\npuressh stderr: ${b.stderr}`;
  expect(b.code, ctx).to.equal(a.code);
  if (a.code === 0) expect(normalizeOut(b.stdout), ctx).to.deep.equal(normalizeOut(a.stdout));
  else expect(lastError(b.stderr), ctx).to.equal(lastError(a.stderr));
}

const CONN = 'user=alice,addr=10.1.2.3,host=h,laddr=127.0.0.1,lport=22';
const CONN2 = 'user=root,addr=192.168.7.9,host=Gw.Example.COM,laddr=::1,lport=2222';

describe('sshd_config: puressh sshd -T vs OpenSSH sshd -T', function () {
  this.timeout(600_000);

  before(async () => {
    requireSshd();
    mkdirSync('/run/sshd', { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'puressh-sshdcfg-'));
    hostKey = join(dir, 'host_ed25519');
    await generateKey('ed25519', hostKey);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const hk = (): string => `HostKey ${hostKey}\n`;

  it('defaults', async () => {
    await compare(hk());
    await compare(hk(), ['-C', CONN]);
  });

  it('hand-written configs', async () => {
    const configs = [
      'Port 2222\nPort 22\nListenAddress 127.0.0.1\nListenAddress [::1]:2200\nAddressFamily any\n',
      'Port=2022\nPasswordAuthentication = no\npubkeyauthentication  NO\n  # comment\n\tPermitRootLogin prohibit-password\n',
      'PermitRootLogin forced-commands-only\nPermitRootLogin yes\nChallengeResponseAuthentication no\nKbdInteractiveAuthentication yes\n',
      'AuthorizedKeysFile %h/.ssh/authorized_keys .ssh/other "/etc/ssh/keys/%u"\nStrictModes no\nUsePAM no\n',
      'RekeyLimit 1G 1h\nLoginGraceTime 1h30m\nClientAliveInterval 15\nClientAliveCountMax 0\nMaxAuthTries 3\nMaxSessions 2\n',
      'RekeyLimit 512M\nMaxStartups 5\nMaxStartups 3:50:9\nIPQoS af11\nIPQoS 0x10 ef\n',
      'AllowUsers alice bob@10.0.0.0/8 "*@127.0.0.1"\nAllowUsers carol\nDenyUsers root\nAllowGroups wheel staff\nDenyGroups nogroup\n',
      'AllowTcpForwarding local\nGatewayPorts clientspecified\nPermitOpen 1.2.3.4:80 [::1]:22 h:*\nPermitListen 8080 localhost:9000\nAllowStreamLocalForwarding remote\n',
      'Subsystem sftp /usr/lib/openssh/sftp-server -l INFO\nSubsystem other internal-sftp\nAcceptEnv LANG LC_*\nAcceptEnv TZ\nSetEnv A=1 B="two words"\nSetEnv C=3\n',
      'ForceCommand echo  "hi there"\nChrootDirectory /srv/%u\nBanner none\nPrintMotd no\nPrintLastLog no\n',
      'Ciphers aes128-ctr,aes256-gcm@openssh.com\nMACs -hmac-sha1*\nKexAlgorithms ^ecdh-sha2-nistp256\nHostKeyAlgorithms ssh-ed*\nPubkeyAcceptedAlgorithms -*-cert-v01@openssh.com\n',
      'Ciphers +aes128-cbc\nMACs hmac-sha2-256,hmac-sha2-512\nKexAlgorithms -diffie-hellman*\nHostKeyAlgorithms +ssh-rsa\nCASignatureAlgorithms ssh-ed25519\n',
      'LogLevel DEBUG3\nSyslogFacility LOCAL0\nAuthenticationMethods publickey,password publickey,keyboard-interactive\nPermitEmptyPasswords yes\n',
      'PermitUserEnvironment LANG,LC_*\nX11Forwarding yes\nPermitTTY no\nAuthorizedKeysCommand /usr/bin/true %u\nAuthorizedKeysCommandUser nobody\n',
      'PerSourceMaxStartups 10\nPerSourceNetBlockSize 24:56\nUnusedConnectionTimeout 1h\nChannelTimeout session=5m\nStreamLocalBindMask 0077\n',
      'UsePrivilegeSeparation sandbox\nProtocol 2\nKerberosAuthentication no\nGSSAPIAuthentication no\n',
      'Match User alice\n  PasswordAuthentication no\n  ForceCommand /bin/true\nMatch Address 10.0.0.0/8\n  PermitRootLogin no\n  X11Forwarding yes\n',
      'PasswordAuthentication no\nMatch Group root\n  PasswordAuthentication yes\n  AllowUsers root\nMatch all\n  MaxSessions 1\n  AuthorizedKeysFile none\n',
      'Match Host *.example.com LocalPort 2222\n  Banner /etc/issue.net\n  ChrootDirectory none\n  AllowTcpForwarding no\nMatch LocalAddress ::1\n  PermitTTY no\n',
      'Match User !root,* Address !10.1.2.3,10.0.0.0/8\n  GatewayPorts yes\nMatch User=alice\n  RekeyLimit 100K 30m\n  IPQoS cs1\n  PubkeyAcceptedAlgorithms ssh-ed25519\n',
      'Match User alice # trailing comment\n  SetEnv X=1\n  AcceptEnv FOO\n  PermitOpen none\n  AuthenticationMethods publickey\n',
      'PubkeyAuthOptions verify-required touch-required\nMatch User alice\n  PubkeyAuthOptions none\nMatch Address 10.0.0.0/8\n  PubkeyAuthOptions touch-required\n',
    ];
    for (const c of configs) {
      await compare(hk() + c);
      await compare(hk() + c, ['-C', CONN]);
      await compare(hk() + c, ['-C', CONN2]);
    }
  });

  it('refused configs: the same status and message (with the line number)', async () => {
    const bad = [
      'Frobnicate yes\n',
      'Port 22\nFrob\nPort x\n',
      'Match User x\nPort 22\n',
      'Match User x\nFoo bar\n',
      'Ciphers foo\n',
      'Ciphers aes*\n',
      'MACs umac-32\n',
      'KexAlgorithms foo\n',
      'HostKeyAlgorithms nope*\n',
      'RekeyLimit 10\n',
      'RekeyLimit 1X\n',
      'LoginGraceTime 1x\n',
      'PubkeyAuthOptions touch-required frob\n',
      'MaxAuthTries -1\n',
      'MaxSessions many\n',
      'PermitRootLogin maybe\n',
      'PasswordAuthentication yes no\n',
      'AllowTcpForwarding sometimes\n',
      'GatewayPorts always\n',
      'MaxStartups 5:0:10\n',
      'MaxStartups 10:30:5\n',
      'Match Address 10.1.2.3/8\n',
      'Match Address 10.0.0.0/8 User\n',
      'Match Foo x\n',
      'Match all user x\n',
      'Match\n',
      'Match LocalPort 22\n',
      'Match LocalPort x\n',
      'AcceptEnv A=B\n',
      'SetEnv NOVALUE\n',
      'Subsystem sftp /a\nSubsystem sftp /b\n',
      'Subsystem sftp\n',
      'LogLevel loud\n',
      'SyslogFacility nope\n',
      'AuthenticationMethods foo\n',
      'AuthenticationMethods any publickey\n',
      'PasswordAuthentication no\nKbdInteractiveAuthentication no\nAuthenticationMethods password\n',
      'AuthorizedKeysCommand relative/path\n',
      'AuthorizedKeysCommand /usr/bin/true\n',
      'PermitOpen host\n',
      'PermitListen host:x\n',
      'ListenAddress 1.2.3.4:x\n',
      'ListenAddress 1.2.3.4 rdomain\n',
      'PermitTunnel sideways\n',
      'AllowUsers a@10.1.2.3/8\n',
      'Ciphers "aes128-ctr\n',
      'Include\n',
      'Banner\n',
      'StreamLocalBindMask 999\n',
      'IPQoS bogus\n',
      'ChannelTimeout x\n',
    ];
    for (const c of bad) await compare(hk() + c);
    await compare(hk() + 'Match User alice\nMatch LocalPort 22\n', ['-C', CONN]);
    await compare(hk() + 'Match LocalPort 22\n', ['-C', 'user=alice']);
  });

  it('command line: -o takes precedence, -p replaces Port, -C alone, bad flags', async () => {
    const cfg = hk() + 'Port 2222\nPasswordAuthentication yes\nLogLevel VERBOSE\nMatch User alice\n PasswordAuthentication no\n';
    await compare(cfg, ['-o', 'PasswordAuthentication=no', '-o', 'Port 2200']);
    await compare(cfg, ['-p', '2201', '-p', '2202']);
    await compare(cfg, ['-o', 'PasswordAuthentication=no', '-C', CONN]);
    await compare(cfg, ['-d', '-o', 'LogLevel=ERROR']);
    await compare(cfg, ['-q']);
    await compare(cfg, ['-o', 'Frobnicate=1']);
    await compare(cfg, ['-o', 'Port=x']);
    await compare(cfg, ['-o', 'Match=user x']);
    await compare(cfg, ['-C', 'user=x,foo=y']);
    await compare(cfg, ['-C', 'lport=x']);
    await compare(cfg, ['extra']);
    await compare(cfg, ['-p', '0']);
    const t = theirs(['-t', '-f', join(dir, 'c0.conf'), '-C', CONN]);
    const o = await ours(['-t', '-f', join(dir, 'c0.conf'), '-C', CONN]);
    expect([o.code, lastError(o.stderr)]).to.deep.equal([t.code, lastError(t.stderr)]);
    const missing = ['-T', '-f', join(dir, 'does-not-exist')];
    expect([(await ours(missing)).code, lastError((await ours(missing)).stderr)]).to.deep.equal([theirs(missing).code, lastError(theirs(missing).stderr)]);
  });

  it('Include: globs, relative paths, Match inside included files', async () => {
    const inc = join(dir, 'inc');
    mkdirSync(inc, { recursive: true });
    writeFileSync(join(inc, 'a.conf'), 'PermitRootLogin no\nMaxAuthTries 2\n');
    writeFileSync(join(inc, 'b.conf'), 'Match User alice\n  X11Forwarding yes\n');
    writeFileSync(join(inc, 'c.conf'), 'Frobnicate 1\n');
    await compare(hk() + `Include ${inc}/[ab].conf\nPermitRootLogin yes\nMaxAuthTries 5\n`, ['-C', CONN]);
    await compare(hk() + `Include ${inc}/*.conf\n`);
    await compare(hk() + `Match User alice\n  Include ${inc}/a.conf\nMatch all\n  MaxSessions 3\n`, ['-C', CONN]);
    await compare(hk() + `Include ${inc}/none-*.conf\nInclude puressh-test-not-there.conf\n`);
  });

  it('generated configs (fast-check)', async () => {
    const value = (...vs: string[]): fc.Arbitrary<string> => fc.constantFrom(...vs);
    const yesno = value('yes', 'no', 'YES', 'No', 'maybe');
    const globalLine = fc.oneof(
      fc.tuple(value('Port'), value('22', '2222', 'ssh', '0')),
      fc.tuple(value('ListenAddress'), value('127.0.0.1', '127.0.0.1:2200', '[::1]:2201', '::1', '0.0.0.0')),
      fc.tuple(value('AddressFamily'), value('any', 'inet', 'inet6')),
      fc.tuple(value('StrictModes', 'UsePAM', 'PrintMotd', 'PrintLastLog', 'TCPKeepAlive', 'UseDNS', 'Compression'), yesno),
      fc.tuple(value('LoginGraceTime'), value('30', '1h30m', '2m', '0', '1x')),
      fc.tuple(value('MaxStartups'), value('10:30:100', '5', '20:50:60', '5:0:10')),
      fc.tuple(value('Subsystem'), value('sftp /usr/lib/openssh/sftp-server', 'sftp internal-sftp', 'x /bin/x -a b')),
      fc.tuple(value('Ciphers'), value('aes128-ctr,aes256-gcm@openssh.com', '+aes128-cbc', '-chacha*', '^aes256-ctr', 'foo')),
      fc.tuple(value('MACs'), value('hmac-sha2-256', '-hmac-sha1*', '+hmac-md5', '^hmac-sha2-512-etm@openssh.com')),
      fc.tuple(value('KexAlgorithms'), value('curve25519-sha256', '-diffie-hellman*', '+diffie-hellman-group14-sha1', '^ecdh-sha2-nistp256')),
      fc.tuple(value('HostKeyAlgorithms'), value('ssh-ed25519', 'ssh-ed*', '-*-cert-v01@openssh.com', '+ssh-rsa', 'rsa-sha2-*')),
      fc.tuple(value('SyslogFacility'), value('AUTH', 'LOCAL0', 'daemon', 'nope')),
      fc.tuple(value('PermitUserEnvironment'), value('yes', 'no', 'LANG,LC_*')),
      fc.tuple(value('UsePrivilegeSeparation', 'Frobnicate'), value('yes')),
    );
    const matchLine = fc.oneof(
      fc.tuple(
        value(
          'PasswordAuthentication',
          'PubkeyAuthentication',
          'KbdInteractiveAuthentication',
          'ChallengeResponseAuthentication',
          'PermitEmptyPasswords',
          'X11Forwarding',
          'PermitTTY',
          'AllowAgentForwarding',
          'DisableForwarding',
        ),
        yesno,
      ),
      fc.tuple(value('PermitRootLogin'), value('yes', 'no', 'prohibit-password', 'without-password', 'forced-commands-only')),
      fc.tuple(value('AllowTcpForwarding', 'AllowStreamLocalForwarding'), value('yes', 'no', 'local', 'remote', 'all')),
      fc.tuple(value('GatewayPorts'), value('yes', 'no', 'clientspecified')),
      fc.tuple(value('MaxAuthTries', 'MaxSessions', 'ClientAliveCountMax'), value('0', '3', '10', 'x')),
      fc.tuple(value('ClientAliveInterval'), value('30', '1h30m', '0', '5x')),
      fc.tuple(value('RekeyLimit'), value('1G', '512M 1h', 'default none', '100K 30m', '10')),
      fc.tuple(value('PermitOpen'), value('any', 'none', 'host:22', '1.2.3.4:* [::1]:80')),
      fc.tuple(value('PermitListen'), value('any', '8080', 'localhost:9000')),
      fc.tuple(value('AllowUsers', 'DenyUsers'), value('alice', 'bob@10.0.0.0/8', '*@127.0.0.1', 'root')),
      fc.tuple(value('AllowGroups', 'DenyGroups'), value('wheel', 'staff root')),
      fc.tuple(value('AcceptEnv'), value('LANG LC_*', 'TZ')),
      fc.tuple(value('SetEnv'), value('A=1 B=2', 'A=3')),
      fc.tuple(value('ForceCommand'), value('/bin/true', 'none', 'echo "a b"')),
      fc.tuple(value('ChrootDirectory', 'Banner'), value('/srv/%u', 'none')),
      fc.tuple(value('AuthorizedKeysFile'), value('.ssh/authorized_keys', '%h/.ssh/keys %u', 'none')),
      fc.tuple(value('PubkeyAcceptedAlgorithms'), value('ssh-ed25519', '+ssh-rsa', '-rsa-*', 'ecdsa-*')),
      fc.tuple(value('PubkeyAuthOptions'), value('none', 'touch-required', 'verify-required', 'verify-required touch-required')),
      fc.tuple(value('LogLevel'), value('INFO', 'DEBUG', 'VERBOSE', 'debug3', 'loud')),
      fc.tuple(value('AuthenticationMethods'), value('any', 'publickey', 'publickey,password publickey,keyboard-interactive')),
      fc.tuple(value('IPQoS'), value('af21', 'lowdelay throughput', '0x20')),
    );
    const criteria = fc.oneof(
      value('User alice', 'User !root,*', 'User root', 'Group root', 'Host h', 'Host *.example.com', 'All'),
      value('Address 10.0.0.0/8', 'Address 10.1.2.3', 'Address !10.1.2.3,*', 'LocalAddress 127.0.0.1', 'LocalPort 22', 'User alice Address 10.0.0.0/8'),
    );
    const block = fc.tuple(criteria, fc.array(fc.oneof({ weight: 9, arbitrary: matchLine }, { weight: 1, arbitrary: globalLine }), { maxLength: 4 }));
    const config = fc.tuple(fc.array(fc.oneof(globalLine, matchLine), { maxLength: 8 }), fc.array(block, { maxLength: 3 }));
    const spec = fc.constantFrom<string[]>([], ['-C', CONN], ['-C', CONN2]);
    await fc.assert(
      fc.asyncProperty(config, spec, async ([globals, blocks], extra) => {
        const text =
          hk() +
          globals.map(([k, v]) => `${k} ${v}\n`).join('') +
          blocks.map(([c, lines]) => `Match ${c}\n` + lines.map(([k, v]) => `  ${k} ${v}\n`).join('')).join('');
        await compare(text, extra);
      }),
      { numRuns: Number(process.env.SSHD_CONFIG_RUNS ?? 300) },
    );
  });
});
