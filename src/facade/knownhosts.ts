/**
 * Net::SSH2::KnownHosts (libssh2's knownhost API) over the core known_hosts database.
 * typemask = LIBSSH2_KNOWNHOST_TYPE_* | KEYENC_* | KEY_*; a port other than 22 (or
 * undefined) is looked up as "[host]:port" first, then as the bare host, as libssh2 does.
 */
import { base64Decode } from '../crypto/encoding.js';
import { SshError } from '../errors.js';
import { KnownHosts as Db, KNOWNHOST_CHECK, formatEntry, type CheckResult } from '../knownhosts/db.js';
import { Reader } from '../wire/reader.js';
import { readText, writeBytes } from './node-io.js';
import { OTHER } from './constants.js';
import type { SSH2 } from './ssh2.js';
import { latin1Bytes } from '../wire/bytes.js';

const { LIBSSH2_KNOWNHOST_TYPE_MASK, LIBSSH2_KNOWNHOST_TYPE_SHA1, LIBSSH2_KNOWNHOST_KEYENC_MASK, LIBSSH2_KNOWNHOST_KEYENC_BASE64 } = OTHER;

/** Net::SSH2::KnownHosts: a known_hosts collection in libssh2's model. */
export class KnownHosts {
  private db = Db.empty();

  /** @internal made by SSH2.known_hosts() */
  constructor(private readonly ssh2: SSH2) {}

  #fail(code: number, message: string): undefined {
    return this.ssh2._set_error(code, message);
  }

  #blob(key: string | Uint8Array, typemask: number): Uint8Array {
    if ((typemask & LIBSSH2_KNOWNHOST_KEYENC_MASK) === LIBSSH2_KNOWNHOST_KEYENC_BASE64)
      return base64Decode(typeof key === 'string' ? key : new TextDecoder().decode(key));
    return typeof key === 'string' ? latin1Bytes(key) : key;
  }

  /** Load a known_hosts file (entries are added to those already held); resolves the entry count. */
  async readfile(path: string): Promise<number | undefined> {
    let text: string;
    try {
      text = await readText(path);
    } catch (e) {
      return this.#fail(-16, `Failed to open file: ${(e as Error).message}`);
    }
    const parsed = Db.parse(text);
    let n = 0;
    for (const l of parsed.allLines) {
      if (l.content.kind !== 'entry') continue;
      this.db.appendLine(l.raw);
      n++;
    }
    return n;
  }

  /** Save every entry to `path`. */
  async writefile(path: string): Promise<true | undefined> {
    try {
      await writeBytes(path, this.db.toString());
      return true;
    } catch (e) {
      return this.#fail(-16, `Failed to open file: ${(e as Error).message}`);
    }
  }

  /** Add an entry. SHA1 host format: `host` is the base64 hash and `salt` its base64 salt. */
  add(host: string, salt: string | null | undefined, key: string | Uint8Array, comment: string | null | undefined, typemask: number): true | undefined {
    try {
      const blob = this.#blob(key, typemask);
      const type = new Reader(blob, 0, 'public key').ascii('key type');
      const hosts = (typemask & LIBSSH2_KNOWNHOST_TYPE_MASK) === LIBSSH2_KNOWNHOST_TYPE_SHA1 ? `|1|${salt ?? ''}|${host}` : host;
      this.db.appendLine(formatEntry(hosts, type, blob, comment ?? undefined));
      return true;
    } catch (e) {
      return this.#fail(e instanceof SshError ? e.errno : -46, (e as Error).message);
    }
  }

  #lookup(host: string, port: number | null | undefined, key: string | Uint8Array, typemask: number): CheckResult {
    const blob = this.#blob(key, typemask);
    if (port !== undefined && port !== null && port !== 22) {
      const r = this.db.check(host, port, blob);
      if (r.status !== 'notfound') return r;
    }
    return this.db.check(host, 22, blob);
  }

  /** MATCH 0, MISMATCH 1, NOTFOUND 2, FAILURE 3. */
  check(host: string, port: number | null | undefined, key: string | Uint8Array, typemask: number): number {
    try {
      const r = this.#lookup(host, port, key, typemask);
      return r.status === 'match'
        ? KNOWNHOST_CHECK.MATCH
        : r.status === 'mismatch'
          ? KNOWNHOST_CHECK.MISMATCH
          : r.status === 'notfound'
            ? KNOWNHOST_CHECK.NOTFOUND
            : KNOWNHOST_CHECK.FAILURE;
    } catch (e) {
      this.#fail(-46, (e as Error).message);
      return KNOWNHOST_CHECK.FAILURE;
    }
  }

  /** Parse one known_hosts line and add it. */
  readline(line: string): true | undefined {
    try {
      const text = line.replace(/\r?\n$/, '');
      const parsed = Db.parse(text).allLines[0];
      if (!parsed || parsed.content.kind !== 'entry') throw new SshError('KNOWN_HOSTS', 'Failed to parse known_hosts line');
      this.db.appendLine(text);
      return true;
    } catch (e) {
      return this.#fail(-46, (e as Error).message);
    }
  }

  /** The entry matching host/port/key, formatted as a known_hosts line. */
  writeline(host: string, port: number | null | undefined, key: string | Uint8Array, typemask: number): string | undefined {
    try {
      const r = this.#lookup(host, port, key, typemask);
      if (r.status !== 'match' || !r.found) return this.#fail(-46, 'No host match found');
      return `${r.found.line.raw}\n`;
    } catch (e) {
      return this.#fail(-46, (e as Error).message);
    }
  }
}
