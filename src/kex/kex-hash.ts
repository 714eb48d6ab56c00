/**
 * The key exchange's hash computed by the provider when it has one (node:crypto's SHA-2 is
 * compiled code; noble's, run once per connection, is still being compiled by the JIT:
 * ~30 ms of a CLI start). The methods name their hash by noble's function; this maps it to
 * the provider's name for it. Same bytes either way.
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import type { HashName, PublicKeyOps } from '../crypto/provider.js';

export type HashFunction = (data: Uint8Array) => Uint8Array;

const NAMES = new Map<HashFunction, HashName>([
  [sha1, 'sha1'],
  [sha256, 'sha256'],
  [sha384, 'sha384'],
  [sha512, 'sha512'],
]);

/** `hash` as computed by `ops.digest` when the provider has it, else `hash` itself. */
export function providerHash(hash: HashFunction, ops: PublicKeyOps | undefined): HashFunction {
  const name = NAMES.get(hash);
  if (name === undefined || ops?.digest === undefined) return hash;
  return (data) => ops.digest!(name, data);
}
