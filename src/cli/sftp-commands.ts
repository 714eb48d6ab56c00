/**
 * Reading sftp's command lines as OpenSSH 9.2's sftp.c does: makeargv's word splitting (with
 * its glob escapes), the command table, getopt(3) flags and parse_args' checks and messages.
 */
import { byteLength } from './sftp-output.js';

/** A command's failure, already in sftp's words. */
export class CommandError extends Error {
  override name = 'CommandError';
}

const MAXARGS = 128;
const MAXARGLEN = 8192;

/**
 * Split a command line as sftp's makeargv does: sh-style quotes and backslashes, `#` starts a
 * comment, and glob characters that were quoted or escaped stay escaped with a backslash
 * (glob undoes one level; undoGlobEscape() undoes it for arguments that are not globbed).
 */
export function splitWords(arg: string): string[] {
  if (byteLength(arg) > MAXARGLEN - 1) throw new CommandError('string too long');
  const argv: string[] = [];
  type State = 'start' | 'squote' | 'dquote' | 'unquoted';
  let state: State = 'start';
  let cur = '';
  const isSpace = (c: string | undefined): boolean => c !== undefined && /^[ \t\n\v\f\r]$/.test(c);
  const end = (): void => {
    argv.push(cur);
    cur = '';
    if (argv.length > MAXARGS) throw new CommandError('Too many arguments.');
  };
  for (let i = 0; ; i++) {
    const c = arg[i];
    if (c === undefined || (c === '#' && (state === 'start' || state === 'unquoted'))) {
      if (c === undefined && (state === 'squote' || state === 'dquote')) throw new CommandError('Unterminated quoted argument');
      if (state === 'unquoted') end();
      return argv;
    }
    if (isSpace(c)) {
      if (state === 'unquoted') {
        end();
        state = 'start';
      } else if (state !== 'start') cur += c;
    } else if (c === '"' || c === "'") {
      const q: State = c === '"' ? 'dquote' : 'squote';
      if (state === 'start' || state === 'unquoted') state = q;
      else if (state === q) state = 'unquoted';
      else cur += c;
    } else if (c === '\\') {
      const next = arg[i + 1];
      if (state === 'squote' || state === 'dquote') {
        const quot = state === 'squote' ? "'" : '"';
        if (next === quot) cur += arg[++i];
        else if (next === '?' || next === '[' || next === '*') cur += '\\\\\\' + arg[++i]!;
        else cur += '\\' + (arg[++i] ?? '');
      } else {
        if (state === 'start') state = 'unquoted';
        if (next === '?' || next === '[' || next === '*' || next === '\\') cur += '\\' + arg[++i]!;
        else cur += arg[++i] ?? '';
      }
    } else {
      if (state === 'start') state = 'unquoted';
      cur += (state === 'squote' || state === 'dquote') && (c === '?' || c === '[' || c === '*') ? `\\${c}` : c;
    }
  }
}

/** Remove the escaping splitWords added to glob characters (sftp.c undo_glob_escape). */
export function undoGlobEscape(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\') {
      out += s[i];
      continue;
    }
    const n = s[++i];
    if (n === undefined) return out + '\\';
    out += n === '?' || n === '[' || n === '*' || n === '\\' ? n : `\\${n}`;
  }
  return out;
}

/** getopt(3) without permutation: flags up to the first operand or "--". */
function getopt(cmd: string, argv: string[], allowed: string): { flags: string[]; optind: number } {
  const flags: string[] = [];
  let i = 1;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    for (const c of a.slice(1)) {
      if (!allowed.includes(c)) throw new CommandError(`${cmd}: Invalid flag -${c}`);
      flags.push(c);
    }
  }
  return { flags, optind: i };
}

const COMMANDS: Record<string, string> = {
  bye: 'quit',
  cd: 'cd',
  chdir: 'cd',
  chgrp: 'chgrp',
  chmod: 'chmod',
  chown: 'chown',
  copy: 'copy',
  cp: 'copy',
  df: 'df',
  dir: 'ls',
  exit: 'quit',
  get: 'get',
  help: 'help',
  lcd: 'lcd',
  lchdir: 'lcd',
  lls: 'lls',
  lmkdir: 'lmkdir',
  ln: 'ln',
  lpwd: 'lpwd',
  ls: 'ls',
  lumask: 'lumask',
  mkdir: 'mkdir',
  mget: 'get',
  mput: 'put',
  progress: 'progress',
  put: 'put',
  pwd: 'pwd',
  quit: 'quit',
  reget: 'reget',
  rename: 'rename',
  reput: 'reput',
  rm: 'rm',
  rmdir: 'rmdir',
  symlink: 'symlink',
  version: 'version',
  '?': 'help',
};

