/**
 * `LogLevel` in `Match` blocks, side by side with Debian's sshd run with the same configuration.
 * sshd changes its log level when it looks the user up for the first authentication request
 * (auth.c getpwnamallow), so a Match LogLevel governs the connection's lines from then on
 * (authentication, session, disconnection) but not the ones before, such as the VERBOSE
 * "Connection from" line. The global level is INFO; puressh-test's connections log at DEBUG,
 * those from 127.0.0.2 at DEBUG3, and puressh-test from 127.0.0.3 and an invalid user are QUIET.
 * The lines both servers print are compared; `sshd -T -C` prints the Match-resolved level.
 * Needs root.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { CliIo } from '../../src/cli/io.js';
import { runSshd } from '../../src/cli/sshd.js';
import { startPuresshSshd, type PuresshSshd } from '../support/puressh-sshd.js';
import { runProgram } from '../support/run-program.js';
import { hermeticSshOptions } from '../support/ssh-client.js';
import { logMatching, SSHD_PATH, startSshd, type Sshd } from '../support/sshd.js';
import { ensureTestUser } from '../support/test-user.js';

type Server = Pick<Sshd, 'port' | 'knownHostsPath' | 'configPath' | 'logs'>;

describe('puressh sshd: LogLevel in Match blocks (side by side with OpenSSH sshd)', function () {
  this.timeout(240_000);
  const TEST = 'puressh-test';
  /** no such accounts: one quiet by a Match block, one at the global level */
  const QUIET_INVALID = 'puressh-quiet-nouser';
  const LOUD_INVALID = 'puressh-loud-nouser';
  let dir = '';
  let key = '';
  let fp = '';
  let puressh: PuresshSshd;
  let openssh: Sshd;

  /** ssh as `login` from `bind` running `echo in`; the client's result is not what is compared. */
  const ssh = (s: Server, login: string, bind: string) =>
    runProgram('ssh', [...hermeticSshOptions(s, login, [key], ['-b', bind]), '127.0.0.1', 'echo in'], {
      input: '',
      install: 'apt-get install -y openssh-client',
    });

  /**
   * Run `act` against `s`, then the server's lines written since, once `done` matches them
   * (sshd logs the disconnection after the client has its answer).
   */
  async function linesOf(s: Server, act: () => Promise<unknown>, done: RegExp): Promise<string[]> {
    const before = s.logs().length;
    await act();
    const since = { logs: () => s.logs().slice(before) };
    return (await logMatching(since, done)).replace(/\r/g, '').split('\n');
  }

  /** The client port of the connection that authenticated `login` from `from`. */
  const clientPort = (lines: string[], login: string, from: string): string =>
    new RegExp(`^Accepted publickey for ${login} from ${from.replaceAll('.', '\\.')} port (\\d+) `).exec(
      lines.find((l) => l.startsWith(`Accepted publickey for ${login} `)) ?? '',
    )?.[1] ?? 'none';

  before(async () => {
    ensureTestUser();
    dir = mkdtempSync(join(tmpdir(), 'puressh-loglevel-'));
    chmodSync(dir, 0o755); // the test user reads its authorized keys here
    key = join(dir, 'id_loglevel');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const pub = readFileSync(`${key}.pub`, 'utf8');
    fp = execFileSync('ssh-keygen', ['-l', '-f', `${key}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
    for (const who of ['root', TEST]) writeFileSync(join(dir, `${who}.keys`), pub, { mode: 0o644 });
    const config = [
      `AuthorizedKeysFile ${dir}/%u.keys`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'LogLevel INFO',
      `Match User ${TEST} Address 127.0.0.3`,
      '  LogLevel QUIET',
      `Match User ${TEST}`,
      '  LogLevel DEBUG',
      `Match User ${QUIET_INVALID}`,
      '  LogLevel QUIET',
      'Match Address 127.0.0.2',
      '  LogLevel DEBUG3',
    ];
    [puressh, openssh] = await Promise.all([startPuresshSshd({ config }), startSshd({ config })]);
  });

  after(async () => {
    await puressh?.stop();
    await openssh?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** For each server: the `expected` lines it did not print, and the `unexpected` ones it did. */
  async function compare(
    login: string,
    from: string,
    expected: (port: string, s: Server) => string[],
    unexpected: (port: string, s: Server, lines: string[]) => string[],
  ): Promise<Record<'puressh' | 'openssh', { missing: string[]; extra: string[] }>> {
    const one = async (s: Server) => {
      const lines = await linesOf(
        s,
        () => ssh(s, login, from),
        new RegExp(`^Disconnected from user ${login} ${from.replaceAll('.', '\\.')} port \\d+\\r?$`, 'm'),
      );
      const port = clientPort(lines, login, from);
      return { missing: expected(port, s).filter((l) => !lines.includes(l)), extra: unexpected(port, s, lines) };
    };
    const [p, o] = await Promise.all([one(puressh), one(openssh)]);
    return { puressh: p, openssh: o };
  }
  const none = { missing: [], extra: [] };

  it('global INFO for root: the Accepted and Disconnected lines only, no VERBOSE or debug line', async () => {
    const got = await compare(
      'root',
      '127.0.0.1',
      (port) => [`Accepted publickey for root from 127.0.0.1 port ${port} ssh2: ED25519 ${fp}`, `Disconnected from user root 127.0.0.1 port ${port}`],
      (port, _s, lines) => lines.filter((l) => l.startsWith('debug') || l.startsWith('Starting session') || l.includes(`port ${port} on`)),
    );
    expect(got).to.deep.equal({ puressh: none, openssh: none });
  });

  it("Match User → DEBUG: puressh-test's key lookup, session and disconnection at DEBUG1, nothing before the user was known", async () => {
    const keys = `${dir}/${TEST}.keys`;
    const got = await compare(
      TEST,
      '127.0.0.1',
      (port) => [
        `debug1: trying public key file ${keys}`,
        `debug1: ${keys}:1: matching key found: ED25519 ${fp}`,
        `Accepted key ED25519 ${fp} found at ${keys}:1`,
        `Accepted publickey for ${TEST} from 127.0.0.1 port ${port} ssh2: ED25519 ${fp}`,
        `Starting session: command for ${TEST} from 127.0.0.1 port ${port} id 0`,
        `Disconnected from user ${TEST} 127.0.0.1 port ${port}`,
      ],
      // the VERBOSE "Connection from" line comes before the lookup: at the global INFO; DEBUG1 shows no debug2/3 lines
      (port, s, lines) => lines.filter((l) => l.startsWith(`Connection from 127.0.0.1 port ${port} on 127.0.0.1 port ${s.port} `) || /^debug[23]: /.test(l)),
    );
    expect(got).to.deep.equal({ puressh: none, openssh: none });
  });

  it('Match Address → DEBUG3: debug3 lines once the user is known, none from the key exchange before', async () => {
    const got = await compare(
      'root',
      '127.0.0.2',
      (port) => [
        `debug1: trying public key file ${dir}/root.keys`,
        `Accepted publickey for root from 127.0.0.2 port ${port} ssh2: ED25519 ${fp}`,
        `Starting session: command for root from 127.0.0.2 port ${port} id 0`,
        `Disconnected from user root 127.0.0.2 port ${port}`,
      ],
      (port, s, lines) => [
        ...lines.filter((l) => l.startsWith(`Connection from 127.0.0.2 port ${port} on 127.0.0.1 port ${s.port} `) || /KEXINIT/.test(l)),
        ...(lines.some((l) => l.startsWith('debug3: ')) ? [] : ['(no debug3 line)']),
      ],
    );
    expect(got).to.deep.equal({ puressh: none, openssh: none });
  });

  it('Match → QUIET: nothing at all for puressh-test from 127.0.0.3 nor for the quiet invalid user; the other invalid user is logged', async () => {
    const got = await Promise.all(
      [puressh, openssh].map(async (s) => {
        const lines = await linesOf(
          s,
          async () => {
            await ssh(s, TEST, '127.0.0.3');
            await ssh(s, QUIET_INVALID, '127.0.0.1');
            await ssh(s, LOUD_INVALID, '127.0.0.1');
          },
          new RegExp(`^Connection closed by invalid user ${LOUD_INVALID} 127\\.0\\.0\\.1 port \\d+ \\[preauth\\]\\r?$`, 'm'),
        );
        const port = new RegExp(`^Invalid user ${LOUD_INVALID} from 127\\.0\\.0\\.1 port (\\d+)$`, 'm').exec(lines.join('\n'))?.[1] ?? 'none';
        const expected = [
          `Invalid user ${LOUD_INVALID} from 127.0.0.1 port ${port}`,
          `Connection closed by invalid user ${LOUD_INVALID} 127.0.0.1 port ${port} [preauth]`,
        ];
        return {
          missing: expected.filter((l) => !lines.includes(l)),
          extra: lines.filter((l) => l.includes(TEST) || l.includes(QUIET_INVALID) || l.includes('127.0.0.3')),
        };
      }),
    );
    expect({ puressh: got[0], openssh: got[1] }).to.deep.equal({ puressh: none, openssh: none });
  });

  it('sshd -T -C prints the LogLevel the Match blocks give each connection', async () => {
    const loglevel = (out: string) => out.split('\n').find((l) => l.startsWith('loglevel ')) ?? `(none in: ${out})`;
    const ours = async (conn: string) => {
      const stdout = new PassThrough();
      let out = '';
      stdout.on('data', (b: Buffer) => (out += b.toString()));
      const io = {
        stdin: new PassThrough(),
        stdout,
        stderr: new PassThrough(),
        home: '/root',
        localUser: 'root',
        prompt: null,
        version: 'test',
      } as unknown as CliIo;
      await runSshd(['-T', '-f', puressh.configPath, '-C', conn], io);
      return loglevel(out);
    };
    const theirs = async (conn: string) =>
      loglevel((await runProgram(SSHD_PATH, ['-T', '-f', openssh.configPath, '-C', conn], { install: 'apt-get install -y openssh-server' })).stdout);
    for (const [conn, want] of [
      ['user=root,host=localhost,addr=127.0.0.1', 'loglevel INFO'],
      [`user=${TEST},host=localhost,addr=127.0.0.1`, 'loglevel DEBUG'],
      [`user=${TEST},host=localhost,addr=127.0.0.3`, 'loglevel SILENT'],
      [`user=${QUIET_INVALID},host=localhost,addr=127.0.0.1`, 'loglevel SILENT'],
      ['user=root,host=localhost,addr=127.0.0.2', 'loglevel DEBUG3'],
    ] as const) {
      expect({ conn, puressh: await ours(conn), openssh: await theirs(conn) }).to.deep.equal({ conn, puressh: want, openssh: want });
    }
  });
});
