/** C's strerror() wording for the errno codes the CLI reports, as OpenSSH's tools print them. */
const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EISDIR: 'Is a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENOTDIR: 'Not a directory',
  EIO: 'Input/output error',
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  EEXIST: 'File exists',
};

/** The strerror() text of a Node fs error, else its message. */
export function strerror(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return (code === undefined ? undefined : STRERROR[code]) ?? (e as Error | undefined)?.message ?? String(e);
}
