/** The node:crypto provider (Node-only): bulk ciphers, MACs and public-key operations over OpenSSL. */
import { layeredProvider, type CryptoProvider } from '../provider.js';
import { NODE_CIPHERS, nodeHasCipher } from './ciphers.js';
import { NODE_MACS } from './macs.js';
import { NODE_PUBLIC_KEY_OPS } from './pubkey.js';

const layered = layeredProvider('node', { ciphers: NODE_CIPHERS, macs: NODE_MACS, publicKey: NODE_PUBLIC_KEY_OPS });

/**
 * The provider backed by node:crypto (OpenSSL) where it has the algorithm, the pure code
 * elsewhere, including where a runtime's node:crypto lacks one (Bun's has no ChaCha20).
 */
export const nodeProvider: CryptoProvider = Object.freeze({
  ...layered,
  cipher: (name: string) => (nodeHasCipher(name) ? layered.cipher!(name) : undefined),
});
