import { describe, expect, it } from 'vitest';
import { BUDGET_LIMITS, OrderBudget, byPriority, memoryBudgetStore, registeredDomain } from '../../lambda/domain/budget.js';
import type { CertificateRecord } from '../../lambda/domain/model.js';
import { RateLimitGate } from '../../lambda/domain/rate-limit-gate.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const t0 = new Date('2026-12-03T12:05:00.000Z');
const DIR = 'https://acme-v02.api.letsencrypt.org/directory';
const account = RateLimitGate.key(DIR, undefined);

function record(id: string, extra: Partial<CertificateRecord> = {}): CertificateRecord {
  return { id, names: [`${id}.example.com`], zones: {}, directoryUrl: DIR, keyType: 'ec256', owners: [], status: 'active', failureCount: 0, nextCheckAt: t0.toISOString(), ...extra };
}
const issued = (id: string, extra: Partial<CertificateRecord> = {}) =>
  record(id, { acmArn: `arn:aws:acm:eu-west-1:1:certificate/${id}`, issuedNames: [`${id}.example.com`], notBefore: t0.toISOString(), notAfter: new Date(t0.getTime() + 90 * DAY).toISOString(), ...extra });

describe('the order budget', () => {
  it('refuses a new order once the account placed 300 in 3 h, and says when the oldest bucket leaves the window', async () => {
    const store = memoryBudgetStore({ [`orders|${account}|2026-12-03T10:10`]: 100, [`orders|${account}|2026-12-03T12:00`]: 199 });
    const budget = new OrderBudget(store, () => t0);
    expect(await budget.refusal(record('a'))).toBeUndefined();
    await budget.noteOrder(record('a'));
    await budget.flush();
    expect(store.counts[`orders|${account}|2026-12-03T12:00`]).toBe(200);
    const refused = await budget.refusal(record('b'));
    expect(refused?.reason).toMatch(/300 new orders in 3 h/);
    expect(refused?.retryAt.toISOString()).toBe('2026-12-03T13:20:00.000Z');
    // An ARI renewal (replaces) is exempt, and not counted.
    expect(await budget.refusal(issued('c', { ariCertId: 'x.y' }))).toBeUndefined();
    await budget.noteOrder(issued('c', { ariCertId: 'x.y' }));
    await budget.flush();
    expect(store.counts[`orders|${account}|2026-12-03T12:00`]).toBe(200);
  });

  it('counts new certificates per registered domain per week; renewals of the same names are exempt', async () => {
    const store = memoryBudgetStore({ 'domain|example.com|2026-11-28': 49 });
    const budget = new OrderBudget(store, () => t0);
    await budget.noteOrder(record('new'));
    await budget.flush();
    expect(store.counts['domain|example.com|2026-12-03']).toBe(1);
    expect((await budget.refusal(record('another')))?.reason).toMatch(/50 new certificates in 7 days for example\.com/);
    // Same names as issued: a renewal, not held to the per-domain budget.
    expect(await budget.refusal(issued('renewal'))).toBeUndefined();
    expect(await budget.refusal(record('elsewhere', { names: ['www.other.org'] }))).toBeUndefined();
  });

  it('writes a run’s counts in one write per flush, and keeps them for the next flush when that write fails', async () => {
    const store = memoryBudgetStore();
    const writes: Record<string, number>[] = [];
    let failNext = true;
    const budget = new OrderBudget(
      {
        ...store,
        add: async (amounts) => {
          writes.push(amounts);
          if (failNext) {
            failNext = false;
            throw new Error('DynamoDB unavailable');
          }
          await store.add(amounts);
        },
      },
      () => t0,
    );
    for (const id of ['a', 'b', 'c']) await budget.noteOrder(record(id));
    await budget.noteImport();
    // Counted in the run's own view at once, before anything is written.
    expect((await budget.status()).accounts[0].used).toBe(3);
    expect(store.counts).toEqual({});
    await expect(budget.flush()).rejects.toThrow('DynamoDB unavailable');
    await budget.noteOrder(record('d'));
    await budget.flush();
    expect(writes).toHaveLength(2);
    expect(store.counts).toEqual({ [`orders|${account}|2026-12-03T12:00`]: 4, 'domain|example.com|2026-12-03': 4, 'imports|2026-12-03': 1 });
    await budget.flush();
    expect(writes).toHaveLength(2);
  });

  it('reads the counts once for certificates that ask at the same time', async () => {
    const store = memoryBudgetStore({ [`orders|${account}|2026-12-03T08:50`]: 3 });
    let reads = 0;
    let removals = 0;
    const budget = new OrderBudget({ ...store, read: () => (reads++, store.read()), remove: (a) => (removals++, store.remove(a)) }, () => t0);
    const refusals = await Promise.all(['a', 'b', 'c', 'd'].map((id) => budget.refusal(record(id))));
    expect(refusals).toEqual([undefined, undefined, undefined, undefined]);
    expect([reads, removals]).toEqual([1, 1]);
  });

  it('drops buckets that left their window when it reads the counts', async () => {
    const store = memoryBudgetStore({ [`orders|${account}|2026-12-03T08:50`]: 300, 'domain|example.com|2026-11-20': 50, 'imports|2025-11-01': 9 });
    const budget = new OrderBudget(store, () => t0);
    expect(await budget.refusal(record('a'))).toBeUndefined();
    expect(store.counts).toEqual({});
  });

  it('counts imports over 365 days and warns from 80 % of ACM’s 5,000', async () => {
    const store = memoryBudgetStore({ 'imports|2026-01-10': 3000, 'imports|2026-06-01': 999 });
    const budget = new OrderBudget(store, () => t0);
    expect((await budget.status()).warning).toBeUndefined();
    await budget.noteImport();
    await budget.flush();
    const status = await budget.status();
    expect(status.imports).toMatchObject({ used: 4000, limit: BUDGET_LIMITS.acmImports.limit });
    expect(status.warning).toMatch(/4000 certificates were imported by certbeat in 365 days, 80 %/);
  });

  it('reports where each account and domain stands', async () => {
    const store = memoryBudgetStore({ [`orders|${account}|2026-12-03T12:00`]: 7, 'domain|example.com|2026-12-01': 3, 'domain|other.org|2026-12-02': 5 });
    const status = await new OrderBudget(store, () => t0).status();
    expect(status.accounts).toEqual([{ name: DIR, used: 7, limit: 300, window: '3 h' }]);
    expect(status.domains.map((d) => [d.name, d.used])).toEqual([['other.org', 5], ['example.com', 3]]);
  });
});

describe('byPriority', () => {
  it('puts renewals inside an opened ARI window first, then the earliest expiry, never-issued last', () => {
    const soon = issued('soon', { notAfter: new Date(t0.getTime() + 2 * DAY).toISOString() });
    const later = issued('later', { notAfter: new Date(t0.getTime() + 20 * DAY).toISOString() });
    const drilled = issued('drilled', { notAfter: new Date(t0.getTime() + 60 * DAY).toISOString(), renewalWindow: { start: new Date(t0.getTime() - DAY).toISOString(), end: t0.toISOString() } });
    const fresh = record('fresh');
    expect(byPriority([fresh, later, soon, drilled], t0).map((r) => r.id)).toEqual(['drilled', 'soon', 'later', 'fresh']);
  });
});

describe('registeredDomain', () => {
  it('is the last two labels, wildcards and case folded', () => {
    expect(registeredDomain('*.WWW.Example.com')).toBe('example.com');
    expect(registeredDomain('example.com')).toBe('example.com');
  });
});
