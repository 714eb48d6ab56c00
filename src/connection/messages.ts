/** Connection protocol messages (RFC 4254), encoded and decoded in one place. */
import { MSG } from '../wire/constants.js';
import { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';

export function channelOpen(type: string, sender: number, window: number, maxPacket: number, extra?: Uint8Array): Uint8Array {
  const w = new Writer(64 + (extra?.length ?? 0)).u8(MSG.CHANNEL_OPEN).string(type).u32(sender).u32(window).u32(maxPacket);
  if (extra) w.raw(extra);
  return w.finish().slice();
}

export interface OpenConfirmation {
  recipient: number;
  sender: number;
  window: number;
  maxPacket: number;
  extra: Uint8Array;
}

export function decodeOpenConfirmation(p: Uint8Array): OpenConfirmation {
  const r = new Reader(p, 1, 'CHANNEL_OPEN_CONFIRMATION');
  return {
    recipient: r.u32('recipient channel'),
    sender: r.u32('sender channel'),
    window: r.u32('initial window size'),
    maxPacket: r.u32('maximum packet size'),
    extra: r.rest(),
  };
}

export interface OpenFailure {
  recipient: number;
  reason: number;
  description: string;
}

export function decodeOpenFailure(p: Uint8Array): OpenFailure {
  const r = new Reader(p, 1, 'CHANNEL_OPEN_FAILURE');
  const recipient = r.u32('recipient channel');
  const reason = r.u32('reason code');
  const description = r.ascii('description');
  return { recipient, reason, description };
}

/** A CHANNEL_OPEN from the server (RFC 4254 §5.1), as a {@link ChannelOpenHandler} sees it. */
export interface IncomingOpen {
  type: string;
  sender: number;
  window: number;
  maxPacket: number;
  extra: Uint8Array;
}

export function decodeChannelOpen(p: Uint8Array): IncomingOpen {
  const r = new Reader(p, 1, 'CHANNEL_OPEN');
  return {
    type: r.ascii('channel type'),
    sender: r.u32('sender channel'),
    window: r.u32('initial window size'),
    maxPacket: r.u32('maximum packet size'),
    extra: r.rest(),
  };
}

export function openFailure(recipient: number, reason: number, description: string): Uint8Array {
  return new Writer(64).u8(MSG.CHANNEL_OPEN_FAILURE).u32(recipient).u32(reason).string(description).string('').finish().slice();
}

export function windowAdjust(recipient: number, bytes: number): Uint8Array {
  return new Writer(16).u8(MSG.CHANNEL_WINDOW_ADJUST).u32(recipient).u32(bytes).finish().slice();
}

/** CHANNEL_DATA / CHANNEL_EXTENDED_DATA with the data copied in once. */
export function channelData(recipient: number, data: Uint8Array, extendedType?: number): Uint8Array {
  const ext = extendedType !== undefined;
  const out = new Uint8Array((ext ? 13 : 9) + data.length);
  const v = new DataView(out.buffer);
  out[0] = ext ? MSG.CHANNEL_EXTENDED_DATA : MSG.CHANNEL_DATA;
  v.setUint32(1, recipient);
  let o = 5;
  if (ext) {
    v.setUint32(o, extendedType);
    o += 4;
  }
  v.setUint32(o, data.length);
  out.set(data, o + 4);
  return out;
}

export function channelSimple(type: number, recipient: number): Uint8Array {
  return new Writer(8).u8(type).u32(recipient).finish().slice();
}

export function channelRequest(recipient: number, type: string, wantReply: boolean, body?: Uint8Array): Uint8Array {
  const w = new Writer(64 + (body?.length ?? 0)).u8(MSG.CHANNEL_REQUEST).u32(recipient).string(type).bool(wantReply);
  if (body) w.raw(body);
  return w.finish().slice();
}

export interface IncomingChannelRequest {
  recipient: number;
  type: string;
  wantReply: boolean;
  body: Reader;
}

export function decodeChannelRequest(p: Uint8Array): IncomingChannelRequest {
  const r = new Reader(p, 1, 'CHANNEL_REQUEST');
  return { recipient: r.u32('recipient channel'), type: r.ascii('request type'), wantReply: r.bool('want reply'), body: r };
}

export function globalRequest(name: string, wantReply: boolean, body?: Uint8Array): Uint8Array {
  const w = new Writer(64 + (body?.length ?? 0)).u8(MSG.GLOBAL_REQUEST).string(name).bool(wantReply);
  if (body) w.raw(body);
  return w.finish().slice();
}

export function decodeGlobalRequest(p: Uint8Array): { name: string; wantReply: boolean; body: Reader } {
  const r = new Reader(p, 1, 'GLOBAL_REQUEST');
  return { name: r.ascii('request name'), wantReply: r.bool('want reply'), body: r };
}
