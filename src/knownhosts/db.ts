/**
 * An editable known_hosts file: look up a host, check a host key (libssh2's MATCH /
 * MISMATCH / NOTFOUND, plus REVOKED for `@revoked` lines), add and remove entries, and
 * write the text back with every untouched line byte for byte as it was.
 *
 * @example
 * ```ts
 * const db = KnownHosts.parse(text);
 * const r = db.check('example.com', 22, hostKeyBlob);
 * if (r.status === 'notfound') db.add('example.com', 22, hostKeyBlob, { hashed: true });
 * save(db.toString());
 * ```
 */
import { base64Encode } from '../crypto/encoding.js';
import { equalConstantTime } from '../wire/bytes.js';
import { Reader } from '../wire/reader.js';
import { SshError } from '../errors.js';
import { hashHostName } from './hashed.js';
import { DEFAULT_PORT, hostFieldMatches, hostPortName, isWildcardPattern } from './match.js';
import { type KnownHostEntry, type KnownHostsLine, KnownHostsError, type Marker, parseKnownHosts, parseKnownHostsLine } from './parse.js';

/** The outcome of a known_hosts check, in OpenSSH hostfile.c's terms. */
export type CheckStatus = 'match' | 'mismatch' | 'notfound' | 'revoked';

/** libssh2's LIBSSH2_KNOWNHOST_CHECK_* values (revoked reports FAILURE there). */
export const KNOWNHOST_CHECK = { MATCH: 0, MISMATCH: 1, NOTFOUND: 2, FAILURE: 3 } as const;

/** An entry that matched a host, with its line. */
export interface FoundEntry {
  /** the line as it is in the file (number is 1-based; 0 for lines added since parsing) */
  readonly line: KnownHostsLine;
  readonly entry: KnownHostEntry;
}

/** What {@link KnownHosts.check} found. */
export interface CheckResult {
  readonly status: CheckStatus;
  /** the line that decided: the matching or revoked key, or the first key of the same type */
  readonly found: FoundEntry | null;
  /** every plain (unmarked) entry filed for this host and port, any key type */
  readonly known: readonly FoundEntry[];
}

/** How {@link KnownHosts.add} writes an entry (hashed name, comment, marker). */
export interface AddOptions {
  /** store the host name hashed (HashKnownHosts yes); default false */
  hashed?: boolean;
  comment?: string;
  marker?: Marker | null;
  /** salt for a hashed name (tests); random by default */
  salt?: Uint8Array;
}

/** A key given as a blob or as anything with `blob` (PublicKey, HostKeyInfo). */
export type KeyLike = Uint8Array | { readonly blob: Uint8Array };

const blobOf = (k: KeyLike): Uint8Array => (k instanceof Uint8Array ? k : k.blob);

function keyTypeOf(blob: Uint8Array): string {
  try {
    return new Reader(blob, 0, 'public key').ascii('key type');
  } catch (e) {
    if (e instanceof SshError) throw new KnownHostsError('host key blob is malformed');
    throw e;
  }
}

/**
 * A known_hosts database in memory: parses, checks and edits, keeping every line it does
 * not change byte for byte.
 */
export class KnownHosts {
  private constructor(private lines: KnownHostsLine[]) {}

  /** Parse known_hosts text; unreadable lines are kept (and ignored), as OpenSSH does. */
  static parse(text: string): KnownHosts {
    return new KnownHosts(parseKnownHosts(text));
  }

  /** A database with no lines. */
  static empty(): KnownHosts {
    return new KnownHosts([]);
  }

  /** Every line, in file order. */
  get allLines(): readonly KnownHostsLine[] {
    return this.lines;
  }

  /** Every host-key entry, in file order. */
  entries(): FoundEntry[] {
    const out: FoundEntry[] = [];
    for (const line of this.lines) if (line.content.kind === 'entry') out.push({ line, entry: line.content });
    return out;
  }

  /**
   * Entries whose host field names `host` on `port` (markers included), in file order:
   * what `ssh-keygen -F` prints.
   */
  find(host: string, port: number = DEFAULT_PORT): FoundEntry[] {
    const name = hostPortName(host, port);
    return this.entries().filter((f) => hostFieldMatches(f.entry.hosts, name));
  }

