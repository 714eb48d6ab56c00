/**
 * libssh2's non-blocking contract for every facade I/O method. Blocking: the call's Promise
 * settles when the operation is done. Non-blocking (`blocking(0)`): the operation is
 * started, or the identical pending one (same object, method and arguments) is found; the
 * call then lets the work already queued in this turn run (never waiting for the network:
 * see `nextTurn`). If the operation settled by then its result is returned; otherwise the call resolves `undefined` with
 * `error()` = LIBSSH2_ERROR_EAGAIN (-37) and `block_directions()` set, and the caller repeats
 * the call later with the same arguments to collect the result. A pending operation found
 * by a blocking call is simply waited for.
 */
import type { ErrorCode } from '../errors.js';
import { nextTurn } from './node-io.js';
import { attempt, byteString, type ErrorSlot } from './state.js';

/** What the helper needs from the session. */
export interface IoContext {
  readonly blocking: boolean;
  readonly slot: ErrorSlot;
  /** the blocking timeout (ms, 0: none); not applied in non-blocking mode */
  readonly timeoutMs: number;
  /** set EAGAIN and the block directions */
  wouldBlock(direction?: number): void;
}

export interface IoOptions {
  /** the libssh2 code for failures that are not SshErrors */
  fallback?: ErrorCode;
  /** called when a failure is handed to the caller (e.g. to record an SFTP status) */
  onFail?: (e: unknown) => void;
  /** block directions to report on EAGAIN (default: inbound, plus outbound if writes queue) */
  direction?: () => number;
}

interface Entry {
  readonly promise: Promise<unknown>;
  done: boolean;
}

const ids = new WeakMap<object, number>();
let nextId = 1;

function identity(o: object): number {
  let id = ids.get(o);
  if (id === undefined) ids.set(o, (id = nextId++));
  return id;
}

/** A key for "the same arguments": values compare by content, functions and objects with a class by identity. */
export function argKey(a: unknown): string {
  if (a === undefined) return 'u';
  if (a === null) return 'n';
  switch (typeof a) {
    case 'string':
      return JSON.stringify(a);
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof a}:${String(a)}`;
    case 'object': {
      if (a instanceof Uint8Array) return `b:${JSON.stringify(byteString(a))}`;
      if (Array.isArray(a)) return `[${a.map(argKey).join(',')}]`;
      const proto = Object.getPrototypeOf(a) as unknown;
      if (proto === Object.prototype || proto === null) {
        const entries = Object.entries(a as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
        return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${argKey(v)}`).join(',')}}`;
      }
      return `#${identity(a)}`;
    }
    default:
      return `#${identity(a)}`;
  }
}

export class PendingOps {
  private readonly byOwner = new WeakMap<object, Map<string, Entry>>();

  /** Number of operations started in non-blocking mode whose result was not collected yet. */
  count(owner: object): number {
    return this.byOwner.get(owner)?.size ?? 0;
  }

  /** Run `op` as `owner.method(...args)` under the blocking rules above. */
  async run<T>(ctx: IoContext, owner: object, method: string, args: readonly unknown[], op: () => Promise<T>, opts: IoOptions = {}): Promise<T | undefined> {
    let ops = this.byOwner.get(owner);
    const key = `${method}(${args.map(argKey).join(',')})`;
    let entry = ops?.get(key);
    if (!entry) {
      if (ctx.blocking) return this.deliver(ctx, op, opts);
      const promise = (async () => op())();
      const e: Entry = { promise, done: false };
      promise.then(
        () => void (e.done = true),
        () => void (e.done = true),
      );
      entry = e;
      if (!ops) this.byOwner.set(owner, (ops = new Map<string, Entry>()));
      ops.set(key, entry);
    }
    if (!ctx.blocking && !entry.done) {
      await Promise.race([entry.promise.then(noop, noop), nextTurn()]);
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the settle handlers set entry.done during the await
      if (!entry.done) {
        ctx.wouldBlock(opts.direction?.());
        return undefined;
      }
    }
    ops!.delete(key);
    const p = entry.promise as Promise<T>;
    return this.deliver(ctx, () => p, opts);
  }

  private deliver<T>(ctx: IoContext, op: () => Promise<T>, opts: IoOptions): Promise<T | undefined> {
    return attempt(ctx.slot, op, { timeoutMs: ctx.blocking ? ctx.timeoutMs : 0, fallback: opts.fallback, onFail: opts.onFail, clearOnWait: ctx.blocking });
  }
}

function noop(): void {}

/**
 * Wait for `p` in non-blocking mode: true if it settled before the end of this event-loop
 * turn (for operations that keep no result of their own, such as filling a read buffer).
 */
export async function settlesThisTurn(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  const q = p.then(
    () => void (done = true),
    () => void (done = true),
  );
  await Promise.race([q, nextTurn()]);
  return done;
}
