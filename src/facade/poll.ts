/**
 * Net::SSH2's deprecated `poll(timeout, [{ handle, events }])` over facade objects: Channel
 * handles report POLLIN (stdout buffered), POLLEXT (stderr buffered), POLLOUT (window open)
 * and CHANNEL_CLOSED; Listener handles report LISTENER_CLOSED. Events may be numbers or
 * name lists ('in', 'ext', 'out', …).
 */
import { SshError } from '../errors.js';
import { Channel } from './channel.js';
import { OTHER } from './constants.js';
import { Listener } from './listener.js';

const P = OTHER;
const EVENTS: Record<string, number> = {
  in: P.LIBSSH2_POLLFD_POLLIN,
  pri: P.LIBSSH2_POLLFD_POLLPRI,
  ext: P.LIBSSH2_POLLFD_POLLEXT,
  out: P.LIBSSH2_POLLFD_POLLOUT,
  err: P.LIBSSH2_POLLFD_POLLERR,
  hup: P.LIBSSH2_POLLFD_POLLHUP,
  nval: P.LIBSSH2_POLLFD_POLLNVAL,
  ex: P.LIBSSH2_POLLFD_POLLEX,
  session_closed: P.LIBSSH2_POLLFD_SESSION_CLOSED,
  channel_closed: P.LIBSSH2_POLLFD_CHANNEL_CLOSED,
  listener_closed: P.LIBSSH2_POLLFD_LISTENER_CLOSED,
};

export interface PollItem {
  handle: Channel | Listener;
  events: number | string | string[];
  /** filled in: the lower-cased names of what happened, and `value` */
  revents?: Record<string, number>;
}

function mask(events: PollItem['events']): number {
  if (typeof events === 'number') return events;
  let m = 0;
  for (const name of Array.isArray(events) ? events : [events]) {
    const v = EVENTS[name];
    if (v === undefined) throw new SshError('INVALID_POLL_TYPE', `Net::SSH2::poll: can't translate event '${name}'`);
    m |= v;
  }
  return m;
}

function ready(item: PollItem, want: number): number {
  const h = item.handle;
  let r = 0;
  if (h instanceof Channel) {
    const [, avail] = h.window_read_list();
    if (avail > 0) r |= want & (P.LIBSSH2_POLLFD_POLLIN | P.LIBSSH2_POLLFD_POLLEXT);
    if (h.window_write() > 0) r |= want & P.LIBSSH2_POLLFD_POLLOUT;
    if (h.core.isClosed) r |= P.LIBSSH2_POLLFD_CHANNEL_CLOSED;
  } else if (h instanceof Listener) {
    if (h.core.isClosed) r |= P.LIBSSH2_POLLFD_LISTENER_CLOSED;
  } else {
    r |= P.LIBSSH2_POLLFD_POLLNVAL;
  }
  return r;
}

export async function pollItems(timeoutMs: number, items: PollItem[]): Promise<number> {
  const wants = items.map((i) => mask(i.events));
  const deadline = Date.now() + Math.max(0, timeoutMs);
  for (;;) {
    const got = items.map((i, k) => ready(i, wants[k]!));
    const count = got.filter((g) => g !== 0).length;
    if (count > 0 || Date.now() >= deadline) {
      items.forEach((item, k) => {
        const out: Record<string, number> = { value: got[k]! };
        for (const [name, v] of Object.entries(EVENTS)) if (got[k]! & v) out[name] = 1;
        item.revents = out;
      });
      return count;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}
