/**
 * The `DnsSolver` port over Route 53: publishes dns-01 TXT values with one ChangeBatch per hosted zone,
 * waits for INSYNC, and removes exactly its own values afterwards.
 */
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  GetHostedZoneCommand,
  ListHostedZonesCommand,
  ListResourceRecordSetsCommand,
  type ChangeInfo,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { ConfigurationError, PropagationTimeoutError } from '../../domain/errors.js';
import { normalizeName } from '../../domain/names.js';
import type { Clock, DnsChallenge, DnsSolver, PublishedTxt, RunLog } from '../../domain/ports.js';
import { withRetry } from '../backoff.js';
import { CHALLENGE_TTL, groupChallenges, planCleanup, planPublish, type TxtRecordSet } from './change-plan.js';
import { sendDroppingRefused } from './refused-changes.js';
import {
  isInvalidChangeBatch,
  isRetryableRoute53Error,
  refusedChangeError,
  toRoute53Error,
  type Route53ErrorContext,
} from './route53-errors.js';
import { matchZones, needsZoneListing, normalizeZoneId, type HostedZoneSummary } from './zone-lookup.js';

export interface Route53DnsSolverOptions {
  client: Route53Client;
  /** Cross-account zones: a client with assumed-role credentials; default: `client`. */
  clientForZone?: (zoneId: string) => Route53Client;
  /** GetChange polling interval; default 2000. */
  pollIntervalMs?: number;
  clock: Clock;
  sleep?: (ms: number) => Promise<void>;
  log?: RunLog;
}

/** Attempts per Route 53 request (first included) and the backoff between them. */
const MAX_ATTEMPTS = 8;
const BACKOFF_BASE_MS = 200;
const BACKOFF_CAP_MS = 5_000;
/**
 * How long a zone's name and name servers are reused. Pre-flight asks per certificate, so without a
 * cache a run of 300 certificates in 12 zones made 312 GetHostedZone calls. The solver lives as long as
 * the Lambda container (many daily runs), so the answer must not outlive a run by much: a zone deleted
 * and re-created, or re-delegated, would be judged by old name servers. Ten minutes covers one run
 * (a Lambda runs at most 15) and expires before the next scheduled one.
 */
const ZONE_DETAILS_MAX_AGE_MS = 10 * 60_000;
/** Largest page ListResourceRecordSets returns. */
const RRSET_PAGE = 300;
/** From this many names on, listing the whole zone may take fewer requests than one read per name. */
const SCAN_FROM_NAMES = 4;

type ZoneDetails = Awaited<ReturnType<DnsSolver['zoneDetails']>>;

const silent: RunLog = { info() {}, warn() {}, error() {} };

/**
 * Route 53 implementation of `DnsSolver` (see its contract in ports.ts).
 *
 * - `locateZones`: explicit ids win (`Z123` or `/hostedzone/Z123`, returned bare); other names are
 *   matched by longest suffix among the public zones that `client` lists (listed once per instance,
 *   all pages). Zones of other accounts must therefore be given explicitly.
 * - `zoneDetails`: GetHostedZone once per zone per ten minutes (failures are not kept).
 * - `present`: per zone (zones run concurrently, each on `clientForZone(id)`), reads the TXT set at
 *   every name (new and stale) and UPSERTs existing − stale ∪ new values (existing TTL kept, else 60;
 *   a set left empty is DELETEd) in one ChangeBatch, split only at Route 53's request limits. When
 *   Route 53 refuses the batch, the record sets its message names (else found by halving the batch)
 *   are set aside and the rest is sent again. Then polls GetChange per change holding new values
 *   until INSYNC or `deadline` (`PropagationTimeoutError`). Resolves with the failed challenges;
 *   never rejects.
 * - `cleanup`: per zone, DELETEs a set that held only our values exactly as it stands, else UPSERTs
 *   the remainder; re-reads and re-plans once if Route 53 refuses because the set changed meanwhile.
 *   Never throws: failures are logged, since it runs in `finally` blocks. Does not wait for INSYNC.
 *
 * Retries: Throttling, PriorRequestNotComplete, 5xx and network errors are retried here with
 * exponential backoff and full jitter (up to 8 attempts, never past `deadline` in `present`). The SDK
 * client's own retry strategy still runs inside each attempt; create the client with `maxAttempts: 1`
 * to leave retrying to this deadline-aware loop alone (otherwise each attempt here may itself be up
 * to the SDK's `maxAttempts` requests).
 */
