/**
 * Constant-time comparison of MAC tags and AEAD tags: the time taken depends
 * only on the lengths, never on where the first differing byte is.
 */
export function equalConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
