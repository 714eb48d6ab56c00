/** Session channels (RFC 4254 §6): exec, shell, subsystem. */
import { SshError } from '../errors.js';
import type { Channel, ChannelOptions } from './channel.js';
import type { Connection } from './connection.js';
import { Writer } from '../wire/writer.js';

export function openSession(conn: Connection, options?: Partial<ChannelOptions>): Promise<Channel> {
  return conn.openChannel('session', undefined, options);
}

/** Open a session and start `command` on it (RFC 4254 §6.5). */
export async function execOn(conn: Connection, command: string, options?: Partial<ChannelOptions>): Promise<Channel> {
  const ch = await openSession(conn, options);
  const ok = await ch.request('exec', true, new Writer(command.length + 8).string(command).finish().slice());
  if (!ok) {
    await ch.close().catch(() => {});
    throw new SshError('CHANNEL_REQUEST_DENIED', 'the server refused to execute the command');
  }
  return ch;
}
