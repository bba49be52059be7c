/**
 * Finding certbeat's certificates in ACM by their `certbeat:id` tag. ACM cannot filter ListCertificates by
 * tag, so this lists the imported certificates of the region and reads the tags of each candidate.
 */
import {
  ListCertificatesCommand,
  ListTagsForCertificateCommand,
  type ACMClient,
  type CertificateSummary,
  type KeyAlgorithm,
  type Tag,
} from '@aws-sdk/client-acm';
import { TransientError } from '../../domain/errors.js';
import { mapLimit } from '../../domain/concurrency.js';
import { commonAcmError, sdkErrorFacts } from './acm-errors.js';

/**
 * Every key algorithm certbeat imports. ListCertificates without `Includes.keyTypes` returns only RSA_1024
 * and RSA_2048 certificates (ACM API reference, Filters.keyTypes), which would miss every ECDSA one.
 */
const CERTBEAT_KEY_ALGORITHMS: KeyAlgorithm[] = ['EC_prime256v1', 'EC_secp384r1', 'RSA_2048', 'RSA_3072', 'RSA_4096'];

/** ListTagsForCertificate calls in flight at once: well under ACM's per-account request rate. */
const TAG_READS_IN_FLIGHT = 4;

/**
 * The imported certificates of the region (every status, every page), narrowed to those that can carry
 * one of `names` when given: a summary that lists all its SANs (`HasAdditionalSubjectAlternativeNames`
 * false) and shares none with `names` cannot be the certificate certbeat imported for them.
 * `pageSize` is ListCertificates' MaxItems (1–1000; ACM's maximum by default, smaller only in tests).
 */
export async function listImported(client: ACMClient, names?: readonly string[], pageSize = 1000): Promise<CertificateSummary[]> {
  const wanted = names && names.length > 0 ? new Set(names.map((n) => n.toLowerCase())) : undefined;
  const found: CertificateSummary[] = [];
  let token: string | undefined;
  do {
    const page = await read(
      () => client.send(new ListCertificatesCommand({ Includes: { keyTypes: CERTBEAT_KEY_ALGORITHMS }, MaxItems: pageSize, NextToken: token })),
      'list certificates',
    );
    for (const s of page?.CertificateSummaryList ?? []) {
      if (s.Type !== undefined && s.Type !== 'IMPORTED') continue;
      if (wanted && !couldCarry(s, wanted)) continue;
      found.push(s);
    }
    token = page?.NextToken;
  } while (token);
  return found;
}

function couldCarry(s: CertificateSummary, wanted: Set<string>): boolean {
  const listed = [...(s.SubjectAlternativeNameSummaries ?? []), ...(s.DomainName ? [s.DomainName] : [])];
  if (listed.length === 0 || s.HasAdditionalSubjectAlternativeNames) return true;
  return listed.some((n) => wanted.has(n.toLowerCase()));
}

/** The tags of a certificate; `undefined` when ACM no longer knows it (deleted since it was listed). */
export async function tagsOf(client: ACMClient, arn: string): Promise<Tag[] | undefined> {
  const out = await read(() => client.send(new ListTagsForCertificateCommand({ CertificateArn: arn })), 'read the tags of a certificate', arn);
  return out ? (out.Tags ?? []) : undefined;
}

/** The ARNs among `arns` whose tag `key` has `value`. Any failure but "not found" fails the whole search. */
export async function withTag(client: ACMClient, arns: readonly string[], key: string, value: string): Promise<string[]> {
  const results = await mapLimit(arns, TAG_READS_IN_FLIGHT, async (arn) => {
    try {
      const tags = await tagsOf(client, arn);
      return { arn, match: tags?.some((t) => t.Key === key && t.Value === value) ?? false };
    } catch (error) {
      return { arn, error };
    }
  });
  // An incomplete search must not pass for "none found": the caller would import a second certificate.
  const failed = results.find((r) => 'error' in r);
  if (failed && 'error' in failed) throw failed.error;
  return results.filter((r) => 'match' in r && r.match).map((r) => r.arn);
}

/** Runs a read; `undefined` for ResourceNotFound, certbeat errors for the rest. Reads keep the client's retries. */
async function read<T>(call: () => Promise<T>, action: string, arn?: string): Promise<T | undefined> {
  try {
    return await call();
  } catch (e) {
    if (sdkErrorFacts(e).name === 'ResourceNotFoundException') return undefined;
    const known = commonAcmError(e, action, arn);
    if (known) throw known;
    const { name, message } = sdkErrorFacts(e);
    throw new TransientError(`ACM could not ${action}${arn ? ` for ${arn}` : ''} (${name}): ${message}`, { cause: e });
  }
}
