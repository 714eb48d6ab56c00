/**
 * Running a session's process on this machine as OpenSSH's sshd does (session.c do_exec,
 * do_child, do_setup_env), without native code (Node only; Linux).
 *
 * The process chain, each step exec'ing the next unless noted:
 *   [setpriv --reuid --regid --groups, when the server is root]
 *   [script -qec … /dev/null, when a pty is requested: util-linux allocates the pty]
 *   perl waiter (node-session-waiter.ts): reports the tty, takes the spec on fd 3, changes to
 *     the home directory, forks (not execs) the session process and reports its wait status
 *   the user's shell: `-bash` as a login shell, or `bash -c command`
 *
 * Differences from sshd that remain (see also the waiter): without a pty the session's stdio
 * are Unix stream sockets (socketpairs as Node's spawn makes them; stdout, for a caller that
 * reads it into its own buffer, a pair connected through node-output-socket.ts), not pipes;
 * with a pty the session process leads a process group in the waiter's session rather than
 * its own session; EOF from the client is not passed to a pty (neither does sshd: a pty has
 * no EOF, only the VEOF character).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { PassThrough, Writable, type Readable } from 'node:stream';
import type { Socket } from 'node:net';
import { SshError } from '../errors.js';
import { loginShell, userGroups, type PasswdEntry } from './node-passwd.js';
import { setWindowSize, stty } from './node-pty-size.js';
import { encodeWaiterSpec, WAITER_PROGRAM, WaiterReader, type WaiterReport } from './node-session-waiter.js';
import { systemTool } from './node-tools.js';
import { outputSocket, type OutputSink, type OutputSocket } from './node-output-socket.js';
import { sessionEnvironment, type EnvList, type SessionConnection } from './session-env.js';
import { sttyArguments } from './stty-modes.js';

/** A pty-req (RFC 4254 §6.2) as the session needs it. */
export interface SessionPty {
  term: string;
  cols: number;
  rows: number;
  widthPx: number;
  heightPx: number;
  /** decoded terminal modes, [opcode, value] (RFC 4254 §8) */
  modes: ReadonlyArray<readonly [number, number]>;
}

/** What to run, for whom, and how. */
export interface SessionRequest {
  user: PasswdEntry;
  /**
   * The command, run as `shell -c command`; null runs a login shell. For a subsystem, the
   * configured program line (sshd runs `Subsystem sftp /usr/lib/openssh/sftp-server` this way);
   * for ForceCommand, the forced command (and `originalCommand` the client's).
   */
  command: string | null;
  /** the client's command replaced by ForceCommand: SSH_ORIGINAL_COMMAND */
  originalCommand?: string;
  /** variables the client sent that AcceptEnv allowed; sshd's own variables replace them */
  env?: EnvList;
  /** SetEnv from the configuration; replaces sshd's own variables except the SSH_* ones */
  setEnv?: EnvList;
  pty: SessionPty | null;
  connection: SessionConnection;
  /** the forwarded agent's socket path (SSH_AUTH_SOCK), from createAgentSocket */
  authSocketPath?: string;
  /**
   * A program run directly instead of through the user's shell (`command` then only names the
   * session in logs): how sshd runs internal-sftp, which works for users whose shell is
   * nologin. Its argv[0] is the file's last path component.
   */
  program?: { file: string; args: readonly string[] };
  /** the directory to start in instead of the home directory (a chroot's own directory) */
  directory?: string;
  /**
   * Without a pty: read the process's output into one buffer of this many bytes, reused read
   * after read, for {@link NodeSession.readStdout} (node-output-socket.ts): no allocation per
   * read, and reads in sizes the caller chose (whole SSH packets). Unset: Node's stream.
   */
  stdoutReadSize?: number;
}

/** How a session process ended: its exit code, or the signal that killed it. */
export type SessionExit =
  | { status: number }
  | {
      /** the RFC 4254 §6.10 name without "SIG" (e.g. "TERM"), or "SIG@openssh.com" for a signal outside that list, as sshd sends it */
      signal: string;
      /** the OS's name of the signal without "SIG" (e.g. "BUS"), for logs */
      osSignal: string;
      coreDumped: boolean;
    };

