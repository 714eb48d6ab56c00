/**
 * bcrypt_pbkdf (OpenBSD bcrypt_pbkdf.c), the KDF of encrypted OpenSSH private keys
 * (PROTOCOL.key: kdfname "bcrypt", kdfoptions = string salt, uint32 rounds).
 * The Blowfish state and its "expand state" key schedules come from ./primitives/blowfish.ts.
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { Blowfish, streamToWord } from './primitives/blowfish.js';

/** The π words of Blowfish's initial state (kept under this name for existing callers). */
export { blowfishPiWords as piWords } from './primitives/blowfish.js';

const MAGIC = new TextEncoder().encode('OxychromaticBlowfishSwatDynamite');
const HASH_SIZE = 32;

/** bcrypt_hash: a 32-byte block from SHA-512'd password and salt. */
function bcryptHash(sha2pass: Uint8Array, sha2salt: Uint8Array): Uint8Array {
  const bf = new Blowfish();
  bf.expandState(sha2salt, sha2pass);
  for (let i = 0; i < 64; i++) {
    bf.expand0State(sha2salt);
    bf.expand0State(sha2pass);
  }
  const c = new Uint32Array(8);
  const at = { pos: 0 };
  for (let i = 0; i < 8; i++) c[i] = streamToWord(MAGIC, at);
  for (let n = 0; n < 64; n++) {
    for (let b = 0; b < 8; b += 2) bf.encryptWords(c, b);
  }
  bf.dispose();
  const out = new Uint8Array(HASH_SIZE);
  for (let i = 0; i < 8; i++) {
    out[4 * i] = c[i]! & 0xff;
    out[4 * i + 1] = (c[i]! >>> 8) & 0xff;
    out[4 * i + 2] = (c[i]! >>> 16) & 0xff;
    out[4 * i + 3] = c[i]! >>> 24;
  }
  c.fill(0);
  return out;
}

/**
 * Derive `keyLength` bytes from `password` and `salt` with `rounds` iterations.
 * @example bcryptPbkdf(utf8('password'), utf8('salt'), 4, 32)
 */
export function bcryptPbkdf(password: Uint8Array, salt: Uint8Array, rounds: number, keyLength: number): Uint8Array {
  if (rounds < 1 || keyLength < 1 || keyLength > HASH_SIZE * HASH_SIZE || salt.length === 0) {
    throw new RangeError('bcryptPbkdf: invalid parameters');
  }
  const key = new Uint8Array(keyLength);
  const stride = Math.ceil(keyLength / HASH_SIZE);
  const amount = Math.ceil(keyLength / stride);
  const sha2pass = sha512(password);
  const countSalt = new Uint8Array(salt.length + 4);
  countSalt.set(salt);
  let remaining = keyLength;
  for (let count = 1; remaining > 0; count++) {
    new DataView(countSalt.buffer).setUint32(salt.length, count);
    let tmp = bcryptHash(sha2pass, sha512(countSalt));
    const out = tmp.slice();
    for (let i = 1; i < rounds; i++) {
      tmp = bcryptHash(sha2pass, sha512(tmp));
      for (let j = 0; j < HASH_SIZE; j++) out[j]! ^= tmp[j]!;
    }
    // Output bytes are interleaved across blocks (key[i·stride + count − 1]).
    let i = 0;
    for (; i < Math.min(amount, remaining); i++) {
      const dest = i * stride + (count - 1);
      if (dest >= keyLength) break;
      key[dest] = out[i]!;
    }
    remaining -= i;
  }
  return key;
}
