/**
 * Which ACM store a run uses for a certificate: the deployment's own, or one per region for a
 * certificate with `regions` (the per-region import rules are in regional-imports.ts).
 */
import { ConfigurationError } from './errors.js';
import type { CertificateRecord } from './model.js';
import type { CertificateStore } from './ports.js';
import { isMultiRegion, knownArns, targetRegions } from './regional-imports.js';
import type { RenewalServiceDeps } from './renewal-service.js';

/** The multi-region questions of a run, answered from the deployment's stores and home region. */
export class MultiRegion {
  constructor(private readonly deps: Pick<RenewalServiceDeps, 'store' | 'storeFor' | 'homeRegion'>) {}

  /** Whether the certificate goes to other regions than the deployment's own (regional-imports.ts). */
  multiRegion(record: CertificateRecord): boolean {
    return this.deps.homeRegion !== undefined && isMultiRegion(record, this.deps.homeRegion);
  }

  /**
   * Regions added to an issued certificate's `regions` that hold no copy yet. Its private key went only
   * to ACM, so they are served by a new order (imported into every region), not by copying.
   */
  regionsWithoutCertificate(record: CertificateRecord): string[] {
    if (!record.acmArn || !this.multiRegion(record) || record.pendingImport) return [];
    const known = knownArns(record, this.deps.homeRegion!);
    return targetRegions(record, this.deps.homeRegion!).filter((r) => !known[r]);
  }

  /** The store of the certificate's primary region (`acmArn` lives there). */
  primaryStore(record: CertificateRecord): CertificateStore {
    if (!this.multiRegion(record)) return this.deps.store;
    return this.regionalStores()(targetRegions(record, this.deps.homeRegion!)[0]);
  }

  /** The per-region stores; a deployment without them cannot serve a certificate with `regions`. */
  regionalStores(): (region: string) => CertificateStore {
    if (!this.deps.storeFor) {
      throw new ConfigurationError('this deployment cannot import into other regions (no per-region ACM store)', {
        field: 'regions',
        remediation: 'Remove `regions` from the certificate, or run it with a deployment that serves several regions.',
      });
    }
    return this.deps.storeFor;
  }
}
