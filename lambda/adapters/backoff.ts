/**
 * Retries with exponential backoff and full jitter, bounded by a deadline and an attempt count.
 */
import type { Clock } from '../domain/ports.js';

export interface RetryOptions {
  isRetryable: (e: unknown) => boolean;
  clock: Clock;
  sleep: (ms: number) => Promise<void>;
  /** No retry is started whose wait would end at or after this time. */
  deadline?: Date;
  /** Total attempts, the first included. */
  maxAttempts: number;
  /** First wait's upper bound; doubles per attempt up to `capMs`. */
  baseMs: number;
  capMs: number;
  /** In [0, 1); injectable for tests. */
  random?: () => number;
  /** Called before each wait (for logging). */
  onRetry?: (e: unknown, attempt: number, waitMs: number) => void;
}

/** The wait before retry number `attempt` (1-based): uniform in [0, min(cap, base·2^(attempt-1))]. */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** (attempt - 1));
  return Math.round(random() * ceiling);
}

/** Runs `fn` until it succeeds, throws a non-retryable error, or attempts/deadline run out (last error rethrown). */
export async function withRetry<T>(fn: () => Promise<T>, o: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!o.isRetryable(e) || attempt >= o.maxAttempts) throw e;
      const wait = backoffDelay(attempt, o.baseMs, o.capMs, o.random);
      if (o.deadline && o.clock.now().getTime() + wait >= o.deadline.getTime()) throw e;
      o.onRetry?.(e, attempt, wait);
      await o.sleep(wait);
    }
  }
}