export class Route53DnsSolver implements DnsSolver {
  private readonly client: Route53Client;
  private readonly clientForZone: (zoneId: string) => Route53Client;
  private readonly pollIntervalMs: number;
  private readonly clock: Clock;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly log: RunLog;
  private zones?: Promise<HostedZoneSummary[]>;
  private readonly details = new Map<string, { at: number; details: Promise<ZoneDetails> }>();

  constructor(options: Route53DnsSolverOptions) {
    this.client = options.client;
    this.clientForZone = options.clientForZone ?? (() => options.client);
    this.pollIntervalMs = options.pollIntervalMs ?? 2000;
    this.clock = options.clock;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.log = options.log ?? silent;
  }

  async zoneDetails(zoneId: string): Promise<ZoneDetails> {
    const id = normalizeZoneId(zoneId);
    const now = this.clock.now().getTime();
    const cached = this.details.get(id);
    if (cached && now - cached.at < ZONE_DETAILS_MAX_AGE_MS) return cached.details;
    const details = this.readZoneDetails(id);
    this.details.set(id, { at: now, details });
    details.catch(() => {
      if (this.details.get(id)?.details === details) this.details.delete(id); // a failed read is not kept
    });
    return details;
  }

  private async readZoneDetails(id: string): Promise<ZoneDetails> {
    const out = await this.call(
      () => this.clientForZone(id).send(new GetHostedZoneCommand({ Id: id })),
      { operation: 'GetHostedZone', zoneId: id },
    );
    return {
      id,
      name: normalizeName(out.HostedZone?.Name ?? ''),
      nameServers: out.DelegationSet?.NameServers ?? [],
    };
  }

  async locateZones(names: string[], explicit: Record<string, string>): Promise<Record<string, string>> {
    const zones = needsZoneListing(names, explicit ?? {}) ? await this.publicZones() : [];
    return matchZones(names, explicit ?? {}, zones);
  }

  async present(challenges: DnsChallenge[], deadline: Date, stale: PublishedTxt[] = []): Promise<Map<DnsChallenge, Error>> {
    const failures = new Map<DnsChallenge, Error>();
    const wanted = groupChallenges(challenges);
    const leftovers = groupChallenges(stale);
    await Promise.all(
      [...new Set([...wanted.keys(), ...leftovers.keys()])].map(async (zoneId) => {
        const ofZone = challenges.filter((c) => normalizeZoneId(c.zoneId) === zoneId);
        const names = wanted.get(zoneId) ?? new Map<string, string[]>();
        try {
          const failed = await this.presentZone(zoneId, names, leftovers.get(zoneId) ?? new Map(), deadline);
          for (const c of ofZone) {
            const error = failed.get(normalizeName(c.recordName));
            if (error) failures.set(c, error);
          }
        } catch (e) {
          const error = toRoute53Error(e, { operation: 'publishing dns-01 values', zoneId, names: [...names.keys()] });
          for (const c of ofZone) failures.set(c, error);
          this.log.warn(ofZone.length > 0 ? 'dns-01 values not published' : 'stale dns-01 values not removed', {
            zoneId,
            names: [...names.keys()],
            error: error.message,
            kind: error.kind,
          });
        }
      }),
    );
    return failures;
  }

  async cleanup(values: PublishedTxt[]): Promise<void> {
    try {
      await Promise.all(
        [...groupChallenges(values)].map(async ([zoneId, names]) => {
          try {
            await this.cleanupZone(zoneId, names);
          } catch (e) {
            const error = toRoute53Error(e, { operation: 'removing dns-01 values', zoneId });
            this.log.error('dns-01 cleanup failed; the TXT values stay until the next cleanup', {
              zoneId,
              names: [...names.keys()],
              error: error.message,
              kind: error.kind,
            });
          }
        }),
      );
    } catch (e) {
      // Only a bug gets here; cleanup must never throw out of a finally block.
      this.log.error('dns-01 cleanup failed', { error: e instanceof Error ? e.message : String(e) });
    }
  }

