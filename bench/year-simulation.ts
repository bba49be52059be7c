/**
 * A year of renewals in virtual time, driven by the real policy (`decide`, `renewalTime`,
 * `nextAttemptAfterFailure` from lambda/domain/renewal-policy.ts) and a model of what a scheduled run
 * does around it (lambda/domain/renewal-service.ts): look at every certificate whose `nextCheckAt` has
 * come, ask the CA's ARI, renew when due, record the next check or the retry. No I/O, seeded: the same
 * options give the same figures.
 *
 * What is modelled, and what is not:
 * - Scheduled runs every `scheduleHours` (24: certbeat's daily schedule) at a fixed minute. Retries
 *   wait for the next run: the retry ladder's 1 h is a `nextCheckAt`, not a trigger.
 * - Optionally a light check every `lightCheckHours` (issue 8 item 2, `{"action":"ari-check"}`): the
 *   same due query as the daily run. The certificates then carry an ARI id, so the policy looks at each
 *   again when the CA may be asked again (`nextLookAt`: 6 h without a Retry-After), and a certificate
 *   whose renewal time or retry has come is picked up by the next check, not the next day.
 * - The CA offers ARI, but outside the drill its window is absent, so the lifetime rule applies (⅓ left,
 *   ½ under 10 days). On the drill day a share of the fleet gets a window entirely in the past.
 * - Each attempt is one new order; it fails with a Markov chain (a failure makes the next attempt of
 *   that certificate more likely to fail), calibrated so `failureRate` of all attempts fail. A failure
 *   is transient (retried on the ladder).
 * - Issuance completes `latency` after the run starts; the CA backdates notBefore by `backdateMs`
 *   (Let's Encrypt: 1 h). Lambda time limits and per-run concurrency are not modelled.
 */
import { SHORT_LIFETIME_MS, decide, nextAttemptAfterFailure, nextLookAt, renewalTime } from '../lambda/domain/renewal-policy.js';
import { BUDGET_LIMITS } from '../lambda/domain/budget.js';
import { KNOWN_CA_LIMITS } from '../lambda/domain/ca-limits.js';
import { LETS_ENCRYPT_PRODUCTION, type CertificateRecord, type RenewalWindow } from '../lambda/domain/model.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const YEAR = 365 * DAY;
/** An attempt ends 1–5 minutes after its run starts (order, DNS change, validation, import). */
const MAX_LATENCY = 5 * MINUTE;

const LETS_ENCRYPT = KNOWN_CA_LIMITS[LETS_ENCRYPT_PRODUCTION];
export const LIMITS = {
  /** ACM: imports per account and region per 365 days. */
  acmImportsPerYear: BUDGET_LIMITS.acmImports.limit,
  /** Let's Encrypt: new orders per account per 3 hours. */
  ordersPer3h: LETS_ENCRYPT.ordersPer3Hours!,
  /** Let's Encrypt: new certificates per registered domain per 7 days (renewals of the same names are exempt). */
  perDomainPerWeek: LETS_ENCRYPT.certificatesPerDomainPerWeek!,
} as const;

export interface SimulationOptions {
  lifetimeMs: number;
  certificates: number;
  /** Registered domains the fleet is spread over (round-robin). */
  domains: number;
  seed: number;
  /** Share of all attempts that fail, e.g. 0.02. */
  failureRate: number;
  /** Probability that the attempt after a failure fails too (the "consecutive" part). */
  repeatFailure: number;
  scheduleHours: number;
  lightCheckHours?: number;
  /** Day of the year (0-based) and share of the fleet whose ARI window moves into the past. */
  drill?: { day: number; hour: number; share: number };
  backdateMs: number;
  start: Date;
  days: number;
}

export const DEFAULTS: Omit<SimulationOptions, 'lifetimeMs'> = {
  certificates: 1000,
  domains: 100,
  seed: 2026,
  failureRate: 0.02,
  repeatFailure: 0.5,
  scheduleHours: 24,
  drill: { day: 180, hour: 14, share: 0.1 },
  backdateMs: HOUR,
  start: new Date('2027-01-04T03:17:00.000Z'),
  days: 365,
};

