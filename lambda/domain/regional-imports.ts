/**
 * One certificate, several ACM regions: CloudFront serves only certificates from us-east-1, a load
 * balancer or API Gateway only from its own region. A certificate whose configuration lists `regions`
 * is ordered once and imported into each of them, every region under its own ARN (kept in the record's
 * `acmArns`, region → ARN; `acmArn` stays the ARN in the first, primary region, for compatibility).
 *
 * The rules the renewal service follows here:
 * - `CertificateStore` is per region; the service gets `storeFor(region)`.
 * - Each region's import is sent once (the `importingSerial` journal is written before, and covers every
 *   region: it is one certificate). An answer that is not a definite refusal is settled by asking that
 *   region's ACM for the serial (by its ARN, or by the `certbeat:id` tag on a first import) — per region.
 * - When some regions took the certificate and others did not, the certificate stays in the
 *   pending-import slot, the regions still waiting are kept in `pendingRegions`, the new ARNs are
 *   recorded, and the next run imports into those regions only, without a new order.
 * Pure domain logic over the `CertificateStore` port.
 */
import { ImportFailedError, TransientError, isRetryable, toCertbeatError, type CertbeatError } from './errors.js';
import { findImported, importGuarded } from './import-guard.js';
import type { CertificateRecord, IssuedCertificate, StoredCertificate } from './model.js';
import type { CertificateStore, RunLog } from './ports.js';

/** The regions a certificate is imported into, primary first: its `regions`, else the deployment's own. */
export function targetRegions(record: Pick<CertificateRecord, 'regions'>, homeRegion: string): string[] {
  return record.regions && record.regions.length > 0 ? [...new Set(record.regions)] : [homeRegion];
}

/** Whether the certificate needs more than the deployment's own region (the multi-region path). */
export function isMultiRegion(record: Pick<CertificateRecord, 'regions'>, homeRegion: string): boolean {
  const regions = targetRegions(record, homeRegion);
  return regions.length > 1 || regions[0] !== homeRegion;
}

/** The ARN of the certificate in `region`, if it has one there. */
export function arnIn(record: Pick<CertificateRecord, 'regions' | 'acmArn' | 'acmArns'>, region: string, homeRegion: string): string | undefined {
  if (record.acmArns?.[region]) return record.acmArns[region];
  // `acmArn` counts for the primary region only when it is that region's (the list may have changed).
  return region === targetRegions(record, homeRegion)[0] && record.acmArn?.split(':')[3] === region ? record.acmArn : undefined;
}

/** Every region's known ARN (from `acmArns`, and `acmArn` for the primary region). */
export function knownArns(record: Pick<CertificateRecord, 'regions' | 'acmArn' | 'acmArns'>, homeRegion: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const region of targetRegions(record, homeRegion)) {
    const arn = arnIn(record, region, homeRegion);
    if (arn) out[region] = arn;
  }
  return out;
}

export interface RegionalImportResult {
  /** region → ARN of every region that now holds the certificate (known before, or imported now). */
  arns: Record<string, string>;
  /** Regions whose import failed, with the error (definite refusal or unknown outcome). */
  failed: Map<string, CertbeatError>;
}

/**
 * Imports `issued` into each of `regions` (concurrently), each sent once; an ambiguous answer is settled
 * by asking that region's ACM for the serial. Never throws: failures come back per region.
 */
export async function importIntoRegions(
  record: CertificateRecord,
  issued: IssuedCertificate,
  regions: string[],
  deps: { storeFor: (region: string) => CertificateStore; homeRegion: string; log: RunLog; arns?: Record<string, string> },
): Promise<RegionalImportResult> {
  const arns: Record<string, string> = { ...knownArns(record, deps.homeRegion), ...deps.arns };
  const failed = new Map<string, CertbeatError>();
  await Promise.all(
    regions.map(async (region) => {
      const store = deps.storeFor(region);
      try {
        arns[region] = await importGuarded(store, { id: record.id, acmArn: arns[region], names: record.names }, issued, deps.log, { region });
      } catch (e) {
        const error = toCertbeatError(e);
        deps.log.error('import into a region failed', { id: record.id, region, errorClass: error.name, error: error.message });
        failed.set(region, error);
      }
    }),
  );
  return { arns, failed };
}

