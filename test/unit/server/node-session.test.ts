/**
 * Real processes started by the Node session runner: exact output, exit codes and signals,
 * a real pty (util-linux script) with its size, modes and resize, and, as root, the switch to
 * another user (the shared test account, given a temporary supplementary group).
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TERMINAL_MODE as M } from '../../../src/connection/pty.js';
import { createAgentSocket } from '../../../src/server/node-agent-socket.js';
import { lookupUser, shellRefusal, userGroups, type PasswdEntry } from '../../../src/server/node-passwd.js';
import { startSession, type NodeSession, type SessionPty, type SessionRequest } from '../../../src/server/node-session.js';
import { ensureTestUser } from '../../support/test-user.js';

const connection = { clientAddr: '127.0.0.1', clientPort: 50000, serverAddr: '127.0.0.1', serverPort: 2222 };

interface Ran {
  stdout: string;
  stderr: string;
  exit: Awaited<NodeSession['exit']>;
}

/** Collect a session's output until its streams end; feed `input` and end stdin. */
async function collect(s: NodeSession, input = ''): Promise<Ran> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const ended = [new Promise((r) => s.stdout.on('end', r))];
  s.stdout.on('data', (d: Buffer) => out.push(d));
  if (s.stderr) {
    s.stderr.on('data', (d: Buffer) => err.push(d));
    ended.push(new Promise((r) => s.stderr!.on('end', r)));
  }
  s.stdin.end(input);
  const exit = await s.exit;
  await Promise.all(ended);
  return { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), exit };
}

/** Wait until the session's output (so far) matches `re`. */
function outputMatching(s: NodeSession, re: RegExp): Promise<string> {
  let text = '';
  return new Promise((resolve) => {
    const on = (d: Buffer): void => {
      text += d.toString();
      if (re.test(text)) {
        s.stdout.off('data', on);
        resolve(text);
      }
    };
    s.stdout.on('data', on);
  });
}

const pty = (over: Partial<SessionPty> = {}): SessionPty => ({ term: 'xterm', cols: 100, rows: 30, widthPx: 800, heightPx: 600, modes: [], ...over });

