/**
 * The message flow every ECDH-shaped key exchange shares (RFC 5656 §4, reused by RFC 8731
 * and the post-quantum hybrids): one value each way, K from the two, and
 *
 *   C → S  SSH_MSG_KEX_ECDH_INIT (30)   string Q_C
 *   S → C  SSH_MSG_KEX_ECDH_REPLY (31)  string K_S, string Q_S, string signature
 *   H = hash(V_C ‖ V_S ‖ I_C ‖ I_S ‖ K_S ‖ string Q_C ‖ string Q_S ‖ K)
 *
 * A method supplies only its key agreement; this module owns the messages and the hash.
 */
import { MSG } from '../wire/constants.js';
import { Writer } from '../wire/writer.js';
import { exchangeHash } from './exchange-hash.js';
import { providerHash } from './kex-hash.js';
import { expectMessage } from './kex-util.js';
import type { PublicKeyOps } from '../crypto/provider.js';
import type { HostKeySigner, KexAlgorithm, KexClientOptions, KexConn, KexMagics, KexResult, RandomSource } from './types.js';

/** One method's key agreement; K comes back already encoded (mpint, or string for the hybrids). */
export interface KeyAgreement {
  /** Client side: our value Q_C, and how to finish with the server's Q_S (with `ops`' arithmetic when given). */
  start(random: RandomSource, ops?: PublicKeyOps): { value: Uint8Array; finish(serverValue: Uint8Array): Uint8Array; wipe(): void };
  /** Server side: answer Q_C with Q_S and K. */
  respond(clientValue: Uint8Array, random: RandomSource): { value: Uint8Array; K: Uint8Array; wipe(): void };
}

export interface EcdhFlowSpec {
  name: string;
  hash: (data: Uint8Array) => Uint8Array;
  agreement: KeyAgreement;
  /** names used in error messages */
  labels?: { init: string; reply: string; clientValue: string; serverValue: string };
}

const ECDH_LABELS = {
  init: 'SSH_MSG_KEX_ECDH_INIT',
  reply: 'SSH_MSG_KEX_ECDH_REPLY',
  clientValue: 'client ephemeral key Q_C',
  serverValue: 'server ephemeral key Q_S',
};

function methodFields(qC: Uint8Array, qS: Uint8Array): Uint8Array {
  return new Writer(qC.length + qS.length + 16).string(qC).string(qS).finish();
}

export function makeEcdhFlowKex({ name, hash, agreement, labels = ECDH_LABELS }: EcdhFlowSpec): KexAlgorithm {
  async function client(conn: KexConn, magics: KexMagics, random: RandomSource, options?: KexClientOptions): Promise<KexResult> {
    const side = agreement.start(random, options?.publicKey);
    try {
      const qC = side.value;
      await conn.send(new Writer(qC.length + 16).u8(MSG.KEX_ECDH_INIT).string(qC).finish());
      const r = await expectMessage(conn, name, MSG.KEX_ECDH_REPLY, labels.reply);
      const hostKey = r.string('server host key').slice();
      const qS = r.string(labels.serverValue).slice();
      const signature = r.string('signature').slice();
      r.end();
      const K = side.finish(qS);
      const H = exchangeHash(providerHash(hash, options?.publicKey), magics, hostKey, methodFields(qC, qS), K);
      return { K, H, hostKey, signature };
    } finally {
      side.wipe();
    }
  }

  async function server(conn: KexConn, magics: KexMagics, hostKey: HostKeySigner, random: RandomSource): Promise<KexResult> {
    const r = await expectMessage(conn, name, MSG.KEX_ECDH_INIT, labels.init);
    const qC = r.string(labels.clientValue).slice();
    r.end();
    const side = agreement.respond(qC, random);
    try {
      const { value: qS, K } = side;
      const H = exchangeHash(hash, magics, hostKey.blob, methodFields(qC, qS), K);
      const signature = await hostKey.sign(H);
      await conn.send(
        new Writer(qS.length + hostKey.blob.length + signature.length + 32).u8(MSG.KEX_ECDH_REPLY).string(hostKey.blob).string(qS).string(signature).finish(),
      );
      return { K, H, hostKey: hostKey.blob, signature };
    } finally {
      side.wipe();
    }
  }

  return Object.freeze({ name, hash, client, server });
}
