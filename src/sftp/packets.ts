/**
 * SFTP packets (filexfer-02 §3–§7): `uint32 length, byte type, [uint32 id], body`.
 * Requests are built with the wire Writer; responses are decoded into typed records, every
 * field bounds-checked and trailing bytes rejected. DATA payloads are views, not copies.
 */
import { ProtocolError } from '../errors.js';
import { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';
import { readAttrs, writeAttrs, type SftpAttrs } from './attrs.js';
import { FXP, FXP_NAME_BY_VALUE } from './constants.js';
import { decodeName } from './names.js';

/** Build one length-prefixed packet: type, then `body` writes the rest (id included). */
export function buildPacket(type: number, sizeHint: number, body: (w: Writer) => void): Uint8Array {
  const w = new Writer(sizeHint + 16, 4);
  w.u8(type);
  body(w);
  const out = w.finish(true);
  // The reserved prefix is the length of what follows (filexfer-02 §3).
  new DataView(out.buffer, out.byteOffset, 4).setUint32(0, out.length - 4);
  return out;
}

export function initPacket(version: number, extensions: ReadonlyArray<[string, Uint8Array | string]> = []): Uint8Array {
  return buildPacket(FXP.INIT, 64, (w) => {
    w.u32(version);
    for (const [name, data] of extensions) w.string(name).string(data);
  });
}

/** One READDIR / REALPATH entry (filexfer-02 §7): names, `ls -l` line, attributes. */
export interface SftpName {
  /** the name as a string (undecodable bytes escaped, see names.ts) */
  filename: string;
  /** the name exactly as the server sent it */
  filenameBytes: Uint8Array;
  /** `ls -l`-style line (v3 only; format is the server's) */
  longname: string;
  attrs: SftpAttrs;
}

export type SftpResponse =
  | { type: typeof FXP.STATUS; id: number; code: number; message: string; language: string }
  | { type: typeof FXP.HANDLE; id: number; handle: Uint8Array }
  /** DATA: the bytes in order, as one view or (a reply that spanned channel chunks) several */
  | { type: typeof FXP.DATA; id: number; chunks: Uint8Array[] }
  | { type: typeof FXP.NAME; id: number; names: SftpName[] }
  | { type: typeof FXP.ATTRS; id: number; attrs: SftpAttrs }
  | { type: typeof FXP.EXTENDED_REPLY; id: number; data: Uint8Array };

export interface SftpVersion {
  version: number;
  extensions: Map<string, Uint8Array>;
}

/** Decode SSH_FXP_VERSION (filexfer-02 §4): version, then extension-name/data pairs to the end. */
export function decodeVersion(p: Uint8Array): SftpVersion {
  const r = new Reader(p, 0, 'SSH_FXP_VERSION');
  const type = r.u8('type');
  if (type !== FXP.VERSION) throw new ProtocolError(`expected SSH_FXP_VERSION, got packet type ${type}`, 'SFTP_PROTOCOL');
  const version = r.u32('version');
  const extensions = new Map<string, Uint8Array>();
  while (r.remaining > 0) {
    const name = r.ascii('extension name');
    extensions.set(name, r.string('extension data').slice());
  }
  return { version, extensions };
}

/** Decode a response to a request (everything but VERSION). */
export function decodeResponse(p: Uint8Array): SftpResponse {
  const type = p.length > 0 ? p[0]! : -1;
  const r = new Reader(p, 1, `SSH_FXP_${FXP_NAME_BY_VALUE[type] ?? type}`);
  if (type < 0) throw new ProtocolError('empty SFTP packet', 'SFTP_PROTOCOL');
  const id = r.u32('request id');
  switch (type) {
    case FXP.STATUS: {
      const code = r.u32('status code');
      // Some v3 servers omit message and language (they were added late in the draft's life).
      const message = r.remaining > 0 ? decodeName(r.string('error message')) : '';
      const language = r.remaining > 0 ? r.ascii('language tag') : '';
      r.end();
      return { type, id, code, message, language };
    }
    case FXP.HANDLE: {
      const handle = r.string('handle').slice();
      r.end();
      if (handle.length > 256) throw new ProtocolError(`SSH_FXP_HANDLE: handle of ${handle.length} bytes exceeds 256 (filexfer-02 §6.2)`, 'SFTP_PROTOCOL');
      return { type, id, handle };
    }
    case FXP.DATA: {
      const data = r.string('data');
      r.end();
      return { type, id, chunks: [data] };
    }
    case FXP.NAME: {
      const count = r.u32('count');
      // Each entry takes at least 12 bytes: refuse counts the packet cannot hold.
      if (count > r.remaining / 12) throw new ProtocolError(`SSH_FXP_NAME: ${count} names cannot fit in ${r.remaining} bytes`, 'SFTP_PROTOCOL');
      const names: SftpName[] = [];
      for (let i = 0; i < count; i++) {
        const filenameBytes = r.string('filename').slice();
        const longname = decodeName(r.string('longname'));
        const attrs = readAttrs(r);
        names.push({ filename: decodeName(filenameBytes), filenameBytes, longname, attrs });
      }
      r.end();
      return { type, id, names };
    }
    case FXP.ATTRS: {
      const attrs = readAttrs(r);
      r.end();
      return { type, id, attrs };
    }
    case FXP.EXTENDED_REPLY:
      return { type, id, data: r.rest() };
    default:
      throw new ProtocolError(`unexpected SFTP packet type ${type}`, 'SFTP_PROTOCOL');
  }
}

/** Bytes of DATA's fixed part: type, request id, data length (filexfer-02 §7). */
const DATA_HEAD = 9;

/**
 * Decode an SSH_FXP_DATA reply that arrived in pieces (`total` bytes in all) without
 * joining them: only the 9-byte head is read; the data is returned as views of the pieces.
 */
export function decodeDataParts(parts: readonly Uint8Array[], total: number): Extract<SftpResponse, { type: typeof FXP.DATA }> {
  const head = new Uint8Array(DATA_HEAD);
  let filled = 0;
  let i = 0;
  let skip = 0;
  for (; i < parts.length && filled < DATA_HEAD; i++) {
    const take = Math.min(DATA_HEAD - filled, parts[i]!.length);
    head.set(parts[i]!.subarray(0, take), filled);
    filled += take;
    skip = take;
  }
  const r = new Reader(head.subarray(0, filled), 0, 'SSH_FXP_DATA');
  const type = r.u8('type');
  if (type !== FXP.DATA) throw new ProtocolError(`expected SSH_FXP_DATA, got packet type ${type}`, 'SFTP_PROTOCOL');
  const id = r.u32('request id');
  const len = r.u32('data length');
  if (len !== total - DATA_HEAD) {
    throw new ProtocolError(`SSH_FXP_DATA: data length ${len} does not match the ${total - DATA_HEAD} bytes that follow`, 'SFTP_PROTOCOL');
  }
  const chunks: Uint8Array[] = [];
  // The piece that held the head's last byte may go on with data.
  const last = parts[i - 1]!;
  if (skip < last.length) chunks.push(last.subarray(skip));
  for (; i < parts.length; i++) if (parts[i]!.length > 0) chunks.push(parts[i]!);
  return { type, id, chunks };
}

/** statvfs@openssh.com reply (PROTOCOL §4.4): eleven uint64s. */
export interface SftpStatVfs {
  bsize: bigint;
  frsize: bigint;
  blocks: bigint;
  bfree: bigint;
  bavail: bigint;
  files: bigint;
  ffree: bigint;
  favail: bigint;
  fsid: bigint;
  flag: bigint;
  namemax: bigint;
}

export function decodeStatVfs(data: Uint8Array): SftpStatVfs {
  const r = new Reader(data, 0, 'statvfs reply');
  const v: SftpStatVfs = {
    bsize: r.u64('f_bsize'),
    frsize: r.u64('f_frsize'),
    blocks: r.u64('f_blocks'),
    bfree: r.u64('f_bfree'),
    bavail: r.u64('f_bavail'),
    files: r.u64('f_files'),
    ffree: r.u64('f_ffree'),
    favail: r.u64('f_favail'),
    fsid: r.u64('f_fsid'),
    flag: r.u64('f_flag'),
    namemax: r.u64('f_namemax'),
  };
  r.end();
  return v;
}

/** limits@openssh.com reply (PROTOCOL §4.8); 0 means "no limit". */
export interface SftpLimits {
  maxPacketLength: number;
  maxReadLength: number;
  maxWriteLength: number;
  maxOpenHandles: number;
}

const clamp = (v: bigint): number => (v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v));

