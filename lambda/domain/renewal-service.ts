/**
 * One run: plan, lease, order, publish, validate, import, record, notify.
 *
 * Certificates are worked in waves. Within a wave every order is placed first, then all dns-01 values
 * are published together (one Route 53 change per zone instead of one per certificate), then the
 * orders are completed, and the values are cleaned up whatever happened. A failure of one certificate
 * never stops the others; work stops being picked up when the invocation's remaining time gets short.
 */
import { chunk, mapLimit } from './concurrency.js';
import {
  CertbeatError,
  ConfigurationError,
  LeaseHeldError,
  RateLimitedError,
  isRetryable,
  toCertbeatError,
} from './errors.js';
import { CERTIFICATE_ID_TAG, type CertificateRecord, type IssuedCertificate, type KeyType, type RenewalWindow } from './model.js';
import { baseName, normalizeName } from './names.js';
import type { Finding } from './notices.js';
import { NoticeSender } from './notice-sender.js';
import type { PendingImports } from './pending-imports.js';
import type {
  CertificateAuthority,
  CertificateStore,
  Clock,
  DnsChallenge,
  DnsSolver,
  Inventory,
  Notifier,
  PendingOrder,
  RunLog,
} from './ports.js';
import {
  MAX_CHECK_INTERVAL_MS,
  daysLeft,
  decide,
  nextAttemptAfterFailure,
  renewalTime,
  shouldMailFailure,
  urgency,
} from './renewal-policy.js';
import { emptySummary, type RunSummary } from './run-summary.js';

/** What the pre-flight checks get: the record, its zones and what ACM knows of the current certificate. */
export interface PreflightRequest {
  record: CertificateRecord;
  zoneIds: Record<string, string>;
  storedKeyType?: KeyType;
  inUseBy?: string[];
}

export interface RenewalServiceDeps {
  inventory: Inventory;
  ca: CertificateAuthority;
  dns: DnsSolver;
  store: CertificateStore;
  notifier: Notifier;
  clock: Clock;
  log: RunLog;
  defaultRecipients: string[];
  /** Returns findings; those with `ok: false` that are blocking stop the order (see `isBlocking`). */
  preflight?: (request: PreflightRequest) => Promise<Finding[]>;
  /** Which failing findings stop an order. Default: every failing finding. */
  isBlocking?: (finding: Finding) => boolean;
  /** Where an issued certificate waits when ACM refused it, so the next run imports it without a new order. */
  pendingImports?: PendingImports;
  /** Certificates worked at once. */
  concurrency?: number;
  /** Certificates per wave (one DNS change per zone per wave). */
  waveSize?: number;
  /** Do not start a wave with less than this left (ms): an order needs time to validate and import. */
  minStartMs?: number;
  /** Time kept back at the end for import, records and clean-up (ms). */
  reserveMs?: number;
}

export interface RunOptions {
  /** Lease owner: the invocation's request id. */
  invocationId: string;
  /** Milliseconds left in this invocation (Lambda's getRemainingTimeInMillis). */
  remainingMs: () => number;
  /** Work only these certificates (renew now, ACM expiry event), read by id instead of the due query. */
  ids?: string[];
  /** With `ids`: renew even outside the window (the "renew now" button). */
  force?: boolean;
  /** Mail the owners of invalid items (default true). Off for triggers that fire several times a day. */
  mailInvalidItems?: boolean;
}

interface Job {
  record: CertificateRecord;
  findings: Finding[];
  reason?: string;
  keyType?: KeyType;
  renewalWindow?: RenewalWindow;
  order?: PendingOrder;
  challenges: DnsChallenge[];
  issued?: IssuedCertificate;
  /** `issued` came from the pending-import slot, not from a new order. */
  fromPending?: boolean;
  /** `issued` is (still) kept in the pending-import slot after a failed import. */
  keptPending?: boolean;
  /** A stale pending-import slot was emptied. */
  slotCleared?: boolean;
  error?: CertbeatError;
  /** Nothing more to do: ended early (not due, lease held, paused) or already finished. */
  done?: boolean;
}

export class RenewalService {
  private readonly mail: NoticeSender;

  constructor(private readonly deps: RenewalServiceDeps) {
    this.mail = new NoticeSender(deps);
  }