  /**
   * Publishes one zone's values (and removes its stale ones) and waits for INSYNC when there is
   * something new to see. Resolves with the record names that failed; rejects when the whole zone did.
   */
  private async presentZone(
    zoneId: string,
    names: Map<string, string[]>,
    stale: Map<string, string[]>,
    deadline: Date,
  ): Promise<Map<string, Error>> {
    if (!zoneId) {
      throw new ConfigurationError(`no hosted zone id for ${[...names.keys()].join(', ')}`, { field: 'zones' });
    }
    const client = this.clientForZone(zoneId);
    const existing = await this.readSets(client, zoneId, [...new Set([...names.keys(), ...stale.keys()])], deadline);
    const batches = planPublish(names, stale, existing);
    const failed = new Map<string, Error>();
    const changes: Array<{ info: ChangeInfo; names: string[] }> = [];
    for (const batch of batches) {
      const outcome = await sendDroppingRefused(batch, async (b) => {
        const out = await this.call(
          () => client.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: b })),
          { operation: 'ChangeResourceRecordSets', zoneId, names: (b.Changes ?? []).map((c) => normalizeName(c.ResourceRecordSet?.Name ?? '')) },
          deadline,
        );
        return out.ChangeInfo;
      });
      changes.push(...outcome.sent);
      for (const [name, e] of outcome.refused) {
        const error = refusedChangeError(e, { zoneId, recordName: name });
        if (names.has(name)) failed.set(name, error);
        this.log.warn(names.has(name) ? 'Route 53 refused a dns-01 value; the rest of the zone goes on' : 'Route 53 refused removing stale dns-01 values', {
          zoneId,
          name,
          error: error.message,
        });
      }
    }
    // Stale values only: nobody waits to see a removal, so INSYNC does not matter.
    const awaited = changes.filter((c) => c.names.some((n) => names.has(n)));
    for (const change of awaited) {
      try {
        await this.waitInsync(client, zoneId, change.info, deadline);
      } catch (e) {
        const error = toRoute53Error(e, { operation: 'waiting for INSYNC', zoneId });
        for (const n of change.names) if (names.has(n)) failed.set(n, error);
        this.log.warn('dns-01 values not in sync', { zoneId, names: change.names, error: error.message, kind: error.kind });
      }
    }
    this.log.info('dns-01 values published', {
      zoneId,
      names: names.size,
      failedNames: failed.size,
      values: [...names.values()].reduce((n, v) => n + v.length, 0),
      staleNames: stale.size,
      changeBatches: changes.length,
    });
    return failed;
  }

  private async cleanupZone(zoneId: string, names: Map<string, string[]>): Promise<void> {
    if (!zoneId) return;
    const client = this.clientForZone(zoneId);
    // A DELETE must match the set exactly; if another writer changed it since we read it, read again.
    for (let round = 1; ; round++) {
      const existing = await this.readSets(client, zoneId, [...names.keys()]);
      try {
        for (const batch of planCleanup(names, existing)) {
          await this.call(
            () => client.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: batch })),
            { operation: 'ChangeResourceRecordSets', zoneId },
          );
        }
        return;
      } catch (e) {
        if (round >= 2 || !isInvalidChangeBatch(e)) throw e;
        this.log.warn('TXT set changed during cleanup; reading it again', { zoneId });
      }
    }
  }

  private async waitInsync(client: Route53Client, zoneId: string, change: ChangeInfo, deadline: Date): Promise<void> {
    const id = (change.Id ?? '').replace(/^\/?change\//, '');
    let status = change.Status;
    while (status !== 'INSYNC') {
      const remaining = deadline.getTime() - this.clock.now().getTime();
      if (remaining <= 0) {
        throw new PropagationTimeoutError(
          `Route 53 change ${id} in hosted zone ${zoneId} was still ${status ?? 'PENDING'} at the deadline ${deadline.toISOString()}`,
          {
            remediation:
              'Route 53 normally propagates within a minute; the next run retries. If it keeps happening, give the run more time or check Route 53 service health.',
          },
        );
      }
      await this.sleep(Math.min(this.pollIntervalMs, remaining));
      const out = await this.call(() => client.send(new GetChangeCommand({ Id: id })), { operation: 'GetChange', zoneId }, deadline);
      status = out.ChangeInfo?.Status;
    }
  }

  /** The TXT set at each name (keyed by normalized name); absent when there is none. */
  private async readSets(
    client: Route53Client,
    zoneId: string,
    names: string[],
    deadline?: Date,
  ): Promise<Map<string, TxtRecordSet | undefined>> {
    const wanted = new Set(names.map(normalizeName));
    if (wanted.size >= SCAN_FROM_NAMES) {
      const zone = await this.call(
        () => client.send(new GetHostedZoneCommand({ Id: zoneId })),
        { operation: 'GetHostedZone', zoneId, names },
        deadline,
      );
      const count = zone.HostedZone?.ResourceRecordSetCount;
      if (count !== undefined && Math.ceil(count / RRSET_PAGE) < wanted.size) {
        return this.scanZone(client, zoneId, wanted, deadline);
      }
    }
    const found = new Map<string, TxtRecordSet | undefined>();
    for (const name of wanted) {
      const out = await this.call(
        () =>
          client.send(
            new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: name, StartRecordType: 'TXT', MaxItems: 1 }),
          ),
        { operation: 'ListResourceRecordSets', zoneId, names },
        deadline,
      );
      // The listing starts at (name, TXT) but returns the next set in order when that one is absent.
      const set = out.ResourceRecordSets?.[0];
      found.set(name, set && isTxtAt(set, name) ? toTxtSet(set) : undefined);
    }
    return found;
  }

  /** Reads every set of the zone once, keeping the TXT sets at the wanted names. */
  private async scanZone(
    client: Route53Client,
    zoneId: string,
    wanted: Set<string>,
    deadline?: Date,
  ): Promise<Map<string, TxtRecordSet | undefined>> {
    const found = new Map<string, TxtRecordSet | undefined>();
    let start: { name?: string; type?: string } = {};
    for (;;) {
      const out = await this.call(
        () =>
          client.send(
            new ListResourceRecordSetsCommand({
              HostedZoneId: zoneId,
              StartRecordName: start.name,
              StartRecordType: start.type as 'TXT' | undefined,
              MaxItems: RRSET_PAGE,
            }),
          ),
        { operation: 'ListResourceRecordSets', zoneId, names: [...wanted] },
        deadline,
      );
      for (const set of out.ResourceRecordSets ?? []) {
        const name = normalizeName(set.Name ?? '');
        if (wanted.has(name) && isTxtAt(set, name)) found.set(name, toTxtSet(set));
      }
      if (!out.IsTruncated || !out.NextRecordName) return found;
      start = { name: out.NextRecordName, type: out.NextRecordType };
    }
  }

  private publicZones(): Promise<HostedZoneSummary[]> {
    this.zones ??= this.listZones().catch((e: unknown) => {
      this.zones = undefined; // a failed listing is not cached
      throw e;
    });
    return this.zones;
  }

  private async listZones(): Promise<HostedZoneSummary[]> {
    const zones: HostedZoneSummary[] = [];
    let marker: string | undefined;
    do {
      const out = await this.call(() => this.client.send(new ListHostedZonesCommand({ Marker: marker })), {
        operation: 'ListHostedZones',
      });
      for (const z of out.HostedZones ?? []) {
        zones.push({ id: normalizeZoneId(z.Id ?? ''), name: normalizeName(z.Name ?? ''), private: z.Config?.PrivateZone === true });
      }
      marker = out.IsTruncated ? out.NextMarker : undefined;
    } while (marker);
    return zones;
  }

  /** One Route 53 request with retries; failures come out as certbeat errors. */
  private async call<T>(fn: () => Promise<T>, context: Route53ErrorContext, deadline?: Date): Promise<T> {
    try {
      return await withRetry(fn, {
        isRetryable: isRetryableRoute53Error,
        clock: this.clock,
        sleep: this.sleep,
        deadline,
        maxAttempts: MAX_ATTEMPTS,
        baseMs: BACKOFF_BASE_MS,
        capMs: BACKOFF_CAP_MS,
        onRetry: (e, attempt, waitMs) =>
          this.log.warn('Route 53 request retried', {
            operation: context.operation,
            zoneId: context.zoneId,
            attempt,
            waitMs,
            error: (e as Error)?.name,
          }),
      });
    } catch (e) {
      throw toRoute53Error(e, context);
    }
  }
}

function isTxtAt(set: ResourceRecordSet, name: string): boolean {
  // Weighted/latency sets (SetIdentifier) are someone else's routing setup: not ours to merge into.
  return set.Type === 'TXT' && normalizeName(set.Name ?? '') === name && set.SetIdentifier === undefined;
}

function toTxtSet(set: ResourceRecordSet): TxtRecordSet {
  return {
    name: set.Name ?? '',
    ttl: set.TTL ?? CHALLENGE_TTL,
    values: (set.ResourceRecords ?? []).map((r) => r.Value ?? ''),
  };
}
