/**
 * The connection-layer side of `puressh ssh`: pty sessions in raw mode with window-size
 * changes and escape sequences (-t/-T), port forwarding (-L, -R, -D) with
 * ExitOnForwardFailure, -N (no command) and -W host:port (stdio forwarding).
 */
import type { Readable, Writable } from 'node:stream';
import type { SshClient } from '../client.js';
import type { PtyOptions } from '../connection/pty.js';
import type { Session } from '../connection/session.js';
import { forwardLocal, forwardRemote, pipeChannel, type LocalForward, type RemoteForward } from '../connection/node-forward.js';
import { socksProxy } from '../connection/socks.js';
import { EscapeFilter, ESCAPE_HELP, parseEscapeChar } from './escape.js';

export type TtyRequest = 'auto' | 'yes' | 'force' | 'no';

export interface ForwardSpec {
  kind: 'L' | 'R' | 'D';
  /** the listening side: address and port, or a Unix socket path */
  bindHost?: string;
  bindPort?: number;
  bindPath?: string;
  /** the connecting side (not for -D): host and port, or a Unix socket path */
  host?: string;
  port?: number;
  path?: string;
  /** the text as given, for messages */
  spec: string;
}

const KIND_NAME = { L: 'local', R: 'remote', D: 'dynamic' } as const;

