import { describe, expect, it } from 'vitest';
import { LeaseHeldError } from '../../lambda/domain/errors.js';
import { retrying, settlesWithin, untilAborted, withTimeout } from '../../lambda/domain/promises.js';

const later = <T>(ms: number, value: T) => new Promise<T>((r) => setTimeout(() => r(value), ms));

describe('promise helpers', () => {
  it('withTimeout gives the value in time, undefined after', async () => {
    expect(await withTimeout(later(5, 'v'), 200)).toBe('v');
    expect(await withTimeout(later(200, 'v'), 5)).toBeUndefined();
  });

  it('settlesWithin counts a rejection as settled', async () => {
    expect(await settlesWithin(Promise.reject(new Error('x')), 50)).toBe(true);
    expect(await settlesWithin(new Promise(() => undefined), 20)).toBe(false);
  });

  it('untilAborted rejects with the given error as soon as the signal aborts, and passes results through otherwise', async () => {
    const stop = new AbortController();
    const waiting = untilAborted(new Promise(() => undefined), stop.signal, () => new Error('stopped'));
    stop.abort();
    await expect(waiting).rejects.toThrow('stopped');
    await expect(untilAborted(later(5, 'v'), new AbortController().signal, () => new Error('no'))).resolves.toBe('v');
    await expect(untilAborted(later(5, 'v'), stop.signal, () => new Error('already'))).rejects.toThrow('already');
  });

  it('retrying stops at the first success, and at once on a lost lease', async () => {
    let calls = 0;
    expect(await retrying(3, async () => { if (++calls < 2) throw new Error('blip'); })).toBe(true);
    expect(calls).toBe(2);
    let leaseCalls = 0;
    const lost = new LeaseHeldError('gone');
    expect(await retrying(3, async () => { leaseCalls++; throw lost; })).toBe(lost);
    expect(leaseCalls).toBe(1);
  });
});
