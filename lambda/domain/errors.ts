/**
 * certbeat's error taxonomy. Adapters turn SDK exceptions and ACME problem documents into these,
 * so that the service, the mails and the CLI speak of what happened, never of a raw stack.
 * Every error carries a `remediation` sentence a person can act on.
 */

export interface CertbeatErrorOptions {
  cause?: unknown;
  remediation?: string;
}

export class CertbeatError extends Error {
  /** One sentence telling a person what to do about it. */
  readonly remediation: string;

  constructor(message: string, options: CertbeatErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.remediation = options.remediation ?? 'See the run log for details.';
  }

  /** Short words for mails and tables, e.g. "configuration error". */
  get kind(): string {
    return 'error';
  }
}

/** Bad input or configuration: retrying will not help until a person changes something. */
export class ConfigurationError extends CertbeatError {
  /** The field at fault, e.g. `names[2]` or `eabSecretId`. */
  readonly field?: string;
  constructor(message: string, options: CertbeatErrorOptions & { field?: string } = {}) {
    super(message, options);
    this.field = options.field;
  }
  override get kind() {
    return 'configuration error';
  }
}

/** Network failures, throttling, 5xx, timeouts: retried with backoff. */
export class TransientError extends CertbeatError {
  override get kind() {
    return 'temporary failure';
  }
}

/**
 * An import whose outcome is not known: ACM answered 5xx, the connection broke or timed out after the
 * request was sent, or ACM answered without an ARN. The import may have been committed. A re-import into
 * `targetArn` is idempotent and may simply be tried again; a first import (no `targetArn`) must not be:
 * look for the certificate with `CertificateStore.findByTag` first, or ACM ends up with two certificates
 * for one certbeat id and only one of them is renewed.
 */
export class ImportOutcomeUnknownError extends TransientError {
  /** The ARN of a re-import; absent for a first import. */
  readonly targetArn?: string;
  constructor(message: string, options: CertbeatErrorOptions & { targetArn?: string } = {}) {
    super(message, options);
    this.targetArn = options.targetArn;
  }
  override get kind() {
    return 'import outcome unknown';
  }
}

/** A rate limit (ACME `rateLimited`, AWS throttling past our retries). */
export class RateLimitedError extends CertbeatError {
  readonly retryAfter?: Date;
  constructor(message: string, options: CertbeatErrorOptions & { retryAfter?: Date } = {}) {
    super(message, options);
    this.retryAfter = options.retryAfter;
  }
  override get kind() {
    return 'rate limited';
  }
}

/** The CA refused: carries the ACME problem type (e.g. `urn:ietf:params:acme:error:caa`). */
export class CaRejectedError extends CertbeatError {
  readonly problemType?: string;
  /** The identifier the problem is about, when the CA said. */
  readonly identifier?: string;
  constructor(message: string, options: CertbeatErrorOptions & { problemType?: string; identifier?: string } = {}) {
    super(message, options);
    this.problemType = options.problemType;
    this.identifier = options.identifier;
  }
  /** The short problem type, e.g. `caa`, `unauthorized`, `externalAccountRequired`. */
  get shortType(): string | undefined {
    return this.problemType?.replace(/^urn:ietf:params:acme:error:/, '');
  }
  override get kind() {
    return 'refused by the CA';
  }
}

/** No Route 53 hosted zone in the account covers a name. */
export class DnsZoneNotFoundError extends CertbeatError {
  readonly dnsName: string;
  constructor(dnsName: string, options: CertbeatErrorOptions = {}) {
    super(`no hosted zone in this account covers ${dnsName}`, {
      remediation:
        options.remediation ??
        `Create a public hosted zone for ${dnsName} (or its parent domain) in Route 53, or set the zone id for this name explicitly.`,
      cause: options.cause,
    });
    this.dnsName = dnsName;
  }
  override get kind() {
    return 'DNS zone not found';
  }
}

/** TXT records did not become visible (Route 53 INSYNC) before the deadline. */
export class PropagationTimeoutError extends CertbeatError {
  override get kind() {
    return 'DNS propagation timeout';
  }
}

/** ACM refused the import (key type change, bad chain, limits). */
export class ImportFailedError extends CertbeatError {
  override get kind() {
    return 'import into ACM failed';
  }
}

/** Another invocation holds the lease: a skip, not a failure. */
export class LeaseHeldError extends CertbeatError {
  override get kind() {
    return 'in progress elsewhere';
  }
}

/** The run was stopped (SIGINT/SIGTERM): not a failure; the certificate is due again at once. */
export class InterruptedError extends CertbeatError {
  override get kind() {
    return 'interrupted';
  }
}

/** The certificate the CA returned failed our checks (names, validity, key, chain). */
export class CertificateCheckError extends CertbeatError {
  override get kind() {
    return 'certificate check failed';
  }
}

/** Whether trying again later (with backoff) may succeed without a person's help. */
export function isRetryable(e: unknown): boolean {
  if (e instanceof TransientError || e instanceof RateLimitedError || e instanceof PropagationTimeoutError) return true;
  if (e instanceof LeaseHeldError || e instanceof InterruptedError) return true;
  if (e instanceof CaRejectedError) {
    // Validation problems may be DNS still settling; account and policy refusals need a person.
    // invalidProfile: the CA retired the profile; the next attempt (an hour later) orders the fallback.
    return ['dns', 'connection', 'serverInternal', 'badNonce', 'incorrectResponse', 'invalidProfile'].includes(e.shortType ?? '');
  }
  if (e instanceof CertbeatError) return false;
  // Unknown errors: assume transient so the ladder retries, but the mail still names them.
  return true;
}

/** Normalise anything thrown into a `CertbeatError`, keeping the original as `cause`. */
export function toCertbeatError(e: unknown): CertbeatError {
  if (e instanceof CertbeatError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new TransientError(`unexpected error: ${message}`, { cause: e });
}