describe('server/node-session: running session processes (Linux, root)', function () {
  this.timeout(60_000);
  let root: PasswdEntry;
  let home: string;
  before(async () => {
    if (process.getuid?.() !== 0) throw new Error('these tests run sessions as root and as the test account: run them as root');
    root = (await lookupUser('root'))!;
    // A home without rc files, so the shell's startup files add nothing to the output.
    home = mkdtempSync(join(tmpdir(), 'puressh-session-home-'));
  });
  after(() => rmSync(home, { recursive: true, force: true }));
  const req = (over: Partial<SessionRequest>): SessionRequest => ({
    user: { ...root, home },
    command: null,
    pty: null,
    connection,
    ...over,
  });

  it('looks users up through NSS and refuses what sshd refuses', async () => {
    expect(root).to.include({ name: 'root', uid: 0, gid: 0 });
    expect(await lookupUser('0')).to.equal(null);
    expect(await lookupUser('no-such-user-xyz')).to.equal(null);
    expect(await shellRefusal({ ...root, shell: '/nonexistent/shell' })).to.equal('User root not allowed because shell /nonexistent/shell does not exist');
    expect(await shellRefusal({ ...root, shell: '/etc/passwd' })).to.equal('User root not allowed because shell /etc/passwd is not executable');
    expect(await shellRefusal(root)).to.equal(null);
  });

  it('runs a command with separate stdout and stderr and its exact exit code', async () => {
    const r = await collect(await startSession(req({ command: 'echo out; echo err >&2; exit 3' })));
    expect(r).to.deep.equal({ stdout: 'out\n', stderr: 'err\n', exit: { status: 3 } });
  });

  it('passes stdin with end of file, runs the command as `shell -c` from the home directory', async () => {
    const r = await collect(await startSession(req({ command: 'cat; echo "$0 $PWD"' })), 'hello\n');
    expect(r.stdout).to.equal(`hello\nbash ${home}\n`);
    expect(r.exit).to.deep.equal({ status: 0 });
  });

  it('starts a login shell as -shell when there is no command', async () => {
    const r = await collect(await startSession(req({ user: { ...root, home, shell: '/bin/sh' } })), 'echo "$0"\nexit 7\n');
    expect(r.stdout.endsWith('-sh\n')).to.equal(true, r.stdout);
    expect(r.exit).to.deep.equal({ status: 7 });
  });

  it('runs a subsystem program line through the shell, as sshd does (sftp-server answers SSH_FXP_INIT)', async () => {
    const s = await startSession(req({ command: '/usr/lib/openssh/sftp-server' }));
    const out: Buffer[] = [];
    const ended = new Promise((r) => s.stdout.on('end', r));
    // SSH_FXP_INIT version 3 (draft-ietf-secsh-filexfer-02 §4); end of input, after the reply, ends the server.
    s.stdout.on('data', (d: Buffer) => {
      out.push(d);
      s.stdin.end();
    });
    s.stdin.write(Buffer.from([0, 0, 0, 5, 1, 0, 0, 0, 3]));
    expect(await s.exit).to.deep.equal({ status: 0 });
    await ended;
    const reply = Buffer.concat(out);
    expect(reply[4]).to.equal(2); // SSH_FXP_VERSION
    expect(reply.readUInt32BE(5)).to.equal(3);
  });

  it('runs an explicit program directly, not through the shell: argv[0] its basename, in the given directory', async () => {
    // a shell that cannot run anything: the program must not go through it (internal-sftp for nologin users)
    const user = { ...root, shell: '/usr/sbin/nologin' };
    const script = 'use Cwd; open(my $f, "<", "/proc/self/cmdline"); local $/; print join("|", split(/\\0/, <$f>, -1), getcwd()), "\\n"';
    // cmdline ends with a NUL: the empty argument and the end make two empty fields
    const program = { file: '/usr/bin/perl', args: ['-e', script, 'a b', ''] };
    const r = await collect(await startSession(req({ user, command: 'internal-sftp', program, directory: '/usr' })));
    expect(r).to.deep.equal({ stdout: `perl|-e|${script}|a b|||/usr\n`, stderr: '', exit: { status: 0 } });
  });

  it('says it cannot chdir to a missing home and starts in /', async () => {
    const r = await collect(await startSession(req({ user: { ...root, home: '/nonexistent-home' }, command: 'pwd' })));
    expect(r.stderr).to.equal('Could not chdir to home directory /nonexistent-home: No such file or directory\n');
    expect(r.stdout).to.equal('/\n');
  });

  it('reports death by signal as a signal, not as 128+N', async () => {
    const r = await collect(await startSession(req({ command: 'kill -USR1 $$' })));
    expect(r.exit).to.deep.equal({ signal: 'USR1', osSignal: 'USR1', coreDumped: false });
    const bus = await collect(await startSession(req({ command: 'kill -BUS $$' })));
    expect(bus.exit).to.include({ signal: 'SIG@openssh.com', osSignal: 'BUS' });
    const code = await collect(await startSession(req({ command: 'exit 138' })));
    expect(code.exit).to.deep.equal({ status: 138 });
  });

  it('delivers a signal to the session process group', async () => {
    const s = await startSession(req({ command: 'echo started; sleep 30 & sleep 31; echo not reached' }));
    await outputMatching(s, /started\n/);
    expect(s.signal('NOPE')).to.equal(false);
    expect(s.signal('TERM')).to.equal(true);
    const r = await collect(s);
    expect(r.exit).to.deep.equal({ signal: 'TERM', osSignal: 'TERM', coreDumped: false });
    // The background sleep of the same group got it too: nothing holds the output open.
    expect(r.stdout).to.equal('');
  });

  describe('output read into our own buffer (stdoutReadSize)', () => {
    const READ = 3 * 1000 + 7;
    it('delivers the exact bytes in reads of at most the buffer size; the buffer is reused while the sink is busy', async () => {
      // 3 MB of a known stream (the same bytes as a local sha256 over the same command's output).
      const command = 'head -c 3000000 /dev/urandom | tee out.bin';
      const s = await startSession(req({ command, stdoutReadSize: READ }));
      const got = createHash('sha256');
      let bytes = 0;
      let biggest = 0;
      let calls = 0;
      let seen: Uint8Array | null = null;
      s.stdin.end();
      await s.readStdout((chunk) => {
        calls++;
        if (seen) expect(chunk.buffer).to.equal(seen.buffer, 'one buffer, reused');
        seen = chunk;
        biggest = Math.max(biggest, chunk.length);
        bytes += chunk.length;
        // Every third read is held for a while: its bytes must still be there when it is released.
        if (calls % 3 !== 0) {
          got.update(chunk);
          return undefined;
        }
        const copy = Buffer.from(chunk);
        return new Promise<void>((resolve) =>
          setTimeout(() => {
            expect(Buffer.from(chunk).equals(copy)).to.equal(true, 'a held chunk was overwritten');
            got.update(chunk);
            resolve();
          }, 1),
        );
      });
      expect(await s.exit).to.deep.equal({ status: 0 });
      expect(bytes).to.equal(3_000_000);
      expect(biggest).to.be.at.most(READ);
      const expected = createHash('sha256')
        .update(readFileSync(join(home, 'out.bin')))
        .digest('hex');
      expect(got.digest('hex')).to.equal(expected);
    });

    it('a sink that fails stops the output: the process ends on a broken pipe', async () => {
      const s = await startSession(req({ command: 'yes', stdoutReadSize: READ }));
      s.stdin.end();
      let calls = 0;
      await s.readStdout(() => {
        calls++;
        return calls === 2 ? Promise.reject(new Error('channel gone')) : undefined;
      });
      // yes ends on the broken pipe: killed by SIGPIPE, or "write error" and status 1 where it is ignored
      const exit = await s.exit;
      expect('signal' in exit ? exit.signal : exit.status).to.be.oneOf(['PIPE', 1]);
      expect(calls).to.equal(2);
    });

    it('readStdout over the stream when there is a pty: same contract', async () => {
      const s = await startSession(req({ command: 'echo one; echo two', pty: pty(), stdoutReadSize: READ }));
      let text = '';
      s.stdin.end();
      await s.readStdout((chunk) => {
        text += Buffer.from(chunk).toString();
        return Promise.resolve();
      });
      expect(await s.exit).to.deep.equal({ status: 0 });
      expect(text).to.equal('one\r\ntwo\r\n');
    });
  });

  describe('with a pty', () => {
    it('gives a /dev/pts terminal with TERM, SSH_TTY and the requested size; merges stderr', async () => {
      const s = await startSession(req({ command: 'tty; echo "$TERM $SSH_TTY"; stty size; echo err >&2; exit 200', pty: pty() }));
      expect(s.stderr).to.equal(null);
      expect(s.tty).to.match(/^\/dev\/pts\/\d+$/);
      const r = await collect(s);
      expect(r.stdout).to.equal(`${s.tty}\r\nxterm ${s.tty}\r\n30 100\r\nerr\r\n`);
      expect(r.exit).to.deep.equal({ status: 200 });
    });

    it('applies the terminal modes (ECHO off, VINTR, ICRNL)', async () => {
      const s = await startSession(
        req({
          command: 'stty -a',
          pty: pty({
            modes: [
              [M.ECHO, 0],
              [M.VINTR, 7],
              [M.ICRNL, 0],
            ],
          }),
        }),
      );
      const r = await collect(s);
      expect(r.stdout).to.match(/(^|\s)intr = \^G;/);
      expect(r.stdout).to.match(/(^|\s)-echo(\s|$)/m);
      expect(r.stdout).to.match(/(^|\s)-icrnl(\s|$)/m);
    });

    it('resizes: the program sees the new size (and gets SIGWINCH)', async () => {
      const s = await startSession(req({ command: 'trap "echo winch" WINCH; stty size; read x; stty size', pty: pty({ modes: [[M.ECHO, 0]] }) }));
      await outputMatching(s, /30 100\r\n/);
      await s.resize(120, 40, 0, 0);
      const r = await collect(s, '\n');
      expect(r.stdout).to.equal('winch\r\n40 120\r\n');
      expect(r.exit).to.deep.equal({ status: 0 });
    });

    it('reports exit codes and signals exactly through the pty', async () => {
      expect((await collect(await startSession(req({ command: 'exit 143', pty: pty() })))).exit).to.deep.equal({ status: 143 });
      expect((await collect(await startSession(req({ command: 'kill -TERM $$', pty: pty() })))).exit).to.deep.equal({
        signal: 'TERM',
        osSignal: 'TERM',
        coreDumped: false,
      });
    });

    it('delivers a signal to the foreground process group; no helper output leaks', async () => {
      const s = await startSession(req({ command: 'echo ready; sleep 30; echo not reached', pty: pty() }));
      await outputMatching(s, /ready\r\n/);
      expect(s.signal('INT')).to.equal(true);
      const r = await collect(s);
      expect(r.exit).to.deep.equal({ signal: 'INT', osSignal: 'INT', coreDumped: false });
      expect(r.stdout).to.equal('');
    });
  });

  it('as root, runs the session as the user: uid, gid and supplementary groups as `id user` shows', async () => {
    const tu = ensureTestUser();
    const group = `pst-ns-${process.pid}`;
    execFileSync('groupadd', [group]);
    try {
      execFileSync('usermod', ['-aG', group, tu.name]);
      const user = (await lookupUser(tu.name))!;
      const groups = await userGroups(user);
      expect(groups.length).to.be.greaterThan(1);
      const r = await collect(await startSession({ user, command: 'id; echo "$HOME $USER $PWD"; tty', pty: null, connection }));
      expect(r.stdout).to.equal(`${execFileSync('id', [tu.name], { encoding: 'utf8' })}${user.home} ${tu.name} ${user.home}\nnot a tty\n`);
      const p = await startSession({ user, command: 'stat -c %U "$(tty)"', pty: pty(), connection });
      expect((await collect(p)).stdout).to.equal(`${tu.name}\r\n`);
    } finally {
      execFileSync('groupdel', [group]);
    }
  });

  it('agent socket: a 0700 directory and a socket owned by the user, connections handed over, removed at close', async () => {
    const tu = ensureTestUser();
    const user = (await lookupUser(tu.name))!;
    let got = '';
    let serverSide!: Promise<void>;
    const agent = await createAgentSocket(user, (sock) => {
      serverSide = new Promise((resolve) => sock.on('end', resolve));
      sock.on('data', (d: Buffer) => (got += d.toString())).end('pong');
    });
    const dir = join(agent.path, '..');
    expect(agent.path).to.match(new RegExp(`^/tmp/ssh-[^/]+/agent\\.${process.pid}$`));
    expect(statSync(dir).mode & 0o777).to.equal(0o700);
    expect(statSync(dir).uid).to.equal(user.uid);
    expect(statSync(agent.path).uid).to.equal(user.uid);
    // The user can connect (as the session would, through SSH_AUTH_SOCK).
    const r = await collect(
      await startSession({
        user,
        command: 'echo "$SSH_AUTH_SOCK"; test -S "$SSH_AUTH_SOCK" && test -w "$SSH_AUTH_SOCK" && echo usable',
        pty: null,
        connection,
        authSocketPath: agent.path,
      }),
    );
    expect(r.stdout).to.equal(`${agent.path}\nusable\n`);
    const reply = await new Promise<string>((resolve, reject) => {
      const c = connect(agent.path);
      let text = '';
      c.on('data', (d: Buffer) => (text += d.toString()));
      c.on('end', () => resolve(text));
      c.on('error', reject);
      c.end('ping');
    });
    expect(reply).to.equal('pong');
    await serverSide;
    expect(got).to.equal('ping');
    await agent.close();
    expect(() => statSync(dir)).to.throw(/ENOENT/);
  });
});
