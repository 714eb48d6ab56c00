/**
 * The facade's only contact with Node (Net::SSH2 is a Perl module about paths, sockets and
 * the terminal): local files, the TTY prompt, stderr, signal numbers and POSIX open flags.
 * Kept in one file so the rest of src/facade stays plain mapping code.
 */
import { constants as fsConstants } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { constants as osConstants, homedir, userInfo } from 'node:os';
import { basename, join } from 'node:path';
import { format } from 'node:util';
import type { Socket } from 'node:net';
import { connectTcp, socketStream } from '../node-stream.js';
import { readHiddenLine } from '../node-tty.js';
import type { ByteStream } from '../transport/stream.js';

export { basename, format };

/** POSIX open(2) flags (Perl's Fcntl), as `SFTP::open` takes them. */
export const O_RDONLY = fsConstants.O_RDONLY;
/** Fcntl's `O_WRONLY`, for `SFTP.open`. */
export const O_WRONLY = fsConstants.O_WRONLY;
/** Fcntl's `O_RDWR`, for `SFTP.open`. */
export const O_RDWR = fsConstants.O_RDWR;
/** Fcntl's `O_APPEND`, for `SFTP.open`. */
export const O_APPEND = fsConstants.O_APPEND;
/** Fcntl's `O_CREAT`, for `SFTP.open`. */
export const O_CREAT = fsConstants.O_CREAT;
/** Fcntl's `O_TRUNC`, for `SFTP.open`. */
export const O_TRUNC = fsConstants.O_TRUNC;
/** Fcntl's `O_EXCL`, for `SFTP.open`. */
export const O_EXCL = fsConstants.O_EXCL;

export const readBytes = (path: string): Promise<Uint8Array> => readFile(path).then((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
export const readText = (path: string): Promise<string> => readFile(path, 'utf8');
export const writeBytes = (path: string, data: Uint8Array | string, mode?: number): Promise<void> => writeFile(path, data, mode === undefined ? {} : { mode });

/** `~/.ssh/known_hosts`, as Net::SSH2's check_hostkey defaults it. */
export function defaultKnownHostsPath(): string {
  return join(process.env.HOME ?? homedir(), '.ssh', 'known_hosts');
}

/** Net::SSH2's `_local_user`: $USER, $LOGNAME, then the account name. */
export function localUser(): string {
  return process.env.USER ?? process.env.LOGNAME ?? userInfo().username;
}

export function printStderr(text: string): void {
  process.stderr.write(text);
}

/** Local signal number for a name without "SIG" (Net::SSH2 uses Perl's %Config sig_name); 255 if unknown. */
export function signalNumber(name: string): number {
  const n = (osConstants.signals as Record<string, number | undefined>)[`SIG${name}`];
  return n ?? 255;
}

/**
 * Resolves once the work already queued in this turn (promise jobs and next-tick callbacks,
 * two rounds deep) has run, before the event loop polls for I/O again: what can finish
 * without waiting for the network has finished by then.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => process.nextTick(() => process.nextTick(resolve)));
}

/** stdin read so far but not yet returned as a line (lines may arrive several per chunk). */
let inputLeft = '';
let inputEnded = false;

/**
 * Net::SSH2's `_ask_user`: print the prompt on stderr and read one line from stdin. With
 * `echo` false and a terminal on stdin, echo is off while the line is typed (raw mode, with
 * backspace, Ctrl-U, Ctrl-D and Ctrl-C handled here; the mode is restored in every case), and
 * a newline is printed afterwards. Resolves undefined at end of input or on Ctrl-C (which is
 * then re-raised as SIGINT, as the terminal would have done).
 */
export async function askUser(prompt: string, echo = true): Promise<string | undefined> {
  const stdin = process.stdin;
  const hidden = !echo && stdin.isTTY === true && typeof stdin.setRawMode === 'function';
  let reply: string | undefined;
  let interrupted = false;
  if (hidden) {
    const wasRaw = stdin.isRaw;
    // Echo off before the prompt shows, so nothing typed after it is echoed.
    stdin.setRawMode(true);
    try {
      printStderr(prompt);
      ({ line: reply, interrupted } = await readHiddenLine(stdin));
    } finally {
      stdin.setRawMode(wasRaw);
      stdin.pause();
    }
  } else {
    printStderr(prompt);
    reply = await readLine(stdin);
  }
  if (!echo || reply === undefined) printStderr('\n');
  if (interrupted) process.kill(process.pid, 'SIGINT');
  return reply;
}

function readLine(stdin: NodeJS.ReadStream): Promise<string | undefined> {
  const take = (): string | undefined | null => {
    const i = inputLeft.indexOf('\n');
    if (i >= 0) {
      const line = inputLeft.slice(0, i).replace(/\r$/, '');
      inputLeft = inputLeft.slice(i + 1);
      return line;
    }
    if (!inputEnded) return null;
    const rest = inputLeft;
    inputLeft = '';
    return rest.length ? rest : undefined;
  };
  const now = take();
  if (now !== null) return Promise.resolve(now);
  return new Promise((resolve) => {
    const check = () => {
      const line = take();
      if (line === null) return;
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.pause();
      resolve(line);
    };
    const onData = (d: Buffer) => {
      inputLeft += d.toString('utf8');
      check();
    };
    const onEnd = () => {
      inputEnded = true;
      check();
    };
    stdin.on('data', onData);
    stdin.once('end', onEnd);
    stdin.resume();
  });
}

/** A TCP connection to host:port, with the socket (for `sock()`) and its ByteStream. */
export async function tcpConnect(host: string, port: number, timeoutMs?: number): Promise<{ socket: Socket; stream: ByteStream }> {
  const socket = await connectTcp(host, port, timeoutMs);
  return { socket, stream: socketStream(socket) };
}

/** A Node socket (anything with on/write/end) → ByteStream; a ByteStream passes through. */
export function asByteStream(handle: unknown): { socket: Socket | null; stream: ByteStream } {
  const h = handle as { read?: unknown; on?: unknown; write?: unknown };
  if (typeof h.on === 'function' && typeof h.write === 'function') return { socket: handle as Socket, stream: socketStream(handle as Socket) };
  return { socket: null, stream: handle as ByteStream };
}
