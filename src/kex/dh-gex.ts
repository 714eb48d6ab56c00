/**
 * Diffie-Hellman group exchange (RFC 4419): diffie-hellman-group-exchange-sha256 and the
 * insecure -sha1.
 *
 *   C → S  SSH_MSG_KEX_DH_GEX_REQUEST  uint32 min, uint32 n, uint32 max
 *   S → C  SSH_MSG_KEX_DH_GEX_GROUP    mpint p, mpint g
 *   C → S  SSH_MSG_KEX_DH_GEX_INIT     mpint e
 *   S → C  SSH_MSG_KEX_DH_GEX_REPLY    string K_S, mpint f, string signature
 *   H = hash(V_C ‖ V_S ‖ I_C ‖ I_S ‖ K_S ‖ uint32 min ‖ uint32 n ‖ uint32 max ‖
 *            mpint p ‖ mpint g ‖ mpint e ‖ mpint f ‖ mpint K)        (RFC 4419 §3)
 *
 * The client rejects a group whose size is outside [min, max] and a generator outside
 * (1, p-1). The server side (test servers) picks one of the fixed RFC 3526 groups; the
 * obsolete SSH_MSG_KEX_DH_GEX_REQUEST_OLD is neither sent nor accepted.
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { SshError } from '../errors.js';
import { MSG } from '../wire/constants.js';
import { Writer } from '../wire/writer.js';
import { bitLength } from '../crypto/bigint.js';
import { dhCheckPublic, dhClientPair, dhExponentBits, dhKeyPair, dhSharedSecret } from './dh-group.js';
import { MODP_GROUP_14, MODP_GROUP_16, MODP_GROUP_18, type DhGroup } from './dh-groups-data.js';
import { exchangeHash } from './exchange-hash.js';
import { providerHash } from './kex-hash.js';
import { expectMessage, kexFailure } from './kex-util.js';
import type { HostKeySigner, KexAlgorithm, KexClientOptions, KexConn, KexMagics, KexResult, RandomSource } from './types.js';

/** Client defaults in bits: 2048 minimum (RFC 8270), 3072 preferred (128-bit strength), 8192 maximum. */
export const GEX_DEFAULTS = Object.freeze({ min: 2048, preferred: 3072, max: 8192 });

/** The groups the server side offers, smallest first. */
const SERVER_GROUPS: readonly DhGroup[] = [MODP_GROUP_14, MODP_GROUP_16, MODP_GROUP_18];

/**
 * Server group choice: the smallest group of at least n bits within [min, max], else the
 * largest group within [min, max], else none.
 */
export function chooseGexGroup(min: number, n: number, max: number, groups = SERVER_GROUPS): DhGroup | undefined {
  const inRange = groups.filter((g) => g.bits >= min && g.bits <= max);
  return inRange.find((g) => g.bits >= n) ?? inRange[inRange.length - 1];
}

interface GexParams {
  min: number;
  n: number;
  max: number;
  p: bigint;
  g: bigint;
}

function methodFields(params: GexParams, e: bigint, f: bigint): Uint8Array {
  return new Writer(bitLength(params.p) / 4 + 64).u32(params.min).u32(params.n).u32(params.max).mpint(params.p).mpint(params.g).mpint(e).mpint(f).finish();
}