export function decodeLimits(data: Uint8Array): SftpLimits {
  const r = new Reader(data, 0, 'limits reply');
  const v = {
    maxPacketLength: clamp(r.u64('max-packet-length')),
    maxReadLength: clamp(r.u64('max-read-length')),
    maxWriteLength: clamp(r.u64('max-write-length')),
    maxOpenHandles: clamp(r.u64('max-open-handles')),
  };
  r.end();
  return v;
}

/** users-groups-by-id@openssh.com reply (PROTOCOL §4.11): two strings of concatenated strings. */
export function decodeUsersGroups(data: Uint8Array): { users: string[]; groups: string[] } {
  const r = new Reader(data, 0, 'users-groups-by-id reply');
  const list = (b: Uint8Array, what: string): string[] => {
    const rr = new Reader(b, 0, what);
    const out: string[] = [];
    while (rr.remaining > 0) out.push(decodeName(rr.string('name')));
    return out;
  };
  const users = list(r.string('usernames'), 'usernames');
  const groups = list(r.string('groupnames'), 'groupnames');
  r.end();
  return { users, groups };
}

// ---- the server's side: responses encoded here, beside their decoders ----

/** SSH_FXP_VERSION (filexfer-02 §4) with extension-name/data pairs. */
export function versionPacket(version: number, extensions: ReadonlyArray<readonly [string, string]>): Uint8Array {
  return buildPacket(FXP.VERSION, 512, (w) => {
    w.u32(version);
    for (const [name, data] of extensions) w.string(name).string(data);
  });
}

