/**
 * One key exchange as our role runs it (RFC 4253 §7), apart from the transport's state: our
 * KEXINIT, the negotiation from both KEXINITs, the kex method with the host key proved
 * (server) or verified (client), and the keys each direction is then protected with. The
 * transport decides when an exchange runs and installs what these return.
 */
import { HostKeyError, ProtocolError } from '../errors.js';
import { KEX_ALGORITHMS } from '../kex/index.js';
import { deriveAll } from '../kex/derive-keys.js';
import { providerHash } from '../kex/kex-hash.js';
import type { HostKeySigner, KexAlgorithm, KexConn, KexMagics, KexResult } from '../kex/types.js';
import { equalConstantTime } from '../wire/bytes.js';
import { CIPHERS, keySizes } from './cipher/index.js';
import { encodeKexInit, EXT_INFO_C, KEX_STRICT_C, KEX_STRICT_S, negotiate } from './negotiate.js';
import type { KexInit, KexInitLists, NegotiatedAlgorithms } from './negotiate.js';
import type { DirectionKeys } from './protection.js';
import type { ClientRole, ServerRole, TransportConfig } from './transport-config.js';

/** One direction's keys and compression, as the transport installs them after NEWKEYS. */
export interface DirectionSetup extends DirectionKeys {
  compression: string;
}

/** Our KEXINIT lists: a server offers only host-key algorithms it holds a key for. */
export function ourKexInitLists(config: TransportConfig): KexInitLists {
  const a = config.algorithms;
  if (config.role.kind !== 'server') return a;
  const keys = config.role.hostKeys;
  return { ...a, hostKey: a.hostKey.filter((alg) => keys.some((k) => k.algorithms.includes(alg))) };
}

/** Our KEXINIT payload, with a fresh cookie. */
export function buildKexInit(config: TransportConfig, first: boolean): Uint8Array {
  const a = ourKexInitLists(config);
  // The extension and strict-KEX markers are only meaningful in the first KEXINIT.
  const markers = config.role.kind === 'server' ? [KEX_STRICT_S] : [EXT_INFO_C, KEX_STRICT_C];
  const kex = first ? [...a.kex, ...markers] : a.kex;
  return encodeKexInit({ ...a, kex, cookie: config.random(16), firstKexPacketFollows: false });
}

/** The algorithms of this exchange. RFC 4253 §7.1: the client's preference decides. */
export function negotiateWithPeer(config: TransportConfig, theirs: KexInit): NegotiatedAlgorithms {
  const lists = ourKexInitLists(config);
  return config.role.kind === 'server' ? negotiate(theirs, lists, isAead) : negotiate(lists, theirs, isAead);
}

/** What the connection knows of the server's host key before this exchange. */
export interface KnownHostKey {
  /** no exchange has completed yet (no session id) */
  firstKex: boolean;
  /** the server's host key blob from the first exchange, null before it */
  blob: Uint8Array | null;
}

/** Run the negotiated kex method for our role over `conn`; returns the method and its result. */
export async function runKexMethod(
  config: TransportConfig,
  neg: NegotiatedAlgorithms,
  conn: KexConn,
  magics: KexMagics,
  known: KnownHostKey,
): Promise<{ alg: KexAlgorithm; result: KexResult }> {
  const alg: KexAlgorithm | undefined = KEX_ALGORITHMS.get(neg.kex);
  if (!alg) throw new ProtocolError(`kex algorithm ${neg.kex} negotiated but not implemented`, 'KEX_FAILURE');
  const role = config.role;
  const result = role.kind === 'server' ? await serverKex(role, config, alg, conn, magics, neg) : await clientKex(role, config, alg, conn, magics, neg, known);
  return { alg, result };
}

/** The client's side of the method: run it, verify the server's signature over H, decide on the key. */
async function clientKex(
  role: ClientRole,
  config: TransportConfig,
  alg: KexAlgorithm,
  conn: KexConn,
  magics: KexMagics,
  neg: NegotiatedAlgorithms,
  known: KnownHostKey,
): Promise<KexResult> {
  const kexOptions = config.provider?.publicKey ? { ...role.kexOptions, publicKey: config.provider.publicKey } : role.kexOptions;
  const result = await alg.client(conn, magics, config.random, kexOptions);
  if (!role.verifyHostKeySignature(result.hostKey, neg.hostKey, result.H, result.signature)) {
    throw new HostKeyError('signature', `server host key signature (${neg.hostKey}) did not verify`);
  }
  if (!known.firstKex && known.blob && !equalConstantTime(known.blob, result.hostKey)) {
    throw new HostKeyError('mismatch', 'server host key changed during rekey');
  }
  await role.checkHostKey(result.hostKey, neg.hostKey, known.firstKex);
  return result;
}

/** The server's side: sign H with the host key for the negotiated algorithm. */
function serverKex(
  role: ServerRole,
  config: TransportConfig,
  alg: KexAlgorithm,
  conn: KexConn,
  magics: KexMagics,
  neg: NegotiatedAlgorithms,
): Promise<KexResult> {
  const key = role.hostKeys.find((k) => k.algorithms.includes(neg.hostKey));
  if (!key) throw new ProtocolError(`no host key for ${neg.hostKey}`, 'KEX_FAILURE');
  const signer: HostKeySigner = { blob: key.blob, sign: (data) => key.sign(neg.hostKey, data) };
  return alg.server(conn, magics, signer, config.random);
}

/**
 * Derive the keys of both directions (RFC 4253 §7.2) and say which protects what we send:
 * each side encrypts with its own direction's keys ("client to server" is C, E, ...).
 */
export function deriveDirections(
  config: TransportConfig,
  alg: KexAlgorithm,
  neg: NegotiatedAlgorithms,
  result: KexResult,
  sessionId: Uint8Array,
): { out: DirectionSetup; inc: DirectionSetup } {
  const k = deriveAll(
    providerHash(alg.hash, config.provider?.publicKey),
    result.K,
    result.H,
    sessionId,
    keySizes(neg.cipherCS, neg.macCS),
    keySizes(neg.cipherSC, neg.macSC),
  );
  const cs = { cipher: neg.cipherCS, mac: neg.macCS, key: k.keyCS, iv: k.ivCS, macKey: k.macCS, compression: neg.compressionCS };
  const sc = { cipher: neg.cipherSC, mac: neg.macSC, key: k.keySC, iv: k.ivSC, macKey: k.macSC, compression: neg.compressionSC };
  return config.role.kind === 'server' ? { out: sc, inc: cs } : { out: cs, inc: sc };
}

function isAead(cipher: string): boolean {
  return CIPHERS.get(cipher)?.aead ?? false;
}
