/**
 * certbot's `renew --dry-run` (RunOptions.dryRun): the record a rehearsal works on. The rest of a dry
 * run is a few checks where a real run would import, record or mail.
 */
import { LETS_ENCRYPT_PRODUCTION, LETS_ENCRYPT_STAGING, type CertificateRecord } from './model.js';

/**
 * The record a dry run works on: due now, at Let's Encrypt's staging CA instead of production, and
 * without the state a real run would resume or send (order, kept certificate, import, ARI `replaces`,
 * owed mails, journal), so the rehearsal neither uses nor changes it.
 */
export function dryRunRecord(record: CertificateRecord): CertificateRecord {
  return {
    ...record,
    directoryUrl: record.directoryUrl === LETS_ENCRYPT_PRODUCTION ? LETS_ENCRYPT_STAGING : record.directoryUrl,
    forceRenewal: true,
    pendingOrderUrl: undefined,
    pendingImport: undefined,
    importingSerial: undefined,
    ariCertId: undefined,
    owedMails: undefined,
    published: undefined,
  };
}
