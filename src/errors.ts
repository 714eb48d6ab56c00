/**
 * The error hierarchy. Every failure puressh reports is an SshError with a stable
 * libssh2-style `code` (name) and `errno` (libssh2's negative number), so the
 * Net::SSH2 facade can map errors without string matching.
 * Messages name what was wrong; they never contain secrets.
 */

/** libssh2's error numbers (libssh2.h), by name. */
export const LIBSSH2_ERROR = {
  NONE: 0,
  SOCKET_NONE: -1,
  BANNER_RECV: -2,
  BANNER_SEND: -3,
  INVALID_MAC: -4,
  KEX_FAILURE: -5,
  ALLOC: -6,
  SOCKET_SEND: -7,
  KEY_EXCHANGE_FAILURE: -8,
  TIMEOUT: -9,
  HOSTKEY_INIT: -10,
  HOSTKEY_SIGN: -11,
  DECRYPT: -12,
  SOCKET_DISCONNECT: -13,
  PROTO: -14,
  PASSWORD_EXPIRED: -15,
  FILE: -16,
  METHOD_NONE: -17,
  AUTHENTICATION_FAILED: -18,
  PUBLICKEY_UNVERIFIED: -19,
  CHANNEL_OUTOFORDER: -20,
  CHANNEL_FAILURE: -21,
  CHANNEL_REQUEST_DENIED: -22,
  CHANNEL_UNKNOWN: -23,
  CHANNEL_WINDOW_EXCEEDED: -24,
  CHANNEL_PACKET_EXCEEDED: -25,
  CHANNEL_CLOSED: -26,
  CHANNEL_EOF_SENT: -27,
  SCP_PROTOCOL: -28,
  ZLIB: -29,
  SOCKET_TIMEOUT: -30,
  SFTP_PROTOCOL: -31,
  REQUEST_DENIED: -32,
  METHOD_NOT_SUPPORTED: -33,
  INVAL: -34,
  INVALID_POLL_TYPE: -35,
  PUBLICKEY_PROTOCOL: -36,
  EAGAIN: -37,
  BUFFER_TOO_SMALL: -38,
  BAD_USE: -39,
  COMPRESS: -40,
  OUT_OF_BOUNDARY: -41,
  AGENT_PROTOCOL: -42,
  SOCKET_RECV: -43,
  ENCRYPT: -44,
  BAD_SOCKET: -45,
  KNOWN_HOSTS: -46,
  CHANNEL_WINDOW_FULL: -47,
  KEYFILE_AUTH_FAILED: -48,
  RANDGEN: -49,
  MISSING_USERAUTH_BANNER: -50,
  ALGO_UNSUPPORTED: -51,
} as const;

/** A libssh2 error name (without `LIBSSH2_ERROR_`): an {@link SshError}'s `code`. */
export type ErrorCode = keyof typeof LIBSSH2_ERROR;

/** Base of every error puressh throws. */
export class SshError extends Error {
  readonly code: ErrorCode;
  override name = 'SshError';
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
  /** libssh2's numeric code (negative), as Net::SSH2's `error()` returns it. */
  get errno(): number {
    return LIBSSH2_ERROR[this.code];
  }
}

/** Malformed or unexpected data from the peer or from a file. */
export class ProtocolError extends SshError {
  override name = 'ProtocolError';
  constructor(message: string, code: ErrorCode = 'PROTO') {
    super(code, message);
  }
}

/** RFC 4253 §11.1 disconnect reason codes. */
export const DISCONNECT_REASON = {
  HOST_NOT_ALLOWED_TO_CONNECT: 1,
  PROTOCOL_ERROR: 2,
  KEY_EXCHANGE_FAILED: 3,
  RESERVED: 4,
  MAC_ERROR: 5,
  COMPRESSION_ERROR: 6,
  SERVICE_NOT_AVAILABLE: 7,
  PROTOCOL_VERSION_NOT_SUPPORTED: 8,
  HOST_KEY_NOT_VERIFIABLE: 9,
  CONNECTION_LOST: 10,
  BY_APPLICATION: 11,
  TOO_MANY_CONNECTIONS: 12,
  AUTH_CANCELLED_BY_USER: 13,
  NO_MORE_AUTH_METHODS_AVAILABLE: 14,
  ILLEGAL_USER_NAME: 15,
} as const;

