/** Net::SSH2::Listener: a remote tcpip-forward listener whose connections arrive as channels. */
import type { RemoteListener } from '../connection/forward.js';
import { SshError } from '../errors.js';
import type { Channel } from './channel.js';
import type { SSH2 } from './ssh2.js';

/** Net::SSH2::Listener: a remote port forwarding listener. */
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
    return this.ssh2._io(this, 'accept', [], async () => {
      const c = await this.core.accept();
      if (!c) throw new SshError('CHANNEL_CLOSED', 'listener closed');
      return this.ssh2._wrap(c.channel);
    });
  }

  #onClose: () => void = () => {};
  /** @internal resolves when DESTROY closed the listener (for poll) */
  readonly _closed = new Promise<void>((r) => (this.#onClose = r));

  /** Cancel the forwarding (Perl frees it on destruction). */
  DESTROY(): Promise<void> {
    const done = this.core.close().catch(() => {});
    this.#onClose();
    return done;
  }
}
