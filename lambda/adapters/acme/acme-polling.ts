/**
 * Polling of ACME objects (orders, authorizations) at a fixed interval up to a deadline.
 *
 * acme-client's own `waitForValidStatus` backs off from 5 s up to 30 s and knows no deadline; a CA
 * such as pebble validates in milliseconds, and a Lambda has a hard end. This polls every
 * `intervalMs`, tolerates transient failures of single polls, and stops at the deadline.
 */
import { CertbeatError, TransientError } from '../../domain/errors.js';
import type { Clock } from '../../domain/ports.js';

export interface PollOptions {
  intervalMs: number;
  deadline: Date;
  clock: Clock;
  /** What we wait for, completing "the CA did not … within N s", e.g. "validate example.com". */
  waitingFor: string;
  /** Sleeps `ms`; injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Calls `fetch` until `done(value)` holds and returns that value. A `TransientError` from one poll is
 * remembered and polling goes on; any other error ends polling. At the deadline it throws a
 * `TransientError` "the CA did not <waitingFor> within N s", with the last transient error as cause.
 */
export async function pollUntil<T>(fetch: () => Promise<T>, done: (value: T) => boolean, opts: PollOptions): Promise<T> {
  const sleep = opts.sleep ?? defaultSleep;
  const started = opts.clock.now().getTime();
  let lastError: CertbeatError | undefined;
  for (;;) {
    try {
      const value = await fetch();
      if (done(value)) return value;
      lastError = undefined;
    } catch (err) {
      if (!(err instanceof TransientError)) throw err;
      lastError = err;
    }
    const left = opts.deadline.getTime() - opts.clock.now().getTime();
    if (left <= 0) {
      const seconds = Math.max(0, Math.round((opts.deadline.getTime() - started) / 1000));
      throw new TransientError(
        `the CA did not ${opts.waitingFor} within ${seconds} s${lastError ? ` (last poll: ${lastError.message})` : ''}`,
        {
          cause: lastError,
          remediation: 'The CA is slow: certbeat retries on the next run; if this repeats, check the CA status page.',
        },
      );
    }
    await sleep(Math.min(opts.intervalMs, left));
  }
}
