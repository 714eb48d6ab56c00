/**
 * Net::SSH2::Channel over the core Channel/Session (RFC 4254). Methods with I/O return
 * Promises; failures resolve undefined and set the session's `error()`.
 */
import { SshError } from '../errors.js';
import type { Channel as CoreChannel, ExtendedDataMode } from '../connection/channel.js';
import { Session } from '../connection/session.js';
import { TERMINAL_MODE, decodeTerminalModes, type PtyOptions } from '../connection/pty.js';
import { StreamBuffer } from './channel-buffer.js';
import { LIBSSH2_CHANNEL_FLUSH_ALL, LIBSSH2_SESSION_BLOCK_INBOUND, LIBSSH2_SESSION_BLOCK_OUTBOUND, parseConstant } from './constants.js';
import { format, signalNumber } from './node-io.js';
import { settlesThisTurn } from './nonblocking.js';
import { byteString, pairs, toBytes } from './state.js';
import type { SSH2 } from './ssh2.js';
import { latin1Bytes } from '../wire/bytes.js';

const EXT_MODES: readonly ExtendedDataMode[] = ['normal', 'ignore', 'merge'];
const utf8d = new TextDecoder();
const utf8 = new TextEncoder();

/** Net::SSH2::Channel: a channel, also usable as a tied filehandle (the upper-case methods). */
export class Channel {
  private readonly out: StreamBuffer;
  private readonly err: StreamBuffer;
  /** the peer's initial window (what `window_write` reports as initial) */
  private readonly remoteInitialWindow: number;
  /** `$?` after CLOSE: exit_status << 8 | signal number */
  child_error = 0;

  /** @internal built by SSH2.channel/tcpip and Listener.accept */
  constructor(
    private readonly ssh2: SSH2,
    /** the core channel (a Session for "session" channels) */
    readonly core: CoreChannel,
  ) {
    this.out = new StreamBuffer(() => core.read());
    this.err = new StreamBuffer(() => core.readStderr());
    this.remoteInitialWindow = core.sendWindow;
  }

  /** waiters for the peer's next WINDOW_ADJUST (poll's POLLOUT) */
  /**
   * @internal For poll: resolves when what poll reports may have changed — data or EOF on the
   * wanted streams (read into this channel's buffers), the channel's close, or (with
   * `window`) the peer growing our send window.
   */
  _changed(stdout: boolean, stderr: boolean, window: boolean): Promise<void> {
    const waits: Promise<unknown>[] = [this.core.closed];
    // (an ended stream has nothing more to report: no wake-up from it)
    if (stdout && !this.out.ended && !this.out.error) waits.push(this.out.fill());
    if (stderr && !this.err.ended && !this.err.error) waits.push(this.err.fill());
    // (a channel that ends instead wakes poll through `closed`)
    if (window) waits.push(this.core.nextWindowAdjust().catch(() => {}));
    return Promise.race(waits).then(() => undefined);
  }

  /** @internal For poll: [stdout bytes, stderr bytes] taken from the core and not yet read. */
  _buffered(): [number, number] {
    return [this.out.length, this.err.length];
  }

  /** The owning Net::SSH2 object. */
  session(): SSH2 {
    return this.ssh2;
  }

  /** The session's error number (Net::SSH2::Channel's `error`). */
  error(): number {
    return this.ssh2.error();
  }

  /** The session's error as [number, name, message] (list-context `error`). */
  error_list(): [] | [number, string, string] {
    return this.ssh2.error_list();
  }

  /** Net::SSH2::Channel's `blocking`: the session's blocking mode. */
  blocking(flag?: boolean | number): boolean {
    return this.ssh2.blocking(flag);
  }

