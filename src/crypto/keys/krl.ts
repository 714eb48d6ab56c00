/**
 * OpenSSH key revocation lists (PROTOCOL.krl), writer and reader: revoked certificates by serial and
 * key id under a CA (or any CA), revoked plain keys by blob, SHA-1 or SHA-256 hash.
 *
 *   "SSHKRL\n\0" uint32 1 uint64 krl_version uint64 generated_date uint64 flags string reserved
 *   string comment, then sections: byte type, string data.
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { KeyError } from '../../errors.js';
import { Reader } from '../../wire/reader.js';
import { Writer } from '../../wire/writer.js';
import { Certificate } from './certificate.js';
import { asKeyError } from './common.js';
import { equalConstantTime } from '../../wire/bytes.js';
import type { PublicKey } from './types.js';

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

/** What a key revocation list (PROTOCOL.krl) revokes: keys, fingerprints and certificates by CA. */
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

/** Whether `data` starts as a KRL does (else OpenSSH reads the file as public key lines). */
export const isKrl = (data: Uint8Array): boolean => data.length >= MAGIC.length && equalConstantTime(data.subarray(0, MAGIC.length), MAGIC);

/** A KRL as read: what `isRevoked` checks against. */
export interface Krl extends KrlContents {
  version: bigint;
  /** ranges from serial bitmaps are included in `serials` */
}

/**
 * Read a binary KRL (PROTOCOL.krl). Throws KeyError when malformed or of an unknown format.
 * Signature sections are skipped (OpenSSH 9 does not verify them either).
 */
export function parseKrl(data: Uint8Array): Krl {
  return asKeyError('KRL', () => {
    const r = new Reader(data, 0, 'KRL');
    if (!equalConstantTime(r.raw(MAGIC.length, 'magic'), MAGIC)) throw new KeyError('not a KRL (bad magic)');
    const format = r.u32('format version');
    if (format !== FORMAT_VERSION) throw new KeyError(`unsupported KRL format version ${format}`, 'ALGO_UNSUPPORTED');
    const krl: Krl = { version: r.u64('krl version'), generatedDate: r.u64('generated date'), certificates: [], keys: [], sha1: [], sha256: [] };
    r.u64('flags');
    r.string('reserved');
    krl.comment = r.text('comment');
    let signed = false;
    while (r.remaining > 0) {
      const type = r.u8('section type');
      const body = r.string('section');
      const s = new Reader(body, 0, 'KRL section');
      // PROTOCOL.krl: signature sections come last and sign everything before them
      if (signed && type !== KRL_SECTION.SIGNATURE) throw new KeyError('KRL section after a signature');
      if (type === KRL_SECTION.CERTIFICATES) krl.certificates.push(readCertSection(s));
      else if (type === KRL_SECTION.EXPLICIT_KEY) while (s.remaining > 0) krl.keys.push(s.string('key').slice());
      else if (type === KRL_SECTION.FINGERPRINT_SHA1) while (s.remaining > 0) krl.sha1.push(s.string('sha1').slice());
      else if (type === KRL_SECTION.FINGERPRINT_SHA256) while (s.remaining > 0) krl.sha256.push(s.string('sha256').slice());
      else if (type === KRL_SECTION.SIGNATURE) signed = true;
      else throw new KeyError(`unsupported KRL section type ${type}`);
    }
    return krl;
  });
}

function readCertSection(s: Reader): KrlCertificates {
  const ca = s.string('CA key');
  s.string('reserved');
  const out: KrlCertificates = { caBlob: ca.length ? ca.slice() : null, serials: [], keyIds: [] };
  while (s.remaining > 0) {
    const type = s.u8('certificate section type');
    const sub = new Reader(s.string('certificate section'), 0, 'KRL certificate section');
    if (type === KRL_CERT_SECTION.SERIAL_LIST) {
      while (sub.remaining > 0) {
        const n = sub.u64('serial');
        out.serials.push([n, n]);
      }
    } else if (type === KRL_CERT_SECTION.SERIAL_RANGE) {
      const lo = sub.u64('serial min');
      const hi = sub.u64('serial max');
      if (hi < lo) throw new KeyError('KRL serial range is inverted');
      out.serials.push([lo, hi]);
      sub.end();
    } else if (type === KRL_CERT_SECTION.SERIAL_BITMAP) {
      const offset = sub.u64('serial offset');
      const bitmap = sub.string('bitmap');
      sub.end();
      out.serials.push(...bitmapRanges(offset, bitmap));
    } else if (type === KRL_CERT_SECTION.KEY_ID) {
      while (sub.remaining > 0) out.keyIds.push(sub.text('key id'));
    } else {
      throw new KeyError(`unsupported KRL certificate section type ${type}`);
    }
  }
  return out;
}

/**
 * The serials set in a KRL serial bitmap (an mpint: bit i is serial offset + i), as ranges, one
 * per run of set bits: linear in the bitmap's size, whatever a malformed file holds.
 */
function bitmapRanges(offset: bigint, bitmap: Uint8Array): [bigint, bigint][] {
  if (bitmap.length > 0 && bitmap[0]! & 0x80) throw new KeyError('KRL serial bitmap is negative');
  const ranges: [bigint, bigint][] = [];
  const bits = bitmap.length * 8;
  let runStart = -1;
  for (let i = 0; i <= bits; i++) {
    const set = i < bits && (bitmap[bitmap.length - 1 - (i >> 3)]! >> (i & 7)) & 1;
    if (set && runStart < 0) runStart = i;
    else if (!set && runStart >= 0) {
      ranges.push([offset + BigInt(runStart), offset + BigInt(i - 1)]);
      runStart = -1;
    }
  }
  return ranges;
}

/** Whether `key` (a plain key or a certificate) is revoked by `krl` (krl.c ssh_krl_check_key). */
export function isRevoked(krl: KrlContents, key: PublicKey): boolean {
  if (key instanceof Certificate) {
    for (const c of krl.certificates) {
      // a section for this certificate's CA, or for any CA (an empty CA key)
      if (c.caBlob !== null && !equalConstantTime(c.caBlob, key.signatureKey.blob)) continue;
      if (c.keyIds.includes(key.keyId)) return true;
      // serial 0 is what a CA gives when it sets none: never revoked by serial
      if (key.serial !== 0n && c.serials.some(([lo, hi]) => key.serial >= lo && key.serial <= hi)) return true;
    }
    // the certified key itself, then its CA: a revoked CA revokes what it signed
    return isRevoked(krl, key.key) || isRevoked(krl, key.signatureKey);
  }
  const blob = key.blob;
  if (krl.keys.some((k) => equalConstantTime(k, blob))) return true;
  const h1 = krl.sha1.length > 0 ? sha1(blob) : null;
  if (h1 && krl.sha1.some((h) => equalConstantTime(h, h1))) return true;
  const h256 = krl.sha256.length > 0 ? sha256(blob) : null;
  return h256 !== null && krl.sha256.some((h) => equalConstantTime(h, h256));
}
