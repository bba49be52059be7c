/**
 * The seams between certbeat's domain and the outside world. Adapters in `lambda/adapters/<tech>/`
 * implement these; the domain depends on nothing else. Every adapter turns its SDK's exceptions into
 * `CertbeatError` subclasses (see errors.ts), keeping the original as `cause`.
 */
import type {
  CertificateRecord,
  InvalidItem,
  IssuedCertificate,
  KeyType,
  Lease,
  RenewalWindow,
  StoredCertificate,
} from './model.js';

/** The time source. Domain code never calls `Date.now()`; tests pass a fixed clock. */
export interface Clock {
  now(): Date;
}

export interface DueBatch {
  records: CertificateRecord[];
  /** Items that failed validation; reported by id, never silently dropped. */
  invalid: InvalidItem[];
}

/** The state a run writes back after an attempt (or a not-due check). Absent fields are left unchanged. */
export type OutcomeUpdate = Pick<CertificateRecord, 'nextCheckAt'> &
  Partial<
    Pick<
      CertificateRecord,
      'lastOutcome' | 'failureCount' | 'acmArn' | 'notBefore' | 'notAfter' | 'serial' | 'issuedNames' | 'ariCertId' | 'pendingImport'
    >
  > & {
    /** `null` removes the stored window. */
    renewalWindow?: RenewalWindow | null;
    /** Always cleared by an outcome. */
    forceRenewal?: false;
  };

/**
 * The certificate inventory (DynamoDB).
 *
 * Contract:
 * - `listDue` queries an index on `nextCheckAt` (never a Scan) for active certificates with
 *   `nextCheckAt <= now`, following every page. Items that fail validation come back in `invalid`.
 * - `acquireLease` is a conditional write: it succeeds only if no unexpired lease exists, and returns
 *   the record as stored *after* taking the lease (so the caller re-checks fresh state). It returns
 *   `undefined` when another owner holds the lease, and throws for anything else.
 * - `recordOutcome` writes the update and removes the lease in one conditional write that requires the
 *   caller to still own the lease; it throws `LeaseHeldError` if the lease was lost.
 * - Configuration writes (`put`, `setStatus`, `requestRenewal`, `remove`) never touch runtime state
 *   they do not name.
 */
export interface Inventory {
  listDue(now: Date): Promise<DueBatch>;
  /** Every item, valid or not (for the CLI and reports). Uses a Scan: not for the scheduled path. */
  listAll(): Promise<DueBatch>;
  /** Throws `ConfigurationError` when the item exists but is malformed; `undefined` when absent. */
  get(id: string): Promise<CertificateRecord | undefined>;
  /** Create a certificate, or update its configuration fields while keeping its runtime state. */
  put(record: CertificateRecord): Promise<void>;
  setStatus(id: string, status: 'active' | 'paused'): Promise<void>;
  /** The "renew now" button: due immediately, renewed even outside its window. */
  requestRenewal(id: string, now: Date): Promise<void>;
  remove(id: string): Promise<void>;
  acquireLease(id: string, lease: Lease, now: Date): Promise<CertificateRecord | undefined>;
  releaseLease(id: string, owner: string): Promise<void>;
  recordOutcome(id: string, leaseOwner: string, update: OutcomeUpdate): Promise<void>;
}

/** One dns-01 TXT value to publish. */
export interface DnsChallenge {
  /** The identifier this value proves, e.g. `*.example.com`. */
  identifier: string;
  /** The record name without trailing dot, e.g. `_acme-challenge.example.com` (shared by apex and wildcard). */
  recordName: string;
  /** The TXT value, unquoted (base64url SHA-256 of the key authorization). */
  value: string;
  /** The hosted zone the record goes into. */
  zoneId: string;
}

/**
 * Publishes dns-01 TXT values (Route 53).
 *
 * Contract:
 * - `locateZones` returns a hosted zone id for every name (`*.` stripped): the explicit id when given,
 *   else the longest-suffix match among the account's public zones (a delegated sub-zone wins). A name
 *   no zone covers rejects with `DnsZoneNotFoundError` naming it.
 * - `present` groups all values per zone into one ChangeBatch (split only at Route 53's batch limits),
 *   merges values that share a record name with each other and with values already there, waits for
 *   INSYNC once per change, before `deadline`. It resolves with the zones that failed (error per zone
 *   id); an empty map means every value is visible. Throttling is retried with backoff.
 * - `cleanup` removes exactly the given values and keeps any other value at the same name. It never
 *   throws for a value that is already gone; it is always called, on failure too.
 */
export interface DnsSolver {
  /** Name and authoritative name servers of a hosted zone (for the delegation pre-flight check). */
  zoneDetails(zoneId: string): Promise<{ id: string; name: string; nameServers: string[] }>;
  locateZones(names: string[], explicit: Record<string, string>): Promise<Record<string, string>>;
  present(challenges: DnsChallenge[], deadline: Date): Promise<Map<string, Error>>;
  cleanup(challenges: DnsChallenge[]): Promise<void>;
}

