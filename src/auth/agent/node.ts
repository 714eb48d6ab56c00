/**
 * The ssh-agent over a Unix socket (Node-only: imports node:net), normally $SSH_AUTH_SOCK.
 */
import * as net from 'node:net';
import { socketStream } from '../../node-stream.js';
import type { ByteStream } from '../../transport/stream.js';
import { nodeProvider } from '../../crypto/node/index.js';
import { AgentClient, type AgentConnector } from './client.js';
import { AgentError } from './protocol.js';

/**
 * A connector for the agent listening on `path` (default: $SSH_AUTH_SOCK).
 * @example new AgentClient(unixSocketAgent('/tmp/agent.sock'))
 */
export function unixSocketAgent(path: string | undefined = process.env.SSH_AUTH_SOCK): AgentConnector {
  return () =>
    new Promise<ByteStream>((resolve, reject) => {
      if (!path) {
        reject(new AgentError('no agent: SSH_AUTH_SOCK is not set'));
        return;
      }
      const socket = net.connect({ path });
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve(socketStream(socket));
      });
      const onError = (e: NodeJS.ErrnoException) => {
        socket.destroy();
        reject(new AgentError(`cannot connect to the agent at ${path}: ${e.code ?? e.message}`, { cause: e }));
      };
      socket.once('error', onError);
    });
}

/** An AgentClient for the agent at `path` (default: $SSH_AUTH_SOCK), checking added keys with node:crypto. */
export function nodeAgent(path?: string): AgentClient {
  return new AgentClient(unixSocketAgent(path), { provider: nodeProvider });
}
