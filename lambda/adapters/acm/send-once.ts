/**
 * Makes one SDK command go out at most once, whatever retry policy the client was built with.
 *
 * Why: a first ImportCertificate is not idempotent. When ACM commits an import and then answers 5xx (or
 * the connection breaks), an SDK retry imports again and ACM keeps two certificates with the same
 * `certbeat:id` tag, of which only the last ARN is recorded. The adapter must not rely on the caller
 * having built the client with `maxAttempts: 1`, so it removes retrying from this one command.
 *
 * How: SDK v3 has no per-call retry option, but a command's own middleware stack is merged over the
 * client's, and a middleware added with the same name and `override: true` replaces the client's one for
 * that command only. `retryMiddleware` (step `finalizeRequest`, priority `high`) is replaced by a
 * pass-through. Should a future SDK rename it, the override would silently add a second middleware; a
 * guard inside the retry loop therefore refuses any second attempt, so one request is still all ACM sees.
 */

/** The part of an SDK command this needs: its middleware stack (typed loosely to stay SDK-version proof). */
interface WithMiddlewareStack {
  middlewareStack: { add(middleware: unknown, options: Record<string, unknown>): void };
}

type Next = (args: unknown) => Promise<unknown>;

/** Thrown by the guard instead of a second attempt; carries the first attempt's error. */
export class SecondAttemptRefused extends Error {
  /** Not `cause`: the SDK's retry classification follows `cause`, and this must not look retryable. */
  readonly firstAttemptError: unknown;
  constructor(firstAttemptError: unknown) {
    super('certbeat sends this request once: a retry was refused');
    this.name = 'CertbeatSecondAttemptRefused';
    this.firstAttemptError = firstAttemptError;
  }
}

/** The error the first (only) attempt failed with: unwraps the guard's refusal. */
export function firstAttemptError(e: unknown): unknown {
  return e instanceof SecondAttemptRefused ? e.firstAttemptError : e;
}

/** Returns the command, changed so that sending it makes at most one HTTP request. */
export function sendOnce<C extends WithMiddlewareStack>(command: C): C {
  command.middlewareStack.add((next: Next) => (args: unknown) => next(args), {
    name: 'retryMiddleware',
    tags: ['RETRY'],
    step: 'finalizeRequest',
    priority: 'high',
    override: true,
  });
  let attempts = 0;
  let first: unknown;
  command.middlewareStack.add(
    (next: Next) => async (args: unknown) => {
      attempts++;
      if (attempts > 1) throw new SecondAttemptRefused(first);
      try {
        return await next(args);
      } catch (e) {
        first = e;
        throw e;
      }
    },
    { name: 'certbeatSendOnceGuard', step: 'finalizeRequest', priority: 'low' },
  );
  return command;
}
