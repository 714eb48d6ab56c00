/**
 * SFTP wire numbers (draft-ietf-secsh-filexfer-02 §3, §7; codes 9+ from later drafts,
 * which some servers send even at version 3) and OpenSSH's extension names (PROTOCOL §4).
 */

/** Packet types (filexfer-02 §3). */
export const FXP = {
  INIT: 1,
  VERSION: 2,
  OPEN: 3,
  CLOSE: 4,
  READ: 5,
  WRITE: 6,
  LSTAT: 7,
  FSTAT: 8,
  SETSTAT: 9,
  FSETSTAT: 10,
  OPENDIR: 11,
  READDIR: 12,
  REMOVE: 13,
  MKDIR: 14,
  RMDIR: 15,
  REALPATH: 16,
  STAT: 17,
  RENAME: 18,
  READLINK: 19,
  SYMLINK: 20,
  STATUS: 101,
  HANDLE: 102,
  DATA: 103,
  NAME: 104,
  ATTRS: 105,
  EXTENDED: 200,
  EXTENDED_REPLY: 201,
} as const;

export const FXP_NAME_BY_VALUE: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(FXP).map(([k, v]) => [v, k]));

/** Status codes (filexfer-02 §7; 9..31 from filexfer-13 §9.1). */
export const FX = {
  OK: 0,
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  BAD_MESSAGE: 5,
  NO_CONNECTION: 6,
  CONNECTION_LOST: 7,
  OP_UNSUPPORTED: 8,
  INVALID_HANDLE: 9,
  NO_SUCH_PATH: 10,
  FILE_ALREADY_EXISTS: 11,
  WRITE_PROTECT: 12,
  NO_MEDIA: 13,
  NO_SPACE_ON_FILESYSTEM: 14,
  QUOTA_EXCEEDED: 15,
  UNKNOWN_PRINCIPAL: 16,
  LOCK_CONFLICT: 17,
  DIR_NOT_EMPTY: 18,
  NOT_A_DIRECTORY: 19,
  INVALID_FILENAME: 20,
  LINK_LOOP: 21,
  CANNOT_DELETE: 22,
  INVALID_PARAMETER: 23,
  FILE_IS_A_DIRECTORY: 24,
  BYTE_RANGE_LOCK_CONFLICT: 25,
  BYTE_RANGE_LOCK_REFUSED: 26,
  DELETE_PENDING: 27,
  FILE_CORRUPT: 28,
  OWNER_INVALID: 29,
  GROUP_INVALID: 30,
  NO_MATCHING_BYTE_RANGE_LOCK: 31,
} as const;

export type FxName = keyof typeof FX;
export const FX_NAME_BY_VALUE: Readonly<Record<number, FxName>> = Object.fromEntries(Object.entries(FX).map(([k, v]) => [v, k])) as Record<number, FxName>;

/** SSH_FXP_OPEN pflags (filexfer-02 §6.3). */
export const FXF = {
  READ: 0x01,
  WRITE: 0x02,
  APPEND: 0x04,
  CREAT: 0x08,
  TRUNC: 0x10,
  EXCL: 0x20,
} as const;

/** ATTRS flags (filexfer-02 §5). */
export const ATTR = {
  SIZE: 0x00000001,
  UIDGID: 0x00000002,
  PERMISSIONS: 0x00000004,
  ACMODTIME: 0x00000008,
  EXTENDED: 0x80000000,
} as const;

/** POSIX file type bits of `permissions` (st_mode). */
export const S_IF = {
  MT: 0o170000,
  SOCK: 0o140000,
  LNK: 0o120000,
  REG: 0o100000,
  BLK: 0o060000,
  DIR: 0o040000,
  CHR: 0o020000,
  FIFO: 0o010000,
} as const;

/** statvfs f_flag bits (OpenSSH PROTOCOL §4.4). */
export const ST = { RDONLY: 0x1, NOSUID: 0x2 } as const;

/** The protocol version we speak. */
export const SFTP_VERSION = 3;

/** OpenSSH's extension names (PROTOCOL §4.3–4.11). */
export const EXT = {
  POSIX_RENAME: 'posix-rename@openssh.com',
  STATVFS: 'statvfs@openssh.com',
  FSTATVFS: 'fstatvfs@openssh.com',
  HARDLINK: 'hardlink@openssh.com',
  FSYNC: 'fsync@openssh.com',
  LSETSTAT: 'lsetstat@openssh.com',
  LIMITS: 'limits@openssh.com',
  EXPAND_PATH: 'expand-path@openssh.com',
  COPY_DATA: 'copy-data',
  HOME_DIRECTORY: 'home-directory',
  USERS_GROUPS_BY_ID: 'users-groups-by-id@openssh.com',
} as const;
