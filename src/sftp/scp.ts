/**
 * SCP over exec: the remote `scp -t` (sink) and `scp -f` (source) protocol that OpenSSH's
 * scp has always spoken. One file per call, with mode and, with `preserve`, times (-p).
 * Every control message is acknowledged by one byte: 0 = ok, 1 = warning, 2 = fatal, the
 * latter two followed by a message line, which becomes an ScpError.
 */
import { concatBytes } from '../wire/writer.js';
import { SshError } from '../errors.js';
import type { Channel } from '../connection/channel.js';
import type { LocalFs } from './local.js';

export class ScpError extends SshError {
  override name = 'ScpError';
  constructor(
    message: string,
    /** the remote scp's own message or stderr, if any */
    readonly remoteMessage = '',
  ) {
    super('SCP_PROTOCOL', message);
  }
}

/** A file as SCP transfers it: mode, size, times. */
export interface ScpFileInfo {
  size: number;
  /** permission bits (e.g. 0o644) */
  mode: number;
  /** seconds since the epoch, present with `preserve` */
  mtime?: number;
  atime?: number;
  /** the name the source announced */
  name: string;
}

/** What SCP needs from a client: exec a command on a new session channel. */
export interface ScpHost {
  /** Run the remote scp command on a new session channel. */
  exec(command: string): Promise<Channel>;
}

/** Quote for the remote POSIX shell. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

/** Buffered reads of bytes and lines from the channel, plus stderr collected on the side. */
class ScpStream {
  private buf: Uint8Array = new Uint8Array(0);
  private stderrText = '';
  private readonly stderrDone: Promise<void>;

  constructor(readonly ch: Channel) {
    this.stderrDone = (async () => {
      for (;;) {
        const c = await ch.readStderr().catch(() => null);
        if (c === null) return;
        if (this.stderrText.length < 8192) this.stderrText += utf8d.decode(c);
      }
    })();
  }

  async stderr(): Promise<string> {
    await this.stderrDone;
    return this.stderrText.trim();
  }

  private async fill(): Promise<boolean> {
    const c = await this.ch.read();
    if (c === null) return false;
    this.buf = this.buf.length === 0 ? c : concatBytes(this.buf, c);
    return true;
  }

  async byte(): Promise<number | null> {
    if (this.buf.length === 0 && !(await this.fill())) return null;
    const b = this.buf[0]!;
    this.buf = this.buf.subarray(1);
    return b;
  }

  /** A line without its "\n" (at most 64 KiB). */
  async line(): Promise<string> {
    for (;;) {
      const i = this.buf.indexOf(0x0a);
      if (i >= 0) {
        const s = utf8d.decode(this.buf.subarray(0, i));
        this.buf = this.buf.subarray(i + 1);
        return s;
      }
      if (this.buf.length > 65536) throw new ScpError('remote scp sent an over-long control line');
      if (!(await this.fill())) throw await this.failure('remote scp closed the channel mid-line');
    }
  }

  /** Exactly `n` bytes, handed to `sink` as they arrive. */
  async exactly(n: number, sink: (chunk: Uint8Array) => void | Promise<void>): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0 && !(await this.fill())) throw await this.failure(`remote scp closed the channel with ${left} bytes of the file unsent`);
      const take = Math.min(left, this.buf.length);
      const chunk = this.buf.subarray(0, take);
      this.buf = this.buf.subarray(take);
      left -= take;
      await sink(chunk);
    }
  }

  /** Read one acknowledgement; 1 and 2 throw with the remote message. */
  async ack(): Promise<void> {
    const b = await this.byte();
    if (b === 0) return;
    if (b === null) throw await this.failure('remote scp exited');
    if (b === 1 || b === 2) {
      const msg = await this.line();
      throw new ScpError(`remote scp: ${msg}`, msg);
    }
    throw new ScpError(`remote scp sent an unexpected byte 0x${b.toString(16)} instead of an acknowledgement`);
  }

  async failure(what: string): Promise<ScpError> {
    const err = await this.stderr();
    return new ScpError(err ? `${what}: ${err}` : what, err);
  }
}

/** Finish the exchange: EOF, wait for exit, and fail on a non-zero status. */
async function finish(s: ScpStream): Promise<void> {
  await s.ch.eof().catch(() => {});
  while ((await s.ch.read()) !== null) {
    /* drain */
  }
  const status = await s.ch.exit;
  if (status.code !== 0) throw await s.failure(`remote scp exited with ${status.code ?? `signal ${status.signal}`}`);
}

/** Download one file with `scp -f`; its bytes go to `sink` in order. */
export async function scpGet(
  host: ScpHost,
  remote: string,
  sink: (chunk: Uint8Array) => void | Promise<void>,
  options: { preserve?: boolean } = {},
): Promise<ScpFileInfo> {
  const s = new ScpStream(await host.exec(`scp -f ${options.preserve ? '-p ' : ''}${shellQuote(remote)}`));
  try {
    let times: { mtime: number; atime: number } | undefined;
    await s.ch.write(new Uint8Array([0]));
    for (;;) {
      const b = await s.byte();
      if (b === null) throw await s.failure(`remote scp sent no file for ${remote}`);
      if (b === 1 || b === 2) {
        const msg = await s.line();
        throw new ScpError(`remote scp: ${msg}`, msg);
      }
      const line = await s.line();
      const kind = String.fromCharCode(b);
      if (kind === 'T') {
        const m = /^(\d+) (\d+) (\d+) (\d+)$/.exec(line);
        if (!m) throw new ScpError(`remote scp sent a bad time line "T${line}"`);
        times = { mtime: Number(m[1]), atime: Number(m[3]) };
        await s.ch.write(new Uint8Array([0]));
        continue;
      }
      if (kind === 'D' || kind === 'E') throw new ScpError(`${remote} is a directory: recursive SCP is not supported`);
      if (kind !== 'C') throw new ScpError(`remote scp sent an unknown control line "${kind}${line}"`);
      const m = /^([0-7]{4}) (\d+) (.+)$/.exec(line);
      if (!m) throw new ScpError(`remote scp sent a bad file line "C${line}"`);
      const info: ScpFileInfo = { mode: parseInt(m[1]!, 8), size: Number(m[2]), name: m[3]!, ...times };
      if (!Number.isSafeInteger(info.size)) throw new ScpError(`remote scp announced an impossible size ${m[2]}`);
      await s.ch.write(new Uint8Array([0]));
      await s.exactly(info.size, sink);
      await s.ack();
      await s.ch.write(new Uint8Array([0]));
      await finish(s);
      await s.ch.close().catch(() => {});
      return info;
    }
  } catch (e) {
    // After a failure the remote scp may never close its side: do not wait for it.
    s.ch.closeNow();
    throw e;
  }
}

