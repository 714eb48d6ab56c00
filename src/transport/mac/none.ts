/**
 * The `none` MAC (RFC 4253 §6.4): no integrity protection, a zero-length tag. Like the
 * `none` cipher it is in no table or list: getMac('none') finds it only when a caller names
 * it, and the client warns through its debug hook when it is offered.
 */
import { SshError } from '../../errors.js';
import type { MacAlgorithm, MacState } from '../../crypto/mac-types.js';

export const NONE_MAC_NAME = 'none';

function createNone(key: Uint8Array): MacState {
  if (!(key instanceof Uint8Array) || key.length !== 0) throw new SshError('INVAL', 'none MAC key: expected 0 bytes');
  return {
    length: 0,
    compute: () => undefined,
    verify: (_seq: number, _data: Uint8Array, tag: Uint8Array) => tag.length === 0,
    dispose: () => undefined,
  };
}

export const NONE_MAC: MacAlgorithm = Object.freeze({
  name: NONE_MAC_NAME,
  keyLength: 0,
  length: 0,
  etm: false,
  insecure: true,
  create: createNone,
});
