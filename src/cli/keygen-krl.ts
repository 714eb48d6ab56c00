/**
 * `puressh ssh-keygen -k [-u]` (write or update a key revocation list) and `-Q` (test keys
 * against one), as ssh-keygen's do_gen_krl / update_krl_from_file / do_check_krl.
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { base64Decode } from '../crypto/encoding.js';
import {
  Certificate,
  isKrl,
  isRevoked,
  parseKrl,
  parsePublicKey,
  writeKrl,
  type KrlCertificates,
  type KrlContents,
  type PublicKey,
} from '../crypto/keys/index.js';
import type { CliIo } from './io.js';
import { KeygenError, loadPublic, readText, type KeygenArgs } from './keygen-common.js';
import { strerror } from './strerror.js';

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

/** load_krl: the file's bytes as a KRL, or ssh-keygen's fatal words. */
function loadKrl(path: string): KrlContents {
  let data: Uint8Array;
  try {
    data = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new KeygenError(`Unable to load KRL ${path}: ${strerror(e)}`);
  }
  if (!isKrl(data)) throw new KeygenError(`Invalid KRL file ${path}: KRL file has invalid magic number`);
  try {
    return parseKrl(data);
  } catch {
    throw new KeygenError(`Invalid KRL file ${path}: invalid format`);
  }
}

/** A KRL being built: sections keyed so that the same revocation is stored once (krl.c keeps sets). */
class KrlBuilder {
  private readonly byCa = new Map<string, KrlCertificates>();
  private readonly blobs = { keys: new Map<string, Uint8Array>(), sha1: new Map<string, Uint8Array>(), sha256: new Map<string, Uint8Array>() };

  constructor(readonly krl: KrlContents) {
    for (const c of krl.certificates) {
      const into = this.certsUnder(c.caBlob);
      into.serials.push(...c.serials);
      into.keyIds.push(...c.keyIds);
    }
    for (const kind of ['keys', 'sha1', 'sha256'] as const) for (const b of krl[kind]) this.blobs[kind].set(b64(b), b);
  }

  certsUnder(caBlob: Uint8Array | null): KrlCertificates {
    const id = caBlob ? b64(caBlob) : '';
    let c = this.byCa.get(id);
    if (!c) this.byCa.set(id, (c = { caBlob, serials: [], keyIds: [] }));
    return c;
  }

  serials(caBlob: Uint8Array | null, lo: bigint, hi: bigint): void {
    const c = this.certsUnder(caBlob);
    if (!c.serials.some(([a, b]) => a === lo && b === hi)) c.serials.push([lo, hi]);
  }

  keyId(caBlob: Uint8Array | null, id: string): void {
    const c = this.certsUnder(caBlob);
    if (!c.keyIds.includes(id)) c.keyIds.push(id);
  }

  blob(kind: 'keys' | 'sha1' | 'sha256', b: Uint8Array): void {
    this.blobs[kind].set(b64(b), b);
  }

  /** ssh_krl_revoke_key: a plain key explicitly, a certificate by serial, or by key id when its serial is 0. */
  key(key: PublicKey): void {
    if (!(key instanceof Certificate)) this.blob('keys', key.blob);
    else if (key.serial === 0n) this.keyId(key.signatureKey.blob, key.keyId);
    else this.serials(key.signatureKey.blob, key.serial, key.serial);
  }

  finish(): KrlContents {
    return {
      ...this.krl,
      certificates: [...this.byCa.values()],
      keys: [...this.blobs.keys.values()],
      sha1: [...this.blobs.sha1.values()],
      sha256: [...this.blobs.sha256.values()],
    };
  }
}

/** strtoull(…, 0): decimal, 0x hex or 0 octal, the whole text. */
function parseSerial(text: string): bigint | null {
  const m = /^(?:0[xX]([0-9a-fA-F]+)|0([0-7]*)|([1-9]\d*))$/.exec(text);
  if (!m) return null;
  const v = m[1] !== undefined ? BigInt(`0x${m[1]}`) : m[2] !== undefined ? (m[2] ? BigInt(`0o${m[2]}`) : 0n) : BigInt(m[3]!);
  return v > 0xffffffffffffffffn ? null : v;
}

