/**
 * C's strerror() wording for errno names (glibc's texts), for messages that OpenSSH's
 * tools print or send with them: scp's "scp: path: No such file or directory".
 */

const STRERROR: Readonly<Record<string, string>> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  EIO: 'Input/output error',
  EBADF: 'Bad file descriptor',
  EACCES: 'Permission denied',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  EXDEV: 'Invalid cross-device link',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EINVAL: 'Invalid argument',
  EMFILE: 'Too many open files',
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  EPIPE: 'Broken pipe',
  ENAMETOOLONG: 'File name too long',
  ENOSYS: 'Function not implemented',
  ENOTEMPTY: 'Directory not empty',
  ELOOP: 'Too many levels of symbolic links',
};

/** The strerror() text of an errno name, or undefined for a name not listed. */
export function errnoText(code: string): string | undefined {
  return STRERROR[code];
}

/**
 * The strerror() text of an error carrying an errno name in `fsCode` (FsError) or `code`
 * (Node's errors); otherwise its message.
 */
export function strerrorOf(e: unknown): string {
  const o = e as { fsCode?: unknown; code?: unknown; message?: unknown } | null | undefined;
  const code = typeof o?.fsCode === 'string' ? o.fsCode : typeof o?.code === 'string' ? o.code : undefined;
  const text = code === undefined ? undefined : STRERROR[code];
  if (text !== undefined) return text;
  if (typeof o?.message === 'string' && o.message !== '') return o.message;
  return code ?? String(e);
}
