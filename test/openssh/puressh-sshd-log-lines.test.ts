/**
 * The lines `puressh sshd` logs at INFO and VERBOSE for common events, side by side with
 * Debian's sshd (9.2) run with the same configuration at LogLevel VERBOSE: what operators grep
 * (fail2ban, audits) must read the same. Each event runs against both servers at once; the
 * lines each server wrote for it are compared in full, client ports, pty numbers and byte
 * counts normalised. Two VERBOSE lines only sshd can write are left out: "User child is on
 * pid" (its privilege-separated child) and syslogin_perform_logout's utmp complaint. Needs root.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, parsePrivateKey } from '../../src/node.js';
import { startPuresshSshd, type PuresshSshd } from '../support/puressh-sshd.js';
import { runProgram } from '../support/run-program.js';
import { hermeticSshOptions } from '../support/ssh-client.js';
import { logMatching, startSshd, type Sshd } from '../support/sshd.js';
import { ensureTestUser, TEST_USER } from '../support/test-user.js';

type Server = Pick<Sshd, 'port' | 'knownHostsPath' | 'logs'>;

/** Lines only OpenSSH's process layout produces (see the header). */
const OPENSSH_ONLY = [/^User child is on pid \d+$/, /^syslogin_perform_logout: /];

/** A server's lines with what differs between any two runs normalised. */
function normalise(text: string): string[] {
  return text
    .replace(/\r/g, '')
    .split('\n')
    .filter((l) => l !== '' && !OPENSSH_ONLY.some((re) => re.test(l)))
    .map((l) =>
      l
        .replace(/port \d+/g, 'port N')
        .replace(/pts\/\d+/g, 'pts/N')
        .replace(/^Transferred: sent \d+, received \d+ bytes$/, 'Transferred: sent X, received Y bytes'),
    );
}