/** A running session process. */
export interface NodeSession {
  /** the session process's pid (the leader of the process group that signals go to) */
  readonly pid: number;
  /** the pty's path (/dev/pts/N), or null */
  readonly tty: string | null;
  /** the process's input; write() returns false when it should wait for 'drain'. With a pty, end() does not reach the terminal. */
  readonly stdin: Writable;
  /**
   * the process's output (with a pty, the terminal's output: stdout and stderr together); with
   * `stdoutReadSize` it carries no data events (use readStdout), only 'end', 'close', 'error'
   */
  readonly stdout: Readable;
  /**
   * Hand the process's output to `sink`, chunk by chunk, until it ends (then resolves). A chunk
   * stays valid until `sink` returns, or until the promise it returns settles; reading waits
   * for that promise, and a rejected one stops reading and closes the output (as a broken pipe
   * would). Use this or stdout's data events, not both.
   */
  readStdout(sink: OutputSink): Promise<void>;
  /** the process's error output; null with a pty */
  readonly stderr: Readable | null;
  /** resolves when the session process has ended; its output may still be arriving until stdout/stderr end */
  readonly exit: Promise<SessionExit>;
  /** change the pty's size (window-change); rejected without a pty */
  resize(cols: number, rows: number, widthPx: number, heightPx: number): Promise<void>;
  /** deliver a signal (RFC 4254 §6.9 name, without "SIG") to the session's process group; false if unknown or undeliverable */
  signal(name: string): boolean;
  /** hang up: SIGHUP to the session's process group (what closing the pty does) and stop passing data */
  close(): void;
}

/** RFC 4254 §6.10 signal names; exit-signal uses these, and "SIG@openssh.com" for the rest (sshd sig2name). */
const RFC_SIGNALS = new Set(['ABRT', 'ALRM', 'FPE', 'HUP', 'ILL', 'INT', 'KILL', 'PIPE', 'QUIT', 'SEGV', 'TERM', 'USR1', 'USR2']);

const SIGNAL_BY_NUMBER = new Map<number, string>(Object.entries(osConstants.signals).map(([name, n]) => [n, name.replace(/^SIG/, '')]));

/** Decode a raw wait status (waitpid) into a SessionExit. */
export function decodeWaitStatus(status: number): SessionExit {
  const sig = status & 0x7f;
  if (sig === 0) return { status: (status >> 8) & 0xff };
  const osSignal = SIGNAL_BY_NUMBER.get(sig) ?? String(sig);
  return { signal: RFC_SIGNALS.has(osSignal) ? osSignal : 'SIG@openssh.com', osSignal, coreDumped: (status & 0x80) !== 0 };
}

/** Quote a string as one POSIX shell word. */
function shellWord(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

/** What the server may do for this user: root serves anyone (dropping to them), others only themselves. */
function checkPrivilege(user: PasswdEntry): boolean {
  const uid = process.getuid?.();
  if (uid === undefined) throw new SshError('METHOD_NOT_SUPPORTED', 'running a session needs a POSIX system');
  if (uid === 0) return true;
  if (uid !== user.uid) {
    throw new SshError(
      'REQUEST_DENIED',
      `this server runs as uid ${uid}, not as root: it can start sessions only for that user, not for ${user.name} (uid ${user.uid})`,
    );
  }
  return false;
}

/** Bytes of a helper's own stderr kept to explain a failed start. */
const MAX_DIAGNOSTIC = 4096;

/**
 * Start the session's process. Resolves once it runs (with a pty: after the terminal got the
 * requested size and modes); rejects with an SshError when it cannot start.
 */
export async function startSession(req: SessionRequest): Promise<NodeSession> {
  const asRoot = checkPrivilege(req.user);
  const perl = systemTool('perl');
  const inner = req.pty ? [systemTool('script'), '-q', '-e', '-c', `exec ${perl} -e ${shellWord(WAITER_PROGRAM)}`, '/dev/null'] : [perl, '-e', WAITER_PROGRAM];
  let argv = inner;
  if (asRoot) {
    const groups = await userGroups(req.user);
    argv = [
      systemTool('setpriv'),
      `--reuid=${req.user.uid}`,
      `--regid=${req.user.gid}`,
      groups.length ? `--groups=${groups.join(',')}` : '--clear-groups',
      '--',
      ...inner,
    ];
  }
  // Our own output socket when asked for (no pty); Node's pipe if it cannot be made.
  let output: OutputSocket | null = null;
  if (!req.pty && req.stdoutReadSize) output = await outputSocket(req.stdoutReadSize).catch(() => null);
  // script runs its -c line with $SHELL; nothing else of the server's environment is passed on.
  let child: ChildProcess;
  try {
    child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['pipe', output ? output.writer : 'pipe', 'pipe', 'pipe'],
      detached: true,
      cwd: '/',
      env: req.pty ? { SHELL: '/bin/sh' } : {},
    });
  } finally {
    // The child has its own copy: ours would keep the output open after the child ends.
    output?.writer.destroy();
  }
  if (output && child.pid === undefined) output.reader.destroy();
  return new SessionStarter(child, req, output).start();
}

