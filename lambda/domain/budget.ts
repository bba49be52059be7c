/**
 * Rate-limit and quota budget (issue 8 item 3), checked before ordering.
 *
 * Each CA's own limits (ca-limits.ts: Let's Encrypt's built in, others from `caLimits`): new orders per
 * account per 3 h, new certificates per registered domain per week. A CA with no known limit is counted
 * and shown, never refused. ACM's imports per account and region per 365 days (5,000; certbeat counts
 * its own imports and warns at 80 %) hold whatever the CA. Renewals that carry ARI's `replaces` are
 * exempt from LE's limits and from this budget; renewals of the same names are exempt from the
 * per-domain limit (LE's renewal exemption).
 *
 * Where the counts live: one item of the inventory table (`BUDGET_ITEM_ID`, not a valid certificate id,
 * without `dueShard` so the due index never sees it, skipped by `listAll`). Each count is a top-level
 * attribute per time bucket, incremented with an atomic ADD (concurrent runs add, never overwrite):
 * `orders|<account>|<10-minute bucket>`, `domain|<directory URL> <registered domain>|<day>` (a domain's
count is per CA: one CA's certificates take nothing from another's limit), `imports|<day>`. Domain
counts written before they were per CA (`domain|<registered domain>|<day>`) are read as Let's Encrypt
production's, the default CA, until they leave their window. A run reads
 * the item once; buckets that left their window are removed then. What a run counts is added to its own
 * view at once (later refusals in the run see it) and written in one ADD per `flush` (the renewal
 * service flushes after a wave's orders and after its imports), not one write per certificate. Bucket edges over-count a little
 * (the window is widened to whole buckets): the budget errs on the side of ordering less.
 * Counting from the records instead would need a scan every run, since a run reads only due records.
 *
 * Consecutive authorization failures per name (LE pauses a name at 1,152): the retry ladder bounds
 * attempts at about one a day after the sixth failure, so a failing name reaches a few hundred a year;
 * names whose pre-flight fails are not ordered at all. The unpause link of LE's error goes into the mail
 * (see `unpauseUrl` in acme-problems.ts).
 */
import { RateLimitGate } from './rate-limit-gate.js';
import { baseName, normalizeName, sameNames } from './names.js';
import { caLimitsFor, type CaLimitsByDirectory } from './ca-limits.js';
import { LETS_ENCRYPT_PRODUCTION, type CertificateRecord } from './model.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Windows and buckets of the counts; the order limits themselves are per CA (ca-limits.ts). */
export const BUDGET_LIMITS = {
  ordersPerAccount: { windowMs: 3 * HOUR, bucketMs: 10 * MINUTE },
  ordersPerDomain: { windowMs: 7 * DAY, bucketMs: DAY },
  acmImports: { limit: 5000, windowMs: 365 * DAY, bucketMs: DAY, warnShare: 0.8 },
  /** Let's Encrypt pauses a name for the account after this many consecutive failed authorizations. */
  authzFailuresPause: 1152,
} as const;

/** The inventory item holding the counts; not a valid certificate id, so it never collides with one. */
export const BUDGET_ITEM_ID = '#budget';

/** Where the counts are kept (the DynamoDB adapter; a map in tests). */
export interface BudgetStore {
  /** Every count attribute of the budget item (empty when there is none yet). */
  read(): Promise<Record<string, number>>;
  /** Adds each amount to its attribute, all in one atomic write. */
  add(amounts: Record<string, number>): Promise<void>;
  /** Removes attributes whose buckets left their window. */
  remove(attributes: string[]): Promise<void>;
  /**
   * The deployment's `caLimits`, over the built-in ones. They travel with the store because the store
   * is all the renewal service hands to the OrderBudget it builds; `withCaLimits` attaches them.
   */
  readonly caLimits?: CaLimitsByDirectory;
}

/** `store` with the deployment's CA limits attached (composition.ts; tests). */
export function withCaLimits(store: BudgetStore, caLimits: CaLimitsByDirectory): BudgetStore {
  return { read: () => store.read(), add: (a) => store.add(a), remove: (a) => store.remove(a), caLimits };
}

export interface BudgetLine {
  name: string;
  used: number;
  /** Absent when no limit is known for the CA: counted, never refused. */
  limit?: number;
  window: string;
  /** Per-domain lines: the CA directory the count is at (a domain has a count per CA). */
  directoryUrl?: string;
}

/** Where each budget stands, for `certbeat budget` and the digest. */
export interface BudgetStatus {
  accounts: BudgetLine[];
  /** Registered domains with new certificates in the last week, per CA, busiest first. */
  domains: BudgetLine[];
  imports: BudgetLine & { limit: number };
  /** A sentence when ACM imports passed 80 % of the quota. */
  warning?: string;
}

/** The registered domain a name counts against: its last two labels (no public-suffix list; merging errs low). */
export function registeredDomain(name: string): string {
  const labels = baseName(normalizeName(name)).split('.');
  return labels.slice(-2).join('.');
}

