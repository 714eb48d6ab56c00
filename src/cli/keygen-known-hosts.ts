/**
 * `puressh ssh-keygen -F host` (find), `-R host` (remove) and `-H` (hash) on a known_hosts
 * file, as ssh-keygen's do_known_hosts over hostkeys_foreach: the same output lines, the
 * rewritten file with the original kept as FILE.old, and the same exit codes.
 */
import { chmodSync, linkSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { fingerprintMD5, fingerprintSHA256 } from '../crypto/fingerprint.js';
import { Certificate, parsePublicKeyLine } from '../crypto/keys/index.js';
import { hashHostName, matchPatternList } from '../knownhosts/index.js';
import { isWildcardPattern } from '../knownhosts/match.js';
import { hashedNameMatches } from '../knownhosts/hashed.js';
import { HASH_MAGIC, parseHashedField } from '../knownhosts/parse.js';
import { keyLabel } from './host-key.js';
import type { CliIo } from './io.js';
import { KeygenError, logLine, type KeygenArgs } from './keygen-common.js';
import { strerror } from './strerror.js';

/** One line as hostkeys_foreach sees it (hostfile.c), without parsing the key unless asked. */
interface Line {
  number: number;
  text: string;
  status: 'comment' | 'invalid' | 'ok' | 'matched';
  marker: 'CA' | 'REVOKED' | '';
  hosts: string;
  /** "keytype base64 [comment]" as written */
  rawKey: string;
}

/** match_maybe_hashed: 1 a match, 0 none (a negated pattern vetoes), -1 a malformed hash. */
function matchHosts(host: string, hosts: string): -1 | 0 | 1 {
  if (hosts.startsWith(HASH_MAGIC)) {
    let field;
    try {
      field = parseHashedField(hosts);
    } catch {
      return -1;
    }
    return field.hashed && hashedNameMatches(field.salt, field.hash, host) ? 1 : 0;
  }
  return matchPatternList(host, hosts.split(',')) === 1 ? 1 : 0;
}

/** The lines of the file, each classified as hostkeys_foreach does when matching `host` (if any). */
function readLines(text: string, host: string | undefined): Line[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((raw, i): Line => {
    const line: Line = { number: i + 1, text: raw, status: 'invalid', marker: '', hosts: '', rawKey: '' };
    let cp = raw.replace(/^[ \t]+/, '');
    if (cp === '' || cp.startsWith('#') || cp === '\r') return { ...line, status: 'comment' };
    const marker = /^@(\S+)[ \t]+/.exec(cp);
    if (cp.startsWith('@')) {
      if (!marker || (marker[1] !== 'cert-authority' && marker[1] !== 'revoked')) return line;
      line.marker = marker[1] === 'cert-authority' ? 'CA' : 'REVOKED';
      cp = cp.slice(marker[0].length);
    }
    const end = cp.search(/[ \t]/);
    line.hosts = end < 0 ? cp : cp.slice(0, end);
    let rest = end < 0 ? '' : cp.slice(end + 1);
    let matched = false;
    if (host !== undefined) {
      const s = matchHosts(host, line.hosts);
      if (s === -1) return line;
      matched = s === 1;
    }
    rest = rest.replace(/^[ \t]+/, '');
    if (rest === '' || rest.startsWith('#')) return line;
    line.rawKey = rest;
    const typeLength = rest.search(/[ \t]|$/);
    if (typeLength <= 1 || typeLength === rest.length) return line;
    // a short decimal first field is an SSH1 RSA key
    if (typeLength < 8 && /^\d+$/.test(rest.slice(0, typeLength)) && !/^(ssh|ecdsa)-/.test(rest)) return line;
    line.status = matched ? 'matched' : 'ok';
    return line;
  });
}

function fingerprintLine(line: Line, host: string, hash: string): string {
  let parsed;
  try {
    parsed = parsePublicKeyLine(line.rawKey);
  } catch {
    return '';
  }
  const { key, comment } = parsed;
  const plain = key instanceof Certificate ? key.key : key;
  const fp = hash === 'md5' ? fingerprintMD5(plain.blob) : fingerprintSHA256(plain.blob);
  return `${host} ${keyLabel(key.type)} ${fp}${comment ? ` ${comment}` : ''}\n`;
}

/** known_hosts_hash: a line with each of its plain host names hashed on a line of its own. */
function hashLine(line: Line, path: string, findHost: boolean, io: CliIo, out: string[]): boolean {
  const wild = isWildcardPattern(line.hosts);
  if (line.hosts.startsWith('|') || wild || line.marker) {
    out.push(line.text);
    if (wild && !findHost) logLine(io, `${path}:${line.number}: ignoring host name with wildcard: ${line.hosts.slice(0, 64)}`);
    return false;
  }
  for (const name of line.hosts.split(',')) {
    if (name === '') break;
    out.push(`${hashHostName(name.toLowerCase())} ${line.rawKey}`);
  }
  return true;
}

/** -F host, -R host, -H, alone or -F with -H or -l; `-f` names the file (default ~/.ssh/known_hosts). */
export function knownHostsCommand(args: KeygenArgs, io: CliIo): number {
  const find = args.values.get('F');
  const remove = args.values.get('R');
  const hash = args.flags.has('H');
  const quiet = args.flags.has('q');
  if (args.flags.has('l') && (remove !== undefined || hash)) throw new KeygenError('Cannot use -l with -H or -R.', 1, true);
  const host = find ?? remove;
  const path = args.values.get('f') ?? `${io.home}/.ssh/known_hosts`;
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (e) {
    throw new KeygenError(`Cannot stat ${path}: ${strerror(e)}`);
  }
  const text = readFileSync(path, 'utf8');
  const findHost = find !== undefined;
  const inPlace = !findHost && (hash || remove !== undefined);
  const lines = readLines(text, host);
  const out: string[] = [];
  let found = false;
  const bad = { invalid: false };
  let unhashed = false;
  const invalidLine = (l: Line): void => {
    bad.invalid = true;
    logLine(io, `${path}:${l.number}: invalid line`);
  };
  for (const l of lines) {
    if (findHost) {
      if (l.status !== 'matched') continue;
      found = true;
      if (!quiet) io.stdout.write(`# Host ${find} found: line ${l.number} ${l.marker}\n`);
      if (hash) {
        const hashed: string[] = [];
        hashLine(l, path, true, io, hashed);
        io.stdout.write(hashed.map((h) => h + '\n').join(''));
      } else if (args.flags.has('l')) {
        io.stdout.write(fingerprintLine(l, find, (args.values.get('E') ?? 'sha256').toLowerCase()));
      } else {
        io.stdout.write(l.text + '\n');
      }
    } else if (remove !== undefined) {
      if (l.status === 'matched' && !l.marker) {
        found = true;
        if (!quiet) io.stdout.write(`# Host ${remove} found: line ${l.number}\n`);
        continue;
      }
      if (l.status === 'invalid') invalidLine(l);
      out.push(l.text);
    } else if (l.status === 'ok' || l.status === 'matched') {
      if (hashLine(l, path, false, io, out)) unhashed = true;
    } else {
      if (l.status === 'invalid') invalidLine(l);
      out.push(l.text);
    }
  }
  if (bad.invalid) {
    logLine(io, `${path} is not a valid known_hosts file.`);
    if (inPlace) logLine(io, 'Not replacing existing known_hosts file because of errors');
    return 1;
  }
  if (remove !== undefined && !found) {
    logLine(io, `Host ${remove} not found in ${path}`);
  } else if (inPlace) {
    const old = `${path}.old`;
    const tmp = `${path}.${Math.random().toString(36).slice(2, 12)}`;
    try {
      writeFileSync(tmp, out.map((l) => l + '\n').join(''), { mode: 0o600, flag: 'wx' });
      chmodSync(tmp, mode & 0o644);
      try {
        unlinkSync(old);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      linkSync(path, old);
      renameSync(tmp, path);
    } catch (e) {
      throw new KeygenError(`${path}: ${strerror(e)}`, 1);
    }
    io.stdout.write(`${path} updated.\nOriginal contents retained as ${old}\n`);
    if (unhashed) {
      logLine(io, `WARNING: ${old} contains unhashed entries`);
      logLine(io, 'Delete this file to ensure privacy of hostnames');
    }
  }
  return findHost && !found ? 1 : 0;
}
