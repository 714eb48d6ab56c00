/**
 * The words OpenSSH's tools print for errors: C's strerror() for errno codes, and sftp's
 * fx2txt() for SFTP status codes.
 */
import { SshError } from '../errors.js';
import { SftpConnectionLostError, SftpError } from '../sftp/errors.js';
import { errnoText as errnoName } from '../sftp/server/strerror.js';

/** The strerror() text of a Node fs error, else its message. */
export function strerror(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return (code === undefined ? undefined : errnoName(code)) ?? (e as Error | undefined)?.message ?? String(e);
}

/** strerror() for a Node file system error (or a transfer's local error wrapping one); rethrows an error with no errno code. */
export function errnoText(e: unknown): string {
  if (e instanceof SshError && e.cause !== undefined) e = e.cause;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === undefined) throw e;
  return errnoName(code) ?? code;
}

/** SSH_FX_* texts, as sftp-common.c's fx2txt gives them. */
const FX_TEXT = [
  'No error',
  'End of file',
  'No such file or directory',
  'Permission denied',
  'Failure',
  'Bad message',
  'No connection',
  'Connection lost',
  'Operation unsupported',
];

/** sftp-common.c fx2txt: the text OpenSSH prints for a status code; rethrows anything else. */
export function fx2txt(e: unknown): string {
  // sftp-client.c's get_msg: a lost connection is fatal ("Connection closed"), not a command's error
  if (e instanceof SftpConnectionLostError) throw e;
  if (e instanceof SftpError) return FX_TEXT[e.status] ?? 'Unknown status';
  throw e;
}
