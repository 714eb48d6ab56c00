/**
 * The system programs a Node-run session relies on, found by absolute path (never through the
 * client's PATH), with the Debian package that provides each for the error message.
 */
import { accessSync, constants } from 'node:fs';
import { SshError } from '../errors.js';

const DIRS = ['/usr/bin', '/bin', '/usr/sbin', '/sbin'];

/** Program → Debian package (all Essential except none). */
const PACKAGES: Record<string, string> = {
  getent: 'libc-bin',
  id: 'coreutils',
  stty: 'coreutils',
  perl: 'perl-base',
  script: 'bsdutils',
  setpriv: 'util-linux',
};

const found = new Map<string, string>();

/** The absolute path of a system program; an SshError naming the package when it is missing. */
export function systemTool(name: string): string {
  const cached = found.get(name);
  if (cached) return cached;
  for (const dir of DIRS) {
    const path = `${dir}/${name}`;
    try {
      accessSync(path, constants.X_OK);
      found.set(name, path);
      return path;
    } catch {
      /* try the next directory */
    }
  }
  throw new SshError('FILE', `${name} not found in ${DIRS.join(', ')} (Debian: apt-get install ${PACKAGES[name] ?? name})`);
}
