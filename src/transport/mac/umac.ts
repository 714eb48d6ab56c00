/**
 * UMAC family (RFC 4418 with AES-128; OpenSSH's umac-64@openssh.com and umac-128@openssh.com,
 * and their -etm forms, OpenSSH PROTOCOL §1.7). The 16-byte MAC key is the UMAC key; the nonce
 * is the packet sequence number as a big-endian uint64 (OpenSSH mac.c), and the MAC covers
 * the packet alone: unlike HMAC, the sequence number is not prepended to the data.
 */
import { SshError } from '../../errors.js';
import { createUmac } from '../../crypto/umac.js';
import { equalConstantTime } from '../../wire/bytes.js';
import type { MacAlgorithm, MacState } from '../../crypto/mac-types.js';

const KEY_LENGTH = 16;

function createUmacState(name: string, length: 8 | 16, key: Uint8Array): MacState {
  if (!(key instanceof Uint8Array) || key.length !== KEY_LENGTH) {
    throw new SshError('INVAL', `${name} key: expected ${KEY_LENGTH} bytes`);
  }
  const umac = createUmac(key, length);
  const tag = new Uint8Array(length);
  return {
    length,
    compute(seq: number, data: Uint8Array, out: Uint8Array, offset = 0): void {
      umac.tag(0, seq >>> 0, data, out, offset);
    },
    verify(seq: number, data: Uint8Array, expected: Uint8Array): boolean {
      umac.tag(0, seq >>> 0, data, tag);
      const ok = equalConstantTime(tag, expected);
      tag.fill(0);
      return ok;
    },
    dispose(): void {
      umac.dispose();
      tag.fill(0);
    },
  };
}

function umacAlgorithm(name: string, length: 8 | 16, etm: boolean): MacAlgorithm {
  return Object.freeze({
    name,
    keyLength: KEY_LENGTH,
    length,
    etm,
    insecure: false,
    create: (key: Uint8Array) => createUmacState(name, length, key),
  });
}

/** [wire name, tag bytes, etm] */
const TABLE: readonly [string, 8 | 16, boolean][] = [
  ['umac-64-etm@openssh.com', 8, true],
  ['umac-128-etm@openssh.com', 16, true],
  ['umac-64@openssh.com', 8, false],
  ['umac-128@openssh.com', 16, false],
];

export const UMACS: readonly MacAlgorithm[] = /* @__PURE__ */ TABLE.map(([name, length, etm]) => umacAlgorithm(name, length, etm));
