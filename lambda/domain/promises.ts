/**
 * Small promise combinators the renewal service needs: a bounded wait, a wait that an abort signal
 * cuts short, and a few retries of a write. Pure: no I/O of their own.
 */
import { LeaseHeldError } from './errors.js';

/** Resolves `undefined` when `promise` takes longer than `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Whether `promise` settles (either way) within `ms`. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const settled = await withTimeout(promise.then(() => true, () => true), ms);
  return settled === true;
}

/** Settles with `promise`, or rejects with `stopped()` as soon as `signal` aborts. */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined, stopped: () => Error): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(stopped());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(stopped());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Runs `fn` up to `attempts` times with a short pause; `true` on success, else the last error. */
export async function retrying(attempts: number, fn: () => Promise<unknown>): Promise<true | unknown> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      await fn();
      return true;
    } catch (e) {
      last = e;
      // A lost lease will not come back: stop at once.
      if (e instanceof LeaseHeldError) break;
      await new Promise((r) => setTimeout(r, 200 * 2 ** i));
    }
  }
  return last;
}
