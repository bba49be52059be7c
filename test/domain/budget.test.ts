import { describe, expect, it } from 'vitest';
import { BUDGET_LIMITS, OrderBudget, byPriority, memoryBudgetStore, registeredDomain, withCaLimits } from '../../lambda/domain/budget.js';
import { LETS_ENCRYPT_STAGING, type CertificateRecord } from '../../lambda/domain/model.js';
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
    expect(store.counts[`domain|${DIR} example.com|2026-12-03`]).toBe(1);
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
    expect(store.counts).toEqual({ [`orders|${account}|2026-12-03T12:00`]: 4, [`domain|${DIR} example.com|2026-12-03`]: 4, 'imports|2026-12-03': 1 });
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

describe('the order budget per CA', () => {
  const OTHER = 'https://acme.enterprise-ca.example/v2/directory';
  const bucketNow = '2026-12-03T12:00';
  const day = '2026-12-03';
  /** A store where `directoryUrl`'s account placed `orders` in 3 h and `domainCount` new example.com certificates this week. */
  const spent = (directoryUrl: string, orders: number, domainCount: number, eab?: string) =>
    memoryBudgetStore({ [`orders|${RateLimitGate.key(directoryUrl, eab)}|${bucketNow}`]: orders, [`domain|${directoryUrl} example.com|${day}`]: domainCount });
  const at = (directoryUrl: string, id = 'next') => record(id, { directoryUrl });

  it("holds Let's Encrypt production to 300 orders per account and 50 new certificates per domain", async () => {
    expect(await new OrderBudget(spent(DIR, 299, 49), () => t0).refusal(at(DIR))).toBeUndefined();
    expect((await new OrderBudget(spent(DIR, 300, 0), () => t0).refusal(at(DIR)))?.reason).toBe(`300 new orders in 3 h for ${DIR} (budget 300)`);
    expect((await new OrderBudget(spent(DIR, 0, 50), () => t0).refusal(at(DIR)))?.reason).toBe('50 new certificates in 7 days for example.com (budget 50)');
  });

  it("holds Let's Encrypt staging to its own published limits: 1,500 orders, 30,000 new certificates per domain", async () => {
    expect(await new OrderBudget(spent(LETS_ENCRYPT_STAGING, 1499, 29_999), () => t0).refusal(at(LETS_ENCRYPT_STAGING))).toBeUndefined();
    expect((await new OrderBudget(spent(LETS_ENCRYPT_STAGING, 1500, 0), () => t0).refusal(at(LETS_ENCRYPT_STAGING)))?.reason).toMatch(/budget 1500\)$/);
    expect((await new OrderBudget(spent(LETS_ENCRYPT_STAGING, 0, 30_000), () => t0).refusal(at(LETS_ENCRYPT_STAGING)))?.reason).toMatch(/budget 30000\)$/);
  });

  it('counts the orders of a CA without known limits, shows them, and never refuses one', async () => {
    const store = spent(OTHER, 10_000, 5_000);
    const budget = new OrderBudget(store, () => t0);
    expect(await budget.refusal(at(OTHER))).toBeUndefined();
    await budget.noteOrder(at(OTHER));
    await budget.flush();
    expect(store.counts[`orders|${RateLimitGate.key(OTHER, undefined)}|${bucketNow}`]).toBe(10_001);
    expect(store.counts[`domain|${OTHER} example.com|${day}`]).toBe(5_001);
    const status = await budget.status();
    expect(status.accounts).toEqual([{ name: OTHER, used: 10_001, limit: undefined, window: '3 h' }]);
    expect(status.domains).toEqual([{ name: 'example.com', used: 5_001, limit: undefined, window: '7 days', directoryUrl: OTHER }]);
  });

  it("enforces a configured CA's limits, per EAB account for orders", async () => {
    const configured = { [OTHER]: { ordersPer3Hours: 100, certificatesPerDomainPerWeek: 200 } };
    const full = withCaLimits(spent(OTHER, 100, 0, 'eab/a'), configured);
    expect(await new OrderBudget(full, () => t0).refusal(at(OTHER, 'x'))).toBeUndefined(); // another account (no EAB)
    expect((await new OrderBudget(full, () => t0).refusal(record('x', { directoryUrl: OTHER, eabSecretId: 'eab/a' })))?.reason).toMatch(/^100 new orders in 3 h .*\(budget 100\)$/);
    const domainFull = withCaLimits(spent(OTHER, 0, 200), configured);
    expect((await new OrderBudget(domainFull, () => t0).refusal(at(OTHER)))?.reason).toBe('200 new certificates in 7 days for example.com (budget 200)');
    expect((await new OrderBudget(domainFull, () => t0).status()).domains[0]).toMatchObject({ used: 200, limit: 200 });
  });

  it("lets a configured override of Let's Encrypt's limits win, key by key", async () => {
    const raised = { [DIR]: { ordersPer3Hours: 1000 } };
    expect(await new OrderBudget(withCaLimits(spent(DIR, 999, 0), raised), () => t0).refusal(at(DIR))).toBeUndefined();
    expect((await new OrderBudget(withCaLimits(spent(DIR, 1000, 0), raised), () => t0).refusal(at(DIR)))?.reason).toMatch(/\(budget 1000\)$/);
    // The per-domain limit was not given: Let's Encrypt's 50 stays.
    expect((await new OrderBudget(withCaLimits(spent(DIR, 0, 50), raised), () => t0).refusal(at(DIR)))?.reason).toMatch(/\(budget 50\)$/);
    expect((await new OrderBudget(withCaLimits(spent(DIR, 5, 0), raised), () => t0).status()).accounts[0].limit).toBe(1000);
  });

  it("keeps a domain's count per CA: another CA's certificates take nothing from Let's Encrypt's 50", async () => {
    const store = memoryBudgetStore({ [`domain|${OTHER} example.com|${day}`]: 200, [`domain|${LETS_ENCRYPT_STAGING} example.com|${day}`]: 60 });
    const budget = new OrderBudget(store, () => t0);
    expect(await budget.refusal(at(DIR))).toBeUndefined();
    expect((await budget.status()).domains.map((d) => [d.directoryUrl, d.used, d.limit])).toEqual([
      [OTHER, 200, undefined],
      [LETS_ENCRYPT_STAGING, 60, 30000],
    ]);
  });

  it("reads domain counts written before they were per CA as Let's Encrypt production's, and drops them when they leave the window", async () => {
    const store = memoryBudgetStore({ 'domain|example.com|2026-12-01': 50, 'domain|example.org|2026-11-20': 9 });
    const budget = new OrderBudget(store, () => t0);
    expect((await budget.refusal(at(DIR)))?.reason).toMatch(/50 new certificates in 7 days for example\.com/);
    expect(await budget.refusal(at(OTHER))).toBeUndefined();
    expect((await budget.status()).domains).toEqual([{ name: 'example.com', used: 50, limit: 50, window: '7 days', directoryUrl: DIR }]);
    expect(store.counts).toEqual({ 'domain|example.com|2026-12-01': 50 });
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
