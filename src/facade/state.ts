/**
 * Net::SSH2's error slot: the last libssh2 error code and message of a session, and the
 * last SFTP status of an SFTP object, read with `error()`. Set by every failing method. As in
 * libssh2, a blocking call that has to wait for the server clears the code and message
 * first, so a failure stays visible until the next call that goes to the network; the SFTP
 * status stays until the next SFTP failure.
 */
import { LIBSSH2_ERROR, SshError, type ErrorCode } from '../errors.js';
import { SftpError } from '../sftp/errors.js';
import { nextTurn } from './node-io.js';

export class ErrorSlot {
  code = 0;
  message = '';
  /** the SFTP status of the last SftpError (for `SFTP::error`) */
  fx = 0;

  set(code: number, message: string): void {
    this.code = code;
    this.message = message;
  }

  /** libssh2's _libssh2_wait_socket: the session error is reset before each wait on the socket. */
  clear(): void {
    this.set(LIBSSH2_ERROR.NONE, '');
  }

  /** Record a failure thrown by the core; anything that is not an SshError becomes `fallback`. */
  fail(e: unknown, fallback: ErrorCode = 'PROTO'): void {
    if (e instanceof SftpError) this.fx = e.status;
    if (e instanceof SshError) this.set(e.errno, e.message);
    else this.set(LIBSSH2_ERROR[fallback], e instanceof Error ? e.message : String(e));
  }
}

export interface AttemptOptions {
  /** a session timeout (`timeout()`, ms; 0: none) turns a longer wait into LIBSSH2_ERROR_TIMEOUT */
  timeoutMs?: number;
  /** the libssh2 code for failures that are not SshErrors */
  fallback?: ErrorCode;
  /** sees the failure after it was recorded */
  onFail?: ((e: unknown) => void) | undefined;
  /** blocking mode: clear the slot if `op` has to wait for the network (does not settle this turn) */
  clearOnWait?: boolean;
}

/** Run `op`; on a throw record it in `slot` and resolve undefined: Perl's "undef on failure". */
export async function attempt<T>(slot: ErrorSlot, op: () => Promise<T>, options: AttemptOptions = {}): Promise<T | undefined> {
  const { timeoutMs = 0, fallback = 'PROTO', onFail, clearOnWait = false } = options;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const p = op();
    const expire = (reject: (e: SshError) => void): void => void (timer = setTimeout(() => reject(new SshError('TIMEOUT', 'API timeout expired')), timeoutMs));
    const t = timeoutMs > 0 ? new Promise<never>((_, reject) => expire(reject)) : null;
    t?.catch(() => {}); // raced below; unobserved when `op` wins
    // nothing to clear on a clean slot: no race, no extra turn
    if (clearOnWait && slot.code !== 0) {
      let settled = false as boolean;
      const done = p.then(
        () => void (settled = true),
        () => void (settled = true),
      );
      await Promise.race([done, nextTurn()]);
      if (!settled) slot.clear();
    }
    return await (t ? Promise.race([p, t]) : p);
  } catch (e) {
    slot.fail(e, fallback);
    onFail?.(e);
    return undefined;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

const latin1 = new TextDecoder('latin1');
const utf8 = new TextEncoder();

/** Perl strings are bytes: accept text (UTF-8 encoded) or bytes. */
export function toBytes(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? utf8.encode(data) : data;
}

/** Bytes → a string of code points 0–255 (one per byte), as Perl's byte strings. */
export function byteString(data: Uint8Array): string {
  return latin1.decode(data);
}

/** key => value pairs given as an object or as a flat list (Perl's hash arguments). */
export function pairs(args: readonly unknown[]): [string, unknown][] {
  if (args.length === 1 && args[0] !== null && typeof args[0] === 'object' && !(args[0] instanceof Uint8Array))
    return Object.entries(args[0] as Record<string, unknown>);
  const out: [string, unknown][] = [];
  for (let i = 0; i + 1 < args.length; i += 2) out.push([String(args[i]), args[i + 1]]);
  return out;
}
