/**
 * The listening side of agent forwarding (OpenSSH session.c auth_input_request_forwarding):
 * a per-session directory /tmp/ssh-XXXXXXXXXX (mode 0700, owned by the user) holding a Unix
 * socket `agent.<server pid>` (owned by the user), whose path becomes SSH_AUTH_SOCK. Each
 * connection to it is handed to a callback, which opens an auth-agent@openssh.com channel.
 */
import { chown, chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { PasswdEntry } from './node-passwd.js';

/** A listening agent socket; close() stops it and removes the socket and its directory. */
export interface AgentSocket {
  /** SSH_AUTH_SOCK for the session */
  readonly path: string;
  close(): Promise<void>;
}

export interface AgentSocketOptions {
  /** parent directory (default /tmp, as sshd) */
  parent?: string;
}

/** Create the socket for `user` and call `onConnection` with each local client of it. */
export async function createAgentSocket(user: PasswdEntry, onConnection: (socket: Socket) => void, options: AgentSocketOptions = {}): Promise<AgentSocket> {
  const dir = await mkdtemp(join(options.parent ?? '/tmp', 'ssh-'));
  const path = join(dir, `agent.${process.pid}`);
  let server: Server | null = null;
  const cleanup = async (): Promise<void> => {
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await chmod(dir, 0o700);
    server = createServer({ allowHalfOpen: true }, onConnection);
    const s = server;
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(path, () => {
        s.off('error', reject);
        resolve();
      });
    });
    // Only the user may connect: the directory is theirs alone; the socket needs their write permission.
    await chmod(path, 0o600);
    if (process.getuid?.() === 0) {
      await chown(path, user.uid, user.gid);
      await chown(dir, user.uid, user.gid);
    }
  } catch (e) {
    server?.close();
    await cleanup();
    throw e;
  }
  const listening = server;
  let closing: Promise<void> | null = null;
  return {
    path,
    close() {
      // Stop accepting; connections already forwarded live on in their channels.
      listening.close();
      closing ??= cleanup();
      return closing;
    },
  };
}
