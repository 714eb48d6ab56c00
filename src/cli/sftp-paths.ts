/**
 * Paths as OpenSSH's sftp handles them: remote paths appended to the working directory without
 * normalising (sftp.c), and local files named by their bytes.
 */
import type { LocalFs } from '../sftp/local.js';
import { encodeName } from '../sftp/names.js';
import { nodeLocalFs } from '../sftp/node-fs.js';

/**
 * Local files by their bytes: a name with undecodable bytes (U+DC80..U+DCFF in the string)
 * goes to node:fs as a Buffer, which node:fs takes wherever it takes a path.
 */
function fsPath(p: string): string {
  return /[\uD800-\uDFFF]/.test(p) ? (Buffer.from(encodeName(p)) as unknown as string) : p;
}

export const byteNamedFs: LocalFs = {
  open: (p, mode) => nodeLocalFs.open(fsPath(p), mode),
  stat: (p) => nodeLocalFs.stat(fsPath(p)),
  rename: (a, b) => nodeLocalFs.rename(fsPath(a), fsPath(b)),
  unlink: (p) => nodeLocalFs.unlink(fsPath(p)),
  chmod: (p, mode) => nodeLocalFs.chmod(fsPath(p), mode),
  utimes: (p, atime, mtime) => nodeLocalFs.utimes(fsPath(p), atime, mtime),
};

/** sftp.c path_append: no separator doubled, nothing normalised. */
export function pathAppend(p1: string, p2: string): string {
  return p1.endsWith('/') || p1 === '' ? p1 + p2 : `${p1}/${p2}`;
}

export function makeAbsolute(p: string, pwd: string): string {
  return p.startsWith('/') ? p : pathAppend(pwd, p);
}

/** sftp.c path_strip: `path` without the leading `strip` directory. */
export function pathStrip(path: string, strip: string | null): string {
  if (strip === null || !path.startsWith(strip)) return path;
  let len = strip.length;
  if (!strip.endsWith('/') && path[len] === '/') len++;
  return path.slice(len);
}

/** basename(3): the last component, trailing slashes ignored. */
export function baseName(p: string): string {
  const t = p.replace(/\/+$/, '');
  return t === '' ? (p === '' ? '.' : '/') : t.slice(t.lastIndexOf('/') + 1);
}
