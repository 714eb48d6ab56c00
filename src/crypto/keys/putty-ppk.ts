/**
 * PuTTY private key files, .ppk versions 2 and 3 (PuTTY manual, appendix C "PPK file format"):
 *
 *   PuTTY-User-Key-File-3: <key type>
 *   Encryption: none | aes256-cbc
 *   Comment: <text>
 *   Public-Lines: N            followed by N lines of base64 (the SSH public key blob)
 *   Key-Derivation: Argon2id   (v3, encrypted only: also Argon2-Memory/-Passes/-Parallelism/-Salt)
 *   Private-Lines: N           followed by N lines of base64 (the private fields, maybe encrypted)
 *   Private-MAC: <hex>
 *
 * v2: cipher key = SHA-1(0x00000000 ‖ pass) ‖ SHA-1(0x00000001 ‖ pass) (first 32 bytes), IV 0;
 *     MAC = HMAC-SHA-1 keyed with SHA-1("putty-private-key-file-mac-key" ‖ pass).
 * v3: Argon2(pass, salt) → 80 bytes = cipher key 32 ‖ IV 16 ‖ MAC key 32 (an empty MAC key
 *     when unencrypted); MAC = HMAC-SHA-256.
 * The MAC covers string type, string encryption, string comment, string public blob,
 * string private blob (decrypted, with its padding).
 */
import { cbc } from '@noble/ciphers/aes.js';
import { argon2d, argon2i, argon2id } from '@noble/hashes/argon2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { KeyError } from '../../errors.js';
import { Reader } from '../../wire/reader.js';
import { concatBytes, Writer } from '../../wire/writer.js';
import { base64Decode } from '../encoding.js';
import { asKeyError, checkConsistent } from './common.js';
import { equalConstantTime } from '../../wire/bytes.js';
import { DsaPrivateKey } from './dsa.js';
import { ecdsaPrivateKey } from './ecdsa.js';
import { Ed25519PrivateKey } from './ed25519.js';
import { RsaPrivateKey } from './rsa.js';
import type { PublicKeyOps } from '../provider.js';
import type { PrivateKey } from './types.js';

export const PPK_MAGIC = 'PuTTY-User-Key-File-';

const ARGON2 = { Argon2id: argon2id, Argon2i: argon2i, Argon2d: argon2d } as const;
/** Bounds on a file's Argon2 parameters (puttygen's defaults: 8192 KiB, ~100 ms of passes, 1 lane). */
export const PPK_ARGON2_LIMITS = Object.freeze({ maxMemoryKiB: 1024 * 1024, maxPasses: 1000, maxParallelism: 64 });
const MAX_LINES = 4096;

const latin1Bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const utf8 = new TextEncoder();
const commentDecoder = new TextDecoder('utf-8'); // invalid UTF-8 is replaced, as for OpenSSH comments

/** Reads "Key: value" lines and base64 line blocks in the order the format fixes. */
class PpkLines {
  private i = 0;
  constructor(private readonly lines: string[]) {}

  peekKey(): string | undefined {
    const line = this.lines[this.i];
    const colon = line?.indexOf(': ') ?? -1;
    return colon > 0 ? line!.slice(0, colon) : undefined;
  }

  field(key: string): string {
    const line = this.lines[this.i];
    if (line === undefined || !line.startsWith(`${key}: `)) throw new KeyError(`PuTTY key file: expected "${key}:" on line ${this.i + 1}`);
    this.i++;
    return line.slice(key.length + 2);
  }

  number(key: string, min: number, max: number): number {
    const text = this.field(key);
    if (!/^[0-9]{1,10}$/.test(text) || Number(text) < min || Number(text) > max) {
      throw new KeyError(`PuTTY key file: ${key} must be a number in ${min}..${max}`);
    }
    return Number(text);
  }

  /** "<key>-Lines: N" then N lines of base64. */
  base64Block(key: string): Uint8Array {
    const n = this.number(`${key}-Lines`, 0, MAX_LINES);
    if (this.i + n > this.lines.length) throw new KeyError(`PuTTY key file: truncated ${key} lines`);
    const text = this.lines.slice(this.i, this.i + n).join('');
    this.i += n;
    return base64Decode(text);
  }

  end(): void {
    while (this.i < this.lines.length && this.lines[this.i] === '') this.i++;
    if (this.i !== this.lines.length) throw new KeyError(`PuTTY key file: unexpected line ${this.i + 1}`);
  }
}

