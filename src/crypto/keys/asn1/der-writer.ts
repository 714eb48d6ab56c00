/**
 * A minimal DER writer (ITU-T X.690 §8, §10), the counterpart of der.ts for the key structures
 * we write: each function returns one whole element (tag, definite minimal length, contents).
 */
import { KeyError } from '../../../errors.js';
import { bigintToBytes, bitLength } from '../../bigint.js';
import { concatBytes } from '../../../wire/writer.js';
import { TAG } from './der.js';

/** X.690 §8.1.3: short form below 128, else the long form with the fewest length bytes. */
function lengthBytes(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return Uint8Array.from([0x80 | out.length, ...out]);
}

/** An element with `tag` around `body`. */
export const derElement = (tag: number, body: Uint8Array): Uint8Array => concatBytes(Uint8Array.of(tag), lengthBytes(body.length), body);

export const derSequence = (...items: Uint8Array[]): Uint8Array => derElement(TAG.SEQUENCE, concatBytes(...items));

/** A non-negative INTEGER (§8.3: big-endian two's complement, minimal, a 0x00 before a high bit). */
export function derUint(v: bigint | number): Uint8Array {
  const n = BigInt(v);
  if (n < 0n) throw new KeyError('DER: negative INTEGER');
  const len = Math.floor(bitLength(n) / 8) + 1;
  return derElement(TAG.INTEGER, bigintToBytes(n, len));
}

export const derOctetString = (b: Uint8Array): Uint8Array => derElement(TAG.OCTET_STRING, b);

/** BIT STRING of whole bytes (no unused bits). */
export const derBitString = (b: Uint8Array): Uint8Array => derElement(TAG.BIT_STRING, concatBytes(Uint8Array.of(0), b));

export const derNull = (): Uint8Array => Uint8Array.of(TAG.NULL, 0);

/** OBJECT IDENTIFIER from dotted text (§8.19: first two arcs as 40·a + b, base-128 arcs). */
export function derOid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((a) => BigInt(a));
  if (arcs.length < 2) throw new KeyError(`DER: bad OID ${dotted}`);
  const out: number[] = [];
  for (const arc of [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)]) {
    const groups: number[] = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) groups.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...groups);
  }
  return derElement(TAG.OID, Uint8Array.from(out));
}

/** Context-specific [n]: EXPLICIT (constructed, around whole elements) or IMPLICIT primitive. */
export const derContext = (n: number, constructed: boolean, body: Uint8Array): Uint8Array => derElement((constructed ? 0xa0 : 0x80) | n, body);
