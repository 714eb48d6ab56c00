/**
 * Address lists as OpenSSH matches them (addrmatch.c, addr.c): entries are addresses or CIDR
 * networks ("192.0.2.0/24", "2001:db8::/32"), or else wildcard patterns matched against the
 * address text. Addresses are read as glibc's getaddrinfo(AI_NUMERICHOST) reads them: IPv4 in
 * any inet_aton form ("127.1", "0x7f.0.0.1"), IPv6 as inet_pton. Scoped IPv6 ("fe80::1%eth0")
 * is not read as an address (it falls back to the wildcard form).
 */
import { matchPattern } from './pattern.js';

/** An IPv4 (4 bytes) or IPv6 (16 bytes) address. */
export type IpAddress = Uint8Array;

const digitValue = (c: string, base: number): number => {
  const v = parseInt(c, 16);
  return Number.isNaN(v) || v >= base ? -1 : v;
};

/** inet_aton's forms, exactly (no trailing text): 1 to 4 parts, each decimal, 0-octal or 0x-hex. */
function parseIpv4(s: string): IpAddress | undefined {
  const parts: number[] = [];
  let i = 0;
  for (;;) {
    if (!/[0-9]/.test(s[i] ?? '')) return undefined;
    let base = 10;
    if (s[i] === '0') {
      i++;
      if (s[i] === 'x' || s[i] === 'X') {
        base = 16;
        i++;
      } else base = 8;
    }
    let v = 0;
    for (; i < s.length; i++) {
      const d = digitValue(s[i]!, base);
      if (d < 0) {
        if (/[0-9]/.test(s[i]!)) return undefined; // 8 or 9 in an octal part
        break;
      }
      v = v * base + d;
      if (v > 0xffffffff) return undefined;
    }
    parts.push(v);
    if (s[i] === '.') {
      if (parts.length > 3 || v > 0xff) return undefined;
      i++;
      continue;
    }
    if (i !== s.length) return undefined;
    break;
  }
  const last = parts.pop()!;
  const max = [0xffffffff, 0xffffff, 0xffff, 0xff][parts.length]!;
  if (last > max) return undefined;
  const out = new Uint8Array(4);
  parts.forEach((p, k) => (out[k] = p));
  for (let k = 3, v = last; k >= parts.length; k--, v = Math.floor(v / 256)) out[k] = v & 0xff;
  return out;
}

