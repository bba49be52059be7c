/**
 * The seams between certbeat's domain and the outside world. Adapters in `lambda/adapters/<tech>/`
 * implement these; the domain depends on nothing else. Every adapter turns its SDK's exceptions into
 * `CertbeatError` subclasses (see errors.ts), keeping the original as `cause`.
 */
import type {
  CertificateRecord,
  InvalidItem,
  OwedMail,
  PublishedTxt,
  IssuedCertificate,
  KeyType,
  Lease,
  RenewalWindow,
  StoredCertificate,
} from './model.js';

export type { PublishedTxt } from './model.js';

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
      'lastOutcome' | 'failureCount' | 'acmArn' | 'acmArns' | 'notBefore' | 'notAfter' | 'serial' | 'issuedNames' | 'ariCertId' | 'pendingImport'
    >
  > & {
    /** `null` removes the stored window. */
    renewalWindow?: RenewalWindow | null;
    /** `null` removes the field (the journal entry is settled). */
    importingSerial?: null;
    pendingOrderUrl?: string | null;
    /** `null` removes the field (every region has the certificate). */
    pendingRegions?: string[] | null;
    published?: null;
    /** The outbox as it stands after this run; `null` or `[]` empties it. */
    owedMails?: OwedMail[] | null;
    /** Always cleared by an outcome. */
    forceRenewal?: false;
  };

