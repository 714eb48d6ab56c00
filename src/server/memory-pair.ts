/**
 * An SSH server and puressh's client joined in memory, for tests that need no sshd and no
 * socket: `SshServer` on one end of a duplex byte pipe, `SshClient` on the other.
 */
import { SshClient, type ClientOptions } from '../client.js';
import type { ByteStream } from '../transport/stream.js';
import type { IncomingConnection, SshServer } from './server.js';
import type { ServerConnection } from './connection.js';

/** One direction of the in-memory pipe: chunks written, waiting to be read. */
class Pipe {
  private chunks: Uint8Array[] = [];
  private ended = false;
  private waiter: (() => void) | null = null;

  write(b: Uint8Array): void {
    if (this.ended) return;
    // Copied: the writer may reuse its buffer once write() returns.
    this.chunks.push(b.slice());
    this.wake();
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  async read(): Promise<Uint8Array | null> {
    for (;;) {
      const c = this.chunks.shift();
      if (c) return c;
      if (this.ended) return null;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }
}

/**
 * Two {@link ByteStream}s joined back to back: what one writes, the other reads. Closing
 * either ends both directions.
 */
export function memoryStreamPair(): [ByteStream, ByteStream] {
  const ab = new Pipe();
  const ba = new Pipe();
  const close = (): void => {
    ab.end();
    ba.end();
  };
  const side = (rx: Pipe, tx: Pipe): ByteStream => ({ read: () => rx.read(), write: (b) => tx.write(b), close });
  return [side(ba, ab), side(ab, ba)];
}

/** Client options for {@link connectInMemory}: the host key check defaults to the server's own keys. */
export type InMemoryClientOptions = Omit<ClientOptions, 'hostKeyVerifier'> & Partial<Pick<ClientOptions, 'hostKeyVerifier'>>;

/** What {@link connectInMemory} returns: both ends of one connection. */
export interface InMemoryPair {
  client: SshClient;
  /** the server's view of this connection */
  incoming: IncomingConnection;
  /** the server's authenticated connection */
  connection: ServerConnection;
}

/**
 * Connect puressh's client to `server` through memory and wait until both sides are ready.
 * Rejects as the client's connect does (e.g. AuthError when authentication fails).
 * @example
 * ```ts
 * const { client } = await connectInMemory(server, { username: 'alice', password: 'pw' });
 * const { stdout, code } = await client.run('echo hi');
 * ```
 */
export async function connectInMemory(server: SshServer, options: InMemoryClientOptions): Promise<InMemoryPair> {
  const [clientSide, serverSide] = memoryStreamPair();
  const incoming = server.accept(serverSide, { remoteAddress: 'memory', remotePort: 0 });
  const ours = server.hostKeySigners.map((k) => k.blob);
  const hostKeyVerifier = options.hostKeyVerifier ?? ((info) => ours.some((b) => b.length === info.blob.length && b.every((v, i) => v === info.blob[i])));
  const client = await SshClient.connect(clientSide, { ...options, hostKeyVerifier });
  const connection = await incoming.authenticated;
  return { client, incoming, connection };
}
