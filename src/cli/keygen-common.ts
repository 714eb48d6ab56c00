/**
 * What the `puressh ssh-keygen` operations share: the command line, its errors (message and
 * exit status, as ssh-keygen's fatal()), and loading and saving key files as ssh-keygen does
 * (sshkey_load_public, load_identity, sshkey_save_private).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parsePrivateKey, parsePublicKey, writeOpenSSHPrivateKey, type KeyMaterial, type PrivateKey, type PublicKey } from '../crypto/keys/index.js';
import { writePemPrivateKey } from '../crypto/keys/pem-writer.js';
import type { CliIo } from './io.js';
import { parseFlags, UsageError } from './ssh-args.js';

export const KEYGEN_USAGE = `usage: puressh ssh-keygen [-q] [-a rounds] [-b bits] [-C comment] [-f output_keyfile]
                  [-m format] [-N new_passphrase] [-t ecdsa | ed25519 | rsa]
       puressh ssh-keygen -p [-a rounds] [-f keyfile] [-m format] [-N new_passphrase]
                  [-P old_passphrase]
       puressh ssh-keygen -i [-f input_keyfile] [-m key_format]
       puressh ssh-keygen -e [-f input_keyfile] [-m key_format]
       puressh ssh-keygen -y [-f input_keyfile]
       puressh ssh-keygen -l [-E fingerprint_hash] [-f input_keyfile]
       puressh ssh-keygen -F hostname [-lv] [-f known_hosts_file]
       puressh ssh-keygen -H [-f known_hosts_file]
       puressh ssh-keygen -R hostname [-f known_hosts_file]
       puressh ssh-keygen -s ca_key -I certificate_identity [-h] [-n principals]
                  [-O option] [-V validity_interval] [-z serial_number] file ...
       puressh ssh-keygen -L [-f input_keyfile]
       puressh ssh-keygen -k [-u] -f krl_file [-s ca_public] [-z version_number] file ...
       puressh ssh-keygen -Q [-l] -f krl_file [file ...]`;

/** ssh-keygen's fatal() (or error() then exit): the message, the exit status, and whether usage follows. */
export class KeygenError extends Error {
  constructor(
    message: string,
    readonly status = 255,
    readonly usage = false,
  ) {
    super(message);
  }
}

/** A line of OpenSSH's log on stderr (logit, error, fatal): it ends in "\r\n". */
export const logLine = (io: CliIo, line: string): void => void io.stderr.write(`${line}\r\n`);

const WITH_ARG = new Set(['a', 'b', 'C', 'E', 'f', 'F', 'I', 'm', 'n', 'N', 'O', 'P', 'R', 's', 't', 'V', 'z']);
const NO_ARG = new Set(['e', 'h', 'H', 'i', 'k', 'l', 'L', 'p', 'q', 'Q', 'u', 'y']);

export interface KeygenArgs {
  flags: Set<string>;
  values: Map<string, string>;
  options: string[];
  files: string[];
}

export function parseArgs(argv: readonly string[]): KeygenArgs {
  let parsed;
  try {
    parsed = parseFlags(argv, [...NO_ARG].join(''), [...WITH_ARG].join(''));
  } catch (e) {
    if (e instanceof UsageError) throw new KeygenError(e.message, 1, true);
    throw e;
  }
  const out: KeygenArgs = { flags: new Set(), values: new Map(), options: [], files: parsed.rest };
  for (const [f, values] of parsed.flags) {
    if (NO_ARG.has(f)) out.flags.add(f);
    else if (f === 'O') out.options.push(...values);
    else out.values.set(f, values[values.length - 1]!);
  }
  return out;
}

export const readText = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new KeygenError(`${path}: ${code === 'ENOENT' ? 'No such file or directory' : code === 'EACCES' ? 'Permission denied' : (e as Error).message}`);
  }
};

/**
 * A public key (or certificate) from a file: the file itself, else FILE.pub, else the private
 * key's public half. As sshkey_load_public, a key without a comment gets the file's name.
 */
export function loadPublic(path: string): { key: PublicKey; comment: string } {
  const { key, comment, from } = loadPublicFrom(path);
  return { key, comment: comment || from };
}

