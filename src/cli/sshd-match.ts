/**
 * The pattern matching sshd_config(5) uses: comma-separated wildcard lists with `!`
 * negation (OpenSSH match.c match_pattern_list), address lists with CIDR networks
 * (addrmatch.c addr_match_list) and `user@host` patterns (match_user).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { matchWildcard } from './algo-list.js';

/** 1: a positive pattern matched; 0: none did; -1: a negated pattern matched (match_pattern_list). */
export function matchPatternList(value: string, list: string, lowerCase: boolean): 1 | 0 | -1 {
  let positive: 1 | 0 = 0;
  for (const raw of list.split(',')) {
    const negated = raw.startsWith('!');
    let sub = negated ? raw.slice(1) : raw;
    if (lowerCase) sub = sub.toLowerCase();
    if (matchWildcard(value, sub)) {
      if (negated) return -1;
      positive = 1;
    }
  }
  return positive;
}

/** match_hostname: the host name is compared in lower case. */
export function matchHostname(host: string, list: string): 1 | 0 | -1 {
  return matchPatternList(host.toLowerCase(), list, true);
}

/** An IPv4 (4 bytes) or IPv6 (16 bytes) address from its numeric text; null if it is not one. */
export function parseAddress(text: string): Uint8Array | null {
  if (isIPv4(text)) return Uint8Array.from(text.split('.').map(Number));
  const bare = text.replace(/%.*$/, '');
  if (!isIPv6(bare)) return null;
  let s = bare;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (v4) {
    const b = v4.slice(1).map(Number);
    s = s.slice(0, v4.index) + ((b[0]! << 8) | b[1]!).toString(16) + ':' + ((b[2]! << 8) | b[3]!).toString(16);
  }
  const groups = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const cut = s.indexOf('::');
  const head = groups(cut < 0 ? s : s.slice(0, cut));
  const rest = cut < 0 ? [] : groups(s.slice(cut + 2));
  const words = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
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

/** addr_pton_cidr: 0 and the network; -1 not an address; -2 a bad mask or host bits set. */
function parseCidr(text: string): { net: Uint8Array; bits: number } | -1 | -2 {
  const slash = text.indexOf('/');
  let bits = -1;
  let host = text;
  if (slash >= 0) {
    const m = text.slice(slash + 1);
    if (!/^[0-9]+$/.test(m) || Number(m) > 128) return -1;
    bits = Number(m);
    host = text.slice(0, slash);
  }
  const net = parseAddress(host);
  if (!net) return -1;
  if (bits < 0) bits = net.length * 8;
  if (bits > net.length * 8) return -2;
  for (let i = bits; i < net.length * 8; i++) if ((net[i >> 3]! >> (7 - (i & 7))) & 1) return -2;
  return { net, bits };
}

function inNetwork(addr: Uint8Array, net: Uint8Array, bits: number): boolean {
  if (addr.length !== net.length) return false;
  for (let i = 0; i < bits; i++) if (((addr[i >> 3]! ^ net[i >> 3]!) >> (7 - (i & 7))) & 1) return false;
  return true;
}

/**
 * addr_match_list: 1 matched; 0 not; -1 a negated entry matched; -2 the list is malformed
 * (an empty entry, or a CIDR network with a bad mask). `addr` null only checks the list.
 */
export function addrMatchList(addr: string | null, list: string): 1 | 0 | -1 | -2 {
  const a = addr === null ? null : parseAddress(addr);
  if (addr !== null && a === null) return 0;
  let ret: 1 | 0 = 0;
  for (const raw of list.split(',')) {
    const neg = raw.startsWith('!');
    const entry = neg ? raw.slice(1) : raw;
    if (entry === '') return -2;
    const cidr = parseCidr(entry);
    if (cidr === -2) return -2;
    const found = a !== null && (cidr === -1 ? matchWildcard(addr!, entry) : inNetwork(a, cidr.net, cidr.bits));
    if (found) {
      if (neg) return -1;
      ret = 1;
    }
  }
  return ret;
}

/** match_host_and_ip: 1 if the host name or address matches, 0 if not, -1 for a malformed list. */
function matchHostAndIp(host: string | null, ip: string | null, patterns: string): 1 | 0 | -1 {
  const mip = addrMatchList(ip, patterns);
  if (mip === -2) return -1;
  if (host === null || ip === null || mip === -1) return 0;
  const mhost = matchHostname(host, patterns);
  if (mhost === -1) return 0;
  return mhost === 0 && mip === 0 ? 0 : 1;
}

/** AllowUsers/DenyUsers `user` or `user@host` patterns (match_user); -1 for a malformed host part. */
export function matchUser(user: string | null, host: string | null, ip: string | null, pattern: string): 1 | 0 | -1 {
  const at = pattern.indexOf('@');
  if (user === null && host === null && ip === null) return at >= 0 && matchHostAndIp(null, null, pattern.slice(at + 1)) < 0 ? -1 : 0;
  if (at < 0) return matchWildcard(user ?? '', pattern) ? 1 : 0;
  if (!matchWildcard(user ?? '', pattern.slice(0, at))) return 0;
  return matchHostAndIp(host, ip, pattern.slice(at + 1));
}
