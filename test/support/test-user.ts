/**
 * A dedicated local account with a known password, for password, keyboard-interactive (PAM)
 * and hostbased tests against sshd. Created when missing (needs root: `useradd -m`). Its random
 * password lives in a root-only file under /run (made once per boot, O_EXCL), so test processes
 * running at the same time set and use the same one instead of overwriting each other's.
 * Without root the tests FAIL with a message saying so: never skip.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const TEST_USER = 'puressh-test';

export interface TestUser {
  name: string;
  password: string;
  home: string;
  uid: number;
  gid: number;
  /** Write a file in the user's home, owned by the user (for .shosts, .ssh/known_hosts). */
  writeHomeFile(relative: string, content: string, mode?: number): string;
  /** Remove a file written by writeHomeFile. */
  removeHomeFile(relative: string): void;
}

let cached: TestUser | null = null;

function passwdEntry(name: string): string[] | null {
  try {
    return execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).trim().split(':');
  } catch {
    return null;
  }
}

const PASSWORD_FILE = '/run/puressh-test/password';

/** The shared password: read it, or create it if no process has yet (the first writer wins). */
function sharedPassword(): string {
  mkdirSync('/run/puressh-test', { recursive: true, mode: 0o700 });
  // A password with a digit, upper and lower case and punctuation.
  const fresh = `Pw-${randomBytes(12).toString('base64url')}9aZ`;
  try {
    writeFileSync(PASSWORD_FILE, fresh, { flag: 'wx', mode: 0o600 });
    return fresh;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const stored = readFileSync(PASSWORD_FILE, 'utf8');
    if (/^Pw-[A-Za-z0-9_-]{16}9aZ$/.test(stored)) return stored;
    writeFileSync(PASSWORD_FILE, fresh, { mode: 0o600 }); // damaged: replace it
    return fresh;
  }
}

/** Make sure the account exists and has the shared password (once per process). */
export function ensureTestUser(): TestUser {
  if (cached) return cached;
  if (process.getuid?.() !== 0) {
    throw new Error(`password/keyboard-interactive/hostbased tests need root to create the "${TEST_USER}" account (useradd -m ${TEST_USER})`);
  }
  if (!passwdEntry(TEST_USER)) execFileSync('useradd', ['-m', '-s', '/bin/sh', TEST_USER], { stdio: 'ignore' });
  const entry = passwdEntry(TEST_USER);
  if (!entry) throw new Error(`useradd did not create ${TEST_USER}`);
  const password = sharedPassword();
  // Setting the same value again is harmless to a process already using it.
  execFileSync('chpasswd', { input: `${TEST_USER}:${password}\n` });
  // chpasswd may leave "must change" state from an earlier test: clear ageing.
  execFileSync('chage', ['-d', String(Math.floor(Date.now() / 86_400_000)), '-M', '99999', TEST_USER], { stdio: 'ignore' });
  const uid = Number(entry[2]);
  const gid = Number(entry[3]);
  const home = entry[5]!;
  cached = {
    name: TEST_USER,
    password,
    home,
    uid,
    gid,
    writeHomeFile(relative, content, mode = 0o644) {
      const path = join(home, relative);
      const dir = join(path, '..');
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      chownSync(dir, uid, gid);
      writeFileSync(path, content, { mode });
      chownSync(path, uid, gid);
      return path;
    },
    removeHomeFile(relative) {
      rmSync(join(home, relative), { force: true });
    },
  };
  return cached;
}
