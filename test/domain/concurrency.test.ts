import { describe, expect, it } from 'vitest';
import { chunk, limiter, mapLimit } from '../../lambda/domain/concurrency.js';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('mapLimit', () => {
  it('keeps at most `limit` in flight and the input order in the result', async () => {
    let inFlight = 0;
    let most = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      most = Math.max(most, ++inFlight);
      for (let i = 0; i < n; i++) await tick();
      inFlight--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
  });
});

describe('limiter', () => {
  it('lets `limit` run at once, the rest in the order they came, and frees a slot when one throws', async () => {
    const gate = limiter(2);
    let inFlight = 0;
    let most = 0;
    const started: number[] = [];
    const results = await Promise.allSettled(
      [0, 1, 2, 3, 4].map((i) =>
        gate(async () => {
          started.push(i);
          most = Math.max(most, ++inFlight);
          await tick();
          inFlight--;
          if (i === 1) throw new Error('one fails');
          return i;
        }),
      ),
    );
    expect(most).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    // Every slot was given back: a later call runs at once.
    expect(await gate(async () => 'free')).toBe('free');
  });
});

describe('chunk', () => {
  it('splits into consecutive chunks of at most `size`', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
  });
});
