/**
 * `puressh ssh` connection-layer flags against a real OpenSSH sshd, beside OpenSSH's ssh
 * where the output can be compared: -L, -R (with "Allocated port"), -D, -W, -N,
 * ExitOnForwardFailure, -t/-tt/-T, and an interactive session driven through tmux
 * (prompt, a command, its output, a resize seen by `stty size`, `exit`, and `~.`).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { opensshArgs, runOpenSsh } from '../support/ssh-client.js';
import { freePort, startSshd, type Sshd } from '../support/sshd.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const entry = join(root, 'test/support/puressh-cli.ts');
const cliArgv = (argv: string[]): string[] => ['--import', 'tsx', entry, 'ssh', ...argv];
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

interface Result {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

function pssh(argv: string[], input: Uint8Array | string = ''): Promise<Result> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, cliArgv(argv), { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (b: Buffer) => out.push(b));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
    p.stdin.on('error', () => {});
    p.stdin.end(input);
  });
}

/** Start a long-running `puressh ssh` (e.g. -N); stderr is collected. */
function background(argv: string[]): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, cliArgv(argv), { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { child, stderr: () => err, exited };
}

async function waitFor<T>(what: string, probe: () => T | null | Promise<T | null>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

function echoThrough(port: number, data: Uint8Array): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = netConnect(port, '127.0.0.1');
    const h = createHash('sha256');
    s.on('data', (b: Buffer) => h.update(b));
    s.on('end', () => resolve(h.digest('hex')));
    s.on('error', reject);
    s.end(data);
  });
}

