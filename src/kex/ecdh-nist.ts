/**
 * ecdh-sha2-nistp256/384/521 (RFC 5656 §4, §6.2), registered from a data table.
 *
 *   C → S  SSH_MSG_KEX_ECDH_INIT   string Q_C
 *   S → C  SSH_MSG_KEX_ECDH_REPLY  string K_S, string Q_S, string signature
 *   H = hash(V_C ‖ V_S ‖ I_C ‖ I_S ‖ K_S ‖ string Q_C ‖ string Q_S ‖ mpint K)
 *
 * Points are SEC1 uncompressed (0x04 ‖ x ‖ y), as OpenSSH requires. The peer's point is
 * validated (on the curve, not infinity; RFC 5656 §4 "MUST verify"), and K is the
 * x coordinate of the shared point as an mpint (RFC 5656 §4).
 */
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { MSG } from '../wire/constants.js';
import { Writer } from '../wire/writer.js';
import { exchangeHash } from './exchange-hash.js';
import { encodeSharedSecret, expectMessage, kexFailure, randomBytes, wipe } from './kex-util.js';
import type { HostKeySigner, KexAlgorithm, KexConn, KexMagics, KexResult, RandomSource } from './types.js';

type Curve = typeof p256;

interface EcdhSpec {
  name: string;
  curve: Curve;
  hash: (data: Uint8Array) => Uint8Array;
}

/** RFC 5656 §6.2.1: the hash follows the curve size. */
const ECDH_TABLE: readonly EcdhSpec[] = [
  { name: 'ecdh-sha2-nistp256', curve: p256, hash: sha256 },
  { name: 'ecdh-sha2-nistp384', curve: p384, hash: sha384 },
  { name: 'ecdh-sha2-nistp521', curve: p521, hash: sha512 },
];

function makeEcdh({ name, curve, hash }: EcdhSpec): KexAlgorithm {
  const pointLen = curve.lengths.publicKeyUncompressed!;
  const seedLen = curve.lengths.seed!;

  /**
   * Ephemeral key pair. The scalar is (seed mod (n-1)) + 1 over seedLen random bytes
   * (FIPS 186-5 A.2.1, noble's randomSecretKey), so it is never 0 and nearly unbiased.
   */
  function keyPair(random: RandomSource): { secret: Uint8Array; pub: Uint8Array } {
    const seed = randomBytes(random, seedLen);
    const secret = curve.utils.randomSecretKey(seed);
    wipe(seed);
    return { secret, pub: curve.getPublicKey(secret, false) };
  }

  function sharedX(secret: Uint8Array, peer: Uint8Array): Uint8Array {
    if (peer.length !== pointLen || peer[0] !== 0x04) {
      throw kexFailure(name, `peer public key is not an uncompressed ${pointLen}-byte point`);
    }
    let shared: Uint8Array;
    try {
      curve.Point.fromBytes(peer).assertValidity();
      shared = curve.getSharedSecret(secret, peer, true);
    } catch {
      throw kexFailure(name, 'peer public key is not a valid point on the curve');
    }
    // compressed encoding: one prefix byte, then x
    return shared.subarray(1);
  }

  function methodFields(qC: Uint8Array, qS: Uint8Array): Uint8Array {
    return new Writer(2 * pointLen + 16).string(qC).string(qS).finish();
  }

  async function client(conn: KexConn, magics: KexMagics, random: RandomSource): Promise<KexResult> {
    const { secret, pub: qC } = keyPair(random);
    try {
      await conn.send(new Writer(pointLen + 8).u8(MSG.KEX_ECDH_INIT).string(qC).finish());
      const r = await expectMessage(conn, name, MSG.KEX_ECDH_REPLY, 'SSH_MSG_KEX_ECDH_REPLY');
      const hostKey = r.string('server host key').slice();
      const qS = r.string('server ephemeral key Q_S').slice();
      const signature = r.string('signature').slice();
      r.end();
      const x = sharedX(secret, qS);
      const K = encodeSharedSecret(x);
      wipe(x);
      const H = exchangeHash(hash, magics, hostKey, methodFields(qC, qS), K);
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
    const { secret, pub: qS } = keyPair(random);
    try {
      const x = sharedX(secret, qC);
      const K = encodeSharedSecret(x);
      wipe(x);
      const H = exchangeHash(hash, magics, hostKey.blob, methodFields(qC, qS), K);
      const signature = await hostKey.sign(H);
      await conn.send(
        new Writer(512).u8(MSG.KEX_ECDH_REPLY).string(hostKey.blob).string(qS).string(signature).finish(),
      );
      return { K, H, hostKey: hostKey.blob, signature };
    } finally {
      wipe(secret);
    }
  }

  return Object.freeze({ name, hash, client, server });
}

/** ecdh-sha2-nistp256, -nistp384, -nistp521, in that order. */
export const ECDH_NIST_KEX: readonly KexAlgorithm[] = ECDH_TABLE.map(makeEcdh);
