/**
 * mlkem768x25519-sha256 (draft-ietf-sshm-mlkem-hybrid-kex; OpenSSH 9.9+ kexmlkem768x25519.c):
 * ML-KEM-768 (FIPS 203) with X25519, K = string SHA-256(K_PQ ‖ K_CL).
 *
 *   C_INIT  = ML-KEM encapsulation key (1184 bytes) ‖ X25519 public key (32)
 *   S_REPLY = ML-KEM ciphertext (1088 bytes)        ‖ X25519 public key (32)
 *
 * ML-KEM comes from @noble/post-quantum's `ml_kem768`, not its `ml_kem768_x25519`: that
 * is X-Wing, a different combiner. The server side checks the encapsulation key's
 * coefficients (FIPS 203 §7.2 modulus check) through noble's encapsulate().
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { makeHybridKex, type Kem } from './hybrid-kem.js';
import { randomBytes, wipe } from './kex-util.js';
import type { KexAlgorithm } from './types.js';

const SEED_BYTES = 64; // d ‖ z (FIPS 203 Algorithm 19)
const MSG_BYTES = 32; // m (FIPS 203 Algorithm 20)

/** ML-KEM-768 with its randomness drawn from the injected source */
export const mlkem768: Kem = Object.freeze<Kem>({
  name: 'ML-KEM-768',
  publicKeyBytes: ml_kem768.lengths.publicKey!,
  cipherTextBytes: ml_kem768.lengths.cipherText!,
  keygen(random) {
    const seed = randomBytes(random, SEED_BYTES);
    try {
      return ml_kem768.keygen(seed);
    } finally {
      wipe(seed);
    }
  },
  encapsulate(publicKey, random) {
    const m = randomBytes(random, MSG_BYTES);
    try {
      const { cipherText, sharedSecret } = ml_kem768.encapsulate(publicKey, m);
      return { cipherText, sharedSecret: sharedSecret.slice() };
    } finally {
      wipe(m);
    }
  },
  decapsulate: (cipherText, secretKey) => ml_kem768.decapsulate(cipherText, secretKey),
});

/** mlkem768x25519-sha256 */
export const mlkem768x25519Sha256: KexAlgorithm = makeHybridKex({
  name: 'mlkem768x25519-sha256',
  kem: mlkem768,
  hash: sha256,
  initName: 'SSH_MSG_KEX_HYBRID_INIT',
  replyName: 'SSH_MSG_KEX_HYBRID_REPLY',
});
