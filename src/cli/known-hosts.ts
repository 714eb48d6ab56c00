/**
 * The CLI's view of known_hosts: ssh's lookup over the user and global files, built on
 * src/knownhosts (one parser and matcher for the library and the CLI). Names are in
 * known_hosts form already (`host`, or `[host]:port` off port 22). Node-only (reads files).
 */
import { readFileSync } from 'node:fs';
import { KnownHosts } from '../knownhosts/db.js';
import { hostPortName } from '../knownhosts/match.js';
import { equalConstantTime } from '../wire/bytes.js';

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

/** Compare the server's key with what the files know about `name` (OpenSSH hostfile.c order: revoked, match, mismatch). */
export function checkKnownHost(files: readonly string[], name: string, key: { type: string; blob: Uint8Array }, note?: (msg: string) => void): KnownHostStatus {
  const known = lookupKnownHosts(files, name, note);
  const revoked = known.find((k) => k.marker === 'revoked' && equalConstantTime(k.blob, key.blob));
  if (revoked) return { status: 'revoked', entry: revoked };
  const usable = known.filter((k) => k.marker === null);
  const match = usable.find((k) => equalConstantTime(k.blob, key.blob));
  if (match) return { status: 'match', entry: match };
  const sameType = usable.filter((k) => k.type === key.type);
  if (sameType.length) return { status: 'mismatch', known: sameType };
  return { status: 'unknown', others: usable };
}
