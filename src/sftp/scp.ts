/**
 * SCP over exec: the remote `scp -t` (sink) and `scp -f` (source) protocol that OpenSSH's
 * scp has always spoken. One file per call, with mode and, with `preserve`, times (-p).
 * Every control message is acknowledged by one byte: 0 = ok, 1 = warning, 2 = fatal, the
 * latter two followed by a message line, which becomes an ScpError.
 */
import { SshError } from '../errors.js';
import { concatBytes } from '../wire/writer.js';
import type { Channel } from '../connection/channel.js';
import type { LocalFs } from './local.js';
import { encodeEntry, encodeTimes, parseRecord, ScpError, ScpInput, SCP_OK } from './scp-protocol.js';

export { ScpError } from './scp-protocol.js';

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
  private readonly input: ScpInput;
  private stderrText = '';
  private readonly stderrDone: Promise<void>;

  /** `releaseSunk`: the file's bytes go to a sink that keeps no views (ScpInput.exactly) */
  constructor(
    readonly ch: Channel,
    releaseSunk = false,
  ) {
    this.input = new ScpInput(() => ch.read(), releaseSunk ? (chunk) => ch.release(chunk) : undefined);
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

  byte(): Promise<number | null> {
    return this.input.byte();
  }

  /** A line with its "\n" (at most 64 KiB). */
  async rawLine(): Promise<Uint8Array> {
    const l = await this.input.line(65536);
    if (l === null) throw await this.failure('remote scp closed the channel mid-line');
    if (l[l.length - 1] !== 0x0a) throw new ScpError('remote scp sent an over-long control line');
    return l;
  }

  /** A line without its "\n". */
  async line(): Promise<string> {
    const l = await this.rawLine();
    return utf8d.decode(l.subarray(0, l.length - 1));
  }

  /** Exactly `n` bytes, handed to `sink` as they arrive. */
  async exactly(n: number, sink: (chunk: Uint8Array) => void | Promise<void>): Promise<void> {
    const left = await this.input.exactly(n, sink);
    if (left > 0) throw await this.failure(`remote scp closed the channel with ${left} bytes of the file unsent`);
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

/**
 * Download one file with `scp -f`; its bytes go to `sink` in order. `sinkKeepsNoViews`: the
 * sink is done with each chunk once its promise settles (it writes the bytes out), so the
 * chunk's memory may be freed then rather than at the next garbage collection.
 */
export async function scpGet(
  host: ScpHost,
  remote: string,
  sink: (chunk: Uint8Array) => void | Promise<void>,
  options: { preserve?: boolean; sinkKeepsNoViews?: boolean } = {},
): Promise<ScpFileInfo> {
  const s = new ScpStream(await host.exec(`scp -f ${options.preserve ? '-p ' : ''}${shellQuote(remote)}`), options.sinkKeepsNoViews);
  try {
    let times: { mtime: number; atime: number } | undefined;
    await s.ch.write(SCP_OK);
    for (;;) {
      const b = await s.byte();
      if (b === null) throw await s.failure(`remote scp sent no file for ${remote}`);
      const line = await s.rawLine();
      const rec = parseRecord(concatBytes(Uint8Array.of(b), line));
      if (rec.kind === 'warning' || rec.kind === 'fatal') {
        const msg = utf8d.decode(rec.message);
        throw new ScpError(`remote scp: ${msg}`, msg);
      }
      if (rec.kind === 'T') {
        times = { mtime: rec.mtime, atime: rec.atime };
        await s.ch.write(SCP_OK);
        continue;
      }
      if (rec.kind === 'other') throw new ScpError(`remote scp sent an unknown control line "${utf8d.decode(rec.line)}"`);
      if (rec.kind !== 'C') throw new ScpError(`${remote} is a directory: recursive SCP is not supported`);
      const info: ScpFileInfo = { mode: rec.mode, size: rec.size, name: utf8d.decode(rec.name), ...times };
      await s.ch.write(SCP_OK);
      await s.exactly(info.size, sink);
      await s.ack();
      await s.ch.write(SCP_OK);
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
      await s.ch.write(encodeTimes(options.mtime ?? now, options.atime ?? now));
      await s.ack();
    }
    const base = remote.replace(/\/+$/, '').split('/').pop() || 'file';
    await s.ch.write(encodeEntry('C', options.mode ?? 0o644, size, utf8.encode(base)));
    await s.ack();
    let sent = 0;
    const chunks = source instanceof Uint8Array ? [source] : source;
    for await (const c of chunks) {
      if (sent + c.length > size) throw new SshError('INVAL', `SCP source gave more than the announced ${size} bytes`);
      await s.ch.write(c);
      sent += c.length;
    }
    if (sent !== size) throw new SshError('INVAL', `SCP source gave ${sent} bytes, ${size} announced`);
    await s.ch.write(SCP_OK);
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
      { ...options, sinkKeepsNoViews: true },
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
