/**
 * ChaCha20 in DJB's layout (64-bit counter, 64-bit nonce) for chacha20-poly1305@openssh.com's
 * packet bodies in the pure provider: the WebAssembly kernel (./wasm/chacha20.ts, ~3.5× noble
 * on V8) where the runtime compiles WebAssembly, else noble's `chacha20orig`. Chosen at the
 * first call, so importing this module compiles nothing.
 */
import { chacha20orig } from '@noble/ciphers/chacha.js';
import { createWasmChacha20, type Chacha20Orig } from './wasm/chacha20.js';

let chosen: Chacha20Orig | undefined;

/** noble's `chacha20orig` contract: XOR the keystream from block `counter` into `data`, into `output`. */
export function chacha20Xor(key: Uint8Array, nonce: Uint8Array, data: Uint8Array, output: Uint8Array, counter: number): Uint8Array {
  return (chosen ??= createWasmChacha20() ?? chacha20orig)(key, nonce, data, output, counter);
}
