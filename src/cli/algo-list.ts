/**
 * OpenSSH's algorithm-list syntax (ssh_config(5) Ciphers, KexAlgorithms, MACs,
 * HostKeyAlgorithms, PubkeyAcceptedAlgorithms):
 *   "a,b"   replaces the default list;
 *   "+a,b"  appends to the default list;
 *   "-a,b*" removes from the default list (wildcards * and ? allowed);
 *   "^a,b"  puts them at the head of the default list.
 * Names other than patterns must be supported, as OpenSSH's "Bad SSH2 cipher spec" check demands.
 */
import { matchPattern } from '../match/pattern.js';

/** ssh_config's `match_pattern`: `*` any run, `?` any one character; whole-string match. */
export const matchWildcard = (name: string, pattern: string): boolean => matchPattern(name, pattern);

export class AlgorithmSpecError extends Error {
  override name = 'AlgorithmSpecError';
}

/**
 * Apply an OpenSSH list spec to `defaults`. Throws AlgorithmSpecError (message like ssh's
 * "Bad SSH2 cipher spec 'x'.") for an unknown name or an empty result.
 */
export function applyAlgorithmSpec(spec: string, defaults: readonly string[], supported: readonly string[], label: string): string[] {
  const trimmed = spec.trim();
  const op = '+-^'.includes(trimmed[0] ?? '') ? trimmed[0]! : '';
  const names = (op ? trimmed.slice(1) : trimmed)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = (): AlgorithmSpecError => new AlgorithmSpecError(`Bad SSH2 ${label} spec '${spec}'.`);
  if (names.length === 0) throw bad();
  if (op === '-') {
    const out = defaults.filter((d) => !names.some((p) => matchWildcard(d, p)));
    if (out.length === 0) throw bad();
    return out;
  }
  for (const n of names) if (!supported.includes(n)) throw bad();
  const list = op === '+' ? [...defaults, ...names] : op === '^' ? [...names, ...defaults] : names;
  return [...new Set(list)];
}
