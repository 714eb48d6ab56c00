/**
 * Finite-field Diffie-Hellman over fixed groups (RFC 4253 §8, RFC 8268), registered from
 * a data table, plus the DH arithmetic that dh-gex.ts reuses.
 *
 *   C → S  SSH_MSG_KEXDH_INIT   mpint e = g^x mod p
 *   S → C  SSH_MSG_KEXDH_REPLY  string K_S, mpint f = g^y mod p, string signature
 *   H = hash(V_C ‖ V_S ‖ I_C ‖ I_S ‖ K_S ‖ mpint e ‖ mpint f ‖ mpint K),  K = f^x mod p
 *
 * Values of e and f outside [2, p-2] are rejected (RFC 4253 §8). A client with the node:crypto
 * provider exponentiates in OpenSSL (constant-time); otherwise, and on the server side (tests),
 * the exponentiation is BigInt and not constant-time (see crypto/bigint.ts).
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { MSG } from '../wire/constants.js';
import { Writer, bytesToBigint } from '../wire/writer.js';
import { MODP_GROUP_14, MODP_GROUP_16, MODP_GROUP_18, OAKLEY_GROUP_2, type DhGroup } from './dh-groups-data.js';
import { exchangeHash } from './exchange-hash.js';
import { providerHash } from './kex-hash.js';
import { expectMessage, kexFailure, randomBytes, wipe } from './kex-util.js';
import { modPow } from '../crypto/bigint.js';
import type { PublicKeyOps } from '../crypto/provider.js';
import type { HostKeySigner, KexAlgorithm, KexClientOptions, KexConn, KexMagics, KexResult, RandomSource } from './types.js';

export type { DhGroup } from './dh-groups-data.js';

/**
 * Private exponent size: twice the hash size and at least 512 bits, below the size of p.
 * This follows OpenSSH's dh_gen_key (2 × the needed strength, minimum 2 × 256), taking the
 * hash length as the needed strength since the cipher is not known to the kex.
 */
export function dhExponentBits(hashBytes: number, pBits: number): number {
  return Math.min(Math.max(512, 2 * 8 * hashBytes), pBits - 1);
}

/** Ephemeral DH pair: x of exactly `bits` bits (top bit set, so 1 < x < p-1), and g^x mod p. */
export function dhKeyPair(group: DhGroup, random: RandomSource, bits: number): { x: bigint; pub: bigint } {
  const nbytes = Math.ceil(bits / 8);
  const raw = randomBytes(random, nbytes);
  const buf = raw.slice();
  wipe(raw);
  const excess = nbytes * 8 - bits;
  buf[0] = (buf[0]! & (0xff >> excess)) | (0x80 >> excess);
  const x = bytesToBigint(buf);
  wipe(buf);
  return { x, pub: modPow(group.g, x, group.p) };
}

/** RFC 4253 §8: a public value must lie in [1, p-1] exclusive; 1 and p-1 are degenerate too. */
export function dhCheckPublic(kex: string, value: bigint, p: bigint, label: string): void {
  if (value <= 1n || value >= p - 1n) {
    throw kexFailure(kex, `DH public value ${label} is out of range (must be 1 < ${label} < p-1)`);
  }
}

/**
 * The client's ephemeral pair: in the provider (node:crypto: OpenSSL, constant-time) when it
 * has one, else BigInt. `shared(f)` is the mpint K = f^x mod p.
 */
export function dhClientPair(group: DhGroup, random: RandomSource, bits: number, ops?: PublicKeyOps): { e: bigint; shared: (f: bigint) => Uint8Array } {
  const fast = ops?.dhGroup(group.p, group.g, bits);
  if (fast) return { e: fast.publicKey, shared: (f) => new Writer(group.p.toString(16).length / 2 + 8).mpint(fast.shared(f)).finish().slice() };
  const { x, pub } = dhKeyPair(group, random, bits);
  return { e: pub, shared: (f) => dhSharedSecret(f, x, group.p) };
}

