/**
 * What a run writes on a certificate's record and mails its owner when the certificate's work ends:
 * renewed, failed, not due, or given back when the run was stopped. Also the owed mails sent again
 * under the lease, since what is still owed is written with the outcome.
 */
import { LeaseHeldError, RateLimitedError, isRetryable, toCertbeatError, type CertbeatError } from './errors.js';
import type { CertificateRecord, OwedMail, RenewalWindow } from './model.js';
import type { MultiRegion } from './multi-region.js';
import type { Notice } from './notices.js';
import type { NoticeSender } from './notice-sender.js';
import { Outbox } from './outbox.js';
import type { OutcomeUpdate } from './ports.js';
import { retrying } from './promises.js';
import { regionalUse, targetRegions } from './regional-imports.js';
import type { Installed, Job, RunState } from './renewal-job.js';
import {
  MAX_CHECK_INTERVAL_MS,
  daysLeft,
  nextAttemptAfterFailure,
  nextLookAt,
  renewalTime,
  shouldMailFailure,
  urgency,
} from './renewal-policy.js';
import type { RenewalServiceDeps, RunOptions } from './renewal-service.js';
import type { RunSummary } from './run-summary.js';

/** Records how a certificate's work ended and mails its owner; a mail SES refuses goes to the outbox. */
export class OutcomeRecorder {
  private readonly outbox: Outbox;

  constructor(
    private readonly deps: RenewalServiceDeps,
    private readonly regions: MultiRegion,
    private readonly mail: NoticeSender,
  ) {
    this.outbox = new Outbox(deps);
  }

  /** Sends the record's owed mails again; what is still owed is written with the outcome. */
  async resendOwed(record: CertificateRecord, summary: RunSummary): Promise<OwedMail[]> {
    const flushed = await this.outbox.flush(record.id, record.owedMails ?? []);
    for (const m of flushed.notSent) summary.mailsNotSent.push({ id: record.id, kind: m.kind, error: m.error, kept: !m.givenUp });
    return flushed.remaining;
  }

  /**
   * Ends a job that needs no order: removes a dead run's TXT values, then writes `update` with the
   * journal and outbox settled (or just releases the lease when there is nothing to write).
   */
  async settleEarly(job: Job, update: OutcomeUpdate, options: RunOptions): Promise<void> {
    const { inventory, dns, clock } = this.deps;
    const { record } = job;
    if (job.stale.length > 0) await dns.cleanup(job.stale);
    const nothingToWrite =
      job.stale.length === 0 && job.owed === undefined && !job.importChecked && update.nextCheckAt === record.nextCheckAt && Object.keys(update).length === 1;
    if (nothingToWrite) {
      await inventory.releaseLease(record.id, options.invocationId);
      return;
    }
    await inventory.recordOutcome(record.id, options.invocationId, {
      ...update,
      nextCheckAt: Outbox.nextCheck(new Date(update.nextCheckAt), job.owed, clock.now()).toISOString(),
      ...(job.stale.length > 0 ? { published: null } : {}),
      ...(job.importChecked ? { importingSerial: null } : {}),
      ...(job.owed !== undefined ? { owedMails: job.owed } : {}),
    });
  }

  /** Writes the next check of a certificate that needs no work; a failed write is logged, never a failure. */
  async recordNotDue(job: Job, decision: { reason: string; detail: string; nextCheckAt: Date }, state: RunState): Promise<void> {
    const { inventory, log } = this.deps;
    const { record } = job;
    const { options, summary } = state;
    summary.notDue.push({ id: record.id, reason: decision.detail, nextCheckAt: decision.nextCheckAt.toISOString() });
    try {
      await this.settleEarly(
        job,
        {
          nextCheckAt: decision.nextCheckAt.toISOString(),
          renewalWindow: job.renewalWindow ?? null,
          // A valid certificate outside its window starts the next window with a clean retry ladder.
          ...(decision.reason === 'valid' ? { failureCount: 0 } : {}),
        },
        options,
      );
    } catch (e) {
      log.warn('could not record the next check; the lease expires by itself', { id: record.id, error: toCertbeatError(e).message });
      await inventory.releaseLease(record.id, options.invocationId).catch(() => undefined);
    }
  }

