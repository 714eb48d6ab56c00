/**
 * `method()` types (LIBSSH2_METHOD_*) ↔ the core's KEXINIT lists: validation against what
 * puressh supports, the lists a connect offers, and the negotiated name afterwards.
 */
import { algorithmLists } from '../client.js';
import { SUPPORTED_HOSTKEY_ALGORITHMS } from '../crypto/keys/index.js';
import { SUPPORTED_KEX } from '../kex/index.js';
import { NONE_CIPHER_NAME, SUPPORTED_CIPHERS } from '../transport/cipher/index.js';
import { SUPPORTED_COMPRESSIONS } from '../transport/compression.js';
import { NONE_MAC_NAME, SUPPORTED_MACS } from '../transport/mac/index.js';
import type { NegotiatedAlgorithms } from '../lifecycle.js';
import type { KexInitLists } from '../transport/negotiate.js';

/** LIBSSH2_METHOD_KEX … LANG_SC (0–9) → the field of KEXINIT / the negotiated result. */
const FIELDS = ['kex', 'hostKey', 'cipherCS', 'cipherSC', 'macCS', 'macSC', 'compressionCS', 'compressionSC', 'languagesCS', 'languagesSC'] as const;

function supported(type: number): readonly string[] | null {
  switch (type) {
    case 0:
      return SUPPORTED_KEX;
    case 1:
      return SUPPORTED_HOSTKEY_ALGORITHMS;
    case 2:
    case 3:
      return [...SUPPORTED_CIPHERS, NONE_CIPHER_NAME];
    case 4:
    case 5:
      return [...SUPPORTED_MACS, NONE_MAC_NAME];
    case 6:
    case 7:
      return SUPPORTED_COMPRESSIONS;
    default:
      return null; // languages: anything
  }
}

/** As libssh2_session_method_pref: unsupported names are dropped; an empty result is an error. */
export function validateMethods(type: number, names: readonly string[]): string[] {
  const ok = supported(type);
  return ok ? names.filter((n) => ok.includes(n)) : [...names];
}

/** The KEXINIT lists for a connect: the caller's preferences over puressh's defaults. */
export function kexInitLists(prefs: ReadonlyMap<number, string[]>, compress: boolean): KexInitLists {
  const base = algorithmLists({
    kex: prefs.get(0),
    hostKey: prefs.get(1),
    compression: compress ? ['zlib@openssh.com', 'zlib', 'none'] : undefined,
  });
  const lists: KexInitLists = { ...base };
  for (let t = 2; t <= 9; t++) {
    const p = prefs.get(t);
    if (p) (lists as unknown as Record<string, string[]>)[FIELDS[t]!] = p;
  }
  return lists;
}

/** The algorithm negotiated for `type` ('' for languages, which puressh never negotiates). */
export function negotiatedMethod(n: NegotiatedAlgorithms | null, type: number): string | undefined {
  if (!n) return undefined;
  if (type >= 8) return '';
  return n[FIELDS[type] as keyof NegotiatedAlgorithms];
}
