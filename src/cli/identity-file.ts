/**
 * Reading an identity file (-i, IdentityFile) as ssh does (OpenSSH authfile.c): a private key
 * file owned by the user that others may read or write is refused, with ssh's warning
 * (sshkey_perm_ok), and a file that cannot be read is reported in ssh's words.
 */
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { strerror } from './strerror.js';

interface IdentityLog {
  info(line: string): void;
  error(line: string): void;
}

/**
 * The text of the key file at `path`, or null when ssh would not use it (the reason is
 * logged). `explicit`: named with -i or IdentityFile, so a missing file is worth a warning.
 */
export function readIdentityFile(path: string, explicit: boolean, log: IdentityLog): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      if (explicit) log.info(`Warning: Identity file ${path} not accessible: ${strerror(e)}.`);
    } else {
      log.error(`Load key "${path}": ${strerror(e)}`);
    }
    return null;
  }
  try {
    const st = fstatSync(fd);
    // sshkey_perm_ok: a key of ours that group or others can access is ignored.
    if (st.uid === process.getuid?.() && (st.mode & 0o077) !== 0) {
      const at = '@'.repeat(59);
      for (const line of [
        at,
        '@         WARNING: UNPROTECTED PRIVATE KEY FILE!          @',
        at,
        `Permissions 0${(st.mode & 0o777).toString(8).padStart(3, '0')} for '${path}' are too open.`,
        'It is required that your private key files are NOT accessible by others.',
        'This private key will be ignored.',
        `Load key "${path}": bad permissions`,
      ]) {
        log.error(line);
      }
      return null;
    }
    return readFileSync(fd, 'utf8');
  } catch (e) {
    log.error(`Load key "${path}": ${strerror(e)}`);
    return null;
  } finally {
    closeSync(fd);
  }
}
