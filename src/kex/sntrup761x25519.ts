/**
 * sntrup761x25519-sha512 and its original name sntrup761x25519-sha512@openssh.com
 * (draft-ietf-sshm-ntruprime-ssh; OpenSSH kexsntrup761x25519.c; tinyssh): Streamlined NTRU
 * Prime sntrup761 with X25519, K = string SHA-512(K_PQ ‖ K_CL).
 *
 *   C_INIT  = sntrup761 public key (1158 bytes) ‖ X25519 public key (32)
 *   S_REPLY = sntrup761 ciphertext (1039 bytes) ‖ X25519 public key (32)
 *
 * The messages are numbered and named as in ECDH (SSH_MSG_KEX_ECDH_INIT/REPLY, RFC 5656 §7.1).
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { makeHybridKex, type Kem } from './hybrid-kem.js';
import { providerHash } from './kex-hash.js';
import { CIPHERTEXT_BYTES, PUBLIC_KEY_BYTES, decapsulate, encapsulate, keypair } from './sntrup761/kem.js';
import type { KexAlgorithm } from './types.js';

/** sntrup761 (pure TypeScript, src/kex/sntrup761/) */
export const sntrup761: Kem = Object.freeze<Kem>({
  name: 'sntrup761',
  publicKeyBytes: PUBLIC_KEY_BYTES,
  cipherTextBytes: CIPHERTEXT_BYTES,
  keygen: (random, ops) => keypair(random, providerHash(sha512, ops)),
  encapsulate,
  decapsulate: (cipherText, secretKey, ops) => decapsulate(cipherText, secretKey, providerHash(sha512, ops)),
});

function make(name: string): KexAlgorithm {
  return makeHybridKex({
    name,
    kem: sntrup761,
    hash: sha512,
    initName: 'SSH_MSG_KEX_ECDH_INIT',
    replyName: 'SSH_MSG_KEX_ECDH_REPLY',
  });
}

/** sntrup761x25519-sha512 (the draft's name; OpenSSH 9.9+) */
export const sntrup761x25519Sha512: KexAlgorithm = make('sntrup761x25519-sha512');
/** sntrup761x25519-sha512@openssh.com (OpenSSH 8.5+, tinyssh) */
export const sntrup761x25519Sha512OpenSSH: KexAlgorithm = make('sntrup761x25519-sha512@openssh.com');
