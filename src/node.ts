/**
 * The Node entry point: everything in the universal entry plus TCP connections.
 */
import { SshClient, type ClientOptions } from './client.js';
import { connectTcp, socketStream } from './node-stream.js';
import type { ByteStream } from './transport/stream.js';
import { nodeLocalFs } from './sftp/node-fs.js';
import { nodeProvider } from './crypto/node/index.js';
import { pureProvider, type CryptoProvider } from './crypto/provider.js';
import { parsePrivateKey as parsePrivateKeyWith, type PrivateKeyOptions } from './crypto/keys/index.js';
import type { PrivateKey } from './crypto/keys/types.js';

export * from './index.js';
export { socketStream, connectTcp } from './node-stream.js';
export { commandStream, type CommandStreamOptions } from './node-command-stream.js';

// SFTP on Node: get/put use node:fs unless told otherwise; streams over remote files.
export { nodeLocalFs } from './sftp/node-fs.js';
export { createReadStream as sftpReadStream, createWriteStream as sftpWriteStream, type SftpReadStreamOptions, type SftpWriteStreamOptions } from './sftp/node-streams.js';
export { channelDuplex, channelStderr, channelStreams, type ChannelDuplexOptions } from './connection/node-stream.js';
export {
  pipeChannel,
  forwardLocal,
  forwardRemote,
  relayListener,
  type ForwardingClient,
  type ForwardTarget,
  type LocalForward,
  type LocalForwardOptions,
  type RemoteForward,
  type RemoteForwardOptions,
} from './connection/node-forward.js';
export { socksProxy, type SocksOptions } from './connection/socks.js';

export { nodeProvider } from './crypto/node/index.js';
export { loadKnownHosts, saveKnownHosts, addKnownHost, fileHostKeyVerifier, writeFileAtomic } from './knownhosts/file.js';
export { nodeAgent, unixSocketAgent } from './auth/agent/node.js';
export { pureProvider } from './crypto/provider.js';

/**
 * parsePrivateKey of the universal entry, with the node:crypto provider by default: the key's
 * public half then comes from OpenSSL (noble's first derivation on a curve builds a base-point
 * table: 25-60 ms, kept in the heap for good; bench/README.md). `options` as a string is the passphrase.
 */
export function parsePrivateKey(text: string | Uint8Array, options?: string | PrivateKeyOptions): PrivateKey {
  const o = typeof options === 'string' ? { passphrase: options } : options;
  return parsePrivateKeyWith(text, { ...o, provider: o?.provider ?? nodeProvider });
}

export interface NodeConnectOptions extends Omit<ClientOptions, 'crypto'> {
  /** 'node' (default): bulk crypto over node:crypto; 'pure': the noble JS code; or a provider */
  crypto?: 'node' | 'pure' | CryptoProvider;
  /** the server's name: whom to connect to over TCP, and what host key checks are about */
  host: string;
  port?: number;
  /** TCP connect timeout in ms */
  connectTimeout?: number;
  signal?: AbortSignal;
  /**
   * Run the connection over this stream instead of opening a TCP connection, e.g. a
   * direct-tcpip channel of another connection (`(await jump.forwardOut(host, port)).byteStream()`,
   * ssh's ProxyJump).
   */
  stream?: ByteStream;
}

/** OpenSSH's default set, AES-GCM first: the fastest order on node:crypto. */
export const NODE_PREFERRED_CIPHERS: readonly string[] = [
  'aes128-gcm@openssh.com',
  'aes256-gcm@openssh.com',
  'aes128-ctr',
  'aes192-ctr',
  'aes256-ctr',
  'chacha20-poly1305@openssh.com',
];

/** Connect over TCP, run the handshake, verify the host key and authenticate. */
export async function connect(options: NodeConnectOptions): Promise<SshClient> {
  const stream = options.stream ?? socketStream(await connectTcp(options.host, options.port ?? 22, options.connectTimeout, options.signal));
  const crypto = options.crypto === 'pure' ? pureProvider : options.crypto === undefined || options.crypto === 'node' ? nodeProvider : options.crypto;
  // Default cipher order follows the provider: with OpenSSL's AES, GCM is several times
  // faster than chacha20-poly1305 (Node has no Poly1305); in pure JS it is the reverse.
  const algorithms = crypto === nodeProvider && !options.algorithms?.cipher ? { ...options.algorithms, cipher: [...NODE_PREFERRED_CIPHERS] } : options.algorithms;
  return SshClient.connect(stream, { ...options, crypto, algorithms, localFs: options.localFs ?? nodeLocalFs });
}
