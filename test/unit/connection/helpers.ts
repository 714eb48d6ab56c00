/** Shared steps for the connection-layer tests against the fake server. */
import { expect } from 'chai';
import type { Channel } from '../../../src/connection/channel.js';
import { SshError } from '../../../src/errors.js';
import { MSG } from '../../../src/wire/constants.js';
import { msg, parseChannelRequest, parseDisconnect, parseOpen, type FakeServer } from '../../support/fake-server.js';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array | null): string => (b === null ? '<EOF>' : new TextDecoder().decode(b));

/** The server's id for every channel it confirms: ours + 1000, so mix-ups show. */
export const SERVER_ID_OFFSET = 1000;

export interface Opened<C extends Channel> {
  ch: C;
  /** the client's id for the channel (what the server sends to) */
  id: number;
  /** what the client asked for */
  window: number;
  maxPacket: number;
  type: string;
}

/** Answer the client's next CHANNEL_OPEN with a confirmation and return the channel. */
export async function confirmOpen<C extends Channel>(
  server: FakeServer,
  opening: Promise<C>,
  peer: { window?: number; maxPacket?: number } = {},
): Promise<Opened<C>> {
  const o = parseOpen(await server.expect(MSG.CHANNEL_OPEN));
  server.send(msg.openConfirmation(o.sender, o.sender + SERVER_ID_OFFSET, peer.window ?? 1 << 20, peer.maxPacket ?? 32768));
  const ch = await opening;
  return { ch, id: o.sender, window: o.window, maxPacket: o.maxPacket, type: o.type };
}

/** Confirm the client's next CHANNEL_OPEN without waiting for the channel object; returns the client's id. */
export async function acceptOpen(
  server: FakeServer,
  peer: { window?: number; maxPacket?: number } = {},
): Promise<{ id: number; type: string; window: number; maxPacket: number }> {
  const o = parseOpen(await server.expect(MSG.CHANNEL_OPEN));
  server.send(msg.openConfirmation(o.sender, o.sender + SERVER_ID_OFFSET, peer.window ?? 1 << 20, peer.maxPacket ?? 32768));
  return { id: o.sender, type: o.type, window: o.window, maxPacket: o.maxPacket };
}

/** Wait for the client's next CHANNEL_REQUEST, answer it if it wants a reply, return it. */
export async function answerRequest(server: FakeServer, ok = true): Promise<ReturnType<typeof parseChannelRequest>> {
  const req = parseChannelRequest(await server.expect(MSG.CHANNEL_REQUEST));
  if (req.wantReply) server.send(msg.simple(ok ? MSG.CHANNEL_SUCCESS : MSG.CHANNEL_FAILURE, req.recipient - SERVER_ID_OFFSET));
  return req;
}

/** The client must disconnect with PROTOCOL_ERROR and fail with an SshError of `code`. */
export async function expectProtocolDisconnect(server: FakeServer, closed: Promise<SshError | null>, code: string): Promise<SshError> {
  const d = parseDisconnect(await server.expect(MSG.DISCONNECT));
  expect(d.reason).to.equal(2); // SSH_DISCONNECT_PROTOCOL_ERROR
  const err = await closed;
  expect(err).to.be.instanceOf(SshError);
  expect(err!.code).to.equal(code);
  expect(d.description).to.equal(err!.message);
  // After the DISCONNECT the client closes the stream.
  expect(await server.receive()).to.equal(null);
  return err!;
}

/** Collect a channel's stdout until EOF. */
export async function readAll(read: () => Promise<Uint8Array | null>): Promise<string> {
  let s = '';
  for (;;) {
    const c = await read();
    if (c === null) return s;
    s += dec(c);
  }
}

/** A rejection, or a failure if the promise resolved. */
export async function rejection(p: Promise<unknown>): Promise<SshError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(SshError);
    return e as SshError;
  }
  throw new Error('expected a rejection');
}

/** Ask the client something it must answer (unknown global request) and wait for the answer: a sync point. */
export async function roundTrip(server: FakeServer): Promise<void> {
  server.send(msg.globalRequest('sync@test', true));
  await server.expect(MSG.REQUEST_FAILURE);
}
