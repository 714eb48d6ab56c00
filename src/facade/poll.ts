/**
 * Net::SSH2's deprecated `poll(timeout, [{ handle, events }])` over facade objects: Channel
 * handles report POLLIN (stdout data to read), POLLEXT (stderr data), POLLOUT (send window
 * open) and CHANNEL_CLOSED; Listener handles report LISTENER_CLOSED; every handle reports
 * SESSION_CLOSED once the session has ended. Events may be numbers or name lists ('in',
 * 'ext', 'out', …). The wait is event-driven: it wakes on channel data, EOF, close and window
 * adjustments and on listener and session close, with the timeout as an upper bound.
 */
import { SshError } from '../errors.js';
import { Channel } from './channel.js';
import { OTHER } from './constants.js';
import { Listener } from './listener.js';
import { settlesThisTurn } from './nonblocking.js';

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

/** One entry of Net::SSH2's `poll` list. */
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

function ready(item: PollItem, want: number, sessionClosed: boolean): number {
  const h = item.handle;
  let r = 0;
  if (h instanceof Channel) {
    const [out, err] = h._buffered();
    if (out > 0) r |= want & P.LIBSSH2_POLLFD_POLLIN;
    if (err > 0) r |= want & P.LIBSSH2_POLLFD_POLLEXT;
    if (h.window_write() > 0 && !h.core.isClosed) r |= want & P.LIBSSH2_POLLFD_POLLOUT;
    if (h.core.isClosed) r |= P.LIBSSH2_POLLFD_CHANNEL_CLOSED;
  } else if (h instanceof Listener) {
    if (h.core.isClosed) r |= P.LIBSSH2_POLLFD_LISTENER_CLOSED;
  } else {
    r |= P.LIBSSH2_POLLFD_POLLNVAL;
  }
  // libssh2: a channel of a closed session is closed too
  if (sessionClosed && h instanceof Channel) r |= P.LIBSSH2_POLLFD_CHANNEL_CLOSED | P.LIBSSH2_POLLFD_SESSION_CLOSED;
  else if (sessionClosed && h instanceof Listener) r |= P.LIBSSH2_POLLFD_SESSION_CLOSED;
  return r;
}

// Several POLLFD values share bits (POLLPRI = POLLEXT, POLLHUP = SESSION_CLOSED,
// CHANNEL_CLOSED = LISTENER_CLOSED): revents names only those that apply to the handle.
const CHANNEL_NAMES = ['in', 'ext', 'out', 'channel_closed', 'session_closed'];
const LISTENER_NAMES = ['in', 'listener_closed', 'session_closed'];

function reventNames(item: PollItem, got: number): Record<string, number> {
  const out: Record<string, number> = { value: got };
  const names = item.handle instanceof Channel ? CHANNEL_NAMES : item.handle instanceof Listener ? LISTENER_NAMES : ['nval'];
  for (const name of names) if (got & EVENTS[name]!) out[name] = 1;
  return out;
}

/** What can change an item's readiness: channel data/EOF/close/window, a listener's close. */
function changed(item: PollItem, want: number): Promise<unknown> {
  const h = item.handle;
  if (h instanceof Channel) {
    return h._changed(!!(want & P.LIBSSH2_POLLFD_POLLIN), !!(want & P.LIBSSH2_POLLFD_POLLEXT), !!(want & P.LIBSSH2_POLLFD_POLLOUT) && h.window_write() === 0);
  }
  if (h instanceof Listener) return h._closed;
  return new Promise(() => {});
}

/**
 * Wait until an item is ready or `timeoutMs` passed, driven by the channels' and listeners'
 * events (no polling loop); `sessionClosed` resolves when the session ends.
 */
export async function pollItems(
  timeoutMs: number,
  items: PollItem[],
  session: { readonly isClosed: boolean; readonly closed: Promise<unknown> } | null,
): Promise<number> {
  const wants = items.map((i) => mask(i.events));
  const deadline = Date.now() + Math.max(0, timeoutMs);
  for (;;) {
    const wake = Promise.race([...items.map((i, k) => changed(i, wants[k]!)), ...(session ? [session.closed] : [])]);
    // Let what the core already received reach the buffers (bounded by this turn).
    await settlesThisTurn(wake);
    const closed = session?.isClosed ?? false;
    const got = items.map((i, k) => ready(i, wants[k]!, closed));
    const count = got.filter((g) => g !== 0).length;
    const left = deadline - Date.now();
    if (count > 0 || left <= 0) {
      items.forEach((item, k) => (item.revents = reventNames(item, got[k]!)));
      return count;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([wake, new Promise<void>((r) => (timer = setTimeout(r, left)))]);
    clearTimeout(timer);
  }
}
