/**
 * OpenSSH known_hosts lines (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"):
 *
 *   [@cert-authority|@revoked] hostnames keytype base64-key [comment]
 *
 * `hostnames` is a comma list of patterns (`*`, `?`, `!negation`, `[host]:port`) or one
 * hashed name `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`. Lines starting with `#`
 * (after blanks) and blank lines are comments. Every line keeps its exact text so the file
 * can be written back byte for byte.
 */
import { SshError } from '../errors.js';
import { base64Decode } from '../crypto/encoding.js';
import { Reader } from '../wire/reader.js';

/** A known_hosts line or file that cannot be understood (libssh2's KNOWN_HOSTS code). */
export class KnownHostsError extends SshError {
  override name = 'KnownHostsError';
  constructor(
    message: string,
    /** 1-based line number, when parsing a file */
    readonly line?: number,
  ) {
    super('KNOWN_HOSTS', line === undefined ? message : `known_hosts line ${line}: ${message}`);
  }
}

/** The marker of an `@cert-authority` or `@revoked` line. */
export type Marker = 'cert-authority' | 'revoked';

/** The host field: either patterns or one hashed name. */
export type HostField =
  | { readonly hashed: false; readonly patterns: readonly string[] }
  | { readonly hashed: true; readonly salt: Uint8Array; readonly hash: Uint8Array; readonly text: string };

/** A host key line of known_hosts, parsed (sshd(8) SSH_KNOWN_HOSTS FILE FORMAT). */
export interface KnownHostEntry {
  readonly kind: 'entry';
  readonly marker: Marker | null;
  readonly hosts: HostField;
  /** key type as written (and as found inside the blob), e.g. "ssh-ed25519" */
  readonly keyType: string;
  /** the public key blob (RFC 4253 §6.6) */
  readonly keyBlob: Uint8Array;
  readonly comment: string;
}

/** A comment or blank line, or a line OpenSSH would skip as unreadable (kept verbatim). */
export interface KnownHostsOther {
  readonly kind: 'comment' | 'blank' | 'invalid';
  /** why an invalid line was skipped */
  readonly error?: string;
}

/** What one known_hosts line holds. */
export type KnownHostsLineContent = KnownHostEntry | KnownHostsOther;

/** One physical line: its parsed content, its exact text and its terminator. */
export interface KnownHostsLine {
  /** 1-based line number in the text it was parsed from (0 for lines added since) */
  readonly number: number;
  /** exact text of the line without its terminator */
  readonly raw: string;
  /** "\n", "\r\n", or "" for a last line with no newline */
  readonly eol: string;
  readonly content: KnownHostsLineContent;
}

export const HASH_MAGIC = '|1|';
/** HMAC-SHA1 output and salt size (OpenSSH hostfile.c checks both) */
export const HASH_SIZE = 20;

const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;

function decodeBase64Strict(s: string, what: string): Uint8Array {
  if (!BASE64_RE.test(s) || s.length % 4 === 1) throw new KnownHostsError(`${what} is not valid base64`);
  try {
    return base64Decode(s);
  } catch (e) {
    if (e instanceof SshError) throw new KnownHostsError(`${what} is not valid base64`);
    throw e;
  }
}

/** Decode `|1|salt|hash`; throws KnownHostsError on a malformed hashed name. */
export function parseHashedField(text: string): HostField {
  const parts = text.slice(HASH_MAGIC.length).split('|');
  if (parts.length !== 2) throw new KnownHostsError('malformed hashed host name');
  const salt = decodeBase64Strict(parts[0]!, 'hashed host salt');
  const hash = decodeBase64Strict(parts[1]!, 'hashed host name');
  if (salt.length !== HASH_SIZE || hash.length !== HASH_SIZE) throw new KnownHostsError('hashed host name has the wrong length');
  return { hashed: true, salt, hash, text };
}

function parseHostField(text: string): HostField {
  if (text.startsWith(HASH_MAGIC)) return parseHashedField(text);
  if (text.startsWith('|')) throw new KnownHostsError('unsupported hashed host name format');
  const patterns = text.split(',');
  if (patterns.some((p) => p.length === 0 || p === '!')) throw new KnownHostsError('empty host pattern');
  return { hashed: false, patterns };
}

/** Key blob of a "type base64" pair; the blob's own type string must equal `type`. */
function parseKey(type: string, b64: string): Uint8Array {
  const blob = decodeBase64Strict(b64, 'key');
  let inner: string;
  try {
    inner = new Reader(blob, 0, 'known_hosts key').ascii('key type');
  } catch (e) {
    if (e instanceof SshError) throw new KnownHostsError('key blob is truncated');
    throw e;
  }
  if (inner !== type) throw new KnownHostsError(`key type "${type}" does not match the key (${JSON.stringify(inner)})`);
  return blob;
}

const FIELD_SEP = /[ \t]+/;

/**
 * Parse one line (without its terminator). Comments and blank lines come back as such;
 * anything else that is not a valid entry throws KnownHostsError.
 * @example parseKnownHostsLine('example.com ssh-ed25519 AAAAC3Nz…').hosts // { hashed: false, patterns: ['example.com'] }
 */
export function parseKnownHostsLine(raw: string): KnownHostsLineContent {
  const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  const body = line.replace(/^[ \t]+/, '');
  if (body.length === 0) return { kind: 'blank' };
  if (body.startsWith('#')) return { kind: 'comment' };
  if (/[\0\n]/.test(body)) throw new KnownHostsError('line contains a NUL or newline');
  const fields = body.split(FIELD_SEP);
  let marker: Marker | null = null;
  if (fields[0]!.startsWith('@')) {
    const m = fields.shift()!;
    if (m === '@cert-authority') marker = 'cert-authority';
    else if (m === '@revoked') marker = 'revoked';
    else throw new KnownHostsError(`unknown marker "${m}"`);
  }
  if (fields.length < 3 || fields[2] === '') throw new KnownHostsError('expected "hostnames keytype key [comment]"');
  const hosts = parseHostField(fields[0]!);
  const keyType = fields[1]!;
  const keyBlob = parseKey(keyType, fields[2]!);
  // The comment is the rest of the line after the key, as written (OpenSSH keeps it whole).
  const m = /^(?:@\S+[ \t]+)?\S+[ \t]+\S+[ \t]+\S+(?:[ \t]+(.*))?$/.exec(body);
  const comment = (m?.[1] ?? '').replace(/[ \t]+$/, '');
  return { kind: 'entry', marker, hosts, keyType, keyBlob, comment };
}

/**
 * Split a file into lines, keeping each line's exact text and terminator; unreadable lines
 * are kept as `invalid` (OpenSSH skips them too) so writing back loses nothing.
 */
export function parseKnownHosts(text: string): KnownHostsLine[] {
  const out: KnownHostsLine[] = [];
  let pos = 0;
  let number = 0;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const end = nl < 0 ? text.length : nl;
    let raw = text.slice(pos, end);
    let eol = nl < 0 ? '' : '\n';
    if (eol && raw.endsWith('\r')) {
      raw = raw.slice(0, -1);
      eol = '\r\n';
    }
    number++;
    let content: KnownHostsLineContent;
    try {
      content = parseKnownHostsLine(raw);
    } catch (e) {
      if (!(e instanceof KnownHostsError)) throw e;
      content = { kind: 'invalid', error: e.message };
    }
    out.push({ number, raw, eol, content });
    pos = nl < 0 ? text.length : nl + 1;
  }
  return out;
}
