/**
 * One run: plan, lease, order, publish, validate, import, record, notify.
 *
 * Certificates are worked in waves. Within a wave every order is placed first, then all dns-01 values
 * are published together (one Route 53 change per zone instead of one per certificate), then the
 * orders are completed, and the values are cleaned up whatever happened. A failure of one certificate
 * never stops the others; work stops being picked up when the invocation's remaining time gets short.
 *
 * Nothing is lost silently: what a run does is journaled on the record under its lease (TXT values
 * published, the order URL, the serial being imported), so a later run removes a dead run's values,
 * resumes its order, and adopts an import whose answer was lost instead of importing twice; a mail SES
 * did not take waits in the record's outbox and is sent again.
 */
import { OrderBudget, byPriority, type BudgetStore } from './budget.js';
import { chunk, limiter, mapLimit } from './concurrency.js';
import { settlesWithin, untilAborted } from './promises.js';
import { CertbeatError, ConfigurationError, InterruptedError, toCertbeatError } from './errors.js';
import { findImported, isDefiniteRefusal } from './import-guard.js';
import { aliasFor, zoneLookup } from './challenge-alias.js';
import { findInRegions, importIntoRegions, regionalImportError, targetRegions } from './regional-imports.js';
import {
  CERTIFICATE_ID_TAG,
  type CertificateRecord,
  type KeyType,
  type PublishedTxt,
  type RenewalWindow,
  type StoredCertificate,
} from './model.js';
import { claimAdopted, isBeingAdopted } from './adoption.js';
import { OutcomeRecorder, renewalAdvice } from './certificate-outcome.js';
import { MultiRegion } from './multi-region.js';
import { dryRunRecord } from './dry-run.js';
import { baseName, normalizeName } from './names.js';
import type { Finding } from './notices.js';
import { NoticeSender } from './notice-sender.js';
import type { MailSettings } from './mail/render.js';
import type { PendingImports } from './pending-imports.js';
import type { CertificateAuthority, CertificateStore, Clock, DnsSolver, Inventory, Notifier, RunLog } from './ports.js';
import { RateLimitGate } from './rate-limit-gate.js';
import { gateKey, interrupted, type Installed, type Job, type RunState } from './renewal-job.js';
import { decide, mayAskAri } from './renewal-policy.js';
import { emptySummary, type RunSummary } from './run-summary.js';

/** What the pre-flight checks get: the record, its zones and what ACM knows of the current certificate. */
export interface PreflightRequest {
  record: CertificateRecord;
  zoneIds: Record<string, string>;
  storedKeyType?: KeyType;
  inUseBy?: string[];
  /** What ACM describes for the record's ARN (absent: no ARN, or ACM does not know it). */
  stored?: StoredCertificate;
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
  /** Language and time zone of the mails (CERTBEAT_MAIL_LANGUAGE, CERTBEAT_TIME_ZONE). */
  mailSettings?: MailSettings;
  /** Returns findings; those with `ok: false` that are blocking stop the order (see `isBlocking`). */
  preflight?: (request: PreflightRequest) => Promise<Finding[]>;
  /** Which failing findings stop an order. Default: every failing finding. */
  isBlocking?: (finding: Finding) => boolean;
  /** Where an issued certificate waits when ACM refused it, so the next run imports it without a new order. */
  pendingImports?: PendingImports;
  /** The ACM store of a region, for certificates with `regions` (regional-imports.ts); `store` is `homeRegion`'s. */
  storeFor?: (region: string) => CertificateStore;
  /** The deployment's own region (where `store` imports); required for certificates with `regions`. */
  homeRegion?: string;
  /** Certificates prepared, imported, recorded and mailed at once (AWS calls). Default 16. */
  concurrency?: number;
  /** Orders whose validation and download run at once (CA calls). Default: the whole wave. */
  completeConcurrency?: number;
  /** Certificates per wave (one DNS change per zone per wave). */
  waveSize?: number;
  /** Do not start a wave with less than this left (ms): an order needs time to validate and import. */
  minStartMs?: number;
  /** Time kept back at the end for import, records and clean-up (ms). */
  reserveMs?: number;
  /** Rate-limit and quota counts (lambda/domain/budget.ts); absent: no budget is kept. */
  budget?: BudgetStore;
}

