import { describe, expect, it } from 'vitest';
import { backoffDelay, withRetry } from '../../lambda/adapters/backoff.js';

/** A clock that moves only when the code under test sleeps. */
function virtualTime(start = 0) {
  let now = start;
  const waits: number[] = [];
  return {
    clock: { now: () => new Date(now) },
    sleep: async (ms: number) => {
      waits.push(ms);
      now += ms;
    },
    waits,
  };
}

const failing = (failures: number, error: unknown = new Error('busy')) => {
  let calls = 0;
  return {
    fn: async () => {
      calls++;
      if (calls <= failures) throw error;
      return calls;
    },
    calls: () => calls,
  };
};

describe('backoffDelay', () => {
  it('grows exponentially up to the cap, with full jitter', () => {
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(a, 100, 500, () => 0.999999))).toEqual([100, 200, 400, 500, 500]);
    expect(backoffDelay(3, 100, 500, () => 0)).toBe(0);
  });
});

describe('withRetry', () => {
  it('retries retryable errors until success', async () => {
    const t = virtualTime();
    const op = failing(2);
    const result = await withRetry(op.fn, { isRetryable: () => true, ...t, maxAttempts: 5, baseMs: 100, capMs: 1000, random: () => 0.5 });
    expect(result).toBe(3);
    expect(t.waits).toEqual([50, 100]);
  });

  it('rethrows a non-retryable error at once', async () => {
    const t = virtualTime();
    const op = failing(1, new Error('bad input'));
    await expect(withRetry(op.fn, { isRetryable: () => false, ...t, maxAttempts: 5, baseMs: 100, capMs: 1000 })).rejects.toThrow('bad input');
    expect(op.calls()).toBe(1);
  });

  it('stops after maxAttempts with the last error', async () => {
    const t = virtualTime();
    const op = failing(10);
    await expect(withRetry(op.fn, { isRetryable: () => true, ...t, maxAttempts: 3, baseMs: 10, capMs: 10 })).rejects.toThrow('busy');
    expect(op.calls()).toBe(3);
  });

  it('never waits past the deadline', async () => {
    const t = virtualTime(0);
    const op = failing(10);
    await expect(
      withRetry(op.fn, {
        isRetryable: () => true,
        ...t,
        deadline: new Date(1000),
        maxAttempts: 100,
        baseMs: 400,
        capMs: 400,
        random: () => 0.999,
      }),
    ).rejects.toThrow('busy');
    // Waits of ~400 ms: two fit before t=1000, the third would end after it.
    expect(op.calls()).toBe(3);
    expect(t.clock.now().getTime()).toBeLessThan(1000);
  });
});