export const isPrivateKeyText = (text: string): boolean => /-----BEGIN [A-Z ]*PRIVATE KEY-----|^PuTTY-User-Key-File/.test(text);

export function loadPublicFrom(path: string): { key: PublicKey; comment: string; from: string } {
  const text = readText(path);
  try {
    const { key, comment } = parsePublicKey(text);
    return { key, comment, from: path };
  } catch {
    /* a private key file */
  }
  if (existsSync(`${path}.pub`)) {
    try {
      const { key, comment } = parsePublicKey(readFileSync(`${path}.pub`, 'utf8'));
      return { key, comment, from: `${path}.pub` };
    } catch {
      /* fall through to the private key */
    }
  }
  try {
    const key = parsePrivateKey(text);
    return { key: key.publicKey, comment: key.comment, from: path };
  } catch {
    throw new KeygenError(`${path} is not a key file.`);
  }
}

export async function loadPrivate(path: string, args: KeygenArgs, io: CliIo): Promise<PrivateKey> {
  const text = readText(path);
  try {
    return parsePrivateKey(text, args.values.get('P'));
  } catch (e) {
    if ((e as { code?: string }).code !== 'KEYFILE_AUTH_FAILED' || args.values.has('P')) throw new KeygenError(`Load key "${path}": invalid format`);
  }
  const pass = await io.prompt('Enter passphrase: ', false);
  try {
    return parsePrivateKey(text, pass ?? '');
  } catch {
    throw new KeygenError(`Load key "${path}": incorrect passphrase supplied to decrypt private key`);
  }
}

/** A random source for key files. */
export const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

/** The private key format -m asks for (ssh-keygen: OpenSSH unless PEM or PKCS8). */
export function privateKeyFormat(args: KeygenArgs): 'OPENSSH' | 'PEM' | 'PKCS8' {
  const m = args.values.get('m');
  if (m === undefined) return 'OPENSSH';
  const f = conversionFormat(m);
  return f === 'RFC4716' ? 'OPENSSH' : f;
}

/** -m's conversion format, case-insensitive ("ssh2" is RFC4716); ssh-keygen exits 255 on another. */
export function conversionFormat(m: string | undefined): 'RFC4716' | 'PEM' | 'PKCS8' {
  const f = (m ?? 'RFC4716').toUpperCase();
  if (f === 'RFC4716' || f === 'SSH2') return 'RFC4716';
  if (f === 'PEM' || f === 'PKCS8') return f;
  throw new KeygenError(`Unsupported conversion format "${m}"`);
}

/** -a: strtonum(1, INT_MAX), as ssh-keygen checks it. */
export function kdfRounds(args: KeygenArgs): number | undefined {
  const a = args.values.get('a');
  if (a === undefined) return undefined;
  const why = !/^[-+]?\d+$/.test(a.trim()) ? 'invalid' : Number(a) < 1 ? 'too small' : Number(a) > 0x7fffffff ? 'too large' : '';
  if (why) throw new KeygenError(`Invalid number: ${a} (${why})`);
  return Number(a);
}

/** A loaded private key's numbers, for writing it again (ed25519, ecdsa, rsa). */
export function materialOf(key: PrivateKey): KeyMaterial {
  const m = (key as { material?: () => KeyMaterial }).material;
  if (typeof m !== 'function') throw new KeygenError(`Saving a ${key.type} key is not supported`, 1);
  return m.call(key);
}

/**
 * The private key file text in the -m format (sshkey_private_to_fileblob): ed25519 keys are
 * always written as OpenSSH's, as ssh-keygen does (they have no PEM form there).
 */
export function privateKeyText(m: KeyMaterial, comment: string, passphrase: string, args: KeygenArgs): string {
  const format = privateKeyFormat(args);
  const rounds = kdfRounds(args);
  if (format === 'OPENSSH' || m.kind === 'ed25519')
    return writeOpenSSHPrivateKey(m, comment, random, { passphrase, ...(rounds === undefined ? {} : { rounds }) });
  return writePemPrivateKey(m, format, random, passphrase);
}

/** Write a private key file, mode 0600 even over an existing file. */
export function writePrivateFile(path: string, text: string): void {
  // an existing file keeps its mode through writeFileSync: tighten it before the key goes in
  if (existsSync(path)) chmodSync(path, 0o600);
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}
