/** Net::SSH2's stat hashes ↔ the core's SftpAttrs. */
import type { SftpAttrs } from '../sftp/attrs.js';
import { pairs } from './state.js';

/** `{ mode, size, uid, gid, atime, mtime }` (the fields the server sent) plus `name` when given. */
export interface StatHash {
  mode?: number;
  size?: number;
  uid?: number;
  gid?: number;
  atime?: number;
  mtime?: number;
  name?: string;
}

export function toStatHash(a: SftpAttrs, name?: string): StatHash {
  const h: StatHash = {};
  if (a.size !== undefined) h.size = a.size;
  if (a.uid !== undefined) h.uid = a.uid;
  if (a.gid !== undefined) h.gid = a.gid;
  if (a.permissions !== undefined) h.mode = a.permissions;
  if (a.atime !== undefined) h.atime = a.atime;
  if (a.mtime !== undefined) h.mtime = a.mtime;
  if (name !== undefined) h.name = name;
  return h;
}

/** setstat's `key => value` list (size, uid, gid, mode, atime, mtime). */
export function fromPairs(args: readonly unknown[]): SftpAttrs {
  const a: SftpAttrs = {};
  for (const [k, v] of pairs(args)) {
    const n = Number(v);
    switch (k) {
      case 'size':
        a.size = n;
        break;
      case 'uid':
        a.uid = n;
        break;
      case 'gid':
        a.gid = n;
        break;
      case 'mode':
        a.permissions = n;
        break;
      case 'atime':
        a.atime = n;
        break;
      case 'mtime':
        a.mtime = n;
        break;
      default:
        throw new TypeError(`unknown stat key ${k}`);
    }
  }
  return a;
}
