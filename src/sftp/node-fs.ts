/** LocalFs over node:fs (Node-only; the SFTP core never imports this). */
import { open, rename, stat, unlink, chmod, utimes } from 'node:fs/promises';
import type { LocalFile, LocalFs, LocalStat } from './local.js';

const FLAGS = { read: 'r', write: 'w', update: 'a+' } as const;

/** The local filesystem through node:fs, the default of SFTP transfers on Node. */
export const nodeLocalFs: LocalFs = {
  async open(path, mode): Promise<LocalFile> {
    // 'update' must write at explicit offsets: open r+ (creating the file first if needed).
    const fh =
      mode === 'update'
        ? await open(path, 'a')
            .then((h) => h.close())
            .then(() => open(path, 'r+'))
        : await open(path, FLAGS[mode]);
    return {
      async read(buffer, position) {
        const { bytesRead } = await fh.read(buffer, 0, buffer.length, position);
        return bytesRead;
      },
      async readv(buffers, position) {
        const { bytesRead } = await fh.readv(buffers, position);
        return bytesRead;
      },
      async write(data, position) {
        let off = 0;
        while (off < data.length) {
          const { bytesWritten } = await fh.write(data, off, data.length - off, position + off);
          off += bytesWritten;
        }
      },
      async writev(chunks, position) {
        let total = 0;
        for (const c of chunks) total += c.length;
        const { bytesWritten } = await fh.writev(chunks, position);
        if (bytesWritten === total) return;
        // A short writev (rare): finish the rest chunk by chunk.
        let skip = bytesWritten;
        let pos = position + bytesWritten;
        for (const c of chunks) {
          if (skip >= c.length) {
            skip -= c.length;
            continue;
          }
          const rest = c.subarray(skip);
          skip = 0;
          let off = 0;
          while (off < rest.length) {
            const r = await fh.write(rest, off, rest.length - off, pos);
            off += r.bytesWritten;
            pos += r.bytesWritten;
          }
        }
      },
      close: () => fh.close(),
    };
  },
  async stat(path): Promise<LocalStat | null> {
    try {
      const s = await stat(path);
      return { size: s.size, mode: s.mode, atime: Math.floor(s.atimeMs / 1000), mtime: Math.floor(s.mtimeMs / 1000) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  },
  rename: (from, to) => rename(from, to),
  unlink: (path) => unlink(path),
  chmod: (path, mode) => chmod(path, mode),
  utimes: (path, atime, mtime) => utimes(path, atime, mtime),
};
