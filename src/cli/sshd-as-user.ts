/**
 * Reading a user's files with the user's privileges, as sshd does (uidswap.c
 * temporarily_use_uid / restore_uid): run as root, the effective gid, the supplementary groups
 * and the effective uid become the user's around a synchronous read, so a file the user cannot
 * read (a root-owned 0600 authorized_keys in their .ssh) is not read, and a symlink planted by
 * the user cannot make the server read a file of someone else.
 *
 * The switch is process-wide: the window holds no await, so no other connection's JavaScript
 * runs inside it. A thread-pool operation already in flight may see the user's ids and fail
 * (less privilege, never more); the server's own files are read at startup.
 */
import { userGroups, type PasswdEntry } from '../server/node-passwd.js';

/** The ids a read runs with: the account's uid and gid, and its supplementary groups (node-passwd userGroups). */
export interface UserIds {
  readonly uid: number;
  readonly gid: number;
  readonly groups: readonly number[];
}

const idsCache = new WeakMap<PasswdEntry, Promise<UserIds>>();

/** The ids `account`'s files are read with (its groups looked up once per account entry, and only when there is a switch to make). */
export function idsOf(account: PasswdEntry): Promise<UserIds> {
  let ids = idsCache.get(account);
  if (!ids) {
    const switching = process.geteuid?.() === 0 && account.uid !== 0;
    ids = (switching ? userGroups(account) : Promise.resolve([])).then((groups) => ({ uid: account.uid, gid: account.gid, groups }));
    idsCache.set(account, ids);
  }
  return ids;
}

/**
 * Run `read` with the effective ids of `ids` when this process runs as root and the user is
 * not root; otherwise as is. Root's ids are back before this returns or throws. A failure to
 * get them back is fatal, as in sshd: the process must not go on half privileged.
 */
export function readAsUser<T>(ids: UserIds, read: () => T): T {
  if (process.geteuid?.() !== 0 || ids.uid === 0 || !process.seteuid || !process.setegid || !process.setgroups || !process.getgroups) return read();
  const savedGid = process.getegid!();
  const savedGroups = process.getgroups();
  // uidswap.c order: groups first (they need root), then the gid, the uid last.
  try {
    process.setgroups([...ids.groups]);
    process.setegid(ids.gid);
    process.seteuid(ids.uid);
    return read();
  } finally {
    try {
      process.seteuid(0);
      process.setegid(savedGid);
      process.setgroups(savedGroups);
    } catch (e) {
      process.stderr.write(`restore_uid: ${(e as Error).message}\n`);
      process.exit(255);
    }
  }
}