/** A Node stream's data to `sink` (readStdout's contract): paused while the sink is busy. */
export function readStream(from: Readable, sink: OutputSink): Promise<void> {
  return new Promise((resolve) => {
    const failed = (): void => {
      from.destroy();
      resolve();
    };
    const resume = (): void => void from.resume();
    from.on('data', (chunk: Buffer) => {
      const pending = sink(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      if (!pending) return;
      from.pause();
      pending.then(resume, failed);
    });
    from.once('end', () => resolve());
    from.once('close', () => resolve());
    from.once('error', () => resolve());
  });
}

class SessionStarter {
  private readonly control: Socket;
  private readonly reader = new WaiterReader();
  private readonly waiting: ((r: WaiterReport | null) => void)[] = [];
  private readonly reports: (WaiterReport | null)[] = [];
  private diagnostic = '';
  private resolveExit!: (e: SessionExit) => void;
  private readonly exit = new Promise<SessionExit>((resolve) => (this.resolveExit = resolve));
  private pid = 0;
  private exited = false;
  private childClosed = false;

  constructor(
    private readonly child: ChildProcess,
    private readonly req: SessionRequest,
    private readonly output: OutputSocket | null,
  ) {
    this.control = child.stdio[3] as Socket;
    this.control.on('data', (d: Buffer) => {
      for (const r of this.reader.push(d)) this.report(r);
    });
    this.control.on('error', () => undefined);
    this.control.on('close', () => this.report(null));
    child.stdin!.on('error', () => undefined);
    child.on('error', (e) => {
      this.diagnostic += `${e.message}\n`;
      this.report(null);
    });
    child.on('exit', (code, signal) => {
      this.childClosed = true;
      // The waiter's report may still be unread on fd 3 (its 'exit' can come first): decide
      // once fd 3 has closed. Without a report, the helper's own end is all there is.
      const fallback = (): void => {
        if (!this.exited && this.pid) {
          this.exited = true;
          this.resolveExit(signal ? decodeWaitStatus(osConstants.signals[signal]) : { status: code ?? 255 });
        }
      };
      if (this.control.destroyed) fallback();
      else this.control.once('close', fallback);
    });
  }

  private report(r: WaiterReport | null): void {
    // An exit report can arrive in the same chunk as the pid report, before start() took the pid.
    if (r?.kind === 'exit') {
      if (!this.exited) {
        this.exited = true;
        this.resolveExit(decodeWaitStatus(r.status));
      }
      return;
    }
    const w = this.waiting.shift();
    if (w) w(r);
    else this.reports.push(r);
  }

  private next(): Promise<WaiterReport | null> {
    if (this.reports.length) return Promise.resolve(this.reports.shift()!);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private async fail(what: string): Promise<never> {
    this.kill();
    this.output?.reader.destroy();
    // Let the helper's stderr (setpriv's or script's complaint) arrive before quoting it.
    if (!this.childClosed) await new Promise((r) => this.child.once('close', r));
    const why = this.diagnostic.trim();
    throw new SshError('CHANNEL_FAILURE', `cannot start the session for ${this.req.user.name}: ${what}${why ? `: ${why}` : ''}`);
  }

  private kill(): void {
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }

  async start(): Promise<NodeSession> {
    const { req, child } = this;
    const stderr = child.stderr!;
    // Before the session runs, stderr is the helpers' (or the waiter's chdir message, which is the session's).
    const early: Buffer[] = [];
    const collect = (d: Buffer): void => {
      early.push(d);
      if (this.diagnostic.length < MAX_DIAGNOSTIC) this.diagnostic += d.toString('utf8');
    };
    stderr.on('data', collect);

    const first = await this.next();
    if (first?.kind !== 'tty') return this.fail('the session helper did not start');
    const tty = req.pty ? first.path : null;
    if (req.pty && !tty) return this.fail('no pty was allocated');
    if (req.pty && tty) {
      try {
        await setWindowSize(tty, req.pty.cols, req.pty.rows, req.pty.widthPx, req.pty.heightPx);
        await stty(tty, sttyArguments(req.pty.modes));
      } catch (e) {
        this.diagnostic += `${(e as Error).message}\n`;
        return this.fail('the pty could not be set up');
      }
    }
    const shell = loginShell(req.user);
    const shell0 = basename(shell);
    const env = sessionEnvironment({
      user: req.user,
      shell,
      clientEnv: req.env,
      setEnv: req.setEnv,
      term: req.pty?.term ?? null,
      tty,
      connection: req.connection,
      authSocketPath: req.authSocketPath,
      originalCommand: req.originalCommand,
      tz: process.env.TZ,
    });
    let spec: Buffer;
    try {
      const program = req.program;
      spec = encodeWaiterSpec({
        home: req.directory ?? req.user.home,
        ...(program
          ? { file: program.file, argv0: basename(program.file), args: program.args }
          : {
              file: shell,
              // sshd: a login shell is named "-" + the shell's last path component.
              argv0: req.command === null ? `-${shell0}` : shell0,
              args: req.command === null ? [] : ['-c', req.command],
            }),
        env,
      });
    } catch (e) {
      this.diagnostic += `${(e as Error).message}\n`;
      return this.fail('invalid command');
    }
    this.control.write(spec);
    const started = await this.next();
    if (started?.kind !== 'pid') return this.fail('the session process did not start');
    this.pid = started.pid;
    if (this.childClosed && !this.exited && this.control.destroyed) {
      // The helper ended between reports (killed): nothing more will come.
      this.exited = true;
      this.resolveExit({ signal: 'KILL', osSignal: 'KILL', coreDumped: false });
    }
    stderr.off('data', collect);
    let sessionStderr: Readable | null = null;
    if (req.pty) {
      stderr.resume(); // script's own messages never reach the client
    } else {
      const pass = new PassThrough();
      for (const chunk of early) pass.write(chunk);
      sessionStderr = stderr.pipe(pass);
    }
    return this.session(tty, sessionStderr);
  }

  private session(tty: string | null, stderr: Readable | null): NodeSession {
    const { child } = this;
    const pid = this.pid;
    const withPty = tty !== null;
    let resizing: Promise<void> = Promise.resolve();
    let closed = false;
    const deliver = (signal: NodeJS.Signals): boolean => {
      if (this.exited) return false;
      try {
        process.kill(-pid, signal);
        return true;
      } catch {
        return false;
      }
    };
    const output = this.output;
    const stdout = output ? output.reader : child.stdout!;
    return {
      pid,
      tty,
      stdin: forwardingWritable(child.stdin!, !withPty),
      stdout,
      readStdout: (sink) => (output ? output.read(sink) : readStream(stdout, sink)),
      stderr,
      exit: this.exit,
      resize: (cols, rows, widthPx, heightPx) => {
        if (!tty) return Promise.reject(new SshError('CHANNEL_REQUEST_DENIED', 'window-change without a pty'));
        // One at a time, so the last request is the size that stays.
        resizing = resizing.catch(() => undefined).then(() => setWindowSize(tty, cols, rows, widthPx, heightPx));
        return resizing;
      },
      signal: (name) => {
        if (!RFC_SIGNALS.has(name)) return false;
        return deliver(`SIG${name}` as NodeJS.Signals);
      },
      close: () => {
        if (closed) return;
        closed = true;
        if (withPty) deliver('SIGHUP');
        child.stdin!.destroy();
        stdout.destroy();
        child.stderr!.destroy();
      },
    };
  }
}

/**
 * A Writable that forwards to the child's stdin with its backpressure; errors after the child
 * has gone (EPIPE) are dropped, as data written to a finished process is. `propagateEnd` off
 * keeps the child's input open at end() (a pty).
 */
function forwardingWritable(target: Writable, propagateEnd: boolean): Writable {
  return new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _enc, cb) {
      if (target.destroyed || target.writableEnded) return cb();
      if (target.write(chunk)) return cb();
      const done = (): void => {
        target.off('drain', done);
        target.off('close', done);
        cb();
      };
      target.on('drain', done);
      target.on('close', done);
    },
    final(cb) {
      if (propagateEnd && !target.destroyed) target.end();
      cb();
    },
  });
}
