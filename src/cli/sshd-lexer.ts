/**
 * The small parsers sshd_config(5) values go through, each as OpenSSH 9.2 has it (misc.c):
 * strdelim (the keyword and its `=`), argv_split (quoted arguments, `#` comments),
 * convtime (`1h30m`), strtonum-based integers, a2port, scan_scaled sizes (`1G`), hpdelim.
 */

export const WHITESPACE = ' \t\r\n';

/** A fatal configuration error (sshd's fatal(): exit status 255) or a refusal with its own status. */
export class SshdConfigError extends Error {
  override name = 'SshdConfigError';
  constructor(
    message: string,
    /** the exit status sshd ends with: 255 for fatal(), 1 for the errors it exits 1 on */
    readonly exitCode = 255,
    /** the lines sshd printed before this one (bad options, deprecated keywords) */
    public diagnostics: string[] = [],
  ) {
    super(message);
  }
}

function skipWhitespace(s: string): string {
  let i = 0;
  while (i < s.length && WHITESPACE.includes(s[i]!)) i++;
  return s.slice(i);
}

/**
 * strdelim(): the next word of `s`, split at blanks, a double quote, or (once) `=`.
 * Returns the word and what follows it; the word is null where a quote is not closed.
 */
export function strdelim(s: string): { word: string | null; rest: string | null } {
  let i = 0;
  while (i < s.length && !(WHITESPACE + '"=').includes(s[i]!)) i++;
  if (i === s.length) return { word: s, rest: null };
  if (s[i] === '"') {
    const t = s.slice(0, i) + s.slice(i + 1);
    const q = t.indexOf('"', i);
    if (q < 0) return { word: null, rest: null };
    return { word: t.slice(0, q), rest: skipWhitespace(t.slice(q + 1)) };
  }
  const sawEquals = s[i] === '=';
  let rest = skipWhitespace(s.slice(i + 1));
  if (rest.startsWith('=') && !sawEquals) rest = skipWhitespace(rest.slice(1));
  return { word: s.slice(0, i), rest };
}

/** argv_split(..., terminate_on_comment): words with quotes and `\` escapes removed; null for an unclosed quote. */
export function argvSplit(s: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    if (s[i] === ' ' || s[i] === '\t') {
      i++;
      continue;
    }
    if (s[i] === '#') break;
    let quote = '';
    let word = '';
    for (; i < s.length; i++) {
      const c = s[i]!;
      const n = s[i + 1];
      if (c === '\\') {
        if (n === "'" || n === '"' || n === '\\' || (quote === '' && n === ' ')) word += s[++i];
        else word += c;
      } else if (quote === '' && (c === ' ' || c === '\t')) break;
      else if (quote === '' && (c === '"' || c === "'")) quote = c;
      else if (quote !== '' && c === quote) quote = '';
      else word += c;
    }
    if (i >= s.length && quote !== '') return null;
    out.push(word);
  }
  return out;
}

const INT_MAX = 2147483647;

/** convtime(): seconds for `90`, `1h30m`, `2w`…; -1 if malformed or beyond INT_MAX. */
export function convtime(s: string | undefined): number {
  if (s === undefined || s === '') return -1;
  const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  let total = 0;
  let p = 0;
  while (p < s.length) {
    const m = /^[ \t\n\r\f\v]*([+-]?\d+)/.exec(s.slice(p));
    if (!m) return -1;
    const secs = Number(m[1]);
    if (secs < 0 || secs > INT_MAX) return -1;
    p += m[0].length;
    let mult = 1;
    if (p < s.length) {
      const u = units[s[p]!.toLowerCase()];
      if (u === undefined) return -1;
      mult = u;
      p++;
    }
    if (secs > Math.floor(INT_MAX / mult) || total > INT_MAX - secs * mult) return -1;
    total += secs * mult;
  }
  return total;
}

/** strtonum(): the integer in [min, max], or the error word OpenSSH prints ("invalid", "too small", "too large"). */
export function strtonum(s: string, min: number, max: number): number | 'invalid' | 'too small' | 'too large' {
  const m = /^[ \t\n\r\f\v]*([+-]?\d+)$/.exec(s);
  if (!m) return 'invalid';
  const n = Number(m[1]);
  if (n < min) return 'too small';
  if (n > max) return 'too large';
  return n;
}

