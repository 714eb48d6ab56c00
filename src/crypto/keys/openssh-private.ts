/**
 * OpenSSH private key files (OpenSSH PROTOCOL.key, "openssh-key-v1"):
 *
 *   "openssh-key-v1\0" string ciphername string kdfname string kdfoptions
 *   uint32 N (must be 1) string publickey string private-section [tag, for AEAD ciphers]
 *   private-section = uint32 check, uint32 check, string keytype, <type fields>, string comment,
 *                     padding 1, 2, 3, … to the cipher block size
 */
import { KeyError } from '../../errors.js';
import { Reader } from '../../wire/reader.js';
import { asKeyError } from './common.js';
import { equalConstantTime } from '../../wire/bytes.js';
import { decryptPrivateSection, keyFileCipherTagLength } from './openssh-cipher.js';
import { KEY_TYPES } from './registry.js';
import type { PublicKeyOps } from '../provider.js';
import type { PrivateKey } from './types.js';

export const OPENSSH_PRIVATE_LABEL = 'OPENSSH PRIVATE KEY';
const MAGIC = new TextEncoder().encode('openssh-key-v1\0');
const commentDecoder = new TextDecoder('utf-8'); // comments are arbitrary bytes; replace invalid UTF-8

/**
 * Parse the binary body of an OpenSSH private key (the base64 inside the armor).
 * Throws KeyError: malformed data (code FILE), unknown key type (ALGO_UNSUPPORTED),
 * encrypted without a passphrase or with a wrong one (KEYFILE_AUTH_FAILED).
 */
export function parseOpenSSHPrivateKeyBinary(data: Uint8Array, passphrase?: string, ops?: PublicKeyOps): PrivateKey {
  const outer = asKeyError('OpenSSH private key', () => {
    const r = new Reader(data, 0, 'OpenSSH private key');
    if (!equalConstantTime(r.raw(MAGIC.length, 'magic'), MAGIC)) throw new KeyError('not an openssh-key-v1 private key');
    const cipher = r.ascii('cipher name');
    const kdf = r.ascii('kdf name');
    const kdfOptions = r.string('kdf options');
    const count = r.u32('key count');
    if (count !== 1) throw new KeyError(`OpenSSH private key files must hold exactly one key (found ${count})`);
    const publicBlob = r.string('public key');
    const section = r.string('private section');
    const tag = r.raw(cipher === 'none' ? 0 : keyFileCipherTagLength(cipher), 'authentication tag');
    r.end();
    return { cipher, kdf, kdfOptions, publicBlob, section, tag };
  });

  let plain: Uint8Array;
  let blockSize: number;
  let encrypted = false;
  if (outer.cipher === 'none') {
    if (outer.kdf !== 'none' || outer.kdfOptions.length !== 0) throw new KeyError('unencrypted key with a kdf');
    plain = outer.section;
    blockSize = 8;
  } else {
    encrypted = true;
    if (passphrase === undefined) {
      throw new KeyError('the private key is encrypted: a passphrase is required', 'KEYFILE_AUTH_FAILED');
    }
    ({ plain, blockSize } = decryptPrivateSection(outer.cipher, outer.kdf, outer.kdfOptions, outer.section, outer.tag, passphrase));
  }
  if (plain.length % blockSize !== 0) throw new KeyError('OpenSSH private section is not a multiple of the block size');

  return asKeyError('OpenSSH private key', () => {
    const r = new Reader(plain, 0, 'OpenSSH private section');
    const check1 = r.u32('checkint');
    const check2 = r.u32('checkint');
    if (check1 !== check2) {
      throw encrypted
        ? new KeyError('wrong passphrase for the private key', 'KEYFILE_AUTH_FAILED')
        : new KeyError('corrupt OpenSSH private key (check integers differ)');
    }
    const type = r.ascii('key type');
    const keyType = KEY_TYPES.get(type);
    if (!keyType) throw new KeyError(`unsupported private key type "${type}"`, 'ALGO_UNSUPPORTED');
    const build = keyType.readPrivate(r);
    const comment = commentDecoder.decode(r.string('comment'));
    const padding = r.rest();
    // Padding is 1, 2, 3, …; OpenSSH (private2_check_padding) checks only the sequence, not that it
    // is shorter than a block: puttygen pads unencrypted keys to 16 bytes.
    if (padding.length > 255 || padding.some((b, i) => b !== i + 1)) {
      throw new KeyError('corrupt OpenSSH private key (bad padding)');
    }
    const key = build(comment, ops);
    if (!equalConstantTime(key.publicKey.blob, outer.publicBlob)) {
      throw new KeyError('OpenSSH private key: public key does not match the private key');
    }
    return key;
  });
}
