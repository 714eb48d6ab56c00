/**
 * Server-alive checks, like OpenSSH's ServerAliveInterval / ServerAliveCountMax: after
 * `interval` ms in which nothing arrived from the server, send a keepalive@openssh.com
 * global request with want-reply (any answer, even REQUEST_FAILURE, proves the peer is
 * alive). When `countMax` such probes in a row went unanswered and another interval
 * passed in silence, the connection is declared lost and every pending operation fails.
 */
import { ConnectionLostError, SshError } from '../errors.js';
import type { Connection } from './connection.js';

export const KEEPALIVE_REQUEST = 'keepalive@openssh.com';

/** How often to probe the server and how many unanswered probes end the connection. */
export interface KeepaliveOptions {
  /** ms of silence from the server before a probe is sent (OpenSSH: ServerAliveInterval, in seconds) */
  interval: number;
  /** unanswered probes tolerated before giving up (default 3, like ServerAliveCountMax) */
  countMax?: number;
}

/** Keepalive probes (a global request with want-reply, as ssh's ServerAliveInterval does). */
export class Keepalive {
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastSeen: number;
  private missed = 0;
  /** probes sent so far (for tests and debugging) */
  sent = 0;
  readonly interval: number;
  readonly countMax: number;

  constructor(
    private readonly conn: Connection,
    options: KeepaliveOptions,
    private readonly debug?: (line: string) => void,
  ) {
    if (!(options.interval > 0) || !Number.isFinite(options.interval)) throw new SshError('INVAL', 'keepalive interval must be a positive number of ms');
    const countMax = options.countMax ?? 3;
    if (!Number.isInteger(countMax) || countMax < 0) throw new SshError('INVAL', 'keepalive countMax must be a non-negative integer');
    this.interval = options.interval;
    this.countMax = countMax;
    this.lastSeen = conn.packetsReceived;
    this.timer = setInterval(() => this.tick(), this.interval);
    // Node: a keepalive timer alone must not keep the process running.
    (this.timer as { unref?: () => void }).unref?.();
    void conn.done.then(() => this.stop());
  }

  /** Stop probing. */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private tick(): void {
    if (this.conn.closedError) {
      this.stop();
      return;
    }
    const seen = this.conn.packetsReceived;
    if (seen !== this.lastSeen) {
      // The server spoke during the last interval: it is alive.
      this.lastSeen = seen;
      this.missed = 0;
      return;
    }
    if (this.missed >= this.countMax) {
      this.stop();
      this.debug?.(`keepalive: ${this.missed} probes unanswered, giving up`);
      this.conn.fail(new ConnectionLostError(`Timeout, server not responding (${this.missed} keepalives unanswered)`));
      return;
    }
    this.missed++;
    this.sent++;
    // The reply (success or failure) is counted as traffic by the connection; its content is irrelevant.
    void this.conn.globalRequest(KEEPALIVE_REQUEST, true).catch(() => {});
  }
}
