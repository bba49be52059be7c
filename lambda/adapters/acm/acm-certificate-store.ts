/**
 * `CertificateStore` over AWS Certificate Manager: imports certificates (re-importing into the existing
 * ARN, so CloudFront, load balancers and API Gateway keep serving it without a change) and describes them.
 */
import { X509Certificate } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { withRetry } from '../backoff.js';
import {
  AddTagsToCertificateCommand,
  DescribeCertificateCommand,
  ImportCertificateCommand,
  type ACMClient,
  type CertificateDetail,
  type ImportCertificateCommandInput,
  type ImportCertificateCommandOutput,
  type Tag,
} from '@aws-sdk/client-acm';
import { CertbeatError, ConfigurationError, ImportFailedError, ImportOutcomeUnknownError, TransientError } from '../../domain/errors.js';
import { CERTIFICATE_ID_TAG, type KeyType, type StoredCertificate } from '../../domain/model.js';
import type { CertificateStore, ImportRequest } from '../../domain/ports.js';
import { commonAcmError, isTagError, isThrottling, outcomeUnknown, sdkErrorFacts } from './acm-errors.js';
import { listImported, tagsOf, withTag } from './acm-tag-search.js';
import { firstAttemptError, sendOnce } from './send-once.js';

/** ACM's KeyAlgorithm names for the key types certbeat orders. */
const KEY_TYPES: Record<string, KeyType> = {
  EC_prime256v1: 'ec256',
  EC_secp384r1: 'ec384',
  RSA_2048: 'rsa2048',
  RSA_3072: 'rsa3072',
  RSA_4096: 'rsa4096',
};