/** A record's renewal that sends `replaces` (exempt from LE's limits). */
export function isAriRenewal(record: CertificateRecord): boolean {
  return Boolean(record.ariCertId && record.acmArn);
}

/** A renewal of the same names (exempt from LE's per-domain limit). */
function isSameNames(record: CertificateRecord): boolean {
  return Boolean(record.acmArn && record.issuedNames && sameNames(record.names, record.issuedNames));
}

const bucket = (ms: number, size: number) => new Date(Math.floor(ms / size) * size).toISOString().slice(0, size >= DAY ? 10 : 16);
const parseBucket = (s: string) => new Date(s.length === 10 ? `${s}T00:00:00.000Z` : `${s}:00.000Z`).getTime();

/** One run's view of the budget: read once, updated as the run orders and imports. */
export class OrderBudget {
  private loading?: Promise<Record<string, number>>;
  /** Counted in this run's view, not yet written. */
  private unwritten: Record<string, number> = {};

  constructor(
    private readonly store: BudgetStore,
    private readonly now: () => Date,
  ) {}

  /** Why `record` must not be ordered now, and when it may be, or undefined when it may. */
  async refusal(record: CertificateRecord): Promise<{ reason: string; retryAt: Date } | undefined> {
    if (isAriRenewal(record)) return undefined;
    const limits = this.limitsFor(record.directoryUrl);
    if (limits.ordersPer3Hours === undefined && limits.certificatesPerDomainPerWeek === undefined) return undefined;
    const counts = await this.load();
    const now = this.now().getTime();
    const a = BUDGET_LIMITS.ordersPerAccount;
    const max = limits.ordersPer3Hours;
    const used = this.inWindow(counts, `orders|${RateLimitGate.key(record.directoryUrl, record.eabSecretId)}|`, a.windowMs, a.bucketMs, now);
    if (max !== undefined && used.total >= max) {
      return { reason: `${used.total} new orders in 3 h for ${record.directoryUrl} (budget ${max})`, retryAt: new Date(used.oldest + a.windowMs + a.bucketMs) };
    }
    const perDomain = limits.certificatesPerDomainPerWeek;
    if (perDomain !== undefined && !isSameNames(record)) {
      const d = BUDGET_LIMITS.ordersPerDomain;
      for (const domain of new Set(record.names.map(registeredDomain))) {
        const u = this.inWindow(counts, `domain|${record.directoryUrl} ${domain}|`, d.windowMs, d.bucketMs, now);
        if (u.total >= perDomain) {
          return { reason: `${u.total} new certificates in 7 days for ${domain} (budget ${perDomain})`, retryAt: new Date(u.oldest + d.windowMs + d.bucketMs) };
        }
      }
    }
    return undefined;
  }

  /** Counts an order placed for `record` (nothing for an ARI renewal); written by the next `flush`. */
  async noteOrder(record: CertificateRecord): Promise<void> {
    if (isAriRenewal(record)) return;
    const now = this.now().getTime();
    const attributes = [`orders|${RateLimitGate.key(record.directoryUrl, record.eabSecretId)}|${bucket(now, BUDGET_LIMITS.ordersPerAccount.bucketMs)}`];
    if (!isSameNames(record)) {
      for (const domain of new Set(record.names.map(registeredDomain))) attributes.push(`domain|${record.directoryUrl} ${domain}|${bucket(now, DAY)}`);
    }
    await this.bump(attributes);
  }

  /** Counts one import into ACM (the deployment's own region); written by the next `flush`. */
  async noteImport(): Promise<void> {
    await this.bump([`imports|${bucket(this.now().getTime(), DAY)}`]);
  }

  /** Writes what was counted since the last flush in one store write; on failure it stays for the next. */
  async flush(): Promise<void> {
    const amounts = this.unwritten;
    if (Object.keys(amounts).length === 0) return;
    this.unwritten = {};
    try {
      await this.store.add(amounts);
    } catch (e) {
      for (const [k, v] of Object.entries(amounts)) this.unwritten[k] = (this.unwritten[k] ?? 0) + v;
      throw e;
    }
  }

