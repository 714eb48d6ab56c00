/** Which layer a message belongs to, as the transport's send gate and reader need to know. */
import { MSG } from '../wire/constants.js';
import { readBE32 } from '../wire/bytes.js';

/** RFC 4254 §4: byte 80, string request name, boolean want reply. */
export function globalRequestWantsReply(p: Uint8Array): boolean {
  if (p.length < 5) return true;
  const nameLength = readBE32(p, 1);
  return p[5 + nameLength] !== 0;
}

/** Messages allowed during a key exchange: KEXINIT, NEWKEYS, kex-method 30-49. */
export function isKexMessage(type: number): boolean {
  return type === MSG.KEXINIT || type === MSG.NEWKEYS || (type >= 30 && type <= 49);
}

/** Messages of the layers above the transport (RFC 4253 §7.1 forbids them during a key exchange). */
export function isUpperLayerMessage(type: number): boolean {
  return type >= 50 || type === MSG.SERVICE_REQUEST || type === MSG.SERVICE_ACCEPT;
}
