/**
 * What the SFTP server answers and in which words: sftp-server.c's status texts, which
 * requests write, the extensions announced in VERSION (PROTOCOL §4), attribute conversion
 * between the wire and the file system, and the extension reply packets.
 */
import type { Writer } from '../../wire/writer.js';
import { EXT } from '../constants.js';
import type { SftpAttrs } from '../attrs.js';
import { extendedReplyPacket } from '../packets.js';
import type { FsOpenFlags, FsSetAttrs, FsStats, FsStatVfs, SftpFileSystem } from './fs.js';
import { utf8 } from './path.js';
import type { SftpRequestName } from './server.js';

/** Writing requests (sftp-server.c handlers' does_write). */
export const WRITES = new Set<SftpRequestName>([
  'write',
  'setstat',
  'fsetstat',
  'remove',
  'mkdir',
  'rmdir',
  'rename',
  'symlink',
  'posix-rename',
  'hardlink',
  'fsync',
  'lsetstat',
  'copy-data',
]);

/** sftp-server.c status_to_message. */
const STATUS_MESSAGE = [
  'Success',
  'End of file',
  'No such file',
  'Permission denied',
  'Failure',
  'Bad message',
  'No connection',
  'Connection lost',
  'Operation unsupported',
];
export const statusMessage = (code: number): string => STATUS_MESSAGE[code] ?? 'Unknown error';

/** Extensions announced in VERSION, with their versions (sftp-server.c process_init). */
export const EXTENSIONS: ReadonlyArray<readonly [string, string]> = [
  [EXT.POSIX_RENAME, '1'],
  [EXT.STATVFS, '2'],
  [EXT.FSTATVFS, '2'],
  [EXT.HARDLINK, '1'],
  [EXT.FSYNC, '1'],
  [EXT.LSETSTAT, '1'],
  [EXT.LIMITS, '1'],
  [EXT.EXPAND_PATH, '1'],
  [EXT.COPY_DATA, '1'],
  [EXT.HOME_DIRECTORY, '1'],
  [EXT.USERS_GROUPS_BY_ID, '1'],
];

export const EXTENDED_NAME: Readonly<Record<string, SftpRequestName>> = {
  [EXT.POSIX_RENAME]: 'posix-rename',
  [EXT.STATVFS]: 'statvfs',
  [EXT.FSTATVFS]: 'fstatvfs',
  [EXT.HARDLINK]: 'hardlink',
  [EXT.FSYNC]: 'fsync',
  [EXT.LSETSTAT]: 'lsetstat',
  [EXT.LIMITS]: 'limits',
  [EXT.EXPAND_PATH]: 'expand-path',
  [EXT.COPY_DATA]: 'copy-data',
  [EXT.HOME_DIRECTORY]: 'home-directory',
  [EXT.USERS_GROUPS_BY_ID]: 'users-groups-by-id',
};

/** A failure answered with a status code and, optionally, a message of its own. */
export class StatusReply extends Error {
  constructor(
    readonly code: number,
    readonly text?: string,
  ) {
    super(text ?? statusMessage(code));
  }
}

export function toAttrs(st: FsStats): SftpAttrs {
  return { size: st.size, uid: st.uid, gid: st.gid, permissions: st.mode, atime: st.atime, mtime: st.mtime };
}

export function toSetAttrs(a: SftpAttrs): FsSetAttrs {
  const out: FsSetAttrs = {};
  if (a.size !== undefined) out.size = a.size;
  if (a.uid !== undefined) out.uid = a.uid;
  if (a.gid !== undefined) out.gid = a.gid;
  if (a.permissions !== undefined) out.mode = a.permissions & 0o7777;
  if (a.atime !== undefined) out.atime = a.atime;
  if (a.mtime !== undefined) out.mtime = a.mtime;
  return out;
}

function u64(w: Writer, v: number | bigint): Writer {
  return w.u64(typeof v === 'bigint' ? v : BigInt(Math.max(0, Math.floor(v))));
}

export function describeFlags(f: FsOpenFlags): string {
  const out: string[] = [];
  if (f.read) out.push('READ');
  if (f.write) out.push('WRITE');
  if (f.append) out.push('APPEND');
  if (f.create) out.push('CREATE');
  if (f.truncate) out.push('TRUNCATE');
  if (f.exclusive) out.push('EXCL');
  return out.join(',');
}

export function statvfsPacket(id: number, s: FsStatVfs): Uint8Array {
  return extendedReplyPacket(id, 96, (w) => {
    for (const v of [s.bsize, s.frsize, s.blocks, s.bfree, s.bavail, s.files, s.ffree, s.favail, s.fsid, s.flag, s.namemax]) u64(w, v);
  });
}

export function usersGroupsPacket(id: number, fs: SftpFileSystem, uids: Uint8Array, gids: Uint8Array): Uint8Array {
  const names = (ids: Uint8Array, lookup: ((n: number) => string) | undefined): Uint8Array[] => {
    const v = new DataView(ids.buffer, ids.byteOffset, ids.length);
    const out: Uint8Array[] = [];
    for (let i = 0; i + 4 <= ids.length; i += 4) out.push(utf8.encode(lookup?.(v.getUint32(i)) ?? ''));
    return out;
  };
  const u = names(uids, fs.userName?.bind(fs));
  const g = names(gids, fs.groupName?.bind(fs));
  const list = (items: Uint8Array[]): Uint8Array => {
    let n = 0;
    for (const i of items) n += 4 + i.length;
    const out = new Uint8Array(n);
    const v = new DataView(out.buffer);
    let at = 0;
    for (const i of items) {
      v.setUint32(at, i.length);
      out.set(i, at + 4);
      at += 4 + i.length;
    }
    return out;
  };
  return extendedReplyPacket(id, 64, (w) => w.string(list(u)).string(list(g)));
}
