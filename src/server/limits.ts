/**
 * sshd's connection limits before authentication: MaxStartups (random early drop of
 * unauthenticated connections) and PerSourcePenalties (sshd 9.8: sources whose connections
 * keep failing are refused for a while).
 */
import { SshError } from '../errors.js';

/** MaxStartups start:rate:full (sshd default 10:30:100). */
export interface MaxStartups {
  start: number;
  /** percent chance of dropping at `start` unauthenticated connections, rising linearly to 100 at `full` */
  rate: number;
  full: number;
}

/** Parse "start:rate:full" (or a single number: drop everything beyond it). */
export function parseMaxStartups(value: string): MaxStartups {
  const parts = value.split(':').map((p) => Number(p));
  if (parts.some((n) => !Number.isInteger(n) || n < 0)) throw new SshError('INVAL', `bad MaxStartups "${value}"`);
  if (parts.length === 1) return { start: parts[0]!, rate: 100, full: parts[0]! };
  if (parts.length !== 3 || parts[1]! > 100 || parts[0]! > parts[2]!) throw new SshError('INVAL', `bad MaxStartups "${value}"`);
  return { start: parts[0]!, rate: parts[1]!, full: parts[2]! };
}

/**
 * sshd's drop decision (sshd.c should_drop_connection): with `unauthenticated` connections
 * already waiting, drop the next one always at `full`, never below `start`, and in between
 * with a probability rising from `rate` % to 100 %. `random` is uniform in [0, 1).
 */
export function shouldDrop(limits: MaxStartups, unauthenticated: number, random: number): boolean {
  if (unauthenticated >= limits.full) return true;
  if (unauthenticated < limits.start) return false;
  const p = limits.rate + ((100 - limits.rate) * (unauthenticated - limits.start)) / Math.max(1, limits.full - limits.start);
  return random * 100 < p;
}

/** What a connection did wrong, as PerSourcePenalties counts it. */
export type PenaltyKind = 'authfail' | 'noauth' | 'grace-exceeded';

/**
 * PerSourcePenalties, simplified: penalty seconds per event (sshd 9.8 defaults authfail:5
 * noauth:1 grace-exceeded:10), added up per source address (the whole address: no
 * prefix grouping), capped at `max`; a source is refused while it has `min` or more seconds
 * of penalty left. At most `maxSources` sources are tracked (the oldest are forgotten).
 */
export interface PenaltyOptions {
  authfail?: number;
  noauth?: number;
  graceExceeded?: number;
  max?: number;
  min?: number;
  maxSources?: number;
  /** sources never penalised (sshd's PerSourcePenaltyExemptList) */
  exempt?: (address: string) => boolean;
}

/** Penalties by source address; times are milliseconds from the server's clock. */
export class SourcePenalties {
  private readonly until = new Map<string, number>();
  private readonly o: Required<Omit<PenaltyOptions, 'exempt'>> & Pick<PenaltyOptions, 'exempt'>;

  constructor(options: PenaltyOptions = {}) {
    this.o = {
      authfail: options.authfail ?? 5,
      noauth: options.noauth ?? 1,
      graceExceeded: options.graceExceeded ?? 10,
      max: options.max ?? 600,
      min: options.min ?? 15,
      maxSources: options.maxSources ?? 65536,
      exempt: options.exempt,
    };
  }

  /** Whether connections from `address` are refused now. */
  blocked(address: string, now: number): boolean {
    const until = this.until.get(address);
    if (until === undefined) return false;
    if (until <= now) {
      this.until.delete(address);
      return false;
    }
    return until - now >= this.o.min * 1000;
  }

  /** Record an event against `address`. */
  penalise(address: string, kind: PenaltyKind, now: number): void {
    if (this.o.exempt?.(address)) return;
    const seconds = kind === 'authfail' ? this.o.authfail : kind === 'noauth' ? this.o.noauth : this.o.graceExceeded;
    if (seconds <= 0) return;
    const current = this.until.get(address);
    const base = current !== undefined && current > now ? current : now;
    const next = Math.min(base + seconds * 1000, now + this.o.max * 1000);
    this.until.delete(address);
    this.until.set(address, next);
    // Map keeps insertion order: the first key is the least recently penalised.
    while (this.until.size > this.o.maxSources) this.until.delete(this.until.keys().next().value!);
  }
}
