/**
 * SFTP status errors: an SSH_FXP_STATUS other than OK becomes an SftpError
 * carrying the SSH_FX code, the server's message and the path involved. Each v3 code has
 * its own subclass; later-draft codes use the base class with their number.
 */
import { SshError } from '../errors.js';
import { FX, FX_NAME_BY_VALUE, type FxName } from './constants.js';
import { displayName, type SftpPath } from './names.js';

export class SftpError extends SshError {
  override name = 'SftpError';
  /** the SSH_FX status code */
  readonly status: number;
  /** the server's own message (may be empty) */
  readonly serverMessage: string;
  /** the path (or paths, "a -> b") the request was about, if any */
  readonly path: string | undefined;
  /** the request that failed, e.g. "OPEN" */
  readonly request: string | undefined;

  constructor(status: number, serverMessage: string, path?: SftpPath, request?: string, options?: { cause?: unknown }) {
    const p = path === undefined ? undefined : typeof path === 'string' ? path : displayName(path);
    const what = FX_NAME_BY_VALUE[status] ?? `status ${status}`;
    const msg = `${request ? `${request} ` : ''}${p !== undefined ? `${JSON.stringify(p)}: ` : ''}${serverMessage || what} (SSH_FX_${what})`;
    super('SFTP_PROTOCOL', msg, options);
    this.status = status;
    this.serverMessage = serverMessage;
    this.path = p;
    this.request = request;
  }

  /** e.g. "NO_SUCH_FILE", or undefined for a code no draft defines */
  get statusName(): FxName | undefined {
    return FX_NAME_BY_VALUE[this.status];
  }
}

export class SftpEofError extends SftpError {
  override name = 'SftpEofError';
}
export class SftpNoSuchFileError extends SftpError {
  override name = 'SftpNoSuchFileError';
}
export class SftpPermissionDeniedError extends SftpError {
  override name = 'SftpPermissionDeniedError';
}
export class SftpFailureError extends SftpError {
  override name = 'SftpFailureError';
}
export class SftpBadMessageError extends SftpError {
  override name = 'SftpBadMessageError';
}
export class SftpNoConnectionError extends SftpError {
  override name = 'SftpNoConnectionError';
}
/** The channel or connection died (SSH_FX_CONNECTION_LOST is generated locally, filexfer-02 §7). */
export class SftpConnectionLostError extends SftpError {
  override name = 'SftpConnectionLostError';
}
export class SftpOpUnsupportedError extends SftpError {
  override name = 'SftpOpUnsupportedError';
}

type SftpErrorClass = new (status: number, serverMessage: string, path?: SftpPath, request?: string, options?: { cause?: unknown }) => SftpError;

const BY_STATUS: Readonly<Record<number, SftpErrorClass>> = {
  [FX.EOF]: SftpEofError,
  [FX.NO_SUCH_FILE]: SftpNoSuchFileError,
  [FX.PERMISSION_DENIED]: SftpPermissionDeniedError,
  [FX.FAILURE]: SftpFailureError,
  [FX.BAD_MESSAGE]: SftpBadMessageError,
  [FX.NO_CONNECTION]: SftpNoConnectionError,
  [FX.CONNECTION_LOST]: SftpConnectionLostError,
  [FX.OP_UNSUPPORTED]: SftpOpUnsupportedError,
};

/** The error for a status code: the code's own subclass when it has one. */
export function sftpError(status: number, serverMessage: string, path?: SftpPath, request?: string, options?: { cause?: unknown }): SftpError {
  const C = BY_STATUS[status] ?? SftpError;
  return new C(status, serverMessage, path, request, options);
}
