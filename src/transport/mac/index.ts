/**
 * MAC registry (RFC 4253 §6.4): wire name → descriptor, plus the ordered lists used in KEXINIT.
 * AEAD ciphers need no MAC; the codec ignores the MAC name for them.
 *
 * @example
 * ```ts
 * import { MACS } from './mac/index.js';
 * const mac = MACS.get('hmac-sha2-256-etm@openssh.com')!.create(macKey);
 * ```
 */
import { SshError } from '../../errors.js';
import { HMACS } from './hmac.js';
import { NONE_MAC, NONE_MAC_NAME } from './none.js';
import type { MacAlgorithm } from './types.js';

export type { MacAlgorithm, MacState } from './types.js';
export { equalConstantTime } from './compare.js';

/** Every MAC we implement, by wire name. */
export const MACS: Map<string, MacAlgorithm> = new Map(HMACS.map((m) => [m.name, m]));

/** Offered by default, in OpenSSH's preference order (ssh_config(5) MACs, without umac). */
export const DEFAULT_MACS: readonly string[] = Object.freeze([
  'hmac-sha2-256-etm@openssh.com',
  'hmac-sha2-512-etm@openssh.com',
  'hmac-sha1-etm@openssh.com',
  'hmac-sha2-256',
  'hmac-sha2-512',
  'hmac-sha1',
]);

/** Everything a user may enable; the MD5, RIPEMD-160 and truncated variants are insecure and opt-in. */
export const SUPPORTED_MACS: readonly string[] = Object.freeze([
  ...DEFAULT_MACS,
  'hmac-sha1-96-etm@openssh.com',
  'hmac-sha1-96',
  'hmac-md5-etm@openssh.com',
  'hmac-md5',
  'hmac-md5-96-etm@openssh.com',
  'hmac-md5-96',
  'hmac-ripemd160',
  'hmac-ripemd160@openssh.com',
]);

/**
 * `none` (RFC 4253 §6.4): no MAC. Not in MACS or any list; usable only when a caller names
 * it explicitly (the client then warns through its debug hook).
 */
export { NONE_MAC_NAME } from './none.js';

/** Add a MAC or replace the one registered under the same name. */
export function registerMac(desc: MacAlgorithm): void {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- checks what a JavaScript caller passes
  if (!desc || typeof desc.name !== 'string' || desc.name.length === 0 || typeof desc.create !== 'function') {
    throw new SshError('INVAL', 'registerMac: not a MAC descriptor');
  }
  MACS.set(desc.name, desc);
}

/** The descriptor for a wire name, or an ALGO_UNSUPPORTED error. */
export function getMac(name: string): MacAlgorithm {
  const m = MACS.get(name) ?? (name === NONE_MAC_NAME ? NONE_MAC : undefined);
  if (!m) throw new SshError('ALGO_UNSUPPORTED', `unsupported MAC: ${name}`);
  return m;
}