/** What a run journals on a record while it holds the lease, so that a later run can finish or undo it. */
export type RunProgress = Partial<Pick<CertificateRecord, 'published' | 'importingSerial' | 'pendingOrderUrl'>>;

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
 * - `saveProgress` journals what a run is doing (TXT values published, a serial being imported, an
 *   order URL) in a write conditioned on the caller owning the lease; `LeaseHeldError` otherwise.
 * - `clearPublished` removes the TXT journal after the run's clean-up, when the lease is gone (the
 *   outcome was recorded first) and the journal is still the one given; otherwise it does nothing.
 * - `addOwedMail` appends to the outbox without the lease (the mail failed after the outcome was
 *   recorded) unless another run holds an unexpired lease, and moves `nextCheckAt` up to `retryAt` when
 *   it is later, so the schedule picks the certificate up to send it again.
 * - `breakLease` removes any lease, expired or not (an operator releasing a dead run's lease), and
 *   returns the lease it removed.
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
  /**
   * Adoption (adoption.ts): sets the record's `acmArn` to an existing ACM certificate, the one runtime
   * field configuration may set (`put` ignores it). Only when the record has no ARN yet or this one;
   * a record that renews another ARN throws `ConfigurationError`, an unknown id too.
   */
  adopt?(id: string, arn: string): Promise<void>;
  acquireLease(id: string, lease: Lease, now: Date): Promise<CertificateRecord | undefined>;
  releaseLease(id: string, owner: string): Promise<void>;
  breakLease(id: string): Promise<Lease | undefined>;
  saveProgress(id: string, leaseOwner: string, progress: RunProgress): Promise<void>;
  clearPublished(id: string, published: PublishedTxt[]): Promise<void>;
  addOwedMail(id: string, mail: OwedMail, retryAt: Date, now: Date): Promise<void>;
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
 * - `zoneDetails` returns a hosted zone's name and name servers. Answers may be cached for a few
 *   minutes (pre-flight asks once per certificate; the zone rarely changes within a run).
 * - `locateZones` returns a hosted zone id for every name (`*.` stripped): the explicit id when given,
 *   else the longest-suffix match among the account's public zones (a delegated sub-zone wins). A name
 *   no zone covers rejects with `DnsZoneNotFoundError` naming it.
 * - `present` groups all values per zone into one ChangeBatch (split only at Route 53's batch limits),
 *   merges values that share a record name with each other and with values already there, waits for
 *   INSYNC once per change, before `deadline`. It resolves with the challenges that failed (keys are
 *   the very objects passed in) and their error; an empty map means every value is visible. One bad
 *   challenge does not fail its zone: when Route 53 refuses a batch for some record names (e.g. a name
 *   outside the zone), those challenges fail with a `ConfigurationError` and the rest are sent again
 *   without them. A failure of the whole zone (no such zone, access denied, deadline) fails every
 *   challenge of that zone. Throttling is retried with backoff. It never rejects.
 * - `stale` are values an interrupted earlier run left behind (from a journal). Each is removed, exact
 *   value only, in the same ChangeBatch as its zone's new values, also in zones with no new challenge
 *   (where removal does not wait for INSYNC). A stale value equal to a value being presented now is
 *   kept, and so is every other value at the name. Failing to remove a stale value is logged, never a
 *   challenge failure.
 * - `cleanup` removes exactly the given values and keeps any other value at the same name. It never
 *   throws for a value that is already gone; it is always called, on failure too.
 */
export interface DnsSolver {
  /** Name and authoritative name servers of a hosted zone (for the zone and delegation pre-flight checks). */
  zoneDetails(zoneId: string): Promise<{ id: string; name: string; nameServers: string[] }>;
  locateZones(names: string[], explicit: Record<string, string>): Promise<Record<string, string>>;
  present(challenges: DnsChallenge[], deadline: Date, stale?: PublishedTxt[]): Promise<Map<DnsChallenge, Error>>;
  cleanup(values: PublishedTxt[]): Promise<void>;
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
  /**
   * The `orderUrl` of this certificate's previous attempt that did not end with a certificate (e.g. the
   * run ended, or the download failed). `placeOrder` continues that order instead of placing a new one
   * when it can (see `CertificateAuthority`), so an order the CA has already issued is never ordered again.
   */
  resumeOrderUrl?: string;
  /** ACME profile to order (draft-ietf-acme-profiles), e.g. `tlsserver`; absent: the CA's default. */
  profile?: string;
  /** When the CA refuses `profile` (`invalidProfile`, or not in `meta.profiles`): that profile instead, or `none`. */
  profileFallback?: string;
}

/** An order waiting for its dns-01 values to be published. Adapter state is opaque to the domain. */
export interface PendingOrder {
  readonly request: OrderRequest;
  /**
   * The CA's URL of this order. The domain keeps it with the certificate's record when `completeOrder`
   * fails, and passes it back as `resumeOrderUrl` on the next attempt; it is not a secret.
   */
  readonly orderUrl: string;
  /**
   * The values to publish, one per pending authorization (`zoneId` empty: the service fills it). Empty
   * when nothing is left to prove (e.g. a resumed order that is ready, processing or valid).
   */
  readonly challenges: Omit<DnsChallenge, 'zoneId'>[];
  /** The profile actually ordered (absent: the CA's default). */
  profile?: string;
  /** Set when the configured profile was refused and the fallback ordered: says which and why (for the mail). */
  profileNote?: string;
}

/**
 * An ACME certificate authority.
 *
 * Contract:
 * - `placeOrder` finds or registers the ACME account (key kept in the `SecretStore`, EAB when the
 *   request names a secret; re-registers if the CA no longer knows the key; concurrent first runs share
 *   one key), creates the order and returns the dns-01 values of its pending authorizations. Only dns-01
 *   is used.
 * - With `resumeOrderUrl`, `placeOrder` first fetches that order under the same account: `pending` →
 *   the values of its still-pending authorizations; `ready` → no values, `completeOrder` finalizes it;
 *   `processing` / `valid` → no values, `completeOrder` waits for and downloads the certificate, with the
 *   key kept when the order was finalized. It places a new order instead (and logs why) when that order
 *   is `invalid`, expired, unknown (404), unreadable (e.g. another account's), for other names, or
 *   finalized with a key that was not kept or is of another `keyType`. When the CA cannot be reached or
 *   is rate-limiting, it throws (`TransientError` / `RateLimitedError`) rather than order again: the
 *   previous order may be issued already; the domain keeps `resumeOrderUrl` for the next attempt.
 * - `completeOrder` answers the challenges, polls until valid or `deadline`, finalizes with a fresh key
 *   of `keyType` (kept encrypted in the `SecretStore` from just before finalization until `releaseOrder`,
 *   so that a later attempt can still download the certificate and use it), downloads the chain —
 *   retrying transient failures until `deadline`, never ordering again — and checks it (names, validity,
 *   key match, issuer chain) before returning it. Problems come back as `CaRejectedError` with the ACME
 *   problem type, rate limits as `RateLimitedError` with Retry-After, network failures as
 *   `TransientError` with the real cause, deadline as `TransientError`. A signed request the CA refuses
 *   with `badNonce` is sent again with the fresh nonce (bounded, within `deadline`).
 * - `releaseOrder` is called once the certificate `completeOrder` returned is safe (in ACM or the
 *   pending-import slot, or dropped by a dry run): the key kept for the order is deleted. Until then a run
 *   that dies loses nothing: the next one resumes the order and downloads the certificate again. It never
 *   throws (a key left behind is replaced by the certificate's next finalization).
 * - `renewalInfo` returns the CA's ARI window for a certificate, or `undefined` when the CA offers no ARI.
 */
export interface CertificateAuthority {
  placeOrder(request: OrderRequest): Promise<PendingOrder>;
  completeOrder(order: PendingOrder, deadline: Date): Promise<IssuedCertificate>;
  releaseOrder(order: PendingOrder): Promise<void>;
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
  /** Adds (or overwrites) tags on an existing certificate: how an adopted ARN gets its `certbeat:id` (see adoption.ts). */
  tag?(arn: string, tags: Record<string, string>): Promise<void>;
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
 * Secret values (Secrets Manager): ACME account keys, EAB credentials, the private key of an ACME order
 * being finalized (until its certificate is downloaded), and issued certificates that could not be
 * imported yet (the pending-import slot), nothing else.
 * Contract: `get` returns `undefined` when the secret does not exist or has no value yet;
 * `put` stores a new value, creating the secret if needed (last writer wins); `delete` removes the
 * secret at once (no recovery window) and does nothing when it does not exist.
 */
export interface SecretStore {
  get(secretId: string): Promise<string | undefined>;
  /**
   * Stores `value` as the secret's current value, creating the secret when it does not exist.
   * `expectAbsent`: the caller expects no such secret (it deletes it after use), so creating is tried
   * first — one request instead of two in the usual case; the result is the same either way.
   */
  put(secretId: string, value: string, options?: { expectAbsent?: boolean }): Promise<void>;
  /**
   * Atomic read-modify-write (compare-and-swap), safe against writers in other processes: `change` is
   * given the current value (`undefined` when the secret is absent or empty) and returns the value to
   * store, or `undefined` to leave it as it is. If another writer stored a value in between, nothing is
   * written and `change` runs again on that newer value. Resolves with the value stored afterwards: the
   * caller's, or the one another writer got in first. `change` must be pure (it may run several times).
   * "Put if absent" is `update(id, (current) => current ?? value)`.
   * Throws `TransientError` when the secret keeps changing under it (bounded attempts).
   */
  update(secretId: string, change: (current: string | undefined) => string | undefined): Promise<string | undefined>;
  delete(secretId: string): Promise<void>;
}

/** Structured log lines. Never pass a key or secret value as an attribute. */
export interface RunLog {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

/**
 * Public DNS lookups for pre-flight checks (delegation, CAA, CNAME, DNSSEC). The resolver is configurable
 * so the testbed can point it at its own DNS server. Contract: a name with no such records resolves to
 * `[]` (NXDOMAIN / NODATA are not errors); network failures and SERVFAIL throw `TransientError`.
 */
export interface DnsLookup {
  ns(name: string): Promise<string[]>;
  caa(name: string): Promise<Array<{ critical: number; tag: string; value: string }>>;
  cname(name: string): Promise<string[]>;
  /**
   * The DS records at `name` as its parent zone publishes them (RFC 4034 §5). Asked with the CD bit
   * set: a validating resolver must hand over a broken chain's records rather than SERVFAIL, because
   * finding that break is the point. Only records owned by `name` itself count (not a CNAME's target).
   * `digest` is lower-case hex.
   */
  ds(name: string): Promise<Array<{ keyTag: number; algorithm: number; digestType: number; digest: string }>>;
  /**
   * The DNSKEY records at the apex `name` (RFC 4034 §2), asked with the CD bit set like `ds`.
   * `publicKey` is base64, as in zone files; `protocol` is always 3.
   */
  dnskey(name: string): Promise<Array<{ flags: number; protocol: number; algorithm: number; publicKey: string }>>;
}
