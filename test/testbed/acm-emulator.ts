/**
 * An ACM emulator speaking the real JSON 1.1 API (`X-Amz-Target: CertificateManager.*`) on a loopback
 * port, so the unmodified `@aws-sdk/client-acm` reaches it through `endpoint` / `AWS_ENDPOINT_URL_ACM`.
 *
 * Contract:
 * - ImportCertificate checks what it is given like ACM (see acm-emulator/certificate-info.ts); with
 *   CertificateArn it re-imports into that ARN, keeping it, InUseBy and tags, and refuses tags, a key
 *   algorithm change, or dropping an extended key usage other than client authentication.
 * - DescribeCertificate, GetCertificate, ListCertificates (ACM's default key-type filter: RSA_1024 and
 *   RSA_2048 only), AddTagsToCertificate, ListTagsForCertificate, DeleteCertificate (refused while in use).
 * - The private key is checked against the certificate and then dropped; only the key algorithm is kept.
 * - Every certificate has a Type, reported by DescribeCertificate and ListCertificates: IMPORTED, or
 *   AMAZON_ISSUED for one made with `addAmazonIssued` (what ACM itself issues and renews). A re-import
 *   into an Amazon-issued ARN is refused, as ACM refuses it.
 */
import { randomUUID } from 'node:crypto';
import { AwsJsonError, epochSeconds, optionalString, requireString, startJsonService } from './emulator-support/json-service.js';
import { inspectImport, type CertificateInfo } from './acm-emulator/certificate-info.js';

export interface AcmCertificateView {
  arn: string;
  certificatePem: string;
  chainPem?: string;
  tags: Array<{ Key: string; Value?: string }>;
  importCount: number;
}

export interface AcmEmulator {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  /** Sets the resources DescribeCertificate reports in InUseBy (and that block DeleteCertificate). */
  setInUseBy(arn: string, users: string[]): void;
  /**
   * The next `count` ImportCertificate calls fail with this error: ACM's quota error by default (which the
   * SDK retries as throttling), or an IAM refusal (which it does not).
   */
  failNextImports(count: number, code?: 'LimitExceededException' | 'AccessDeniedException'): void;
  /** Every stored certificate (no private keys: the emulator never keeps them). */
  certificates(): AcmCertificateView[];
  /**
   * Stores a certificate as ACM-issued (Type AMAZON_ISSUED), as if RequestCertificate had been validated:
   * the way to have one that certbeat must refuse to adopt. Returns its ARN.
   */
  addAmazonIssued(certificate: { certificatePem: string; privateKeyPem: string; chainPem?: string }): string;
  stop(): Promise<void>;
}

type CertificateType = 'IMPORTED' | 'AMAZON_ISSUED';

interface Stored {
  arn: string;
  type: CertificateType;
  info: CertificateInfo;
  tags: Array<{ Key: string; Value?: string }>;
  inUseBy: string[];
  importedAt: Date;
  createdAt: Date;
  importCount: number;
}

const ALL_KEY_TYPES = ['RSA_1024', 'RSA_2048', 'RSA_3072', 'RSA_4096', 'EC_prime256v1', 'EC_secp384r1', 'EC_secp521r1'];
// ListCertificates without Includes.keyTypes returns only these (ACM's documented default filter).
const DEFAULT_KEY_TYPES = ['RSA_1024', 'RSA_2048'];
const MAX_TAGS = 50;
const MAX_LISTED_SANS = 100;
const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';

