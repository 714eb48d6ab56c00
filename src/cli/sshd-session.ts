/**
 * `puressh sshd`'s session channels (OpenSSH session.c): pty-req, env (AcceptEnv), exec, shell
 * and subsystem run through the Node session runner as the logged-in user, ForceCommand and
 * authorized_keys command= (SSH_ORIGINAL_COMMAND), SetEnv, PermitUserEnvironment
 * (~/.ssh/environment), PrintMotd, agent forwarding (a socket per session), window-change,
 * signal, and the process's exit status or signal reported back.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { pipeChannel } from '../connection/node-forward.js';
import type { ServerConnection } from '../server/connection.js';
import { createAgentSocket, type AgentSocket } from '../server/node-agent-socket.js';
import type { PasswdEntry } from '../server/node-passwd.js';
import { readStream, startSession, type NodeSession, type SessionPty } from '../server/node-session.js';
import type { OutputSink } from '../server/node-output-socket.js';
import type { ServerSession, SessionHandler } from '../server/session.js';
import type { ConnectionContext } from './sshd-auth.js';
import type { SshdLog } from './sshd-log.js';
import { idsOf, readAsUser } from './sshd-as-user.js';
import { CHROOT_OPTION } from './sftp-server.js';
import { connectionChroot, internalSftpArgs, isInternalSftp, sftpServerProgram } from './sshd-internal-sftp.js';
import { matchPatternList } from './sshd-match.js';

/**
 * The seam for `Subsystem sftp internal-sftp`: serve SFTP in-process on the session for the
 * account, resolving when the session is over. Without one, internal-sftp is refused.
 */
export type InternalSftp = (session: ServerSession, account: PasswdEntry) => Promise<void>;

export interface SessionContext {
  ctx: ConnectionContext;
  conn: ServerConnection;
  internalSftp?: InternalSftp | undefined;
}

/** "NAME=value" entries as pairs (SetEnv, environment=). */
function envPairs(entries: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (const e of entries) {
    const eq = e.indexOf('=');
    if (eq > 0) out.push([e.slice(0, eq), e.slice(eq + 1)]);
  }
  return out;
}

/**
 * ~/.ssh/environment (read_environment_file): NAME=value lines, # comments. Read under the
 * user's ids (sshd reads it in the session's child, already the user), so it can name only
 * what the user could read anyway; a regular file of at most 1 MiB.
 */
async function userEnvironmentFile(account: PasswdEntry, log: SshdLog): Promise<[string, string][]> {
  const path = `${account.home.replace(/\/$/, '')}/.ssh/environment`;
  const ids = await idsOf(account);
  const text = readAsUser(ids, () => {
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch {
      return null;
    }
    try {
      const st = fstatSync(fd);
      return st.isFile() && st.size <= 1 << 20 ? readFileSync(fd, 'utf8') : null;
    } finally {
      closeSync(fd);
    }
  });
  if (text === null) return [];
  const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  const pairs = envPairs(lines.map((l) => l.replace(/\r$/, '').trimStart()));
  if (pairs.length < lines.length) log.debug(`Bad line in ${path}`);
  return pairs;
}

/**
 * A sink (NodeSession.readStdout) that copies a process's output into the channel at the
 * channel's pace: it waits only while the channel holds data back. A failed write stops the
 * output at the next chunk, as a broken pipe would.
 */
function channelSink(session: ServerSession, write: (b: Uint8Array) => Promise<void>): OutputSink {
  let failure: Error | null = null;
  return (chunk) => {
    if (failure) return Promise.reject(failure);
    const written = write(chunk);
    if (session.pendingWrites > 0) return written;
    written.catch((e: unknown) => {
      failure = e instanceof Error ? e : new Error(String(e));
    });
    return undefined;
  };
}

/** Reads of a session's output: whole packets of the channel, as many as fit in 128 KiB (at least one). */
const OUTPUT_READ_BYTES = 128 * 1024;

function outputReadSize(session: ServerSession): number {
  const packet = session.maxDataPerPacket;
  return packet * Math.max(1, Math.floor(OUTPUT_READ_BYTES / packet));
}