  async run(options: RunOptions): Promise<RunSummary> {
    const { inventory, clock, log } = this.deps;
    const summary = emptySummary();
    const batch = options.ids
      ? await this.loadByIds(options.ids, options.force ?? false, summary)
      : await inventory.listDue(clock.now());

    for (const item of batch.invalid) {
      summary.invalid.push({ id: item.id, problems: item.problems });
      log.error('inventory item is invalid', { id: item.id, problems: item.problems });
      if (options.mailInvalidItems !== false) await this.mail.send({ kind: 'invalid', item }, item.owners);
    }

    const waves = chunk(batch.records, this.deps.waveSize ?? 50);
    for (const [w, wave] of waves.entries()) {
      if (options.remainingMs() < (this.deps.minStartMs ?? 180_000)) {
        const left = waves.slice(w).flat();
        for (const record of left) summary.skipped.push({ id: record.id, reason: 'out of time: left for the next run' });
        log.warn('stopping early: remaining time is short', { left: left.length });
        break;
      }
      await this.runWave(wave, options, summary);
    }
    log.info('run finished', {
      renewed: summary.renewed.length,
      notDue: summary.notDue.length,
      failed: summary.failed.length,
      skipped: summary.skipped.length,
      invalid: summary.invalid.length,
    });
    return summary;
  }

  private async loadByIds(ids: string[], force: boolean, summary: RunSummary) {
    const records: CertificateRecord[] = [];
    for (const id of ids) {
      try {
        if (force) await this.deps.inventory.requestRenewal(id, this.deps.clock.now());
        const record = await this.deps.inventory.get(id);
        if (record) records.push(record);
        else summary.skipped.push({ id, reason: 'no certificate with this id' });
      } catch (e) {
        const err = toCertbeatError(e);
        summary.invalid.push({ id, problems: [err.message] });
      }
    }
    return { records, invalid: [] };
  }

  private async runWave(records: CertificateRecord[], options: RunOptions, summary: RunSummary): Promise<void> {
    const { dns, clock } = this.deps;
    const limit = this.deps.concurrency ?? 4;
    const deadline = () => new Date(clock.now().getTime() + options.remainingMs() - (this.deps.reserveMs ?? 60_000));

    const jobs = await mapLimit(records, limit, (record) => this.prepare(record, options, summary));
    const ordered = jobs.filter((j) => j.order && !j.error);
    const challenges = ordered.flatMap((j) => j.challenges);
    try {
      if (challenges.length > 0) {
        const failedChallenges = await dns.present(challenges, deadline());
        for (const job of ordered) {
          const failed = job.challenges.find((c) => failedChallenges.has(c));
          if (failed) job.error = toCertbeatError(failedChallenges.get(failed));
        }
      }
      await mapLimit(
        ordered.filter((j) => !j.error),
        limit,
        async (job) => {
          try {
            job.issued = await this.deps.ca.completeOrder(job.order!, deadline());
          } catch (e) {
            job.error = toCertbeatError(e);
          }
          // Import at once: an issued certificate must reach ACM (or the pending slot) before time runs out.
          if (job.issued) await this.finish(job, options, summary);
        },
      );
    } catch (e) {
      // present() itself failed outright: every order of the wave fails with that cause.
      for (const job of ordered) job.error ??= toCertbeatError(e);
    } finally {
      if (challenges.length > 0) await dns.cleanup(challenges);
    }
    await mapLimit(jobs, limit, (job) => this.finish(job, options, summary));
  }

