/**
 * The pattern matching sshd_config(5) uses, over the shared match.c / addrmatch.c ports in
 * src/match, with sshd's calling conventions here: a null user, host or address means
 * "not known" (sshd -T without -C checks only the lists' form).
 */
import { addrMatchList as addrMatch, parseIpAddress } from '../match/address.js';
import { matchHostAndIp, matchHostname, matchPatternList, matchUser as matchUserPattern } from '../match/pattern.js';

export { matchHostname, matchPatternList };

/** An IPv4 (4 bytes) or IPv6 (16 bytes) address from its numeric text (a %scope is ignored); null if it is not one. */
export function parseAddress(text: string): Uint8Array | null {
  return parseIpAddress(text.replace(/%.*$/, '')) ?? null;
}

/** "a.b.c.d" or the compressed IPv6 text getnameinfo(NI_NUMERICHOST) prints. */
export function formatAddress(addr: Uint8Array): string {
  if (addr.length === 4) return addr.join('.');
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((addr[i]! << 8) | addr[i + 1]!);
  // the longest run of two or more zero words becomes "::" (RFC 5952 §4.2)
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':');
  if (best < 0) return hex(words);
  // glibc writes IPv4-mapped and IPv4-compatible addresses with a dotted tail
  if (best === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff)) && words[6]! !== 0)
    return (bestLen === 5 ? '::ffff:' : '::') + [...addr.slice(12)].join('.');
  return hex(words.slice(0, best)) + '::' + hex(words.slice(best + bestLen));
}

/**
 * addr_match_list: 1 matched; 0 not; -1 a negated entry matched; -2 the list is malformed
 * (an empty entry, or a CIDR network with a bad mask). `addr` null only checks the list.
 */
export function addrMatchList(addr: string | null, list: string): 1 | 0 | -1 | -2 {
  return addrMatch(addr ?? undefined, list);
}

/** AllowUsers/DenyUsers `user` or `user@host` patterns (match_user); -1 for a malformed host part. */
export function matchUser(user: string | null, host: string | null, ip: string | null, pattern: string): 1 | 0 | -1 {
  if (user === null && host === null && ip === null) {
    const at = pattern.indexOf('@');
    return at >= 0 && matchHostAndIp(undefined, undefined, pattern.slice(at + 1)) < 0 ? -1 : 0;
  }
  return matchUserPattern(user ?? '', host ?? undefined, ip ?? undefined, pattern);
}
