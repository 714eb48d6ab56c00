/** Net::SSH2::Listener: a remote tcpip-forward listener whose connections arrive as channels. */
import type { RemoteListener } from '../connection/forward.js';
import { SshError } from '../errors.js';
import type { Channel } from './channel.js';
import type { SSH2 } from './ssh2.js';

export class Listener {
  /** @internal made by SSH2.listen */
  constructor(
    private readonly ssh2: SSH2,
    /** the core listener */
    readonly core: RemoteListener,
    /** Net::SSH2's queue_size (the core keeps its own backlog) */
    readonly queue_size = 16,
  ) {}

  /** The port the server bound (Perl's `\$bound_port` out-parameter). */
  get bound_port(): number {
    return this.core.port;
  }

  /** Wait for the next forwarded connection; resolves its Channel, or undefined on failure. */
  accept(): Promise<Channel | undefined> {
    return this.ssh2._attempt(async () => {
      const c = await this.core.accept();
      if (!c) throw new SshError('CHANNEL_CLOSED', 'listener closed');
      return this.ssh2._wrap(c.channel);
    });
  }

  /** Cancel the forwarding (Perl frees it on destruction). */
  DESTROY(): Promise<void> {
    return this.core.close().catch(() => {});
  }
}