  /** An I/O method under the session's blocking rules (see nonblocking.ts). */
  #io<T>(method: string, args: readonly unknown[], op: () => Promise<T>): Promise<T | undefined> {
    return this.ssh2._io(this, method, args, op);
  }

  /**
   * Fill the read buffers until `ready()`. Blocking: waits as long as needed. Non-blocking:
   * throws EAGAIN (block direction inbound) if a fill does not complete within this turn;
   * what arrives later stays buffered for the next call.
   */
  async #fillUntil(ready: () => boolean, fill: () => Promise<void>): Promise<void> {
    while (!ready()) {
      const f = fill();
      if (this.ssh2.blocking()) await f;
      else if (!(await settlesThisTurn(f))) {
        this.ssh2._block_directions = LIBSSH2_SESSION_BLOCK_INBOUND;
        throw new SshError('EAGAIN', 'would block');
      }
    }
  }

  /** The peer's EOF on both streams, keeping whatever data arrives before it. */
  async #waitEof(): Promise<void> {
    while (!(this.out.ended && this.err.ended)) {
      await Promise.race([this.out.fill(), this.err.fill()]);
      const e = this.out.error ?? this.err.error;
      if (e) throw e;
    }
  }

  /** wait_eof, discard unread data, then the peer's close. */
  async #waitClosed(): Promise<void> {
    await this.#waitEof();
    await this.flush('all');
    await this.core.closed;
  }

  #asSession(): Session {
    if (!(this.core instanceof Session)) throw new SshError('CHANNEL_REQUEST_DENIED', `not a session channel (${this.core.type})`);
    return this.core;
  }

  /** `env` requests; true only if every one was accepted. */
  setenv(...args: unknown[]): Promise<true | undefined> {
    const env = pairs(args);
    return this.#io('setenv', [env], async () => {
      let refused: SshError | null = null;
      for (const [k, v] of env) {
        if (await this.#asSession().setEnv(k, String(v))) continue;
        refused = new SshError('CHANNEL_REQUEST_DENIED', 'Unable to complete request for channel-setenv');
        this.ssh2._fail(refused);
      }
      if (refused) throw refused;
      return true as const;
    });
  }

  /** True once the peer sent EOF and everything received has been read. */
  eof(): boolean {
    return this.core.eofFromPeer && this.out.length === 0 && this.err.length === 0 && this.core.bufferedBytes === 0;
  }

  /** Net::SSH2::Channel's `send_eof`. */
  send_eof(): Promise<true | undefined> {
    return this.#io('send_eof', [], () => this.core.eof().then(() => true as const));
  }

  /** Net::SSH2::Channel's `close`. */
  close(): Promise<true | undefined> {
    return this.#io('close', [], () => this.core.close().then(() => true as const));
  }

  /** Wait for the peer's EOF, keeping whatever data arrives before it. */
  wait_eof(): Promise<true | undefined> {
    return this.#io('wait_eof', [], () => this.#waitEof().then(() => true as const));
  }

  /** wait_eof, discard unread data, then wait for the peer's close. */
  wait_closed(): Promise<true | undefined> {
    return this.#io('wait_closed', [], () => this.#waitClosed().then(() => true as const));
  }

  /** The exit status (0 if none was sent); waits for the close. */
  exit_status(): Promise<number | undefined> {
    return this.#io('exit_status', [], () => this.#waitClosed().then(() => this.core.status.code ?? 0));
  }

  /** Signal name without "SIG" ('' if none); waits for the close. */
  async exit_signal(): Promise<string | undefined> {
    return (await this.exit_signal_list())?.[0];
  }

  /** List context: [name, error message, language]. */
  exit_signal_list(): Promise<[string, string | undefined, string | undefined] | undefined> {
    return this.#io('exit_signal_list', [], async () => {
      await this.#waitClosed();
      const s = this.core.status;
      return [s.signal ?? '', s.message || undefined, undefined] as [string, string | undefined, string | undefined];
    });
  }

  /** The signal as a local number: 0 if none, 255 if unknown here. */
  async exit_signal_number(): Promise<number | undefined> {
    const name = await this.exit_signal();
    if (name === undefined) return undefined;
    return name ? signalNumber(name.replace(/@.*$/, '')) : 0;
  }

  /**
   * pty-req: `modes` is an object of RFC 4254 §8 names (any case) or opcodes → values, or
   * the packed encoding; width/height in characters, negative for pixels (default 80×24).
   */
  pty(term: string, modes?: Record<string, number> | Uint8Array | string | null, width?: number, height?: number): Promise<true | undefined> {
    return this.#io('pty', [term, modes, width, height], async () => {
      const opts: PtyOptions = { term, ...dims(width, height) };
      if (modes instanceof Uint8Array || typeof modes === 'string') opts.modes = decodeTerminalModes(typeof modes === 'string' ? latin1Bytes(modes) : modes);
      else if (modes)
        opts.modes = Object.entries(modes)
          .map(([k, v]) => [modeNumber(k), Number(v)] as [number, number])
          .filter(([k]) => k !== 0);
      await this.#asSession().requestPty(opts);
      return true as const;
    });
  }

  /** Net::SSH2::Channel's `pty_size`: a window-change request (RFC 4254 §6.7). */
  pty_size(width: number, height: number): Promise<true | undefined> {
    return this.#io('pty_size', [width, height], async () => {
      const d = dims(width, height);
      await this.#asSession().windowChange({ cols: d.cols ?? 0, rows: d.rows ?? 0, width: d.width, height: d.height });
      return true as const;
    });
  }

  /** 'normal' | 'ignore' | 'merge' or LIBSSH2_CHANNEL_EXTENDED_DATA_*. */
  ext_data(mode: string | number): true | undefined {
    const m = EXT_MODES[parseConstant('CHANNEL_EXTENDED_DATA', mode) ?? -1];
    if (!m) {
      this.ssh2._set_error(-34, `bad ext_data mode ${String(mode)}`);
      return undefined;
    }
    this.core.extendedData = m;
    return true;
  }

  /** Start `request` ("shell", "exec", "subsystem", …) with an optional string argument. */
  process(request: string, message?: string): Promise<true | undefined> {
    return this.#io('process', [request, message], async () => {
      const body = message === undefined ? undefined : Session.stringBody(message);
      if (!(await this.core.request(request, true, body)))
        throw new SshError('CHANNEL_REQUEST_DENIED', `Unable to complete request for channel-process-startup`);
      return true as const;
    });
  }

  /** Net::SSH2::Channel's `shell`. */
  shell(): Promise<true | undefined> {
    return this.process('shell');
  }

  /** Net::SSH2::Channel's `exec`. */
  exec(command: string): Promise<true | undefined> {
    return this.process('exec', command);
  }

  /** Net::SSH2::Channel's `subsystem`. */
  subsystem(name: string): Promise<true | undefined> {
    return this.process('subsystem', name);
  }

  /**
   * Up to `max_size` bytes of stdout (or stderr when `ext` is true), as soon as some are
   * available; an empty array at EOF; undefined on error (EAGAIN when non-blocking and idle).
   */
  read(max_size = 32768, ext: boolean | number = false): Promise<Uint8Array | undefined> {
    const buf = ext ? this.err : this.out;
    return this.ssh2._attempt(async () => {
      await this.#fillUntil(
        () => buf.length > 0 || buf.ended || buf.error !== null,
        () => buf.fill(),
      );
      if (buf.error && buf.length === 0) throw buf.error;
      return buf.shift(max_size);
    });
  }

  /** The same as `read` (Perl's read1 returns the data instead of filling a buffer). */
  read1(max_size = 32768, ext: boolean | number = false): Promise<Uint8Array | undefined> {
    return this.read(max_size, ext);
  }

  /** [stdout, stderr] as soon as either has data; undefined (empty list) at EOF or on error. */
  read2(max_size = 32768): Promise<[Uint8Array, Uint8Array] | undefined> {
    const { out, err } = this;
    return this.ssh2._attempt(async () => {
      const ready = () => out.length > 0 || err.length > 0 || (out.ended && err.ended) || (out.error ?? err.error) !== null;
      await this.#fillUntil(ready, () => Promise.race([out.fill(), err.fill()]));
      if (out.length === 0 && err.length === 0) {
        if (out.error ?? err.error) throw out.error ?? err.error;
        this.ssh2._set_error(0, '');
        return undefined;
      }
      return [out.shift(max_size), err.shift(max_size)] as [Uint8Array, Uint8Array];
    });
  }

  /**
   * Next line including `eol` (default "\n"), decoded as UTF-8; the rest at EOF, then
   * undefined. Non-blocking: undefined with EAGAIN until a whole line (or EOF) is there; a
   * partial line is never consumed.
   */
  async readline(ext: boolean | number = 0, eol = '\n'): Promise<string | undefined> {
    if (this.eof()) return undefined;
    const buf = ext ? this.err : this.out;
    const marker = utf8.encode(eol);
    let complete = false as boolean; // set in the callback: `as` keeps TypeScript from narrowing it to false
    const line = await this.ssh2._attempt(async () => {
      await this.#fillUntil(
        () => buf.ended || buf.error !== null || buf.find(marker) >= 0,
        () => buf.fill(),
      );
      const at = buf.find(marker);
      complete = at >= 0 || (buf.ended && !buf.error);
      return buf.shift(at >= 0 ? at : buf.length);
    });
    if (line === undefined) return undefined;
    // Net::SSH2's readline clears the error on a complete line and at EOF.
    if (complete) this.ssh2._set_error(0, '');
    else if (buf.error) this.ssh2._fail(buf.error);
    return line.length ? utf8d.decode(line) : undefined;
  }

  /** List context: every remaining line until EOF. */
  async readline_list(ext: boolean | number = 0, eol = '\n'): Promise<string[]> {
    const lines: string[] = [];
    for (;;) {
      const l = await this.readline(ext, eol);
      if (l === undefined) return lines;
      lines.push(l);
    }
  }

  /** One byte, as a one-character string; '' at EOF, undefined on error. */
  async getc(ext: boolean | number = 0): Promise<string | undefined> {
    const c = await this.read(1, ext);
    return c === undefined ? undefined : byteString(c);
  }

  /**
   * Send `buffer` (to stderr with `ext`); resolves with the bytes written. Non-blocking: only
   * what the window allows now, EAGAIN (outbound) if nothing.
   */
  write(buffer: string | Uint8Array, ext: boolean | number = false): Promise<number | undefined> {
    const data = toBytes(buffer);
    const blocking = this.ssh2.blocking();
    return this.ssh2._io(
      this,
      'write',
      [data, ext ? 1 : 0],
      async () => {
        let chunk = data;
        if (!blocking) {
          if (this.core.sendWindow === 0 && data.length > 0) {
            this.ssh2._block_directions = LIBSSH2_SESSION_BLOCK_OUTBOUND;
            throw new SshError('EAGAIN', 'would block');
          }
          chunk = data.subarray(0, this.core.sendWindow);
        }
        await this.core.write(chunk, ext ? 1 : undefined);
        return chunk.length;
      },
      { direction: () => LIBSSH2_SESSION_BLOCK_OUTBOUND },
    );
  }

  /** Discard unread data: `ext` 0 (stdout), 1/'stderr' (stderr) or 'all'; returns the count. */
  async flush(ext: number | string = 0): Promise<number> {
    const v =
      typeof ext === 'string'
        ? ext.toLowerCase() === 'all'
          ? LIBSSH2_CHANNEL_FLUSH_ALL
          : ext.toLowerCase() === 'stderr'
            ? 1
            : (parseConstant('CHANNEL_FLUSH', ext) ?? 0)
        : ext;
    const targets = v === LIBSSH2_CHANNEL_FLUSH_ALL ? [this.out, this.err] : v ? [this.err] : [this.out];
    let n = 0;
    for (const t of targets) {
      n += t.clear();
      // Take what the core channel already holds, without waiting for more.
      while (!t.ended && this.core.bufferedBytes > 0) {
        await t.fill();
        n += t.clear();
      }
    }
    return n;
  }

  /** Bytes the peer may still send us. */
  window_read(): number {
    return this.core.receiveWindow;
  }

  /** List context: [window, bytes available to read, initial window]. */
  window_read_list(): [number, number, number] {
    return [this.core.receiveWindow, this.out.length + this.err.length + this.core.bufferedBytes, this.core.options.window];
  }

  /** Bytes we may send now. */
  window_write(): number {
    return this.core.sendWindow;
  }

  /** List context: [window, initial window]. */
  window_write_list(): [number, number] {
    return [this.core.sendWindow, this.remoteInitialWindow];
  }

  /**
   * Net::SSH2 sends a WINDOW_ADJUST here. The core channel re-opens its window itself as data
   * is read, so this resolves with the current receive window and sends nothing.
   */
  /**
   * libssh2_channel_receive_window_adjust2: grow the receive window by `adjustment`. Without
   * `force`, adjustments under libssh2's minimum (1024 bytes) are not sent. Returns the window.
   */
  async receive_window_adjust(adjustment: number, force?: boolean): Promise<number> {
    if (!force && adjustment < 1024) return this.core.receiveWindow;
    return this.core.growReceiveWindow(adjustment);
  }

  // ---- tie interface (print $ch ..., <$ch>, close $ch) ----

  /** Tied filehandle `print`. */
  PRINT(...items: (string | Uint8Array)[]): Promise<number | undefined> {
    return this.write(items.map((i) => (typeof i === 'string' ? i : utf8d.decode(i))).join(''));
  }

  /** Tied filehandle `printf`. */
  PRINTF(template: string, ...args: unknown[]): Promise<number | undefined> {
    return this.write(format(template, ...args));
  }

  /** Tied filehandle `syswrite`. */
  WRITE(buffer: string | Uint8Array, length?: number, offset = 0): Promise<number | undefined> {
    const b = toBytes(buffer);
    return this.write(b.subarray(offset, length === undefined ? undefined : offset + length));
  }

  /** Tied filehandle `sysread`. */
  READ(length: number): Promise<Uint8Array | undefined> {
    return this.read(length);
  }

  /** Tied filehandle `readline`. */
  READLINE(): Promise<string | undefined> {
    return this.readline(0, '\n');
  }

  /** Tied filehandle `getc`. */
  GETC(): Promise<string | undefined> {
    return this.getc();
  }

  /** close + wait_closed; sets `child_error` ($?) and is true when it is 0. */
  async CLOSE(): Promise<true | undefined> {
    const ok = await this.#io('CLOSE', [], async () => {
      await this.core.close();
      await this.#waitClosed();
      const s = this.core.status;
      this.child_error = ((s.code ?? 0) << 8) | (s.signal ? signalNumber(s.signal.replace(/@.*$/, '')) : 0);
      return true as const;
    });
    return ok && this.child_error === 0 ? true : undefined;
  }

  /** Tied filehandle `eof`. */
  EOF(): boolean {
    return this.eof();
  }

  /** Tied filehandle `binmode` (a no-op: data is bytes). */
  BINMODE(): 1 {
    return 1;
  }

  /** Perl's destructor: close the channel. */
  DESTROY(): Promise<void> {
    return this.core.close().catch(() => {});
  }

  /** `while (<$ch>)`: the remaining stdout lines. */
  async *[Symbol.asyncIterator](): AsyncGenerator<string> {
    for (;;) {
      const l = await this.readline();
      if (l === undefined) return;
      yield l;
    }
  }
}

function modeNumber(key: string): number {
  if (/^\d+$/.test(key)) return Number(key);
  const n =
    (TERMINAL_MODE as Record<string, number>)[key.toUpperCase()] ??
    ({ TTY_OP_ISPEED: 128, TTY_OP_OSPEED: 129, CS7: 90, CS8: 91, PARENB: 92, PARODD: 93, ONOCR: 74, ONLRET: 75 } as Record<string, number>)[key.toUpperCase()];
  if (n === undefined) throw new SshError('INVAL', `Invalid pty mode key '${key}'`);
  return n;
}

/** libssh2: positive sizes are characters, negative ones pixels. */
function dims(width = 80, height = 24): { cols?: number; rows?: number; width?: number; height?: number } {
  const d: { cols?: number; rows?: number; width?: number; height?: number } = {};
  if (width < 0) {
    d.cols = 0;
    d.width = -width;
  } else d.cols = width;
  if (height < 0) {
    d.rows = 0;
    d.height = -height;
  } else d.rows = height;
  return d;
}
