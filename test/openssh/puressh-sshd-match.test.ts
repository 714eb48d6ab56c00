/**
 * `Match` blocks applied per connection by `puressh sshd`, side by side with Debian's sshd run
 * with the same configuration: OpenSSH's ssh logs in as root (global settings) and as the test
 * account puressh-test (a `Match User` block), and from 127.0.0.2 (a `Match Address` block).
 * Banner, MaxAuthTries, PermitTTY, AllowTcpForwarding, MaxSessions, SetEnv and
 * PubkeyAuthentication are compared between the two servers; RekeyLimit in Match is applied
 * as OpenSSH 10.5 applies it (9.2 keeps the global limit). Needs root.
 */
import { hermeticSshOptions } from '../support/ssh-client.js';
import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPuresshSshd, type PuresshSshd } from '../support/puressh-sshd.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { ensureTestUser } from '../support/test-user.js';
import { runProgram } from '../support/run-program.js';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

const run = (cmd: string, args: string[], input: string | Buffer = ''): Promise<Result> =>
  runProgram(cmd, args, { input, install: 'apt-get install -y openssh-client' });

type Server = Pick<Sshd, 'port' | 'knownHostsPath'>;

/**
 * For a client of a ControlMaster: quiet, and when the master refuses a session, ssh's own
 * fallback connection fails at once (no lookup of the dummy host name).
 */
const NO_FALLBACK = ['-o', 'LogLevel=ERROR', '-o', 'ProxyCommand=false'];