/** inet_pton(AF_INET6): hex groups of 1–4 digits, one "::", an optional dotted-quad tail. */
function parseIpv6(s: string): IpAddress | undefined {
  if (s.length === 0 || s.length > 45) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (text: string, allowV4: boolean): number[] | undefined => {
    if (text === '') return [];
    const out: number[] = [];
    const fields = text.split(':');
    for (let k = 0; k < fields.length; k++) {
      const f = fields[k]!;
      if (allowV4 && k === fields.length - 1 && f.includes('.')) {
        // inet_pton4: exactly four decimal octets, no leading zeros
        const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(f);
        if (!m) return undefined;
        const oct = m.slice(1).map((x) => (x.length > 1 && x[0] === '0' ? 256 : Number(x)));
        if (oct.some((o) => o > 255)) return undefined;
        out.push((oct[0]! << 8) | oct[1]!, (oct[2]! << 8) | oct[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(f)) return undefined;
        out.push(parseInt(f, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? groups(halves[1]!, true) : [];
  if (!head || !tail) return undefined;
  const total = head.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const all = [...head, ...new Array<number>(8 - total).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, k) => {
    out[2 * k] = g >> 8;
    out[2 * k + 1] = g & 0xff;
  });
  return out;
}

/**
 * Read a numeric address as sshd does (addr_pton), or undefined when it is not one.
 * @example parseIpAddress('127.1') // Uint8Array [127, 0, 0, 1]
 */
export function parseIpAddress(s: string): IpAddress | undefined {
  return parseIpv4(s) ?? parseIpv6(s);
}

/**
 * The address a connection came from as sshd names it: an IPv4-mapped IPv6 address
 * ("::ffff:192.0.2.1", what a dual-stack socket reports) becomes the IPv4 address
 * (sshd's ipv64_normalise_mapped).
 * @example normalizeRemoteAddress('::ffff:192.0.2.1') // '192.0.2.1'
 */
export function normalizeRemoteAddress(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

/** A network entry: 0 with the network, -1 when it is not an address (addr_pton_cidr), -2 when its mask is inconsistent. */
function parseCidr(entry: string): { net: IpAddress; bits: number } | -1 | -2 {
  if (entry.length >= 64) return -1;
  const slash = entry.indexOf('/');
  let bits = -1;
  let text = entry;
  if (slash >= 0) {
    const m = entry.slice(slash + 1);
    if (!/^[0-9]+$/.test(m)) return -1;
    bits = m.length > 3 ? 999 : Number(m);
    if (bits > 128) return -1;
    text = entry.slice(0, slash);
  }
  const net = parseIpAddress(text);
  if (!net) return -1;
  const width = net.length * 8;
  if (bits < 0) bits = width;
  if (bits > width) return -2;
  for (let b = bits; b < width; b++) if ((net[b >> 3]! >> (7 - (b & 7))) & 1) return -2;
  return { net, bits };
}

function inNetwork(addr: IpAddress, net: IpAddress, bits: number): boolean {
  if (addr.length !== net.length) return false;
  for (let b = 0; b < bits; b++) {
    const mask = 1 << (7 - (b & 7));
    if ((addr[b >> 3]! & mask) !== (net[b >> 3]! & mask)) return false;
  }
  return true;
}

/**
 * Match an address against a list of CIDR networks and wildcard patterns, each negatable with
 * `!` (addr_match_list): 1 on a match, -1 on a negated match, 0 on none (also when `address` is
 * not an address), -2 when the list has an empty entry or a network with host bits set.
 * With `address` undefined only the list's form is checked (0 or -2).
 * @example addrMatchList('192.0.2.7', '!192.0.2.0/28,192.0.2.0/24') // 1
 */
export function addrMatchList(address: string | undefined, list: string): -2 | -1 | 0 | 1 {
  let addr: IpAddress | undefined;
  if (address !== undefined) {
    addr = parseIpAddress(address);
    if (!addr) return 0;
  }
  let ret: -2 | -1 | 0 | 1 = 0;
  for (const raw of list.split(',')) {
    const neg = raw.startsWith('!');
    const entry = neg ? raw.slice(1) : raw;
    if (entry === '') return -2;
    const cidr = parseCidr(entry);
    if (cidr === -2) return -2;
    const found = cidr === -1 ? address !== undefined && matchPattern(address, entry) : addr !== undefined && inNetwork(addr, cidr.net, cidr.bits);
    if (found) {
      if (neg) return -1;
      ret = 1;
    }
  }
  return ret;
}

/** Why a strict CIDR list is refused (addr_match_cidr_list), in sshd's words. */
export function cidrListProblem(list: string): string | undefined {
  for (const entry of list.split(',')) {
    if (entry === '') return `empty entry in list "${list.slice(0, 100)}"`;
    if (entry.length > 46 + 3) return `list entry "${entry.slice(0, 100)}" too long`;
    if (!/^[0-9a-fA-F.:/]*$/.test(entry)) return `list entry "${entry.slice(0, 100)}" contains invalid characters`;
    const cidr = parseCidr(entry);
    if (cidr === -1) return `Invalid network entry "${entry.slice(0, 100)}"`;
    if (cidr === -2) return `Inconsistent mask length for network "${entry.slice(0, 100)}"`;
  }
  return undefined;
}

/**
 * Match an address against a strict list of CIDR networks, no wildcards or negation
 * (addr_match_cidr_list; certificate source-address): 1 on a match, 0 on none or when
 * `address` is not an address, -1 when the list is malformed.
 * @example addrMatchCidrList('10.1.2.3', '10.0.0.0/8,192.0.2.1') // 1
 */
export function addrMatchCidrList(address: string | undefined, list: string): -1 | 0 | 1 {
  let addr: IpAddress | undefined;
  if (address !== undefined) {
    addr = parseIpAddress(address);
    if (!addr) return 0;
  }
  if (cidrListProblem(list) !== undefined) return -1;
  if (!addr) return 0;
  for (const entry of list.split(',')) {
    const cidr = parseCidr(entry) as { net: IpAddress; bits: number };
    if (inNetwork(addr, cidr.net, cidr.bits)) return 1;
  }
  return 0;
}