/** Options of {@link scpPut}. */
export interface ScpPutOptions {
  /** permission bits (default 0o644) */
  mode?: number;
  /** send times (scp -p); both default to now when only one is given */
  mtime?: number;
  atime?: number;
}

/** Upload `size` bytes from `source` to `remote` with `scp -t`. */
export async function scpPut(
  host: ScpHost,
  remote: string,
  source: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  size: number,
  options: ScpPutOptions = {},
): Promise<void> {
  if (!Number.isSafeInteger(size) || size < 0) throw new SshError('INVAL', `bad SCP size ${size}`);
  const preserve = options.mtime !== undefined || options.atime !== undefined;
  const s = new ScpStream(await host.exec(`scp -t ${preserve ? '-p ' : ''}${shellQuote(remote)}`));
  try {
    await s.ack();
    if (preserve) {
      const now = Math.floor(Date.now() / 1000);
      await s.ch.write(utf8.encode(`T${Math.floor(options.mtime ?? now)} 0 ${Math.floor(options.atime ?? now)} 0\n`));
      await s.ack();
    }
    const base = remote.replace(/\/+$/, '').split('/').pop() || 'file';
    if (/[\n]/.test(base)) throw new SshError('INVAL', 'SCP file names cannot contain a newline');
    const mode = (options.mode ?? 0o644) & 0o7777;
    await s.ch.write(utf8.encode(`C${mode.toString(8).padStart(4, '0')} ${size} ${base}\n`));
    await s.ack();
    let sent = 0;
    const chunks = source instanceof Uint8Array ? [source] : source;
    for await (const c of chunks) {
      if (sent + c.length > size) throw new SshError('INVAL', `SCP source gave more than the announced ${size} bytes`);
      await s.ch.write(c);
      sent += c.length;
    }
    if (sent !== size) throw new SshError('INVAL', `SCP source gave ${sent} bytes, ${size} announced`);
    await s.ch.write(new Uint8Array([0]));
    await s.ack();
    await finish(s);
  } catch (e) {
    // After a failure the remote scp may never close its side: do not wait for it.
    s.ch.closeNow();
    throw e;
  }
  await s.ch.close().catch(() => {});
}

/** A failure of the local file system as a typed error (a full disk, a missing directory). */
async function local<T>(what: string, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof SshError) throw e;
    throw new SshError('FILE', `local ${what}: ${(e as Error | undefined)?.message ?? String(e)}`, { cause: e });
  }
}

/** scpGet into a local file (written to "<path>.part", renamed on success). */
export async function scpGetFile(host: ScpHost, remote: string, localPath: string, fs: LocalFs, options: { preserve?: boolean } = {}): Promise<ScpFileInfo> {
  const temp = `${localPath}.part`;
  const out = await local(`open ${temp}`, fs.open(temp, 'write'));
  let pos = 0;
  let ok = false;
  try {
    const info = await scpGet(
      host,
      remote,
      async (c) => {
        await local(`write ${temp}`, out.write(c, pos));
        pos += c.length;
      },
      options,
    );
    await local(`close ${temp}`, out.close());
    await local(`chmod ${temp}`, fs.chmod(temp, info.mode));
    if (info.mtime !== undefined) await local(`utimes ${temp}`, fs.utimes(temp, info.atime ?? info.mtime, info.mtime));
    await local(`rename ${temp}`, fs.rename(temp, localPath));
    ok = true;
    return info;
  } finally {
    if (!ok) {
      await out.close().catch(() => {});
      await fs.unlink(temp).catch(() => {});
    }
  }
}

/** scpPut from a local file; `preserve` sends its mode and times. */
export async function scpPutFile(
  host: ScpHost,
  localPath: string,
  remote: string,
  fs: LocalFs,
  options: { preserve?: boolean; chunkSize?: number } = {},
): Promise<void> {
  const st = await local(`stat ${localPath}`, fs.stat(localPath));
  if (!st) throw new SshError('FILE', `local file ${localPath} does not exist`);
  const input = await local(`open ${localPath}`, fs.open(localPath, 'read'));
  const chunkSize = options.chunkSize ?? 256 * 1024;
  async function* source(): AsyncGenerator<Uint8Array> {
    let pos = 0;
    while (pos < st!.size) {
      const buf = new Uint8Array(Math.min(chunkSize, st!.size - pos));
      const n = await local(`read ${localPath}`, input.read(buf, pos));
      if (n === 0) return;
      pos += n;
      yield buf.subarray(0, n);
    }
  }
  try {
    await scpPut(host, remote, source(), st.size, options.preserve ? { mode: st.mode, mtime: st.mtime, atime: st.atime } : { mode: st.mode });
  } finally {
    await input.close().catch(() => {});
  }
}
