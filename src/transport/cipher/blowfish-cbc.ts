/**
 * blowfish-cbc (RFC 4253 §6.3): Blowfish in CBC mode with a 128-bit key and 8-byte IV.
 * Removed from OpenSSH in 7.4; kept for old servers. Insecure: opt-in only.
 */
import { Blowfish } from '../../crypto/primitives/blowfish.js';
import { cbc64Algorithm } from './cbc64.js';
import type { CipherAlgorithm } from '../../crypto/cipher-types.js';

export const BLOWFISH_CBC: CipherAlgorithm = /* @__PURE__ */ cbc64Algorithm('blowfish-cbc', 16, (key) => new Blowfish(key));
