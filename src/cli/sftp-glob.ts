/**
 * glob(3) as OpenSSH's sftp uses it (its bundled OpenBSD glob): `*`, `?` and `[...]` (with `!`
 * negation and ranges), a backslash quoting the next character, a leading `.` matched only
 * by a literal `.`, results sorted by byte order, GLOB_MARK's `/` after directories and
 * GLOB_NOCHECK's pattern when nothing matches. Names are strings whose undecodable bytes are
 * U+DC80..U+DCFF (src/sftp/names.ts), so byte order is the order of their encodings.
 */
import { encodeName } from '../sftp/names.js';

/** What glob needs from a file system: directory listings and lstat/stat results. */
export interface GlobFs<S> {
  /** names in a directory (any order), or null when it cannot be read */
  readdir(dir: string): Promise<string[] | null>;
  /** null when the path does not exist */
  lstat(path: string): Promise<S | null>;
  stat(path: string): Promise<S | null>;
  isDir(st: S): boolean;
  isLink(st: S): boolean;
}

export interface GlobResult<S> {
  paths: string[];
  /** each path's lstat result (GLOB_KEEPSTAT); null for NOCHECK's pattern */
  stats: (S | null)[];
  /** how many paths matched (0 when `paths` is NOCHECK's pattern) */
  matched: number;
}

/** Whether a pattern has an unquoted `*`, `?` or `[`. */
export function hasMagic(pattern: string): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (c === '*' || c === '?' || c === '[') return true;
  }
  return false;
}

/** The pattern with its quoting backslashes removed (a literal path). */
export function unquote(pattern: string): string {
  return pattern.replace(/\\(.)/gsu, '$1');
}

/** `[`, `]`, `?`, `*` and `\` quoted, so a literal path can prefix a pattern. */
export function quoteGlob(path: string): string {
  return path.replace(/[[\]?*\\]/g, '\\$&');
}

/** Byte order (strcmp) of two names. */
export function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(encodeName(a)), Buffer.from(encodeName(b)));
}

/** One path component against one pattern component (OpenBSD glob's match()). */
export function matchComponent(pattern: string, name: string): boolean {
  const p = Array.from(pattern);
  const n = Array.from(name);
  const go = (pi: number, ni: number): boolean => {
    while (pi < p.length) {
      const c = p[pi]!;
      if (c === '*') {
        while (p[pi] === '*') pi++;
        if (pi === p.length) return true;
        for (let k = ni; k <= n.length; k++) if (go(pi, k)) return true;
        return false;
      }
      if (ni >= n.length) return false;
      if (c === '?') {
        pi++;
        ni++;
        continue;
      }
      if (c === '[') {
        const r = matchClass(p, pi + 1, n[ni]!);
        if (r === null) {
          // an unterminated class is a literal "["
          if (n[ni] !== '[') return false;
          pi++;
          ni++;
          continue;
        }
        if (!r.ok) return false;
        pi = r.next;
        ni++;
        continue;
      }
      const lit = c === '\\' && pi + 1 < p.length ? p[++pi]! : c;
      if (lit !== n[ni]) return false;
      pi++;
      ni++;
    }
    return ni === n.length;
  };
  return go(0, 0);
}

function matchClass(p: string[], i: number, ch: string): { ok: boolean; next: number } | null {
  let negate = false;
  if (p[i] === '!') {
    negate = true;
    i++;
  }
  let ok = false;
  let first = true;
  const cp = ch.codePointAt(0)!;
  while (i < p.length && (first || p[i] !== ']')) {
    first = false;
    let lo = p[i]!;
    if (lo === '\\' && i + 1 < p.length) lo = p[++i]!;
    i++;
    if (p[i] === '-' && i + 1 < p.length && p[i + 1] !== ']') {
      let hi = p[i + 1]!;
      i += 2;
      if (hi === '\\' && i < p.length) hi = p[i++]!;
      if (lo.codePointAt(0)! <= cp && cp <= hi.codePointAt(0)!) ok = true;
    } else if (lo === ch) ok = true;
  }
  if (i >= p.length) return null;
  return { ok: ok !== negate, next: i + 1 };
}

/** Expand a pattern (`mark` for GLOB_MARK, `nocheck` for GLOB_NOCHECK, `sort` false for GLOB_NOSORT). */
export async function glob<S>(pattern: string, fs: GlobFs<S>, options: { mark?: boolean; nocheck?: boolean; sort?: boolean } = {}): Promise<GlobResult<S>> {
  const parts = pattern.split('/');
  const out: { path: string; st: S }[] = [];
  const walk = async (prefix: string, i: number): Promise<void> => {
    // literal components are appended without reading directories (as glob2 does)
    while (i < parts.length && !hasMagic(parts[i]!)) {
      prefix += unquote(parts[i]!) + (i < parts.length - 1 ? '/' : '');
      i++;
    }
    if (i === parts.length) {
      const st = await fs.lstat(prefix);
      if (!st) return;
      if (!options.mark || prefix.endsWith('/')) {
        out.push({ path: prefix, st });
        return;
      }
      // as glob2: a symbolic link's kept stat becomes its target's when that exists
      const kept = fs.isLink(st) ? ((await fs.stat(prefix)) ?? st) : st;
      out.push({ path: fs.isDir(kept) ? `${prefix}/` : prefix, st: kept });
      return;
    }
    const part = parts[i]!;
    const names = await fs.readdir(prefix === '' ? '.' : prefix);
    if (!names) return;
    const last = i === parts.length - 1;
    for (const name of names) {
      if (name.startsWith('.') && !part.startsWith('.')) continue;
      if (!matchComponent(part, name)) continue;
      await walk(prefix + name + (last ? '' : '/'), i + 1);
    }
  };
  await walk('', 0);
  if (options.sort !== false) out.sort((a, b) => byteCompare(a.path, b.path));
  if (out.length === 0 && options.nocheck) return { paths: [pattern], stats: [null], matched: 0 };
  return { paths: out.map((o) => o.path), stats: out.map((o) => o.st), matched: out.length };
}