/** The peer sent SSH_MSG_DISCONNECT, or we disconnected with a reason. */
export class DisconnectError extends SshError {
  override name = 'DisconnectError';
  constructor(
    readonly reason: number,
    readonly description: string,
    readonly byPeer: boolean,
  ) {
    super('SOCKET_DISCONNECT', `${byPeer ? 'disconnected by peer' : 'disconnected'} (reason ${reason}): ${description}`);
  }
}

/** The socket closed or failed under us. */
export class ConnectionLostError extends SshError {
  override name = 'ConnectionLostError';
  constructor(message = 'connection lost', options?: { cause?: unknown }) {
    super('SOCKET_DISCONNECT', message, options);
  }
}

export class TimeoutError extends SshError {
  override name = 'TimeoutError';
  constructor(message: string) {
    super('TIMEOUT', message);
  }
}

/** Packet authentication failed (bad MAC or AEAD tag). */
export class MacError extends SshError {
  override name = 'MacError';
  constructor(message = 'message authentication code check failed') {
    super('INVALID_MAC', message);
  }
}

/** Which KEXINIT list failed to negotiate (RFC 4253 §7.1). */
export type AlgorithmKind = 'kex' | 'hostkey' | 'cipher_cs' | 'cipher_sc' | 'mac_cs' | 'mac_sc' | 'compression_cs' | 'compression_sc';

/** RFC 4253 §7.1: no algorithm both sides support. */
export class AlgorithmNegotiationError extends SshError {
  override name = 'AlgorithmNegotiationError';
  constructor(
    readonly kind: AlgorithmKind,
    readonly ours: readonly string[],
    readonly theirs: readonly string[],
  ) {
    super('KEX_FAILURE', `no matching ${kind} algorithm: ours [${ours.join(',')}], server's [${theirs.join(',')}]`);
  }
}

/** The host key was rejected (unknown, changed or revoked) or its signature did not verify. */
export class HostKeyError extends SshError {
  override name = 'HostKeyError';
  constructor(
    readonly kind: 'unknown' | 'mismatch' | 'revoked' | 'rejected' | 'signature',
    message: string,
  ) {
    super(kind === 'signature' ? 'HOSTKEY_SIGN' : 'KEY_EXCHANGE_FAILURE', message);
  }
}

export class AuthError extends SshError {
  override name = 'AuthError';
  constructor(
    message: string,
    readonly methodsLeft: readonly string[] = [],
    code: ErrorCode = 'AUTHENTICATION_FAILED',
  ) {
    super(code, message);
  }
}

/** RFC 4254 §5.1 channel open failure reasons. */
export const OPEN_FAILURE = {
  ADMINISTRATIVELY_PROHIBITED: 1,
  CONNECT_FAILED: 2,
  UNKNOWN_CHANNEL_TYPE: 3,
  RESOURCE_SHORTAGE: 4,
} as const;

export class ChannelOpenError extends SshError {
  override name = 'ChannelOpenError';
  constructor(
    readonly reason: number,
    readonly description: string,
  ) {
    super('CHANNEL_FAILURE', `channel open failed (reason ${reason}): ${description}`);
  }
}

/** A FIDO security key could not sign: the authenticator or its signer failed (PROTOCOL.u2f). */
export class SecurityKeyError extends SshError {
  override name = 'SecurityKeyError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('PUBLICKEY_UNVERIFIED', message, options);
  }
}

/** Bad key file, wrong passphrase, unsupported format. */
export class KeyError extends SshError {
  override name = 'KeyError';
  constructor(message: string, code: ErrorCode = 'FILE') {
    super(code, message);
  }
}