export interface RunOptions {
  /** Lease owner: the invocation's request id. */
  invocationId: string;
  /** Milliseconds left in this invocation (Lambda's getRemainingTimeInMillis). */
  remainingMs: () => number;
  /**
   * How long a lease outlives the invocation's budget (ms). Default 5 minutes: a Lambda may be frozen
   * past its timeout. A CLI process that enforces its own budget needs less.
   */
  leaseMarginMs?: number;
  /** Stops the run (SIGINT/SIGTERM): no new work; TXT values are removed and leases given back. */
  signal?: AbortSignal;
  /** Work only these certificates (renew now, ACM expiry event), read by id instead of the due query. */
  ids?: string[];
  /** With `ids`: renew even outside the window (the "renew now" button). */
  force?: boolean;
  /** Mail the owners of invalid items (default true). Off for triggers that fire several times a day. */
  mailInvalidItems?: boolean;
  /**
   * certbot's `renew --dry-run`: a full order with real DNS validation (Let's Encrypt production is
   * swapped for its staging CA), then the certificate is dropped: nothing imported, journaled or
   * recorded, no mail; only the lease is taken and given back.
   */
  dryRun?: boolean;
}

export class RenewalService {
  private readonly mail: NoticeSender;
  private readonly outcomes: OutcomeRecorder;
  private readonly regions: MultiRegion;

  constructor(private readonly deps: RenewalServiceDeps) {
    this.mail = new NoticeSender(deps);
    this.regions = new MultiRegion(deps);
    this.outcomes = new OutcomeRecorder(deps, this.regions, this.mail);
  }

