/**
 * ssh_config files with `puressh ssh` beside OpenSSH's ssh: `-G` prints the same values for
 * the keywords puressh acts on, over configs that exercise Host and Match blocks, Include,
 * `Match final`, `Match exec` and %-tokens; a config alone (no flags but -F) takes both
 * clients to the same sshd, with a LocalForward keyword that really forwards; and ProxyJump
 * (-J, the keyword, two hops, and a jump host that refuses to forward) behaves alike.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { SSH_PATH } from '../support/ssh-client.js';
import { startAgent, type TestAgent } from '../support/ssh-agent.js';
import { freePort, startSshd, type Sshd } from '../support/sshd.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const entry = join(root, 'test/support/puressh-cli.ts');
/** ssh resolves ~ and %d from the passwd entry; puressh from $HOME: give both the same. */
const env = { ...process.env, HOME: userInfo().homedir };

function run(
  program: string,
  argv: string[],
  timeoutMs = 30_000,
  extraEnv: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(program, argv, { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: out, stderr: err });
    });
  });
}

const puressh = (argv: string[], extraEnv?: Record<string, string>) => run(process.execPath, ['--import', 'tsx', entry, 'ssh', ...argv], 30_000, extraEnv);
const openssh = (argv: string[], extraEnv?: Record<string, string>) => run(SSH_PATH, argv, 30_000, extraEnv);

/** Keywords whose -G values mean the same in both (OpenSSH prints IdentityFile unexpanded). */
const COMPARED = new Set([
  'host',
  'user',
  'hostname',
  'port',
  'batchmode',
  'compression',
  'forwardagent',
  'hashknownhosts',
  'hostbasedauthentication',
  'kbdinteractiveauthentication',
  'passwordauthentication',
  'exitonforwardfailure',
  'requesttty',
  'numberofpasswordprompts',
  'serveralivecountmax',
  'serveraliveinterval',
  'connecttimeout',
  'ciphers',
  'userknownhostsfile',
  'localforward',
  'remoteforward',
  'dynamicforward',
  'sendenv',
  'setenv',
  'proxycommand',
  'hostkeyalias',
  'identitiesonly',
  'sessiontype',
  'forkafterauthentication',
  'stdinnull',
]);

/** A Host block that takes a client to test sshd `d` with its own key and known_hosts, and nothing else. */
function hostBlock(patterns: string, d: Sshd): string[] {
  return [
    `Host ${patterns}`,
    '  HostName 127.0.0.1',
    `  Port ${d.port}`,
    `  User ${d.user}`,
    `  IdentityFile ${d.userKeys.ed25519.privatePath}`,
    '  IdentitiesOnly yes',
    '  IdentityAgent none',
    `  UserKnownHostsFile ${d.knownHostsPath}`,
    '  GlobalKnownHostsFile /dev/null',
    '  StrictHostKeyChecking yes',
    '  BatchMode yes',
    '  LogLevel ERROR',
  ];
}

function picked(dump: string): string[] {
  return dump
    .split('\n')
    .map((l) => l.replace(/^(\S+)/, (k) => k.toLowerCase()))
    .filter((l) => COMPARED.has(l.split(' ')[0]!))
    .sort();
}