export const HELP = `Available commands:
bye                                Quit sftp
cd path                            Change remote directory to 'path'
chgrp [-h] grp path                Change group of file 'path' to 'grp'
chmod [-h] mode path               Change permissions of file 'path' to 'mode'
chown [-h] own path                Change owner of file 'path' to 'own'
copy oldpath newpath               Copy remote file
cp oldpath newpath                 Copy remote file
df [-hi] [path]                    Display statistics for current directory or
                                   filesystem containing 'path'
exit                               Quit sftp
get [-afpR] remote [local]         Download file
help                               Display this help text
lcd path                           Change local directory to 'path'
lls [ls-options [path]]            Display local directory listing
lmkdir path                        Create local directory
ln [-s] oldpath newpath            Link remote file (-s for symlink)
lpwd                               Print local working directory
ls [-1afhlnrSt] [path]             Display remote directory listing
lumask umask                       Set local umask to 'umask'
mkdir path                         Create remote directory
progress                           Toggle display of progress meter
put [-afpR] local [remote]         Upload file
pwd                                Display remote working directory
quit                               Quit sftp
reget [-fpR] remote [local]        Resume download file
rename oldpath newpath             Rename remote file
reput [-fpR] local [remote]        Resume upload file
rm path                            Delete remote file
rmdir path                         Remove remote directory
symlink oldpath newpath            Symlink remote file
version                            Show SFTP version
!command                           Execute 'command' in local shell
!                                  Escape to local shell
?                                  Synonym for help
`;

/** A parsed command line (sftp.c parse_args). */
export interface Parsed {
  cmd: string;
  name: string;
  flags: Set<string>;
  path1?: string;
  path2?: string;
  num?: number;
  /** the rest of the line, for `!` and `lls` */
  rest?: string;
}

export function parseCommand(line: string): Parsed {
  const argv = splitWords(line);
  if (line.startsWith('!')) return { cmd: 'shell', name: '!', flags: new Set(), rest: line.slice(1) };
  // commands are matched without regard to case (strcasecmp); messages name them in lower case
  const canonical = argv[0]?.toLowerCase() ?? '';
  const name = Object.hasOwn(COMMANDS, canonical) ? COMMANDS[canonical] : undefined;
  if (name === undefined) throw new CommandError('Invalid command.');
  const p: Parsed = { cmd: name, name: canonical, flags: new Set() };
  const opts = (allowed: string, label = canonical): number => {
    const r = getopt(label, argv, allowed);
    for (const f of r.flags) p.flags.add(f);
    return r.optind;
  };
  const argc = argv.length;
  switch (name) {
    case 'get':
    case 'reget':
    case 'put':
    case 'reput': {
      const i = opts('afPpRr');
      if (argc - i < 1) throw new CommandError(`You must specify at least one path after a ${canonical} command.`);
      p.path1 = argv[i];
      // the destination is not globbed
      if (argc - i > 1) p.path2 = undoGlobEscape(argv[i + 1]!);
      return p;
    }
    case 'ln':
    case 'copy':
    case 'rename':
    case 'symlink': {
      const i = opts(name === 'ln' ? 's' : name === 'rename' ? 'l' : '');
      if (argc - i < 2) throw new CommandError(`You must specify two paths after a ${canonical} command.`);
      p.path1 = undoGlobEscape(argv[i]!);
      p.path2 = undoGlobEscape(argv[i + 1]!);
      return p;
    }
    case 'rm':
    case 'mkdir':
    case 'rmdir':
    case 'lmkdir':
    case 'cd':
    case 'lcd': {
      const i = opts('');
      if (argc - i < 1) {
        if (name === 'cd' || name === 'lcd') return p;
        throw new CommandError(`You must specify a path after a ${canonical} command.`);
      }
      // only rm globs
      p.path1 = name === 'rm' ? argv[i] : undoGlobEscape(argv[i]!);
      return p;
    }
    case 'df': {
      const i = opts('hi');
      if (argc - i >= 1) p.path1 = undoGlobEscape(argv[i]!);
      return p;
    }
    case 'ls': {
      const i = opts('1Safhlnrt', 'ls');
      if (argc - i > 0) p.path1 = argv[i];
      return p;
    }
    case 'lls':
      // the rest of the line goes to ls(1) as it is
      p.rest = line.slice(canonical.length);
      return p;
    case 'lumask':
    case 'chmod':
    case 'chown':
    case 'chgrp': {
      const i = opts('h');
      const n = argc - i < 1 ? null : strtoul(argv[i]!, name === 'lumask' || name === 'chmod' ? 8 : 0);
      if (n === null) throw new CommandError(`You must supply a numeric argument to the ${canonical} command.`);
      p.num = n;
      if (name === 'lumask') return p;
      if (argc - i < 2) throw new CommandError(`You must specify a path after a ${canonical} command.`);
      p.path1 = argv[i + 1];
      return p;
    }
    default:
      opts('');
      return p;
  }
}

/** strtoll(s, base) accepting only a whole number in 0..2^32-1 (as parse_args checks). */
function strtoul(s: string, base: 0 | 8): number | null {
  let t = s.replace(/^[ \t\n\v\f\r]+/, '');
  let neg = false;
  if (t[0] === '+' || t[0] === '-') {
    neg = t[0] === '-';
    t = t.slice(1);
  }
  let radix = 8;
  if (base === 0) {
    if (/^0x[0-9a-f]/i.test(t)) {
      radix = 16;
      t = t.slice(2);
    } else radix = t.startsWith('0') ? 8 : 10;
  }
  const digits = radix === 16 ? /^[0-9a-f]+$/i : radix === 10 ? /^[0-9]+$/ : /^[0-7]+$/;
  if (!digits.test(t)) return null;
  const v = parseInt(t, radix) * (neg ? -1 : 1);
  return v < 0 || v > 0xffffffff ? null : v;
}
