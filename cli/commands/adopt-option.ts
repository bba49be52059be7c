/**
 * `certbeat add <id> --arn <arn>`: adopting a certificate already imported into ACM (issue 9). Before
 * anything is written: the ARN is well formed, ACM knows it, it is IMPORTED, its names are the given
 * names, its key type is the one asked for (absent `--key-type`: its own), it belongs to no other
 * certbeat id, and the id does not already renew another ARN. Then the record is written, the
 * certificate tagged `certbeat:id`, and the ARN set on the record (`Inventory.adopt`).
 */
import { acmArnProblem, adoptionProblems, claimAdopted } from '../../lambda/domain/adoption.js';
import type { CertificateRecord } from '../../lambda/domain/model.js';
import type { CertificateConfig } from '../../lambda/domain/record-validation.js';
import { UsageError } from '../exit-codes.js';
import type { AddDeps } from './add.js';

export function checkArnOption(arn: string): void {
  const problem = acmArnProblem(arn.trim());
  if (problem) {
    throw new UsageError(`--arn (${problem})`, { remediation: 'Give the ARN ACM shows for the imported certificate; nothing was changed.' });
  }
}

/** Refuses (UsageError, exit 2, nothing written) what cannot be adopted; may set `config.keyType` to the certificate's. */
export async function checkAdoption(
  deps: AddDeps,
  config: CertificateConfig,
  rawArn: string,
  keyTypeOpen: boolean,
  existing: CertificateRecord | undefined,
): Promise<void> {
  const arn = rawArn.trim();
  if (!deps.store) throw new UsageError('--arn needs ACM, and no certificate store is configured');
  if (existing?.acmArn && existing.acmArn !== arn) {
    throw new UsageError(`--arn: certificate '${config.id}' already renews ${existing.acmArn}; nothing was changed`, {
      remediation: `Remove it first (certbeat remove ${config.id} --yes), then add it again with --arn ${arn}; or adopt ${arn} under another id.`,
    });
  }
  const stored = await deps.store.describe(arn);
  if (keyTypeOpen && stored?.keyAlgorithm) config.keyType = stored.keyAlgorithm;
  const problems = adoptionProblems({ ...config, acmArn: arn }, stored);
  const owner = problems.length === 0 ? await deps.store.certificateIdOf(arn) : undefined;
  if (owner !== undefined && owner !== config.id) {
    problems.push({
      message: `--arn: ${arn} is already managed by the certbeat certificate '${owner}'`,
      fix: `Adopt it under one id only: use '${owner}', or remove it first (certbeat remove ${owner} --yes).`,
    });
  }
  if (problems.length > 0) {
    throw new UsageError(`certificate '${config.id}' not added: ${arn} cannot be adopted:\n  ${problems.map((p) => `${p.message}\n    fix: ${p.fix ?? ''}`).join('\n  ')}`, {
      remediation: 'Nothing was changed.',
    });
  }
}

/** Tags the certificate `certbeat:id` and records its ARN on the (just written) record. */
export async function adoptArn(deps: AddDeps, record: CertificateRecord, arn: string): Promise<void> {
  await claimAdopted(deps.store!, { id: record.id, acmArn: arn });
  if (!deps.inventory.adopt) throw new UsageError('this inventory cannot record an adopted ARN');
  await deps.inventory.adopt(record.id, arn);
}