describe('ssh_config: puressh ssh beside OpenSSH ssh', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    execFileSync(SSH_PATH, ['-V'], { stdio: 'ignore' }); // fails with ENOENT: apt-get install -y openssh-client
    dir = mkdtempSync(join(tmpdir(), 'puressh-sshconfig-'));
    mkdirSync(join(dir, 'conf.d'));
    writeFileSync(
      join(dir, 'conf.d', '10-db.conf'),
      'Host db\n  Compression yes\n  LocalForward 127.0.0.1:5432 localhost:5433\n  RemoteForward 9000 localhost:9001\n',
    );
    writeFileSync(join(dir, 'conf.d', '20-all.conf'), 'ServerAliveCountMax 7\n');
    writeFileSync(
      join(dir, 'config'),
      [
        '# web hosts, but not web9',
        'Host web? !web9',
        '    HostName %h.internal',
        '    User deploy',
        `    SetEnv A=1 B="two words" C='it''s' A=2`,
        '    SendEnv -LC_ALL',
        'Host web1',
        '    SetEnv IGNORED=first-SetEnv-line-wins',
        'Host Web1',
        '    Port 1111',
        'Host web9 db',
        '    Port=2200',
        `Include ${join(dir, 'conf.d')}/*.conf`,
        'Match final host *.internal',
        '    ConnectTimeout 11',
        'Match exec "test %n = web1" !user root',
        '    ServerAliveInterval 21',
        'Match canonical all',
        '    ForwardAgent yes',
        'Match originalhost DB',
        '    DynamicForward 1080',
        'Host *',
        '    UserKnownHostsFile ~/.ssh/kh_%r_%p_%n "/tmp/two words"',
        '    Ciphers aes256-ctr,aes128-gcm@openssh.com',
        '    BatchMode yes',
        '    NumberOfPasswordPrompts 1',
        '    RequestTTY no',
        '    SendEnv LANG LC_* PURESSH_*',
        'Host web9',
        '    ProxyCommand nc -X connect -x proxy:3128 %h %p # %r@%n',
        'Host db',
        '    ProxyJump jump',
        '    ProxyCommand ignored-after-ProxyJump %h',
        '    SendEnv -LC_ALL -PURESSH_X*',
      ].join('\n'),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const dest of [
    ['web1'],
    ['Web1'],
    ['web9'],
    ['db'],
    ['-p', '77', 'web2'],
    ['-l', 'x', 'db'],
    ['root@web1'],
    ['-o', 'Port=5', '-C', 'elsewhere'],
    ['-o', 'SendEnv=LC_ALL X', '-o', 'SetEnv=Z=9', 'web1'],
    ['-f', '-N', '-o', 'HostKeyAlias=alias', 'db'],
    ['-n', '-o', 'SessionType=none', 'web1'],
  ]) {
    it(`-G ${dest.join(' ')}: the same values as ssh -G`, async () => {
      const argv = ['-G', '-F', join(dir, 'config'), ...dest];
      const [ours, theirs] = await Promise.all([puressh(argv), openssh(argv)]);
      expect(theirs.code, theirs.stderr).to.equal(0);
      expect(ours.code, ours.stderr).to.equal(0);
      expect(picked(ours.stdout)).to.deep.equal(picked(theirs.stdout));
    });
  }

  it('a bad line stops both, naming the file and line', async () => {
    const bad = join(dir, 'bad');
    writeFileSync(bad, 'Host x\n  Port\n');
    const [ours, theirs] = await Promise.all([puressh(['-G', '-F', bad, 'x']), openssh(['-G', '-F', bad, 'x'])]);
    expect(theirs.code).to.equal(255);
    expect(ours.code).to.equal(255);
    expect(theirs.stderr).to.contain(`${bad} line 2: no argument after keyword "port"`);
    expect(ours.stderr).to.contain(`${bad} line 2: no argument after keyword "port"`);
  });

  describe('against sshd, with everything in the config file', () => {
    let sshd: Sshd;
    let agent: TestAgent;
    let cfg: string;
    let forwardPort: number;
    before(async () => {
      sshd = await startSshd({ hostKeyTypes: ['ed25519'], config: ['AcceptEnv LANG LC_* PURESSH_*'] });
      forwardPort = await freePort();
      // a ProxyCommand: logs its arguments, then relays stdin/stdout to host:port
      writeFileSync(
        join(dir, 'relay.cjs'),
        [
          'const [host, port] = process.argv.slice(2);',
          "require('fs').appendFileSync(process.env.RELAY_LOG, process.argv.slice(2).join(' ') + '\\n');",
          "const s = require('net').connect(Number(port), host);",
          'process.stdin.pipe(s);',
          's.pipe(process.stdout);',
        ].join('\n'),
      );
      // the host key under an alias only; a key the server does not know; the known one in an agent
      writeFileSync(join(dir, 'known_hosts_alias'), readFileSync(sshd.knownHostsPath, 'utf8').replace(/^\S+/gm, 'aliased-name'));
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'unauthorized_key')]);
      agent = await startAgent();
      await agent.sshAdd([sshd.userKeys.ed25519.privatePath]);
      cfg = join(dir, 'sshd-config');
      writeFileSync(
        cfg,
        [
          ...hostBlock('target target-fwd', sshd),
          'Host target-env',
          '  SendEnv PURESSH_* LC_*',
          '  SendEnv -LC_ALL -PURESSH_SKIP*',
          `  SetEnv PURESSH_SET="two words" LC_PURESSH=set`,
          ...hostBlock('target-env', sshd),
          'Host target-proxy',
          `  ProxyCommand ${process.execPath} ${join(dir, 'relay.cjs')} %h %p %r %n`,
          'Host target-proxy-fails',
          '  ProxyCommand exec false',
          ...hostBlock('target-proxy target-proxy-fails', sshd),
          'Host target-alias target-alias-other',
          `  UserKnownHostsFile ${join(dir, 'known_hosts_alias')}`,
          'Host target-alias',
          '  HostKeyAlias aliased-name',
          'Host target-alias-other',
          '  HostKeyAlias other-name',
          ...hostBlock('target-alias target-alias-other', sshd),
          'Host target-rc',
          '  RemoteCommand echo rc %n %r %k',
          ...hostBlock('target-rc', sshd),
          'Host target-agent',
          '  HostName 127.0.0.1',
          `  Port ${sshd.port}`,
          `  User ${sshd.user}`,
          `  IdentityFile ${join(dir, 'unauthorized_key')}`,
          `  IdentityAgent ${agent.socket}`,
          `  UserKnownHostsFile ${sshd.knownHostsPath}`,
          '  GlobalKnownHostsFile /dev/null',
          '  StrictHostKeyChecking yes',
          '  BatchMode yes',
          '  LogLevel ERROR',
          'Host target-fwd',
          `  LocalForward 127.0.0.1:${forwardPort} 127.0.0.1:${sshd.port}`,
          '  ExitOnForwardFailure yes',
        ].join('\n'),
      );
    });
    after(async () => {
      await agent?.stop();
      await sshd?.stop();
    });

    /** Both clients with the same arguments: their exit statuses, and stdout (the same in both). */
    async function both(argv: string[]): Promise<{ codes: (number | null)[]; stdout: string; stderr: string[] }> {
      const [ours, theirs] = await Promise.all([puressh(['-F', cfg, ...argv]), openssh(['-F', cfg, ...argv])]);
      expect(ours.stdout, `${ours.stderr} | ${theirs.stderr}`).to.equal(theirs.stdout);
      return { codes: [ours.code, theirs.code], stdout: ours.stdout, stderr: [ours.stderr, theirs.stderr] };
    }

    it('HostKeyAlias: the host key is looked up under the alias, as by ssh', async () => {
      expect((await both(['target-alias', 'echo ok'])).codes).to.deep.equal([0, 0]);
      const other = await both(['target-alias-other', 'echo ok']);
      expect(other.codes).to.deep.equal([255, 255]);
      for (const e of other.stderr) expect(e).to.contain('Host key verification failed.');
    });

    it('RemoteCommand: runs when no command is given (tokens expanded); with one, both refuse', async () => {
      const r = await both(['target-rc']);
      expect(r.codes).to.deep.equal([0, 0]);
      expect(r.stdout).to.equal(`rc target-rc ${sshd.user} target-rc\n`);
      const clash = await both(['target-rc', 'true']);
      expect(clash.codes).to.deep.equal([255, 255]);
      for (const e of clash.stderr) expect(e).to.contain('Cannot execute command-line and remote command.');
    });

    it("IdentitiesOnly: yes leaves the agent's keys unused (and fails here), no uses them, as ssh", async () => {
      const only = await both(['-o', 'IdentitiesOnly=yes', 'target-agent', 'echo ok']);
      expect(only.codes).to.deep.equal([255, 255]);
      const any = await both(['-o', 'IdentitiesOnly=no', 'target-agent', 'echo ok']);
      expect(any.codes).to.deep.equal([0, 0]);
      expect(any.stdout).to.equal('ok\n');
    });

    it('ClearAllForwardings: no forwarding is set up, as by ssh', async () => {
      // the config's LocalForward port is taken: with ExitOnForwardFailure, only clearing it lets the command run
      const taken = createServer();
      await new Promise<void>((r) => taken.listen(forwardPort, '127.0.0.1', r));
      try {
        const failed = await both(['target-fwd', 'echo ran']);
        expect(failed.codes).to.deep.equal([255, 255]);
        const cleared = await both(['-o', 'ClearAllForwardings=yes', 'target-fwd', 'echo ran']);
        expect(cleared.codes).to.deep.equal([0, 0]);
        expect(cleared.stdout).to.equal('ran\n');
      } finally {
        await new Promise<void>((r) => taken.close(() => r()));
      }
    });

    it('runs a command on the host the config names, as ssh does', async () => {
      const [ours, theirs] = await Promise.all([puressh(['-F', cfg, 'target', 'echo $((6*7)) $USER']), openssh(['-F', cfg, 'target', 'echo $((6*7)) $USER'])]);
      expect(theirs.code, theirs.stderr).to.equal(0);
      expect(ours.code, ours.stderr).to.equal(0);
      expect(ours.stdout).to.equal(`42 ${sshd.user}\n`);
      expect(ours.stdout).to.equal(theirs.stdout);
    });

    it('SendEnv and SetEnv: the server gets the same environment as from ssh', async () => {
      const local = { PURESSH_ONE: '1', PURESSH_TWO: 'two words', PURESSH_SKIPPED: 'no', LC_ALL: 'C', LC_PURESSH: 'from-env', LC_PURESSH2: 'x' };
      const cmd = 'env | grep -E "^(PURESSH|LC_)" | sort';
      const outputs: string[] = [];
      // `-LC_ALL` removes the pattern LC_ALL given before it, not the name (LC_* still sends it);
      // the first SetEnv line wins, so -o SetEnv replaces the config's.
      for (const argv of [['target-env'], ['-o', 'SendEnv=LC_ALL', 'target-env'], ['-o', 'SetEnv=PURESSH_ONE=cli', 'target-env']]) {
        const [ours, theirs] = await Promise.all([puressh(['-F', cfg, ...argv, cmd], local), openssh(['-F', cfg, ...argv, cmd], local)]);
        expect(theirs.code, theirs.stderr).to.equal(0);
        expect(ours.code, ours.stderr).to.equal(0);
        expect(ours.stdout).to.equal(theirs.stdout);
        outputs.push(ours.stdout);
      }
      const sent = 'LC_ALL=C\nLC_PURESSH2=x\nLC_PURESSH=set\nPURESSH_ONE=1\nPURESSH_SET=two words\nPURESSH_SKIPPED=no\nPURESSH_TWO=two words\n';
      expect(outputs).to.deep.equal([sent, sent, 'LC_ALL=C\nLC_PURESSH2=x\nLC_PURESSH=from-env\nPURESSH_ONE=cli\nPURESSH_SKIPPED=no\nPURESSH_TWO=two words\n']);
    });

    it('ProxyCommand: both clients connect through the command, with the same tokens expanded', async () => {
      const cmd = 'echo $((6*7))';
      const [ours, theirs] = await Promise.all([
        puressh(['-F', cfg, 'target-proxy', cmd], { RELAY_LOG: join(dir, 'relay-ours.log') }),
        openssh(['-F', cfg, 'target-proxy', cmd], { RELAY_LOG: join(dir, 'relay-theirs.log') }),
      ]);
      expect(theirs.code, theirs.stderr).to.equal(0);
      expect(ours.code, ours.stderr).to.equal(0);
      expect(ours.stdout).to.equal('42\n');
      expect(ours.stdout).to.equal(theirs.stdout);
      const logged = readFileSync(join(dir, 'relay-ours.log'), 'utf8');
      expect(logged).to.equal(`127.0.0.1 ${sshd.port} ${sshd.user} target-proxy\n`);
      expect(logged).to.equal(readFileSync(join(dir, 'relay-theirs.log'), 'utf8'));
    });

    it('ProxyCommand none is not run, ProxyJump none does not stop it; a failing one fails both with status 255', async () => {
      const log = join(dir, 'relay-none.log');
      for (const [argv, ran] of [
        [['-o', 'ProxyCommand=none', 'target-proxy'], false],
        [['-J', 'none', 'target-proxy'], true],
      ] as const) {
        rmSync(log, { force: true });
        const ours = await puressh(['-F', cfg, ...argv, 'true'], { RELAY_LOG: log });
        expect(existsSync(log)).to.equal(ran);
        rmSync(log, { force: true });
        const theirs = await openssh(['-F', cfg, ...argv, 'true'], { RELAY_LOG: log });
        expect(existsSync(log)).to.equal(ran);
        expect([ours.code, theirs.code], ours.stderr + theirs.stderr).to.deep.equal([0, 0]);
      }
      const [ours, theirs] = await Promise.all([puressh(['-F', cfg, 'target-proxy-fails', 'true']), openssh(['-F', cfg, 'target-proxy-fails', 'true'])]);
      expect([ours.code, theirs.code]).to.deep.equal([255, 255]);
    });

    describe('ProxyJump (-J and the keyword): both clients through the same jump hosts', () => {
      let closed: Sshd;
      let jcfg: string;
      before(async () => {
        // a second sshd that refuses every forwarding: going through it must fail
        closed = await startSshd({ hostKeyTypes: ['ed25519'], config: ['DisableForwarding yes'] });
        jcfg = join(dir, 'jump-config');
        writeFileSync(
          jcfg,
          [...hostBlock('viajump', sshd), '  ProxyJump jump', ...hostBlock('jump', sshd), ...hostBlock('target', sshd), ...hostBlock('closed', closed)].join(
            '\n',
          ),
        );
      });
      after(async () => {
        await closed?.stop();
      });

      for (const argv of [['-J', 'jump', 'target'], ['-J', 'jump,jump', 'target'], ['viajump'], ['-J', 'none', 'viajump']]) {
        it(`${argv.join(' ')}: the command runs, as with ssh`, async () => {
          const cmd = 'echo $((6*7))';
          const [ours, theirs] = await Promise.all([puressh(['-F', jcfg, ...argv, cmd]), openssh(['-F', jcfg, ...argv, cmd])]);
          expect(theirs.code, theirs.stderr).to.equal(0);
          expect(ours.code, ours.stderr).to.equal(0);
          expect(ours.stdout).to.equal('42\n');
          expect(ours.stdout).to.equal(theirs.stdout);
        });
      }

      it('through a jump host that refuses forwarding, both fail with status 255', async () => {
        const [ours, theirs] = await Promise.all([
          puressh(['-F', jcfg, '-J', 'closed', 'target', 'true']),
          openssh(['-F', jcfg, '-J', 'closed', 'target', 'true']),
        ]);
        expect(theirs.code).to.equal(255);
        expect(ours.code).to.equal(255);
        // (with LogLevel ERROR, ssh leaves out its "channel 0: open failed" line)
        expect(theirs.stderr).to.contain('stdio forwarding failed');
        expect(ours.stderr).to.contain('channel 0: open failed: administratively prohibited: open failed\nstdio forwarding failed\n');
      });
    });

    it('LocalForward from the config: the forwarded port reaches sshd', async () => {
      const session = puressh(['-F', cfg, 'target-fwd', 'sleep 5']);
      const banner = await new Promise<string>((resolve, reject) => {
        const deadline = Date.now() + 20_000;
        const attempt = (): void => {
          const sock = netConnect(forwardPort, '127.0.0.1');
          let got = '';
          sock.on('data', (b: Buffer) => {
            got += b.toString('latin1');
            if (got.includes('\n')) {
              sock.destroy();
              resolve(got.split('\n')[0]!.trim());
            }
          });
          sock.on('error', () => {
            sock.destroy();
            if (Date.now() > deadline) reject(new Error('the forwarded port never answered'));
            else setTimeout(attempt, 100);
          });
        };
        attempt();
      });
      expect(banner).to.match(/^SSH-2\.0-OpenSSH_/);
      const r = await session;
      expect(r.code, r.stderr).to.equal(0);
    });
  });
});
