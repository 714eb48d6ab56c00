/**
 * Where the packet layer gets its cipher and MAC implementations (issue: performance).
 * The pure provider is the registries of noble-based modules (the default everywhere, the
 * only one in a browser); the Node entry point layers node:crypto implementations on top.
 * A provider only changes how an algorithm is computed, never which algorithms exist.
 */
import { SshError } from '../errors.js';
import { getCipher } from '../transport/cipher/index.js';
import type { CipherAlgorithm } from '../transport/cipher/types.js';
import { getMac } from '../transport/mac/index.js';
import type { MacAlgorithm } from '../transport/mac/types.js';

export interface CryptoProvider {
  readonly name: string;
  /** the implementation of cipher `name`; throws SshError ALGO_UNSUPPORTED if unknown */
  cipher(name: string): CipherAlgorithm;
  mac(name: string): MacAlgorithm;
}

export const pureProvider: CryptoProvider = Object.freeze({
  name: 'pure',
  cipher: getCipher,
  mac: getMac,
});

/** A provider that overrides some algorithms and falls back to another for the rest. */
export function layeredProvider(
  name: string,
  overrides: { ciphers?: readonly CipherAlgorithm[]; macs?: readonly MacAlgorithm[] },
  fallback: CryptoProvider = pureProvider,
): CryptoProvider {
  const ciphers = new Map((overrides.ciphers ?? []).map((c) => [c.name, c]));
  const macs = new Map((overrides.macs ?? []).map((m) => [m.name, m]));
  return Object.freeze({
    name,
    cipher: (n: string) => {
      const c = ciphers.get(n) ?? fallback.cipher(n);
      if (!c) throw new SshError('ALGO_UNSUPPORTED', `unknown cipher ${n}`);
      return c;
    },
    mac: (n: string) => {
      const m = macs.get(n) ?? fallback.mac(n);
      if (!m) throw new SshError('ALGO_UNSUPPORTED', `unknown MAC ${n}`);
      return m;
    },
  });
}
