/**
 * Net::SSH2::File: an open remote file with a position (read/write advance it, seek/tell
 * move it). Reads return the data; an empty array means end of file (Perl's 0).
 */
import type { SftpFile } from '../sftp/file.js';
import { fromPairs, toStatHash, type StatHash } from './attrs.js';
import { format } from './node-io.js';
import { byteString, toBytes } from './state.js';
import { concatBytes } from '../wire/writer.js';
import type { SFTP } from './sftp.js';

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

/** Net::SSH2::File: an open remote file, also usable as a tied filehandle. */
export class File {
  /** @internal made by SFTP.open */
  constructor(
    private readonly sftp: SFTP,
    readonly core: SftpFile,
  ) {}

  /** Up to `size` bytes from the current position; empty at EOF; undefined on error. */
  read(size: number): Promise<Uint8Array | undefined> {
    return this.sftp._run(this, 'read', [size], async () => (await this.core.read(size)) ?? new Uint8Array(0));
  }

  /** Write at the current position; resolves the bytes accepted. */
  write(buffer: string | Uint8Array): Promise<number | undefined> {
    const data = toBytes(buffer);
    return this.sftp._run(this, 'write', [data], () => this.core.write(data).then(() => data.length));
  }

  /** Net::SSH2::File's `stat`. */
  stat(): Promise<StatHash | undefined> {
    return this.sftp._run(this, 'stat', [], async () => toStatHash(await this.core.stat()));
  }

  /** Net::SSH2::File's `setstat`. */
  setstat(...attrs: unknown[]): Promise<true | undefined> {
    return this.sftp._run(this, 'setstat', [attrs], () => this.core.setstat(fromPairs(attrs)).then(() => true as const));
  }

  /** Net::SSH2::File's `seek`. */
  seek(offset: number): true {
    this.core.seek(offset);
    return true;
  }

  /** Net::SSH2::File's `tell`. */
  tell(): number {
    return this.core.tell();
  }

  /** One byte as a one-character string; undefined at EOF or on error. */
  async getc(): Promise<string | undefined> {
    const c = await this.read(1);
    return c && c.length ? byteString(c) : undefined;
  }

  /** The next line including `eol` (default "\n"), decoded as UTF-8; undefined at EOF. */
  async readline(eol = '\n'): Promise<string | undefined> {
    const all = await this.sftp._run(this, 'readline', [eol], async () => {
      const marker = utf8.encode(eol);
      const parts: Uint8Array[] = [];
      for (;;) {
        const start = this.core.tell();
        const c = await this.core.read(4096);
        if (!c || c.length === 0) break;
        const at = marker.length ? indexOf(concatBytes(...parts.slice(-1), c), marker) : -1;
        if (at >= 0) {
          // Keep the line, step the position back to just after the marker.
          const prevLen = parts.length ? parts[parts.length - 1]!.length : 0;
          const cut = at + marker.length - prevLen;
          parts.push(c.subarray(0, cut));
          this.core.seek(start + cut);
          break;
        }
        parts.push(c);
      }
      return concatBytes(...parts);
    });
    return all?.length ? utf8d.decode(all) : undefined;
  }

  /** List context: all remaining lines. */
  async readline_list(eol = '\n'): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      const l = await this.readline(eol);
      if (l === undefined) return out;
      out.push(l);
    }
  }

  // ---- tie interface ----

  /** Tied filehandle `print`. */
  PRINT(...items: string[]): Promise<number | undefined> {
    return this.write(items.join(''));
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
    return this.readline();
  }

  /** Tied filehandle `getc`. */
  GETC(): Promise<string | undefined> {
    return this.getc();
  }

  /** Perl's CLOSE does nothing (the handle closes on destruction). */
  CLOSE(): void {}

  /** Tied filehandle `eof`. */
  EOF(): 0 {
    return 0;
  }

  /** Tied filehandle `binmode` (a no-op: data is bytes). */
  BINMODE(): 1 {
    return 1;
  }

  /** Close the handle (Perl does it when the object goes away). */
  DESTROY(): Promise<void> {
    return this.core.close().catch(() => {});
  }

  /** `while (<$fh>)`: the remaining lines. */
  async *[Symbol.asyncIterator](): AsyncGenerator<string> {
    for (;;) {
      const l = await this.readline();
      if (l === undefined) return;
      yield l;
    }
  }
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
