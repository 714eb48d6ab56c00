/**
 * The CLI's view of known_hosts: ssh's lookup over the user and global files, built on
 * src/knownhosts (one parser and matcher for the library and the CLI). Names are in
 * known_hosts form already (`host`, or `[host]:port` off port 22). Node-only (reads files).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { KnownHosts } from '../knownhosts/db.js';
import { hostPortName } from '../knownhosts/match.js';

export interface KnownKey {
  file: string;
  /** 1-based line number */
  line: number;
  marker: 'revoked' | 'cert-authority' | null;
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
export const knownHostName = (host: string, port: number): string => hostPortName(host, port);

/** Every key listed for `name` in the files, @cert-authority and @revoked lines included (missing files are skipped). */
export function lookupKnownHosts(files: readonly string[], name: string, note: (msg: string) => void = () => {}): KnownKey[] {
  const out: KnownKey[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const db = KnownHosts.parse(text);
    for (const line of db.allLines) if (line.content.kind === 'invalid') note(`${file}:${line.number}: malformed line skipped`);
    // Port 0: `name` is already in known_hosts form.
    for (const { line, entry } of db.find(name, 0)) {
      out.push({ file, line: line.number, marker: entry.marker, type: entry.keyType, blob: entry.keyBlob });
    }
  }
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Compare the server's key with what the files know about `name` (OpenSSH hostfile.c order: revoked, match, mismatch). */
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

/** Append an entry for `name` (hashed when asked), creating the file (and ~/.ssh) if needed. */
export function addKnownHost(file: string, name: string, key: { type: string; blob: Uint8Array }, hash = false): string {
  const line = KnownHosts.empty().add(name, 0, key.blob, { hashed: hash }).raw;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const prior = existsSync(file) ? readFileSync(file) : Buffer.alloc(0);
  const sep = prior.length > 0 && prior[prior.length - 1] !== 0x0a ? '\n' : '';
  // Appending one whole line keeps concurrent ssh processes' lines intact, as ssh does.
  appendFileSync(file, sep + line + '\n', { mode: 0o600 });
  return line;
}
