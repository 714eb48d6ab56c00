/**
 * The server's algorithm preferences: sshd 9.x's default order for what puressh
 * implements. SHA-1 key exchange, ssh-rsa and ssh-dss signatures are used only when named.
 */
import { DEFAULT_HOSTKEY_ALGORITHMS, DEFAULT_PUBKEY_ALGORITHMS, HOSTKEY_ALGORITHMS } from '../crypto/keys/index.js';
import { SshError } from '../errors.js';
import { DEFAULT_KEX, KEX_ALGORITHMS } from '../kex/index.js';
import { CIPHERS, DEFAULT_CIPHERS } from '../transport/cipher/index.js';
import { COMPRESSIONS } from '../transport/compression.js';
import { MACS } from '../transport/mac/index.js';
import type { KexInitLists } from '../transport/negotiate.js';

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

/** sshd 9.x's MAC order (umac first), keeping the ones puressh implements. */
const SSHD_MACS = [
  'umac-64-etm@openssh.com',
  'umac-128-etm@openssh.com',
  'hmac-sha2-256-etm@openssh.com',
  'hmac-sha2-512-etm@openssh.com',
  'hmac-sha1-etm@openssh.com',
  'umac-64@openssh.com',
  'umac-128@openssh.com',
  'hmac-sha2-256',
  'hmac-sha2-512',
  'hmac-sha1',
];

/** The resolved lists: KEXINIT's, plus what user authentication accepts. */
export interface ServerAlgorithms {
  kexInit: KexInitLists;
  publicKey: string[];
  hostbased: string[];
}

/** Resolve preferences against sshd's defaults and check every name is implemented. */
export function serverAlgorithms(pref: ServerAlgorithmPreferences = {}): ServerAlgorithms {
  const cipher = checked('cipher', pref.cipher ?? [...DEFAULT_CIPHERS], (n) => CIPHERS.has(n));
  const mac = checked('MAC', pref.mac ?? SSHD_MACS.filter((n) => MACS.has(n)), (n) => MACS.has(n));
  const compression = checked('compression', pref.compression ?? ['none', 'zlib@openssh.com'], (n) => COMPRESSIONS.has(n));
  return {
    kexInit: {
      kex: checked('key exchange', pref.kex ?? [...DEFAULT_KEX], (n) => KEX_ALGORITHMS.has(n)),
      hostKey: checked('host key', pref.hostKey ?? [...DEFAULT_HOSTKEY_ALGORITHMS], (n) => HOSTKEY_ALGORITHMS.has(n)),
      cipherCS: cipher,
      cipherSC: cipher,
      macCS: mac,
      macSC: mac,
      compressionCS: compression,
      compressionSC: compression,
      languagesCS: [],
      languagesSC: [],
    },
    publicKey: checked('public key', pref.publicKey ?? [...DEFAULT_PUBKEY_ALGORITHMS], (n) => HOSTKEY_ALGORITHMS.has(n)),
    hostbased: checked('hostbased', pref.hostbased ?? [...DEFAULT_PUBKEY_ALGORITHMS], (n) => HOSTKEY_ALGORITHMS.has(n)),
  };
}

function checked(kind: string, names: string[], known: (name: string) => boolean): string[] {
  if (names.length === 0) throw new SshError('METHOD_NOT_SUPPORTED', `empty ${kind} algorithm list`);
  for (const n of names) if (!known(n)) throw new SshError('METHOD_NOT_SUPPORTED', `unsupported ${kind} algorithm "${n}"`);
  return names;
}
