/**
 * Installing an issued certificate: imported into ACM (under its ARN, or into every region it goes to),
 * each import sent once, then recorded. A certificate ACM did not take is kept in the pending-import
 * slot (pending-imports.ts), so the next run imports it without a new order. An import a dead run
 * started and never recorded the answer to (the record's `importingSerial` journal) is adopted when ACM
 * holds it, instead of being ordered and imported twice.
 */
import type { OutcomeRecorder } from './certificate-outcome.js';
import { toCertbeatError } from './errors.js';
import { findImported, importGuarded, isDefiniteRefusal } from './import-guard.js';
import type { CertificateRecord, RenewalWindow, StoredCertificate } from './model.js';
import type { MultiRegion } from './multi-region.js';
import type { CertificateAuthority, CertificateStore } from './ports.js';
import { withTimeout } from './promises.js';
import { findInRegions, importIntoRegions, regionalImportError, targetRegions } from './regional-imports.js';
import type { Installed, Job, RunState } from './renewal-job.js';
import type { RenewalServiceDeps } from './renewal-service.js';

/** Imports an issued certificate and records it, or adopts what a dead run imported; keeps what ACM does not take. */
export class Installer {
  constructor(
    private readonly deps: RenewalServiceDeps,
    private readonly regions: MultiRegion,
    private readonly outcomes: OutcomeRecorder,
  ) {}

  /**
   * Imports `job.issued` (or, in a dry run, only notes it) and records the success. Throws when the
   * import failed; the certificate is kept in the pending-import slot then.
   */
  async succeed(job: Job, state: RunState): Promise<void> {
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
    await this.outcomes.recordSuccess(job, { ...issued, arn }, { slotEmpty, advice }, state);
  }

  /**
   * An earlier run started importing `importingSerial` and never recorded the answer. If ACM holds it,
   * it is adopted (recorded, mailed) without a new order; otherwise the journal entry is dropped and
   * the certificate goes on as usual (the pending-import slot, or a new order).
   */
  async adoptUnfinishedImport(job: Job, state: RunState): Promise<boolean> {
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
    await this.outcomes.recordSuccess(job, installed, { slotEmpty: true, inUseBy: match.inUseBy }, state);
    return true;
  }

  /**
   * `adoptUnfinishedImport` for several regions: when every region holds the journaled serial, it is
   * adopted; otherwise the ARNs found are kept for this run's imports and the certificate goes on.
   */
  async adoptInRegions(job: Job, state: RunState): Promise<boolean> {
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
    await this.outcomes.recordSuccess(job, installed, { slotEmpty: true, acmArns: job.foundArns }, state);
    return true;
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
    await this.outcomes.recordSuccess(job, { ...issued, arn: result.arns[all[0]] }, { slotEmpty, acmArns: result.arns, advice }, state);
  }

  /**
   * One ImportCertificate, never retried blindly: when its answer is not a definite refusal, ACM is
   * asked whether it now holds this serial, and that certificate is taken.
   */
  private importOnce(job: Job): Promise<string> {
    return importGuarded(this.deps.store, job.record, job.issued!, this.deps.log);
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
}

/**
 * The facts of a certificate an earlier run imported without recording, as ACM describes it. ACM may
 * not report notBefore: 90 days before expiry is assumed then (only the renewal timing uses it).
 */
/** The CA's ARI window for a just-issued certificate; bounded, and never a failure (the lifetime rule stands in). */
function renewalAdvice(ca: CertificateAuthority, record: CertificateRecord, ariCertId: string | undefined): Promise<RenewalWindow | undefined> {
  if (!ariCertId) return Promise.resolve(undefined);
  // Bounded: the CA's advice is welcome, but not worth the time left for other imports.
  return withTimeout(ca.renewalInfo(record.directoryUrl, ariCertId), 5_000).then((w) => w ?? undefined, () => undefined);
}

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