/** The handler of one session channel. */
export function sshdSessionHandler(sc: SessionContext): SessionHandler {
  const { ctx, conn } = sc;
  // the connection's log, at its Match LogLevel (the session runs after the user is known)
  const log = ctx.log;
  const settings = ctx.settings;
  const account = ctx.account!;
  const clientEnv: [string, string][] = [];
  let pty: SessionPty | null = null;
  let agent: AgentSocket | null = null;
  /** an auth-agent-req still being set up: requests are decided concurrently, exec must see its socket */
  let agentPending: Promise<unknown> = Promise.resolve();
  let proc: NodeSession | null = null;
  const from = `from ${ctx.remoteAddress} port ${ctx.remotePort}`;

  const cleanup = (): void => {
    proc?.close();
    void agent?.close().catch(() => {});
  };

  const run = async (session: ServerSession, kind: 'command' | 'shell' | 'subsystem', requested: string | null, subsystem?: string): Promise<boolean> => {
    void session.closed.then(cleanup);
    await agentPending;
    let program: { file: string; args: string[] } | undefined;
    let directory: string | undefined;
    let command = requested;
    let originalCommand: string | undefined;
    // session.c do_exec's session_type
    let what = kind === 'subsystem' ? `subsystem '${subsystem ?? ''}'` : kind;
    const forced = settings.forceCommand ?? conn.user.permissions.forceCommand ?? null;
    if (forced !== null) {
      // session.c do_exec: ForceCommand (config) wins over command= (key options).
      if (requested !== null) originalCommand = requested;
      what = `forced-command (${settings.forceCommand !== null ? 'config' : 'key-option'}) '${forced}'`;
      command = forced;
    }
    // session.c do_exec: a forced internal-sftp serves every configured subsystem, and answers other sessions with an error.
    const internal = command !== null && isInternalSftp(command) && (kind === 'subsystem' || forced !== null);
    const sftpOnly = internal && kind !== 'subsystem';
    let chroot: string | null;
    try {
      // set once authenticated; checked here too should a session come first (never unconfined)
      chroot = await (ctx.chroot ?? connectionChroot(settings.chrootDirectory, account));
    } catch {
      return false; // logged, and the connection dropped, where it was checked
    }
    if (chroot !== null && !internal && !sftpOnly) {
      // Refused rather than run outside it: a session outside the chroot would grant more than configured.
      log.error(
        `session: ChrootDirectory "${chroot}" applies to ${account.name}: puressh sshd serves only internal-sftp inside a chroot; refusing the ${what} session`,
      );
      return false;
    }
    if (sftpOnly) {
      log.error(`Connection from ${ctx.remoteAddress} port ${ctx.remotePort}: refusing non-sftp session`);
      void (async () => {
        await session.write(new TextEncoder().encode('This service allows sftp connections only.\n'));
        await session.sendExitStatus(1);
      })().catch(() => {});
      return true;
    }
    if (internal) {
      const args = internalSftpArgs(command!);
      if (sc.internalSftp && chroot === null && args.length === 0 && process.getuid?.() === account.uid) {
        // The server's own user with nothing to set up: served in this process.
        log.verbose(`Starting session: ${what} for ${account.name} ${from} id ${session.localId}`);
        const serveHere = sc.internalSftp;
        void serveHere(session, account).then(
          () => session.sendExitStatus(0).catch(() => {}),
          (e: unknown) => {
            log.error(`internal-sftp: ${(e as Error).message}`);
            return session.sendExitStatus(1).catch(() => {});
          },
        );
        return true;
      }
      program = sftpServerProgram([...(chroot !== null ? [CHROOT_OPTION, chroot] : []), ...args]);
      directory = chroot ?? undefined;
    }
    const setEnv = [
      ...Object.entries(conn.user.permissions.environment ?? {}),
      ...(settings.permitUserEnvironment !== false ? await userEnvironmentFile(account, log) : []),
      ...envPairs(settings.setEnv),
    ];
    try {
      proc = await startSession({
        user: account,
        command,
        ...(originalCommand !== undefined ? { originalCommand } : {}),
        env: clientEnv,
        setEnv,
        pty,
        connection: { clientAddr: ctx.remoteAddress, clientPort: ctx.remotePort, serverAddr: ctx.localAddress, serverPort: ctx.localPort },
        ...(agent ? { authSocketPath: agent.path } : {}),
        ...(program ? { program } : {}),
        ...(directory !== undefined ? { directory } : {}),
        stdoutReadSize: outputReadSize(session),
      });
    } catch (e) {
      log.error(`session: ${(e as Error).message}`);
      return false;
    }
    const p = proc;
    const ttyName = p.tty ? ` on ${p.tty.replace(/^\/dev\//, '')}` : '';
    log.verbose(`Starting session: ${what}${ttyName} for ${account.name} ${from} id ${session.localId}`);
    // session.c do_login: the motd goes to login shells on a pty
    void serve(session, p, kind === 'shell' && p.tty !== null && settings.printMotd);
    return true;
  };

  const serve = async (session: ServerSession, p: NodeSession, motd: boolean): Promise<void> => {
    if (motd) {
      const text = await readFile('/etc/motd').catch(() => null);
      if (text?.length) await session.write(text).catch(() => {});
    }
    // The client's input to the process, then EOF (a pty has no EOF: sshd does not pass it either).
    void (async () => {
      for (;;) {
        const chunk = await session.read().catch(() => null);
        if (chunk === null) break;
        if (!p.stdin.write(chunk)) await new Promise((r) => p.stdin.once('drain', r));
      }
      p.stdin.end();
    })();
    const outputs = [p.readStdout(channelSink(session, (b) => session.write(b)))];
    if (p.stderr)
      outputs.push(
        readStream(
          p.stderr,
          channelSink(session, (b) => session.writeStderr(b)),
        ),
      );
    const exit = await p.exit;
    await Promise.all(outputs);
    if ('status' in exit) {
      log.debug(`session_exit_message: session ${session.localId} pid ${p.pid} exit status ${exit.status}`);
      await session.sendExitStatus(exit.status).catch(() => {});
    } else {
      log.debug(`session_exit_message: session ${session.localId} pid ${p.pid} killed by signal ${exit.osSignal}`);
      await session.sendExitSignal(exit.signal, exit.coreDumped).catch(() => {});
    }
  };

  return {
    pty(req) {
      if (!settings.permitTTY) {
        log.info('Pty allocation disabled.');
        return false;
      }
      pty = { term: req.term, cols: req.cols, rows: req.rows, widthPx: req.width, heightPx: req.height, modes: req.modes };
      return true;
    },
    env(name, value) {
      if (settings.acceptEnv.some((p) => matchPatternList(name, p, false) === 1)) {
        log.debug2(`Setting env ${clientEnv.length}: ${name}=${value}`);
        clientEnv.push([name, value]);
        return true;
      }
      log.debug2(`Ignoring env request ${name}: disallowed name`);
      return false;
    },
    exec: (command, session) => run(session, 'command', command),
    shell: (session) => run(session, 'shell', null),
    subsystem(name, session) {
      const sub = settings.subsystems.find((s) => s.name === name);
      if (!sub) {
        log.info(`subsystem request for ${name} by user ${account.name} failed, subsystem not found`);
        return false;
      }
      log.verbose(`subsystem request for ${name} by user ${account.name}`);
      return run(session, 'subsystem', sub.args, name);
    },
    windowChange(size) {
      if (proc) void proc.resize(size.cols, size.rows, size.width, size.height).catch(() => {});
      else if (pty) pty = { ...pty, cols: size.cols, rows: size.rows, widthPx: size.width, heightPx: size.height };
    },
    signal(name) {
      proc?.signal(name);
    },
    agentForwarding(session) {
      if (!settings.allowAgentForwarding || settings.disableForwarding || agent) return false;
      void session.closed.then(cleanup);
      const setup = createAgent();
      agentPending = setup;
      return setup;
    },
  };

  async function createAgent(): Promise<boolean> {
    try {
      agent = await createAgentSocket(account, (socket: Socket) => {
        conn.openAgentChannel().then(
          (ch) => void pipeChannel(ch, socket).catch(() => {}),
          () => socket.destroy(),
        );
      });
    } catch (e) {
      log.error(`auth_input_request_forwarding: ${(e as Error).message}`);
      return false;
    }
    return true;
  }
}
