/**
 * Adopting a certificate someone imported into ACM before certbeat (issue 9): the inventory record
 * carries its ARN (`acmArn`) from the start, so the first renewal re-imports under that ARN and every
 * resource using it keeps serving it. Pure rules plus one claim step over the `CertificateStore` port.
 *
 * A record is *being adopted* while it has an `acmArn` but no `serial`: every import certbeat makes
 * records the serial, so an ARN without one came from `certbeat add --arn` or the config's `acmArn`.
 * Until the first renewal, every run (and `certbeat doctor`) checks that the ARN exists, that the
 * certificate is IMPORTED (ACM renews its own certificates and refuses a re-import into them), that its
 * names are the configured names, and that its key algorithm is one certbeat can order; a failure stops
 * the order with the field at fault and the fix. Before the first re-import the certificate is tagged
 * `certbeat:id` (the tag IAM conditions and `findByTag` key on).
 */
import { ConfigurationError } from './errors.js';
import { displayName } from './idn.js';
import { CERTIFICATE_ID_TAG, KEY_TYPES, type CertificateRecord, type StoredCertificate } from './model.js';
import { normalizeName } from './names.js';
import type { Finding } from './notices.js';
import type { CertificateStore } from './ports.js';

/** The `check` of adoption findings (blocking when failing). */
export const ADOPTION_CHECK = 'adopted-certificate';

/** An ACM certificate ARN, e.g. arn:aws:acm:us-east-1:123456789012:certificate/1234abcd-…. */
export const ACM_ARN_PATTERN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]{1,128}$/;

/** Why `arn` cannot be adopted as written, or `undefined`. Starts with the field. */
export function acmArnProblem(arn: unknown): string | undefined {
  if (typeof arn !== 'string' || !ACM_ARN_PATTERN.test(arn.trim())) {
    return `acmArn: ${typeof arn === 'string' ? `"${arn.slice(0, 200)}"` : 'the value'} is not an ACM certificate ARN; copy it from ACM (aws acm list-certificates), e.g. arn:aws:acm:us-east-1:123456789012:certificate/1234abcd-12ab-34cd-56ef-1234567890ab`;
  }
  return undefined;
}

/** Whether the record holds an ARN certbeat has not imported into yet (see the module comment). */
export function isBeingAdopted(record: Pick<CertificateRecord, 'acmArn' | 'serial'>): boolean {
  return record.acmArn !== undefined && record.serial === undefined;
}

/** The set of names, normalized (A-labels, lower case), sorted. */
function nameSet(names: readonly string[]): string[] {
  return [...new Set(names.map(normalizeName))].sort();
}

/**
 * The adoption checks of a record against what ACM describes (`undefined`: ACM does not know the ARN).
 * Every failing finding names the field at fault and the fix.
 */
export function adoptionFindings(
  record: Pick<CertificateRecord, 'id' | 'names' | 'acmArn'>,
  stored: StoredCertificate | undefined,
): Finding[] {
  const arn = record.acmArn!;
  if (!stored) {
    return [
      {
        check: ADOPTION_CHECK,
        ok: false,
        message: `acmArn: ACM has no certificate ${arn} (deleted, mistyped, or in another account or region)`,
        fix: `Check the ARN with \`aws acm describe-certificate --certificate-arn ${arn}\` in the region certbeat runs in, or remove acmArn from '${record.id}' so that certbeat issues a new certificate.`,
      },
    ];
  }
  const findings: Finding[] = [];
  if (stored.type !== undefined && stored.type !== 'IMPORTED') {
    findings.push({
      check: ADOPTION_CHECK,
      ok: false,
      message: `acmArn: ${arn} is not an imported certificate (ACM reports Type ${stored.type}); ACM renews the certificates it issues itself and refuses to re-import into them`,
      fix: `Leave ${arn} to ACM's managed renewal and remove acmArn from '${record.id}' (certbeat then issues a new, imported certificate), or give the ARN of an imported certificate.`,
    });
  } else {
    findings.push({ check: ADOPTION_CHECK, ok: true, message: `${arn} is an imported certificate: certbeat re-imports the renewal under this ARN` });
  }
  const wanted = nameSet(record.names);
  const has = nameSet(stored.names ?? []);
  if (stored.names !== undefined && (wanted.length !== has.length || wanted.some((n, i) => n !== has[i]))) {
    findings.push({
      check: ADOPTION_CHECK,
      ok: false,
      message: `names: the configured names (${wanted.map(displayName).join(', ')}) differ from the names of ${arn} (${has.map(displayName).join(', ')})`,
      fix: `Set names of '${record.id}' to the certificate's names (${has.map((n) => `--name ${n}`).join(' ')}), or remove acmArn to issue a new certificate for the new names.`,
    });
  } else if (stored.names !== undefined) {
    findings.push({ check: ADOPTION_CHECK, ok: true, message: `${arn} carries exactly the configured names` });
  }
  if (stored.type === 'IMPORTED' || stored.type === undefined) {
    if (stored.keyAlgorithm === undefined) {
      findings.push({
        check: ADOPTION_CHECK,
        ok: false,
        message: `keyType: the key algorithm of ${arn} is not one certbeat can order (it orders ${KEY_TYPES.join(', ')}), and ACM refuses a different algorithm on re-import`,
        fix: `Remove acmArn from '${record.id}' so that certbeat issues a new certificate, then move the resources using ${arn} to the new ARN.`,
      });
    }
  }
  return findings;
}

/** Problems that refuse an adoption outright (CLI `add --arn`): the failing adoption findings, plus a key type clash. */
export function adoptionProblems(
  record: Pick<CertificateRecord, 'id' | 'names' | 'acmArn' | 'keyType'>,
  stored: StoredCertificate | undefined,
): Array<{ message: string; fix?: string }> {
  const problems = adoptionFindings(record, stored).filter((f) => !f.ok);
  if (stored?.keyAlgorithm && stored.keyAlgorithm !== record.keyType && problems.length === 0) {
    problems.push({
      check: ADOPTION_CHECK,
      ok: false,
      message: `keyType: ${record.acmArn} has key type ${stored.keyAlgorithm}, not ${record.keyType}; ACM refuses a different key algorithm on re-import`,
      fix: `Give --key-type ${stored.keyAlgorithm} (or "keyType": "${stored.keyAlgorithm}" in the config), or leave the key type out to take the certificate's.`,
    });
  }
  return problems;
}

/**
 * Before the first re-import into an adopted ARN: the certificate must carry `certbeat:id = record.id`.
 * Tags it when it has no such tag; refuses when it is tagged for another certbeat certificate (two ids
 * must never renew one ARN).
 */
export async function claimAdopted(store: CertificateStore, record: Pick<CertificateRecord, 'id' | 'acmArn'>): Promise<void> {
  const arn = record.acmArn!;
  const owner = await store.certificateIdOf(arn);
  if (owner === record.id) return;
  if (owner !== undefined) {
    throw new ConfigurationError(`acmArn: ${arn} is already managed by the certbeat certificate '${owner}'`, {
      field: 'acmArn',
      remediation: `Adopt it under one id only: remove '${record.id}' or '${owner}' (certbeat remove <id> --yes), or remove acmArn from '${record.id}'.`,
    });
  }
  if (!store.tag) throw new ConfigurationError('this certificate store cannot tag certificates, so an ARN cannot be adopted', { field: 'acmArn' });
  await store.tag(arn, { [CERTIFICATE_ID_TAG]: record.id });
}
