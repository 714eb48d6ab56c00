/**
 * Agent forwarding (OpenSSH PROTOCOL §2.1 / draft-miller-ssh-agent §5): a session asks for
 * it with the "auth-agent-req@openssh.com" channel request; the server then opens an
 * "auth-agent@openssh.com" channel for each remote agent client, and we relay its bytes to a
 * fresh connection to our local agent, unchanged, in both directions.
 */
import type { Channel } from '../../connection/channel.js';
import type { Connection } from '../../connection/connection.js';
import type { ByteStream } from '../../transport/stream.js';

export const AGENT_REQUEST = 'auth-agent-req@openssh.com';
export const AGENT_CHANNEL = 'auth-agent@openssh.com';

/**
 * Accept the server's auth-agent@openssh.com channels on `conn`, each relayed to a new
 * connection made by `connect`. Idempotent per connection.
 */
export function installAgentForwarding(conn: Connection, connect: () => Promise<ByteStream>, debug?: (line: string) => void): void {
  if (conn.openHandlers.has(AGENT_CHANNEL)) return;
  conn.openHandlers.set(AGENT_CHANNEL, async (_open, accept) => {
    // Accept first: the mux has no way to refuse from an async handler; a failed agent
    // connection then just closes the channel (the remote client sees EOF).
    const ch = accept();
    let agent: ByteStream;
    try {
      agent = await connect();
    } catch {
      debug?.('agent forwarding: cannot reach the local agent');
      ch.closeNow();
      return;
    }
    debug?.('agent forwarding: relaying a remote agent connection');
    await relay(ch, agent);
  });
}

/** Ask the server to forward the agent for this session; resolves to whether it agreed. */
export async function requestAgentForwarding(session: Channel): Promise<boolean> {
  return session.request(AGENT_REQUEST, true);
}

/** Copy bytes both ways until either side ends, then close both. */
export async function relay(ch: Channel, agent: ByteStream): Promise<void> {
  const toAgent = (async () => {
    for (;;) {
      const chunk = await ch.read();
      if (chunk === null) return;
      await agent.write(chunk);
    }
  })();
  const toChannel = (async () => {
    for (;;) {
      const chunk = await agent.read();
      if (chunk === null) return;
      await ch.write(chunk);
    }
  })();
  await Promise.race([toAgent, toChannel]).catch(() => {});
  agent.close();
  // Either side ended: the peer owes us nothing more, so its CLOSE is not awaited.
  ch.closeNow();
  await Promise.allSettled([toAgent, toChannel]);
}