/** Split on ':' outside [brackets] (IPv6 addresses). */
function splitColons(text: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let depth = 0;
  for (const c of text) {
    if (c === '[') depth++;
    else if (c === ']') depth--;
    if (c === ':' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  parts.push(cur);
  return parts.map((p) => p.replace(/^\[(.*)\]$/, '$1'));
}

function port(text: string | undefined, allowZero: boolean): number | null {
  if (text === undefined || !/^\d+$/.test(text)) return null;
  const n = Number(text);
  return n <= 65535 && (allowZero || n > 0) ? n : null;
}

/**
 * -L / -R / -D specifications as ssh(1) reads them:
 *   -L [bind_address:]port:host:hostport | [bind_address:]port:remote_socket |
 *      local_socket:host:hostport | local_socket:remote_socket   (-R the same, mirrored)
 *   -D [bind_address:]port
 */
export function parseForwardSpec(kind: 'L' | 'R' | 'D', text: string): ForwardSpec {
  const bad = (): Error => new Error(`Bad ${KIND_NAME[kind]} forwarding specification '${text}'`);
  const parts = splitColons(text);
  const isPath = (s: string | undefined): boolean => s !== undefined && s.includes('/');
  if (kind === 'D') {
    if (parts.length > 2) throw bad();
    const p = port(parts[parts.length - 1], true);
    if (p === null) throw bad();
    return { kind, spec: text, bindHost: parts.length === 2 ? parts[0] : undefined, bindPort: p };
  }
  const out: ForwardSpec = { kind, spec: text };
  const bindPort = (t: string | undefined): number => {
    // -R may ask for port 0 (the server picks); -L too (we pick).
    const p = port(t, true);
    if (p === null) throw bad();
    return p;
  };
  let rest: string[];
  if (isPath(parts[0])) {
    out.bindPath = parts[0];
    rest = parts.slice(1);
  } else if (parts.length === 4 || (parts.length === 3 && isPath(parts[2]))) {
    out.bindHost = parts[0];
    out.bindPort = bindPort(parts[1]);
    rest = parts.slice(2);
  } else {
    out.bindPort = bindPort(parts[0]);
    rest = parts.slice(1);
  }
  if (rest.length === 1 && isPath(rest[0])) {
    out.path = rest[0];
  } else if (rest.length === 2 && rest[0] !== '') {
    const p = port(rest[1], false);
    if (p === null) throw bad();
    out.host = rest[0];
    out.port = p;
  } else {
    throw bad();
  }
  return out;
}

/** -W host:port */
export function parseStdioForward(text: string): { host: string; port: number } {
  const parts = splitColons(text);
  const p = port(parts[1], false);
  if (parts.length !== 2 || parts[0] === '' || p === null) throw new Error(`Bad stdio forwarding specification '${text}'`);
  return { host: parts[0]!, port: p };
}

export interface SessionLog {
  debug(line: string): void;
  info(line: string): void;
  error(line: string): void;
}

/** Set up every forward; a failure is a warning, or fatal with ExitOnForwardFailure. */
export async function startForwards(
  client: SshClient,
  specs: readonly ForwardSpec[],
  exitOnForwardFailure: boolean,
  log: SessionLog,
): Promise<{ ok: boolean; close(): Promise<void> }> {
  const open: (LocalForward | RemoteForward)[] = [];
  let ok = true;
  for (const s of specs) {
    try {
      if (s.kind === 'L') {
        const target = s.path !== undefined ? { path: s.path } : { host: s.host!, port: s.port! };
        const f = await forwardLocal(
          client,
          s.bindPath !== undefined ? { bindPath: s.bindPath, target } : { bindHost: s.bindHost ?? '127.0.0.1', bindPort: s.bindPort, target },
        );
        log.debug(`Local forwarding listening on ${f.path ?? `${f.address} port ${f.port}`}.`);
        open.push(f);
      } else if (s.kind === 'D') {
        const f = await socksProxy(client, { bindHost: s.bindHost ?? '127.0.0.1', bindPort: s.bindPort });
        log.debug(`Local connections to ${f.address}:${f.port} forwarded to remote address socks:0`);
        open.push(f);
      } else {
        const target = s.path !== undefined ? { path: s.path } : { host: s.host!, port: s.port! };
        const f = await forwardRemote(
          client,
          s.bindPath !== undefined ? { bindPath: s.bindPath, target } : { bindHost: s.bindHost ?? '', bindPort: s.bindPort, target },
        );
        // ssh's log lines end in CR LF (its terminal may be raw)
        if (s.bindPort === 0) log.info(`Allocated port ${f.port} for remote forward to ${s.path ?? `${s.host}:${s.port}`}\r`);
        open.push(f);
      }
    } catch (e) {
      ok = false;
      if (s.kind !== 'R') {
        // as ssh reports a local listener it could not open
        const code = (e as NodeJS.ErrnoException).code;
        const reason = code === 'EADDRINUSE' ? 'Address already in use' : code === 'EACCES' ? 'Permission denied' : (e as Error).message;
        const where = s.bindPath ?? `[${s.bindHost ?? '127.0.0.1'}]:${s.bindPort}`;
        log.error(`bind ${where}: ${reason}\r`);
        log.error(`Could not request local forwarding.\r`);
        if (exitOnForwardFailure) break;
        continue;
      }
      const what = `remote port forwarding failed for listen ${s.bindPath !== undefined ? `path ${s.bindPath}` : `port ${s.bindPort}`}`;
      if (exitOnForwardFailure) {
        log.error(`Error: ${what}\r`);
        break;
      }
      log.info(`Warning: ${what}\r`);
    }
  }
  return {
    ok,
    close: async () => {
      await Promise.all(open.map((f) => f.close().catch(() => {})));
    },
  };
}

/** -W: the process's stdin/stdout become a direct-tcpip channel to host:port. */
export async function runStdioForward(
  client: SshClient,
  target: { host: string; port: number },
  stdin: Readable,
  stdout: Writable,
  log: SessionLog,
): Promise<number> {
  let ch;
  try {
    ch = await client.forwardOut(target.host, target.port);
  } catch (e) {
    log.error(`channel 0: open failed: ${(e as Error).message}`);
    log.error(`stdio forwarding failed`);
    return 255;
  }
  await pipeChannel(ch, stdin, stdout);
  return 0;
}

/** The parts of a TTY stream we use (node:tty ReadStream / WriteStream). */
interface TtyIn extends Readable {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}
interface TtyOut extends Writable {
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

export interface InteractiveOptions {
  /** the remote command, or null for the login shell */
  command: string | null;
  /** TERM to send (ssh sends the local $TERM) */
  term: string;
  /** the escape character byte, or null for none (-e none) */
  escapeChar: number | null;
  host: string;
  env?: Record<string, string>;
}

/**
 * A session with a pty: local terminal in raw mode, window-size changes forwarded,
 * escape sequences handled; resolves with the exit status (255 after `~.`).
 */
export async function runInteractive(
  client: SshClient,
  o: InteractiveOptions,
  stdin: TtyIn,
  stdout: TtyOut,
  stderr: Writable,
  log: SessionLog,
): Promise<number> {
  const pty: PtyOptions = {
    term: o.term,
    cols: stdout.columns ?? 80,
    rows: stdout.rows ?? 24,
    // The remote line discipline does the editing; our local terminal is raw.
    modes: { VERASE: 0x7f, IUTF8: 1 },
  };
  const ch: Session = o.command !== null ? await client.exec(o.command, { pty, env: o.env }) : await client.shell({ pty, env: o.env });
  const raw = stdin.isTTY === true && typeof stdin.setRawMode === 'function';
  if (raw) stdin.setRawMode!(true);
  const onResize = (): void => void ch.windowChange({ cols: stdout.columns ?? 80, rows: stdout.rows ?? 24 }).catch(() => {});
  stdout.on('resize', onResize);
  const filter = o.escapeChar !== null ? new EscapeFilter(o.escapeChar) : null;
  let escaped = false as boolean; // set by onData: `as` keeps TypeScript from narrowing it to false
  const onData = (chunk: Buffer): void => {
    let data: Uint8Array = chunk;
    if (filter) {
      const r = filter.push(chunk);
      data = r.data;
      for (const a of r.actions) {
        if (a === 'help') stderr.write(`${ESCAPE_HELP(String.fromCharCode(o.escapeChar!))}`);
        if (a === 'list') stderr.write(`The following connections are open:\r\n  #0 client-session (channel ${ch.localId})\r\n`);
        if (a === 'disconnect') escaped = true;
      }
    }
    if (data.length) {
      stdin.pause();
      ch.write(data).then(
        () => stdin.resume(),
        () => {},
      );
    }
    if (escaped) void ch.close().catch(() => {});
  };
  const onEnd = (): void => void ch.eof().catch(() => {});
  stdin.on('data', onData);
  stdin.on('end', onEnd);
  stdin.resume();
  try {
    const copy = async (read: () => Promise<Uint8Array | null>, out: Writable): Promise<void> => {
      for (;;) {
        const c = await read();
        if (c === null) return;
        if (!out.write(c)) await new Promise<void>((r) => out.once('drain', r));
      }
    };
    await Promise.all([copy(() => ch.read(), stdout), copy(() => ch.readStderr(), stderr)]).catch(() => {});
    const status = escaped ? null : await ch.exit.catch(() => null);
    // ssh prints this at LogLevel INFO and above (not with -q or LogLevel=ERROR).
    log.info(`Connection to ${o.host} closed.\r`);
    if (escaped || !status) return 255;
    return status.code ?? 255;
  } finally {
    stdin.off('data', onData);
    stdin.off('end', onEnd);
    stdin.pause();
    stdout.off('resize', onResize);
    if (raw) stdin.setRawMode!(false);
  }
}

/** Whether to allocate a pty, as ssh decides (-t, -tt, -T, RequestTTY), with its warning. */
export function wantTty(request: TtyRequest, hasCommand: boolean, stdinIsTty: boolean, log: SessionLog): boolean {
  if (request === 'no') return false;
  if (request === 'force') return true;
  if (request === 'yes') {
    if (!stdinIsTty) {
      log.info('Pseudo-terminal will not be allocated because stdin is not a terminal.\r');
      return false;
    }
    return true;
  }
  return !hasCommand && stdinIsTty;
}

/** What the command line asked of the connection layer (see ssh-args.ts). */
export interface SessionArgs {
  /** number of -t flags */
  tty: number;
  /** -N */
  noCommand: boolean;
  /** -L/-R/-D in order */
  forwards: { kind: 'L' | 'R' | 'D'; spec: string }[];
  /** -W host:port */
  stdioForward: string | null;
}

export interface SessionSettings {
  requestTty: TtyRequest;
  noCommand: boolean;
  forwards: ForwardSpec[];
  exitOnForwardFailure: boolean;
  stdioForward: { host: string; port: number } | null;
  escapeChar: number | null;
}

/** From parsed arguments and -o options (first value wins, lower-case keys) to session settings. Throws on bad specs. */
export function resolveSessionSettings(args: SessionArgs, options: ReadonlyMap<string, string>): SessionSettings {
  const yesNo = (key: string): boolean => {
    const v = (options.get(key) ?? 'no').toLowerCase();
    if (v === 'yes' || v === 'true') return true;
    if (v === 'no' || v === 'false') return false;
    throw new Error(`command-line line 0: unsupported option "${options.get(key)}" for ${key}`);
  };
  let requestTty: TtyRequest = 'auto';
  const rt = options.get('requesttty')?.toLowerCase();
  if (rt !== undefined) {
    const map: Record<string, TtyRequest> = { yes: 'yes', true: 'yes', no: 'no', false: 'no', force: 'force', auto: 'auto' };
    if (!map[rt]) throw new Error(`command-line line 0: unsupported option "${rt}" for requesttty`);
    requestTty = map[rt]!;
  }
  // -t (once: yes, twice: force) overrides RequestTTY from -o, as ssh's tty_flag does; -T sets RequestTTY=no.
  if (args.tty >= 2) requestTty = 'force';
  else if (args.tty === 1 && requestTty !== 'no') requestTty = 'yes';
  const escapeChar = parseEscapeChar(options.get('escapechar') ?? '~');
  return {
    requestTty,
    noCommand: args.noCommand || args.stdioForward !== null,
    forwards: args.forwards.map((f) => parseForwardSpec(f.kind, f.spec)),
    exitOnForwardFailure: yesNo('exitonforwardfailure') || args.stdioForward !== null,
    stdioForward: args.stdioForward !== null ? parseStdioForward(args.stdioForward) : null,
    escapeChar,
  };
}

export interface SessionIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

/**
 * Run the session the settings ask for: set up forwards, then -W, -N, a pty session, or
 * `plain` (the command or shell without a pty). Forwards stay up until it ends.
 */
export async function withSessionFeatures(
  client: SshClient,
  settings: { session: SessionSettings; command: string | null; host: string; env?: Record<string, string> },
  io: SessionIo,
  log: SessionLog,
  plain: () => Promise<number>,
  onReady?: () => void,
): Promise<number> {
  const s = settings.session;
  const forwards = await startForwards(client, s.forwards, s.exitOnForwardFailure, log);
  try {
    if (!forwards.ok && s.exitOnForwardFailure) return 255;
    // -f: the foreground process may go now (authenticated, forwardings up)
    onReady?.();
    if (s.stdioForward) return await runStdioForward(client, s.stdioForward, io.stdin, io.stdout, log);
    if (s.noCommand) {
      // -N: forward until the connection ends.
      const err = await client.closed;
      if (err) log.error(err.message);
      return 255;
    }
    const stdin = io.stdin as TtyIn;
    if (wantTty(s.requestTty, settings.command !== null, stdin.isTTY === true, log)) {
      return await runInteractive(
        client,
        { command: settings.command, term: process.env.TERM || 'vt100', escapeChar: s.escapeChar, host: settings.host, env: settings.env },
        stdin,
        io.stdout,
        io.stderr,
        log,
      );
    }
    return await plain();
  } finally {
    await forwards.close();
  }
}
