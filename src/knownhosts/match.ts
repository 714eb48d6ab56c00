/**
 * Host matching as OpenSSH does it (match.c match_pattern / match_hostname, misc.c
 * put_host_port): the name looked up is "host" on port 22 and "[host]:port" otherwise,
 * lower-cased; patterns use `*` and `?`; a matching `!pattern` vetoes the whole entry.
 */
import { matchPattern as globMatch } from '../match/pattern.js';
import { hashedNameMatches } from './hashed.js';
import type { HostField } from './parse.js';

/** The SSH port (22): hosts on it are written without brackets in known_hosts. */
export const DEFAULT_PORT = 22;

/**
 * The name a host is filed under: "host" on the default port, "[host]:port" otherwise.
 * @example hostPortName('Example.COM', 2222) // '[example.com]:2222'
 */
export function hostPortName(host: string, port: number = DEFAULT_PORT): string {
  const h = host.toLowerCase();
  return port === DEFAULT_PORT || port === 0 ? h : `[${h}]:${port}`;
}

/** `*` matches any run of characters, `?` exactly one; everything else literally (case-insensitive). */
export function matchPattern(name: string, pattern: string): boolean {
  return globMatch(name.toLowerCase(), pattern.toLowerCase());
}

/** 1: a pattern matches; -1: a negated pattern matches (veto); 0: none (OpenSSH match_pattern_list). */
export function matchPatternList(name: string, patterns: readonly string[]): -1 | 0 | 1 {
  let got: 0 | 1 = 0;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = negated ? raw.slice(1) : raw;
    if (matchPattern(name, pattern)) {
      if (negated) return -1;
      got = 1;
    }
  }
  return got;
}

/** Whether a known_hosts host field names `name` (already in hostPortName form). */
export function hostFieldMatches(field: HostField, name: string): boolean {
  if (field.hashed) return hashedNameMatches(field.salt, field.hash, name);
  return matchPatternList(name, field.patterns) === 1;
}

/** Whether a pattern needs literal treatment to be hashed (ssh-keygen -H leaves these alone). */
export function isWildcardPattern(pattern: string): boolean {
  return /[*?!]/.test(pattern);
}
