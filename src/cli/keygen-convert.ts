/**
 * `puressh ssh-keygen -p` (change a private key's passphrase, and with -m its format), `-e`
 * (export a public key as RFC 4716, PKCS8 or PEM) and `-i` (import one), as ssh-keygen's
 * do_change_passphrase, do_convert_to and do_convert_from.
 */
import { statSync } from 'node:fs';
import { hostname } from 'node:os';
import { pemDecode } from '../crypto/encoding.js';
import {
  Certificate,
  formatPublicKeyLine,
  formatPublicKeyRfc4716,
  parsePrivateKey,
  parsePublicKeyBlob,
  type PrivateKey,
  type PublicKey,
} from '../crypto/keys/index.js';
import { formatPublicKeyPem } from '../crypto/keys/pem-writer.js';
import { parsePemPublicKey } from '../crypto/keys/pem.js';
import { parseRfc4716 } from '../crypto/keys/rfc4716.js';
import { EcdsaPublicKey } from '../crypto/keys/ecdsa.js';
import { RsaPublicKey } from '../crypto/keys/rsa.js';
import { keyLabel } from './host-key.js';
import type { CliIo } from './io.js';
import {
  conversionFormat,
  KeygenError,
  loadPrivate,
  loadPublic,
  materialOf,
  privateKeyText,
  readText,
  writePrivateFile,
  type KeygenArgs,
} from './keygen-common.js';
import { strerror } from './strerror.js';

/** ssh-keygen's stat() check before each operation on -f. */
function mustExist(path: string, prefix: string): void {
  try {
    statSync(path);
  } catch (e) {
    throw new KeygenError(`${prefix}${path}: ${strerror(e)}`);
  }
}

