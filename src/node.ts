/**
 * The Node entry point: everything in the universal entry plus TCP connections.
 */
import { SshClient, type ClientOptions } from './client.js';
import { connectTcp, socketStream } from './node-stream.js';

export * from './index.js';
export { socketStream, connectTcp } from './node-stream.js';

export interface NodeConnectOptions extends ClientOptions {
  host: string;
  port?: number;
  /** TCP connect timeout in ms */
  connectTimeout?: number;
  signal?: AbortSignal;
}

/** Connect over TCP, run the handshake, verify the host key and authenticate. */
export async function connect(options: NodeConnectOptions): Promise<SshClient> {
  const socket = await connectTcp(options.host, options.port ?? 22, options.connectTimeout, options.signal);
  return SshClient.connect(socketStream(socket), options);
}
