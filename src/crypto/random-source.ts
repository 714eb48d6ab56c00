/** A source of `n` cryptographically random bytes. */
export type RandomSource = (n: number) => Uint8Array;
