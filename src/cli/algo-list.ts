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

/**
 * OpenSSH's kex_assemble_names() (kex.c), as sshd applies a list spec once its config is read:
 * `+`, `^` and plain lists are pattern lists, each entry expanded against `all` (in `all`'s
 * order, duplicates dropped), so names outside `all` vanish; `-` removes matching names from
 * `defaults`. Returns null where sshd finds no usable name (an error for plain, `+` and `^`
 * lists; an empty `-` result is left to the caller).
 */
export function assembleAlgorithmList(spec: string, defaults: readonly string[], all: readonly string[]): string[] | null {
  if (spec === '') return [...defaults];
  const op = spec[0]!;
  if (op === '-') {
    const patterns = spec.slice(1).split(',');
    return defaults.filter((d) => !patterns.some((p) => matchWildcard(d, p)));
  }
  const names = op === '+' ? [...defaults, ...spec.slice(1).split(',')] : op === '^' ? [...spec.slice(1).split(','), ...defaults] : spec.split(',');
  const out: string[] = [];
  for (const pattern of names) {
    if (pattern.startsWith('!')) return null;
    for (const a of all) if (matchWildcard(a, pattern) && !out.includes(a)) out.push(a);
  }
  return out.length > 0 ? out : null;
}