/** mpint K = peer^x mod p. */
export function dhSharedSecret(peer: bigint, x: bigint, p: bigint): Uint8Array {
  return new Writer(p.toString(16).length / 2 + 8)
    .mpint(modPow(peer, x, p))
    .finish()
    .slice();
}

interface DhGroupSpec {
  name: string;
  group: DhGroup;
  hash: (data: Uint8Array) => Uint8Array;
  hashBytes: number;
  insecure?: boolean;
}

/** RFC 4253 §8.1-8.2, RFC 8268 §3. */
const DH_GROUP_TABLE: readonly DhGroupSpec[] = [
  { name: 'diffie-hellman-group14-sha256', group: MODP_GROUP_14, hash: sha256, hashBytes: 32 },
  { name: 'diffie-hellman-group16-sha512', group: MODP_GROUP_16, hash: sha512, hashBytes: 64 },
  { name: 'diffie-hellman-group18-sha512', group: MODP_GROUP_18, hash: sha512, hashBytes: 64 },
  { name: 'diffie-hellman-group14-sha1', group: MODP_GROUP_14, hash: sha1, hashBytes: 20, insecure: true },
  { name: 'diffie-hellman-group1-sha1', group: OAKLEY_GROUP_2, hash: sha1, hashBytes: 20, insecure: true },
];

function makeDhGroup({ name, group, hash, hashBytes, insecure }: DhGroupSpec): KexAlgorithm {
  const expBits = dhExponentBits(hashBytes, group.bits);

  function methodFields(e: bigint, f: bigint): Uint8Array {
    return new Writer(group.bits / 4 + 16).mpint(e).mpint(f).finish();
  }

  async function client(conn: KexConn, magics: KexMagics, random: RandomSource, options?: KexClientOptions): Promise<KexResult> {
    const { e, shared } = dhClientPair(group, random, expBits, options?.publicKey);
    await conn.send(new Writer(group.bits / 8 + 16).u8(MSG.KEXDH_INIT).mpint(e).finish());
    const r = await expectMessage(conn, name, MSG.KEXDH_REPLY, 'SSH_MSG_KEXDH_REPLY');
    const hostKey = r.string('server host key').slice();
    const f = r.mpint('f');
    const signature = r.string('signature').slice();
    r.end();
    dhCheckPublic(name, f, group.p, 'f');
    const K = shared(f);
    const H = exchangeHash(providerHash(hash, options?.publicKey), magics, hostKey, methodFields(e, f), K);
    return { K, H, hostKey, signature };
  }

  async function server(conn: KexConn, magics: KexMagics, hostKey: HostKeySigner, random: RandomSource): Promise<KexResult> {
    const r = await expectMessage(conn, name, MSG.KEXDH_INIT, 'SSH_MSG_KEXDH_INIT');
    const e = r.mpint('e');
    r.end();
    dhCheckPublic(name, e, group.p, 'e');
    const { x: y, pub: f } = dhKeyPair(group, random, expBits);
    const K = dhSharedSecret(e, y, group.p);
    const H = exchangeHash(hash, magics, hostKey.blob, methodFields(e, f), K);
    const signature = await hostKey.sign(H);
    await conn.send(new Writer(group.bits / 8 + 512).u8(MSG.KEXDH_REPLY).string(hostKey.blob).mpint(f).string(signature).finish());
    return { K, H, hostKey: hostKey.blob, signature };
  }

  const alg: KexAlgorithm = insecure ? { name, hash, insecure: true, client, server } : { name, hash, client, server };
  return Object.freeze(alg);
}

/** group14-sha256, group16-sha512, group18-sha512, then the insecure group14-sha1 and group1-sha1. */
export const DH_GROUP_KEX: readonly KexAlgorithm[] = DH_GROUP_TABLE.map(makeDhGroup);