  /** Lease, re-check, find zones, pre-flight, place the order. Never throws: errors land on the job. */
  private async prepare(candidate: CertificateRecord, options: RunOptions, summary: RunSummary): Promise<Job> {
    const { inventory, clock, ca, dns, store, log } = this.deps;
    const job: Job = { record: candidate, findings: [], challenges: [] };
    const now = clock.now();
    let record: CertificateRecord | undefined;
    try {
      record = await inventory.acquireLease(
        candidate.id,
        { owner: options.invocationId, until: new Date(now.getTime() + options.remainingMs() + 300_000).toISOString() },
        now,
      );
    } catch (e) {
      // Without the lease nothing may be written for it; the next run tries again.
      const err = toCertbeatError(e);
      summary.skipped.push({ id: candidate.id, reason: `could not take the lease: ${err.message}` });
      log.warn('skipped: lease not taken', { id: candidate.id, errorClass: err.name, error: err.message });
      return { ...job, done: true };
    }
    if (!record) {
      summary.skipped.push({ id: candidate.id, reason: 'another run holds the lease' });
      log.info('skipped: lease held elsewhere', { id: candidate.id });
      return { ...job, done: true };
    }
    job.record = record;
    try {
      if (record.status === 'paused') {
        // Resumed later, it must be looked at again promptly: leave nextCheckAt as it is.
        await inventory.releaseLease(record.id, options.invocationId);
        summary.notDue.push({ id: record.id, reason: 'paused by its owner', nextCheckAt: record.nextCheckAt });
        return { ...job, done: true };
      }
      if (await this.takePending(job, now)) return job;
      job.renewalWindow = await this.refreshRenewalWindow(record);
      // Re-check with the fresh record: another run may have renewed it since the due query.
      const decision = decide({ ...record, renewalWindow: job.renewalWindow }, now);
      if (!decision.due) {
        await this.recordNotDue(record, decision, job.renewalWindow, options, summary);
        return { ...job, done: true };
      }
      job.reason = decision.detail;
      log.info('due', { id: record.id, reason: decision.reason, detail: decision.detail });

      const zoneIds = await dns.locateZones(record.names, record.zones);
      const stored = record.acmArn ? await store.describe(record.acmArn) : undefined;
      // ACM refuses a key algorithm change on re-import, so a renewal keeps the current one.
      job.keyType = stored?.keyAlgorithm ?? record.keyType;
      if (this.deps.preflight) {
        job.findings = await this.deps.preflight({ record, zoneIds, storedKeyType: stored?.keyAlgorithm, inUseBy: stored?.inUseBy });
        const blocking = job.findings.filter((f) => !f.ok && (this.deps.isBlocking ?? (() => true))(f));
        if (blocking.length > 0) {
          throw new ConfigurationError(`pre-flight checks failed: ${blocking.map((f) => f.message).join('; ')}`, {
            remediation: blocking.map((f) => f.fix ?? f.message).join(' '),
          });
        }
      }
      job.order = await ca.placeOrder({
        certificateId: record.id,
        names: record.names,
        directoryUrl: record.directoryUrl,
        eabSecretId: record.eabSecretId,
        keyType: job.keyType,
        replacesAriCertId: record.ariCertId,
      });
      job.challenges = job.order.challenges.map((c) => ({ ...c, zoneId: zoneFor(c.identifier, zoneIds) }));
    } catch (e) {
      job.error = toCertbeatError(e);
    }
    return job;
  }

  /** Writes the next check of a certificate that needs no work; a failed write is logged, never a failure. */
  private async recordNotDue(
    record: CertificateRecord,
    decision: { reason: string; detail: string; nextCheckAt: Date },
    window: RenewalWindow | undefined,
    options: RunOptions,
    summary: RunSummary,
  ): Promise<void> {
    const { inventory, log } = this.deps;
    summary.notDue.push({ id: record.id, reason: decision.detail, nextCheckAt: decision.nextCheckAt.toISOString() });
    try {
      await inventory.recordOutcome(record.id, options.invocationId, {
        nextCheckAt: decision.nextCheckAt.toISOString(),
        renewalWindow: window ?? null,
        // A valid certificate outside its window starts the next window with a clean retry ladder.
        ...(decision.reason === 'valid' ? { failureCount: 0 } : {}),
      });
    } catch (e) {
      log.warn('could not record the next check; the lease expires by itself', { id: record.id, error: toCertbeatError(e).message });
      await inventory.releaseLease(record.id, options.invocationId).catch(() => undefined);
    }
  }

  /**
   * Picks up a certificate kept after a failed import: still valid for more than a day and for the
   * configured names, it is imported without a new order. Anything else in the slot is discarded.
   */
  private async takePending(job: Job, now: Date): Promise<boolean> {
    const { pendingImports, log } = this.deps;
    if (!job.record.pendingImport || !pendingImports) return false;
    const kept = await pendingImports.load(job.record.id);
    const sameNames = kept && sameNameSet(kept.names, job.record.names);
    if (kept && sameNames && kept.notAfter.getTime() - now.getTime() > 86_400_000) {
      log.info('importing the certificate kept after a failed import', { id: job.record.id, serial: kept.serial });
      job.issued = kept;
      job.fromPending = true;
      job.reason = 'a certificate issued earlier waits for import';
      return true;
    }
    await pendingImports.discard(job.record.id);
    job.slotCleared = true;
    return false;
  }