/** SSH_FXP_STATUS (filexfer-02 §7): code, message, empty language tag. */
export function statusPacket(id: number, code: number, message: string): Uint8Array {
  return buildPacket(FXP.STATUS, 32 + message.length * 3, (w) => w.u32(id).u32(code).string(message).string(''));
}

/** SSH_FXP_HANDLE (filexfer-02 §7). */
export function handlePacket(id: number, handle: Uint8Array): Uint8Array {
  return buildPacket(FXP.HANDLE, 8 + handle.length, (w) => w.u32(id).string(handle));
}

/** SSH_FXP_ATTRS (filexfer-02 §7). */
export function attrsPacket(id: number, attrs: SftpAttrs): Uint8Array {
  return buildPacket(FXP.ATTRS, 64, (w) => writeAttrs(w.u32(id), attrs));
}

/** One entry of an SSH_FXP_NAME reply: name bytes, `ls -l` line, attributes. */
export interface SftpNameOut {
  filename: Uint8Array;
  longname: Uint8Array | string;
  attrs: SftpAttrs;
}

/** SSH_FXP_NAME (filexfer-02 §7). */
export function namePacket(id: number, names: readonly SftpNameOut[]): Uint8Array {
  return buildPacket(FXP.NAME, 64 + names.length * 160, (w) => {
    w.u32(id).u32(names.length);
    for (const n of names) writeAttrs(w.string(n.filename).string(n.longname), n.attrs);
  });
}

/** SSH_FXP_EXTENDED_REPLY (filexfer-02 §8): `body` writes the extension's data. */
export function extendedReplyPacket(id: number, sizeHint: number, body: (w: Writer) => void): Uint8Array {
  return buildPacket(FXP.EXTENDED_REPLY, sizeHint, (w) => body(w.u32(id)));
}

/**
 * An SSH_FXP_DATA packet for up to `max` bytes, with the data to be read straight into
 * `payload` (a view of the packet). finishDataPacket() then fixes the lengths.
 */
export function dataPacket(id: number, max: number): { packet: Uint8Array; payload: Uint8Array } {
  const packet = new Uint8Array(DATA_HEAD + 4 + max);
  const v = new DataView(packet.buffer);
  packet[4] = FXP.DATA;
  v.setUint32(5, id);
  return { packet, payload: packet.subarray(DATA_HEAD + 4) };
}

/** The DATA packet of dataPacket() holding `n` bytes (a view: the lengths are rewritten). */
export function finishDataPacket(packet: Uint8Array, n: number): Uint8Array {
  const v = new DataView(packet.buffer, packet.byteOffset);
  v.setUint32(0, DATA_HEAD + n);
  v.setUint32(9, n);
  return packet.subarray(0, DATA_HEAD + 4 + n);
}
