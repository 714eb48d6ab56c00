/**
 * Private key material for SSH_AGENTC_ADD_IDENTITY (draft-miller-ssh-agent §4.2.5): string
 * key type followed by the type's private fields, laid out as in an OpenSSH private key
 * section (PROTOCOL.key), so an unencrypted openssh-key-v1 file gives them directly.
 */
import { pemDecode } from '../../crypto/encoding.js';
import { KEY_TYPES } from '../../crypto/keys/registry.js';
import type { PublicKeyOps } from '../../crypto/provider.js';
import { KeyError, SshError } from '../../errors.js';
import { Reader } from '../../wire/reader.js';

/** A private key in the field order of SSH_AGENTC_ADD_IDENTITY. */
export interface AgentKeyFields {
  /** key type */
  type: string;
  /** string key type + private fields, ready for ADD_IDENTITY */
  fields: Uint8Array;
  comment: string;
}

const MAGIC = 'openssh-key-v1\0';

/**
 * Extract the key fields from an unencrypted OpenSSH private key (armored text or binary).
 * Encrypted keys and other formats throw KeyError (decrypt with ssh-keygen -p, or add
 * them with ssh-add). `ops` (a provider's public-key operations) derives the public half for
 * the consistency check.
 */
export function agentKeyFields(key: string | Uint8Array, ops?: PublicKeyOps): AgentKeyFields {
  const data = typeof key === 'string' ? pemBody(key) : key;
  try {
    const r = new Reader(data, 0, 'OpenSSH private key');
    const magic = r.raw(MAGIC.length, 'magic');
    if (String.fromCharCode(...magic) !== MAGIC) throw new KeyError('not an openssh-key-v1 private key');
    const cipher = r.ascii('cipher name');
    r.ascii('kdf name');
    r.string('kdf options');
    if (cipher !== 'none') throw new KeyError('the private key is encrypted: add it with ssh-add, or decrypt it first', 'KEYFILE_AUTH_FAILED');
    if (r.u32('key count') !== 1) throw new KeyError('OpenSSH private key files must hold exactly one key');
    r.string('public key');
    const section = r.string('private section');
    const s = new Reader(section, 0, 'OpenSSH private section');
    if (s.u32('checkint') !== s.u32('checkint')) throw new KeyError('corrupt OpenSSH private key (check integers differ)');
    const start = s.offset;
    const type = s.ascii('key type');
    const keyType = KEY_TYPES.get(type);
    if (!keyType) throw new KeyError(`unsupported private key type "${type}"`, 'ALGO_UNSUPPORTED');
    const build = keyType.readPrivate(s); // validates and skips the fields
    const fields = section.slice(start, s.offset);
    const comment = new TextDecoder().decode(s.string('comment'));
    build(comment, ops); // consistency check: public part matches the secret
    return { type, fields, comment };
  } catch (e) {
    if (e instanceof KeyError) throw e;
    if (e instanceof SshError) throw new KeyError(`OpenSSH private key: ${e.message}`);
    throw e;
  }
}

function pemBody(text: string): Uint8Array {
  const pem = pemDecode(text);
  if (pem.label !== 'OPENSSH PRIVATE KEY') throw new KeyError(`only OpenSSH private keys can be added to the agent here, not "${pem.label}"`);
  return pem.data;
}
