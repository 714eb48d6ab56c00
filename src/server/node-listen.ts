/**
 * The server's Node listener (Node-only: node:net): TCP connections accepted into an
 * {@link SshServer} through the socket adapter, with backpressure both ways.
 */
import * as net from 'node:net';
import { nodeProvider } from '../crypto/node/index.js';
import { socketStream } from '../node-stream.js';
import { SshServer, type SshServerOptions } from './server.js';

/** Options of {@link listen}: where, and the server (or its options). */
export interface ListenOptions extends Partial<SshServerOptions> {
  /** address to bind (default 127.0.0.1) */
  host?: string;
  /** port (0: the system picks; see `SshListener.port`) */
  port?: number;
  /** an existing server; otherwise one is made from the other options */
  server?: SshServer;
  /** listen(2) backlog */
  backlog?: number;
}

/** A listening SSH server. */
export interface SshListener {
  readonly server: SshServer;
  /** the bound address and port */
  readonly host: string;
  readonly port: number;
  /** Stop listening and disconnect every connection. */
  close(): Promise<void>;
}

/**
 * Listen for SSH connections on TCP.
 * @example
 * ```ts
 * const listener = await listen({ port: 2222, hostKeys: [hostKey], auth: { password: checkPassword }, handlers });
 * console.log(`listening on ${listener.port}`);
 * ```
 */
export async function listen(options: ListenOptions): Promise<SshListener> {
  const { host = '127.0.0.1', port = 0, backlog, server: given, ...serverOptions } = options;
  // node:crypto by default, as the Node entry's connect() does.
  const server = given ?? new SshServer({ ...serverOptions, crypto: serverOptions.crypto ?? nodeProvider } as SshServerOptions);
  const tcp = net.createServer({ noDelay: true }, (socket) => {
    socket.on('error', () => {});
    server.accept(socketStream(socket), { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort });
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen({ host, port, backlog }, () => {
      tcp.off('error', reject);
      resolve();
    });
  });
  const addr = tcp.address() as net.AddressInfo;
  return {
    server,
    host: addr.address,
    port: addr.port,
    async close() {
      const stopped = new Promise<void>((resolve) => tcp.close(() => resolve()));
      await server.close();
      await stopped;
    },
  };
}
