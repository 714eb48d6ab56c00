/**
 * `puressh sshd`'s internal-sftp and ChrootDirectory (OpenSSH session.c): recognising the
 * internal-sftp command line and its arguments, the chroot path (tilde and %-tokens) and
 * sshd's ownership checks on it, and the per-user process that serves SFTP: this same
 * puressh run as `puressh sftp-server [--chroot DIR] args`.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { PasswdEntry } from '../server/node-passwd.js';
import { lookupUser } from '../server/node-passwd.js';
import { strerrorOf } from '../sftp/server/strerror.js';

const INTERNAL_SFTP = 'internal-sftp';

/** session.c IS_INTERNAL_SFTP: "internal-sftp" alone or followed by a space or tab. */
export function isInternalSftp(command: string): boolean {
  if (!command.startsWith(INTERNAL_SFTP)) return false;
  const next = command.charAt(INTERNAL_SFTP.length);
  return next === '' || next === ' ' || next === '\t';
}

/** The arguments after "internal-sftp" (session.c splits the line at spaces, no quoting). */
export function internalSftpArgs(command: string): string[] {
  return command
    .split(' ')
    .filter((a) => a !== '')
    .slice(1);
}

/** The chroot directory as sshd expands it (tilde_expand_filename, then %h %u %U %%); throws on an unknown token. */
export async function expandChrootPath(spec: string, account: PasswdEntry): Promise<string> {
  let path = spec;
  if (path.startsWith('~')) {
    const slash = path.indexOf('/');
    const name = path.slice(1, slash < 0 ? undefined : slash);
    const home = name === '' ? account.home : (await lookupUser(name))?.home;
    if (home === undefined) throw new Error(`tilde_expand_filename: No such user ${name}`);
    path = home.replace(/\/$/, '') + (slash < 0 ? '' : path.slice(slash));
  }
  const tokens: Record<string, string> = { h: account.home, u: account.name, U: String(account.uid), '%': '%' };
  return path.replace(/%(.?)/g, (_m, k: string) => {
    const v = tokens[k];
    if (v === undefined) throw new Error(`percent_expand: unknown key %${k}`);
    return v;
  });
}

/**
 * session.c safely_chroot's checks: an absolute path whose every component (and the whole)
 * is a directory owned by root and not writable by group or others. Returns sshd's message
 * when the path fails them, else null.
 */
export async function chrootProblem(path: string): Promise<string | null> {
  if (!path.startsWith('/')) return 'chroot path does not begin at root';
  let from = 0;
  for (;;) {
    const slash = path.indexOf('/', from);
    const last = slash < 0;
    const component = last ? path : path.slice(0, slash + 1);
    from = slash + 1;
    let st;
    try {
      st = await stat(component);
    } catch (e) {
      return `safely_chroot: stat("${component}"): ${strerrorOf(e)}`;
    }
    const which = last ? '' : 'component ';
    if (st.uid !== 0 || (st.mode & 0o022) !== 0) return `bad ownership or modes for chroot directory ${which}"${component}"`;
    if (!st.isDirectory()) return `chroot path ${which}"${component}" is not a directory`;
    if (last) return null;
  }
}

/**
 * The connection's chroot (sshd applies it right after authentication, privsep_postauth):
 * null when ChrootDirectory is unset or "none"; rejects with sshd's message when the path
 * cannot be expanded or fails the checks.
 */
export async function connectionChroot(spec: string | null, account: PasswdEntry): Promise<string | null> {
  if (spec === null || spec.toLowerCase() === 'none') return null;
  const path = await expandChrootPath(spec, account);
  const problem = await chrootProblem(path);
  if (problem !== null) throw new Error(problem);
  return path;
}

/** The bare module specifier of a node --import/--loader option, made absolute (the session starts elsewhere). */
function absoluteSpecifier(spec: string): string {
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(spec)) return spec; // file:, data:, node:
  if (isAbsolute(spec) || spec.startsWith('.')) return resolve(spec);
  // import.meta.resolve is missing where this module was compiled to CommonJS (a test runner's hook)
  return typeof import.meta.resolve === 'function' ? import.meta.resolve(spec) : spec;
}

const MODULE_OPTIONS = new Set(['--import', '--loader', '--experimental-loader']);

/**
 * This puressh as a program, running `puressh sftp-server args`: node, its options (module
 * specifiers made absolute, since the process starts in the user's home), the script.
 */
export function sftpServerProgram(args: readonly string[]): { file: string; args: string[] } {
  const node: string[] = [];
  const exec = process.execArgv;
  for (let i = 0; i < exec.length; i++) {
    const a = exec[i]!;
    const eq = a.indexOf('=');
    if (MODULE_OPTIONS.has(a) && i + 1 < exec.length) {
      node.push(a, absoluteSpecifier(exec[++i]!));
    } else if (eq > 0 && MODULE_OPTIONS.has(a.slice(0, eq))) {
      node.push(`${a.slice(0, eq)}=${absoluteSpecifier(a.slice(eq + 1))}`);
    } else {
      node.push(a);
    }
  }
  const script = process.argv[1];
  return { file: process.execPath, args: [...node, ...(script !== undefined ? [resolve(script)] : []), 'sftp-server', ...args] };
}
