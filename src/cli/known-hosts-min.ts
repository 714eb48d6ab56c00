/**
 * A minimal OpenSSH known_hosts lookup for the CLI (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"):
 * plain and hashed (`|1|salt|hash`) host fields, comma-separated pattern lists with `*`, `?`
 * and `!` negation, `[host]:port` names for ports other than 22, and `@revoked` lines.
 * `@cert-authority` lines are skipped with a note (no certificate support yet).
 * Node-only (reads files, HMAC-SHA1 from node:crypto for hashed names).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { matchWildcard } from './algo-list.js';

export interface KnownKey {
  file: string;
  /** 1-based line number */
  line: number;
  marker: 'revoked' | null;
  /** key type field, e.g. "ssh-ed25519" */
  type: string;
  blob: Uint8Array;
}

export type KnownHostStatus =
  | { status: 'match'; entry: KnownKey }
  | { status: 'mismatch'; known: KnownKey[] }
  | { status: 'revoked'; entry: KnownKey }
  /** nothing for this key type; `others` lists keys of other types known for the host */
  | { status: 'unknown'; others: KnownKey[] };

/** The name a host goes by in known_hosts: `host`, or `[host]:port` off port 22. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host.toLowerCase() : `[${host.toLowerCase()}]:${port}`;
}

/** One host pattern, plain or hashed, against a name. */
function patternMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    const want = Buffer.from(hash, 'base64');
    const got = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
    return want.length === got.length && timingSafeEqual(want, got);
  }
  return matchWildcard(name, pattern.toLowerCase());
}

/** A comma-separated host field: any positive match and no negated match. */
export function hostFieldMatches(field: string, name: string): boolean {
  let matched = false;
  for (const p of field.split(',')) {
    if (p.startsWith('!')) {
      if (patternMatches(p.slice(1), name)) return false;
    } else if (patternMatches(p, name)) {
      matched = true;
    }
  }
  return matched;
}

/** Every key listed for `name` in the files (missing files are skipped). */
export function lookupKnownHosts(files: readonly string[], name: string, note: (msg: string) => void = () => {}): KnownKey[] {
  const out: KnownKey[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    text.split('\n').forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      let fields = line.split(/\s+/);
      let marker: KnownKey['marker'] = null;
      if (fields[0]!.startsWith('@')) {
        if (fields[0] === '@revoked') marker = 'revoked';
        else {
          if (hostFieldMatches(fields[1] ?? '', name)) note(`${file}:${i + 1}: ${fields[0]} lines are not supported yet; skipped`);
          return;
        }
        fields = fields.slice(1);
      }
      const [hosts, type, b64] = fields;
      if (!hosts || !type || !b64 || !/^[A-Za-z0-9+/]+=*$/.test(b64)) {
        note(`${file}:${i + 1}: malformed line skipped`);
        return;
      }
      if (!hostFieldMatches(hosts, name)) return;
      out.push({ file, line: i + 1, marker, type, blob: new Uint8Array(Buffer.from(b64, 'base64')) });
    });
  }
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Compare the server's key with what the files know about `name`. */
export function checkKnownHost(
  files: readonly string[],
  name: string,
  key: { type: string; blob: Uint8Array },
  note?: (msg: string) => void,
): KnownHostStatus {
  const known = lookupKnownHosts(files, name, note);
  const revoked = known.find((k) => k.marker === 'revoked' && sameBytes(k.blob, key.blob));
  if (revoked) return { status: 'revoked', entry: revoked };
  const usable = known.filter((k) => k.marker === null);
  const match = usable.find((k) => sameBytes(k.blob, key.blob));
  if (match) return { status: 'match', entry: match };
  const sameType = usable.filter((k) => k.type === key.type);
  if (sameType.length) return { status: 'mismatch', known: sameType };
  return { status: 'unknown', others: usable };
}

/** Append `name type base64` (hashed when asked) to the file, creating it (and ~/.ssh) if needed. */
export function addKnownHost(file: string, name: string, key: { type: string; blob: Uint8Array }, hash = false): string {
  let hostField = name;
  if (hash) {
    const salt = randomBytes(20);
    hostField = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
  }
  const line = `${hostField} ${key.type} ${Buffer.from(key.blob).toString('base64')}`;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const prior = existsSync(file) ? readFileSync(file) : Buffer.alloc(0);
  const sep = prior.length > 0 && prior[prior.length - 1] !== 0x0a ? '\n' : '';
  appendFileSync(file, sep + line + '\n', { mode: 0o600 });
  return line;
}