function hexBytes(text: string, what: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(text)) throw new KeyError(`PuTTY key file: ${what} is not hex`);
  return Uint8Array.from(text.match(/../g)!, (h) => parseInt(h, 16));
}

interface Secrets {
  cipherKey: Uint8Array;
  iv: Uint8Array;
  macKey: Uint8Array;
}

/** v2 (sshpubk.c ssh2_ppk_derive_keys_v2): SHA-1 based, no salt. */
function deriveV2(pass: Uint8Array, encrypted: boolean): Secrets {
  const seq = (n: number) => sha1(concatBytes(Uint8Array.of(0, 0, 0, n), pass));
  const macKey = sha1(concatBytes(utf8.encode('putty-private-key-file-mac-key'), encrypted ? pass : new Uint8Array(0)));
  return { cipherKey: concatBytes(seq(0), seq(1)).subarray(0, 32), iv: new Uint8Array(16), macKey };
}

/** v3 key derivation: the Argon2 header fields, read in their fixed order. */
function deriveV3(lines: PpkLines, pass: Uint8Array): Secrets {
  const flavour = lines.field('Key-Derivation');
  const argon = (ARGON2 as Record<string, typeof argon2id>)[flavour];
  if (!Object.hasOwn(ARGON2, flavour) || !argon) throw new KeyError(`unsupported PuTTY key derivation "${flavour}"`, 'ALGO_UNSUPPORTED');
  const L = PPK_ARGON2_LIMITS;
  const m = lines.number('Argon2-Memory', 8, L.maxMemoryKiB);
  const t = lines.number('Argon2-Passes', 1, L.maxPasses);
  const p = lines.number('Argon2-Parallelism', 1, L.maxParallelism);
  const salt = hexBytes(lines.field('Argon2-Salt'), 'Argon2-Salt');
  if (m < 8 * p) throw new KeyError('PuTTY key file: Argon2-Memory is below 8 KiB per lane');
  let out: Uint8Array;
  try {
    out = argon(pass, salt, { t, m, p, dkLen: 80, maxmem: (m + 8 * p) * 1024 + 1024 * 1024 });
  } catch {
    throw new KeyError('PuTTY key file: invalid Argon2 parameters');
  }
  return { cipherKey: out.subarray(0, 32), iv: out.subarray(32, 48), macKey: out.subarray(48, 80) };
}

/** Build the private key from the public blob and PuTTY's private fields (sshrsa.c, sshdss.c, sshecc.c). */
function buildKey(type: string, publicBlob: Uint8Array, priv: Reader, comment: string, ops: PublicKeyOps | undefined): PrivateKey {
  const pub = new Reader(publicBlob, 0, 'PuTTY public key');
  const blobType = pub.ascii('key type');
  if (blobType !== type) throw new KeyError(`PuTTY key file says ${type} but its public key is ${blobType}`);
  let key: PrivateKey;
  switch (type) {
    case 'ssh-rsa': {
      const e = pub.mpint('rsa e');
      const n = pub.mpint('rsa n');
      const d = priv.mpint('rsa d');
      const p = priv.mpint('rsa p');
      const q = priv.mpint('rsa q');
      const iqmp = priv.mpint('rsa iqmp');
      key = new RsaPrivateKey({ n, e, d, p, q, iqmp }, comment);
      break;
    }
    case 'ssh-dss': {
      const [p, q, g, y] = [pub.mpint('dsa p'), pub.mpint('dsa q'), pub.mpint('dsa g'), pub.mpint('dsa y')];
      key = new DsaPrivateKey({ p, q, g }, y, priv.mpint('dsa x'), comment);
      break;
    }
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384':
    case 'ecdsa-sha2-nistp521': {
      const curve = pub.ascii('ecdsa curve identifier');
      if (`ecdsa-sha2-${curve}` !== type) throw new KeyError(`${type}: curve identifier "${curve}" does not match`);
      pub.string('ecdsa public point');
      key = ecdsaPrivateKey(curve, priv.mpint('ecdsa private scalar'), comment, ops);
      break;
    }
    case 'ssh-ed25519': {
      pub.string('ed25519 public key');
      // sshecc.c eddsa_private_blob: the 32-byte secret as a string
      const seed = priv.string('ed25519 private key');
      if (seed.length !== 32) throw new KeyError('PuTTY ssh-ed25519 private key must be 32 bytes');
      key = new Ed25519PrivateKey(seed, comment, ops);
      break;
    }
    default:
      throw new KeyError(`unsupported PuTTY key type "${type}"`, 'ALGO_UNSUPPORTED');
  }
  pub.end();
  checkConsistent(equalConstantTime(key.publicKey.blob, publicBlob), type);
  return key;
}

