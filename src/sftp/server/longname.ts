/**
 * The `ls -l` line an SFTP v3 server sends beside each READDIR name (filexfer-02 §7 leaves
 * its format to the server). This is the line OpenSSH's sftp-server writes (sftp-common.c
 * ls_file, local form): mode, link count, owner, group, size, date, name; OpenSSH's sftp
 * prints it verbatim for `ls -l`.
 */
import { S_IF } from '../constants.js';
import type { FsStats } from './fs.js';

const TYPE_CHAR: Readonly<Record<number, string>> = {
  [S_IF.DIR]: 'd',
  [S_IF.CHR]: 'c',
  [S_IF.BLK]: 'b',
  [S_IF.REG]: '-',
  [S_IF.LNK]: 'l',
  [S_IF.SOCK]: 's',
  [S_IF.FIFO]: 'p',
};

/** strmode(3): "drwxr-xr-x " (with setuid/setgid/sticky letters and the trailing space). */
export function strmode(mode: number): string {
  const t = TYPE_CHAR[mode & S_IF.MT] ?? '?';
  const triplet = (r: number, w: number, x: number, special: number, set: string, unset: string): string =>
    (mode & r ? 'r' : '-') + (mode & w ? 'w' : '-') + (mode & special ? (mode & x ? set : unset) : mode & x ? 'x' : '-');
  return (
    t + triplet(0o400, 0o200, 0o100, 0o4000, 's', 'S') + triplet(0o040, 0o020, 0o010, 0o2000, 's', 'S') + triplet(0o004, 0o002, 0o001, 0o1000, 't', 'T') + ' '
  );
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const HALF_YEAR = (365 * 24 * 60 * 60) / 2;

/** strftime "%b %e %H:%M" for the last six months, else "%b %e  %Y" (local time). */
export function lsDate(mtime: number, now: number = Date.now() / 1000): string {
  const d = new Date(mtime * 1000);
  const day = String(d.getDate()).padStart(2, ' ');
  const head = `${MONTHS[d.getMonth()]} ${day}`;
  if (now - HALF_YEAR < mtime && now >= mtime) return `${head} ${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  return `${head}  ${d.getFullYear()}`;
}

/** The long name for `name` (bytes kept as they are) with owner and group names ('' = numeric). */
export function longName(name: Uint8Array, st: FsStats, user: string, group: string): Uint8Array {
  const u = user || String(st.uid);
  const g = group || String(st.gid);
  const head = `${strmode(st.mode)} ${String(st.nlink ?? 1).padStart(3)} ${u.padEnd(8)} ${g.padEnd(8)} ${String(st.size).padStart(8)} ${lsDate(st.mtime)} `;
  const h = new TextEncoder().encode(head);
  const out = new Uint8Array(h.length + name.length);
  out.set(h);
  out.set(name, h.length);
  return out;
}
