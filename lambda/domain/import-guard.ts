/**
 * Makes an ACM import happen at most once per certificate serial. An import whose answer was lost
 * (5xx after ACM stored it, a dropped connection, a run killed mid-call) is not retried blindly: ACM
 * is asked whether it holds that serial — under the record's ARN, or for a first issuance by the
 * `certbeat:id` tag — and what it holds is adopted, so there is exactly one ACM certificate per id.
 */
import { ConfigurationError, ImportFailedError, toCertbeatError } from './errors.js';
import { CERTIFICATE_ID_TAG, type CertificateRecord, type IssuedCertificate, type StoredCertificate } from './model.js';
import type { CertificateStore, RunLog } from './ports.js';

/** Serial numbers compared as hex digits: ACM writes `0a:1b:…`, others `0A1B…`, some keep leading zeros. */
export function sameSerial(a: string | undefined, b: string | undefined): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/[^0-9a-f]/g, '').replace(/^0+/, '');
  return a !== undefined && b !== undefined && norm(a) !== '' && norm(a) === norm(b);
}

/** A refusal ACM answered: the certificate was certainly not stored. Anything else may have been. */
export function isDefiniteRefusal(e: unknown): boolean {
  return e instanceof ImportFailedError || e instanceof ConfigurationError;
}

/**
 * The ACM certificate holding `serial` for this record, if any: by ARN when the record has one, else
 * among the certificates tagged with its id. `others` lists further certificates tagged with the id
 * (left behind before imports were guarded): they are reported, never silently kept.
 */
export async function findImported(
  store: CertificateStore,
  record: Pick<CertificateRecord, 'id' | 'acmArn' | 'names'>,
  serial: string,
): Promise<{ match?: StoredCertificate; others: StoredCertificate[] }> {
  if (record.acmArn) {
    const stored = await store.describe(record.acmArn);
    return { match: stored && sameSerial(stored.serial, serial) ? stored : undefined, others: [] };
  }
  const tagged = await store.findByTag(record.id, record.names);
  const match = tagged.find((c) => sameSerial(c.serial, serial));
  return { match, others: tagged.filter((c) => c !== match) };
}

/**
 * Imports `issued` for the record (under `acmArn` when given) once: when the answer is not a definite
 * refusal, ACM is asked whether it holds the serial after all, and that certificate's ARN is returned
 * (logged with `logAttributes`); otherwise the import's error is thrown.
 */
export async function importGuarded(
  store: CertificateStore,
  record: Pick<CertificateRecord, 'id' | 'acmArn' | 'names'>,
  issued: IssuedCertificate,
  log: RunLog,
  logAttributes: Record<string, unknown> = {},
): Promise<string> {
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
    if (!found?.match) throw e;
    log.warn('the import answer was lost, but ACM holds the certificate: adopted', { id: record.id, ...logAttributes, arn: found.match.arn, error: toCertbeatError(e).message });
    return found.match.arn;
  }
}
