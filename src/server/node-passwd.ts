/**
 * The password and group databases, read as sshd reads them (getpwnam, initgroups) but without
 * native code: through `getent passwd NAME` and `id -G NAME` (glibc's libc-bin and coreutils,
 * both Essential in Debian). Going through NSS, not parsing /etc/passwd, means accounts from
 * LDAP, sssd or systemd-homed are found as sshd finds them.
 */
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { systemTool } from './node-tools.js';

/** One password-database entry (passwd(5)). */
export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  gecos: string;
  home: string;
  /** as stored: may be empty, which means /bin/sh */
  shell: string;
}

/** What an empty shell field means (sshd: _PATH_BSHELL). */
export const DEFAULT_SHELL = '/bin/sh';

function run(file: string, args: readonly string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { encoding: 'utf8', env: {}, maxBuffer: 1 << 20 }, (err, stdout) => {
      if (err && typeof err.code !== 'number') reject(err);
      else resolve({ code: err ? Number(err.code) : 0, stdout });
    });
  });
}

/** A user name that can be looked up: not empty, not all digits (getent would take it as a uid), no separators. */
function plausibleName(name: string): boolean {
  return name !== '' && name.length <= 256 && !/^\d+$/.test(name) && !/[:\n\0/]/.test(name) && !name.startsWith('-');
}

/** Parse one passwd(5) line. */
export function parsePasswdLine(line: string): PasswdEntry | null {
  const f = line.replace(/\n$/, '').split(':');
  if (f.length !== 7) return null;
  const [name, , uid, gid, gecos, home, shell] = f as [string, string, string, string, string, string, string];
  if (!/^\d+$/.test(uid) || !/^\d+$/.test(gid)) return null;
  return { name, uid: Number(uid), gid: Number(gid), gecos, home, shell };
}

/** Look a user up by name (getpwnam through NSS); null when there is no such user. */
export async function lookupUser(name: string): Promise<PasswdEntry | null> {
  if (!plausibleName(name)) return null;
  const { code, stdout } = await run(systemTool('getent'), ['passwd', name]);
  if (code !== 0) return null;
  const entry = parsePasswdLine(stdout.split('\n')[0] ?? '');
  // getent also answers for a uid; only an exact name match is this user.
  return entry && entry.name === name ? entry : null;
}

/** Look a user up by uid (getpwuid through NSS); null when there is none. */
export async function lookupUserById(uid: number): Promise<PasswdEntry | null> {
  if (!Number.isSafeInteger(uid) || uid < 0) return null;
  const { code, stdout } = await run(systemTool('getent'), ['passwd', String(uid)]);
  if (code !== 0) return null;
  const entry = parsePasswdLine(stdout.split('\n')[0] ?? '');
  return entry && entry.uid === uid ? entry : null;
}

/** The groups initgroups(name, gid) would give: the primary group first, then supplementary ones. */
export async function userGroups(entry: PasswdEntry): Promise<number[]> {
  const { code, stdout } = await run(systemTool('id'), ['-G', entry.name]);
  const groups =
    code === 0
      ? stdout
          .trim()
          .split(/\s+/)
          .filter((g) => /^\d+$/.test(g))
          .map(Number)
      : [];
  return [entry.gid, ...groups.filter((g) => g !== entry.gid)];
}

/** The shell sshd runs for this user: the passwd field, or /bin/sh when it is empty. */
export function loginShell(entry: PasswdEntry): string {
  return entry.shell === '' ? DEFAULT_SHELL : entry.shell;
}

/**
 * Why sshd would refuse this user because of the shell (auth.c allowed_user), in sshd's words,
 * or null: the shell must exist and be a regular file with an execute bit.
 */
export async function shellRefusal(entry: PasswdEntry): Promise<string | null> {
  const shell = loginShell(entry);
  try {
    const st = await stat(shell);
    if (!st.isFile() || (st.mode & 0o111) === 0) return `User ${entry.name} not allowed because shell ${shell} is not executable`;
    return null;
  } catch {
    return `User ${entry.name} not allowed because shell ${shell} does not exist`;
  }
}
