/**
 * cast128-cbc (RFC 4253 §6.3): CAST-128 (RFC 2144) in CBC mode with a 128-bit key (16
 * rounds) and 8-byte IV. Removed from OpenSSH in 7.4; kept for old servers. Insecure: opt-in only.
 */
import { Cast128 } from '../../crypto/primitives/cast128.js';
import { cbc64Algorithm } from './cbc64.js';
import type { CipherAlgorithm } from '../../crypto/cipher-types.js';

export const CAST128_CBC: CipherAlgorithm = /* @__PURE__ */ cbc64Algorithm('cast128-cbc', 16, (key) => new Cast128(key));
