/**
 * A certificate's work before its wave publishes: take the lease, settle what a dead run left (owed
 * mails, TXT journal, unfinished import, kept certificate), decide again whether it is due, run the
 * pre-flight checks, and place (or resume) its order with the challenges journaled.
 */
import type { OutcomeRecorder } from './certificate-outcome.js';
import type { Installer } from './install.js';
import { aliasFor, zoneLookup } from './challenge-alias.js';
import { claimAdopted, isBeingAdopted } from './adoption.js';
import { dryRunRecord } from './dry-run.js';
import { ConfigurationError, toCertbeatError } from './errors.js';
import type { CertificateRecord, RenewalWindow } from './model.js';
import type { MultiRegion } from './multi-region.js';
import { baseName, normalizeName, sameNames } from './names.js';
import { decide, mayAskAri } from './renewal-policy.js';
import { gateKey, interrupted, type Job, type RunState } from './renewal-job.js';
import type { RenewalServiceDeps } from './renewal-service.js';

/** Prepares one certificate of a wave: a `Job` with its order placed, or ended early. */
export class Preparation {
  constructor(
    private readonly deps: RenewalServiceDeps,
    private readonly regions: MultiRegion,
    private readonly outcomes: OutcomeRecorder,
    private readonly installer: Installer,
  ) {}

  /** Lease, re-check, find zones, pre-flight, place the order. Never throws: errors land on the job. */
  async prepare(candidate: CertificateRecord, state: RunState): Promise<Job> {
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
        if (await this.installer.adoptInRegions(job, state)) return { ...job, done: true };
      } else if (record.importingSerial && (await this.installer.adoptUnfinishedImport(job, state))) return { ...job, done: true };
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
      log.info('due', { id: record.id, reason: decision.reason, detail: decision.detail });

      // A CNAME-delegated name's zone is its alias target's (challenge-alias.ts).
      const lookup = zoneLookup(record.names, record.zones, record.challengeAliases);
      const zoneIds = lookup.back(await dns.locateZones(lookup.names, lookup.explicit));
      const stored = record.acmArn ? await this.regions.primaryStore(record).describe(record.acmArn) : undefined;
      // ACM refuses a key algorithm change on re-import, so a renewal keeps the current one.
      const keyType = stored?.keyAlgorithm ?? record.keyType;
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
          keyType,
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
   * Picks up a certificate kept after a failed import: still valid for more than a day and for the
   * configured names, it is imported without a new order. Anything else in the slot is discarded.
   */
  private async takePending(job: Job, now: Date): Promise<boolean> {
    const { pendingImports, log } = this.deps;
    if (!job.record.pendingImport || !pendingImports) return false;
    const kept = await pendingImports.load(job.record.id);
    if (kept && sameNames(kept.names, job.record.names) && kept.notAfter.getTime() - now.getTime() > 86_400_000) {
      log.info('importing the certificate kept after a failed import', { id: job.record.id, serial: kept.serial });
      job.issued = kept;
      job.fromPending = true;
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
}

/** The zone of a challenge's identifier; locateZones may key by the name as configured or by its base. */
function zoneFor(identifier: string, zoneIds: Record<string, string>): string {
  const name = normalizeName(identifier);
  const zone = zoneIds[identifier] ?? zoneIds[name] ?? zoneIds[baseName(name)] ?? zoneIds[`*.${baseName(name)}`];
  if (!zone) throw new ConfigurationError(`no hosted zone was located for ${identifier}`, { field: 'zones' });
  return zone;
}

