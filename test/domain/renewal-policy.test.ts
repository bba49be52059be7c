import { describe, expect, it } from 'vitest';
import type { CertificateRecord } from '../../lambda/domain/model.js';
import {
  ARI_CHECK_INTERVAL_MS,
  ARI_EARLY_MS,
  decide,
  mayAskAri,
  nextAttemptAfterFailure,
  nextLookAt,
  renewalTime,
  shouldMailFailure,
  urgency,
} from '../../lambda/domain/renewal-policy.js';

const DAY = 86_400_000;
const t0 = new Date('2026-11-24T12:00:00Z');
const at = (days: number) => new Date(t0.getTime() + days * DAY);

function issued(lifetimeDays: number, issuedDaysAgo: number, extra: Partial<CertificateRecord> = {}): CertificateRecord {
  return {
    id: 'web',
    names: ['example.com', '*.example.com'],
    issuedNames: ['example.com', '*.example.com'],
    zones: {},
    directoryUrl: 'https://acme.test/dir',
    keyType: 'ec256',
    owners: [],
    status: 'active',
    acmArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc',
    notBefore: at(-issuedDaysAgo).toISOString(),
    notAfter: at(lifetimeDays - issuedDaysAgo).toISOString(),
    failureCount: 0,
    nextCheckAt: t0.toISOString(),
    ...extra,
  };
}

describe('decide', () => {
  it('is due when never issued', () => {
    const d = decide({ ...issued(90, 1), acmArn: undefined, notAfter: undefined }, t0);
    expect(d).toMatchObject({ due: true, reason: 'never-issued' });
  });

  it('is due when the configured names differ from the issued ones', () => {
    const d = decide(issued(90, 1, { names: ['example.com', '*.example.com', 'shop.example.com'] }), t0);
    expect(d).toMatchObject({ due: true, reason: 'names-changed' });
  });

  it('treats a change of letter case as no change of names', () => {
    expect(decide(issued(90, 1, { names: ['Example.com', '*.example.COM'] }), t0).due).toBe(false);
  });

  it('renews a 90-day certificate when a third of its lifetime (30 days) remains', () => {
    expect(decide(issued(90, 59), t0).due).toBe(false);
    expect(decide(issued(90, 60), t0)).toMatchObject({ due: true, reason: 'renewal-window' });
  });

  it('follows shorter lifetimes: a 47-day certificate renews with about 15.7 days left', () => {
    const r = issued(47, 0);
    expect(renewalTime(r).time.getTime()).toBeCloseTo(at(47 - 47 / 3).getTime(), -3);
  });

  it('renews a 6-day certificate at half-life', () => {
    expect(decide(issued(6, 2.9), t0).due).toBe(false);
    expect(decide(issued(6, 3), t0)).toMatchObject({ due: true, reason: 'renewal-window' });
  });

  it('follows the CA\u2019s ARI window over the lifetime rule', () => {
    const window = { start: at(-1).toISOString(), end: at(-0.5).toISOString() };
    // Far from the lifetime rule, but the CA asks for renewal now (e.g. revocation pending).
    expect(decide(issued(90, 5, { renewalWindow: window }), t0)).toMatchObject({ due: true, reason: 'ari-window' });
    const later = { start: at(10).toISOString(), end: at(12).toISOString() };
    const d = decide(issued(90, 65, { renewalWindow: later }), t0);
    expect(d.due).toBe(false);
  });

  it('spreads certificates across the ARI window, stably per id', () => {
    const window = { start: at(0).toISOString(), end: at(2).toISOString() };
    const times = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => renewalTime({ ...issued(90, 0), id, renewalWindow: window }).time.getTime());
    for (const t of times) {
      expect(t).toBeGreaterThanOrEqual(at(0).getTime());
      expect(t).toBeLessThan(at(2).getTime());
    }
    expect(new Set(times).size).toBeGreaterThan(3);
    expect(renewalTime({ ...issued(90, 0), id: 'a', renewalWindow: window }).time.getTime()).toBe(times[0]);
  });

  it('is due when forced, even far from expiry', () => {
    expect(decide(issued(90, 1, { forceRenewal: true }), t0)).toMatchObject({ due: true, reason: 'forced' });
  });

  it('never renews a paused certificate', () => {
    expect(decide(issued(90, 89, { status: 'paused' }), t0)).toMatchObject({ due: false, reason: 'paused' });
  });

  it('respects the retry ladder after a failure', () => {
    const waiting = issued(90, 70, { failureCount: 2, nextCheckAt: at(0.1).toISOString() });
    expect(decide(waiting, t0)).toMatchObject({ due: false, reason: 'scheduled' });
    expect(decide({ ...waiting, nextCheckAt: t0.toISOString() }, t0)).toMatchObject({ due: true, reason: 'retry' });
  });

  it('schedules the next look at the renewal time, at most a little under a day away (before the next daily run)', () => {
    const d = decide(issued(90, 10), t0);
    expect(d.due).toBe(false);
    if (!d.due) expect(d.nextCheckAt.getTime()).toBe(at(23 / 24).getTime());
    const close = decide(issued(90, 59.5), t0);
    if (!close.due) expect(close.nextCheckAt.getTime()).toBe(at(0.5).getTime());
  });
});

