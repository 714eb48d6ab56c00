/**
 * The server side of SCP: what `scp -t` (sink: receive files) and `scp -f` (source: send
 * files) do at the remote end of OpenSSH's scp -O, served over a byte stream from any
 * SftpFileSystem, so no scp binary is needed. The behaviour is that of OpenSSH's scp.c
 * (source(), rsource(), sink()) when it runs remotely: failures go back to the client as
 * "\x01scp: <path>: <strerror>\n" warnings, which the client prints, and the status is 1
 * if there was any; a malformed record ends the session with "protocol error: <why>".
 */
import type { ByteStream } from '../../transport/stream.js';
import { S_IF } from '../constants.js';
import { encodeName } from '../names.js';
import {
  encodeEntry,
  encodeFailure,
  encodeTimes,
  parseRecord,
  SCP_END,
  SCP_MAX_RECORD,
  SCP_OK,
  ScpInput,
  ScpRecordError,
  type ScpRecord,
} from '../scp-protocol.js';
import { FsError, type FsFile, type FsSetAttrs, type FsStats, type SftpFileSystem } from './fs.js';
import { strerrorOf } from './strerror.js';

/** Options of {@link serveScp}. */
export interface ScpServerOptions {
  /** Where scp's own diagnostics go: its usage message and, with -v, its trace lines. */
  stderr?: (text: string) => void;
}

/** scp's usage message (OpenSSH 9), printed for an option it does not know. */
const USAGE = `usage: scp [-346ABCOpqRrsTv] [-c cipher] [-D sftp_server_path] [-F ssh_config]
           [-i identity_file] [-J destination] [-l limit] [-o ssh_option]
           [-P port] [-S program] [-X sftp_option] source ... target
`;

/** scp's options: those followed by ':' take an argument (main()'s getopt string). */
const OPTIONS = '12346ABCTdfOpqRrstvD:F:J:M:P:S:c:i:l:o:X:';

/** Size of the reads of a file being sent. */
const CHUNK = 256 * 1024;
/** PATH_MAX: rsource() refuses longer paths. */
const PATH_MAX = 4096;
const SLASH = 0x2f;
const NL = 0x0a;

/** Control flow: the remote scp exit()s with this status. */
class Exit {
  constructor(readonly status: number) {}
}

interface Flags {
  from: boolean;
  to: boolean;
  recursive: boolean;
  preserve: boolean;
  mustBeDir: boolean;
  verbose: boolean;
}

/** getopt(3) over scp's option string; null for an unknown option or a missing argument. */
function parseArgs(args: readonly string[]): { flags: Flags; paths: string[] } | null {
  const flags: Flags = { from: false, to: false, recursive: false, preserve: false, mustBeDir: false, verbose: false };
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (a.length < 2 || a[0] !== '-') break;
    for (let k = 1; k < a.length; k++) {
      const c = a[k]!;
      const at = OPTIONS.indexOf(c);
      if (c === ':' || at < 0) return null;
      if (OPTIONS[at + 1] === ':') {
        // The argument is the rest of this word or the next word; remote scp ignores it.
        if (k === a.length - 1 && ++i >= args.length) return null;
        break;
      }
      if (c === 'f') flags.from = true;
      else if (c === 't') flags.to = true;
      else if (c === 'r') flags.recursive = true;
      else if (c === 'p') flags.preserve = true;
      else if (c === 'd') flags.mustBeDir = true;
      else if (c === 'v') flags.verbose = true;
    }
  }
  return { flags, paths: args.slice(i) };
}

const ascii = new TextEncoder();
const text = new TextDecoder();

