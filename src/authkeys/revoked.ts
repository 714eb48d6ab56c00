/**
 * Public key lists (TrustedUserCAKeys) and RevokedKeys files as sshd reads them: a KRL
 * (PROTOCOL.krl) or one public key per line (authfile.c sshkey_in_file, sshkey_check_revoked).
 */
import { SshError } from '../errors.js';
import { Certificate } from '../crypto/keys/certificate.js';
import { isKrl, isRevoked, parseKrl, type Krl } from '../crypto/keys/krl.js';
import { parsePublicKeyLine } from '../crypto/keys/index.js';
import type { PublicKey } from '../crypto/keys/types.js';
import { equalConstantTime } from '../wire/bytes.js';

/**
 * A file of public keys, one per line: the keys read before the first line that is not a key
 * (`badLine`, 1-based). sshd stops at such a line: a key listed after it is never found.
 */
export interface PublicKeyList {
  readonly keys: readonly PublicKey[];
  readonly badLine?: number;
}

/** Read a file of "type base64 [comment]" lines (blank lines and `#` comments skipped). */
export function parsePublicKeyList(text: string): PublicKeyList {
  const keys: PublicKey[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const s = lines[i]!.replace(/^[ \t]+/, '');
    if (s === '' || s.startsWith('#')) continue;
    try {
      keys.push(parsePublicKeyLine(s).key);
    } catch (e) {
      if (!(e instanceof SshError)) throw e;
      return { keys, badLine: i + 1 };
    }
  }
  return { keys };
}

/** A RevokedKeys file: a KRL, a key list, or unreadable (sshd then treats every key as revoked). */
export type RevokedKeys = { readonly krl: Krl } | { readonly list: PublicKeyList } | { readonly unreadable: string };

/**
 * Read a RevokedKeys file from its bytes: a KRL when it starts with the KRL magic, else a
 * list of public keys. Never throws on content: a malformed KRL is `unreadable`.
 */
export function parseRevokedKeys(data: Uint8Array): RevokedKeys {
  if (!isKrl(data)) return { list: parsePublicKeyList(new TextDecoder().decode(data)) };
  try {
    return { krl: parseKrl(data) };
  } catch (e) {
    if (e instanceof SshError) return { unreadable: e.message };
    throw e;
  }
}

/** The plain key a key or certificate stands on. */
const plainOf = (k: PublicKey): PublicKey => (k instanceof Certificate ? k.key : k);

/**
 * Whether sshd refuses `key` as revoked (sshkey_check_revoked): listed in the KRL (by key,
 * hash, certificate serial or key id, or its CA), or, in a key list, its plain key or its
 * CA listed. An unreadable file, or a key list with a bad line before any match, revokes all.
 */
export function keyIsRevoked(revoked: RevokedKeys, key: PublicKey): boolean {
  if ('unreadable' in revoked) return true;
  if ('krl' in revoked) return isRevoked(revoked.krl, key);
  const plain = plainOf(key).blob;
  const ca = key instanceof Certificate ? key.signatureKey.blob : null;
  const found = revoked.list.keys.some((k) => {
    const b = plainOf(k).blob;
    return equalConstantTime(b, plain) || (ca !== null && equalConstantTime(b, ca));
  });
  return found || revoked.list.badLine !== undefined;
}