export async function startAcmEmulator(opts: { region?: string; accountId?: string } = {}): Promise<AcmEmulator> {
  const region = opts.region ?? 'us-east-1';
  const accountId = opts.accountId ?? '123456789012';
  const certs = new Map<string, Stored>();
  const arnPattern = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/;

  const lookup = (input: Record<string, unknown>): Stored => {
    const arn = requireString(input, 'CertificateArn');
    if (!arnPattern.test(arn)) throw new AwsJsonError('InvalidArnException', `${arn} is not a valid ARN.`);
    const found = certs.get(arn);
    if (!found) throw new AwsJsonError('ResourceNotFoundException', `Could not find certificate ${arn}.`);
    return found;
  };

  const blob = (input: Record<string, unknown>, member: string, required: boolean): string | undefined => {
    const v = input[member];
    if (v === undefined || v === null) {
      if (required) requireString(input, member);
      return undefined;
    }
    if (typeof v !== 'string') throw new AwsJsonError('SerializationException', `Expected a base64 blob for ${member}`);
    return Buffer.from(v, 'base64').toString('utf8');
  };

  const tagsOf = (input: Record<string, unknown>, member = 'Tags'): Array<{ Key: string; Value?: string }> | undefined => {
    const v = input[member];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((t) => typeof t?.Key !== 'string')) throw new AwsJsonError('ValidationException', `${member} must be a list of {Key, Value}.`);
    for (const t of v as Array<{ Key: string; Value?: unknown }>) {
      if (t.Key.toLowerCase().startsWith('aws:')) throw new AwsJsonError('InvalidTagException', `Tag key ${t.Key} uses the reserved prefix aws:.`);
    }
    return (v as Array<{ Key: string; Value?: string }>).map((t) => (t.Value === undefined ? { Key: t.Key } : { Key: t.Key, Value: t.Value }));
  };

  const mergeTags = (target: Stored, add: Array<{ Key: string; Value?: string }>): void => {
    const merged = [...target.tags];
    for (const t of add) {
      const i = merged.findIndex((m) => m.Key === t.Key);
      if (i >= 0) merged[i] = t;
      else merged.push(t);
    }
    if (merged.length > MAX_TAGS) throw new AwsJsonError('TooManyTagsException', `A certificate can have at most ${MAX_TAGS} tags.`);
    target.tags = merged;
  };

  const importFailures: Array<'LimitExceededException' | 'AccessDeniedException'> = [];
  const importCertificate = (input: Record<string, unknown>) => {
    const failure = importFailures.shift();
    if (failure === 'LimitExceededException') throw new AwsJsonError(failure, 'The certificate quota for this account has been exceeded.');
    if (failure === 'AccessDeniedException') {
      throw new AwsJsonError(failure, 'User is not authorized to perform: acm:ImportCertificate because no identity-based policy allows the acm:ImportCertificate action');
    }
    const arn = optionalString(input, 'CertificateArn');
    const certificate = blob(input, 'Certificate', true)!;
    const privateKey = blob(input, 'PrivateKey', true)!;
    const chain = blob(input, 'CertificateChain', false);
    const tags = tagsOf(input);
    const existing = arn === undefined ? undefined : lookup(input);
    if (existing && tags && tags.length > 0) throw new AwsJsonError('ValidationException', 'Tagging is not permitted on re-import.');
    if (existing && existing.type !== 'IMPORTED') {
      throw new AwsJsonError('ValidationException', `Certificate ${existing.arn} was issued by ACM and cannot be re-imported; only imported certificates can be replaced.`);
    }
    const now = new Date();
    const info = inspectImport(certificate, privateKey, chain, now);
    if (existing) {
      if (info.keyAlgorithm !== existing.info.keyAlgorithm) {
        throw new AwsJsonError(
          'ValidationException',
          `The key algorithm of the new certificate (${info.keyAlgorithm}) does not match the key algorithm of the certificate being replaced (${existing.info.keyAlgorithm}).`,
        );
      }
      const kept = new Set(info.extendedKeyUsages.map((e) => e.OID));
      if (existing.info.extendedKeyUsages.some((e) => e.OID !== CLIENT_AUTH_OID && !kept.has(e.OID))) {
        throw new AwsJsonError('ValidationException', 'New certificate is missing one or more Extended Key Usages supported by the currently imported certificate');
      }
      existing.info = info;
      existing.importedAt = now;
      existing.importCount++;
      return { CertificateArn: existing.arn };
    }
    const stored: Stored = {
      arn: `arn:aws:acm:${region}:${accountId}:certificate/${randomUUID()}`,
      type: 'IMPORTED',
      info,
      tags: [],
      inUseBy: [],
      importedAt: now,
      createdAt: now,
      importCount: 1,
    };
    if (tags) mergeTags(stored, tags);
    certs.set(stored.arn, stored);
    return { CertificateArn: stored.arn };
  };

  const describe = (c: Stored) => ({
    CertificateArn: c.arn,
    DomainName: c.info.domainName,
    SubjectAlternativeNames: c.info.subjectAlternativeNames,
    Serial: c.info.serial,
    Subject: c.info.subject,
    Issuer: c.info.issuer,
    ImportedAt: epochSeconds(c.importedAt),
    CreatedAt: epochSeconds(c.createdAt),
    Status: 'ISSUED',
    NotBefore: epochSeconds(c.info.notBefore),
    NotAfter: epochSeconds(c.info.notAfter),
    KeyAlgorithm: c.info.keyAlgorithm,
    SignatureAlgorithm: c.info.signatureAlgorithm,
    InUseBy: [...c.inUseBy],
    Type: c.type,
    ExtendedKeyUsages: c.info.extendedKeyUsages,
    RenewalEligibility: 'INELIGIBLE',
    Options: { CertificateTransparencyLoggingPreference: 'ENABLED' },
  });

  const listCertificates = (input: Record<string, unknown>) => {
    const statuses = input.CertificateStatuses as string[] | undefined;
    const includes = input.Includes as { keyTypes?: string[] } | undefined;
    const keyTypes = includes?.keyTypes ?? DEFAULT_KEY_TYPES;
    for (const k of keyTypes) {
      if (!ALL_KEY_TYPES.includes(k)) throw new AwsJsonError('ValidationException', `Value '${k}' at 'includes.keyTypes' failed to satisfy constraint.`);
    }
    const max = typeof input.MaxItems === 'number' ? input.MaxItems : 1000;
    if (max < 1 || max > 1000) throw new AwsJsonError('ValidationException', "Value at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000");
    const token = optionalString(input, 'NextToken');
    const matching = [...certs.values()].filter(
      (c) => keyTypes.includes(c.info.keyAlgorithm) && (!statuses || statuses.length === 0 || statuses.includes('ISSUED')),
    );
    let start = 0;
    if (token !== undefined) {
      start = Number(Buffer.from(token, 'base64').toString('utf8'));
      if (!Number.isInteger(start) || start < 0) throw new AwsJsonError('InvalidArgsException', 'The NextToken is not valid.');
    }
    const page = matching.slice(start, start + max);
    const nextStart = start + max;
    return {
      CertificateSummaryList: page.map((c) => ({
        CertificateArn: c.arn,
        DomainName: c.info.domainName,
        // ACM lists at most the first 100 SANs here and flags the rest (DescribeCertificate has them all).
        SubjectAlternativeNameSummaries: c.info.subjectAlternativeNames.slice(0, MAX_LISTED_SANS),
        HasAdditionalSubjectAlternativeNames: c.info.subjectAlternativeNames.length > MAX_LISTED_SANS,
        Status: 'ISSUED',
        Type: c.type,
        KeyAlgorithm: c.info.keyAlgorithm,
        ExtendedKeyUsages: c.info.extendedKeyUsages.map((e) => e.Name),
        InUse: c.inUseBy.length > 0,
        RenewalEligibility: 'INELIGIBLE',
        NotBefore: epochSeconds(c.info.notBefore),
        NotAfter: epochSeconds(c.info.notAfter),
        CreatedAt: epochSeconds(c.createdAt),
        ImportedAt: epochSeconds(c.importedAt),
      })),
      NextToken: nextStart < matching.length ? Buffer.from(String(nextStart)).toString('base64') : undefined,
    };
  };

  const service = await startJsonService({
    targetPrefix: 'CertificateManager',
    signingName: 'acm',
    operations: {
      ImportCertificate: importCertificate,
      DescribeCertificate: (input) => ({ Certificate: describe(lookup(input)) }),
      GetCertificate: (input) => {
        const c = lookup(input);
        return { Certificate: c.info.certificatePem, CertificateChain: c.info.chainPem };
      },
      ListCertificates: listCertificates,
      AddTagsToCertificate: (input) => {
        const c = lookup(input);
        const tags = tagsOf(input);
        if (!tags || tags.length === 0) requireString({}, 'Tags');
        mergeTags(c, tags!);
        return {};
      },
      ListTagsForCertificate: (input) => ({ Tags: lookup(input).tags.map((t) => ({ ...t })) }),
      DeleteCertificate: (input) => {
        const c = lookup(input);
        if (c.inUseBy.length > 0) throw new AwsJsonError('ResourceInUseException', `Certificate ${c.arn} in account ${accountId} is in use.`);
        certs.delete(c.arn);
        return {};
      },
    },
  });

  return {
    endpoint: service.endpoint,
    failNextImports(count, code = 'LimitExceededException') {
      for (let i = 0; i < count; i++) importFailures.push(code);
    },
    setInUseBy(arn, users) {
      const c = certs.get(arn);
      if (!c) throw new Error(`ACM emulator: no certificate ${arn}`);
      c.inUseBy = [...users];
    },
    addAmazonIssued(certificate) {
      const now = new Date();
      const info = inspectImport(certificate.certificatePem, certificate.privateKeyPem, certificate.chainPem, now);
      const arn = `arn:aws:acm:${region}:${accountId}:certificate/${randomUUID()}`;
      certs.set(arn, { arn, type: 'AMAZON_ISSUED', info, tags: [], inUseBy: [], importedAt: now, createdAt: now, importCount: 0 });
      return arn;
    },
    certificates() {
      return [...certs.values()].map((c) => ({
        arn: c.arn,
        certificatePem: c.info.certificatePem,
        chainPem: c.info.chainPem,
        tags: c.tags.map((t) => ({ ...t })),
        importCount: c.importCount,
      }));
    },
    stop: service.stop,
  };
}