  /** An interrupted certificate: due again at once, its order kept for resuming, its lease given back. */
  async giveBack(job: Job, state: RunState): Promise<void> {
    const { inventory, clock, log } = this.deps;
    const { record } = job;
    state.summary.skipped.push({ id: record.id, reason: 'interrupted: due again on the next run' });
    log.warn('interrupted: lease given back', { id: record.id });
    if (state.options.dryRun) return void (await inventory.releaseLease(record.id, state.options.invocationId));
    await inventory.recordOutcome(record.id, state.options.invocationId, {
      nextCheckAt: clock.now().toISOString(),
      ...((job.journaled || job.stale.length > 0) && !job.journalOpen ? { published: null } : {}),
      ...(job.order ? { pendingOrderUrl: job.order.orderUrl } : {}),
      ...(job.owed !== undefined ? { owedMails: job.owed } : {}),
      ...(job.keptPending ? { pendingImport: true } : {}),
    });
  }

  /** Records a certificate that is in ACM and mails its owner. Never turns the renewal into a failure. */
  async recordSuccess(
    job: Job,
    installed: Installed,
    how: {
      slotEmpty: boolean;
      inUseBy?: string[];
      acmArns?: Record<string, string>;
      /** The CA's ARI window for a just-issued certificate (absent for an adopted one: it has no ARI id here). */
      advice?: Promise<RenewalWindow | undefined>;
    },
    state: RunState,
  ): Promise<void> {
    const { inventory, clock, log } = this.deps;
    const { record } = job;
    const { arn } = installed;
    const now = clock.now();
    const firstIssuance = !record.acmArn;
    const window = await how.advice;
    const renewAt = renewalTime({ id: record.id, notBefore: installed.notBefore.toISOString(), notAfter: installed.notAfter.toISOString(), renewalWindow: window });
    const nextCheckAt = Outbox.nextCheck(nextLookAt({ ariCertId: installed.ariCertId, renewalWindow: window }, renewAt.time, now), job.owed, now);
    const recorded = await retrying(3, () => inventory.recordOutcome(record.id, state.options.invocationId, {
      lastOutcome: { at: now.toISOString(), result: firstIssuance ? 'issued' : 'renewed' },
      failureCount: 0,
      nextCheckAt: nextCheckAt.toISOString(),
      acmArn: arn,
      ...(how.acmArns ? { acmArns: how.acmArns, pendingRegions: null } : {}),
      notBefore: installed.notBefore.toISOString(),
      notAfter: installed.notAfter.toISOString(),
      serial: installed.serial,
      issuedNames: installed.names,
      ariCertId: installed.ariCertId,
      renewalWindow: window ?? null,
      pendingImport: !how.slotEmpty,
      importingSerial: null,
      pendingOrderUrl: null,
      // A journal of this run stays until its values are gone (cleared after the wave's clean-up).
      ...(!job.journaled && job.stale.length > 0 ? { published: null } : {}),
      ...(job.owed !== undefined ? { owedMails: job.owed } : {}),
      forceRenewal: false,
    }));
    state.summary.renewed.push({ id: record.id, firstIssuance, arn, serial: installed.serial, notAfter: installed.notAfter.toISOString() });
    if (recorded !== true) {
      // The serial being imported stays journaled: the next run finds it in ACM, records and mails it then.
      log.error('renewed, but the inventory could not be updated; the next run records it', { id: record.id, arn, serial: installed.serial, error: toCertbeatError(recorded).message });
      return;
    }
    log.info(firstIssuance ? 'issued' : 'renewed', { id: record.id, arn, serial: installed.serial, notAfter: installed.notAfter.toISOString() });

    // A first import is in use nowhere yet, and a re-import keeps the associations pre-flight saw.
    const inUseBy = how.inUseBy ?? job.inUseBy ?? (firstIssuance ? [] : (await this.regions.primaryStore(record).describe(arn).catch(() => undefined))?.inUseBy ?? []);
    const regions = how.acmArns ? await regionalUse(how.acmArns, this.deps.storeFor!) : undefined;
    await this.notify(
      {
        kind: 'renewed',
        record,
        firstIssuance,
        arn,
        names: installed.names,
        serial: installed.serial,
        notAfter: installed.notAfter,
        issuer: installed.issuer,
        directoryUrl: record.directoryUrl,
        inUseBy,
        nextCheckAt,
        ...(regions ? { regions } : {}),
        ...(job.order?.profile ? { profile: job.order.profile } : {}),
        ...(job.order?.profileNote ? { profileNote: job.order.profileNote } : {}),
      },
      record,
      state,
    );
  }