/**
 * For an import a dead run started (`importingSerial`): which regions hold that serial now. Regions that
 * cannot be asked count as not holding it (the import is then sent again, guarded the same way).
 */
export async function findInRegions(
  record: CertificateRecord,
  serial: string,
  deps: { storeFor: (region: string) => CertificateStore; homeRegion: string },
): Promise<Map<string, StoredCertificate>> {
  const held = new Map<string, StoredCertificate>();
  await Promise.all(
    targetRegions(record, deps.homeRegion).map(async (region) => {
      const found = await findImported(
        deps.storeFor(region),
        { id: record.id, acmArn: arnIn(record, region, deps.homeRegion), names: record.names },
        serial,
      ).catch(() => undefined);
      if (found?.match?.notAfter) held.set(region, found.match);
    }),
  );
  return held;
}

/**
 * The error a certificate fails with when some regions did not take it: retryable unless a region
 * refused it for good. The message names every region and what happened there.
 */
export function regionalImportError(failed: Map<string, CertbeatError>, arns: Record<string, string>): CertbeatError {
  const what = [...failed].map(([region, e]) => `${region}: ${e.message}`).join('; ');
  const done = Object.keys(arns).filter((r) => !failed.has(r));
  const message = `not imported into ${[...failed.keys()].join(', ')} (${what})${done.length > 0 ? `; imported into ${done.join(', ')}` : ''}`;
  const remediation =
    [...new Set([...failed.values()].map((e) => e.remediation))].join(' ') +
    ' The certificate is kept and imported into the missing regions only on the next attempt, without a new order.';
  const cause = [...failed.values()][0];
  return [...failed.values()].every(isRetryable)
    ? new TransientError(message, { cause, remediation })
    : new ImportFailedError(message, { cause, remediation });
}

/** Per region, the ARN and what uses it (for the mail); a failed describe shows no users. */
export async function regionalUse(
  arns: Record<string, string>,
  storeFor: (region: string) => CertificateStore,
): Promise<Array<{ region: string; arn: string; inUseBy: string[] }>> {
  return Promise.all(
    Object.entries(arns).map(async ([region, arn]) => ({
      region,
      arn,
      inUseBy: (await storeFor(region).describe(arn).catch(() => undefined))?.inUseBy ?? [],
    })),
  );
}

/** An AWS region name such as us-east-1, eu-west-1, us-gov-west-1, ap-southeast-3. */
export const REGION_PATTERN = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

/**
 * Checks a certificate's `regions` (configuration field): a non-empty list of distinct AWS region
 * names, primary first. Returns the list, or pushes problems (field first, fix last).
 */
export function checkRegions(regions: unknown, problems: string[]): string[] | undefined {
  if (regions === undefined) return undefined;
  const fix = 'give the ACM regions the certificate is used in, primary first, e.g. ["us-east-1", "eu-west-1"] (us-east-1 for CloudFront), or remove the field';
  if (!Array.isArray(regions) || regions.length === 0) {
    problems.push(`regions: is not a non-empty list; ${fix}`);
    return undefined;
  }
  const before = problems.length;
  const seen = new Set<string>();
  regions.forEach((r, i) => {
    if (typeof r !== 'string' || !REGION_PATTERN.test(r)) {
      problems.push(`regions[${i}]: ${typeof r === 'string' ? `"${r.slice(0, 40).replace(/[^\x20-\x7e]/g, '?')}"` : 'the value'} is not an AWS region; ${fix}`);
    } else if (seen.has(r)) {
      problems.push(`regions[${i}]: "${r}" is listed twice; list each region once`);
    } else seen.add(r);
  });
  return problems.length === before ? (regions as string[]) : undefined;
}