describe('puressh sshd: Match blocks applied per connection (side by side with OpenSSH sshd)', function () {
  this.timeout(240_000);
  let dir = '';
  let key = '';
  let puressh: PuresshSshd;
  let openssh: Sshd;
  let echo: net.Server;
  let echoPort = 0;
  const TEST = 'puressh-test';

  /** ssh to `server` as `login` with our key; `extra` first (ssh keeps the first value). */
  const ssh = (server: Server, login: string, extra: string[], command: string[], input: string | Buffer = ''): Promise<Result> =>
    run('ssh', [...hermeticSshOptions(server, login, [key], extra), '127.0.0.1', ...command], input);

  /** The same question to both servers; ports in the answers are replaced by "PORT". */
  async function both(ask: (server: Server) => Promise<string>): Promise<{ puressh: string; openssh: string }> {
    const [p, o] = await Promise.all([ask(puressh), ask(openssh)]);
    return { puressh: p.replaceAll(String(puressh.port), 'PORT'), openssh: o.replaceAll(String(openssh.port), 'PORT') };
  }
  const same = (v: string): { puressh: string; openssh: string } => ({ puressh: v, openssh: v });

  before(async () => {
    ensureTestUser();
    dir = mkdtempSync(join(tmpdir(), 'puressh-match-'));
    chmodSync(dir, 0o755); // the test user reads its authorized keys here
    key = join(dir, 'id_match');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const pub = readFileSync(`${key}.pub`, 'utf8');
    for (const who of ['root', TEST]) writeFileSync(join(dir, `${who}.keys`), pub, { mode: 0o644 });
    writeFileSync(join(dir, 'banner-all'), 'banner for everyone\n');
    writeFileSync(join(dir, 'banner-test'), 'banner for puressh-test\n');
    for (let i = 0; i < 3; i++) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, `id_bad${i}`)]);
    echo = net.createServer({ allowHalfOpen: true }, (s) => {
      s.on('error', () => {});
      s.pipe(s);
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    echoPort = (echo.address() as net.AddressInfo).port;
    const config = [
      `AuthorizedKeysFile ${dir}/%u.keys`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      `Banner ${dir}/banner-all`,
      'MaxAuthTries 4',
      'MaxSessions 10',
      `Match User ${TEST}`,
      `  Banner ${dir}/banner-test`,
      '  MaxAuthTries 2',
      '  PermitTTY no',
      '  AllowTcpForwarding no',
      '  MaxSessions 1',
      '  SetEnv MATCHED=for-test-user',
      '  RekeyLimit 256K',
      'Match Address 127.0.0.2',
      '  PubkeyAuthentication no',
    ];
    [puressh, openssh] = await Promise.all([startPuresshSshd({ config }), startSshd({ config })]);
  });

  after(async () => {
    echo?.close();
    await puressh?.stop();
    await openssh?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("Banner: the Match block's for puressh-test, the global one for root", async () => {
    for (const [login, text] of [
      ['root', 'banner for everyone\n'],
      [TEST, 'banner for puressh-test\n'],
    ] as const) {
      const got = await both(async (s) => {
        const r = await ssh(s, login, ['-o', 'LogLevel=INFO'], ['echo in']);
        return `${r.code} ${r.stdout}${r.stderr}`;
      });
      expect(got).to.deep.equal(same(`0 in\n${text}`));
    }
  });

  it('MaxAuthTries: 3 wrong keys then the right one pass for root (4), puressh-test is cut off after 2', async () => {
    const keys = [0, 1, 2].flatMap((i) => ['-i', join(dir, `id_bad${i}`)]);
    const attempt = (login: string) =>
      both(async (s) => {
        const r = await ssh(s, login, keys, ['echo in']);
        return `${r.code} ${r.stdout}${r.stderr.replace(/\r/g, '')}`;
      });
    expect(await attempt('root')).to.deep.equal(same('0 in\n'));
    expect(await attempt(TEST)).to.deep.equal(same('255 Received disconnect from 127.0.0.1 port PORT:2: Too many authentication failures\n'));
  });

  it('PermitTTY no for puressh-test: the pty is refused; root gets one', async () => {
    const tty = (login: string) =>
      both(async (s) => {
        const r = await ssh(s, login, ['-tt'], ['tty']);
        return `${r.code} ${r.stdout.replace(/\/dev\/pts\/\d+/, '/dev/pts/N')}${r.stderr}`;
      });
    expect(await tty('root')).to.deep.equal(same('0 /dev/pts/N\r\n'));
    const refused = await tty(TEST);
    expect(refused.puressh).to.equal(refused.openssh);
    expect(refused.puressh).to.include('PTY allocation request failed on channel 0');
  });

  it("AllowTcpForwarding no for puressh-test: -W is refused; root's goes through", async () => {
    const forward = (login: string) =>
      both(async (s) => {
        const r = await ssh(s, login, ['-W', `127.0.0.1:${echoPort}`], [], 'ping\n');
        return `${r.code} ${r.stdout}${r.stderr.replace(/\r/g, '')}`;
      });
    expect(await forward('root')).to.deep.equal(same('0 ping\n'));
    expect(await forward(TEST)).to.deep.equal(same('255 stdio forwarding failed\n'));
  });

  it('MaxSessions 1 for puressh-test: a second session on the same connection is refused; root may open it', async () => {
    const sessions = (login: string) =>
      both(async (s) => {
        const sock = join(dir, `mux-${s.port}-${login}`);
        const master = spawn('ssh', ['-M', '-S', sock, '-N', ...hermeticSshOptions(s, login, [key]), '127.0.0.1'], { stdio: 'ignore' });
        try {
          // ready once the master answers a check on its socket (it may take a while under load)
          for (let i = 0; ; i++) {
            if (existsSync(sock) && (await run('ssh', ['-S', sock, '-O', 'check', 'x'])).code === 0) break;
            if (i >= 600 || master.exitCode !== null) throw new Error(`the ControlMaster for ${login} did not start`);
            await new Promise((r) => setTimeout(r, 50));
          }
          // the first session holds until its stdin ends; the second is opened while it is open
          const first = spawn('ssh', ['-S', sock, ...NO_FALLBACK, 'x', 'echo first; cat >/dev/null; echo first-done'], {
            stdio: ['pipe', 'pipe', 'pipe'],
          });
          let firstOut = '';
          const firstClosed = new Promise((r) => first.once('close', r));
          await new Promise<void>((resolve) => {
            first.stdout.on('data', (d: Buffer) => {
              firstOut += d.toString();
              if (firstOut.includes('first\n')) resolve();
            });
            void firstClosed.then(() => resolve());
          });
          const second = await run('ssh', ['-S', sock, ...NO_FALLBACK, 'x', 'echo second']);
          first.stdin.end();
          await firstClosed;
          // (ssh then falls back to a connection of its own, which ProxyCommand=false ends at once: only the refusal line is compared)
          return `${firstOut} | ${second.code} ${second.stdout}${second.stderr.split(/\r?\n/)[0]}`;
        } finally {
          // (a master that outlives SIGTERM under load is killed: the test must not hang on it)
          if (master.exitCode === null && master.signalCode === null) {
            const exited = new Promise((r) => master.once('exit', r));
            master.kill('SIGTERM');
            const kill = setTimeout(() => master.kill('SIGKILL'), 5000);
            await exited;
            clearTimeout(kill);
          }
        }
      });
    expect(await sessions('root')).to.deep.equal(same('first\nfirst-done\n | 0 second\n'));
    expect(await sessions(TEST)).to.deep.equal(
      same('first\nfirst-done\n | 255 mux_client_request_session: session request failed: Session open refused by peer'),
    );
  });

  it("SetEnv from the Match block reaches puressh-test's sessions only", async () => {
    for (const [login, value] of [
      ['root', ''],
      [TEST, 'for-test-user'],
    ] as const) {
      expect(await both(async (s) => (await ssh(s, login, [], ['echo "[$MATCHED]"'])).stdout)).to.deep.equal(same(`[${value}]\n`));
    }
  });

  it('PubkeyAuthentication no from 127.0.0.2 (Match Address): the key is not even tried', async () => {
    const got = await both(async (s) => {
      const r = await ssh(s, 'root', ['-b', '127.0.0.2'], ['echo in']);
      return `${r.code} ${r.stderr.replace(/\r/g, '')}`;
    });
    expect(got).to.deep.equal(same('255 root@127.0.0.1: Permission denied ().\n'));
    // from 127.0.0.1 the same key logs in
    expect(await both(async (s) => (await ssh(s, 'root', [], ['echo in'])).stdout)).to.deep.equal(same('in\n'));
  });

  it("RekeyLimit 256K in the Match block: puressh-test's connection rekeys as data flows, root's keeps the default", async () => {
    const data = randomBytes(8 * 1024 * 1024);
    const newkeys = async (login: string): Promise<{ rekeys: number; same: boolean }> => {
      const r = await run(
        'ssh',
        [
          '-v',
          '-p',
          String(puressh.port),
          '-o',
          'BatchMode=yes',
          '-o',
          `UserKnownHostsFile=${puressh.knownHostsPath}`,
          '-o',
          'IdentitiesOnly=yes',
          '-F',
          'none',
          '-i',
          key,
          '-l',
          login,
          '127.0.0.1',
          'sha256sum',
        ],
        data,
      );
      const rekeys = r.stderr.split('\n').filter((l) => l.includes('SSH2_MSG_NEWKEYS received')).length - 1;
      return { rekeys, same: r.code === 0 && r.stdout === `${createHash('sha256').update(data).digest('hex')}  -\n` };
    };
    const root = await newkeys('root');
    const test = await newkeys(TEST);
    expect(root).to.deep.equal({ rekeys: 0, same: true });
    expect(test.same).to.equal(true);
    // 8 MiB to the server at 256 KiB per key: the client can send a whole 2 MiB window before it
    // reads the server's KEXINIT, so there are fewer rekeys than 32, but several
    expect(test.rekeys).to.be.at.least(3);
  });
});