/**
 * Parse a .ppk file (text, or its bytes: the comment is MACed as the bytes in the file).
 * Throws KeyError: malformed or MAC mismatch on an unencrypted file (FILE), PPK v1 or an
 * unknown type, cipher or KDF (ALGO_UNSUPPORTED), missing or wrong passphrase (KEYFILE_AUTH_FAILED).
 * @example parsePuttyPrivateKey(readFileSync('key.ppk'), 'secret').comment
 */
export function parsePuttyPrivateKey(file: string | Uint8Array, passphrase?: string, ops?: PublicKeyOps): PrivateKey {
  const bytes = typeof file === 'string' ? utf8.encode(file) : file;
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x2000) text += String.fromCharCode(...bytes.subarray(i, i + 0x2000));
  const lines = new PpkLines(text.split(/\r?\n/));

  const first = lines.peekKey() ?? '';
  const version = first.startsWith(PPK_MAGIC) ? first.slice(PPK_MAGIC.length) : '';
  if (version !== '2' && version !== '3') {
    throw new KeyError(
      version === '1' ? 'PuTTY key file version 1 is not supported; re-save it with puttygen' : 'not a PuTTY key file (version 2 or 3)',
      version === '1' ? 'ALGO_UNSUPPORTED' : 'FILE',
    );
  }
  const type = lines.field(`${PPK_MAGIC}${version}`);
  const encryption = lines.field('Encryption');
  if (encryption !== 'none' && encryption !== 'aes256-cbc') {
    throw new KeyError(`unsupported PuTTY key encryption "${encryption}"`, 'ALGO_UNSUPPORTED');
  }
  const encrypted = encryption !== 'none';
  const commentBytes = latin1Bytes(lines.field('Comment'));
  const publicBlob = lines.base64Block('Public');

  if (encrypted && passphrase === undefined) {
    throw new KeyError('the private key is encrypted: a passphrase is required', 'KEYFILE_AUTH_FAILED');
  }
  const pass = encrypted ? utf8.encode(passphrase) : new Uint8Array(0);
  const secrets =
    version === '2'
      ? deriveV2(pass, encrypted)
      : encrypted
        ? deriveV3(lines, pass)
        : { cipherKey: new Uint8Array(0), iv: new Uint8Array(0), macKey: new Uint8Array(0) };
  const stored = lines.base64Block('Private');
  const mac = hexBytes(lines.field('Private-MAC'), 'Private-MAC');
  lines.end();

  let priv = stored;
  if (encrypted) {
    if (stored.length === 0 || stored.length % 16 !== 0) throw new KeyError('PuTTY key file: encrypted data is not a whole number of blocks');
    priv = cbc(secrets.cipherKey, secrets.iv, { disablePadding: true }).decrypt(stored);
  }
  const macData = new Writer(priv.length + publicBlob.length + 256)
    .string(type)
    .string(encryption)
    .string(commentBytes)
    .string(publicBlob)
    .string(priv)
    .finish();
  const expected = version === '2' ? hmac(sha1, secrets.macKey, macData) : hmac(sha256, secrets.macKey, macData);
  secrets.cipherKey.fill(0);
  secrets.macKey.fill(0);
  if (!equalConstantTime(expected, mac)) {
    priv.fill(0);
    throw encrypted ? new KeyError('wrong passphrase for the private key', 'KEYFILE_AUTH_FAILED') : new KeyError('corrupt PuTTY key file (MAC mismatch)');
  }

  const comment = commentDecoder.decode(commentBytes);
  return asKeyError('PuTTY private key', () => {
    const r = new Reader(priv, 0, 'PuTTY private key');
    const key = buildKey(type, publicBlob, r, comment, ops);
    // encrypted blobs are padded to the cipher block (random or hash bytes, covered by the MAC)
    if (r.remaining >= (encrypted ? 16 : 1)) throw new KeyError('PuTTY key file: unexpected data after the private key');
    return key;
  });
}