  /** Asks the CA for its ARI window; a CA without ARI, or a failing lookup, keeps what we had. */
  private async refreshRenewalWindow(record: CertificateRecord): Promise<RenewalWindow | undefined> {
    if (!record.ariCertId || !record.acmArn) return record.renewalWindow;
    try {
      return (await this.deps.ca.renewalInfo(record.directoryUrl, record.ariCertId)) ?? undefined;
    } catch (e) {
      this.deps.log.warn('renewal info unavailable; using the lifetime rule', { id: record.id, error: toCertbeatError(e).message });
      return record.renewalWindow;
    }
  }

  /** Imports and records, or records the failure. Never throws; runs once per job. */
  private async finish(job: Job, options: RunOptions, summary: RunSummary): Promise<void> {
    if (job.done) return;
    job.done = true;
    try {
      if (job.issued && !job.error) {
        try {
          await this.succeed(job, options, summary);
          return;
        } catch (e) {
          job.error = toCertbeatError(e);
        }
      }
      await this.fail(job, job.error ?? new CertbeatError('the order ended without a certificate'), options, summary);
    } catch (e) {
      this.deps.log.error('unexpected error finishing a certificate', { id: job.record.id, error: toCertbeatError(e).message });
    }
  }

  private async succeed(job: Job, options: RunOptions, summary: RunSummary): Promise<void> {
    const { store, inventory, clock, log, ca } = this.deps;
    const { record } = job;
    const issued = job.issued!;
    const firstIssuance = !record.acmArn;
    let arn: string;
    try {
      arn = await store.import({
        arn: record.acmArn,
        certificatePem: issued.certificatePem,
        chainPem: issued.chainPem,
        privateKeyPem: issued.privateKeyPem,
        tags: { [CERTIFICATE_ID_TAG]: record.id },
      });
    } catch (e) {
      await this.keepPending(job);
      throw e;
    }
    // From here on the certificate is in ACM: nothing below may turn this into a failure.
    let slotEmpty = true;
    if (this.deps.pendingImports && (job.fromPending || record.pendingImport)) {
      slotEmpty = await this.deps.pendingImports.discard(record.id).then(
        () => true,
        (e) => {
          log.warn('could not empty the pending-import slot; it is emptied on a later run', { id: record.id, error: toCertbeatError(e).message });
          return false;
        },
      );
    }
    const now = clock.now();
    let window: RenewalWindow | undefined;
    if (issued.ariCertId) {
      // Bounded: the CA's advice is welcome, but not worth the time left for other imports.
      window = await withTimeout(ca.renewalInfo(record.directoryUrl, issued.ariCertId), 5_000).catch(() => undefined);
    }
    const renewAt = renewalTime({ id: record.id, notBefore: issued.notBefore.toISOString(), notAfter: issued.notAfter.toISOString(), renewalWindow: window });
    const nextCheckAt = new Date(Math.min(renewAt.time.getTime(), now.getTime() + MAX_CHECK_INTERVAL_MS));
    const recorded = await retrying(3, () => inventory.recordOutcome(record.id, options.invocationId, {
      lastOutcome: { at: now.toISOString(), result: firstIssuance ? 'issued' : 'renewed' },
      failureCount: 0,
      nextCheckAt: nextCheckAt.toISOString(),
      acmArn: arn,
      notBefore: issued.notBefore.toISOString(),
      notAfter: issued.notAfter.toISOString(),
      serial: issued.serial,
      issuedNames: issued.names,
      ariCertId: issued.ariCertId,
      renewalWindow: window ?? null,
      pendingImport: !slotEmpty,
      forceRenewal: false,
    }));
    if (recorded !== true) {
      // The next run would order again (and, on first issuance, import under a new ARN): say so loudly.
      log.error('renewed, but the inventory could not be updated', { id: record.id, arn, serial: issued.serial, error: toCertbeatError(recorded).message });
    }
    summary.renewed.push({ id: record.id, firstIssuance, arn, serial: issued.serial, notAfter: issued.notAfter.toISOString() });
    log.info(firstIssuance ? 'issued' : 'renewed', { id: record.id, arn, serial: issued.serial, notAfter: issued.notAfter.toISOString() });

    const described = await store.describe(arn).catch(() => undefined);
    await this.mail.send(
      {
        kind: 'renewed',
        record,
        firstIssuance,
        arn,
        names: issued.names,
        serial: issued.serial,
        notAfter: issued.notAfter,
        issuer: issued.issuer,
        directoryUrl: record.directoryUrl,
        inUseBy: described?.inUseBy ?? [],
        nextCheckAt,
      },
      record.owners,
    );
  }

