/**
 * The exchange hash H, common to every method (RFC 4253 §8, RFC 5656 §4, RFC 4419 §3,
 * RFC 8731 §3):
 *
 *   H = HASH(string V_C ‖ string V_S ‖ string I_C ‖ string I_S ‖ string K_S ‖
 *            <method fields> ‖ K)
 *
 * V_* are the identification lines without CR LF, I_* the full KEXINIT payloads, K_S the
 * host key blob. The method fields arrive already encoded (e.g. `string Q_C ‖ string Q_S`
 * for ECDH, `mpint e ‖ mpint f` for DH), and so does K (an mpint, or a string for the
 * hybrid post-quantum methods).
 */
import { Writer } from '../wire/writer.js';
import type { KexMagics } from './types.js';
import { latin1Bytes } from '../wire/bytes.js';

/**
 * @example
 * const fields = new Writer().string(qC).string(qS).finish();
 * const H = exchangeHash(sha256, magics, hostKeyBlob, fields, K);
 */
export function exchangeHash(
  hash: (data: Uint8Array) => Uint8Array,
  magics: KexMagics,
  hostKey: Uint8Array,
  methodFields: Uint8Array,
  K: Uint8Array,
): Uint8Array {
  const w = new Writer(magics.clientKexInit.length + magics.serverKexInit.length + hostKey.length + methodFields.length + K.length + 256);
  // The identification lines are kept as one char per received byte (the version parser
  // never decodes them as UTF-8), so they go back into the hash byte for byte.
  w.string(latin1Bytes(magics.clientVersion))
    .string(latin1Bytes(magics.serverVersion))
    .string(magics.clientKexInit)
    .string(magics.serverKexInit)
    .string(hostKey)
    .raw(methodFields)
    .raw(K);
  return hash(w.finish());
}