  async run(options: RunOptions): Promise<RunSummary> {
    const { inventory, clock, log } = this.deps;
    const state: RunState = {
      options,
      summary: emptySummary(),
      gate: new RateLimitGate(),
      budget: this.deps.budget ? new OrderBudget(this.deps.budget, () => clock.now()) : undefined,
    };
    const { summary } = state;
    const batch = options.ids
      ? await this.loadByIds(options.ids, (options.force ?? false) && !options.dryRun, summary)
      : await inventory.listDue(clock.now());

    for (const item of batch.invalid) {
      summary.invalid.push({ id: item.id, problems: item.problems });
      log.error('inventory item is invalid', { id: item.id, problems: item.problems });
      if (options.mailInvalidItems !== false) {
        const sent = await this.mail.send({ kind: 'invalid', item }, item.owners);
        // Invalid items are mailed again by every scheduled run: no outbox needed.
        if (!sent.sent && sent.error !== 'no recipient') summary.mailsNotSent.push({ id: item.id, kind: 'invalid', error: sent.error, kept: false });
      }
    }

    // ARI renewals first (exempt from LE's limits), then the most urgent: what a budget leaves out waits.
    const waves = chunk(byPriority(batch.records, clock.now()), this.deps.waveSize ?? 50);
    for (const [w, wave] of waves.entries()) {
      const stop = options.signal?.aborted
        ? 'interrupted: the run was stopped before it got to this certificate'
        : options.remainingMs() < (this.deps.minStartMs ?? 180_000)
          ? 'out of time: left for the next run'
          : undefined;
      if (stop) {
        const left = waves.slice(w).flat();
        for (const record of left) summary.skipped.push({ id: record.id, reason: stop });
        log.warn(options.signal?.aborted ? 'stopping early: interrupted' : 'stopping early: remaining time is short', { left: left.length });
        break;
      }
      await this.runWave(wave, state);
    }
    if (state.budget) {
      const warning = await state.budget.status().then((s) => s.warning, () => undefined);
      if (warning) log.warn('ACM import quota', { warning });
    }
    log.info('run finished', {
      renewed: summary.renewed.length,
      notDue: summary.notDue.length,
      failed: summary.failed.length,
      skipped: summary.skipped.length,
      invalid: summary.invalid.length,
      mailsNotSent: summary.mailsNotSent.length,
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

  private async runWave(records: CertificateRecord[], state: RunState): Promise<void> {
    const { dns, clock, inventory, log } = this.deps;
    const { options } = state;
    const limit = this.deps.concurrency ?? 16;
    const deadline = () =>
      options.signal?.aborted ? clock.now() : new Date(clock.now().getTime() + options.remainingMs() - (this.deps.reserveMs ?? 60_000));

    const jobs = await mapLimit(records, limit, (record) => this.prepare(record, state));
    await this.flushBudget(state);
    const ordered = jobs.filter((j) => j.order && !j.error);
    const challenges = ordered.flatMap((j) => j.challenges);
    const stale = jobs.filter((j) => !j.done).flatMap((j) => j.stale);
    let cleaned = false;
    let presenting: Promise<unknown> | undefined;
    try {
      if (challenges.length > 0) {
        const publishing = dns.present(challenges, deadline(), stale);
        presenting = publishing;
        const failed = await untilAborted(publishing, options.signal, interrupted);
        for (const job of ordered) {
          const hit = job.challenges.find((c) => failed.has(c));
          if (hit) job.error = toCertbeatError(failed.get(hit));
        }
      }
      // The CA validates every order of the wave at once (they wait on it, not on us); imports, records
      // and mails, which call AWS, keep to `concurrency`.
      const finishing = limiter(limit);
      const validating = ordered.filter((j) => !j.error);
      await mapLimit(
        validating,
        this.deps.completeConcurrency ?? validating.length,
        async (job) => {
          try {
            job.issued = await untilAborted(this.deps.ca.completeOrder(job.order!, deadline()), options.signal, interrupted);
          } catch (e) {
            job.error = toCertbeatError(e);
            state.gate.note(gateKey(job.record), job.error);
          }
          // Import at once: an issued certificate must reach ACM (or the pending slot) before time runs out.
          if (job.issued) await finishing(() => this.finish(job, state));
        },
      );
    } catch (e) {
      // present() itself failed outright: every order of the wave fails with that cause.
      for (const job of ordered) job.error ??= toCertbeatError(e);
    } finally {
      // Stopped while publishing: let the change land first, or the clean-up would miss its values.
      if (presenting && options.signal?.aborted && !(await settlesWithin(presenting, ABORT_SETTLE_MS))) {
        for (const job of ordered) job.journalOpen = true;
        log.warn('interrupted while publishing: the TXT journal is kept for a later run to finish the clean-up');
      }
      const values: PublishedTxt[] = [...challenges, ...stale];
      if (values.length > 0) {
        await dns.cleanup(values);
        cleaned = true;
      }
    }
    await mapLimit(jobs, limit, (job) => this.finish(job, state));
    // Certificates recorded before the clean-up kept their journal until now.
    if (cleaned) {
      await mapLimit(
        jobs.filter((j) => j.journaled && j.issued && !j.error),
        limit,
        (job) => inventory.clearPublished(job.record.id, job.journaled!).catch((e) => {
          log.warn('could not clear the TXT journal; a later run clears it', { id: job.record.id, error: toCertbeatError(e).message });
        }),
      );
    }
    await this.flushBudget(state);
  }

  /** Writes the wave's budget counts (one write); a failure only under-counts, so it is logged. */
  private async flushBudget(state: RunState): Promise<void> {
    await state.budget?.flush().catch((e) => this.deps.log.warn('budget counts not written; a later flush retries', { error: toCertbeatError(e).message }));
  }

  /** Lease, re-check, find zones, pre-flight, place the order. Never throws: errors land on the job. */
  private async prepare(candidate: CertificateRecord, state: RunState): Promise<Job> {
    const { inventory, clock, ca, dns, store, log } = this.deps;
    const { options, summary } = state;
    const job: Job = { record: candidate, findings: [], challenges: [], stale: [] };
    const now = clock.now();
    let record: CertificateRecord | undefined;
    try {
      const until = new Date(now.getTime() + options.remainingMs() + (options.leaseMarginMs ?? 300_000));
      record = await inventory.acquireLease(candidate.id, { owner: options.invocationId, until: until.toISOString() }, now);
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
    if (options.dryRun) record = dryRunRecord(record);
    job.record = record;
    // We hold the lease, so a journal on the record is a dead run's: its values are stale.
    job.stale = record.published ?? [];
    if (job.stale.length > 0) log.warn('removing TXT values an interrupted run left', { id: record.id, values: job.stale.length });
    try {
      if (record.owedMails?.length) job.owed = await this.outcomes.resendOwed(record, summary);
      if (record.status === 'paused') {
        // Resumed later, it must be looked at again promptly: leave nextCheckAt as it is.
        await this.outcomes.settleEarly(job, { nextCheckAt: record.nextCheckAt }, options);
        summary.notDue.push({ id: record.id, reason: 'paused by its owner', nextCheckAt: record.nextCheckAt });
        return { ...job, done: true };
      }
      if (record.importingSerial && this.regions.multiRegion(record)) {
        if (await this.adoptInRegions(job, state)) return { ...job, done: true };
      } else if (record.importingSerial && (await this.adoptUnfinishedImport(job, state))) return { ...job, done: true };
      if (await this.takePending(job, now)) return job;
      job.renewalWindow = await this.refreshRenewalWindow(record, now);
      // Re-check with the fresh record: another run may have renewed it since the due query.
      const missing = this.regions.regionsWithoutCertificate(record);
      const decision =
        missing.length > 0
          ? { due: true as const, reason: 'regions', detail: `not yet in ${missing.join(', ')}: a new certificate is ordered for every region` }
          : decide({ ...record, renewalWindow: job.renewalWindow }, now);
      if (!decision.due) {
        await this.outcomes.recordNotDue(job, decision, state);
        return { ...job, done: true };
      }
      job.reason = decision.detail;
      log.info('due', { id: record.id, reason: decision.reason, detail: decision.detail });

      // A CNAME-delegated name's zone is its alias target's (challenge-alias.ts).
      const lookup = zoneLookup(record.names, record.zones, record.challengeAliases);
      const zoneIds = lookup.back(await dns.locateZones(lookup.names, lookup.explicit));
      const stored = record.acmArn ? await this.regions.primaryStore(record).describe(record.acmArn) : undefined;
      // ACM refuses a key algorithm change on re-import, so a renewal keeps the current one.
      job.keyType = stored?.keyAlgorithm ?? record.keyType;
      job.inUseBy = stored?.inUseBy;
      if (this.deps.preflight) {
        job.findings = await this.deps.preflight({ record, zoneIds, storedKeyType: stored?.keyAlgorithm, inUseBy: stored?.inUseBy, stored });
        const blocking = job.findings.filter((f) => !f.ok && (this.deps.isBlocking ?? (() => true))(f));
        if (blocking.length > 0) {
          throw new ConfigurationError(`pre-flight checks failed: ${blocking.map((f) => f.message).join('; ')}`, {
            remediation: blocking.map((f) => f.fix ?? f.message).join(' '),
          });
        }
      }
      // An adopted ARN gets its certbeat:id tag before anything is ordered for it (IAM and findByTag key on it).
      if (isBeingAdopted(record)) await claimAdopted(store, record);
      if (options.signal?.aborted) throw interrupted();
      state.gate.check(gateKey(record), record.directoryUrl);
      // A resumed order is no new order; anything else must fit the budget, or waits until it does.
      const refused = record.pendingOrderUrl ? undefined : await state.budget?.refusal(record).catch((e) => {
        log.warn('budget unavailable; ordering without it', { id: record.id, error: toCertbeatError(e).message });
        return undefined;
      });
      if (refused) {
        await this.outcomes.settleEarly(job, { nextCheckAt: refused.retryAt.toISOString() }, options);
        summary.skipped.push({ id: record.id, reason: `order budget: ${refused.reason}; next try ${refused.retryAt.toISOString()}` });
        log.warn('not ordered: over budget', { id: record.id, reason: refused.reason, nextCheckAt: refused.retryAt.toISOString() });
        return { ...job, done: true };
      }
      try {
        job.order = await ca.placeOrder({
          certificateId: record.id,
          names: record.names,
          directoryUrl: record.directoryUrl,
          eabSecretId: record.eabSecretId,
          keyType: job.keyType,
          replacesAriCertId: record.ariCertId,
          resumeOrderUrl: record.pendingOrderUrl,
          ...(record.profile ? { profile: record.profile, profileFallback: record.profileFallback } : {}),
        });
        if (job.order.profileNote) log.warn('profile refused; ordered the fallback', { id: record.id, note: job.order.profileNote });
      } catch (e) {
        state.gate.note(gateKey(record), e);
        throw e;
      }
      if (job.order.orderUrl !== record.pendingOrderUrl) {
        await state.budget?.noteOrder(record).catch((e) => log.warn('order not counted in the budget', { id: record.id, error: toCertbeatError(e).message }));
      }
      job.challenges = job.order.challenges.map((c) => ({
        ...c,
        recordName: aliasFor(c.identifier, record.challengeAliases) ?? c.recordName,
        zoneId: zoneFor(c.identifier, zoneIds),
      }));
      // Journal the values before they are published: if this run dies, a later one removes them.
      if (!options.dryRun) {
        const published = job.challenges.map(({ recordName, value, zoneId }) => ({ recordName, value, zoneId }));
        await inventory.saveProgress(record.id, options.invocationId, {
          published: published.length > 0 ? published : undefined,
          pendingOrderUrl: job.order.orderUrl,
        });
        if (published.length > 0) job.journaled = published;
      }
    } catch (e) {
      job.error = toCertbeatError(e);
    }
    return job;
  }

  /**
   * An earlier run started importing `importingSerial` and never recorded the answer. If ACM holds it,
   * it is adopted (recorded, mailed) without a new order; otherwise the journal entry is dropped and
   * the certificate goes on as usual (the pending-import slot, or a new order).
   */
  private async adoptUnfinishedImport(job: Job, state: RunState): Promise<boolean> {
    const { store, log } = this.deps;
    const { record } = job;
    const serial = record.importingSerial!;
    const { match, others } = await findImported(store, record, serial);
    if (others.length > 0) {
      log.error('ACM holds further certificates tagged with this id; they are not renewed by certbeat', {
        id: record.id,
        arns: others.map((c) => c.arn),
        fix: 'Delete them in ACM once nothing uses them (aws acm delete-certificate --certificate-arn ARN).',
      });
    }
    if (!match?.notAfter) {
      log.info('an unfinished import did not reach ACM; going on', { id: record.id, serial });
      job.importChecked = true;
      return false;
    }
    log.warn('adopting a certificate an earlier run imported without recording it', { id: record.id, arn: match.arn, serial });
    const installed = adoptedFacts(record, serial, match);
    if (this.deps.pendingImports && record.pendingImport) await this.deps.pendingImports.discard(record.id).catch(() => undefined);
    if (job.stale.length > 0) await this.deps.dns.cleanup(job.stale);
    await this.outcomes.recordSuccess(job, installed, { firstIssuance: !record.acmArn, slotEmpty: true, inUseBy: match.inUseBy }, state);
    return true;
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

  /**
   * Asks the CA for its ARI window; a CA without ARI, or a failing lookup, keeps what we had. Not before
   * the CA's Retry-After: until then the window it last gave stands.
   */
  private async refreshRenewalWindow(record: CertificateRecord, now: Date): Promise<RenewalWindow | undefined> {
    if (!record.ariCertId || !record.acmArn) return record.renewalWindow;
    if (!mayAskAri(record.renewalWindow, now)) return record.renewalWindow;
    try {
      return (await this.deps.ca.renewalInfo(record.directoryUrl, record.ariCertId)) ?? undefined;
    } catch (e) {
      this.deps.log.warn('renewal info unavailable; using the lifetime rule', { id: record.id, error: toCertbeatError(e).message });
      return record.renewalWindow;
    }
  }

  /** Imports and records, or records the failure. Never throws; runs once per job. */
  private async finish(job: Job, state: RunState): Promise<void> {
    if (job.done) return;
    job.done = true;
    try {
      if (job.issued && !job.error) {
        try {
          await this.succeed(job, state);
          return;
        } catch (e) {
          job.error = toCertbeatError(e);
        }
      }
      const error = job.error ?? new CertbeatError('the order ended without a certificate');
      if (error instanceof InterruptedError) await this.outcomes.giveBack(job, state);
      else await this.outcomes.fail(job, error, state);
    } catch (e) {
      this.deps.log.error('unexpected error finishing a certificate', { id: job.record.id, error: toCertbeatError(e).message });
    }
  }

  private async succeed(job: Job, state: RunState): Promise<void> {
    const { inventory, log } = this.deps;
    const { record } = job;
    const issued = job.issued!;
    const owner = state.options.invocationId;
    if (state.options.dryRun) {
      (state.summary.dryRun ??= []).push({ id: record.id, serial: issued.serial, notAfter: issued.notAfter.toISOString(), directoryUrl: record.directoryUrl });
      log.info('dry run: issued, not imported', { id: record.id, serial: issued.serial });
      await inventory.releaseLease(record.id, owner);
      return;
    }
    // The CA's advice for the new certificate is asked while it is imported (recordSuccess awaits it).
    const advice = renewalAdvice(this.deps.ca, record, issued.ariCertId);
    if (this.regions.multiRegion(record)) return this.succeedInRegions(job, state, advice);
    let arn: string;
    try {
      // The intent first: if the answer to the import is lost, a later run finds the serial in ACM.
      await inventory.saveProgress(record.id, owner, { importingSerial: issued.serial });
      arn = await this.importOnce(job);
      await state.budget?.noteImport().catch((e) => log.warn('import not counted in the budget', { id: record.id, error: toCertbeatError(e).message }));
    } catch (e) {
      job.importRefused = isDefiniteRefusal(e);
      await this.keepPending(job);
      throw e;
    }
    // From here on the certificate is in ACM: nothing below may turn this into a failure.
    const slotEmpty = await this.emptyPendingSlot(job);
    await this.outcomes.recordSuccess(job, { ...issued, arn }, { firstIssuance: !record.acmArn, slotEmpty, advice }, state);
  }

  /** Empties the pending-import slot after the import it held went through; false when that failed (a later run retries). */
  private async emptyPendingSlot(job: Job): Promise<boolean> {
    const { pendingImports, log } = this.deps;
    if (!pendingImports || !(job.fromPending || job.record.pendingImport)) return true;
    return pendingImports.discard(job.record.id).then(
      () => true,
      (e) => {
        log.warn('could not empty the pending-import slot; it is emptied on a later run', { id: job.record.id, error: toCertbeatError(e).message });
        return false;
      },
    );
  }

  /**
   * One ImportCertificate, never retried blindly: when its answer is not a definite refusal, ACM is
   * asked whether it now holds this serial, and that certificate is taken.
   */
  private async importOnce(job: Job): Promise<string> {
    const { store, log } = this.deps;
    const { record } = job;
    const issued = job.issued!;
    try {
      return await store.import({
        arn: record.acmArn,
        certificatePem: issued.certificatePem,
        chainPem: issued.chainPem,
        privateKeyPem: issued.privateKeyPem,
        tags: { [CERTIFICATE_ID_TAG]: record.id },
      });
    } catch (e) {
      if (isDefiniteRefusal(e)) throw e;
      const found = await findImported(store, record, issued.serial).catch(() => undefined);
      if (found?.match) {
        log.warn('the import answer was lost, but ACM holds the certificate: adopted', { id: record.id, arn: found.match.arn, error: toCertbeatError(e).message });
        return found.match.arn;
      }
      throw e;
    }
  }

  /**
   * `succeed` for a certificate imported into several regions: each region's import sent once, the
   * pending-import slot keeping the certificate for the regions that did not take it.
   */
  private async succeedInRegions(job: Job, state: RunState, advice: Promise<RenewalWindow | undefined>): Promise<void> {
    const { inventory, log } = this.deps;
    const { record } = job;
    const issued = job.issued!;
    const home = this.deps.homeRegion!;
    const all = targetRegions(record, home);
    // A kept certificate goes only where it is still missing.
    const regions = job.fromPending && record.pendingRegions?.length ? all.filter((r) => record.pendingRegions!.includes(r)) : all;
    let storeFor: (region: string) => CertificateStore;
    try {
      storeFor = this.regions.regionalStores();
      await inventory.saveProgress(record.id, state.options.invocationId, { importingSerial: issued.serial });
    } catch (e) {
      await this.keepPending(job);
      throw e;
    }
    const result = await importIntoRegions(record, issued, regions, { storeFor, homeRegion: home, log, arns: job.foundArns });
    // The budget counts the deployment's own region (its quota is per account and region).
    if (regions.includes(home) && !result.failed.has(home)) await state.budget?.noteImport().catch(() => undefined);
    if (result.failed.size > 0) {
      job.importRefused = [...result.failed.values()].every((e) => isDefiniteRefusal(e));
      await this.keepPending(job);
      job.regional = { acmArns: result.arns, pending: [...result.failed.keys()] };
      throw regionalImportError(result.failed, result.arns);
    }
    const slotEmpty = await this.emptyPendingSlot(job);
    await this.outcomes.recordSuccess(job, { ...issued, arn: result.arns[all[0]] }, { firstIssuance: !record.acmArn, slotEmpty, acmArns: result.arns, advice }, state);
  }

  /**
   * `adoptUnfinishedImport` for several regions: when every region holds the journaled serial, it is
   * adopted; otherwise the ARNs found are kept for this run's imports and the certificate goes on.
   */
  private async adoptInRegions(job: Job, state: RunState): Promise<boolean> {
    const { record } = job;
    const home = this.deps.homeRegion!;
    const all = targetRegions(record, home);
    const held = await findInRegions(record, record.importingSerial!, { storeFor: this.regions.regionalStores(), homeRegion: home });
    job.foundArns = Object.fromEntries([...held].map(([r, c]) => [r, c.arn]));
    if (all.some((r) => !held.has(r))) {
      this.deps.log.info('an unfinished import did not reach every region; going on', { id: record.id, held: [...held.keys()] });
      job.importChecked = true;
      return false;
    }
    const primary = held.get(all[0])!;
    if (this.deps.pendingImports && record.pendingImport) await this.deps.pendingImports.discard(record.id).catch(() => undefined);
    if (job.stale.length > 0) await this.deps.dns.cleanup(job.stale);
    const installed = adoptedFacts(record, record.importingSerial!, primary);
    await this.outcomes.recordSuccess(job, installed, { firstIssuance: !record.acmArn, slotEmpty: true, acmArns: job.foundArns }, state);
    return true;
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
}

/** How long a stopped run waits for a Route 53 change already under way before cleaning up. */
const ABORT_SETTLE_MS = 30_000;

/**
 * The facts of a certificate an earlier run imported without recording, as ACM describes it. ACM may
 * not report notBefore: 90 days before expiry is assumed then (only the renewal timing uses it).
 */
function adoptedFacts(record: CertificateRecord, serial: string, stored: StoredCertificate): Installed {
  return {
    arn: stored.arn,
    serial,
    names: record.names,
    notBefore: stored.notBefore ?? new Date(stored.notAfter!.getTime() - 90 * 86_400_000),
    notAfter: stored.notAfter!,
    issuer: stored.issuer ?? '',
  };
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
