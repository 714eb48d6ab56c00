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
import type { NistCurve, PublicKeyOps } from '../crypto/provider.js';
import { makeEcdhFlowKex, type KeyAgreement } from './ecdh-flow.js';
import { encodeSharedSecret, kexFailure, randomBytes, wipe } from './kex-util.js';
import type { KexAlgorithm, RandomSource } from './types.js';

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
  const curveId = name.slice('ecdh-sha2-'.length) as NistCurve;
  const seedLen = curve.lengths.seed!;

  /**
   * Ephemeral key pair. The scalar is (seed mod (n-1)) + 1 over seedLen random bytes
   * (FIPS 186-5 A.2.1, noble's randomSecretKey), so it is never 0 and nearly unbiased.
   */
  function keyPair(random: RandomSource, ops?: PublicKeyOps): { secret: Uint8Array; pub: Uint8Array } {
    const seed = randomBytes(random, seedLen);
    const secret = curve.utils.randomSecretKey(seed);
    wipe(seed);
    return { secret, pub: ops ? ops.ecdhPublic(curveId, secret) : curve.getPublicKey(secret, false) };
  }

  function sharedX(secret: Uint8Array, peer: Uint8Array, ops?: PublicKeyOps): Uint8Array {
    if (peer.length !== pointLen || peer[0] !== 0x04) {
      throw kexFailure(name, `peer public key is not an uncompressed ${pointLen}-byte point`);
    }
    let shared: Uint8Array;
    try {
      // OpenSSL checks the point too (EC_POINT_oct2point) and returns x directly.
      if (ops) return ops.ecdhShared(curveId, secret, peer);
      curve.Point.fromBytes(peer).assertValidity();
      shared = curve.getSharedSecret(secret, peer, true);
    } catch {
      throw kexFailure(name, 'peer public key is not a valid point on the curve');
    }
    // compressed encoding: one prefix byte, then x
    return shared.subarray(1);
  }

  /** K: the shared point's x coordinate as an mpint (RFC 5656 §4). */
  function sharedK(secret: Uint8Array, peer: Uint8Array, ops?: PublicKeyOps): Uint8Array {
    const x = sharedX(secret, peer, ops);
    const K = encodeSharedSecret(x);
    wipe(x);
    return K;
  }

  const agreement: KeyAgreement = {
    start(random, ops) {
      const { secret, pub } = keyPair(random, ops);
      return { value: pub, finish: (qS) => sharedK(secret, qS, ops), wipe: () => wipe(secret) };
    },
    respond(qC, random) {
      const { secret, pub } = keyPair(random);
      try {
        return { value: pub, K: sharedK(secret, qC), wipe: () => {} };
      } finally {
        wipe(secret);
      }
    },
  };

  return makeEcdhFlowKex({ name, hash, agreement });
}

/** ecdh-sha2-nistp256, -nistp384, -nistp521, in that order. */
export const ECDH_NIST_KEX: readonly KexAlgorithm[] = ECDH_TABLE.map(makeEcdh);
