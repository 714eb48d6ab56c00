/**
 * The legacy ("traditional") PEM encryption that OpenSSL's PEM_write_*PrivateKey and
 * `ssh-keygen -m PEM -N …` use (RFC 1421 §4.6.1 headers, RFC 1423 §1.1 padding):
 *
 *   Proc-Type: 4,ENCRYPTED
 *   DEK-Info: AES-128-CBC,<IV in hex>
 *
 * key = EVP_BytesToKey(MD5, salt = first 8 bytes of the IV, 1 iteration, passphrase):
 * D_1 = MD5(passphrase ‖ salt), D_i = MD5(D_{i-1} ‖ passphrase ‖ salt), key = D_1 ‖ D_2 ‖ …
 */
import { md5 } from '@noble/hashes/legacy.js';
import { KeyError } from '../../errors.js';
import { concatBytes } from '../../wire/writer.js';
import type { PemBlock } from '../encoding.js';
import { AES_128_CBC, AES_192_CBC, AES_256_CBC, DES_CBC, DES_EDE3_CBC, decryptCbcPadded, encryptAesCbcPadded, type KeyFileCbcCipher } from './key-file-cbc.js';

const CIPHERS: ReadonlyMap<string, KeyFileCbcCipher> = new Map([AES_128_CBC, AES_192_CBC, AES_256_CBC, DES_EDE3_CBC, DES_CBC].map((c) => [c.name, c]));

/** OpenSSL's EVP_BytesToKey with MD5 and one iteration (crypto/evp/evp_key.c). */
export function evpBytesToKey(passphrase: Uint8Array, salt: Uint8Array, keyLength: number): Uint8Array {
  const out = new Uint8Array(keyLength);
  let have = 0;
  let prev = new Uint8Array(0);
  while (have < keyLength) {
    prev = md5(concatBytes(prev, passphrase, salt));
    out.set(prev.subarray(0, keyLength - have), have);
    have += prev.length;
  }
  prev.fill(0);
  return out;
}

function parseHex(text: string): Uint8Array | null {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(text)) return null;
  return Uint8Array.from(text.match(/../g)!, (h) => parseInt(h, 16));
}

/** True when the block carries the `Proc-Type: 4,ENCRYPTED` header. */
export function isLegacyEncrypted(block: PemBlock): boolean {
  return block.headers.has('Proc-Type') || block.headers.has('DEK-Info');
}

/**
 * The DER inside a legacy-encrypted PEM block. Throws KeyError: bad headers (FILE), unknown
 * cipher (ALGO_UNSUPPORTED), no passphrase or bad padding after decryption (KEYFILE_AUTH_FAILED).
 * The caller must map a failure to decode the result to KEYFILE_AUTH_FAILED too: a wrong
 * passphrase yields valid-looking padding about once in 256 tries.
 */
export function decryptLegacyPem(block: PemBlock, passphrase: string | undefined): Uint8Array {
  const procType = block.headers.get('Proc-Type');
  const dekInfo = block.headers.get('DEK-Info');
  if (procType?.replace(/\s+/g, '') !== '4,ENCRYPTED') throw new KeyError('PEM: unsupported Proc-Type header');
  if (!dekInfo) throw new KeyError('PEM: encrypted key without a DEK-Info header');
  const m = /^([A-Za-z0-9-]+)\s*,\s*([0-9A-Za-z]+)$/.exec(dekInfo.trim());
  if (!m) throw new KeyError('PEM: malformed DEK-Info header');
  const cipher = CIPHERS.get(m[1]!.toUpperCase());
  if (!cipher) throw new KeyError(`unsupported PEM encryption "${m[1]}"`, 'ALGO_UNSUPPORTED');
  const iv = parseHex(m[2]!);
  if (!iv || iv.length !== cipher.blockSize) throw new KeyError('PEM: DEK-Info IV has the wrong length');
  if (passphrase === undefined) throw new KeyError('the private key is encrypted: a passphrase is required', 'KEYFILE_AUTH_FAILED');
  const key = evpBytesToKey(new TextEncoder().encode(passphrase), iv.subarray(0, 8), cipher.keyLength);
  const plain = decryptCbcPadded(cipher, key, iv, block.data);
  key.fill(0);
  if (!plain) throw new KeyError('wrong passphrase for the private key', 'KEYFILE_AUTH_FAILED');
  return plain;
}

/**
 * The headers and encrypted body of a legacy-encrypted PEM block, as OpenSSL's
 * PEM_write_bio_*PrivateKey with AES-128-CBC writes them: a random 16-byte IV, in upper-case hex
 * in DEK-Info, whose first 8 bytes salt the key derivation.
 */
export function encryptLegacyPem(der: Uint8Array, passphrase: string, random: (n: number) => Uint8Array): { headers: [string, string][]; data: Uint8Array } {
  const iv = random(AES_128_CBC.blockSize);
  const key = evpBytesToKey(new TextEncoder().encode(passphrase), iv.subarray(0, 8), AES_128_CBC.keyLength);
  const data = encryptAesCbcPadded(key, iv, der);
  key.fill(0);
  const hex = Array.from(iv, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join('');
  return {
    headers: [
      ['Proc-Type', '4,ENCRYPTED'],
      ['DEK-Info', `${AES_128_CBC.name},${hex}`],
    ],
    data,
  };
}
