/** The node:crypto provider (Node-only): bulk ciphers and MACs over OpenSSL. */
import { layeredProvider, type CryptoProvider } from '../provider.js';
import { NODE_CIPHERS } from './ciphers.js';
import { NODE_MACS } from './macs.js';

export const nodeProvider: CryptoProvider = layeredProvider('node', { ciphers: NODE_CIPHERS, macs: NODE_MACS });
