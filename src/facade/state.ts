/**
 * Net::SSH2's error slot: the last libssh2 error code and message of a session, and the
 * last SFTP status of an SFTP object. Set by every failing method, never cleared by later
 * successful calls (as libssh2 does), read with `error()`.
 */
import { LIBSSH2_ERROR, SshError, type ErrorCode } from '../errors.js';
import { SftpError } from '../sftp/errors.js';

export class ErrorSlot {
  code = 0;
  message = '';
  /** the SFTP status of the last SftpError (for `SFTP::error`) */
  fx = 0;

  set(code: number, message: string): void {
    this.code = code;
    this.message = message;
  }

  /** Record a failure thrown by the core; anything that is not an SshError becomes `fallback`. */
  fail(e: unknown, fallback: ErrorCode = 'PROTO'): void {
    if (e instanceof SftpError) this.fx = e.status;
    if (e instanceof SshError) this.set(e.errno, e.message);
    else this.set(LIBSSH2_ERROR[fallback], e instanceof Error ? e.message : String(e));
  }
}

/**
 * Run `op`; on a throw record it in `slot` and resolve undefined: Perl's "undef on failure".
 * A session timeout (`timeout()`, ms) turns a long wait into LIBSSH2_ERROR_TIMEOUT;
 * `onFail` sees the failure after it was recorded.
 */
export async function attempt<T>(slot: ErrorSlot, op: () => Promise<T>, timeoutMs = 0, fallback: ErrorCode = 'PROTO', onFail?: (e: unknown) => void): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const p = op();
    if (timeoutMs > 0) {
      const t = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new SshError('TIMEOUT', 'API timeout expired')), timeoutMs);
      });
      return await Promise.race([p, t]);
    }
    return await p;
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
  if (args.length === 1 && args[0] !== null && typeof args[0] === 'object' && !(args[0] instanceof Uint8Array)) return Object.entries(args[0] as Record<string, unknown>);
  const out: [string, unknown][] = [];
  for (let i = 0; i + 1 < args.length; i += 2) out.push([String(args[i]), args[i + 1]]);
  return out;
}