/** atoi_err(): a non-negative int, or "missing" / strtonum's word. */
export function atoiErr(s: string | undefined): number | string {
  if (s === undefined || s === '') return 'missing';
  return strtonum(s, 0, INT_MAX);
}

/** The TCP services sshd's getservbyname() could name in a port (the usual /etc/services entries). */
const SERVICES: Record<string, number> = { ssh: 22, http: 80, https: 443, telnet: 23, ftp: 21, smtp: 25, domain: 53, www: 80 };

/** a2port(): 0–65535, or a service name; -1 otherwise. */
export function a2port(s: string): number {
  const n = strtonum(s, 0, 65535);
  if (typeof n === 'number') return n;
  return SERVICES[s] ?? -1;
}

/** permitopen_port(): "*" is the wildcard port (0 in OpenSSH's FWD_PERMIT_ANY_PORT terms). */
export function permitopenPort(s: string): number {
  if (s === '*') return 0;
  const p = a2port(s);
  return p > 0 ? p : -1;
}

/** hpdelim(): host and what follows the `:` (or `/`); `[v6]` keeps its brackets; null host if malformed. */
export function hpdelim(s: string): { host: string | null; rest: string | null } {
  let i: number;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) return { host: null, rest: null };
    i = close + 1;
  } else {
    const m = /[:/]/.exec(s);
    i = m ? m.index : s.length;
  }
  if (i === s.length) return { host: s, rest: null };
  if (s[i] === ':' || s[i] === '/') return { host: s.slice(0, i), rest: s.slice(i + 1) };
  return { host: null, rest: null };
}

/** cleanhostname(): `[host]` without its brackets. */
export function cleanhostname(h: string): string {
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

/** scan_scaled(): `123`, `1.5K`, `1G` (powers of 1024); null where OpenSSH says "Invalid argument". */
export function scanScaled(s: string): number | null {
  const m = /^[ \t]*([+-]?)(\d*)(?:\.(\d*))?([bBkKmMgGtTpPeE]?)$/.exec(s);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return null;
  const shift = 'BKMGTPE'.indexOf((m[4] || 'B').toUpperCase());
  const scale = 1024 ** shift;
  if (m[3] !== undefined && m[3] !== '' && shift === 0) return null;
  const whole = Number(m[2] || '0');
  const frac = m[3] ? Number('0.' + m[3]) : 0;
  const v = whole * scale + Math.floor(frac * scale);
  return m[1] === '-' ? -v : v;
}

/** IPQoS names (misc.c ipqos[]) and their DSCP/TOS values. */
export const IPQOS: readonly (readonly [string, number])[] = [
  ['none', 0x7fffffff],
  ['af11', 0x28],
  ['af12', 0x30],
  ['af13', 0x38],
  ['af21', 0x48],
  ['af22', 0x50],
  ['af23', 0x58],
  ['af31', 0x68],
  ['af32', 0x70],
  ['af33', 0x78],
  ['af41', 0x88],
  ['af42', 0x90],
  ['af43', 0x98],
  ['cs0', 0x00],
  ['cs1', 0x20],
  ['cs2', 0x40],
  ['cs3', 0x60],
  ['cs4', 0x80],
  ['cs5', 0xa0],
  ['cs6', 0xc0],
  ['cs7', 0xe0],
  ['ef', 0xb8],
  ['le', 0x04],
  ['lowdelay', 0x10],
  ['throughput', 0x08],
  ['reliability', 0x04],
];

/** parse_ipqos(): a name or an integer 0–255 (C literal: decimal, 0x hex, 0 octal); -1 otherwise. */
export function parseIpqos(s: string): number {
  const named = IPQOS.find(([n]) => n === s.toLowerCase());
  if (named) return named[1];
  let v: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) v = parseInt(s.slice(2), 16);
  else if (/^0[0-7]*$/.test(s)) v = parseInt(s, 8);
  else if (/^[+]?[1-9]\d*$/.test(s)) v = Number(s);
  else return -1;
  return v >= 0 && v <= 255 ? v : -1;
}

/** iptos2str(): the first name with that value, else `0x%02x`. */
export function iptos2str(v: number): string {
  return IPQOS.find(([, x]) => x === v)?.[0] ?? '0x' + v.toString(16).padStart(2, '0');
}
