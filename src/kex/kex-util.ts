/**
 * Small helpers shared by the kex modules: reading an expected message, typed failures,
 * and the encoding of the shared secret K.
 */
import { ProtocolError } from '../errors.js';
import { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';
import type { KexConn, RandomSource } from './types.js';

/**
 * Receive the next kex packet and check its message number. Returns a Reader positioned
 * after the message-number byte; `what` names the message in errors.
 */
export async function expectMessage(conn: KexConn, kex: string, type: number, what: string): Promise<Reader> {
  const packet = await conn.receive();
  if (!(packet instanceof Uint8Array) || packet.length === 0) {
    throw new ProtocolError(`${kex}: expected ${what} (${type}), got an empty packet`);
  }
  if (packet[0] !== type) {
    throw new ProtocolError(`${kex}: expected ${what} (${type}), got message ${packet[0]}`);
  }
  return new Reader(packet, 1, `${kex} ${what}`);
}

/** A peer value that decodes but is cryptographically unacceptable (bad point, f out of range...). */
export function kexFailure(kex: string, message: string): ProtocolError {
  return new ProtocolError(`${kex}: ${message}`, 'KEY_EXCHANGE_FAILURE');
}

/** K as it enters the exchange hash: an mpint of the unsigned big-endian secret (RFC 4253 §8). */
export function encodeSharedSecret(unsignedBE: Uint8Array): Uint8Array {
  return new Writer(unsignedBE.length + 8).mpintFromUnsigned(unsignedBE).finish().slice();
}

/** `n` bytes from the injected random source, checked for length. */
export function randomBytes(random: RandomSource, n: number): Uint8Array {
  const out = random(n);
  if (!(out instanceof Uint8Array) || out.length !== n) {
    throw new RangeError(`random source returned ${(out as Uint8Array | undefined)?.length ?? 'no'} bytes, expected ${n}`);
  }
  return out;
}

/** Best-effort wipe of a secret buffer. */
export function wipe(b: Uint8Array): void {
  b.fill(0);
}