/** One revocation spec file into the KRL (update_krl_from_file). */
function revokeFrom(file: string, ca: PublicKey | null, wildCa: boolean, krl: KrlBuilder, args: KeygenArgs, io: CliIo): void {
  const text = file === '-' ? readFileSync(0, 'utf8') : readText(file);
  const path = file === '-' ? '(standard input)' : file;
  if (!args.flags.has('q')) io.stdout.write(`Revoking from ${path}\n`);
  const caBlob = ca ? ca.blob : null;
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    const where = `${path}:${i + 1}`;
    const hash = raw.indexOf('#');
    const line = (hash < 0 ? raw : raw.slice(0, hash)).replace(/^[ \t]+/, '').replace(/[ \t]+$/, '');
    if (!line) return;
    const prefix = /^(serial|id|hash|key|sha1|sha256):[ \t]*/i.exec(line);
    const kind = prefix ? prefix[1]!.toLowerCase() : 'plain';
    const value = prefix ? line.slice(prefix[0].length) : line;
    if (kind === 'serial') {
      if (!ca && !wildCa) throw new KeygenError('revoking certificates by serial number requires specification of a CA key');
      const dash = value.indexOf('-');
      const lo = parseSerial(dash < 0 ? value : value.slice(0, dash));
      if (lo === null) throw new KeygenError(`${where}: invalid serial "${value}"`);
      let hi = lo;
      if (dash >= 0) {
        const h = parseSerial(value.slice(dash + 1));
        if (h === null) throw new KeygenError(`${where}: invalid serial "${value.slice(dash + 1)}"`);
        if (h <= lo) throw new KeygenError(`${where}: invalid serial range ${lo}:${h}`);
        hi = h;
      }
      krl.serials(caBlob, lo, hi);
    } else if (kind === 'id') {
      if (!ca && !wildCa) throw new KeygenError('revoking certificates by key ID requires specification of a CA key');
      krl.keyId(caBlob, value);
    } else if (kind === 'hash') {
      if (!value.startsWith('SHA256:')) throw new KeygenError(`${file}:${i + 1}: unsupported hash algorithm`);
      let digest: Uint8Array;
      try {
        const body = value.slice(7);
        digest = base64Decode(body + '='.repeat((4 - (body.length % 4)) % 4));
      } catch {
        throw new KeygenError(`${file}:${i + 1}: decode hash failed: invalid format`);
      }
      krl.blob('sha256', digest);
    } else {
      let key: PublicKey;
      try {
        key = parsePublicKey(value).key;
      } catch {
        throw new KeygenError(`${where}: invalid key: invalid format`);
      }
      if (kind === 'key') krl.blob('keys', key.blob);
      else if (kind === 'sha1') krl.blob('sha1', sha1(key.blob));
      else if (kind === 'sha256') krl.blob('sha256', sha256(key.blob));
      else krl.key(key);
    }
  });
}

/**
 * -k [-u] -f KRL [-s ca.pub | -s none] [-z version] FILE…: write a KRL revoking what the files
 * list (ssh-keygen(1) KEY REVOCATION LISTS), or with -u add to the existing one.
 */
export function writeRevocationList(args: KeygenArgs, io: CliIo): number {
  const out = args.values.get('f');
  if (!out) throw new KeygenError('KRL generation requires an output file');
  const updating = args.flags.has('u');
  if (updating && !existsSync(out)) throw new KeygenError(`KRL "${out}" does not exist`);
  const caPath = args.values.get('s');
  const wildCa = caPath !== undefined && caPath.toLowerCase() === 'none';
  let ca: PublicKey | null = null;
  if (caPath !== undefined && !wildCa) {
    try {
      ca = loadPublic(caPath).key;
    } catch (e) {
      throw new KeygenError(
        `Cannot load CA public key ${caPath}: ${e instanceof KeygenError && !/No such file/.test(e.message) ? 'invalid format' : 'No such file or directory'}`,
      );
    }
  }
  const base: KrlContents = updating ? loadKrl(out) : { generatedDate: 0n, certificates: [], keys: [], sha1: [], sha256: [] };
  const krl = new KrlBuilder(base);
  if (args.values.has('z')) {
    const z = parseSerial(args.values.get('z')!);
    if (z === null) throw new KeygenError(`Invalid serial number "${args.values.get('z')}"`);
    if (z !== 0n) krl.krl.version = z;
  }
  for (const file of args.files) revokeFrom(file, ca, wildCa, krl, args, io);
  const contents = krl.finish();
  // ssh_krl_to_blob: a KRL read back keeps its date; a new one gets now
  if (contents.generatedDate === 0n) contents.generatedDate = BigInt(Math.floor(Date.now() / 1000));
  try {
    writeFileSync(out, writeKrl(contents));
  } catch (e) {
    throw new KeygenError(`write ${out}: ${strerror(e)}`);
  }
  return 0;
}

/** -Q -f KRL FILE…: "FILE (comment): ok" or "…: REVOKED" per key; 1 when any is revoked. */
export function checkRevocationList(args: KeygenArgs, io: CliIo): number {
  const path = args.values.get('f');
  if (!path) throw new KeygenError('KRL checking requires an input file');
  const krl = loadKrl(path);
  let status = 0;
  for (const file of args.files) {
    let loaded: { key: PublicKey; comment: string };
    try {
      loaded = loadPublic(file);
    } catch (e) {
      throw new KeygenError(
        `Cannot load public key ${file}: ${e instanceof KeygenError && /No such file/.test(e.message) ? 'No such file or directory' : 'invalid format'}`,
      );
    }
    const revoked = isRevoked(krl, loaded.key);
    io.stdout.write(`${file}${loaded.comment ? ` (${loaded.comment})` : ''}: ${revoked ? 'REVOKED' : 'ok'}\n`);
    if (revoked) status = 1;
  }
  return status;
}
