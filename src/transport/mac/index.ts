/**
 * MAC registry: wire name → descriptor, plus the ordered lists used in KEXINIT; all frozen.
 * AEAD ciphers need no MAC; the codec ignores the MAC name for them. A faster implementation
 * of one (node:crypto) comes from the connection's CryptoProvider.
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
import { UMACS } from './umac.js';
import type { MacAlgorithm } from '../../crypto/mac-types.js';

export type { MacAlgorithm, MacState } from '../../crypto/mac-types.js';

/** Every MAC we implement, by wire name. */
export const MACS: ReadonlyMap<string, MacAlgorithm> = new Map([...UMACS, ...HMACS].map((m) => [m.name, m]));

/**
 * Offered by default, in OpenSSH's client order (ssh_config(5) MACs). umac-64-etm leads as
 * there: over 32 KiB packets its WebAssembly UHASH runs at ~2.4x node:crypto's HMAC-SHA-256
 * and ~27x noble's (scripts/bench-mac.ts), so it is the faster choice under either provider.
 */
export const DEFAULT_MACS: readonly string[] = Object.freeze([
  'umac-64-etm@openssh.com',
  'umac-128-etm@openssh.com',
  'hmac-sha2-256-etm@openssh.com',
  'hmac-sha2-512-etm@openssh.com',
  'hmac-sha1-etm@openssh.com',
  'umac-64@openssh.com',
  'umac-128@openssh.com',
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

/** The descriptor for a wire name, or an ALGO_UNSUPPORTED error. */
export function getMac(name: string): MacAlgorithm {
  const m = MACS.get(name) ?? (name === NONE_MAC_NAME ? NONE_MAC : undefined);
  if (!m) throw new SshError('ALGO_UNSUPPORTED', `unsupported MAC: ${name}`);
  return m;
}
