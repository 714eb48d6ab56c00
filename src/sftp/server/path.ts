/**
 * Byte paths for the server side: splitting, joining, and the canonicalization OpenSSH's
 * sftp-server does (sftp-realpath.c, OpenBSD realpath(3)): components resolved left to
 * right, `.` and `..` handled by name, symlinks followed (absolute targets restart from the
 * root) up to a loop limit, and a missing last component allowed.
 */
import { FsError } from './fs.js';

const SLASH = 0x2f;

export const utf8 = new TextEncoder();

/** Components of a path (empty ones, from `//` or a trailing `/`, dropped). */
export function splitPath(p: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i <= p.length; i++) {
    if (i === p.length || p[i] === SLASH) {
      if (i > start) out.push(p.subarray(start, i));
      start = i + 1;
    }
  }
  return out;
}

/** "/" followed by the components joined with "/". */
export function joinAbsolute(parts: readonly Uint8Array[]): Uint8Array {
  let n = parts.length === 0 ? 1 : 0;
  for (const p of parts) n += p.length + 1;
  const out = new Uint8Array(n);
  out[0] = SLASH;
  let off = 0;
  for (const p of parts) {
    out[off++] = SLASH;
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export const isAbsolute = (p: Uint8Array): boolean => p.length > 0 && p[0] === SLASH;

const isDot = (c: Uint8Array): boolean => c.length === 1 && c[0] === 0x2e;
const isDotDot = (c: Uint8Array): boolean => c.length === 2 && c[0] === 0x2e && c[1] === 0x2e;

/** The most symlinks one resolution follows (Linux's MAXSYMLINKS is 40). */
export const MAX_SYMLINKS = 40;

/** What resolve() asks of a file system: the kind of an entry, and a link's target. */
export interface ResolveOps {
  /** 'link', 'dir', 'other', or null if it does not exist (an ENOTDIR parent throws). */
  kind(parts: readonly Uint8Array[]): Promise<'link' | 'dir' | 'other' | null>;
  readlink(parts: readonly Uint8Array[]): Promise<Uint8Array>;
}

/**
 * Resolve `path` (relative to `cwd`) to canonical components under a root, as realpath
 * does. `followLast` false leaves a final symlink unresolved (for lstat, remove, rename).
 * `allowMissingLast` lets the last component not exist (realpath, create). Never climbs
 * above the root: `..` at the root stays at the root, as in a chroot.
 */
export async function resolvePath(
  path: Uint8Array,
  cwd: readonly Uint8Array[],
  ops: ResolveOps,
  followLast: boolean,
  allowMissingLast = true,
): Promise<Uint8Array[]> {
  if (path.includes(0)) throw new FsError('EINVAL', 'path contains a NUL byte');
  const resolved: Uint8Array[] = isAbsolute(path) ? [] : [...cwd];
  let left = splitPath(path);
  let links = 0;
  while (left.length > 0) {
    const c = left[0]!;
    left = left.slice(1);
    if (isDot(c)) continue;
    if (isDotDot(c)) {
      resolved.pop();
      continue;
    }
    resolved.push(c);
    const last = left.length === 0;
    const kind = await ops.kind(resolved);
    if (kind === null) {
      if (last && allowMissingLast) return resolved;
      throw new FsError('ENOENT', 'no such file or directory');
    }
    if (kind === 'link' && (!last || followLast)) {
      if (++links > MAX_SYMLINKS) throw new FsError('ELOOP', 'too many levels of symbolic links');
      const target = await ops.readlink(resolved);
      resolved.pop();
      if (isAbsolute(target)) resolved.length = 0;
      left = [...splitPath(target), ...left];
      continue;
    }
    if (kind !== 'dir' && !last) throw new FsError('ENOTDIR', 'not a directory');
  }
  return resolved;
}
