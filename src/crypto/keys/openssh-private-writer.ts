/**
 * Writes openssh-key-v1 private key files (PROTOCOL.key) as ssh-keygen does
 * (sshkey_private_to_blob2): unencrypted ("none"), or with a passphrase aes256-ctr under
 * bcrypt-pbkdf (16-byte salt, 16 rounds by default); the private section padded 1, 2, 3, …
 * to the cipher block size, armored with 70-column base64.
 */
import { ctr } from '@noble/ciphers/aes.js';
import { KeyError } from '../../errors.js';
import { Writer } from '../../wire/writer.js';
import { bcryptPbkdf } from '../bcrypt-pbkdf.js';
import { pemEncode } from '../encoding.js';
import type { KeyMaterial, RandomBytes } from './generate.js';
import { MAX_BCRYPT_ROUNDS } from './openssh-cipher.js';
import { OPENSSH_PRIVATE_LABEL } from './openssh-private.js';

/** ssh-keygen's default bcrypt rounds (-a) */
export const DEFAULT_KDF_ROUNDS = 16;

/** How to write an openssh-key-v1 file: the passphrase (none: unencrypted) and bcrypt-pbkdf rounds. */
export interface PrivateKeyWriteOptions {
  /** empty or absent: unencrypted */
  passphrase?: string;
  /** bcrypt-pbkdf rounds (-a); default 16 */
  rounds?: number;
}

/** The public key blob and the private fields after the type string, per key type. */
function keyFields(m: KeyMaterial): { type: string; publicBlob: Uint8Array; write(w: Writer): void } {
  switch (m.kind) {
    case 'ed25519': {
      const secret = new Uint8Array(64);
      secret.set(m.seed);
      secret.set(m.point, 32);
      return {
        type: 'ssh-ed25519',
        publicBlob: new Writer(64).string('ssh-ed25519').string(m.point).finish().slice(),
        write: (w) => w.string(m.point).string(secret),
      };
    }
    case 'ecdsa': {
      const type = `ecdsa-sha2-${m.curve}`;
      return {
        type,
        publicBlob: new Writer(200).string(type).string(m.curve).string(m.point).finish().slice(),
        write: (w) => w.string(m.curve).string(m.point).mpint(m.d),
      };
    }
    case 'rsa':
      return {
        type: 'ssh-rsa',
        publicBlob: new Writer(1100).string('ssh-rsa').mpint(m.e).mpint(m.n).finish().slice(),
        write: (w) => w.mpint(m.n).mpint(m.e).mpint(m.d).mpint(m.iqmp).mpint(m.p).mpint(m.q),
      };
    case 'sk-ed25519':
    case 'sk-ecdsa': {
      // PROTOCOL.u2f: the public fields (ecdsa-sk: curve, Q; ed25519-sk: A), then application,
      // flags, key handle, reserved; the public blob ends with the application.
      const ed = m.kind === 'sk-ed25519';
      const type = ed ? 'sk-ssh-ed25519@openssh.com' : 'sk-ecdsa-sha2-nistp256@openssh.com';
      const point = (w: Writer): Writer => (ed ? w.string(m.point) : w.string('nistp256').string(m.point));
      return {
        type,
        publicBlob: point(new Writer(256).string(type)).string(m.application).finish().slice(),
        write: (w) => point(w).string(m.application).u8(m.flags).string(m.keyHandle).string(m.reserved),
      };
    }
  }
}

/**
 * The text of an OpenSSH private key file for `material`.
 * @example writeOpenSSHPrivateKey(material, 'me@host', randomBytes, { passphrase: 'secret' })
 */
export function writeOpenSSHPrivateKey(material: KeyMaterial, comment: string, random: RandomBytes, options: PrivateKeyWriteOptions = {}): string {
  const encrypt = options.passphrase !== undefined && options.passphrase !== '';
  const rounds = options.rounds ?? DEFAULT_KDF_ROUNDS;
  if (encrypt && (!Number.isInteger(rounds) || rounds < 1 || rounds > MAX_BCRYPT_ROUNDS)) {
    throw new KeyError(`bcrypt rounds must be 1..${MAX_BCRYPT_ROUNDS}`);
  }
  const fields = keyFields(material);
  const blockSize = encrypt ? 16 : 8;
  const check = random(4);
  const section = new Writer(2048).raw(check).raw(check).string(fields.type);
  fields.write(section);
  section.string(comment);
  for (let pad = 1; section.length % blockSize !== 0; pad++) section.u8(pad);
  let body = section.finish().slice();

  let kdfOptions = new Uint8Array(0);
  if (encrypt) {
    const salt = random(16);
    kdfOptions = new Writer(32).string(salt).u32(rounds).finish().slice();
    const keyIv = bcryptPbkdf(new TextEncoder().encode(options.passphrase), salt, rounds, 32 + 16);
    const plain = body;
    body = ctr(keyIv.subarray(0, 32), keyIv.subarray(32)).encrypt(plain);
    plain.fill(0);
    keyIv.fill(0);
  }
  const out = new Writer(body.length + 512)
    .raw(new TextEncoder().encode('openssh-key-v1\0'))
    .string(encrypt ? 'aes256-ctr' : 'none')
    .string(encrypt ? 'bcrypt' : 'none')
    .string(kdfOptions)
    .u32(1)
    .string(fields.publicBlob)
    .string(body)
    .finish()
    .slice();
  return pemEncode(OPENSSH_PRIVATE_LABEL, out);
}
