/**
 * File attributes (filexfer-02 §5): size (uint64), uid/gid, permissions, atime/mtime and
 * extended (type, data) pairs. A field is present exactly when it is set here.
 */
import { ProtocolError, SshError } from '../errors.js';
import type { Reader } from '../wire/reader.js';
import type { Writer } from '../wire/writer.js';
import { ATTR, S_IF } from './constants.js';
import { decodeName, encodeName } from './names.js';

/** An extended attribute pair (filexfer-02 §5). */
export interface SftpExtendedAttr {
  /** the extension's type name */
  type: string;
  data: Uint8Array;
}

/** File attributes (filexfer-02 §5); a field is present only if the server sent it. */
export interface SftpAttrs {
  /** bytes (uint64 on the wire; exact up to 2^53) */
  size?: number;
  uid?: number;
  gid?: number;
  /** st_mode: file type bits and permission bits */
  permissions?: number;
  /** seconds since the epoch */
  atime?: number;
  mtime?: number;
  extended?: SftpExtendedAttr[];
}

const KNOWN = ATTR.SIZE | ATTR.UIDGID | ATTR.PERMISSIONS | ATTR.ACMODTIME | ATTR.EXTENDED;

function u32(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new SshError('INVAL', `attribute ${what} must be an integer in 0..2^32-1, got ${v}`);
  return v;
}

/** Append the ATTRS structure for `a`. */
export function writeAttrs(w: Writer, a: SftpAttrs = {}): Writer {
  let flags = 0;
  if (a.size !== undefined) flags |= ATTR.SIZE;
  if (a.uid !== undefined || a.gid !== undefined) {
    if (a.uid === undefined || a.gid === undefined) throw new SshError('INVAL', 'uid and gid must be set together (SFTP v3 sends both)');
    flags |= ATTR.UIDGID;
  }
  if (a.permissions !== undefined) flags |= ATTR.PERMISSIONS;
  if (a.atime !== undefined || a.mtime !== undefined) {
    if (a.atime === undefined || a.mtime === undefined) throw new SshError('INVAL', 'atime and mtime must be set together (SFTP v3 sends both)');
    flags |= ATTR.ACMODTIME;
  }
  if (a.extended?.length) flags |= ATTR.EXTENDED;
  w.u32(flags);
  if (a.size !== undefined) {
    if (!Number.isSafeInteger(a.size) || a.size < 0) throw new SshError('INVAL', `attribute size must be a non-negative safe integer, got ${a.size}`);
    w.u64(a.size);
  }
  if (flags & ATTR.UIDGID) w.u32(u32(a.uid!, 'uid')).u32(u32(a.gid!, 'gid'));
  if (a.permissions !== undefined) w.u32(u32(a.permissions, 'permissions'));
  if (flags & ATTR.ACMODTIME) w.u32(u32(Math.floor(a.atime!), 'atime')).u32(u32(Math.floor(a.mtime!), 'mtime'));
  if (flags & ATTR.EXTENDED) {
    w.u32(a.extended!.length);
    for (const e of a.extended!) w.string(encodeName(e.type)).string(e.data);
  }
  return w;
}

/** Read an ATTRS structure. Unknown flag bits are a protocol error (their fields cannot be skipped). */
export function readAttrs(r: Reader): SftpAttrs {
  const flags = r.u32('attrs flags');
  if ((flags & ~KNOWN) >>> 0 !== 0) throw new ProtocolError(`ATTRS: unknown flag bits 0x${((flags & ~KNOWN) >>> 0).toString(16)}`, 'SFTP_PROTOCOL');
  const a: SftpAttrs = {};
  if (flags & ATTR.SIZE) {
    const size = r.u64('attrs size');
    if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw new ProtocolError(`ATTRS: size ${size} is beyond 2^53`, 'SFTP_PROTOCOL');
    a.size = Number(size);
  }
  if (flags & ATTR.UIDGID) {
    a.uid = r.u32('attrs uid');
    a.gid = r.u32('attrs gid');
  }
  if (flags & ATTR.PERMISSIONS) a.permissions = r.u32('attrs permissions');
  if (flags & ATTR.ACMODTIME) {
    a.atime = r.u32('attrs atime');
    a.mtime = r.u32('attrs mtime');
  }
  if (flags & ATTR.EXTENDED) {
    const n = r.u32('attrs extended count');
    // Each pair takes at least 8 bytes: refuse counts the packet cannot hold.
    if (n > r.remaining / 8) throw new ProtocolError(`ATTRS: ${n} extended attributes cannot fit in ${r.remaining} bytes`, 'SFTP_PROTOCOL');
    a.extended = [];
    for (let i = 0; i < n; i++) a.extended.push({ type: decodeName(r.string('extended type')), data: r.string('extended data').slice() });
  }
  return a;
}

/** File type from `permissions`, or undefined if the server did not send them. */
export type FileType = 'file' | 'directory' | 'symlink' | 'socket' | 'block' | 'char' | 'fifo' | 'unknown';

/** The file type from the permission bits, if present. */
export function fileType(a: SftpAttrs): FileType | undefined {
  if (a.permissions === undefined) return undefined;
  switch (a.permissions & S_IF.MT) {
    case S_IF.REG:
      return 'file';
    case S_IF.DIR:
      return 'directory';
    case S_IF.LNK:
      return 'symlink';
    case S_IF.SOCK:
      return 'socket';
    case S_IF.BLK:
      return 'block';
    case S_IF.CHR:
      return 'char';
    case S_IF.FIFO:
      return 'fifo';
    default:
      return 'unknown';
  }
}

/** Whether the attributes describe a directory. */
export const isDirectory = (a: SftpAttrs): boolean => fileType(a) === 'directory';
/** Whether the attributes describe a regular file. */
export const isFile = (a: SftpAttrs): boolean => fileType(a) === 'file';
/** Whether the attributes describe a symbolic link. */
export const isSymlink = (a: SftpAttrs): boolean => fileType(a) === 'symlink';
