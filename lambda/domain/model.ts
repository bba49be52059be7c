/**
 * The certificate inventory's vocabulary. Pure data: no SDK, no I/O.
 * The DynamoDB adapter maps items to and from `CertificateRecord` and validates them on read.
 */

export const KEY_TYPES = ['ec256', 'ec384', 'rsa2048', 'rsa3072', 'rsa4096'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

export const LETS_ENCRYPT_PRODUCTION = 'https://acme-v02.api.letsencrypt.org/directory';
export const LETS_ENCRYPT_STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory';

/** The ACM tag that ties an imported certificate to its inventory id (IAM policies key on it). */
export const CERTIFICATE_ID_TAG = 'certbeat:id';

/** The session name the renewal Lambda uses when it assumes a zone role; zone roles trust only this one. */
export const ZONE_ROLE_SESSION_NAME = 'certbeat';
/** The tag naming the deployment that owns a certificate (value: CERTBEAT_STACK_TAG); IAM ties re-imports to it. */
export const CERTIFICATE_STACK_TAG = 'certbeat:stack';

export type CertificateStatus = 'active' | 'paused';

/** What the last attempt did. `errorClass` is a `CertbeatError` subclass name. */
export interface LastOutcome {
  at: string; // ISO timestamp
  result: 'renewed' | 'issued' | 'failed';
  errorClass?: string;
  message?: string;
  /** The failure's remediation, so `certbeat show` has the fix even when no mail went out. */
  fix?: string;
}

/** A dns-01 TXT value certbeat published, journaled on the record while its run holds the lease. */
export interface PublishedTxt {
  recordName: string;
  value: string;
  zoneId: string;
}

/**
 * A rendered mail that SES did not take: kept on the record (the outbox) and sent again by later runs
 * until delivered, or given up after `OUTBOX_LIMITS`.
 */
export interface OwedMail {
  kind: 'renewed' | 'failed';
  to: string[];
  subject: string;
  html: string;
  text: string;
  /** When the first attempt failed (ISO). */
  since: string;
  attempts: number;
  lastError: string;
}

/** A lease taken by one invocation so that no other renews the same certificate. */
export interface Lease {
  owner: string;
  until: string; // ISO timestamp
}

/** The CA's suggested renewal window (ARI, RFC 9773). */
export interface RenewalWindow {
  start: string; // ISO
  end: string; // ISO
  /** When to ask the CA again (Retry-After of the renewalInfo response). */
  retryAfter?: string;
  explanationUrl?: string;
}

/** One managed certificate: configuration plus runtime state. */
export interface CertificateRecord {
  id: string;
  /** DNS names; the first is the subject CN. Wildcards as `*.example.com`. */
  names: string[];
  /** Explicit Route 53 hosted zone id per name; names absent here are matched by longest suffix. */
  zones: Record<string, string>;
  /**
   * CNAME-delegated challenges: name → the target of its `_acme-challenge.<name>` CNAME, where the TXT
   * values are written instead (see challenge-alias.ts). Absent: every name is written at `_acme-challenge.<name>`.
   */
  challengeAliases?: Record<string, string>;
  /**
   * ACM regions the certificate is imported into, primary first (e.g. us-east-1 for CloudFront plus an
   * ALB's region); absent: the deployment's own region only (see regional-imports.ts).
   */
  regions?: string[];
  directoryUrl: string;
  /** Secrets Manager secret holding `{ "keyId": "...", "hmacKey": "..." }` for External Account Binding. */
  eabSecretId?: string;
  keyType: KeyType;
  /** Owner mail addresses; empty means the deployment's default recipients. */
  owners: string[];
  status: CertificateStatus;
  /** ACME profile to order (e.g. Let's Encrypt's `classic`, `tlsserver`, `shortlived`); absent: the CA's default. */
  profile?: string;
  /** What to order when the CA refuses or retired `profile`: another profile, or `none` (the CA's default). */
  profileFallback?: string;

  // Runtime state, written by runs, never by configuration.
  acmArn?: string;
  /** Region → ARN, for a certificate imported into several regions; `acmArn` is the primary region's. */
  acmArns?: Record<string, string>;
  /** Regions that still wait for the certificate in the pending-import slot (the others have it). */
  pendingRegions?: string[];
  notBefore?: string;
  notAfter?: string;
  serial?: string;
  /** The names the current certificate covers; differs from `names` after a configuration change. */
  issuedNames?: string[];
  /** ARI certificate identifier (base64url AKI "." base64url serial) of the current certificate. */
  ariCertId?: string;
  renewalWindow?: RenewalWindow;
  lastOutcome?: LastOutcome;
  failureCount: number;
  /** When the schedule should look at this certificate next (ISO). */
  nextCheckAt: string;
  /** Set by "renew now": renew on the next run even outside the window. Cleared by the outcome. */
  forceRenewal?: boolean;
  /** An issued certificate waits in the pending-import slot (ACM refused or failed the last import). */
  pendingImport?: boolean;
  /**
   * Serial of a certificate whose import into ACM was started but not confirmed (written before
   * ImportCertificate). A later run looks in ACM for it and adopts it instead of ordering again.
   */
  importingSerial?: string;
  /** The ACME order of an attempt that did not finish; the next attempt resumes it instead of ordering anew. */
  pendingOrderUrl?: string;
  /** TXT values the run holding (or that last held) the lease published; a later run removes what is left. */
  published?: PublishedTxt[];
  /** Mails SES did not take, sent again by later runs. */
  owedMails?: OwedMail[];
  lease?: Lease;
}

/** An inventory item that could not be read as a `CertificateRecord`. */
export interface InvalidItem {
  id: string;
  /** Field-by-field problems, each naming the field and the fix. */
  problems: string[];
  owners: string[];
}

/** A certificate as the CA returned it, checked before import. */
export interface IssuedCertificate {
  /** Leaf certificate, PEM. */
  certificatePem: string;
  /** Intermediates, PEM, leaf excluded. */
  chainPem: string;
  /** Private key, PEM (PKCS#8). Goes to ACM and nowhere else. */
  privateKeyPem: string;
  names: string[];
  serial: string;
  notBefore: Date;
  notAfter: Date;
  issuer: string;
  /** ARI certificate identifier of this certificate, when computable. */
  ariCertId?: string;
}

/** What ACM knows of an imported certificate. */
export interface StoredCertificate {
  arn: string;
  keyAlgorithm?: KeyType;
  notBefore?: Date;
  notAfter?: Date;
  serial?: string;
  /** The issuer's distinguished name, when ACM reports it. */
  issuer?: string;
  /** ARNs of the resources that use it (CloudFront distributions, load balancers, ...). */
  inUseBy: string[];
  /** ACM's Type: `IMPORTED`, or `AMAZON_ISSUED` / `PRIVATE` for certificates ACM issues (and renews) itself. */
  type?: string;
  /** The DNS names ACM lists for it (SubjectAlternativeNames, with the domain name), as ACM writes them (A-labels). */
  names?: string[];
}
