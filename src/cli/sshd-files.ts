/**
 * What reading sshd_config needs from the running system: the working directory, home
 * directories and groups from /etc/passwd and /etc/group (as getpwnam/getgrouplist see
 * them), file contents, and glob(3) for Include.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

export interface LoadEnv {
  cwd: string;
  userHome(name?: string): string | undefined;
  groupsOf(user: string): string[] | undefined;
  readFile(path: string): string;
  glob(pattern: string): string[];
}

/** The running system's view: passwd and group files, globbing, the working directory. */
export function nodeLoadEnv(): LoadEnv {
  const passwd = (): string[][] => readLines('/etc/passwd').map((l) => l.split(':'));
  return {
    cwd: process.cwd(),
    userHome(name?: string) {
      if (name === undefined) {
        const uid = String(process.getuid?.() ?? '');
        return passwd().find((f) => f[2] === uid)?.[5] ?? process.env.HOME;
      }
      return passwd().find((f) => f[0] === name)?.[5];
    },
    groupsOf(user: string) {
      const pw = passwd().find((f) => f[0] === user);
      if (!pw) return undefined;
      const groups = readLines('/etc/group').map((l) => l.split(':'));
      const out = groups.filter((g) => g[2] === pw[3]).map((g) => g[0]!);
      for (const g of groups) if ((g[3] ?? '').split(',').includes(user) && !out.includes(g[0]!)) out.push(g[0]!);
      return out;
    },
    readFile: (p) => readFileSync(p, 'utf8'),
    glob: globPaths,
  };
}

function readLines(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** glob(3) without flags: `*`, `?` and `[...]` in any component, sorted, dot files only when named. */
export function globPaths(pattern: string): string[] {
  // glob() matches an existing path even if unreadable; a missing one is GLOB_NOMATCH
  if (!/[*?[]/.test(pattern)) return exists(pattern) ? [pattern] : [];
  const parts = pattern.split('/');
  let paths = [parts[0] === '' ? '/' : '.'];
  for (let i = parts[0] === '' ? 1 : 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === '') continue;
    const next: string[] = [];
    for (const dir of paths) {
      const join = (n: string): string => (dir === '/' ? `/${n}` : dir === '.' && parts[0] !== '.' ? n : `${dir}/${n}`);
      if (!/[*?[]/.test(part)) {
        next.push(join(part));
        continue;
      }
      let entries: string[];
      try {
        entries = readdirSync(dir === '' ? '.' : dir);
      } catch {
        continue;
      }
      const re = globRegex(part);
      for (const e of entries.sort()) if ((!e.startsWith('.') || part.startsWith('.')) && re.test(e)) next.push(join(e));
    }
    paths = next;
  }
  return paths.filter((p) => {
    try {
      readdirSync(dirname(p));
      return exists(p);
    } catch {
      return false;
    }
  });
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

function globRegex(part: string): RegExp {
  let re = '^';
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = part.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        const body = part.slice(i + 1, end);
        re += '[' + (body.startsWith('!') ? '^' + body.slice(1) : body).replace(/\\/g, '\\\\') + ']';
        i = end;
      }
    } else re += c.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(re + '$', 's');
}
