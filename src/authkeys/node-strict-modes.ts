/**
 * Reading a user's authorized_keys / authorized_principals file as sshd does
 * (auth2-pubkeyfile.c auth_openfile), with StrictModes (misc.c safe_path): the file must be a
 * regular file owned by root or the user and not writable by group or others, and so must each
 * directory above it up to the user's home directory (or up to / when the file is outside it).
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseAuthorizedKeys, parsePrincipals, type AuthorizedKeysFile, type AuthorizedPrincipalsFile } from './parse.js';

/** The account a file is checked for: its name, uid and home directory (from the password database). */
export interface UserAccount {
  readonly name: string;
  readonly uid: number;
  readonly home: string;
}

const badOwnerOrMode = (st: { uid: number; mode: number }, uid: number): boolean => (st.uid !== 0 && st.uid !== uid) || (st.mode & 0o022) !== 0;

const errnoText = (e: unknown): string => {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'No such file or directory' : code === 'EACCES' ? 'Permission denied' : e instanceof Error ? e.message : String(e);
};

/**
 * StrictModes' check of a file and the directories above it (safe_path): null when safe, or
 * why not in sshd's words ("bad ownership or modes for directory /home/u/.ssh"). Synchronous,
 * like everything here, so that a server can run it under the user's ids (sshd's
 * temporarily_use_uid) without another request running in between.
 * @example securePathProblemSync('/home/alice/.ssh/authorized_keys', account) // null
 */
export function securePathProblemSync(file: string, account: UserAccount): string | null {
  let buf: string;
  try {
    buf = realpathSync(file);
  } catch (e) {
    return `realpath ${file} failed: ${errnoText(e)}`;
  }
  let home: string | undefined;
  try {
    home = realpathSync(account.home);
  } catch {
    home = undefined;
  }
  const st = statSync(buf);
  if (!st.isFile()) return `${buf} is not a regular file`;
  if (badOwnerOrMode(st, account.uid)) return `bad ownership or modes for file ${buf}`;
  for (;;) {
    buf = dirname(buf);
    let ok: boolean;
    try {
      ok = !badOwnerOrMode(statSync(buf), account.uid);
    } catch {
      ok = false;
    }
    if (!ok) return `bad ownership or modes for directory ${buf}`;
    if (home !== undefined && home === buf) break;
    if (buf === '/' || buf === '.') break;
  }
  return null;
}

/** {@link securePathProblemSync} with a promise. */
export async function securePathProblem(file: string, account: UserAccount): Promise<string | null> {
  return securePathProblemSync(file, account);
}

/** A user file as sshd opened it: its text, or undefined when sshd would not use it; `log` says why. */
export interface UserFileRead {
  readonly text?: string;
  readonly log: readonly string[];
}

/**
 * Open a user's file as auth_openfile does: missing or unreadable, not a regular file, or
 * refused by StrictModes ("Authentication refused: …") give no text and sshd's log line.
 * `fileType` is how sshd names it: "authorized keys" or "authorized principals".
 */
export function readUserAuthFileSync(path: string, account: UserAccount, strictModes: boolean, fileType = 'authorized keys'): UserFileRead {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO planted there must not hang the open (auth_openfile does the same)
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return { log: [`Could not open user '${account.name}' ${fileType} '${path}': ${errnoText(e)}`] };
  }
  try {
    if (!fstatSync(fd).isFile()) return { log: [`User '${account.name}' ${fileType} '${path}' is not a regular file`] };
    if (strictModes) {
      const problem = securePathProblemSync(path, account);
      if (problem !== null) return { log: [`Authentication refused: ${problem}`] };
    }
    return { text: readFileSync(fd, 'utf8'), log: [] };
  } finally {
    closeSync(fd);
  }
}

/** {@link readUserAuthFileSync} with a promise. */
export async function readUserAuthFile(path: string, account: UserAccount, strictModes: boolean, fileType = 'authorized keys'): Promise<UserFileRead> {
  return readUserAuthFileSync(path, account, strictModes, fileType);
}

/** {@link loadAuthorizedKeys}, synchronously (for reading under the user's ids). */
export function loadAuthorizedKeysSync(path: string, account: UserAccount, strictModes = true): { file: AuthorizedKeysFile | null; log: readonly string[] } {
  const r = readUserAuthFileSync(path, account, strictModes, 'authorized keys');
  return { file: r.text === undefined ? null : parseAuthorizedKeys(r.text, path), log: r.log };
}

/** {@link loadAuthorizedPrincipals}, synchronously (for reading under the user's ids). */
export function loadAuthorizedPrincipalsSync(
  path: string,
  account: UserAccount,
  strictModes = true,
): { file: AuthorizedPrincipalsFile | null; log: readonly string[] } {
  const r = readUserAuthFileSync(path, account, strictModes, 'authorized principals');
  return { file: r.text === undefined ? null : parsePrincipals(r.text, path), log: r.log };
}

/**
 * Read and parse a user's authorized_keys file (AuthorizedKeysFile after %-expansion), with
 * StrictModes when `strictModes` (sshd's default). `file` is null when sshd would not use it.
 * @example const { file } = await loadAuthorizedKeys('/home/alice/.ssh/authorized_keys', account)
 */
export async function loadAuthorizedKeys(
  path: string,
  account: UserAccount,
  strictModes = true,
): Promise<{ file: AuthorizedKeysFile | null; log: readonly string[] }> {
  return loadAuthorizedKeysSync(path, account, strictModes);
}

/**
 * Read and parse a user's AuthorizedPrincipalsFile; `file` null when sshd would not use it
 * (then no certificate is accepted through TrustedUserCAKeys for this user).
 */
export async function loadAuthorizedPrincipals(
  path: string,
  account: UserAccount,
  strictModes = true,
): Promise<{ file: AuthorizedPrincipalsFile | null; log: readonly string[] }> {
  return loadAuthorizedPrincipalsSync(path, account, strictModes);
}
