/**
 * HMAC family (RFC 2104; RFC 4253 §6.4; RFC 6668 for SHA-2; OpenSSH PROTOCOL §1.7 for -etm).
 * One table of (name, hash, tag length, etm) rows; SHA-1, MD5 and RIPEMD-160 come from
 * noble's `legacy.js` and exist for compatibility only. hmac-ripemd160 is libssh2's name
 * and hmac-ripemd160@openssh.com OpenSSH's (before 7.6) for the same MAC.
 *
 * Each direction keys HMAC once and clones that keyed state per packet (noble's
 * `_cloneInto`) instead of re-running the key schedule.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { md5, ripemd160, sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import type { CHash } from '@noble/hashes/utils.js';
import { SshError } from '../../errors.js';
import { equalConstantTime } from '../../wire/bytes.js';
import type { MacAlgorithm, MacState } from '../../crypto/mac-types.js';

type Hash = CHash;

function createHmacState(name: string, hash: Hash, keyLength: number, length: number, key: Uint8Array): MacState {
  if (!(key instanceof Uint8Array) || key.length !== keyLength) {
    throw new SshError('INVAL', `${name} key: expected ${keyLength} bytes`);
  }
  const keyed = hmac.create(hash, key);
  let work = keyed.clone();
  const seqBytes = new Uint8Array(4);
  const seqView = new DataView(seqBytes.buffer);
  const full = new Uint8Array(hash.outputLen);

  const run = (seq: number, data: Uint8Array): Uint8Array => {
    work = keyed._cloneInto(work);
    seqView.setUint32(0, seq >>> 0);
    work.update(seqBytes).update(data).digestInto(full);
    return full.subarray(0, length);
  };

  return {
    length,
    compute(seq: number, data: Uint8Array, out: Uint8Array, offset = 0): void {
      out.set(run(seq, data), offset);
      full.fill(0);
    },
    verify(seq: number, data: Uint8Array, tag: Uint8Array): boolean {
      const ok = equalConstantTime(run(seq, data), tag);
      full.fill(0);
      return ok;
    },
    dispose(): void {
      keyed.destroy();
      work.destroy();
      full.fill(0);
    },
  };
}

function hmacAlgorithm(name: string, hash: Hash, length: number, etm: boolean, insecure: boolean): MacAlgorithm {
  // RFC 4253 §6.4 / RFC 6668: the key is as long as the digest, even for the -96 variants.
  const keyLength = hash.outputLen;
  return Object.freeze({
    name,
    keyLength,
    length,
    etm,
    insecure,
    create: (key: Uint8Array) => createHmacState(name, hash, keyLength, length, key),
  });
}

/** [wire name, hash, tag length, etm, insecure] */
const TABLE: readonly [string, Hash, number, boolean, boolean][] = [
  ['hmac-sha2-256-etm@openssh.com', sha256, 32, true, false],
  ['hmac-sha2-512-etm@openssh.com', sha512, 64, true, false],
  ['hmac-sha1-etm@openssh.com', sha1, 20, true, false],
  ['hmac-sha2-256', sha256, 32, false, false],
  ['hmac-sha2-512', sha512, 64, false, false],
  ['hmac-sha1', sha1, 20, false, false],
  ['hmac-sha1-96-etm@openssh.com', sha1, 12, true, true],
  ['hmac-sha1-96', sha1, 12, false, true],
  ['hmac-md5-etm@openssh.com', md5, 16, true, true],
  ['hmac-md5', md5, 16, false, true],
  ['hmac-md5-96-etm@openssh.com', md5, 12, true, true],
  ['hmac-md5-96', md5, 12, false, true],
  ['hmac-ripemd160', ripemd160, 20, false, true],
  ['hmac-ripemd160@openssh.com', ripemd160, 20, false, true],
];

export const HMACS: readonly MacAlgorithm[] = /* @__PURE__ */ TABLE.map(([name, hash, len, etm, insecure]) => hmacAlgorithm(name, hash, len, etm, insecure));
