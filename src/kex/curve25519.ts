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
import { makeEcdhFlowKex, type KeyAgreement } from './ecdh-flow.js';
import { encodeSharedSecret, kexFailure, randomBytes, wipe } from './kex-util.js';
import type { PublicKeyOps } from '../crypto/provider.js';
import type { KexAlgorithm } from './types.js';

const KEY_LEN = 32;

function sharedSecret(name: string, secret: Uint8Array, peer: Uint8Array, ops?: PublicKeyOps): Uint8Array {
  if (peer.length !== KEY_LEN) throw kexFailure(name, `peer public key is ${peer.length} bytes, expected ${KEY_LEN}`);
  let out: Uint8Array;
  try {
    out = ops ? ops.x25519Shared(secret, peer) : x25519.getSharedSecret(secret, peer);
  } catch {
    // noble rejects an all-zero result (a low-order peer point)
    throw kexFailure(name, 'X25519 shared secret is all zero (invalid peer public key)');
  }
  if (out.every((b) => b === 0)) throw kexFailure(name, 'X25519 shared secret is all zero (invalid peer public key)');
  return out;
}

/** K: the X25519 output as an mpint, wiping the raw secret. */
function sharedK(name: string, secret: Uint8Array, peer: Uint8Array, ops?: PublicKeyOps): Uint8Array {
  const shared = sharedSecret(name, secret, peer, ops);
  const K = encodeSharedSecret(shared);
  wipe(shared);
  return K;
}

function x25519Agreement(name: string): KeyAgreement {
  return {
    start(random, ops) {
      const secret = randomBytes(random, KEY_LEN);
      const value = ops ? ops.x25519Public(secret) : x25519.getPublicKey(secret);
      return { value, finish: (qS) => sharedK(name, secret, qS, ops), wipe: () => wipe(secret) };
    },
    respond(qC, random) {
      const secret = randomBytes(random, KEY_LEN);
      try {
        return { value: x25519.getPublicKey(secret), K: sharedK(name, secret, qC), wipe: () => {} };
      } finally {
        wipe(secret);
      }
    },
  };
}

function makeCurve25519(name: string): KexAlgorithm {
  return makeEcdhFlowKex({ name, hash: sha256, agreement: x25519Agreement(name) });
}

/** curve25519-sha256 (RFC 8731) */
export const curve25519Sha256: KexAlgorithm = makeCurve25519('curve25519-sha256');
/** curve25519-sha256@libssh.org, the same method under its original name */
export const curve25519Sha256Libssh: KexAlgorithm = makeCurve25519('curve25519-sha256@libssh.org');