describe('nextAttemptAfterFailure', () => {
  it('climbs a ladder that does not hammer the CA', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 20].map((n) => (nextAttemptAfterFailure(n, t0).getTime() - t0.getTime()) / 3_600_000);
    // The last step is under a day, so that it lands before the next daily run rather than just after it.
    expect(delays).toEqual([1, 2, 4, 8, 12, 23, 23, 23]);
  });

  it('waits at most a quarter of the time left, so a short-lived certificate gets tries in', () => {
    const next = nextAttemptAfterFailure(6, t0, { notAfter: at(1).toISOString() });
    expect(next.getTime() - t0.getTime()).toBe(DAY / 4);
  });

  it('honours the CA\u2019s Retry-After', () => {
    expect(nextAttemptAfterFailure(1, t0, { retryAfter: at(3) })).toEqual(at(3));
  });
});

describe('mail escalation', () => {
  it('grows louder as expiry nears', () => {
    expect(urgency(at(20).toISOString(), t0)).toBe('notice');
    expect(urgency(at(13).toISOString(), t0)).toBe('warning');
    expect(urgency(at(6).toISOString(), t0)).toBe('final');
    expect(urgency(undefined, t0)).toBe('notice');
  });

  it('mails the first failure, each escalation, the final week, and every fourth otherwise', () => {
    expect(shouldMailFailure(1, undefined, 'notice')).toBe(true);
    expect(shouldMailFailure(2, 'notice', 'notice')).toBe(false);
    expect(shouldMailFailure(3, 'notice', 'warning')).toBe(true);
    expect(shouldMailFailure(4, 'warning', 'warning')).toBe(true);
    expect(shouldMailFailure(5, 'warning', 'warning')).toBe(false);
    expect(shouldMailFailure(5, 'final', 'final')).toBe(true);
  });
});

describe('the ARI cadence', () => {
  const HOUR = 3_600_000;
  it('looks at a certificate with an ARI id again when the CA may be asked again, before the next 6-hourly check', () => {
    // No Retry-After known: in 6 h less the early margin, so that the check 6 h on finds it due.
    const d = decide(issued(90, 10, { ariCertId: 'aGVsbG8.AQID' }), t0);
    expect(d).toMatchObject({ due: false, reason: 'valid' });
    if (!d.due) expect(d.nextCheckAt.getTime()).toBe(t0.getTime() + ARI_CHECK_INTERVAL_MS - ARI_EARLY_MS);
    // The CA's Retry-After rules when given (LE: 6 h; here 2 h).
    const window = { start: at(40).toISOString(), end: at(42).toISOString(), retryAfter: new Date(t0.getTime() + 2 * HOUR).toISOString() };
    const w = decide(issued(90, 10, { ariCertId: 'aGVsbG8.AQID', renewalWindow: window }), t0);
    if (!w.due) expect(w.nextCheckAt.getTime()).toBe(t0.getTime() + 2 * HOUR - ARI_EARLY_MS);
    expect(w.due).toBe(false);
    // A certificate without an ARI id keeps the daily look.
    expect(nextLookAt({}, at(40), t0).getTime()).toBe(at(23 / 24).getTime());
    // The renewal time comes first when it is nearer.
    expect(nextLookAt({ ariCertId: 'x' }, new Date(t0.getTime() + HOUR), t0).getTime()).toBe(t0.getTime() + HOUR);
  });

  it('asks the CA again only once its Retry-After (less the early margin) has passed', () => {
    const window = { start: at(40).toISOString(), end: at(42).toISOString(), retryAfter: new Date(t0.getTime() + 6 * HOUR).toISOString() };
    expect(mayAskAri(undefined, t0)).toBe(true);
    expect(mayAskAri(window, t0)).toBe(false);
    expect(mayAskAri(window, new Date(t0.getTime() + 6 * HOUR - ARI_EARLY_MS - 1))).toBe(false);
    expect(mayAskAri(window, new Date(t0.getTime() + 6 * HOUR - ARI_EARLY_MS))).toBe(true);
  });

  it('renews at once when a drill moved the window into the past', () => {
    const drill = { start: at(-2).toISOString(), end: at(-1).toISOString() };
    expect(decide(issued(90, 10, { ariCertId: 'x', renewalWindow: drill }), t0)).toMatchObject({ due: true, reason: 'ari-window' });
  });
});
