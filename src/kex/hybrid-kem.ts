/**
 * The shape shared by the post-quantum hybrid methods: a KEM run alongside X25519, the
 * two secrets hashed together into K.
 *
 *   C → S  byte 30 (SSH_MSG_KEX_HYBRID_INIT / _ECDH_INIT)   string C_INIT = C_PK ‖ Q_C
 *   S → C  byte 31 (SSH_MSG_KEX_HYBRID_REPLY / _ECDH_REPLY) string K_S,
 *          string S_REPLY = S_CT ‖ Q_S, string signature
 *   K = string HASH(K_PQ ‖ K_CL)       (a string, not an mpint)
 *   H = HASH(V_C ‖ V_S ‖ I_C ‖ I_S ‖ K_S ‖ string C_INIT ‖ string S_REPLY ‖ K)
 *
 * (draft-ietf-sshm-mlkem-hybrid-kex §2; draft-ietf-sshm-ntruprime-ssh §2.) K_CL is the raw
 * 32-byte X25519 output; an all-zero one (low-order peer key) aborts the exchange as in
 * RFC 8731 §3. Wrong-length C_INIT or S_REPLY aborts it too (draft §2.1, §2.2).
 */
import { x25519 } from '@noble/curves/ed25519.js';
import type { PublicKeyOps } from '../crypto/provider.js';
import { Writer } from '../wire/writer.js';
import { makeEcdhFlowKex, type KeyAgreement } from './ecdh-flow.js';
import { providerHash } from './kex-hash.js';
import { kexFailure, randomBytes, wipe } from './kex-util.js';
import type { KexAlgorithm, RandomSource } from './types.js';
import { concatBytes } from '../wire/writer.js';

const X25519_BYTES = 32;

/** A key-encapsulation mechanism with injected randomness. */
export interface Kem {
  /** for error messages, e.g. "sntrup761" */
  readonly name: string;
  readonly publicKeyBytes: number;
  readonly cipherTextBytes: number;
  /** `ops`: the provider's digests, for a KEM that hashes internally (sntrup761) */
  keygen(random: RandomSource, ops?: PublicKeyOps): { publicKey: Uint8Array; secretKey: Uint8Array };
  /** throws if the public key is malformed */
  encapsulate(publicKey: Uint8Array, random: RandomSource): { cipherText: Uint8Array; sharedSecret: Uint8Array };
  decapsulate(cipherText: Uint8Array, secretKey: Uint8Array, ops?: PublicKeyOps): Uint8Array;
}

export interface HybridKexSpec {
  /** wire name */
  name: string;
  kem: Kem;
  hash: (data: Uint8Array) => Uint8Array;
  /** message names for errors, e.g. SSH_MSG_KEX_HYBRID_INIT */
  initName: string;
  replyName: string;
}

function x25519Shared(name: string, secret: Uint8Array, peer: Uint8Array, ops?: PublicKeyOps): Uint8Array {
  let out: Uint8Array;
  try {
    out = ops ? ops.x25519Shared(secret, peer) : x25519.getSharedSecret(secret, peer);
  } catch {
    throw kexFailure(name, 'X25519 shared secret is all zero (invalid peer public key)');
  }
  let acc = 0;
  for (const b of out) acc |= b;
  if (acc === 0) throw kexFailure(name, 'X25519 shared secret is all zero (invalid peer public key)');
  return out;
}

/** K = string HASH(K_PQ ‖ K_CL); wipes both inputs */
function combine(hash: (d: Uint8Array) => Uint8Array, kemSecret: Uint8Array, ecdhSecret: Uint8Array): Uint8Array {
  const joined = concatBytes(kemSecret, ecdhSecret);
  const digest = hash(joined);
  const K = new Writer(digest.length + 8).string(digest).finish().slice();
  wipe(joined);
  wipe(digest);
  wipe(kemSecret);
  wipe(ecdhSecret);
  return K;
}

/**
 * Build a hybrid KEM + X25519 method: Q_C is the KEM public key ‖ X25519 key, Q_S the
 * ciphertext ‖ X25519 key, over the shared ECDH message flow.
 *
 * @example
 * export const mlkem768x25519Sha256 = makeHybridKex({ name: 'mlkem768x25519-sha256', kem, hash: sha256, ... });
 */
export function makeHybridKex(spec: HybridKexSpec): KexAlgorithm {
  const { name, kem, hash } = spec;
  const initLen = kem.publicKeyBytes + X25519_BYTES;
  const replyLen = kem.cipherTextBytes + X25519_BYTES;

  const agreement: KeyAgreement = {
    start(random, ops) {
      const { publicKey, secretKey } = kem.keygen(random, ops);
      const xSecret = randomBytes(random, X25519_BYTES);
      return {
        value: concatBytes(publicKey, ops ? ops.x25519Public(xSecret) : x25519.getPublicKey(xSecret)),
        finish(sReply) {
          if (sReply.length !== replyLen) {
            throw kexFailure(name, `server reply is ${sReply.length} bytes, expected ${replyLen}`);
          }
          const kemSecret = kem.decapsulate(sReply.subarray(0, kem.cipherTextBytes), secretKey, ops);
          return combine(providerHash(hash, ops), kemSecret, x25519Shared(name, xSecret, sReply.subarray(kem.cipherTextBytes), ops));
        },
        wipe() {
          wipe(secretKey);
          wipe(xSecret);
        },
      };
    },
    respond(cInit, random) {
      if (cInit.length !== initLen) throw kexFailure(name, `client init is ${cInit.length} bytes, expected ${initLen}`);
      let encapsulated: { cipherText: Uint8Array; sharedSecret: Uint8Array };
      try {
        encapsulated = kem.encapsulate(cInit.subarray(0, kem.publicKeyBytes), random);
      } catch {
        throw kexFailure(name, `invalid ${kem.name} public key`);
      }
      const xSecret = randomBytes(random, X25519_BYTES);
      try {
        const value = concatBytes(encapsulated.cipherText, x25519.getPublicKey(xSecret));
        const ecdh = x25519Shared(name, xSecret, cInit.subarray(kem.publicKeyBytes));
        return { value, K: combine(hash, encapsulated.sharedSecret, ecdh), wipe: () => {} };
      } finally {
        wipe(xSecret);
        wipe(encapsulated.sharedSecret);
      }
    },
  };

  return makeEcdhFlowKex({
    name,
    hash,
    agreement,
    labels: { init: spec.initName, reply: spec.replyName, clientValue: 'client init C_INIT', serverValue: 'server reply S_REPLY' },
  });
}
