/**
 * SSH_MSG_KEXINIT encoding and algorithm negotiation (RFC 4253 §7.1).
 */
import { AlgorithmNegotiationError, SshError, type AlgorithmKind } from '../errors.js';
import { MSG } from '../wire/constants.js';
import { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';

/** The name-lists of a KEXINIT message (RFC 4253 §7.1). */
export interface KexInitLists {
  kex: string[];
  hostKey: string[];
  cipherCS: string[];
  cipherSC: string[];
  macCS: string[];
  macSC: string[];
  compressionCS: string[];
  compressionSC: string[];
  languagesCS: string[];
  languagesSC: string[];
}

export interface KexInit extends KexInitLists {
  cookie: Uint8Array;
  firstKexPacketFollows: boolean;
}

export function encodeKexInit(k: KexInit): Uint8Array {
  const w = new Writer(1024).u8(MSG.KEXINIT).raw(k.cookie);
  w.nameList(k.kex).nameList(k.hostKey);
  w.nameList(k.cipherCS).nameList(k.cipherSC);
  w.nameList(k.macCS).nameList(k.macSC);
  w.nameList(k.compressionCS).nameList(k.compressionSC);
  w.nameList(k.languagesCS).nameList(k.languagesSC);
  w.bool(k.firstKexPacketFollows).u32(0);
  return w.finish().slice();
}

export function decodeKexInit(payload: Uint8Array): KexInit {
  const r = new Reader(payload, 0, 'KEXINIT');
  r.u8();
  const cookie = r.raw(16, 'cookie');
  const k: KexInit = {
    cookie,
    kex: r.nameList('kex_algorithms'),
    hostKey: r.nameList('server_host_key_algorithms'),
    cipherCS: r.nameList('encryption_algorithms_client_to_server'),
    cipherSC: r.nameList('encryption_algorithms_server_to_client'),
    macCS: r.nameList('mac_algorithms_client_to_server'),
    macSC: r.nameList('mac_algorithms_server_to_client'),
    compressionCS: r.nameList('compression_algorithms_client_to_server'),
    compressionSC: r.nameList('compression_algorithms_server_to_client'),
    languagesCS: r.nameList('languages_client_to_server'),
    languagesSC: r.nameList('languages_server_to_client'),
    firstKexPacketFollows: r.bool('first_kex_packet_follows'),
  };
  r.u32('reserved');
  // RFC 4253 §7.1 leaves room for future extension: tolerate trailing bytes as OpenSSH does.
  return k;
}

/** The algorithms a key exchange settled on (RFC 4253 §7.1); the MACs are '' with an AEAD cipher. */
export interface NegotiatedAlgorithms {
  kex: string;
  hostKey: string;
  cipherCS: string;
  cipherSC: string;
  macCS: string;
  macSC: string;
  compressionCS: string;
  compressionSC: string;
}

/** First algorithm on the client's list that the server also supports (RFC 4253 §7.1). */
export function pick(kind: AlgorithmKind, client: readonly string[], server: readonly string[]): string {
  for (const name of client) if (server.includes(name)) return name;
  throw new AlgorithmNegotiationError(kind, client, server);
}

/**
 * Negotiate every algorithm. `isAead(cipher)` tells whether a cipher carries its own
 * integrity, in which case the MAC list is not consulted (RFC 5647 §5.1, PROTOCOL.chacha20poly1305).
 */
export function negotiate(client: KexInitLists, server: KexInitLists, isAead: (cipher: string) => boolean): NegotiatedAlgorithms {
  const kex = pick(
    'kex',
    client.kex.filter((n) => !isPseudoAlgorithm(n)),
    server.kex,
  );
  const hostKey = pick('hostkey', client.hostKey, server.hostKey);
  const cipherCS = pick('cipher_cs', client.cipherCS, server.cipherCS);
  const cipherSC = pick('cipher_sc', client.cipherSC, server.cipherSC);
  const macCS = isAead(cipherCS) ? '' : pick('mac_cs', client.macCS, server.macCS);
  const macSC = isAead(cipherSC) ? '' : pick('mac_sc', client.macSC, server.macSC);
  const compressionCS = pick('compression_cs', client.compressionCS, server.compressionCS);
  const compressionSC = pick('compression_sc', client.compressionSC, server.compressionSC);
  return { kex, hostKey, cipherCS, cipherSC, macCS, macSC, compressionCS, compressionSC };
}

/**
 * RFC 4253 §7.1: a guessed kex packet is wrong when "server and client have different
 * preferred algorithm" for kex or host key, i.e. the first entries of the two lists differ
 * (OpenSSH's proposals_match), even if the negotiated algorithm happens to be the sender's
 * first; the packet must then be ignored. (A wholly failed negotiation ends the kex anyway.)
 */
export function guessIsWrong(sender: KexInitLists, receiver: KexInitLists): boolean {
  return sender.kex[0] !== receiver.kex[0] || sender.hostKey[0] !== receiver.hostKey[0];
}

/** Names in the kex list that signal extensions rather than name an algorithm. */
export const EXT_INFO_C = 'ext-info-c';
export const KEX_STRICT_C = 'kex-strict-c-v00@openssh.com';
export const KEX_STRICT_S = 'kex-strict-s-v00@openssh.com';

export function isPseudoAlgorithm(name: string): boolean {
  return name === EXT_INFO_C || name === 'ext-info-s' || name.startsWith('kex-strict-');
}

/** A caller's algorithm list, checked: not empty, every name known (`known`); typed errors otherwise. */
export function checkedAlgorithmList(kind: string, names: string[], known: (name: string) => boolean): string[] {
  if (names.length === 0) throw new SshError('METHOD_NOT_SUPPORTED', `empty ${kind} algorithm list`);
  for (const n of names) {
    if (!known(n)) throw new SshError('METHOD_NOT_SUPPORTED', `unsupported ${kind} algorithm "${n}"`);
  }
  return names;
}

/** KEXINIT lists with the same cipher, MAC and compression list in both directions and no languages. */
export function symmetricKexInitLists(l: { kex: string[]; hostKey: string[]; cipher: string[]; mac: string[]; compression: string[] }): KexInitLists {
  return {
    kex: l.kex,
    hostKey: l.hostKey,
    cipherCS: l.cipher,
    cipherSC: l.cipher,
    macCS: l.mac,
    macSC: l.mac,
    compressionCS: l.compression,
    compressionSC: l.compression,
    languagesCS: [],
    languagesSC: [],
  };
}