/** -p [-P old] [-N new] [-a rounds] [-m format] -f key */
export async function changePassphrase(args: KeygenArgs, io: CliIo): Promise<number> {
  const path = args.values.get('f');
  if (!path) throw new KeygenError('Enter file in which the key is: no file given (-f)');
  mustExist(path, '');
  const text = readText(path);
  let key: PrivateKey;
  const fail = (e: unknown): never => {
    const code = (e as { code?: string }).code;
    throw new KeygenError(
      `Failed to load key ${path}: ${code === 'KEYFILE_AUTH_FAILED' ? 'incorrect passphrase supplied to decrypt private key' : 'invalid format'}`,
    );
  };
  try {
    key = parsePrivateKey(text, '');
  } catch (e) {
    if ((e as { code?: string }).code !== 'KEYFILE_AUTH_FAILED') fail(e);
    const old = args.values.get('P') ?? (await io.prompt('Enter old passphrase: ', false)) ?? '';
    try {
      key = parsePrivateKey(text, old);
    } catch (e2) {
      fail(e2);
    }
  }
  // PEM files carry no comment: ssh-keygen says nothing then
  const pem = /^-----BEGIN (?:RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY-----/m.test(text);
  if (!pem) io.stdout.write(`Key has comment '${key!.comment}'\n`);
  let passphrase = args.values.get('N');
  if (passphrase === undefined) {
    const first = (await io.prompt('Enter new passphrase (empty for no passphrase): ', false)) ?? '';
    const second = (await io.prompt('Enter same passphrase again: ', false)) ?? '';
    if (first !== second) {
      io.stdout.write('Pass phrases do not match.  Try again.\n');
      return 1;
    }
    passphrase = first;
  }
  let out: string;
  try {
    out = privateKeyText(materialOf(key!), key!.comment, passphrase, args);
  } catch (e) {
    if (e instanceof KeygenError && e.status !== 1) throw e;
    throw new KeygenError(`Saving key "${path}" failed: ${(e as Error).message}`, 1);
  }
  try {
    writePrivateFile(path, out);
  } catch (e) {
    throw new KeygenError(`Saving key "${path}" failed: ${strerror(e)}`, 1);
  }
  io.stdout.write('Your identification has been saved with the new passphrase.\n');
  return 0;
}

/** do_convert_to_ssh2's Comment: at most 60 characters, as its snprintf into char[61] leaves it. */
function exportComment(key: PublicKey, io: CliIo): string {
  return `${key.bits}-bit ${keyLabel(key.type)}, converted by ${io.localUser}@${hostname()} from OpenSSH`.slice(0, 60);
}

/** -e [-m RFC4716|PKCS8|PEM] -f key: the public key (of a private key file too) in another format. */
export async function exportPublicKey(args: KeygenArgs, io: CliIo): Promise<number> {
  const format = conversionFormat(args.values.get('m'));
  const path = args.values.get('f');
  if (!path) throw new KeygenError('Enter file in which the key is: no file given (-f)');
  mustExist(path, 'ssh-keygen: ');
  let key: PublicKey;
  try {
    key = loadPublic(path).key;
  } catch {
    key = (await loadPrivate(path, args, io)).publicKey;
  }
  if (format === 'RFC4716') {
    io.stdout.write(formatPublicKeyRfc4716(key, exportComment(key, io)));
    return 0;
  }
  const plain = key instanceof Certificate ? key.key : key;
  // ssh-keygen converts RSA and ECDSA (and DSA) keys only: it goes through OpenSSL's key objects
  if (!(plain instanceof RsaPublicKey) && !(plain instanceof EcdsaPublicKey)) {
    throw new KeygenError(`do_convert_to_${format.toLowerCase()}: unsupported key type ${keyLabel(key.type)}`);
  }
  io.stdout.write(formatPublicKeyPem(plain, format));
  return 0;
}

/** -i [-m RFC4716|PKCS8|PEM] -f file: a public key in another format as an OpenSSH line. */
export function importPublicKey(args: KeygenArgs, io: CliIo): number {
  const format = conversionFormat(args.values.get('m'));
  const path = args.values.get('f');
  if (!path) throw new KeygenError('Enter file in which the key is: no file given (-f)');
  mustExist(path, 'ssh-keygen: ');
  const text = readText(path);
  let key: PublicKey;
  if (format === 'RFC4716') {
    if (text.includes('---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----')) throw new KeygenError('do_convert_from_ssh2: ssh.com private keys are not supported');
    try {
      key = parsePublicKeyBlob(rfc4716Body(text));
    } catch {
      throw new KeygenError('do_convert_from_ssh2: parse key: invalid format');
    }
  } else {
    // PKCS8: PEM_read_PUBKEY (OpenSSL 3 decodes "RSA PUBLIC KEY" there too); PEM: PEM_read_RSAPublicKey
    const begin = format === 'PKCS8' ? text.search(/-----BEGIN (?:RSA )?PUBLIC KEY-----/) : text.indexOf('-----BEGIN RSA PUBLIC KEY-----');
    let parsed: PublicKey | undefined;
    try {
      if (begin >= 0) parsed = parsePemPublicKey(pemDecode(text.slice(begin)));
    } catch {
      parsed = undefined;
    }
    const ok = parsed instanceof RsaPublicKey || parsed instanceof EcdsaPublicKey;
    if (!ok) {
      throw new KeygenError(
        format === 'PKCS8'
          ? `do_convert_from_pkcs8: ${path} is not a recognised public key format`
          : 'do_convert_from_pem: unrecognised raw private key format',
      );
    }
    key = parsed!;
  }
  io.stdout.write(formatPublicKeyLine(key) + '\n');
  return 0;
}

/**
 * The base64 of an RFC 4716 block as do_convert_from_ssh2 reads it: lines with "----" or ": "
 * are headers (a header ending in "\" continues on the next line), up to the END line.
 */
function rfc4716Body(text: string): Uint8Array {
  if (text.includes('---- BEGIN SSH2 PUBLIC KEY ----')) {
    try {
      return parseRfc4716(text).blob;
    } catch {
      /* read it ssh-keygen's looser way below */
    }
  }
  let encoded = '';
  let escaped = 0;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.endsWith('\\')) escaped++;
    if (line.startsWith('----') || line.includes(': ')) {
      if (line.includes(' END ')) break;
      continue;
    }
    if (escaped) {
      escaped--;
      continue;
    }
    encoded += line;
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length === 0) throw new KeygenError('invalid base64');
  return new Uint8Array(Buffer.from(encoded, 'base64'));
}