  /** Keeps an issued certificate that ACM did not take, so that it is not lost. */
  private async keepPending(job: Job): Promise<void> {
    const { pendingImports, log } = this.deps;
    if (!pendingImports || !job.issued) return;
    if (job.fromPending) {
      job.keptPending = true;
      return;
    }
    try {
      await pendingImports.save(job.record.id, job.issued);
      job.keptPending = true;
    } catch (e) {
      log.error('could not keep the issued certificate for a later import', { id: job.record.id, error: toCertbeatError(e).message });
    }
  }

  private async fail(job: Job, error: CertbeatError, options: RunOptions, summary: RunSummary): Promise<void> {
    const { inventory, clock, log } = this.deps;
    const { record } = job;
    if (error instanceof LeaseHeldError) {
      summary.skipped.push({ id: record.id, reason: error.message });
      return;
    }
    const now = clock.now();
    const failureCount = record.failureCount + 1;
    let next = nextAttemptAfterFailure(failureCount, now, {
      notAfter: record.notAfter,
      retryAfter: error instanceof RateLimitedError ? error.retryAfter : undefined,
    });
    // A person has to act on a configuration problem: look again daily, not hourly.
    if (!isRetryable(error)) next = new Date(Math.max(next.getTime(), now.getTime() + MAX_CHECK_INTERVAL_MS));
    summary.failed.push({ id: record.id, errorClass: error.name, message: error.message, nextAttemptAt: next.toISOString() });
    log.error('not renewed', { id: record.id, errorClass: error.name, error: error.message, fix: error.remediation, nextAttemptAt: next.toISOString() });

    try {
      await inventory.recordOutcome(record.id, options.invocationId, {
        lastOutcome: { at: now.toISOString(), result: 'failed', errorClass: error.name, message: error.message.slice(0, 1000) },
        failureCount,
        nextCheckAt: next.toISOString(),
        // The slot may still hold a key when a pending import could not be confirmed gone.
        pendingImport: job.keptPending === true || (record.pendingImport === true && !job.slotCleared),
        ...(job.renewalWindow ? { renewalWindow: job.renewalWindow } : {}),
      });
    } catch (e) {
      log.error('could not record the failure', { id: record.id, error: toCertbeatError(e).message });
    }

    const current = urgency(record.notAfter, now);
    const previous = record.lastOutcome?.result === 'failed' ? urgency(record.notAfter, new Date(record.lastOutcome.at)) : undefined;
    if (!shouldMailFailure(failureCount, previous, current)) return;
    await this.mail.send(
      {
        kind: 'failed',
        record,
        errorClass: error.name,
        errorKind: error.kind,
        message: error.message,
        remediation: job.keptPending
          ? `${error.remediation} The certificate already issued is kept encrypted and will be imported on the next attempt, without a new order.`
          : error.remediation,
        retryable: isRetryable(error),
        problemType: 'problemType' in error ? (error.problemType as string | undefined) : undefined,
        findings: job.findings.filter((f) => !f.ok),
        failureCount,
        daysLeft: daysLeft(record.notAfter, now),
        notAfter: record.notAfter ? new Date(record.notAfter) : undefined,
        nextAttemptAt: next,
        urgency: current,
      },
      record.owners,
    );
  }
}

/** The zone of a challenge's identifier; locateZones may key by the name as configured or by its base. */
function zoneFor(identifier: string, zoneIds: Record<string, string>): string {
  const name = normalizeName(identifier);
  const zone = zoneIds[identifier] ?? zoneIds[name] ?? zoneIds[baseName(name)] ?? zoneIds[`*.${baseName(name)}`];
  if (!zone) throw new ConfigurationError(`no hosted zone was located for ${identifier}`, { field: 'zones' });
  return zone;
}

function sameNameSet(a: string[], b: string[]): boolean {
  const x = new Set(a.map((n) => normalizeName(n)));
  const y = new Set(b.map((n) => normalizeName(n)));
  return x.size === y.size && [...x].every((n) => y.has(n));
}

/** Resolves `undefined` when `promise` takes longer than `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Runs `fn` up to `attempts` times with a short pause; `true` on success, else the last error. */
async function retrying(attempts: number, fn: () => Promise<unknown>): Promise<true | unknown> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      await fn();
      return true;
    } catch (e) {
      last = e;
      // A lost lease will not come back: stop at once.
      if (e instanceof LeaseHeldError) break;
      await new Promise((r) => setTimeout(r, 200 * 2 ** i));
    }
  }
  return last;
}