describe('puressh ssh: forwarding and tty flags against OpenSSH sshd', function () {
  this.timeout(180_000);
  let sshd: Sshd;
  let echo: Server;
  let echoPort: number;
  const echoSockets = new Set<Socket>();
  before(async () => {
    sshd = await startSshd({ hostKeyTypes: ['ed25519'] });
    echo = createServer((s) => {
      echoSockets.add(s);
      s.on('close', () => echoSockets.delete(s));
      s.on('error', () => {});
      s.pipe(s);
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    echoPort = (echo.address() as { port: number }).port;
  });
  after(async () => {
    for (const s of echoSockets) s.destroy();
    await new Promise<void>((r) => echo.close(() => r()));
    await sshd?.stop();
  });

  it('-N -L: a local port forwarded to an echo server (4 MiB, sha256 identical)', async () => {
    const lp = await freePort();
    const bg = background(opensshArgs(sshd, null, { flags: ['-N', '-L', `${lp}:127.0.0.1:${echoPort}`] }));
    try {
      await waitFor('the -L listener', async () => ((await canConnect(lp)) ? true : null));
      const data = new Uint8Array(randomBytes(4 * 1024 * 1024));
      expect(await echoThrough(lp, data)).to.equal(sha256(data));
    } finally {
      bg.child.kill('SIGTERM');
      await bg.exited;
    }
  });

  it('-N -R 0: prints "Allocated port" like ssh, and the port forwards back', async () => {
    const bg = background(opensshArgs(sshd, null, { flags: ['-N', '-R', `0:127.0.0.1:${echoPort}`], options: ['LogLevel=INFO'] }));
    try {
      const port = await waitFor('Allocated port', () => {
        const m = /^Allocated port (\d+) for remote forward to 127\.0\.0\.1:(\d+)\r?\n/.exec(bg.stderr());
        return m ? [Number(m[1]), Number(m[2])] : null;
      });
      expect(port[1]).to.equal(echoPort);
      const data = new Uint8Array(randomBytes(1024 * 1024));
      expect(await echoThrough(port[0]!, data)).to.equal(sha256(data));
    } finally {
      bg.child.kill('SIGTERM');
      await bg.exited;
    }
    // OpenSSH prints the same line (it goes to stderr at LogLevel INFO).
    const theirs = spawn('ssh', opensshArgs(sshd, null, { flags: ['-N', '-R', `0:127.0.0.1:${echoPort}`], options: ['LogLevel=INFO'] }), {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    theirs.stderr.on('data', (b: Buffer) => (err += b.toString()));
    await waitFor('OpenSSH Allocated port', () => (/Allocated port \d+/.test(err) ? true : null));
    theirs.kill('SIGTERM');
    expect(err).to.match(/^Allocated port \d+ for remote forward to 127\.0\.0\.1:\d+\r?\n/);
  });

  it('-N -D: a SOCKS5 proxy', async () => {
    const dp = await freePort();
    const bg = background(opensshArgs(sshd, null, { flags: ['-N', '-D', `127.0.0.1:${dp}`] }));
    try {
      await waitFor('the -D listener', async () => ((await canConnect(dp)) ? true : null));
      const reply = await new Promise<Buffer>((resolve, reject) => {
        const s = netConnect(dp, '127.0.0.1');
        let buf = Buffer.alloc(0);
        s.on('data', (b: Buffer) => (buf = Buffer.concat([buf, b])));
        s.on('end', () => resolve(buf));
        s.on('error', reject);
        s.write(Buffer.from([5, 1, 0]));
        s.write(Buffer.from([5, 1, 0, 1, 127, 0, 0, 1, echoPort >> 8, echoPort & 0xff]));
        s.end('socks!');
      });
      expect([...reply.subarray(0, 4)]).to.deep.equal([5, 0, 5, 0]);
      expect(reply.subarray(12).toString()).to.equal('socks!');
    } finally {
      bg.child.kill('SIGTERM');
      await bg.exited;
    }
  });

  it('-W host:port: stdin and stdout are the forwarded connection', async () => {
    const data = randomBytes(1024 * 1024);
    const r = await pssh(opensshArgs(sshd, null, { flags: ['-W', `127.0.0.1:${echoPort}`] }), data);
    expect(r.code, r.stderr).to.equal(0);
    expect(sha256(r.stdout)).to.equal(sha256(data));
  });

  it('ExitOnForwardFailure: a remote port already taken ends the session like ssh', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    try {
      const argv = opensshArgs(sshd, 'echo should-not-run', {
        flags: ['-R', `127.0.0.1:${port}:127.0.0.1:${echoPort}`],
        options: ['ExitOnForwardFailure=yes'],
      });
      const [ours, theirs] = [
        await pssh(argv),
        await runOpenSsh(sshd, 'echo should-not-run', { flags: ['-R', `127.0.0.1:${port}:127.0.0.1:${echoPort}`], options: ['ExitOnForwardFailure=yes'] }),
      ];
      expect(ours.stderr).to.equal(theirs.stderr);
      expect(ours.stderr).to.equal(`Error: remote port forwarding failed for listen port ${port}\r\n`);
      expect([ours.code, ours.stdout.toString()]).to.deep.equal([theirs.code, theirs.stdout.toString()]);
      // Without it: a warning (at LogLevel INFO), and the command runs.
      const opts = { flags: ['-R', `127.0.0.1:${port}:127.0.0.1:${echoPort}`], options: ['LogLevel=INFO'] };
      const [warn, theirWarn] = [await pssh(opensshArgs(sshd, 'echo ran', opts)), await runOpenSsh(sshd, 'echo ran', opts)];
      expect(warn.stderr).to.equal(`Warning: remote port forwarding failed for listen port ${port}\r\n`);
      expect(warn.stderr).to.equal(theirWarn.stderr);
      expect([warn.code, warn.stdout.toString()]).to.deep.equal([0, 'ran\n']);
    } finally {
      taken.close();
    }
  });

  it('-t without a terminal warns like ssh; -tt forces a pty; -T none', async () => {
    const opts = { flags: ['-t'], options: ['LogLevel=INFO'] };
    const [ours, theirs] = [await pssh(opensshArgs(sshd, 'tty', opts)), await runOpenSsh(sshd, 'tty', opts)];
    expect(ours.stderr).to.equal(theirs.stderr);
    expect(ours.stderr).to.equal('Pseudo-terminal will not be allocated because stdin is not a terminal.\r\n');
    expect(ours.stdout.toString()).to.equal('not a tty\n');
    const tt = await pssh(opensshArgs(sshd, 'tty; stty size', { flags: ['-tt'] }));
    expect(tt.stdout.toString()).to.match(/^\/dev\/pts\/\d+\r\n\d+ \d+\r\n$/);
    expect(tt.code).to.equal(0);
    const T = await pssh(opensshArgs(sshd, 'tty', { flags: ['-T'] }));
    expect(T.stdout.toString()).to.equal('not a tty\n');
  });

  it('bad forwarding specifications are refused before connecting', async () => {
    const r = await pssh(opensshArgs(sshd, 'true', { flags: ['-L', '8080:nohostport'] }));
    expect(r.code).to.equal(255);
    expect(r.stderr).to.include("Bad local forwarding specification '8080:nohostport'");
  });

  describe('interactive session through tmux', () => {
    const socket = `puressh-test-${process.pid}`;
    const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
    const pane = (): string => tmux('capture-pane', '-p', '-t', 'main');
    after(() => {
      try {
        tmux('kill-server');
      } catch {
        /* not running */
      }
    });

    function startSession(extra: string[] = []): void {
      const argv = cliArgv(opensshArgs(sshd, null, { flags: extra }));
      const command = [process.execPath, ...argv].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
      // The wrapper shell prints the exit status (tmux's own pane_dead_status is not always set in time).
      tmux('new-session', '-d', '-s', 'main', '-x', '100', '-y', '30', `cd ${root} && ${command}; echo "PURESSH-EXIT:$?"; sleep 60`);
    }

    const exitStatus = (): string | null => /PURESSH-EXIT:(\d+)/.exec(pane())?.[1] ?? null;

    it('prompt, a command and its output, stty size before and after a resize, exit status', async () => {
      startSession();
      try {
        await waitFor('the login prompt', () => (/[#$]\s*$/m.test(pane()) ? true : null));
        tmux('send-keys', '-t', 'main', "PS1='PURESSH> '", 'Enter');
        await waitFor('the prompt', () => (/^PURESSH>\s*$/m.test(pane()) ? true : null));
        tmux('send-keys', '-t', 'main', 'echo "answer=$((6*7))"', 'Enter');
        await waitFor('the output', () => (/^answer=42$/m.test(pane()) ? true : null));
        tmux('send-keys', '-t', 'main', 'stty size', 'Enter');
        await waitFor('stty size 30 100', () => (/^30 100$/m.test(pane()) ? true : null));
        tmux('resize-window', '-t', 'main', '-x', '120', '-y', '40');
        await waitFor('the resize', () => (tmux('display-message', '-p', '-t', 'main', '#{pane_width}x#{pane_height}').trim() === '120x40' ? true : null));
        tmux('send-keys', '-t', 'main', 'clear; stty size', 'Enter');
        await waitFor('stty size 40 120', () => (/^40 120$/m.test(pane()) ? true : null));
        tmux('send-keys', '-t', 'main', 'exit 3', 'Enter');
        expect(await waitFor('the session to end', exitStatus)).to.equal('3');
      } finally {
        tmux('kill-session', '-t', 'main');
      }
    });

    it('~. disconnects (status 255)', async () => {
      startSession();
      try {
        await waitFor('the login prompt', () => (/[#$]\s*$/m.test(pane()) ? true : null));
        tmux('send-keys', '-t', 'main', "PS1='PURESSH> '", 'Enter');
        await waitFor('the prompt', () => (/^PURESSH>\s*$/m.test(pane()) ? true : null));
        tmux('send-keys', '-t', 'main', 'Enter');
        tmux('send-keys', '-t', 'main', '-l', '~.');
        expect(await waitFor('the session to end', exitStatus)).to.equal('255');
      } finally {
        tmux('kill-session', '-t', 'main');
      }
    });
  });
});