export interface OrderRequest {
  certificateId: string;
  names: string[];
  directoryUrl: string;
  /** Secret with `{ keyId, hmacKey }` when the CA requires External Account Binding. */
  eabSecretId?: string;
  keyType: KeyType;
  /** ARI identifier of the certificate being replaced (RFC 9773 `replaces`), when known. */
  replacesAriCertId?: string;
}

/** An order waiting for its dns-01 values to be published. Adapter state is opaque to the domain. */
export interface PendingOrder {
  readonly request: OrderRequest;
  /** The values to publish, one per pending authorization (`zoneId` empty: the service fills it). */
  readonly challenges: Omit<DnsChallenge, 'zoneId'>[];
}

/**
 * An ACME certificate authority.
 *
 * Contract:
 * - `placeOrder` finds or registers the ACME account (key kept in the `SecretStore`, EAB when the
 *   request names a secret; re-registers if the CA no longer knows the key), creates the order and
 *   returns the dns-01 values of its pending authorizations. Only dns-01 is used.
 * - `completeOrder` answers the challenges, polls until valid or `deadline`, finalizes with a fresh key
 *   of `keyType`, downloads the chain and checks it (names, validity, key match, issuer chain) before
 *   returning it. Problems come back as `CaRejectedError` with the ACME problem type, network failures
 *   as `TransientError` with the real cause, deadline as `TransientError`.
 * - `renewalInfo` returns the CA's ARI window for a certificate, or `undefined` when the CA offers no ARI.
 */
export interface CertificateAuthority {
  placeOrder(request: OrderRequest): Promise<PendingOrder>;
  completeOrder(order: PendingOrder, deadline: Date): Promise<IssuedCertificate>;
  renewalInfo(directoryUrl: string, ariCertId: string): Promise<RenewalWindow | undefined>;
}

export interface ImportRequest {
  /** Re-import into this ARN; absent on first issuance. */
  arn?: string;
  certificatePem: string;
  chainPem: string;
  privateKeyPem: string;
  /** Applied on first issuance only (ACM refuses tags on re-import). */
  tags: Record<string, string>;
}

/**
 * Where certificates are served from (ACM).
 *
 * Contract:
 * - `import` re-imports into `arn` when given (the ARN never changes, so CloudFront and ALB keep serving
 *   it) and returns the ARN. It sends the import once and never retries it itself, whatever client it was
 *   given. A definite refusal throws `ImportFailedError` (e.g. a key type change), `ConfigurationError`
 *   (permissions, malformed ARN) or `TransientError` (throttling, ACM unreachable): nothing was imported.
 *   When the import may have been committed (5xx, connection lost or timeout after sending, no ARN in the
 *   answer) it throws `ImportOutcomeUnknownError`; after one for a first import, call `findByTag` before
 *   importing again.
 * - `describe` returns `undefined` for an unknown ARN.
 */
export interface CertificateStore {
  import(request: ImportRequest): Promise<string>;
  describe(arn: string): Promise<StoredCertificate | undefined>;
  /**
   * Every imported certificate in the region tagged `certbeat:id = certificateId` (usually one; more means
   * an earlier import was duplicated), described (serial, notAfter, key type, InUseBy). Costs one
   * ListCertificates per 1,000 certificates and one ListTagsForCertificate per candidate: call it only
   * after an `ImportOutcomeUnknownError` or for a record whose first import is unfinished. `names` (the
   * names of the certificate that was imported) narrows the candidates to certificates ACM lists with at
   * least one of them. It throws rather than return an incomplete list.
   */
  findByTag(certificateId: string, names?: readonly string[]): Promise<StoredCertificate[]>;
  /** The `certbeat:id` tag of a certificate; `undefined` when it has none or ACM does not know the ARN. */
  certificateIdOf(arn: string): Promise<string | undefined>;
}

export interface MailMessage {
  to: string[];
  subject: string;
  html: string;
  text: string;
}

/** Sends mail (SES). Contract: one message per call; header fields already sanitised by the renderer. */
export interface Notifier {
  send(message: MailMessage): Promise<void>;
}

/**
 * Secret values (Secrets Manager): ACME account keys, EAB credentials, and issued certificates that
 * could not be imported yet (the pending-import slot), nothing else.
 * Contract: `get` returns `undefined` when the secret does not exist or has no value yet;
 * `put` stores a new value, creating the secret if needed; `delete` removes the secret at once (no
 * recovery window) and does nothing when it does not exist.
 */
export interface SecretStore {
  get(secretId: string): Promise<string | undefined>;
  put(secretId: string, value: string): Promise<void>;
  delete(secretId: string): Promise<void>;
}

/** Structured log lines. Never pass a key or secret value as an attribute. */
export interface RunLog {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

/**
 * Public DNS lookups for pre-flight checks (delegation, CAA, CNAME). The resolver is configurable so the
 * testbed can point it at its own DNS server. Contract: a name with no such records resolves to `[]`
 * (NXDOMAIN / NODATA are not errors); network failures throw `TransientError`.
 */
export interface DnsLookup {
  ns(name: string): Promise<string[]>;
  caa(name: string): Promise<Array<{ critical: number; tag: string; value: string }>>;
  cname(name: string): Promise<string[]>;
}
