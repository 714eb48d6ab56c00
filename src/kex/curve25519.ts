/**
 * curve25519-sha256 and its pre-standard alias curve25519-sha256@libssh.org (RFC 8731).
 *
 *   C → S  SSH_MSG_KEX_ECDH_INIT   string Q_C (32 bytes)
 *   S → C  SSH_MSG_KEX_ECDH_REPLY  string K_S, string Q_S (32 bytes), string signature
 *   H = hash(V_C ‖ V_S ‖ I_C ‖ I_S ‖ K_S ‖ string Q_C ‖ string Q_S ‖ mpint K)
 *
 * K is the 32-byte X25519 output read as a big-endian unsigned integer (RFC 8731 §3.1);
 * an all-zero output (low-order peer key) aborts the exchange (RFC 8731 §3).
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { MSG } from '../wire/constants.js';
import { Writer } from '../wire/writer.js';
import { exchangeHash } from './exchange-hash.js';
import { encodeSharedSecret, expectMessage, kexFailure, randomBytes, wipe } from './kex-util.js';
import type { HostKeySigner, KexAlgorithm, KexConn, KexMagics, KexResult, RandomSource } from './types.js';

const KEY_LEN = 32;

function sharedSecret(name: string, secret: Uint8Array, peer: Uint8Array): Uint8Array {
  if (peer.length !== KEY_LEN) throw kexFailure(name, `peer public key is ${peer.length} bytes, expected ${KEY_LEN}`);
  let out: Uint8Array;
  try {
    out = x25519.getSharedSecret(secret, peer);
  } catch {
    // noble rejects an all-zero result (a low-order peer point)
    throw kexFailure(name, 'X25519 shared secret is all zero (invalid peer public key)');
  }
  if (out.every((b) => b === 0)) throw kexFailure(name, 'X25519 shared secret is all zero (invalid peer public key)');
  return out;
}

function methodFields(qC: Uint8Array, qS: Uint8Array): Uint8Array {
  return new Writer(80).string(qC).string(qS).finish();
}

function makeCurve25519(name: string): KexAlgorithm {
  async function client(conn: KexConn, magics: KexMagics, random: RandomSource): Promise<KexResult> {
    const secret = randomBytes(random, KEY_LEN);
    try {
      const qC = x25519.getPublicKey(secret);
      await conn.send(new Writer(48).u8(MSG.KEX_ECDH_INIT).string(qC).finish());
      const r = await expectMessage(conn, name, MSG.KEX_ECDH_REPLY, 'SSH_MSG_KEX_ECDH_REPLY');
      const hostKey = r.string('server host key').slice();
      const qS = r.string('server ephemeral key Q_S').slice();
      const signature = r.string('signature').slice();
      r.end();
      const shared = sharedSecret(name, secret, qS);
      const K = encodeSharedSecret(shared);
      wipe(shared);
      const H = exchangeHash(sha256, magics, hostKey, methodFields(qC, qS), K);
      return { K, H, hostKey, signature };
    } finally {
      wipe(secret);
    }
  }

  async function server(
    conn: KexConn,
    magics: KexMagics,
    hostKey: HostKeySigner,
    random: RandomSource,
  ): Promise<KexResult> {
    const r = await expectMessage(conn, name, MSG.KEX_ECDH_INIT, 'SSH_MSG_KEX_ECDH_INIT');
    const qC = r.string('client ephemeral key Q_C').slice();
    r.end();
    const secret = randomBytes(random, KEY_LEN);
    try {
      const qS = x25519.getPublicKey(secret);
      const shared = sharedSecret(name, secret, qC);
      const K = encodeSharedSecret(shared);
      wipe(shared);
      const H = exchangeHash(sha256, magics, hostKey.blob, methodFields(qC, qS), K);
      const signature = await hostKey.sign(H);
      await conn.send(
        new Writer(256).u8(MSG.KEX_ECDH_REPLY).string(hostKey.blob).string(qS).string(signature).finish(),
      );
      return { K, H, hostKey: hostKey.blob, signature };
    } finally {
      wipe(secret);
    }
  }

  return Object.freeze({ name, hash: sha256, client, server });
}

/** curve25519-sha256 (RFC 8731) */
export const curve25519Sha256: KexAlgorithm = makeCurve25519('curve25519-sha256');
/** curve25519-sha256@libssh.org, the same method under its original name */
export const curve25519Sha256Libssh: KexAlgorithm = makeCurve25519('curve25519-sha256@libssh.org');
