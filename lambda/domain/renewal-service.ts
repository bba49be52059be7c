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
import { OutcomeRecorder } from './certificate-outcome.js';
import { chunk, limiter, mapLimit } from './concurrency.js';
import { CertbeatError, InterruptedError, isRetryable, toCertbeatError } from './errors.js';
import { Installer } from './install.js';
import type { CertificateRecord, KeyType, PublishedTxt, StoredCertificate } from './model.js';
import { MultiRegion } from './multi-region.js';
import type { Finding } from './notices.js';
import { NoticeSender } from './notice-sender.js';
import type { MailSettings } from './mail/render.js';
import type { PendingImports } from './pending-imports.js';
import type { CertificateAuthority, CertificateStore, Clock, DnsSolver, Inventory, Notifier, RunLog } from './ports.js';
import { Preparation } from './preparation.js';
import { settlesWithin, untilAborted } from './promises.js';
import { RateLimitGate } from './rate-limit-gate.js';
import { gateKey, interrupted, type Job, type RunState } from './renewal-job.js';
import { OUT_OF_TIME_REASON, emptySummary, type RunSummary } from './run-summary.js';

/** What the pre-flight checks get: the record, its zones and what ACM knows of the current certificate. */
export interface PreflightRequest {
  record: CertificateRecord;
  zoneIds: Record<string, string>;
  storedKeyType?: KeyType;
  inUseBy?: string[];
  /** What ACM describes for the record's ARN (absent: no ARN, or ACM does not know it). */
  stored?: StoredCertificate;
}

/** What the renewal service works with: the ports, and how much it does at once. */
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

/** One run's options (the Lambda's invocation, or the CLI). */
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

/**
 * Runs the renewals: the due certificates (or the ones asked for) in waves, each prepared
 * (preparation.ts), its order completed, then installed (install.ts) and recorded (certificate-outcome.ts).
 */
export class RenewalService {
  private readonly mail: NoticeSender;
  private readonly outcomes: OutcomeRecorder;
  private readonly installer: Installer;
  private readonly preparation: Preparation;

  constructor(private readonly deps: RenewalServiceDeps) {
    this.mail = new NoticeSender(deps);
    const regions = new MultiRegion(deps);
    this.outcomes = new OutcomeRecorder(deps, regions, this.mail);
    this.installer = new Installer(deps, regions, this.outcomes);
    this.preparation = new Preparation(deps, regions, this.outcomes, this.installer);
  }

  /** One run: every certificate taken is renewed, recorded and mailed, or left for the next run. */
  async run(options: RunOptions): Promise<RunSummary> {
    const { inventory, clock, log } = this.deps;
    const state: RunState = {
      options,
      summary: emptySummary(),
      gate: new RateLimitGate(),
      budget: this.deps.budget ? new OrderBudget(this.deps.budget, () => clock.now()) : undefined,
      releases: [],
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
          ? OUT_OF_TIME_REASON
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

    const jobs = await mapLimit(records, limit, (record) => this.preparation.prepare(record, state));
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
    await Promise.all(state.releases.splice(0));
    await this.flushBudget(state);
  }

  /** Writes the wave's budget counts (one write); a failure only under-counts, so it is logged. */
  private async flushBudget(state: RunState): Promise<void> {
    await state.budget?.flush().catch((e) => this.deps.log.warn('budget counts not written; a later flush retries', { error: toCertbeatError(e).message }));
  }


  /** Imports and records, or records the failure. Never throws; runs once per job. */
  private async finish(job: Job, state: RunState): Promise<void> {
    if (job.done) return;
    job.done = true;
    try {
      if (job.issued && !job.error) {
        try {
          await this.installer.succeed(job, state);
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
    } finally {
      this.release(job, state);
    }
  }

  /**
   * Lets the CA delete the key kept for a downloaded certificate's order once nothing needs to resume
   * that order: the certificate is in ACM or the pending-import slot, a dry run dropped it, or the order is
   * not kept for the next run (see `fail`). Kept otherwise: the next run downloads it again and imports it.
   */
  private release(job: Job, state: RunState): void {
    if (!job.order || !job.issued || job.fromPending) return;
    const error = job.error;
    const orderKept = error !== undefined && (error instanceof InterruptedError || (isRetryable(error) && !job.keptPending));
    if (orderKept) return;
    state.releases.push(this.deps.ca.releaseOrder(job.order));
  }
}

/** How long a stopped run waits for a Route 53 change already under way before cleaning up. */
const ABORT_SETTLE_MS = 30_000;
