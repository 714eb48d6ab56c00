/**
 * Session channels (RFC 4254 §6): pty, shell, exec, subsystem, environment, window size,
 * signals and break (RFC 4335). A Session is a Channel with these requests as methods.
 */
import { SshError } from '../errors.js';
import { Writer } from '../wire/writer.js';
import type { OperationOptions } from './abort.js';
import { Channel, type ChannelHost, type ChannelOptions } from './channel.js';
import type { Connection, OpenOptions } from './connection.js';
import { ptyRequestBody, windowChangeBody, type PtyOptions, type WindowSize } from './pty.js';

/** RFC 4254 §6.10 signal names (without "SIG"). */
export const SIGNALS = ['ABRT', 'ALRM', 'FPE', 'HUP', 'ILL', 'INT', 'KILL', 'PIPE', 'QUIT', 'SEGV', 'TERM', 'USR1', 'USR2'] as const;

/** A session channel (RFC 4254 §6): pty, environment, shell, exec, subsystem, signals. */
export class Session extends Channel {
  /** Request a pseudo-terminal (RFC 4254 §6.2). Throws CHANNEL_REQUEST_DENIED if refused. */
  async requestPty(pty: PtyOptions = {}, options?: OperationOptions): Promise<void> {
    await this.required('pty-req', ptyRequestBody(pty), options, 'the server refused to allocate a pseudo-terminal');
  }

  /**
   * Set an environment variable for the command (RFC 4254 §6.4). Resolves false when the
   * server refuses it (OpenSSH accepts only names its AcceptEnv lists).
   */
  setEnv(name: string, value: string, options?: OperationOptions): Promise<boolean> {
    return this.request('env', true, new Writer(64).string(name).string(value).finish().slice(), options);
  }

  /** Start the user's login shell (RFC 4254 §6.5). */
  async shell(options?: OperationOptions): Promise<void> {
    await this.required('shell', undefined, options, 'the server refused to start a shell');
  }

  /** Start `command` (RFC 4254 §6.5). */
  async exec(command: string, options?: OperationOptions): Promise<void> {
    await this.required('exec', stringBody(command), options, 'the server refused to execute the command');
  }

  /** Start a subsystem such as "sftp" (RFC 4254 §6.5). */
  async subsystem(name: string, options?: OperationOptions): Promise<void> {
    await this.required('subsystem', stringBody(name), options, `the server refused the ${name} subsystem`);
  }

  /** Tell the server the terminal size changed (RFC 4254 §6.7; no reply). */
  async windowChange(size: WindowSize): Promise<void> {
    await this.request('window-change', false, windowChangeBody(size));
  }

  /** Deliver a signal, e.g. "TERM" or "INT", to the remote process (RFC 4254 §6.9; no reply). */
  async signal(name: string): Promise<void> {
    const bare = name.startsWith('SIG') ? name.slice(3) : name;
    if (!/^[A-Z0-9]+(@[\x21-\x7e]+)?$/.test(bare)) throw new SshError('INVAL', `bad signal name ${JSON.stringify(name)}`);
    await this.request('signal', false, stringBody(bare));
  }

  /** Send a BREAK of `ms` milliseconds (RFC 4335 §3); resolves whether the server performed it. */
  sendBreak(ms = 0, options?: OperationOptions): Promise<boolean> {
    if (!Number.isInteger(ms) || ms < 0 || ms > 0xffffffff) return Promise.reject(new SshError('INVAL', 'break length must be a uint32'));
    return this.request('break', true, new Writer(8).u32(ms).finish().slice(), options);
  }

  private async required(type: string, body: Uint8Array | undefined, options: OperationOptions | undefined, refusal: string): Promise<void> {
    if (!(await this.request(type, true, body, options))) throw new SshError('CHANNEL_REQUEST_DENIED', refusal);
  }
}

function stringBody(s: string): Uint8Array {
  return new Writer(s.length + 8).string(s).finish().slice();
}

const sessionFactory = (host: ChannelHost, id: number, type: string, opts: ChannelOptions): Session => new Session(host, id, type, opts);

export function openSession(conn: Connection, options?: OpenOptions): Promise<Session> {
  return conn.openChannel('session', undefined, options, sessionFactory);
}

export interface ExecOptions extends OpenOptions {
  /** allocate a pseudo-terminal first (true: default vt100 80×24) */
  pty?: boolean | PtyOptions;
  /** environment variables to request before starting (refusals are ignored, as ssh does) */
  env?: Record<string, string>;
}

/** Open a session, apply pty and env, then run `start` on it; the channel is closed if a step fails. */
export async function startSession(conn: Connection, options: ExecOptions, start: (s: Session) => Promise<void>): Promise<Session> {
  const s = await openSession(conn, options);
  try {
    const op: OperationOptions = { signal: options.signal, timeout: options.timeout };
    for (const [k, v] of Object.entries(options.env ?? {})) await s.setEnv(k, v, op);
    if (options.pty) await s.requestPty(options.pty === true ? {} : options.pty, op);
    await start(s);
  } catch (e) {
    await s.close({ timeout: 5000 }).catch(() => {});
    throw e;
  }
  return s;
}

/** Open a session and start `command` on it (RFC 4254 §6.5). */
export function execOn(conn: Connection, command: string, options: ExecOptions = {}): Promise<Session> {
  return startSession(conn, options, (s) => s.exec(command, { signal: options.signal, timeout: options.timeout }));
}
