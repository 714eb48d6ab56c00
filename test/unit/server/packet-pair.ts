/** An in-memory pair of packet transports (no encryption, no kex): for the layers above the transport. */
import { AsyncQueue } from '../../../src/async.js';
import { DisconnectError, SshError } from '../../../src/errors.js';
import { MSG } from '../../../src/wire/constants.js';
import { Reader } from '../../../src/wire/reader.js';

export interface FakePacketEnd {
  sessionId: Uint8Array;
  serverSigAlgs: string[] | null;
  send(p: Uint8Array): Promise<void>;
  receive(): Promise<Uint8Array>;
  abort(err: SshError): void;
  fail(err: SshError): void;
  disconnect(reason: number, description: string): Promise<void>;
  markAuthenticated(): void;
  authenticated: boolean;
  /** the DISCONNECT this side sent, if any */
  disconnected: { reason: number; description: string } | null;
  closed: Promise<SshError | null>;
}

export const SESSION_ID = new Uint8Array(32).fill(0x42);

export function packetPair(): [FakePacketEnd, FakePacketEnd] {
  const qa = new AsyncQueue<Uint8Array>();
  const qb = new AsyncQueue<Uint8Array>();
  let done = false;
  let resolveClosed!: (e: SshError | null) => void;
  const closed = new Promise<SshError | null>((r) => (resolveClosed = r));
  const end = (rx: AsyncQueue<Uint8Array>, tx: AsyncQueue<Uint8Array>): FakePacketEnd => {
    const self: FakePacketEnd = {
      sessionId: SESSION_ID,
      serverSigAlgs: null,
      authenticated: false,
      disconnected: null,
      closed,
      async send(p) {
        if (done) throw new SshError('SOCKET_DISCONNECT', 'closed');
        if (p[0] === MSG.DISCONNECT) {
          const r = new Reader(p, 1);
          const reason = r.u32();
          const description = r.text();
          self.disconnected = { reason, description };
          tx.fail(new DisconnectError(reason, description, true));
          return;
        }
        tx.push(p.slice());
      },
      receive: () => rx.shift(),
      abort(err) {
        void self.send(new Uint8Array([MSG.DISCONNECT, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0])).catch(() => {});
        self.fail(err);
      },
      fail(err) {
        if (done) return;
        done = true;
        rx.fail(err);
        tx.fail(err);
        resolveClosed(err);
      },
      async disconnect(reason, description) {
        self.disconnected = { reason, description };
        tx.fail(new DisconnectError(reason, description, true));
        self.fail(new DisconnectError(reason, description, false));
      },
      markAuthenticated() {
        self.authenticated = true;
      },
    };
    return self;
  };
  return [end(qa, qb), end(qb, qa)];
}
