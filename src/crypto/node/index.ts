/** The node:crypto provider (Node-only): bulk ciphers, MACs and public-key operations over OpenSSL. */
import { layeredProvider, type CryptoProvider } from '../provider.js';
import { NODE_CIPHERS } from './ciphers.js';
import { NODE_MACS } from './macs.js';
import { NODE_PUBLIC_KEY_OPS } from './pubkey.js';

/** The provider backed by node:crypto (OpenSSL) where it has the algorithm, the pure code elsewhere. */
export const nodeProvider: CryptoProvider = layeredProvider('node', { ciphers: NODE_CIPHERS, macs: NODE_MACS, publicKey: NODE_PUBLIC_KEY_OPS });
