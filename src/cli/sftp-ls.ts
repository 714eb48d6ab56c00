/**
 * sftp's `ls -l` fields (sftp-common.c ls_file, strmode(3), fmt_scaled(3)) and its ls flags
 * and sort orders (sftp.c parse_ls_flags, sdirent_comp).
 */
import type { SftpAttrs } from '../sftp/attrs.js';
import { byteCompare } from './sftp-glob.js';
import { byteLength } from './sftp-output.js';

export interface LsView {
  long: boolean;
  short: boolean;
  numeric: boolean;
  si: boolean;
  all: boolean;
  reverse: boolean;
  sort: 'name' | 'time' | 'size' | null;
}

/** ls flags as sftp.c parse_ls_flags folds them (later flags override earlier ones). */
export function lsView(flags: Set<string>): LsView {
  const v: LsView = { long: false, short: false, numeric: false, si: false, all: false, reverse: false, sort: 'name' };
  for (const f of flags) {
    if (f === '1') Object.assign(v, { long: false, short: true, numeric: false, si: false });
    else if (f === 'S') v.sort = 'size';
    else if (f === 'a') v.all = true;
    else if (f === 'f') v.sort = null;
    else if (f === 'h') v.si = true;
    else if (f === 'l') Object.assign(v, { short: false, long: true });
    else if (f === 'n') Object.assign(v, { short: false, long: true, numeric: true });
    else if (f === 'r') v.reverse = true;
    else if (f === 't') v.sort = 'time';
  }
  return v;
}

/** Stable sort (glibc's qsort is a merge sort) by name (bytes), newest first, or largest first. */
export function sortEntries<T>(list: T[], view: LsView, name: (e: T) => string, attrs: (e: T) => SftpAttrs): void {
  const mul = view.reverse ? -1 : 1;
  const ncmp = (a: number, b: number): number => (a === b ? 0 : a < b ? 1 : -1);
  list.sort((a, b) => {
    if (view.sort === 'name') return mul * byteCompare(name(a), name(b));
    if (view.sort === 'time') return mul * ncmp(attrs(a).mtime ?? 0, attrs(b).mtime ?? 0);
    return mul * ncmp(attrs(a).size ?? 0, attrs(b).size ?? 0);
  });
}

export interface OwnerNames {
  users: Map<number, string>;
  groups: Map<number, string>;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** strmode(3): "drwxr-xr-x " (the eleventh character is for ACLs, a space). */
export function strmode(mode: number): string {
  const type = { 0o040000: 'd', 0o020000: 'c', 0o060000: 'b', 0o100000: '-', 0o120000: 'l', 0o140000: 's', 0o010000: 'p' }[mode & 0o170000] ?? '?';
  const x = (r: number, w: number, xbit: number, special: number, on: string, off: string): string =>
    (mode & r ? 'r' : '-') + (mode & w ? 'w' : '-') + (mode & special ? (mode & xbit ? on : off) : mode & xbit ? 'x' : '-');
  return `${type}${x(0o400, 0o200, 0o100, 0o4000, 's', 'S')}${x(0o40, 0o20, 0o10, 0o2000, 's', 'S')}${x(0o4, 0o2, 0o1, 0o1000, 't', 'T')} `;
}

/** sftp-common.c ls_file for a remote file: an `ls -l` line with "?" links. */
export function lsFile(name: string, a: SftpAttrs, si: boolean, names: OwnerNames | null): string {
  const uid = a.uid ?? 0;
  const gid = a.gid ?? 0;
  const user = names?.users.get(uid) ?? String(uid);
  const group = names?.groups.get(gid) ?? String(gid);
  const mtime = a.mtime ?? 0;
  const d = new Date(mtime * 1000);
  const now = Math.floor(Date.now() / 1000);
  const recent = now - (365 * 24 * 60 * 60) / 2 < mtime && now >= mtime;
  const day = String(d.getDate()).padStart(2);
  const when = recent
    ? `${MONTHS[d.getMonth()]} ${day} ${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
    : `${MONTHS[d.getMonth()]} ${day}  ${d.getFullYear()}`;
  const size = si ? fmtScaled(BigInt(a.size ?? 0)) : String(a.size ?? 0);
  const pad = (s: string): string => s + ' '.repeat(Math.max(0, 8 - byteLength(s)));
  return `${strmode(a.permissions ?? 0)}   ? ${pad(user)} ${pad(group)} ${size.padStart(8)} ${when} ${name}`;
}

/** OpenBSD fmt_scaled(3): "0B", "512B", "4.0K", "21.9G", "252G". */
export function fmtScaled(n: bigint): string {
  const abs = n < 0n ? -n : n;
  const chars = 'BKMGTPE';
  let unit = 0;
  let scale = 1n;
  while (unit < 6 && abs / 1024n >= scale) {
    scale *= 1024n;
    unit++;
  }
  let num = n / scale;
  let fract = unit === 0 ? 0n : (abs % scale) / (scale / 1024n);
  fract = (10n * fract + 512n) / 1024n;
  if (fract >= 10n) {
    num += n >= 0n ? 1n : -1n;
    fract = 0n;
  }
  if (num === 0n) return '0B';
  if (unit === 0 || num >= 100n || num <= -100n) {
    if (fract >= 5n) num += num >= 0n ? 1n : -1n;
    return `${num}${chars[unit]}`;
  }
  return `${num}.${fract}${chars[unit]}`;
}

/** sftp's short listing: `%-*s` columns across the terminal width (one per line when `longest` is 0, for -1). */
export function columnLines(rows: readonly string[], longest: number, width: number): string[] {
  if (longest === 0) return [...rows];
  const out: string[] = [];
  const columns = Math.max(1, Math.floor(width / (longest + 2)));
  const colspace = Math.min(Math.floor(width / columns), width);
  let line = '';
  let c = 1;
  for (const r of rows) {
    line += r + ' '.repeat(Math.max(0, colspace - byteLength(r)));
    if (c >= columns) {
      out.push(line);
      line = '';
      c = 1;
    } else c++;
  }
  if (c !== 1) out.push(line);
  return out;
}