/** ACM's tag limits (Tag API reference): key ≤ 128, value ≤ 256 characters of this set; 50 tags. */
const TAG_KEY_MAX = 128;
const TAG_VALUE_MAX = 256;
const MAX_TAGS = 50;
const TAG_DISALLOWED = /[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu;

export const NAMES_TAG = 'certbeat:names';

/** Bounds a string to `max` Unicode characters (ACM counts characters, not UTF-16 units). */
function truncate(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length <= max ? s : chars.slice(0, max).join('');
}

/** A value ACM accepts: characters outside its set become `_` (so `*.example.com` → `_.example.com`). */
export function tagValue(s: string): string {
  return truncate(s.replace(TAG_DISALLOWED, '_'), TAG_VALUE_MAX);
}

/**
 * The `certbeat:names` tag value: names separated by spaces, `*` written as `_` (ACM refuses `*` in tags,
 * and `_` cannot occur in a certificate name, so it stays unambiguous). When the list does not fit in 256
 * characters it ends in `+N more` after the names that fit.
 */
export function namesTagValue(names: readonly string[]): string {
  const encoded = names.map((n) => n.replace(TAG_DISALLOWED, '_'));
  const all = encoded.join(' ');
  if (Array.from(all).length <= TAG_VALUE_MAX) return all;
  for (let kept = encoded.length - 1; kept >= 0; kept--) {
    const value = [...encoded.slice(0, kept), `+${encoded.length - kept} more`].join(' ');
    if (Array.from(value).length <= TAG_VALUE_MAX) return value;
  }
  return `+${encoded.length} more`;
}

/** The tags of a first import: the caller's tags made valid for ACM, plus `certbeat:names`. */
export function importTags(given: Record<string, string>, names: readonly string[]): Tag[] {
  const tags: Tag[] = [];
  for (const [rawKey, value] of Object.entries(given)) {
    const key = truncate(rawKey.replace(TAG_DISALLOWED, '_'), TAG_KEY_MAX);
    if (key === '' || key.toLowerCase().startsWith('aws:')) continue; // aws: is reserved; ACM refuses it
    tags.push({ Key: key, Value: tagValue(value) });
  }
  if (names.length > 0 && !tags.some((t) => t.Key === NAMES_TAG)) tags.push({ Key: NAMES_TAG, Value: namesTagValue(names) });
  return tags.slice(0, MAX_TAGS);
}

function parseCertificate(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

/** The DNS names of a certificate (its SANs, else its CN). */
function namesOf(cert: X509Certificate | undefined): string[] {
  if (!cert) return [];
  const sans = (cert.subjectAltName ?? '')
    .split(/,\s*/)
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
  if (sans.length > 0) return sans;
  const cn = /^CN=(.*)$/m.exec(cert.subject)?.[1];
  return cn ? [cn] : [];
}

/** The key type of a certificate's public key, as certbeat names it. */
function keyTypeOf(cert: X509Certificate | undefined): KeyType | undefined {
  const key = cert?.publicKey;
  const d = key?.asymmetricKeyDetails;
  if (key?.asymmetricKeyType === 'ec') return d?.namedCurve === 'prime256v1' ? 'ec256' : d?.namedCurve === 'secp384r1' ? 'ec384' : undefined;
  if (key?.asymmetricKeyType === 'rsa') return KEY_TYPES[`RSA_${d?.modulusLength}`];
  return undefined;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

/** What to do about an import whose outcome is unknown: a re-import is idempotent, a first import is not. */
function unknownOutcomeRemediation(arn: string | undefined): string {
  return arn
    ? `Nothing to do: re-importing into ${arn} again is safe, and the next attempt does so.`
    : 'Nothing to do: the next attempt first looks in ACM for a certificate with this certbeat:id before importing again, so no duplicate is created. If two ACM certificates carry the same certbeat:id tag, keep the one whose ARN the inventory records and delete the other once nothing uses it.';
}

/**
 * Contract (see `CertificateStore`): `import` sends ImportCertificate with the certificate, chain and key
 * as bytes; with `request.arn` it re-imports into that ARN (no tags: ACM refuses them on re-import),
 * without it it imports anew with the request's tags plus `certbeat:names`, all bounded to ACM's tag rules.
 * It returns the ARN. At most one ImportCertificate request that ACM may have processed goes out, whatever
 * retries the client is configured with (each send is one HTTP request, see send-once.ts): a 5xx, a broken
 * connection or a timeout after sending becomes `ImportOutcomeUnknownError` (the import may be committed),
 * never a second import. A throttled send, which ACM refused before processing it, is sent again after a
 * full-jitter exponential backoff, up to `importMaxSends` sends in all. ACM's definite refusals become
 * `ImportFailedError` with a remediation (key type change, deleted ARN, quota, chain), permissions
 * `ConfigurationError`, throttling on every send and unreachable ACM `TransientError`.
 * `describe` returns `undefined` for an ARN ACM does not know; reads keep the client's own retries, which
 * are harmless for them. No error or log carries the private key.
 */
export class AcmCertificateStore implements CertificateStore {
  /**
   * `ownerTags` go on every first import beside the request's own (e.g. `certbeat:stack`);
   * `listPageSize` only lets tests force paging. A throttled import is sent up to `importMaxSends` times
   * (default 6), waiting a random time up to `importBackoffBaseMs` × 2^(n−1), at most `importBackoffCapMs`,
   * after the n-th (defaults 200 ms and 5 s).
   */
  constructor(
    private readonly client: ACMClient,
    private readonly options: {
      listPageSize?: number;
      ownerTags?: Record<string, string>;
      importMaxSends?: number;
      importBackoffBaseMs?: number;
      importBackoffCapMs?: number;
    } = {},
  ) {}

  async import(request: ImportRequest): Promise<string> {
    const cert = parseCertificate(request.certificatePem);
    const chain = request.chainPem.trim();
    const out = await this.sendImport(
      {
        Certificate: utf8(request.certificatePem),
        PrivateKey: utf8(request.privateKeyPem),
        ...(chain ? { CertificateChain: utf8(request.chainPem) } : {}),
        ...(request.arn ? { CertificateArn: request.arn } : { Tags: importTags({ ...this.options.ownerTags, ...request.tags }, namesOf(cert)) }),
      },
      request,
      cert,
    );
    if (!out.CertificateArn) {
      throw new ImportOutcomeUnknownError('ACM accepted the import but returned no ARN', {
        targetArn: request.arn,
        remediation: unknownOutcomeRemediation(request.arn),
      });
    }
    return out.CertificateArn;
  }

  /** Sends ImportCertificate, again only after throttling; any other failure becomes a certbeat error. */
  private async sendImport(
    input: ImportCertificateCommandInput,
    request: ImportRequest,
    cert: X509Certificate | undefined,
  ): Promise<ImportCertificateCommandOutput> {
    const { importMaxSends = 6, importBackoffBaseMs = 200, importBackoffCapMs = 5000 } = this.options;
    try {
      // A fresh command each send: sendOnce's guard allows one request per command.
      return await withRetry(() => this.client.send(sendOnce(new ImportCertificateCommand(input))), {
        // ACM refuses a throttled request before processing it, so sending it again cannot import twice.
        // A throttling name on an answer that may have been committed (5xx) is not trusted.
        isRetryable: (raw) => {
          const e = firstAttemptError(raw);
          return isThrottling(e) && !outcomeUnknown(e);
        },
        maxAttempts: importMaxSends,
        baseMs: importBackoffBaseMs,
        capMs: importBackoffCapMs,
        clock: { now: () => new Date() },
        sleep: (ms) => sleep(ms),
      });
    } catch (raw) {
      throw await this.importError(firstAttemptError(raw), request, cert);
    }
  }

  async findByTag(certificateId: string, names?: readonly string[]): Promise<StoredCertificate[]> {
    const candidates = await listImported(this.client, names, this.options.listPageSize);
    const arns = await withTag(
      this.client,
      candidates.map((c) => c.CertificateArn).filter((a): a is string => a !== undefined),
      CERTIFICATE_ID_TAG,
      tagValue(certificateId),
    );
    const found: StoredCertificate[] = [];
    for (const arn of arns) {
      // Describe for serial and InUseBy, which the list does not give; one deleted meanwhile is skipped.
      const stored = await this.describe(arn);
      if (stored) found.push(stored);
    }
    return found;
  }

  async certificateIdOf(arn: string): Promise<string | undefined> {
    if (!/^arn:aws[a-z-]*:acm:/.test(arn)) return undefined;
    const tags = await tagsOf(this.client, arn);
    return tags?.find((t) => t.Key === CERTIFICATE_ID_TAG)?.Value || undefined;
  }

  async describe(arn: string): Promise<StoredCertificate | undefined> {
    const c = await this.describeRaw(arn);
    if (!c) return undefined;
    const keyAlgorithm = c.KeyAlgorithm ? KEY_TYPES[c.KeyAlgorithm] : undefined;
    return {
      arn: c.CertificateArn ?? arn,
      ...(keyAlgorithm ? { keyAlgorithm } : {}),
      ...(c.NotBefore ? { notBefore: new Date(c.NotBefore) } : {}),
      ...(c.NotAfter ? { notAfter: new Date(c.NotAfter) } : {}),
      ...(c.Serial ? { serial: c.Serial } : {}),
      ...(c.Issuer ? { issuer: c.Issuer } : {}),
      inUseBy: c.InUseBy ?? [],
      ...(c.Type ? { type: c.Type } : {}),
      ...(c.SubjectAlternativeNames || c.DomainName ? { names: [...new Set([...(c.DomainName ? [c.DomainName] : []), ...(c.SubjectAlternativeNames ?? [])])] } : {}),
    };
  }

  /**
   * AddTagsToCertificate (tags made valid for ACM as on a first import), plus the owner tags: an adopted
   * certificate then carries this deployment's tag like one it imported, which IAM ties re-import to.
   */
  async tag(arn: string, tags: Record<string, string>): Promise<void> {
    try {
      await this.client.send(new AddTagsToCertificateCommand({ CertificateArn: arn, Tags: importTags({ ...this.options.ownerTags, ...tags }, []) }));
    } catch (e) {
      const known = commonAcmError(e, 'tag a certificate', arn);
      if (known) throw known;
      const { name, message } = sdkErrorFacts(e);
      if (name === 'ResourceNotFoundException') {
        throw new ConfigurationError(`ACM has no certificate ${arn} to tag`, { cause: e, field: 'acmArn', remediation: 'Check the ARN, or remove acmArn so that certbeat issues a new certificate.' });
      }
      throw new TransientError(`ACM could not tag ${arn} (${name}): ${message}`, { cause: e });
    }
  }

  private async describeRaw(arn: string): Promise<CertificateDetail | undefined> {
    try {
      const out = await this.client.send(new DescribeCertificateCommand({ CertificateArn: arn }));
      return out.Certificate;
    } catch (e) {
      if (sdkErrorFacts(e).name === 'ResourceNotFoundException') return undefined;
      const known = commonAcmError(e, 'describe a certificate', arn);
      if (known) throw known;
      const { name, message } = sdkErrorFacts(e);
      throw new TransientError(`ACM could not describe ${arn} (${name}): ${message}`, { cause: e });
    }
  }

  private async importError(e: unknown, request: ImportRequest, cert: X509Certificate | undefined): Promise<CertbeatError> {
    const arn = request.arn;
    if (outcomeUnknown(e)) {
      const { name, message, status } = sdkErrorFacts(e);
      const what = arn ? `re-import into ${arn}` : 'import of a new certificate';
      return new ImportOutcomeUnknownError(
        `the ${what} may or may not have been committed by ACM (${name}${status ? `, HTTP ${status}` : ''}): ${message}`,
        { cause: e, targetArn: arn, remediation: unknownOutcomeRemediation(arn) },
      );
    }
    const common = commonAcmError(e, 'import a certificate', arn);
    if (common) return common;
    const { name, message } = sdkErrorFacts(e);
    const target = arn ? `re-import into ${arn}` : 'import a new certificate';

    if (name === 'ResourceNotFoundException' && arn) {
      return new ImportFailedError(`the ACM certificate ${arn} no longer exists (deleted, or in another account or region)`, {
        cause: e,
        remediation:
          "Clear acmArn on this certificate in the inventory so that the next run issues it anew under a new ARN, then attach that ARN to the resources that used the old one (the mail of the next run names it). If the certificate is in another region, run certbeat there instead.",
      });
    }
    if (name === 'LimitExceededException' || name === 'ServiceQuotaExceededException') {
      return new ImportFailedError(`ACM refused to ${target}: quota reached (${message})`, {
        cause: e,
        remediation:
          'ACM limits how many certificates an account may import (in total, and per year). Delete imported certificates that are no longer used in this region, or ask for a higher "Imported certificates" quota in Service Quotas (AWS Certificate Manager).',
      });
    }
    if (isTagError(e)) {
      return new ImportFailedError(`ACM refused the tags of a new certificate (${name}): ${message}`, {
        cause: e,
        remediation:
          "Change the certificate id to letters, digits and . _ - only, or adjust your organization's tag policy for ACM certificates to allow the certbeat:id and certbeat:names tags.",
      });
    }
    if (name === 'ValidationException' || name === 'InvalidParameterException') {
      // A key type change is the common refusal on re-import; name both types so the fix is exact.
      const newType = keyTypeOf(cert);
      const current = arn ? await this.describeRaw(arn).catch(() => undefined) : undefined;
      const currentType = current?.KeyAlgorithm ? (KEY_TYPES[current.KeyAlgorithm] ?? current.KeyAlgorithm) : undefined;
      if (arn && newType && currentType && newType !== currentType) {
        return new ImportFailedError(
          `ACM refused to ${target}: the new certificate's key type is ${newType}, the certificate in ACM has ${currentType} (${message})`,
          {
            cause: e,
            remediation: `ACM refuses a different key algorithm on re-import: set the certificate's keyType to ${currentType} or import as a new certificate (clear acmArn, then attach the new ARN to the resources that use the old one).`,
          },
        );
      }
      if (/extended key usage/i.test(message) && arn) {
        return new ImportFailedError(`ACM refused to ${target}: ${message}`, {
          cause: e,
          remediation:
            'The certificate in ACM has an extended key usage the CA no longer includes, and ACM refuses to drop one on re-import. Import as a new certificate: clear acmArn, then attach the new ARN to the resources that use the old one.',
        });
      }
      return new ImportFailedError(`ACM refused to ${target}: ${message}`, {
        cause: e,
        remediation:
          "ACM checks that the certificate is valid now, that the private key matches it and is unencrypted, and that the chain starts with the certificate's issuer. ACM's message above names the part it refused; if it is the chain or the key, the CA's download was damaged and the next attempt fetches a fresh certificate; if it keeps failing, compare the certificate with the CA's chain by hand.",
      });
    }
    return new ImportFailedError(`ACM refused to ${target} (${name}): ${message}`, { cause: e });
  }
}

