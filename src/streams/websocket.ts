/**
 * A ByteStream over a WebSocket, for runtimes whose only way out is a WebSocket (browsers):
 * SSH bytes travel in binary messages through a WebSocket-to-TCP bridge such as
 * `puressh websocket-proxy` or websockify, whose "binary" subprotocol this speaks.
 */
import { ConnectionLostError, ProtocolError } from '../errors.js';
import type { ByteStream } from '../transport/stream.js';
import { ChunkQueue } from './chunk-queue.js';

/** The WebSocket subprotocol of websockify's raw binary mode, which `puressh websocket-proxy` also speaks. */
export const WEBSOCKET_BINARY_PROTOCOL = 'binary';

/** What the adapter reads from a WebSocket event: a message's data, a close's code and reason. */
export interface WebSocketEventLike {
  readonly data?: unknown;
  readonly code?: number;
  readonly reason?: string;
  readonly wasClean?: boolean;
}

/**
 * The part of the WHATWG WebSocket interface the adapter uses: browsers', Deno's, Bun's,
 * Cloudflare Workers' and Node 22's global `WebSocket` all have it.
 */
export interface WebSocketLike {
  readonly readyState: number;
  readonly bufferedAmount: number;
  binaryType: string;
  /** Queue a binary message. */
  send(data: Uint8Array): void;
  /** Start the closing handshake. */
  close(code?: number, reason?: string): void;
  /** Listen for 'open', 'message', 'close' and 'error'. */
  addEventListener(type: string, listener: (event: WebSocketEventLike) => void): void;
}

/** Options of {@link webSocketStream}. */
export interface WebSocketStreamOptions {
  /**
   * write() waits while more than this many bytes are queued in the WebSocket
   * (`bufferedAmount`) and not yet handed to the network. Default 1 MiB.
   */
  writeHighWater?: number;
  /** how often a waiting write() looks at `bufferedAmount` again, in ms (WebSocket has no drain event). Default 4. */
  drainPollMs?: number;
}

// WebSocket readyState values (WHATWG WebSockets §3.1).
const CONNECTING = 0;
const OPEN = 1;
// Close codes (RFC 6455 §7.4.1): normal closure, and "no status code" which a bridge that just closes sends.
const NORMAL_CLOSURE = 1000;
const NO_STATUS = 1005;

/**
 * Adapt a WebSocket to a {@link ByteStream}; resolves once it is open. Given a URL, opens
 * `new WebSocket(url, ['binary'])` with the runtime's global WebSocket.
 *
 * Text messages fail the stream with a ProtocolError (the binary protocol has none); a close
 * with code 1000 or 1005 ends it (read() returns null); any other close, or a failure to
 * open, fails it with a ConnectionLostError that carries the code and reason.
 *
 * WebSockets cannot pause the sender, so reads are not flow-controlled below SSH's own channel
 * windows; writes are: write() waits while `bufferedAmount` is over the high water mark.
 *
 * @example
 * ```ts
 * const stream = await webSocketStream('wss://bridge.example.com/ssh');
 * const client = await SshClient.connect(stream, { username, privateKeys, hostKeyVerifier });
 * ```
 */
export async function webSocketStream(socketOrUrl: WebSocketLike | string, options: WebSocketStreamOptions = {}): Promise<ByteStream> {
  const socket = typeof socketOrUrl === 'string' ? openWebSocket(socketOrUrl) : socketOrUrl;
  const highWater = options.writeHighWater ?? 1024 * 1024;
  const pollMs = options.drainPollMs ?? 4;
  socket.binaryType = 'arraybuffer';
  const queue = new ChunkQueue();
  let opened = socket.readyState === OPEN;
  let openWaiter: { resolve: () => void; reject: (e: Error) => void } | null = null;

  socket.addEventListener('open', () => {
    opened = true;
    openWaiter?.resolve();
  });
  socket.addEventListener('message', (event) => {
    const data = event.data;
    if (data instanceof ArrayBuffer) queue.push(new Uint8Array(data));
    else if (ArrayBuffer.isView(data)) queue.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    else {
      queue.fail(new ProtocolError(`websocket: a ${typeof data === 'string' ? 'text' : 'non-binary'} message; the bridge must send binary messages`));
      socket.close(1003, 'binary messages only');
    }
  });
  // 'error' carries no detail in browsers; the 'close' that follows has the code.
  socket.addEventListener('close', (event) => {
    const code = event.code ?? NO_STATUS;
    if (!opened) {
      openWaiter?.reject(new ConnectionLostError(`websocket connection failed (close code ${code}${event.reason ? `: ${event.reason}` : ''})`));
      return;
    }
    if (code === NORMAL_CLOSURE || code === NO_STATUS) queue.end();
    else queue.fail(new ConnectionLostError(`websocket closed with code ${code}${event.reason ? `: ${event.reason}` : ''}`));
  });

  if (!opened) {
    if (socket.readyState !== CONNECTING) throw new ConnectionLostError('websocket is closed');
    await new Promise<void>((resolve, reject) => (openWaiter = { resolve, reject }));
  }

  const waitForDrain = async (): Promise<void> => {
    while (socket.bufferedAmount > highWater) {
      if (socket.readyState !== OPEN) throw new ConnectionLostError('websocket closed while writing');
      await new Promise((r) => setTimeout(r, pollMs));
    }
  };

  return {
    read: () => queue.read(),
    write(data: Uint8Array): Promise<void> | void {
      if (socket.readyState !== OPEN) throw new ConnectionLostError('websocket is closed');
      socket.send(data);
      if (socket.bufferedAmount > highWater) return waitForDrain();
    },
    close(): void {
      queue.end();
      if (socket.readyState === OPEN || socket.readyState === CONNECTING) socket.close(NORMAL_CLOSURE);
    },
  };
}

function openWebSocket(url: string): WebSocketLike {
  const ctor = (globalThis as { WebSocket?: new (url: string, protocols: string[]) => WebSocketLike }).WebSocket;
  if (!ctor) throw new ConnectionLostError('this runtime has no global WebSocket: pass a WebSocket object instead of a URL');
  return new ctor(url, [WEBSOCKET_BINARY_PROTOCOL]);
}