  /**
   * Check the key a server presented for host:port. A `@revoked` entry with this key wins;
   * then an unmarked entry with this exact key is a match; an unmarked entry of the same key
   * type with another key is a mismatch; otherwise not found (OpenSSH hostfile.c,
   * libssh2 knownhost.c). `@cert-authority` lines never match a plain key.
   */
  check(host: string, port: number, key: KeyLike): CheckResult {
    const blob = blobOf(key);
    const type = keyTypeOf(blob);
    const found = this.find(host, port);
    const known = found.filter((f) => f.entry.marker === null);
    const revoked = found.find((f) => f.entry.marker === 'revoked' && equalConstantTime(f.entry.keyBlob, blob));
    if (revoked) return { status: 'revoked', found: revoked, known };
    const match = known.find((f) => equalConstantTime(f.entry.keyBlob, blob));
    if (match) return { status: 'match', found: match, known };
    const other = known.find((f) => f.entry.keyType === type);
    if (other) return { status: 'mismatch', found: other, known };
    return { status: 'notfound', found: null, known };
  }

  /**
   * Append an entry for host:port and return its line. The previous last line gets a
   * newline if it had none; nothing else changes.
   */
  add(host: string, port: number, key: KeyLike, options: AddOptions = {}): KnownHostsLine {
    const blob = blobOf(key);
    const type = keyTypeOf(blob);
    const name = hostPortName(host, port);
    if (/[\s,]/.test(name) || name.length === 0) throw new KnownHostsError(`invalid host name ${JSON.stringify(host)}`);
    const hostText = options.hashed ? hashHostName(name, options.salt) : name;
    return this.appendLine(formatEntry(hostText, type, blob, options.comment, options.marker ?? null));
  }

  /** Append an already formatted entry line (validated). */
  appendLine(raw: string): KnownHostsLine {
    if (/[\r\n]/.test(raw)) throw new KnownHostsError('a known_hosts line cannot contain a newline');
    const content = parseKnownHostsLine(raw);
    const last = this.lines[this.lines.length - 1];
    if (last && last.eol === '') this.lines[this.lines.length - 1] = { ...last, eol: '\n' };
    const line: KnownHostsLine = { number: 0, raw, eol: '\n', content };
    this.lines.push(line);
    return line;
  }

  /**
   * Remove every entry filed for host:port (whole lines, markers included), as
   * `ssh-keygen -R` does; returns how many lines went.
   */
  remove(host: string, port: number = DEFAULT_PORT): number {
    const gone = new Set(this.find(host, port).map((f) => f.line));
    this.lines = this.lines.filter((l) => !gone.has(l));
    return gone.size;
  }

  /**
   * Hash every plain host name like `ssh-keygen -H`: a comma list becomes one line per
   * name; names with wildcards or negation, marked lines, comments and hashed lines stay
   * as they are. Returns how many lines were rewritten.
   */
  hashAll(random?: () => Uint8Array): number {
    let changed = 0;
    const out: KnownHostsLine[] = [];
    for (const line of this.lines) {
      const c = line.content;
      if (c.kind !== 'entry' || c.marker !== null || c.hosts.hashed || c.hosts.patterns.some(isWildcardPattern)) {
        out.push(line);
        continue;
      }
      changed++;
      // Like ssh-keygen -H: the hashed name, one space, then the line's text from the key type on.
      const keyText = /^[ \t]*\S+[ \t]+(.*)$/.exec(line.raw)![1]!;
      for (const name of c.hosts.patterns) {
        const raw = `${hashHostName(name.toLowerCase(), random?.())} ${keyText}`;
        out.push({ number: 0, raw, eol: line.eol || '\n', content: parseKnownHostsLine(raw) });
      }
      if (line.eol === '' && out.length > 0) {
        const last = out[out.length - 1]!;
        out[out.length - 1] = { ...last, eol: '' };
      }
    }
    this.lines = out;
    return changed;
  }

  /** The file text: untouched lines exactly as read, in order. */
  toString(): string {
    let s = '';
    for (const l of this.lines) s += l.raw + l.eol;
    return s;
  }
}

/** "[@marker ]hosts type base64[ comment]" */
export function formatEntry(hosts: string, type: string, blob: Uint8Array, comment?: string, marker: Marker | null = null): string {
  let line = `${marker ? `@${marker} ` : ''}${hosts} ${type} ${base64Encode(blob)}`;
  if (comment) {
    if (/[\r\n]/.test(comment)) throw new KnownHostsError('a comment cannot contain a newline');
    line += ` ${comment}`;
  }
  return line;
}
