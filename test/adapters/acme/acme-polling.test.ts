import { describe, expect, it } from 'vitest';
import { pollUntil } from '../../../lambda/adapters/acme/acme-polling.js';
import { CaRejectedError, TransientError } from '../../../lambda/domain/errors.js';

/** A clock that the fake sleep moves forward: polling runs in virtual time. */
function virtualTime(start = Date.parse('2030-01-01T00:00:00Z')) {
  let t = start;
  const slept: number[] = [];
  return {
    clock: { now: () => new Date(t) },
    sleep: async (ms: number) => {
      slept.push(ms);
      t += ms;
    },
    slept,
    at: (ms: number) => new Date(start + ms),
  };
}

describe('pollUntil', () => {
  it('polls at the interval until done', async () => {
    const v = virtualTime();
    const states = ['pending', 'pending', 'valid'];
    const result = await pollUntil(async () => states.shift()!, (s) => s === 'valid', {
      intervalMs: 250, deadline: v.at(10_000), clock: v.clock, sleep: v.sleep, waitingFor: 'validate a.test',
    });
    expect(result).toBe('valid');
    expect(v.slept).toEqual([250, 250]);
  });

  it('stops at the deadline with a TransientError saying how long it waited', async () => {
    const v = virtualTime();
    const err = await pollUntil(async () => 'pending', () => false, {
      intervalMs: 1000, deadline: v.at(2500), clock: v.clock, sleep: v.sleep, waitingFor: 'validate a.test',
    }).catch((e) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toBe('the CA did not validate a.test within 3 s');
    expect(v.slept).toEqual([1000, 1000, 500]);
  });

  it('rides over transient poll failures but stops on a refusal', async () => {
    const v = virtualTime();
    let calls = 0;
    const value = await pollUntil(
      async () => {
        calls++;
        if (calls < 3) throw new TransientError('ECONNRESET');
        return 'ready';
      },
      (s) => s === 'ready',
      { intervalMs: 100, deadline: v.at(10_000), clock: v.clock, sleep: v.sleep, waitingFor: 'x' },
    );
    expect(value).toBe('ready');

    const refused = new CaRejectedError('no');
    await expect(
      pollUntil(async () => { throw refused; }, () => true, { intervalMs: 100, deadline: v.at(10_000), clock: v.clock, sleep: v.sleep, waitingFor: 'x' }),
    ).rejects.toBe(refused);

    const lastCause = await pollUntil(async () => { throw new TransientError('socket hang up'); }, () => true, {
      intervalMs: 100, deadline: v.at(300), clock: v.clock, sleep: v.sleep, waitingFor: 'issue the certificate',
    }).catch((e) => e);
    expect(lastCause.message).toContain('last poll: socket hang up');
    expect(lastCause.cause).toBeInstanceOf(TransientError);
  });
});
