/**
 * `-f` (ForkAfterAuthentication) beside OpenSSH's ssh against sshd, same command lines: the
 * foreground process exits 0 once authenticated and forwarding while the connection lives on
 * in the background (`-f -N -L` then the forward is used; `-f` with a command whose output
 * arrives after the foreground has gone); failures before that point exit 255 in the
 * foreground, as does `-f` with nothing to run.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { opensshArgs, SSH_PATH } from '../support/ssh-client.js';
import { freePort, startSshd, type Sshd } from '../support/sshd.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const entry = join(root, 'test/support/puressh-cli.ts');
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

interface Run {
  /** the foreground process's exit status */
  code: number | null;
  /** everything written to stdout, by the foreground and the background process */
  stdout: string;
  stderr: string;
  /** whether the foreground exited before stdout was closed (by the background process) */
  exitedFirst: boolean;
}

/** Run a client with stdout/stderr on pipes; resolves when the pipes close (the background process is done with them). */
function run(program: 'puressh' | 'ssh', argv: string[]): Promise<Run> {
  const [file, args] = program === 'puressh' ? [process.execPath, ['--import', 'tsx', entry, 'ssh', ...argv]] : [SSH_PATH, argv];
  return new Promise((resolve, reject) => {
    const p = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let code: number | null | undefined;
    let exitedFirst = false;
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    p.on('exit', (c) => (code = c));
    p.stdout.on('end', () => (exitedFirst = code !== undefined));
    p.on('error', reject);
    p.on('close', () => resolve({ code: code ?? null, stdout: out, stderr: err, exitedFirst }));
  });
}

/** Processes whose command line holds `marker` (the background clients of one test), by pid. */
function pidsWith(marker: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'latin1').split('\0').includes(marker)) pids.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return pids;
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

describe('puressh ssh -f beside OpenSSH ssh -f', function () {
  this.timeout(120_000);
  let sshd: Sshd;
  let echo: Server;
  let echoPort: number;
  const sockets = new Set<Socket>();
  before(async () => {
    sshd = await startSshd({ hostKeyTypes: ['ed25519'] });
    echo = createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
      s.pipe(s);
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    echoPort = (echo.address() as { port: number }).port;
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => echo.close(() => r()));
    await sshd?.stop();
  });

  for (const program of ['puressh', 'ssh'] as const) {
    it(`${program} -f -N -L: the foreground exits 0, the forward then works (4 MiB echoed intact)`, async () => {
      const lp = await freePort();
      const spec = `${lp}:127.0.0.1:${echoPort}`;
      const fg = spawn(
        program === 'puressh' ? process.execPath : SSH_PATH,
        [
          ...(program === 'puressh' ? ['--import', 'tsx', entry, 'ssh'] : []),
          ...opensshArgs(sshd, null, { flags: ['-f', '-N', '-L', spec], options: ['ExitOnForwardFailure=yes'] }),
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let err = '';
      fg.stderr.on('data', (b: Buffer) => (err += b.toString()));
      const code = await new Promise<number | null>((r) => fg.on('exit', r));
      try {
        expect(code, err).to.equal(0);
        // ExitOnForwardFailure: the listener is up before the foreground returns
        const data = new Uint8Array(randomBytes(4 * 1024 * 1024));
        expect(await echoThrough(lp, data)).to.equal(sha256(data));
        expect(pidsWith(spec)).to.have.length(1);
      } finally {
        for (const pid of pidsWith(spec)) process.kill(pid, 'SIGTERM');
      }
    });
  }

  it("-f with a command: the foreground exits 0 before the output ends, and the output is the same as ssh's", async () => {
    const cmd = 'echo first; sleep 1; echo $((6*7)) done';
    const [ours, theirs] = await Promise.all([
      run('puressh', opensshArgs(sshd, cmd, { flags: ['-f'] })),
      run('ssh', opensshArgs(sshd, cmd, { flags: ['-f'] })),
    ]);
    expect(theirs.code, theirs.stderr).to.equal(0);
    expect(ours.code, ours.stderr).to.equal(0);
    expect(ours.stdout).to.equal('first\n42 done\n');
    expect(ours.stdout).to.equal(theirs.stdout);
    expect(theirs.exitedFirst).to.equal(true);
    expect(ours.exitedFirst).to.equal(true);
  });

  it('-f with stdin: the command reads /dev/null (-f implies -n), as with ssh', async () => {
    const cmd = 'wc -c';
    const [ours, theirs] = await Promise.all([
      run('puressh', opensshArgs(sshd, cmd, { flags: ['-f'] })),
      run('ssh', opensshArgs(sshd, cmd, { flags: ['-f'] })),
    ]);
    expect([ours.code, theirs.code]).to.deep.equal([0, 0]);
    expect(ours.stdout.trim()).to.equal('0');
    expect(ours.stdout).to.equal(theirs.stdout);
  });

  it('-f with no command and no -N: both refuse with status 255 and the same line', async () => {
    const a = opensshArgs(sshd, null, { flags: ['-f'] });
    const [ours, theirs] = await Promise.all([run('puressh', a), run('ssh', a)]);
    expect([ours.code, theirs.code]).to.deep.equal([255, 255]);
    expect(theirs.stderr).to.equal('Cannot fork into background without a command to execute.\r\n');
    expect(ours.stderr).to.equal(theirs.stderr);
  });

  it('-f when authentication fails: the foreground prints the failure and exits 255, as ssh', async () => {
    const a = opensshArgs(sshd, 'true', { flags: ['-f'], user: 'nobody' });
    const [ours, theirs] = await Promise.all([run('puressh', a), run('ssh', a)]);
    expect([ours.code, theirs.code]).to.deep.equal([255, 255]);
    expect(ours.exitedFirst && theirs.exitedFirst).to.equal(false);
    expect(theirs.stderr).to.match(/^nobody@127\.0\.0\.1: Permission denied \(publickey[^)]*\)\.\r?\n$/);
    expect(ours.stderr.replace(/\r/g, '')).to.equal(theirs.stderr.replace(/\r/g, ''));
  });

  it('-f -L with ExitOnForwardFailure on a port in use: both exit 255 in the foreground', async () => {
    const busy = echoPort;
    const a = opensshArgs(sshd, null, { flags: ['-f', '-N', '-L', `127.0.0.1:${busy}:127.0.0.1:${echoPort}`], options: ['ExitOnForwardFailure=yes'] });
    const [ours, theirs] = await Promise.all([run('puressh', a), run('ssh', a)]);
    expect([ours.code, theirs.code], ours.stderr + theirs.stderr).to.deep.equal([255, 255]);
    for (const r of [ours, theirs])
      expect(r.stderr).to.contain(`bind [127.0.0.1]:${busy}: Address already in use\r\n`).and.contain('Could not request local forwarding.');
  });
});