function makeGex(name: string, hash: (data: Uint8Array) => Uint8Array, hashBytes: number, insecure: boolean): KexAlgorithm {
  async function client(conn: KexConn, magics: KexMagics, random: RandomSource, options?: KexClientOptions): Promise<KexResult> {
    const min = options?.gexMin ?? GEX_DEFAULTS.min;
    const max = options?.gexMax ?? GEX_DEFAULTS.max;
    const n = options?.gexPreferred ?? Math.min(Math.max(GEX_DEFAULTS.preferred, min), max);
    for (const v of [min, n, max]) {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new SshError('INVAL', `${name}: bad group size ${v}`);
    }
    if (!(min <= n && n <= max)) {
      throw new SshError('INVAL', `${name}: group sizes must satisfy min <= preferred <= max (got ${min}, ${n}, ${max})`);
    }
    await conn.send(new Writer(16).u8(MSG.KEX_DH_GEX_REQUEST).u32(min).u32(n).u32(max).finish());

    const gr = await expectMessage(conn, name, MSG.KEX_DH_GEX_GROUP, 'SSH_MSG_KEX_DH_GEX_GROUP');
    const p = gr.mpint('p');
    const g = gr.mpint('g');
    gr.end();
    const bits = bitLength(p);
    if (bits < min || bits > max) {
      throw kexFailure(name, `server's group is ${bits} bits, outside the requested range [${min}, ${max}]`);
    }
    if ((p & 1n) === 0n) throw kexFailure(name, "server's group modulus is even");
    if (g <= 1n || g >= p - 1n) throw kexFailure(name, "server's group generator is out of range (must be 1 < g < p-1)");
    const group: DhGroup = { bits, p, g };

    const { e, shared } = dhClientPair(group, random, dhExponentBits(hashBytes, bits), options?.publicKey);
    await conn.send(new Writer(bits / 8 + 16).u8(MSG.KEX_DH_GEX_INIT).mpint(e).finish());

    const r = await expectMessage(conn, name, MSG.KEX_DH_GEX_REPLY, 'SSH_MSG_KEX_DH_GEX_REPLY');
    const hostKey = r.string('server host key').slice();
    const f = r.mpint('f');
    const signature = r.string('signature').slice();
    r.end();
    dhCheckPublic(name, f, p, 'f');
    const K = shared(f);
    const H = exchangeHash(providerHash(hash, options?.publicKey), magics, hostKey, methodFields({ min, n, max, p, g }, e, f), K);
    return { K, H, hostKey, signature };
  }

  async function server(conn: KexConn, magics: KexMagics, hostKey: HostKeySigner, random: RandomSource): Promise<KexResult> {
    const rq = await expectMessage(conn, name, MSG.KEX_DH_GEX_REQUEST, 'SSH_MSG_KEX_DH_GEX_REQUEST');
    const min = rq.u32('min');
    const n = rq.u32('n');
    const max = rq.u32('max');
    rq.end();
    // RFC 4419 §3 / OpenSSH kexgexs.c: the request must be ordered.
    if (!(min <= n && n <= max)) {
      throw kexFailure(name, `group-exchange request sizes are not ordered (min ${min}, n ${n}, max ${max})`);
    }
    const group = chooseGexGroup(min, n, max);
    if (!group) throw kexFailure(name, `no group available between ${min} and ${max} bits`);
    await conn.send(new Writer(group.bits / 8 + 16).u8(MSG.KEX_DH_GEX_GROUP).mpint(group.p).mpint(group.g).finish());

    const r = await expectMessage(conn, name, MSG.KEX_DH_GEX_INIT, 'SSH_MSG_KEX_DH_GEX_INIT');
    const e = r.mpint('e');
    r.end();
    dhCheckPublic(name, e, group.p, 'e');
    const { x: y, pub: f } = dhKeyPair(group, random, dhExponentBits(hashBytes, group.bits));
    const K = dhSharedSecret(e, y, group.p);
    const H = exchangeHash(hash, magics, hostKey.blob, methodFields({ min, n, max, ...group }, e, f), K);
    const signature = await hostKey.sign(H);
    await conn.send(new Writer(group.bits / 8 + 512).u8(MSG.KEX_DH_GEX_REPLY).string(hostKey.blob).mpint(f).string(signature).finish());
    return { K, H, hostKey: hostKey.blob, signature };
  }

  const alg: KexAlgorithm = insecure ? { name, hash, insecure: true, client, server } : { name, hash, client, server };
  return Object.freeze(alg);
}

/** diffie-hellman-group-exchange-sha256 (RFC 4419, RFC 8268 naming of hashes). */
export const dhGexSha256: KexAlgorithm = makeGex('diffie-hellman-group-exchange-sha256', sha256, 32, false);
/** diffie-hellman-group-exchange-sha1: insecure, only when asked for by name. */
export const dhGexSha1: KexAlgorithm = makeGex('diffie-hellman-group-exchange-sha1', sha1, 20, true);
