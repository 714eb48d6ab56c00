/**
 * 3des-cbc (RFC 4253 §6.3): three-key Triple-DES EDE in CBC mode, 24-byte key (K1‖K2‖K3),
 * 8-byte IV. OpenSSH 9.x still has it, off by default. Insecure: opt-in only.
 */
import { TripleDes } from '../../crypto/primitives/des.js';
import { cbc64Algorithm } from './cbc64.js';
import type { CipherAlgorithm } from '../../crypto/cipher-types.js';

export const TRIPLE_DES_CBC: CipherAlgorithm = /* @__PURE__ */ cbc64Algorithm('3des-cbc', 24, (key) => new TripleDes(key));
