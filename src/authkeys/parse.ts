/**
 * authorized_keys and authorized_principals files (sshd(8) AUTHORIZED_KEYS FILE FORMAT,
 * AuthorizedPrincipalsFile in sshd_config(5)), line by line as sshd reads them
 * (auth2-pubkeyfile.c): a line is first read as "keytype base64 [comment]"; when that fails,
 * everything up to the first blank outside double quotes is options and the key follows. A
 * line sshd would skip is reported and skipped; the rest of the file still counts.
 */
import { SshError } from '../errors.js';
import { base64Decode } from '../crypto/encoding.js';
import { parsePublicKeyBlob, KEY_TYPES } from '../crypto/keys/index.js';
import type { PublicKey } from '../crypto/keys/types.js';
import { KeyOptionsError, parseKeyOptions, type KeyOptions } from './options.js';

/**
 * Key types OpenSSH reads that puressh's key layer does not: such lines are reported, not
 * used. Empty since FIDO keys (PROTOCOL.u2f) are implemented; kept for types OpenSSH adds.
 */
const UNSUPPORTED_KEY_TYPES: ReadonlySet<string> = new Set<string>([]);

/** An authorized_keys line sshd would use: the key, its options, where it was. */
export interface AuthorizedKey {
  readonly kind: 'key';
  /** 1-based line number */
  readonly line: number;
  /** "file:line", as sshd's log lines name it */
  readonly location: string;
  readonly key: PublicKey;
  readonly options: KeyOptions;
  /** the options as written, or undefined when the line has none */
  readonly optionsText?: string;
  readonly comment: string;
}

/**
 * A line sshd skips. `reason`:
 * - 'bad-options': the options were refused; `message` is sshd's "file:line: bad key options: …";
 * - 'bad-option-string': an option string with an unterminated quote ("invalid key option string");
 * - 'unsupported-key': a key type OpenSSH knows and puressh does not;
 * - 'no-key': no key could be read from the line (sshd skips it silently).
 */
export interface AuthorizedKeysProblem {
  readonly kind: 'skipped';
  readonly line: number;
  readonly location: string;
  readonly reason: 'bad-options' | 'bad-option-string' | 'unsupported-key' | 'no-key';
  readonly message: string;
}

/** One non-blank, non-comment line of an authorized_keys file. */
export type AuthorizedKeysLine = AuthorizedKey | AuthorizedKeysProblem;

/** A parsed authorized_keys file: its name (for log locations) and its lines. */
export interface AuthorizedKeysFile {
  readonly file: string;
  readonly lines: readonly AuthorizedKeysLine[];
}

const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t';

function skipBlanks(s: string, i: number): number {
  while (isBlank(s[i])) i++;
  return i;
}

type KeyRead = { key: PublicKey; comment: string } | { unsupported: string } | null;

/** sshkey_read: "type base64 [comment]"; null when the text does not start with a readable key. */
function readKey(s: string): KeyRead {
  const sp = s.search(/[ \t]/);
  if (sp < 0) return null;
  const type = s.slice(0, sp);
  const known = KEY_TYPES.has(type);
  if (!known && !UNSUPPORTED_KEY_TYPES.has(type)) return null;
  const start = skipBlanks(s, sp);
  if (start >= s.length) return null;
  let end = s.slice(start).search(/[ \t]/);
  end = end < 0 ? s.length : start + end;
  if (!known) return { unsupported: type };
  let key: PublicKey;
  try {
    // b64_pton skips white space, such as a CR left by a CRLF file
    key = parsePublicKeyBlob(base64Decode(s.slice(start, end).replace(/[\r\n\v\f]/g, '')));
  } catch (e) {
    if (e instanceof SshError) return null;
    throw e;
  }
  if (key.type !== type) return null;
  return { key, comment: s.slice(skipBlanks(s, end)).replace(/[\s]+$/, '') };
}

/** sshkey_advance_past_options: the end of the options (first blank outside quotes), or -1 for an unterminated quote. */
function optionsEnd(s: string): number {
  let quoted = false;
  let i = 0;
  for (; i < s.length && (quoted || !isBlank(s[i])); i++) {
    if (s[i] === '\\' && s[i + 1] === '"') i++;
    else if (s[i] === '"') quoted = !quoted;
  }
  return i >= s.length && quoted ? -1 : i;
}

/**
 * Read one authorized_keys line (without its newline; leading blanks allowed). Returns the
 * key or why sshd would skip the line; undefined for blank and comment lines.
 */