describe('puressh sshd: INFO and VERBOSE log lines (side by side with OpenSSH sshd)', function () {
  this.timeout(240_000);
  let dir = '';
  let key = '';
  /** keys in nobody's authorized_keys */
  let stranger: string[] = [];
  let puressh: PuresshSshd;
  let openssh: Sshd;

  const ssh = (s: Server, login: string, keys: string[], extra: string[], command: string[], input = '') =>
    runProgram('ssh', [...hermeticSshOptions(s, login, keys, extra), '127.0.0.1', ...command], {
      input,
      install: 'apt-get install -y openssh-client',
    });

  /** A TCP client that sends `data` (or nothing) and closes. */
  const raw = (s: Server, data: string | null) =>
    new Promise<void>((resolve) => {
      const c = net.connect(s.port, '127.0.0.1', () => {
        if (data === null) c.end();
        else c.end(data);
      });
      c.on('data', () => {});
      c.on('error', () => resolve());
      c.on('close', () => resolve());
    });

  before(async () => {
    ensureTestUser();
    dir = mkdtempSync(join(tmpdir(), 'puressh-loglines-'));
    chmodSync(dir, 0o755); // the test user reads its authorized keys here
    key = join(dir, 'id_ok');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    stranger = ['a', 'b', 'c'].map((n) => {
      const path = join(dir, `id_${n}`);
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path]);
      return path;
    });
    const pub = readFileSync(`${key}.pub`, 'utf8');
    for (const who of ['root', TEST_USER]) writeFileSync(join(dir, `${who}.keys`), pub, { mode: 0o644 });
    const config = [
      `AuthorizedKeysFile ${dir}/%u.keys`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'LogLevel VERBOSE',
      'MaxAuthTries 2',
      'AllowTcpForwarding no',
      'DenyUsers nobody',
      `AllowUsers root ${TEST_USER} nobody puressh-no-such-user`,
      `Match User ${TEST_USER}`,
      '  AllowTcpForwarding yes',
      '  PermitOpen 127.0.0.1:10',
    ];
    [puressh, openssh] = await Promise.all([startPuresshSshd({ config }), startSshd({ config })]);
  });

  after(async () => {
    await puressh?.stop();
    await openssh?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * `act` against both servers at once; then each server's lines written since (normalised),
   * once they include `last`: the event's last line, written after the client is done.
   */
  async function expectLines(act: (s: Server) => Promise<unknown>, expected: string[]): Promise<void> {
    const last = expected[expected.length - 1]!;
    const one = async (s: Server) => {
      const before = s.logs().length;
      await act(s);
      const since = { logs: () => normalise(s.logs().slice(before)).join('\n') };
      return (await logMatching(since, new RegExp(`^${last.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'))).split('\n');
    };
    const [p, o] = await Promise.all([one(puressh), one(openssh)]);
    // sshd logs "Close session" when it frees the session's channel, unless the client's
    // DISCONNECT came in the same read as its CHANNEL_CLOSE: a race of sshd's own, left out here
    const unraced = (lines: string[]) => lines.filter((l, i) => !(l.startsWith('Close session: ') && lines[i + 1]?.startsWith('Received disconnect ')));
    expect({ puressh: unraced(p), openssh: unraced(o) }).to.deep.equal({ puressh: expected, openssh: expected });
  }

  const fp = (path: string) => execFileSync('ssh-keygen', ['-l', '-f', `${path}.pub`], { encoding: 'utf8' }).split(' ')[1]!;

  /** The event's lines after sshd's first, the same for every connection once normalised. */
  const expectLinesOf = (act: (s: Server) => Promise<unknown>, expected: string[]) =>
    expectLines(act, ['Connection from 127.0.0.1 port N on 127.0.0.1 port N rdomain ""', ...expected]);

  const accepted = (user: string) => {
    const k = `ED25519 ${fp(key)}`;
    return [
      `Accepted key ${k} found at ${dir}/${user}.keys:1`,
      `Postponed publickey for ${user} from 127.0.0.1 port N ssh2 [preauth]`,
      `Accepted key ${k} found at ${dir}/${user}.keys:1`,
      `Accepted publickey for ${user} from 127.0.0.1 port N ssh2: ${k}`,
    ];
  };

  it('accepted publickey, a command, the client disconnecting: Received disconnect …:11: disconnected by user, then Disconnected', async () => {
    await expectLinesOf(
      (s) => ssh(s, 'root', [key], [], ['true']),
      [
        ...accepted('root'),
        'Starting session: command for root from 127.0.0.1 port N id 0',
        'Received disconnect from 127.0.0.1 port N:11: disconnected by user',
        'Disconnected from user root 127.0.0.1 port N',
      ],
    );
  });

  it('a shell on a pty: Starting session: shell on pts/N', async () => {
    await expectLinesOf(
      (s) => ssh(s, 'root', [key], ['-tt'], [], 'exit\n'),
      [
        ...accepted('root'),
        'Starting session: shell on pts/N for root from 127.0.0.1 port N id 0',
        'Received disconnect from 127.0.0.1 port N:11: disconnected by user',
        'Disconnected from user root 127.0.0.1 port N',
      ],
    );
  });

  it('failed publickey for a valid user, the client closing before auth', async () => {
    await expectLinesOf(
      (s) => ssh(s, 'root', [stranger[0]!], [], ['true']),
      [
        `Failed publickey for root from 127.0.0.1 port N ssh2: ED25519 ${fp(stranger[0]!)}`,
        'Connection closed by authenticating user root 127.0.0.1 port N [preauth]',
      ],
    );
  });

  it('an invalid user: no Failed publickey line (sshd 9.2 stops in its unprivileged child)', async () => {
    await expectLinesOf(
      (s) => ssh(s, 'puressh-no-such-user', [key], [], ['true']),
      ['Invalid user puressh-no-such-user from 127.0.0.1 port N', 'Connection closed by invalid user puressh-no-such-user 127.0.0.1 port N [preauth]'],
    );
  });

  it('DenyUsers and AllowUsers refusals', async () => {
    await expectLinesOf(
      (s) => ssh(s, 'nobody', [key], [], ['true']),
      ['User nobody from 127.0.0.1 not allowed because listed in DenyUsers', 'Connection closed by invalid user nobody 127.0.0.1 port N [preauth]'],
    );
    await expectLinesOf(
      (s) => ssh(s, 'daemon', [key], [], ['true']),
      ['User daemon from 127.0.0.1 not allowed because not listed in AllowUsers', 'Connection closed by invalid user daemon 127.0.0.1 port N [preauth]'],
    );
  });

  it('MaxAuthTries exceeded', async () => {
    await expectLinesOf(
      (s) => ssh(s, 'root', stranger, [], ['true']),
      [
        `Failed publickey for root from 127.0.0.1 port N ssh2: ED25519 ${fp(stranger[0]!)}`,
        `Failed publickey for root from 127.0.0.1 port N ssh2: ED25519 ${fp(stranger[1]!)}`,
        'maximum authentication attempts exceeded for root from 127.0.0.1 port N ssh2 [preauth]',
        'Disconnecting authenticating user root 127.0.0.1 port N: Too many authentication failures [preauth]',
      ],
    );
  });

  it('a client that disconnects before authentication (SSH_MSG_DISCONNECT, reason 14)', async () => {
    const attempt = async (s: Server) => {
      const options = { host: '127.0.0.1', port: s.port, username: 'root', hostKeyVerifier: () => true };
      await connect({ ...options, privateKeys: [parsePrivateKey(readFileSync(stranger[0]!))] }).then(
        (c) => c.disconnect(),
        () => {},
      );
    };
    await expectLinesOf(attempt, [
      `Failed publickey for root from 127.0.0.1 port N ssh2: ED25519 ${fp(stranger[0]!)}`,
      'Received disconnect from 127.0.0.1 port N:14: Permission denied (publickey). [preauth]',
      'Disconnected from authenticating user root 127.0.0.1 port N [preauth]',
    ]);
  });

  it('a client that closes before its identification, after it, or sends something else', async () => {
    await expectLinesOf((s) => raw(s, null), ['kex_exchange_identification: Connection closed by remote host', 'Connection closed by 127.0.0.1 port N']);
    await expectLinesOf((s) => raw(s, 'SSH-2.0-probe\r\n'), ['Connection closed by 127.0.0.1 port N [preauth]']);
    await expectLinesOf(
      (s) => raw(s, 'GET / HTTP/1.0\r\n\r\n'),
      [
        'kex_exchange_identification: client sent invalid protocol identifier "GET / HTTP/1.0"',
        'banner exchange: Connection from 127.0.0.1 port N: invalid format',
      ],
    );
  });

  const closed = ['Connection closed by 127.0.0.1 port N', 'Transferred: sent X, received Y bytes', 'Closing connection to 127.0.0.1 port N'];

  it('forwarding refused: AllowTcpForwarding no (local and remote), PermitOpen', async () => {
    await expectLinesOf(
      (s) => ssh(s, 'root', [key], ['-W', '127.0.0.1:9'], []),
      [...accepted('root'), 'refused local port forward: originator 127.0.0.1 port N, target 127.0.0.1 port N', ...closed],
    );
    // a remote forward the configuration refuses: no line at INFO or VERBOSE, only a debug message to the client
    await expectLinesOf(
      (s) => ssh(s, 'root', [key], ['-N', '-o', 'ExitOnForwardFailure=yes', '-R', '127.0.0.1:0:127.0.0.1:9'], []),
      [...accepted('root'), ...closed],
    );
    await expectLinesOf(
      (s) => ssh(s, TEST_USER, [key], ['-W', '127.0.0.1:9'], []),
      [...accepted(TEST_USER), 'Received request from 127.0.0.1 port N to connect to host 127.0.0.1 port N, but the request was denied.', ...closed],
    );
  });
});
