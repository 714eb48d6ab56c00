/**
 * OpenSSH's pattern matching (match.c), shared by ssh_config Host/Match, known_hosts,
 * authorized_keys from= and sshd_config AllowUsers/Match: `*` matches any run of characters,
 * `?` exactly one; a comma-separated list may negate an entry with a leading `!`, and a
 * matching negated entry vetoes the whole list. Case-sensitive unless a function says otherwise.
 */
import { addrMatchList } from './address.js';

/** match.c keeps each sub-pattern in a 1024-byte buffer: a longer one makes the whole list fail. */
const MAX_SUBPATTERN = 1023;

/**
 * Whether `s` matches `pattern` (match_pattern): `*` any run, `?` one character, the rest literally.
 * Iterative with single-star backtracking, so hostile patterns cannot make it exponential.
 * @example matchPattern('host.example.com', '*.example.com') // true
 */
export function matchPattern(s: string, pattern: string): boolean {
  let si = 0;
  let pi = 0;
  let starP = -1;
  let starS = 0;
  while (si < s.length) {
    const p = pattern[pi];
    if (p === '*') {
      starP = pi++;
      starS = si;
    } else if (p !== undefined && (p === '?' || p === s[si])) {
      si++;
      pi++;
    } else if (starP >= 0) {
      pi = starP + 1;
      si = ++starS;
    } else {
      return false;
    }
  }
  while (pattern[pi] === '*') pi++;
  return pi === pattern.length;
}

/** ASCII-only lower-casing, as C's tolower() in the "C" locale that sshd runs in. */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/**
 * Match `s` against a comma-separated pattern list (match_pattern_list): 1 when some entry
 * matches, -1 when a `!`-negated entry matches (veto), 0 otherwise. With `lowercase`, the
 * patterns are lower-cased first (the caller lower-cases `s`; see {@link matchHostname}).
 * @example matchPatternList('bob', 'a*,!bob,b*', false) // -1
 */
export function matchPatternList(s: string, list: string, lowercase: boolean): -1 | 0 | 1 {
  let got: 0 | 1 = 0;
  let i = 0;
  while (i < list.length) {
    const negated = list[i] === '!';
    if (negated) i++;
    let end = list.indexOf(',', i);
    if (end < 0) end = list.length;
    if (end - i > MAX_SUBPATTERN - 1) return 0;
    let sub = list.slice(i, end);
    if (lowercase) sub = asciiLower(sub);
    i = end < list.length ? end + 1 : end;
    if (matchPattern(s, sub)) {
      if (negated) return -1;
      got = 1;
    }
  }
  return got;
}

/**
 * Match a host name against a pattern list, ignoring case (match_hostname).
 * @example matchHostname('Web1.Example.COM', '*.example.com,!db*') // 1
 */
export function matchHostname(host: string, list: string): -1 | 0 | 1 {
  return matchPatternList(asciiLower(host), list, true);
}

/**
 * from="…" and user@host patterns (match_host_and_ip): the list is tried against the address
 * (with CIDR entries) and against the host name. 1 on a match, 0 on none or on any negated
 * match, -1 when the list is malformed (an empty entry or a CIDR with host bits set).
 * With `host` or `address` undefined only the list's form is checked (0 or -1).
 * @example matchHostAndIp('gw.example.com', '192.0.2.7', '192.0.2.0/24,!*.evil') // 1
 */
export function matchHostAndIp(host: string | undefined, address: string | undefined, list: string): -1 | 0 | 1 {
  const ip = addrMatchList(address, list);
  if (ip === -2) return -1;
  if (host === undefined || address === undefined || ip === -1) return 0;
  const name = matchHostname(host, list);
  if (name === -1) return 0;
  if (name === 0 && ip === 0) return 0;
  return 1;
}

/**
 * AllowUsers/DenyUsers and Match User entries (match_user): "user" or "user@host-pattern-list",
 * the user part case-sensitive. 1 on a match, 0 on none, -1 when the host part is malformed.
 * @example matchUser('alice', 'gw', '10.0.0.5', 'alice@10.0.0.0/8') // 1
 */
export function matchUser(user: string, host: string | undefined, address: string | undefined, pattern: string): -1 | 0 | 1 {
  const at = pattern.indexOf('@');
  if (at < 0) return matchPattern(user, pattern) ? 1 : 0;
  if (!matchPattern(user, pattern.slice(0, at))) return 0;
  return matchHostAndIp(host, address, pattern.slice(at + 1));
}

/** match.c match_list considers at most this many entries of the second list. */
const MAX_PROPOSALS = 40;

/**
 * The first entry of comma-separated `client` that is also in `server`, compared exactly
 * (match_list; used for principals="…"). Each list ends at its first empty entry, and only
 * the first 40 entries of `server` count, as in OpenSSH.
 * @example matchList('ops,dev', 'dev,admin') // 'dev'
 */
export function matchList(client: string, server: string): string | undefined {
  const upTo = (list: string): string[] => {
    const out: string[] = [];
    for (const p of list.split(',')) {
      if (p === '') break;
      out.push(p);
    }
    return out;
  };
  const proposals = upTo(server).slice(0, MAX_PROPOSALS);
  return upTo(client).find((c) => proposals.includes(c));
}