  /** Records a certificate that was not renewed, and mails its owner when the retry ladder says so. */
  async fail(job: Job, error: CertbeatError, state: RunState): Promise<void> {
    const { inventory, clock, log } = this.deps;
    const { record } = job;
    const { summary, options } = state;
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
    next = Outbox.nextCheck(next, job.owed, now);
    summary.failed.push({ id: record.id, errorClass: error.name, message: error.message, nextAttemptAt: next.toISOString(), fix: error.remediation });
    log.error('not renewed', { id: record.id, errorClass: error.name, error: error.message, fix: error.remediation, nextAttemptAt: next.toISOString() });
    if (options.dryRun) return void (await inventory.releaseLease(record.id, options.invocationId).catch(() => undefined));

    const primaryArn = job.regional?.acmArns[targetRegions(record, this.deps.homeRegion!)[0]];
    try {
      await inventory.recordOutcome(record.id, options.invocationId, {
        lastOutcome: { at: now.toISOString(), result: 'failed', errorClass: error.name, message: error.message.slice(0, 1000), fix: error.remediation.slice(0, 1000) },
        failureCount,
        nextCheckAt: next.toISOString(),
        // The slot may still hold a key when a pending import could not be confirmed gone.
        pendingImport: job.keptPending === true || (record.pendingImport === true && !job.slotCleared),
        ...(job.renewalWindow ? { renewalWindow: job.renewalWindow } : {}),
        // The wave's clean-up ran before failures are recorded: the journal is settled.
        ...(job.journaled || job.stale.length > 0 ? { published: null } : {}),
        // An order that cannot succeed (refused, wrong certificate) is not resumed; a retryable one is.
        ...(job.order ? { pendingOrderUrl: isRetryable(error) && !job.keptPending ? job.order.orderUrl : null } : {}),
        ...((job.importChecked && !job.issued) || job.importRefused ? { importingSerial: null } : {}),
        ...(job.owed !== undefined ? { owedMails: job.owed } : {}),
        ...(job.regional ? { acmArns: job.regional.acmArns, pendingRegions: job.regional.pending } : {}),
        ...(primaryArn ? { acmArn: primaryArn } : {}),
      });
    } catch (e) {
      log.error('could not record the failure', { id: record.id, error: toCertbeatError(e).message });
    }

    const current = urgency(record.notAfter, now);
    const previous = record.lastOutcome?.result === 'failed' ? urgency(record.notAfter, new Date(record.lastOutcome.at)) : undefined;
    if (!shouldMailFailure(failureCount, previous, current)) return;
    await this.notify(
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
      record,
      state,
    );
  }

  /** Mails a notice after the outcome is recorded; a mail SES refuses goes to the outbox. */
  private async notify(notice: Notice, record: CertificateRecord, state: RunState): Promise<void> {
    const result = await this.mail.send(notice, record.owners);
    if (result.sent || !result.owed) return;
    const kept = await this.outbox.keep(record.id, result.owed);
    state.summary.mailsNotSent.push({ id: record.id, kind: notice.kind, error: result.error, kept });
  }
}
