/**
 * The server's algorithm preferences: sshd 9.x's default order for what puressh
 * implements (its MAC order is the client's, DEFAULT_MACS). SHA-1 key exchange, ssh-rsa and ssh-dss signatures are used only when named.
 */
import { DEFAULT_HOSTKEY_ALGORITHMS, DEFAULT_PUBKEY_ALGORITHMS, HOSTKEY_ALGORITHMS } from '../crypto/keys/index.js';
import { DEFAULT_KEX, KEX_ALGORITHMS } from '../kex/index.js';
import { CIPHERS, DEFAULT_CIPHERS } from '../transport/cipher/index.js';
import { COMPRESSIONS } from '../transport/compression.js';
import { DEFAULT_MACS, MACS } from '../transport/mac/index.js';
import { checkedAlgorithmList, symmetricKexInitLists, type KexInitLists } from '../transport/negotiate.js';

/** The server's algorithm lists, most preferred first; an omitted list means sshd's default. */
export interface ServerAlgorithmPreferences {
  kex?: string[];
  /** host-key algorithms (HostKeyAlgorithms); those without a matching host key are not offered */
  hostKey?: string[];
  cipher?: string[];
  mac?: string[];
  /** default: none, zlib@openssh.com (sshd's "Compression yes": delayed until authenticated) */
  compression?: string[];
  /** signature algorithms publickey authentication accepts (PubkeyAcceptedAlgorithms) */
  publicKey?: string[];
  /** signature algorithms hostbased authentication accepts (HostbasedAcceptedAlgorithms) */
  hostbased?: string[];
}

/** The resolved lists: KEXINIT's, plus what user authentication accepts. */
export interface ServerAlgorithms {
  kexInit: KexInitLists;
  publicKey: string[];
  hostbased: string[];
}

/** Resolve preferences against sshd's defaults and check every name is implemented. */
export function serverAlgorithms(pref: ServerAlgorithmPreferences = {}): ServerAlgorithms {
  const cipher = checkedAlgorithmList('cipher', pref.cipher ?? [...DEFAULT_CIPHERS], (n) => CIPHERS.has(n));
  const mac = checkedAlgorithmList('MAC', pref.mac ?? [...DEFAULT_MACS], (n) => MACS.has(n));
  const compression = checkedAlgorithmList('compression', pref.compression ?? ['none', 'zlib@openssh.com'], (n) => COMPRESSIONS.has(n));
  return {
    kexInit: symmetricKexInitLists({
      kex: checkedAlgorithmList('key exchange', pref.kex ?? [...DEFAULT_KEX], (n) => KEX_ALGORITHMS.has(n)),
      hostKey: checkedAlgorithmList('host key', pref.hostKey ?? [...DEFAULT_HOSTKEY_ALGORITHMS], (n) => HOSTKEY_ALGORITHMS.has(n)),
      cipher,
      mac,
      compression,
    }),
    publicKey: checkedAlgorithmList('public key', pref.publicKey ?? [...DEFAULT_PUBKEY_ALGORITHMS], (n) => HOSTKEY_ALGORITHMS.has(n)),
    hostbased: checkedAlgorithmList('hostbased', pref.hostbased ?? [...DEFAULT_PUBKEY_ALGORITHMS], (n) => HOSTKEY_ALGORITHMS.has(n)),
  };
}
