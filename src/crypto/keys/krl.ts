/**
 * OpenSSH key revocation lists (PROTOCOL.krl), the writer: revoked certificates by serial and
 * key id under a CA (or any CA), revoked plain keys by blob, SHA-1 or SHA-256 hash.
 *
 *   "SSHKRL\n\0" uint32 1 uint64 krl_version uint64 generated_date uint64 flags string reserved
 *   string comment, then sections: byte type, string data.
 */
import { Writer } from '../../wire/writer.js';

const MAGIC = new Uint8Array([0x53, 0x53, 0x48, 0x4b, 0x52, 0x4c, 0x0a, 0x00]);
const FORMAT_VERSION = 1;
export const KRL_SECTION = { CERTIFICATES: 1, EXPLICIT_KEY: 2, FINGERPRINT_SHA1: 3, SIGNATURE: 4, FINGERPRINT_SHA256: 5 } as const;
export const KRL_CERT_SECTION = { SERIAL_LIST: 0x20, SERIAL_RANGE: 0x21, SERIAL_BITMAP: 0x22, KEY_ID: 0x23 } as const;

/** Certificates revoked under one CA (`caBlob` null: under any CA; only key ids may be revoked so). */
export interface KrlCertificates {
  caBlob: Uint8Array | null;
  /** [min, max] inclusive */
  serials: [bigint, bigint][];
  keyIds: string[];
}

export interface KrlContents {
  version?: bigint;
  /** seconds since the epoch */
  generatedDate: bigint;
  comment?: string;
  certificates: KrlCertificates[];
  /** public key blobs */
  keys: Uint8Array[];
  sha1: Uint8Array[];
  sha256: Uint8Array[];
}

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function certSection(c: KrlCertificates): Uint8Array {
  const w = new Writer(256).string(c.caBlob ?? new Uint8Array(0)).string(new Uint8Array(0));
  const ranges = [...c.serials].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const singles = ranges.filter(([lo, hi]) => lo === hi);
  if (singles.length) {
    const list = new Writer(8 * singles.length);
    for (const [s] of singles) list.u64(s);
    w.u8(KRL_CERT_SECTION.SERIAL_LIST).string(list.finish());
  }
  for (const [lo, hi] of ranges.filter(([l, h]) => l !== h)) {
    w.u8(KRL_CERT_SECTION.SERIAL_RANGE).string(new Writer(16).u64(lo).u64(hi).finish());
  }
  if (c.keyIds.length) {
    const ids = new Writer(64);
    for (const id of [...new Set(c.keyIds)].sort()) ids.string(id);
    w.u8(KRL_CERT_SECTION.KEY_ID).string(ids.finish());
  }
  return w.finish().slice();
}

/** The binary KRL (what `ssh-keygen -k` writes; sshd's RevokedKeys reads it). */
export function writeKrl(k: KrlContents): Uint8Array {
  const w = new Writer(1024)
    .raw(MAGIC)
    .u32(FORMAT_VERSION)
    .u64(k.version ?? 0n)
    .u64(k.generatedDate)
    .u64(0n)
    .string(new Uint8Array(0))
    .string(k.comment ?? '');
  for (const c of k.certificates) w.u8(KRL_SECTION.CERTIFICATES).string(certSection(c));
  const blobs = (type: number, items: Uint8Array[]): void => {
    if (!items.length) return;
    const s = new Writer(256);
    for (const b of [...items].sort(compare)) s.string(b);
    w.u8(type).string(s.finish());
  };
  blobs(KRL_SECTION.EXPLICIT_KEY, k.keys);
  blobs(KRL_SECTION.FINGERPRINT_SHA1, k.sha1);
  blobs(KRL_SECTION.FINGERPRINT_SHA256, k.sha256);
  return w.finish().slice();
}