export interface SimulationResult {
  options: SimulationOptions;
  attempts: number;
  failures: number;
  renewals: number;
  imports: number;
  renewalsPerCertificate: number;
  /** Imports in the year as a share of ACM's 5,000 (1 = the whole quota). */
  acmQuotaShare: number;
  peakOrdersPer3h: number;
  peakOrdersPerDomainPerWeek: number;
  /** Fewest ms left at a successful renewal, and as a share of the lifetime. */
  minLeftMs: number;
  minLeftShare: number;
  /**
   * Renewals with less than ⅓ of the lifetime left, beyond the CA's backdating and the order's latency:
   * a run acts after the renewal point and notBefore is an hour early, so a renewal at the ⅓ point is
   * always a little under it.
   */
  renewalsUnderThird: number;
  /** Renewals later than the policy's point by more than one schedule interval (retries after failures). */
  lateRenewals: number;
  longestFailureStreak: number;
  /** The fewest consecutive failures that led to an expiry (undefined: none expired). */
  fewestFailuresBeforeExpiry?: number;
  /** The policy's renewal point as a share of the lifetime left (⅓, or ½ under 10 days). */
  policyShare: number;
  expired: number;
  drill?: { affected: number; renewedWithin24h: number; maxHoursToRenew: number };
}

/** mulberry32: small, fast, and good enough to spread issuance times and draw failures. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Cert {
  record: CertificateRecord;
  domain: number;
  lastFailed: boolean;
  streak: number;
  /** `record.nextCheckAt` as a number: the due query compares it every run. */
  nextCheckMs: number;
  /** The ARI window the CA would answer now (the drill), cleared once replaced. */
  ariWindow?: RenewalWindow;
  drilledAt?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function simulateYear(options: SimulationOptions): SimulationResult {
  const o = options;
  const random = prng(o.seed);
  const L = o.lifetimeMs;
  const policyShare = L < SHORT_LIFETIME_MS ? 1 / 2 : 1 / 3;
  // P(fail | last ok) so that the stationary failure share is failureRate.
  const failAfterOk = (o.failureRate * (1 - o.repeatFailure)) / (1 - o.failureRate);
  const t0 = o.start.getTime();
  const end = t0 + o.days * DAY;

  // A fleet already in its steady state: each certificate issued at a random point of one renewal cycle.
  const cycle = L * (1 - policyShare);
  const fleet: Cert[] = Array.from({ length: o.certificates }, (_, i) => {
    const notBefore = t0 - random() * cycle;
    return {
      domain: i % o.domains,
      lastFailed: false,
      streak: 0,
      nextCheckMs: t0,
      record: {
        id: `cert-${i}`,
        names: [`site-${i}.domain-${i % o.domains}.example`],
        zones: {},
        directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory',
        keyType: 'ec256',
        owners: [],
        status: 'active',
        acmArn: `arn:aws:acm:eu-west-1:111122223333:certificate/${i}`,
        notBefore: iso(notBefore),
        notAfter: iso(notBefore + L),
        failureCount: 0,
        nextCheckAt: iso(t0),
        // With the light check the CA's ARI is asked on its cadence (certbeat records the id of every LE certificate).
        ...(o.lightCheckHours ? { ariCertId: `aki.${i}` } : {}),
      },
    };
  });

  const orders: Array<{ at: number; domain: number }> = [];
  let attempts = 0;
  let failures = 0;
  let renewals = 0;
  let imports = 0;
  let minLeftMs = Infinity;
  let renewalsUnderThird = 0;
  let lateRenewals = 0;
  let longestFailureStreak = 0;
  let expired = 0;
  const expiryStreaks: number[] = [];
  const interval = o.scheduleHours * HOUR;
  const drillDelays: number[] = [];

  function attempt(cert: Cert, runAt: number): void {
    const at = runAt + MINUTE + random() * (MAX_LATENCY - MINUTE); // order, DNS, validation, import
    const r = cert.record;
    attempts++;
    orders.push({ at, domain: cert.domain });
    const fails = random() < (cert.lastFailed ? o.repeatFailure : failAfterOk);
    cert.lastFailed = fails;
    const notAfter = new Date(r.notAfter!).getTime();
    if (fails) {
      failures++;
      r.failureCount++;
      longestFailureStreak = Math.max(longestFailureStreak, ++cert.streak);
      setNextCheck(cert, nextAttemptAfterFailure(r.failureCount, new Date(at), { notAfter: r.notAfter }).getTime());
      return;
    }
    const left = notAfter - at;
    if (left <= 0) {
      expired++;
      expiryStreaks.push(cert.streak);
    }
    cert.streak = 0;
    minLeftMs = Math.min(minLeftMs, left);
    if (left < L / 3 - o.backdateMs - MAX_LATENCY) renewalsUnderThird++;
    if (left < L * policyShare - interval - MAX_LATENCY) lateRenewals++;
    if (cert.drilledAt !== undefined) drillDelays.push(at - cert.drilledAt);
    renewals++;
    imports++; // every renewal is one re-import into the same ARN
    const notBefore = at - o.backdateMs;
    r.notBefore = iso(notBefore);
    r.notAfter = iso(notBefore + L);
    r.failureCount = 0;
    r.renewalWindow = undefined;
    cert.ariWindow = undefined;
    cert.drilledAt = undefined;
    // As the service records a renewal: next look at the renewal point, within a day, or when ARI is asked again.
    setNextCheck(cert, nextLookAt(r, renewalTime(r).time, new Date(at)).getTime());
  }

  function setNextCheck(cert: Cert, ms: number): void {
    cert.nextCheckMs = ms;
    cert.record.nextCheckAt = iso(ms);
  }

  function scheduledRun(now: number): void {
    const date = new Date(now);
    for (const cert of fleet) {
      const r = cert.record;
      if (cert.nextCheckMs > now) continue; // the due index query
      r.renewalWindow = cert.ariWindow; // the run asks the CA's ARI first
      const decision = decide(r, date);
      if (decision.due) attempt(cert, now);
      else setNextCheck(cert, decision.nextCheckAt.getTime());
    }
  }

  /** The light check is the daily run's due query: what it finds depends on the `nextCheckAt`s written. */
  function lightCheck(now: number): void {
    scheduledRun(now);
  }

  const step = Math.min(o.scheduleHours, o.lightCheckHours ?? Infinity) * HOUR;
  const drillAt = o.drill ? t0 + o.drill.day * DAY + o.drill.hour * HOUR - (o.start.getUTCHours() * HOUR + o.start.getUTCMinutes() * MINUTE) : Infinity;
  let drilled = false;
  for (let now = t0; now < end; now += step) {
    if (!drilled && now >= drillAt) {
      drilled = true;
      for (const cert of fleet) {
        if (random() >= o.drill!.share) continue;
        cert.ariWindow = { start: iso(drillAt - 2 * HOUR), end: iso(drillAt - HOUR) };
        cert.drilledAt = drillAt;
      }
    }
    // Drill: the window moved at drillAt; certbeat sees it at the first run or light check after it.
    const sinceStart = now - t0;
    if (sinceStart % (o.scheduleHours * HOUR) === 0) scheduledRun(now);
    else if (o.lightCheckHours && sinceStart % (o.lightCheckHours * HOUR) === 0) lightCheck(now);
  }
  for (const cert of fleet) {
    if (new Date(cert.record.notAfter!).getTime() > end) continue;
    expired++;
    expiryStreaks.push(cert.streak);
  }

  const stillWaiting = fleet.filter((c) => c.drilledAt !== undefined).length;
  const perDomain = new Map<number, number[]>();
  for (const x of orders) {
    const times = perDomain.get(x.domain);
    if (times) times.push(x.at);
    else perDomain.set(x.domain, [x.at]);
  }
  return {
    options: o,
    attempts,
    failures,
    renewals,
    imports,
    renewalsPerCertificate: renewals / o.certificates / (o.days / 365),
    acmQuotaShare: (imports * (YEAR / (o.days * DAY))) / LIMITS.acmImportsPerYear,
    peakOrdersPer3h: peakInWindow(orders.map((x) => x.at), 3 * HOUR),
    peakOrdersPerDomainPerWeek: Math.max(0, ...[...perDomain.values()].map((times) => peakInWindow(times, 7 * DAY))),
    minLeftMs,
    minLeftShare: minLeftMs / L,
    renewalsUnderThird,
    lateRenewals,
    longestFailureStreak,
    fewestFailuresBeforeExpiry: expiryStreaks.length ? Math.min(...expiryStreaks) : undefined,
    policyShare,
    expired,
    drill: o.drill
      ? {
          affected: drillDelays.length + stillWaiting,
          renewedWithin24h: drillDelays.filter((d) => d <= DAY).length,
          maxHoursToRenew: drillDelays.length ? Math.max(...drillDelays) / HOUR : 0,
        }
      : undefined,
  };
}

/** The most events in any window of `width` ms (two pointers over sorted times). */
export function peakInWindow(times: number[], width: number): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; j < t.length; j++) {
    while (t[j] - t[i] >= width) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}
