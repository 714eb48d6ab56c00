/**
 * The server's end of a session channel (RFC 4254 §6): the client's requests (pty-req, env,
 * exec, shell, subsystem, window-change, signal, break, auth-agent-req@openssh.com) decoded
 * and handed to the application's {@link SessionHandler}, and the way back: data, stderr,
 * exit-status or exit-signal, EOF and close. A request without a handler is refused.
 */
import { SshError } from '../errors.js';
import { Channel } from '../connection/channel.js';
import { decodePtyRequest, type DecodedPtyRequest, type WindowSize } from '../connection/pty.js';
import { AGENT_REQUEST } from '../auth/agent/forward.js';
import type { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';
import type { AuthPermissions } from './types.js';

/** A pty-req (RFC 4254 §6.2) as the client sent it. */
export interface PtyRequest extends DecodedPtyRequest {
  /** TERM, e.g. "xterm-256color" */
  term: string;
  /** size in characters and pixels (window-change updates them) */
  cols: number;
  rows: number;
  width: number;
  height: number;
  /** encoded terminal modes as [opcode, value] pairs (§8; names in TERMINAL_MODE) */
  modes: [number, number][];
}

/**
 * What the application does with one session's requests. Each decision may be async; a
 * handler that throws refuses. exec/shell/subsystem accept by returning true, and the
 * application then serves the session (read stdin, write stdout/stderr) and ends it with
 * {@link ServerSession.sendExitStatus} or {@link ServerSession.sendExitSignal}.
 *
 * @example
 * ```ts
 * const handler: SessionHandler = {
 *   exec(command, session) {
 *     void (async () => {
 *       await session.write(new TextEncoder().encode(`you said ${command}\n`));
 *       await session.sendExitStatus(0);
 *     })();
 *     return true;
 *   },
 * };
 * ```
 */
export interface SessionHandler {
  /** pty-req: accept to give the session a terminal (refused when permissions say noPty) */
  pty?(request: PtyRequest, session: ServerSession): boolean | Promise<boolean>;
  /** env (RFC 4254 §6.4): accept to record name=value in `session.env` (sshd: AcceptEnv) */
  env?(name: string, value: string, session: ServerSession): boolean | Promise<boolean>;
  /** exec (RFC 4254 §6.5): accept to run `command` (AuthPermissions.forceCommand is the handler's to apply) */
  exec?(command: string, session: ServerSession): boolean | Promise<boolean>;
  /** shell (RFC 4254 §6.5): accept to start the user's shell */
  shell?(session: ServerSession): boolean | Promise<boolean>;
  /** subsystem (RFC 4254 §6.5), e.g. "sftp": accept to serve it on the session */
  subsystem?(name: string, session: ServerSession): boolean | Promise<boolean>;
  /** window-change (RFC 4254 §6.7); no reply */
  windowChange?(size: Required<WindowSize>, session: ServerSession): void;
  /** signal (RFC 4254 §6.9), the name without "SIG"; no reply */
  signal?(name: string, session: ServerSession): void;
  /** break (RFC 4335): accept if a break of `ms` milliseconds was performed */
  break?(ms: number, session: ServerSession): boolean | Promise<boolean>;
  /** auth-agent-req@openssh.com: accept, then open agent channels with ServerConnection.openAgentChannel */
  agentForwarding?(session: ServerSession): boolean | Promise<boolean>;
}

/** What started the session: the command, a shell, or a subsystem. */
export type SessionStart = { kind: 'exec'; command: string } | { kind: 'shell' } | { kind: 'subsystem'; name: string };

/**
 * A session channel on the server. Reading gives the client's stdin (null at its EOF);
 * `write` is stdout, `writeStderr` stderr; `sendExitStatus` reports the status and closes.
 */
export class ServerSession extends Channel {
  /** the accepted pty-req, if any */
  pty: PtyRequest | null = null;
  /** the environment variables the handler accepted, plus those from AuthPermissions.environment */
  readonly env: Record<string, string> = {};
  /** what started the session (exec, shell, subsystem), once accepted */
  started: SessionStart | null = null;
  /** whether agent forwarding was accepted for this session */
  agentForwarding = false;
  private handler: SessionHandler = {};
  private permissions: AuthPermissions = {};
  private exited = false;

  /** @internal wire the session to its handler once the open is accepted */
  attach(handler: SessionHandler, permissions: AuthPermissions): void {
    this.handler = handler;
    this.permissions = permissions;
    Object.assign(this.env, permissions.environment);
    this.onRequest = (type, _wantReply, body) => this.onSessionRequest(type, body);
  }

  /**
   * Report the exit status (RFC 4254 §6.10), then EOF and close. Waits for queued writes.
   * Resolves once our CLOSE is sent; the client's CLOSE may come later.
   */
  async sendExitStatus(code: number): Promise<void> {
    if (!Number.isInteger(code) || code < 0 || code > 0xffffffff) throw new SshError('INVAL', 'exit status must be a uint32');
    await this.finishWith('exit-status', new Writer(8).u32(code).finish().slice());
  }

  /** Report death by a signal ("TERM", no "SIG"; RFC 4254 §6.10), then EOF and close. */
  async sendExitSignal(signal: string, coreDumped = false, message = ''): Promise<void> {
    const bare = signal.startsWith('SIG') ? signal.slice(3) : signal;
    await this.finishWith('exit-signal', new Writer(64).string(bare).bool(coreDumped).string(message).string('').finish().slice());
  }

  private async finishWith(type: string, body: Uint8Array): Promise<void> {
    if (this.exited) return;
    this.exited = true;
    try {
      await this.eof();
      if (!this.isClosed) await this.request(type, false, body);
    } catch {
      // the client may have closed already: nothing left to tell it
    }
    this.closeNow();
  }

  private onSessionRequest(type: string, body: Reader): boolean | Promise<boolean> {
    const h = this.handler;
    switch (type) {
      case 'pty-req': {
        const req = decodePtyRequest(body.rest());
        if (this.permissions.noPty || !h.pty || this.started) return false;
        return decide(
          () => h.pty!(req, this),
          (ok) => {
            if (ok) this.pty = req;
            return ok;
          },
        );
      }
      case 'env': {
        const name = body.text('variable name');
        const value = body.text('variable value');
        body.end();
        if (!h.env || this.started) return false;
        return decide(
          () => h.env!(name, value, this),
          (ok) => {
            if (ok) this.env[name] = value;
            return ok;
          },
        );
      }
      case 'exec': {
        const command = body.text('command');
        body.end();
        return this.start({ kind: 'exec', command }, h.exec && (() => h.exec!(command, this)));
      }
      case 'shell':
        body.end();
        return this.start({ kind: 'shell' }, h.shell && (() => h.shell!(this)));
      case 'subsystem': {
        const name = body.ascii('subsystem name');
        body.end();
        return this.start({ kind: 'subsystem', name }, h.subsystem && (() => h.subsystem!(name, this)));
      }
      case 'window-change': {
        const size = { cols: body.u32('cols'), rows: body.u32('rows'), width: body.u32('width'), height: body.u32('height') };
        body.end();
        if (this.pty) this.pty = { ...this.pty, ...size };
        h.windowChange?.(size, this);
        return true;
      }
      case 'signal': {
        const name = body.ascii('signal name');
        body.end();
        h.signal?.(name, this);
        return true;
      }
      case 'break': {
        const ms = body.u32('break length');
        body.end();
        if (!h.break) return false;
        return decide(
          () => h.break!(ms, this),
          (ok) => ok,
        );
      }
      case AGENT_REQUEST:
        body.end();
        if (this.permissions.noAgentForwarding || !h.agentForwarding) return false;
        return decide(
          () => h.agentForwarding!(this),
          (ok) => {
            if (ok) this.agentForwarding = true;
            return ok;
          },
        );
      default:
        return false;
    }
  }

  /** RFC 4254 §6.5: one exec, shell or subsystem per session. */
  private start(what: SessionStart, run: (() => boolean | Promise<boolean>) | undefined): boolean | Promise<boolean> {
    if (this.started || !run) return false;
    // Taken at once, so a second start request arriving while the first is decided is refused.
    this.started = what;
    return decide(run, (ok) => {
      if (!ok) this.started = null;
      return ok;
    });
  }
}

/** Run a handler's decision (sync or async); a throw refuses; `then` applies an acceptance. */
function decide(fn: () => boolean | Promise<boolean>, then: (ok: boolean) => boolean): boolean | Promise<boolean> {
  let r: boolean | Promise<boolean>;
  try {
    r = fn();
  } catch {
    return then(false);
  }
  if (typeof r === 'boolean') return then(r === true);
  return r.then(
    (ok) => then(ok === true),
    () => then(false),
  );
}