function bytesOf(...parts: (string | Uint8Array)[]): Uint8Array {
  const chunks = parts.map((p) => (typeof p === 'string' ? ascii.encode(p) : p));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** `dir/name` (no doubled slash after "/"), as sink() builds a target inside a directory. */
function join(dir: Uint8Array, name: Uint8Array): Uint8Array {
  return dir.length === 1 && dir[0] === SLASH ? bytesOf(dir, name) : bytesOf(dir, '/', name);
}

/** What follows the last "/" (the whole path if none). */
function lastComponent(path: Uint8Array): Uint8Array {
  return path.subarray(path.lastIndexOf(SLASH) + 1);
}

/** strnvis(3) with VIS_NL, as source() shows a name holding a newline (openbsd-compat/vis.c). */
function visNewlines(name: Uint8Array): Uint8Array {
  const out: number[] = [];
  const put = (s: string): void => void out.push(...ascii.encode(s));
  for (const c of name) {
    if ((c > 0x20 && c < 0x7f) || c === 0x20 || c === 0x09) {
      if (c === 0x5c) out.push(0x5c);
      out.push(c);
    } else if ((c & 0x7f) === 0x20) put(`\\${c.toString(8).padStart(3, '0')}`);
    else {
      out.push(0x5c);
      const low = c & 0x7f;
      if (c & 0x80) out.push(0x4d);
      if (low < 0x20 || low === 0x7f) put(low === 0x7f ? '^?' : `^${String.fromCharCode(low + 0x40)}`);
      else put(`-${String.fromCharCode(low)}`);
    }
  }
  return Uint8Array.from(out);
}

const isDir = (st: FsStats): boolean => (st.mode & S_IF.MT) === S_IF.DIR;
const isReg = (st: FsStats): boolean => (st.mode & S_IF.MT) === S_IF.REG;

/** One scp -t or scp -f run. */
class ScpSession {
  private readonly input: ScpInput;
  private errs = 0;
  /** note_err(): the first failure while a file is written, reported after its data */
  private noted: Uint8Array | null = null;

  constructor(
    private readonly stream: ByteStream,
    private readonly fs: SftpFileSystem,
    private readonly flags: Flags,
    private readonly stderr: (text: string) => void,
  ) {
    // A failing stream is a lost client: lostconn() exits 1.
    this.input = new ScpInput(() =>
      stream.read().catch(() => {
        throw new Exit(1);
      }),
    );
  }

  get status(): number {
    return this.errs !== 0 ? 1 : 0;
  }

  async send(b: Uint8Array): Promise<void> {
    try {
      await this.stream.write(b);
    } catch {
      throw new Exit(1);
    }
  }

  private trace(line: string): void {
    if (this.flags.verbose) this.stderr(line);
  }

  /** run_err(): count the failure and send it to the client as a warning. */
  async runErr(...parts: (string | Uint8Array)[]): Promise<void> {
    this.errs++;
    await this.send(encodeFailure('warning', bytesOf('scp: ', ...parts)));
  }

  /** note_err(): keep the first failure of a file for after its data. */
  private note(...parts: (string | Uint8Array)[]): void {
    this.errs++;
    this.noted ??= bytesOf(...parts);
  }

  /** response(): the client's acknowledgement; 0 ok, -1 a warning; a fatal one or the end of input exits. */
  async response(): Promise<number> {
    const b = await this.input.byte();
    if (b === null) throw new Exit(1);
    if (b === 0) return 0;
    // Anything else is an error whose line ends at the next newline (or where the buffer ends).
    if ((await this.input.line(SCP_MAX_RECORD - 1)) === null) throw new Exit(1);
    this.errs++;
    if (b === 2) throw new Exit(1);
    return -1;
  }

  // ---- scp -f ----

  async source(paths: readonly Uint8Array[]): Promise<void> {
    for (const path of paths) {
      let len = path.length;
      while (len > 1 && path[len - 1] === SLASH) len--;
      await this.sendPath(path.subarray(0, len));
    }
  }

  private async sendPath(path: Uint8Array): Promise<void> {
    const name = path.includes(NL) ? visNewlines(path) : path;
    let st: FsStats;
    try {
      st = await this.fs.stat(path);
    } catch (e) {
      return this.runErr(name, `: ${strerrorOf(e)}`);
    }
    if (isDir(st)) {
      if (this.flags.recursive) return this.sendDirectory(path, name, st);
      // open(2) of a directory for reading fails without read permission: that comes first.
      try {
        await (await this.fs.opendir(path)).close();
      } catch (e) {
        return this.runErr(name, `: ${strerrorOf(e)}`);
      }
    }
    if (!isReg(st)) return this.runErr(name, ': not a regular file');
    let file: FsFile;
    try {
      file = await this.fs.open(path, { read: true, write: false, append: false, create: false, truncate: false, exclusive: false }, 0);
    } catch (e) {
      return this.runErr(name, `: ${strerrorOf(e)}`);
    }
    try {
      await this.sendFile(file, name, await file.stat().catch(() => st));
    } finally {
      await file.close().catch(() => {});
    }
  }

  private async sendTimes(st: FsStats): Promise<boolean> {
    if (!this.flags.preserve) return true;
    const rec = encodeTimes(st.mtime, st.atime);
    this.trace(`File mtime ${st.mtime} atime ${st.atime}\nSending file timestamps: ${text.decode(rec)}`);
    await this.send(rec);
    return (await this.response()) === 0;
  }

  private async sendFile(file: FsFile, name: Uint8Array, st: FsStats): Promise<void> {
    if (!(await this.sendTimes(st))) return;
    const rec = encodeEntry('C', st.mode, st.size, lastComponent(name));
    this.trace(`Sending file modes: ${text.decode(rec)}`);
    await this.send(rec);
    if ((await this.response()) < 0) return;
    // The announced size is sent whatever happens; after a read failure, zeros (scp.c: "Keep
    // writing after error to retain sync") and then the failure instead of the final 0.
    const read: { failure: string | null } = { failure: null };
    const readAt = async (pos: number): Promise<Uint8Array> => {
      const buf = new Uint8Array(Math.min(CHUNK, st.size - pos));
      if (read.failure !== null) return buf;
      let got = 0;
      try {
        while (got < buf.length) {
          const n = await file.read(buf.subarray(got), pos + got);
          // A file that shrank: atomicio() reports the short read as EPIPE.
          if (n === 0) throw Object.assign(new Error('short read'), { code: 'EPIPE' });
          got += n;
        }
      } catch (e) {
        read.failure = strerrorOf(e);
        buf.fill(0, got);
      }
      return buf;
    };
    let pos = 0;
    let next = pos < st.size ? readAt(pos) : null;
    while (next) {
      const chunk = await next;
      pos += chunk.length;
      next = pos < st.size ? readAt(pos) : null;
      await this.send(chunk);
    }
    if (read.failure === null) await this.send(SCP_OK);
    else await this.runErr(name, `: ${read.failure}`);
    await this.response();
  }

  private async sendDirectory(path: Uint8Array, name: Uint8Array, st: FsStats): Promise<void> {
    let dir;
    try {
      dir = await this.fs.opendir(path);
    } catch (e) {
      return this.runErr(name, `: ${strerrorOf(e)}`);
    }
    try {
      if (!(await this.sendTimes(st))) return;
      // "%.1024s": the name is cut at 1024 bytes
      const rec = encodeEntry('D', st.mode, 0, lastComponent(name).subarray(0, 1024));
      this.trace(`Entering directory: ${text.decode(rec)}`);
      await this.send(rec);
      if ((await this.response()) < 0) return;
      for (;;) {
        // readdir(3) failing ends the listing, as it does for rsource()
        const batch = await dir.read(128).catch(() => null);
        if (batch === null) break;
        for (const e of batch) {
          const n = text.decode(e.name);
          if (n === '.' || n === '..') continue;
          if (path.length + 1 + e.name.length >= PATH_MAX - 1) {
            await this.runErr(path, '/', e.name, ': name too long');
            continue;
          }
          await this.sendPath(bytesOf(path, '/', e.name));
        }
      }
    } finally {
      await dir.close().catch(() => {});
    }
    await this.send(SCP_END);
    await this.response();
  }

  // ---- scp -t ----

  /** verifydir(): the target must be a directory, else the run ends. */
  async verifyDirectory(target: Uint8Array): Promise<void> {
    let why = 'Not a directory';
    try {
      if (isDir(await this.fs.stat(target))) return;
    } catch (e) {
      why = strerrorOf(e);
    }
    await this.runErr(target, `: ${why}`);
    throw new Exit(1);
  }

  /** The next record, or null at the end of the input; a malformed one ends the run. */
  private async record(): Promise<ScpRecord | null> {
    const first = await this.input.byte();
    if (first === null) return null;
    const rest = first === NL ? new Uint8Array(0) : await this.input.line(SCP_MAX_RECORD - 1);
    if (rest === null) return this.screwup('lost connection');
    const line = bytesOf(Uint8Array.of(first), rest);
    this.trace(`Sink: ${text.decode(line)}`);
    try {
      return parseRecord(line);
    } catch (e) {
      if (!(e instanceof ScpRecordError)) throw e;
      await this.runErr(e.text);
      throw new Exit(1);
    }
  }

  private async screwup(why: string): Promise<never> {
    await this.runErr(`protocol error: ${why}`);
    throw new Exit(1);
  }

  async sink(target: Uint8Array): Promise<void> {
    if (this.flags.mustBeDir) await this.verifyDirectory(target);
    await this.send(SCP_OK);
    const targetIsDir = await this.fs.stat(target).then(isDir, () => false);
    let times: { atime: number; mtime: number } | null = null;
    for (let first = true; ; first = false) {
      const rec = await this.record();
      if (rec === null) return;
      switch (rec.kind) {
        case 'warning':
          this.errs++;
          continue;
        case 'fatal':
          throw new Exit(1);
        case 'E':
          await this.send(SCP_OK);
          return;
        case 'T':
          times = rec.valid ? { atime: rec.atime, mtime: rec.mtime } : null;
          await this.send(SCP_OK);
          continue;
        case 'other':
          // The first line may be the remote shell's own complaint ("No match."): pass it on.
          if (first) {
            await this.runErr(rec.line);
            throw new Exit(1);
          }
          return this.screwup('expected control record');
        case 'C':
        case 'D': {
          const path = targetIsDir ? join(target, rec.name) : target;
          // Without -p, set-id and sticky bits are dropped; the file system applies its umask.
          const mode = this.flags.preserve ? rec.mode : rec.mode & 0o777;
          const existing = await this.fs.stat(path).catch(() => null);
          // Times are used up by the entry they were applied to; after a failure they stay for the next.
          const used =
            rec.kind === 'D' ? await this.receiveDirectory(path, mode, existing, times) : await this.receiveFile(path, mode, rec.size, existing, times);
          if (used) times = null;
          continue;
        }
      }
    }
  }

  /** A D record: create or reuse the directory and receive into it; true if `times` were applied. */
  private async receiveDirectory(path: Uint8Array, mode: number, existing: FsStats | null, times: FsSetAttrs | null): Promise<boolean> {
    if (!this.flags.recursive) return this.screwup('received directory without -r');
    let finalMode: number | null = null;
    if (existing) {
      if (!isDir(existing)) {
        await this.runErr(path, ': Not a directory');
        return false;
      }
      if (this.flags.preserve) {
        await this.fs.setstat(path, { mode }).catch(() => {});
        finalMode = mode;
      }
    } else {
      try {
        // Created writable so that a read-only directory's files can be written into it.
        await this.fs.mkdir(path, mode | 0o700);
        // Without -p the umask applies to the final mode too: take it from what mkdir made.
        finalMode = this.flags.preserve ? mode : (await this.fs.stat(path)).mode & 0o777 & ~(0o700 & ~mode);
      } catch (e) {
        await this.runErr(path, `: ${strerrorOf(e)}`);
        return false;
      }
    }
    await this.sink(path);
    if (times) await this.fs.setstat(path, { atime: times.atime, mtime: times.mtime }).catch(() => {});
    if (finalMode !== null) await this.fs.setstat(path, { mode: finalMode }).catch(() => {});
    return times !== null;
  }

  /** A C record: write the file's data to `path`; true if `times` were applied. */
  private async receiveFile(path: Uint8Array, mode: number, size: number, existing: FsStats | null, times: FsSetAttrs | null): Promise<boolean> {
    let file: FsFile;
    try {
      // open(2) of "name/" (the file systems here ignore a trailing slash): EISDIR if it does not exist, else ENOTDIR
      if (path[path.length - 1] === SLASH && !(existing && isDir(existing))) throw new FsError(existing ? 'ENOTDIR' : 'EISDIR');
      file = await this.fs.open(path, { read: false, write: true, append: false, create: true, truncate: false, exclusive: false }, mode | 0o200);
    } catch (e) {
      await this.runErr(path, `: ${strerrorOf(e)}`);
      return false;
    }
    const written = { failed: false };
    try {
      await this.send(SCP_OK);
      let pos = 0;
      // Written as it arrives: the announced size is never buffered. After a failed write the
      // data is still read, to stay in step with the client.
      const missing = await this.input.exactly(size, async (chunk) => {
        const at = pos;
        pos += chunk.length;
        if (written.failed) return;
        try {
          await file.write(chunk, at);
        } catch (e) {
          this.note(path, `: ${strerrorOf(e)}`);
          written.failed = true;
        }
      });
      if (missing > 0) {
        // atomicio() saw the end of the input: EPIPE.
        await this.runErr('Broken pipe');
        throw new Exit(1);
      }
      if (!written.failed && (!existing || isReg(existing))) {
        await file.setstat({ size }).catch((e: unknown) => this.note(path, `: truncate: ${strerrorOf(e)}`));
      }
      await this.applyMode(file, path, mode, existing);
    } finally {
      await file.close().catch((e: unknown) => this.note(path, `: close: ${strerrorOf(e)}`));
    }
    await this.response();
    const timesUsed = times !== null && !written.failed;
    if (timesUsed) {
      await this.fs.setstat(path, { atime: times.atime, mtime: times.mtime }).catch((e: unknown) => this.note(path, `: set times: ${strerrorOf(e)}`));
    }
    const noted = this.noted;
    this.noted = null;
    if (noted === null) await this.send(SCP_OK);
    else await this.runErr(noted);
    return timesUsed;
  }

  /** The mode of a received file: exact with -p; without, only a new file's, less the umask. */
  private async applyMode(file: FsFile, path: Uint8Array, mode: number, existing: FsStats | null): Promise<void> {
    try {
      if (this.flags.preserve) await file.setstat({ mode });
      else if (!existing && (mode & 0o200) === 0) {
        // Created with u+w so that it could be written; drop it, keeping what the umask left.
        await file.setstat({ mode: (await file.stat()).mode & 0o7777 & ~0o200 });
      }
    } catch (e) {
      this.note(path, `: set mode: ${strerrorOf(e)}`);
    }
  }
}

/**
 * Serve one `scp -t` (receive files into `fs`) or `scp -f` (send files from `fs`) run, as
 * OpenSSH's scp does at the remote end of `scp -O`; resolves with the exit status to report
 * (0, or 1 if anything failed). `args` are the command's words after the program name, e.g.
 * `['-r', '-p', '-t', '--', 'dir']` ({@link parseScpCommand} splits an exec request's
 * command line); a leading `scp` word is skipped. Paths are taken literally (no shell runs:
 * no globs, `~` or variables), relative to the file system's start directory; strings
 * carry undecodable bytes as U+DC80..U+DCFF ({@link encodeName}). The stream is not closed.
 *
 * @example
 * ```ts
 * const fs = new MemoryFs();
 * const status = await serveScp(stream, fs, ['-t', '.']);
 * ```
 */
export async function serveScp(stream: ByteStream, fs: SftpFileSystem, args: readonly string[], options: ScpServerOptions = {}): Promise<number> {
  const stderr = options.stderr ?? ((): void => {});
  const head = args.at(0);
  const words = head === 'scp' || head?.endsWith('/scp') ? args.slice(1) : args;
  const parsed = parseArgs(words);
  if (!parsed || !(parsed.flags.from || parsed.flags.to)) {
    stderr(USAGE);
    return 1;
  }
  const { flags } = parsed;
  const paths = parsed.paths.map((p) => encodeName(p));
  const session = new ScpSession(stream, fs, flags, stderr);
  try {
    if (flags.from) {
      await session.response();
      await session.source(paths);
    } else {
      if (paths.length !== 1) {
        await session.runErr('ambiguous target');
        return 1;
      }
      await session.sink(paths[0]!);
    }
    return session.status;
  } catch (e) {
    if (e instanceof Exit) return e.status;
    throw e;
  }
}
