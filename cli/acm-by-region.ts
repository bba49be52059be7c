/**
 * What ACM knows of a certificate in each region it is imported into (`acmArns`), for `certbeat show`.
 * Each region is asked through its own client, as the Lambda imports there: the home region's ACM
 * does not know the other regions' ARNs.
 */
import type { CertificateRecord, StoredCertificate } from '../lambda/domain/model.js';
import type { CertificateStore } from '../lambda/domain/ports.js';
import { targetRegions } from '../lambda/domain/regional-imports.js';

/** One region's answer: the certificate (undefined: ACM has no such ARN) or why ACM could not be asked. */
export interface RegionalAcm {
  region: string;
  arn: string;
  acm?: StoredCertificate;
  /** Set when this region's ACM failed; the other regions are still shown. */
  error?: string;
}

export interface AcmByRegionDeps {
  /** The deployment's own region's store. */
  store: CertificateStore;
  /** A store per region (composition.ts `storeFor`); absent: every region is asked through `store`. */
  storeFor?: (region: string) => CertificateStore;
  homeRegion: string;
}

/**
 * Describes the certificate in every region with an ARN, primary first (the order of `regions`).
 * A record without `acmArns` has at most its `acmArn`, in its primary region. With more than one
 * region, a failing region is reported in `error` rather than hiding the others; with one, the
 * error is thrown, as a plain `describe` would.
 */
export async function describeEveryRegion(record: Pick<CertificateRecord, 'acmArn' | 'acmArns' | 'regions'>, deps: AcmByRegionDeps): Promise<RegionalAcm[]> {
  const primary = targetRegions(record, deps.homeRegion)[0];
  const arns: Array<[string, string]> = record.acmArns && Object.keys(record.acmArns).length > 0
    ? orderByRegions(record.acmArns, targetRegions(record, deps.homeRegion))
    : record.acmArn ? [[primary, record.acmArn]] : [];
  const storeIn = (region: string) => (region === deps.homeRegion || !deps.storeFor ? deps.store : deps.storeFor(region));
  if (arns.length === 1) {
    const [[region, arn]] = arns;
    return [{ region, arn, acm: await storeIn(region).describe(arn) }];
  }
  return Promise.all(
    arns.map(async ([region, arn]): Promise<RegionalAcm> => {
      try {
        return { region, arn, acm: await storeIn(region).describe(arn) };
      } catch (e) {
        return { region, arn, error: (e as Error).message };
      }
    }),
  );
}

/** `acmArns` in the order of `regions`, then any region no longer listed (its ARN is still kept). */
export function orderByRegions(acmArns: Record<string, string>, regions: string[]): Array<[string, string]> {
  const listed = regions.filter((r) => acmArns[r] !== undefined).map((r): [string, string] => [r, acmArns[r]]);
  const others = Object.entries(acmArns).filter(([r]) => !regions.includes(r));
  return [...listed, ...others];
}