export function parseAuthorizedKeysLine(text: string, line = 1, file = 'authorized_keys'): AuthorizedKeysLine | undefined {
  const s = text.slice(skipBlanks(text, 0));
  if (s === '' || s === '\r' || s.startsWith('#')) return undefined;
  const location = `${file}:${line}`;
  const skipped = (reason: AuthorizedKeysProblem['reason'], message: string): AuthorizedKeysProblem => ({ kind: 'skipped', line, location, reason, message });
  let read = readKey(s);
  let optionsText: string | undefined;
  if (read === null) {
    const end = optionsEnd(s);
    if (end < 0) return skipped('bad-option-string', `${location}: invalid key option string`);
    optionsText = s.slice(0, end);
    read = readKey(s.slice(skipBlanks(s, end)));
    if (read === null) return skipped('no-key', `${location}: no key found`);
  }
  if ('unsupported' in read) return skipped('unsupported-key', `${location}: key type ${read.unsupported} is not supported`);
  let options: KeyOptions;
  try {
    options = parseKeyOptions(optionsText);
  } catch (e) {
    if (e instanceof KeyOptionsError) return skipped('bad-options', `${location}: bad key options: ${e.reason}`);
    throw e;
  }
  const out: AuthorizedKey = { kind: 'key', line, location, key: read.key, options, comment: read.comment };
  return optionsText === undefined ? out : { ...out, optionsText };
}

/**
 * Read an authorized_keys file. Every line sshd would skip is reported as `kind: 'skipped'`
 * with sshd's log message and location; the other lines still count. Never throws on content.
 * @example parseAuthorizedKeys('restrict,pty ssh-ed25519 AAAAC3Nz… me', '/home/me/.ssh/authorized_keys').lines[0]
 */
export function parseAuthorizedKeys(text: string, file = 'authorized_keys'): AuthorizedKeysFile {
  const lines: AuthorizedKeysLine[] = [];
  text.split('\n').forEach((l, i) => {
    const entry = parseAuthorizedKeysLine(l, i + 1, file);
    if (entry) lines.push(entry);
  });
  return { file, lines };
}

/** An AuthorizedPrincipalsFile line: a principal name, with options when the line has them. */
export interface AuthorizedPrincipal {
  readonly kind: 'principal';
  readonly line: number;
  readonly location: string;
  readonly principal: string;
  readonly options: KeyOptions;
}

/** A principals line whose options sshd refuses ("bad principals options: …"). */
export interface AuthorizedPrincipalsProblem {
  readonly kind: 'skipped';
  readonly line: number;
  readonly location: string;
  readonly message: string;
}

/** One non-blank, non-comment line of an AuthorizedPrincipalsFile. */
export type AuthorizedPrincipalsLine = AuthorizedPrincipal | AuthorizedPrincipalsProblem;

/** A parsed AuthorizedPrincipalsFile. */
export interface AuthorizedPrincipalsFile {
  readonly file: string;
  readonly lines: readonly AuthorizedPrincipalsLine[];
}

/**
 * Read an AuthorizedPrincipalsFile as sshd does (auth_process_principals): `#` starts a comment
 * anywhere on a line; a line with a blank in it is "options principal", the principal being
 * the last word. Never throws on content.
 * @example parsePrincipals('from="10.0.0.0/8" ops\nadmin # comment', 'principals').lines.length // 2
 */
export function parsePrincipals(text: string, file = 'authorized_principals'): AuthorizedPrincipalsFile {
  const lines: AuthorizedPrincipalsLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const location = `${file}:${line}`;
    let s = raw.slice(skipBlanks(raw, 0));
    const hash = s.indexOf('#');
    if (hash >= 0) s = s.slice(0, hash);
    if (s === '') return;
    // auth_check_principals_line trims trailing newline, blanks and tabs (and keeps one character)
    let end = s.length;
    while (end > 1 && (s[end - 1] === '\n' || isBlank(s[end - 1]))) end--;
    s = s.slice(0, end);
    // a blank inside means "options principal": sshd takes the last space, else the last tab
    const space = s.lastIndexOf(' ');
    const at = space >= 0 ? space : s.lastIndexOf('\t');
    const optionsText = at >= 0 ? s : undefined;
    const principal = at >= 0 ? s.slice(skipBlanks(s, at)) : s;
    try {
      lines.push({ kind: 'principal', line, location, principal, options: parseKeyOptions(optionsText) });
    } catch (e) {
      if (!(e instanceof KeyOptionsError)) throw e;
      lines.push({ kind: 'skipped', line, location, message: `${location}: bad principals options: ${e.reason}` });
    }
  });
  return { file, lines };
}
