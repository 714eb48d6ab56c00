/**
 * Which methods a user must pass (sshd's AuthenticationMethods) and how long a failed
 * attempt takes (sshd's per-user minimum failure delay).
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { SshError } from '../errors.js';
import { readBE32 } from '../wire/bytes.js';

/** Methods the userauth server implements (RFC 4252 §5, RFC 4256). */
export const SERVER_AUTH_METHODS = ['publickey', 'password', 'keyboard-interactive', 'hostbased', 'none'] as const;

/**
 * Parse sshd's AuthenticationMethods value: space-separated lists of comma-separated
 * methods, each list a way to log in whose methods must all succeed in order.
 * "any" means a single method of any kind.
 * @example parseAuthenticationMethods('publickey,password publickey,keyboard-interactive')
 * // [['publickey', 'password'], ['publickey', 'keyboard-interactive']]
 */
export function parseAuthenticationMethods(value: string): string[][] | null {
  const trimmed = value.trim();
  if (trimmed === 'any') return null;
  const lists = trimmed.split(/\s+/).map((l) => l.split(','));
  for (const list of lists) {
    for (const m of list) {
      // sshd accepts "keyboard-interactive:bsdauth" style submethods; puressh has none, so the bare name.
      const name = m.split(':')[0]!;
      if (!(SERVER_AUTH_METHODS as readonly string[]).includes(name) || name === 'none') {
        throw new SshError('INVAL', `AuthenticationMethods: unknown or unusable method "${m}"`);
      }
    }
  }
  return lists.map((l) => l.map((m) => m.split(':')[0]!));
}

/**
 * Progress through AuthenticationMethods (OpenSSH auth2.c): the lists still possible, each
 * without the methods already passed. Without lists, any one enabled method logs in.
 */
export class MethodPlan {
  private remaining: string[][];

  constructor(
    lists: readonly (readonly string[])[] | null,
    private readonly enabled: readonly string[],
  ) {
    // A list naming a method that is not enabled can never complete (sshd refuses such a config).
    const usable = (lists ?? enabled.map((m) => [m])).filter((l) => l.every((m) => enabled.includes(m)));
    this.remaining = usable.map((l) => [...l]);
  }

  /** The methods that may come next, as USERAUTH_FAILURE lists them ("none" never is, RFC 4252 §5.2). */
  get next(): string[] {
    const out: string[] = [];
    for (const l of this.remaining) if (l[0] !== undefined && l[0] !== 'none' && !out.includes(l[0])) out.push(l[0]);
    return out;
  }

  allows(method: string): boolean {
    return this.remaining.some((l) => l[0] === method);
  }

  /** `method` succeeded: true when some list is now complete (authenticated), false for partial success. */
  pass(method: string): boolean {
    this.remaining = this.remaining.filter((l) => l[0] === method).map((l) => l.slice(1));
    return this.remaining.some((l) => l.length === 0);
  }
}

/**
 * sshd's failure delay (auth2.c user_specific_delay): a failed attempt takes at least
 * `base` ms plus up to `spread` ms derived from a hash of a per-server secret and the user
 * name, so every user has a stable delay and timing does not tell existing users from
 * others. Returns the delay for `username` in ms.
 */
export function userSpecificDelay(secret: Uint8Array, base = 5, spread = 4): (username: string) => number {
  return (username) => {
    const name = new TextEncoder().encode(username);
    const input = new Uint8Array(secret.length + name.length);
    input.set(secret);
    input.set(name, secret.length);
    const h = sha512(input);
    return base + (readBE32(h, 0) / 0x100000000) * spread;
  };
}

/**
 * How long to still wait so that an attempt started at `start` takes at least `delay` ms;
 * an attempt that already took longer waits until the next multiple (sshd's
 * ensure_minimum_time_since doubles the delay until it exceeds the elapsed time).
 */
export function remainingDelay(elapsed: number, delay: number): number {
  if (delay <= 0) return 0;
  let d = delay;
  while (d < elapsed) d *= 2;
  return d - elapsed;
}
