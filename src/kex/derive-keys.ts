/**
 * Key derivation from K and H (RFC 4253 §7.2):
 *
 *   K1 = HASH(K ‖ H ‖ X ‖ session_id)      X = "A".."F"
 *   K2 = HASH(K ‖ H ‖ K1)
 *   K3 = HASH(K ‖ H ‖ K1 ‖ K2) ...         key = K1 ‖ K2 ‖ ..., truncated
 *
 * K is passed exactly as it enters the exchange hash (mpint or string encoding, with its
 * length prefix); session_id is the H of the first key exchange.
 */
import type { KeySizes } from '../transport/protection.js';
import { concatBytes } from '../wire/writer.js';

export type KeyLetter = 'A' | 'B' | 'C' | 'D' | 'E' | 'F';

/**
 * Derive `length` bytes for one key letter.
 *
 * @example
 * const keyCS = deriveKey(sha256, K, H, sessionId, 'C', 32);
 */
export function deriveKey(
  hash: (data: Uint8Array) => Uint8Array,
  K: Uint8Array,
  H: Uint8Array,
  sessionId: Uint8Array,
  letter: KeyLetter,
  length: number,
): Uint8Array {
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`deriveKey: bad length ${length}`);
  if (length === 0) return new Uint8Array(0);
  const code = letter.charCodeAt(0);
  if (letter.length !== 1 || code < 0x41 || code > 0x46) throw new RangeError(`deriveKey: bad key letter`);
  const blocks: Uint8Array[] = [hash(concatBytes(K, H, Uint8Array.of(code), sessionId))];
  let have = blocks[0]!.length;
  if (have === 0) throw new RangeError('deriveKey: hash returned no bytes');
  while (have < length) {
    const next = hash(concatBytes(K, H, ...blocks));
    blocks.push(next);
    have += next.length;
  }
  return concatBytes(...blocks).slice(0, length);
}

export interface DerivedKeys {
  /** initial IV client to server ("A") */
  ivCS: Uint8Array;
  /** initial IV server to client ("B") */
  ivSC: Uint8Array;
  /** encryption key client to server ("C") */
  keyCS: Uint8Array;
  /** encryption key server to client ("D") */
  keySC: Uint8Array;
  /** integrity key client to server ("E") */
  macCS: Uint8Array;
  /** integrity key server to client ("F") */
  macSC: Uint8Array;
}

/**
 * All six keys for the negotiated cipher/MAC of each direction.
 *
 * @example
 * const keys = deriveAll(alg.hash, result.K, result.H, sessionId,
 *   { keyLength: 16, ivLength: 16, macKeyLength: 32 }, { keyLength: 16, ivLength: 16, macKeyLength: 32 });
 */
export function deriveAll(
  hash: (data: Uint8Array) => Uint8Array,
  K: Uint8Array,
  H: Uint8Array,
  sessionId: Uint8Array,
  sizesCS: KeySizes,
  sizesSC: KeySizes,
): DerivedKeys {
  return {
    ivCS: deriveKey(hash, K, H, sessionId, 'A', sizesCS.ivLength),
    ivSC: deriveKey(hash, K, H, sessionId, 'B', sizesSC.ivLength),
    keyCS: deriveKey(hash, K, H, sessionId, 'C', sizesCS.keyLength),
    keySC: deriveKey(hash, K, H, sessionId, 'D', sizesSC.keyLength),
    macCS: deriveKey(hash, K, H, sessionId, 'E', sizesCS.macKeyLength),
    macSC: deriveKey(hash, K, H, sessionId, 'F', sizesSC.macKeyLength),
  };
}