  async status(): Promise<BudgetStatus> {
    const counts = await this.load();
    const now = this.now().getTime();
    const group = (prefix: string, windowMs: number, bucketMs: number) => {
      const totals = new Map<string, number>();
      for (const [k, v] of Object.entries(counts)) {
        if (!k.startsWith(prefix)) continue;
        const cut = k.lastIndexOf('|');
        if (parseBucket(k.slice(cut + 1)) + bucketMs <= now - windowMs) continue;
        const name = k.slice(prefix.length, cut);
        totals.set(name, (totals.get(name) ?? 0) + v);
      }
      return [...totals].sort((x, y) => y[1] - x[1]);
    };
    const a = BUDGET_LIMITS.ordersPerAccount;
    const d = BUDGET_LIMITS.ordersPerDomain;
    const i = BUDGET_LIMITS.acmImports;
    const imports = this.inWindow(counts, 'imports|', i.windowMs, i.bucketMs, now).total;
    // Account names are "<directory URL> <EAB secret id>", domain names "<directory URL> <domain>": URLs hold no space.
    const directoryOf = (name: string) => (name.includes(' ') ? name.slice(0, name.indexOf(' ')) : name);
    return {
      accounts: group('orders|', a.windowMs, a.bucketMs).map(([name, used]) => ({
        name: name.trim(),
        used,
        limit: this.limitsFor(directoryOf(name)).ordersPer3Hours,
        window: '3 h',
      })),
      domains: group('domain|', d.windowMs, d.bucketMs).map(([name, used]) => ({
        name: name.slice(name.indexOf(' ') + 1),
        used,
        limit: this.limitsFor(directoryOf(name)).certificatesPerDomainPerWeek,
        window: '7 days',
        directoryUrl: directoryOf(name),
      })),
      imports: { name: 'ACM imports (this account and region)', used: imports, limit: i.limit, window: '365 days' },
      warning:
        imports >= i.limit * i.warnShare
          ? `${imports} certificates were imported by certbeat in 365 days, ${Math.round((imports / i.limit) * 100)} % of ACM's ${i.limit} per account and region: ask AWS for a higher quota, or move certificates to another region or account.`
          : undefined,
    };
  }

  /** Reads the counts once per run, however many certificates ask at the same time. */
  private load(): Promise<Record<string, number>> {
    this.loading ??= this.read();
    this.loading.catch(() => (this.loading = undefined));
    return this.loading;
  }

  private async read(): Promise<Record<string, number>> {
    const counts = await this.store.read();
    const now = this.now().getTime();
    const stale = Object.keys(counts).filter((k) => {
      const windowMs = k.startsWith('orders|') ? BUDGET_LIMITS.ordersPerAccount.windowMs : k.startsWith('domain|') ? BUDGET_LIMITS.ordersPerDomain.windowMs : BUDGET_LIMITS.acmImports.windowMs;
      const bucketMs = k.startsWith('orders|') ? BUDGET_LIMITS.ordersPerAccount.bucketMs : DAY;
      return parseBucket(k.slice(k.lastIndexOf('|') + 1)) + bucketMs <= now - windowMs;
    });
    for (const k of stale) delete counts[k];
    if (stale.length > 0) await this.store.remove(stale).catch(() => undefined);
    // Domain counts from before they were per CA: Let's Encrypt production's (the default CA) in this
    // view only; the stored attribute stays until it leaves its window, as above.
    for (const k of Object.keys(counts)) {
      if (!k.startsWith('domain|') || k.includes(' ')) continue;
      const perCa = `domain|${LETS_ENCRYPT_PRODUCTION} ${k.slice('domain|'.length)}`;
      counts[perCa] = (counts[perCa] ?? 0) + counts[k];
      delete counts[k];
    }
    return counts;
  }

  private limitsFor(directoryUrl: string) {
    return caLimitsFor(directoryUrl, this.store.caLimits);
  }

  private async bump(attributes: string[]): Promise<void> {
    const counts = await this.load();
    for (const k of attributes) {
      counts[k] = (counts[k] ?? 0) + 1;
      this.unwritten[k] = (this.unwritten[k] ?? 0) + 1;
    }
  }

  private inWindow(counts: Record<string, number>, prefix: string, windowMs: number, bucketMs: number, now: number) {
    let total = 0;
    let oldest = now;
    for (const [k, v] of Object.entries(counts)) {
      if (!k.startsWith(prefix) || k.indexOf('|', prefix.length) !== -1) continue;
      const start = parseBucket(k.slice(prefix.length));
      if (start + bucketMs <= now - windowMs) continue;
      total += v;
      oldest = Math.min(oldest, start);
    }
    return { total, oldest };
  }
}

/** A `BudgetStore` in memory (tests, the simulation). */
export function memoryBudgetStore(initial: Record<string, number> = {}): BudgetStore & { counts: Record<string, number> } {
  const counts = { ...initial };
  return {
    counts,
    read: async () => ({ ...counts }),
    add: async (amounts) => {
      for (const [k, n] of Object.entries(amounts)) counts[k] = (counts[k] ?? 0) + n;
    },
    remove: async (attributes) => {
      for (const k of attributes) delete counts[k];
    },
  };
}

/**
 * The order in which a run works its due certificates: renewals inside an opened ARI window first (the
 * CA asked for them, and LE exempts them from its limits), then by urgency (earliest expiry first), then
 * certificates never issued.
 */
export function byPriority(records: CertificateRecord[], now: Date): CertificateRecord[] {
  const ariOpen = (r: CertificateRecord) => (r.acmArn && r.renewalWindow && new Date(r.renewalWindow.start).getTime() <= now.getTime() ? 0 : 1);
  const expiry = (r: CertificateRecord) => (r.notAfter ? new Date(r.notAfter).getTime() : Number.POSITIVE_INFINITY);
  return [...records].sort((a, b) => ariOpen(a) - ariOpen(b) || expiry(a) - expiry(b));
}
