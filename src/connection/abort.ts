/**
 * Cancellation for connection-layer operations: every async operation takes an
 * optional `AbortSignal` and/or a timeout in ms. Aborting rejects the caller's promise and
 * leaves the channel usable: a read that is aborted consumes no data, a queued write that is
 * aborted sends nothing (one already sending stops between packets).
 */
import { SshError, TimeoutError } from '../errors.js';

/** Options every waiting operation takes: an AbortSignal and a timeout. */
export interface OperationOptions {
  /** abort the operation when this signal fires */
  signal?: AbortSignal;
  /** fail with a TimeoutError after this many ms (0 or undefined: no timeout) */
  timeout?: number;
}

/** The operation was cancelled through its AbortSignal; `cause` is the signal's reason. */
export class AbortError extends SshError {
  override name = 'AbortError';
  constructor(message: string, cause?: unknown) {
    // libssh2 has no "cancelled" code; a cancelled blocking call is closest to a timeout.
    super('TIMEOUT', message, { cause });
  }
}

/** The error an aborted signal stands for: its reason when that is an SshError. */
export function abortReason(signal: AbortSignal, what: string): SshError {
  const reason: unknown = signal.reason;
  if (reason instanceof SshError) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') return new TimeoutError(`${what} timed out`);
  return new AbortError(`${what} aborted`, reason);
}

/** Throw if `signal` has already fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw abortReason(signal, what);
}

/**
 * `promise`, unless the signal fires or the timeout passes first; then the result rejects and
 * `onAbort` runs (to undo whatever the operation left pending). `defaultTimeout` applies
 * when the options give neither a signal nor a timeout.
 */
export function abortable<T>(promise: Promise<T>, what: string, options?: OperationOptions, defaultTimeout?: number, onAbort?: () => void): Promise<T> {
  const signal = options?.signal;
  const timeout = options?.timeout ?? (signal ? undefined : defaultTimeout);
  if (!signal && !(timeout !== undefined && timeout > 0)) return promise;
  return new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let done = false;
    const finish = (): boolean => {
      if (done) return false;
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onSignal);
      return true;
    };
    const cancel = (err: SshError): void => {
      if (!finish()) return;
      try {
        onAbort?.();
      } finally {
        reject(err);
      }
    };
    const onSignal = (): void => cancel(abortReason(signal!, what));
    if (signal?.aborted) {
      onSignal();
      return;
    }
    signal?.addEventListener('abort', onSignal, { once: true });
    if (timeout !== undefined && timeout > 0) {
      timer = setTimeout(() => cancel(new TimeoutError(`${what} timed out after ${timeout} ms`)), timeout);
    }
    promise.then(
      (v) => {
        if (finish()) resolve(v);
      },
      (e: unknown) => {
        if (finish()) reject(e);
      },
    );
  });
}
