/**
 * ACM exceptions → certbeat errors. Messages are ACM's own words with any PEM block removed (ACM does not
 * echo keys, but a message must never be the way a private key reaches a log or a mail).
 */
import { ConfigurationError, TransientError, type CertbeatError } from '../../domain/errors.js';

/** The parts of an AWS SDK v3 error certbeat looks at. */
interface SdkErrorShape {
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

const THROTTLING = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded', 'SlowDown']);
const ACCESS = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'MissingAuthenticationTokenException',
]);
const TAGS = new Set(['InvalidTagException', 'TooManyTagsException', 'TagPolicyException']);

/** The SDK error's name, message (PEM removed, bounded), and whether it came from the server side. */
export function sdkErrorFacts(e: unknown): { name: string; message: string; status?: number; serverSide: boolean } {
  const err = (typeof e === 'object' && e !== null ? e : {}) as SdkErrorShape;
  const status = err.$metadata?.httpStatusCode;
  return {
    name: err.name ?? 'Error',
    message: scrub(err.message ?? String(e)),
    status,
    serverSide: err.$fault === 'server' || (status !== undefined && status >= 500),
  };
}

/** Removes PEM blocks (a stray private key among them) and bounds the length. */
export function scrub(message: string): string {
  return message
    .replace(/-----BEGIN [^-]*-----[\s\S]*?(-----END [^-]*-----|$)/g, '[PEM removed]')
    .slice(0, 500);
}

/**
 * The certbeat error for an ACM failure common to every operation: permissions → `ConfigurationError`,
 * throttling, 5xx and network failures → `TransientError`, a malformed ARN → `ConfigurationError` on
 * `acmArn`. `undefined` when the caller must decide (operation-specific errors).
 */
export function commonAcmError(e: unknown, action: string, arn?: string): CertbeatError | undefined {
  const { name, message, status, serverSide } = sdkErrorFacts(e);
  if (ACCESS.has(name)) {
    return new ConfigurationError(`not allowed to ${action} in ACM: ${message}`, {
      cause: e,
      remediation:
        "Give the renewal function's role acm:ImportCertificate, acm:DescribeCertificate, acm:AddTagsToCertificate, acm:ListCertificates and acm:ListTagsForCertificate in this region (the stack grants them; check for a permissions boundary or a service control policy that denies them), and check that its credentials are valid.",
    });
  }
  if (THROTTLING.has(name)) {
    return new TransientError(`ACM throttled the request to ${action}: ${message}`, {
      cause: e,
      remediation: 'Nothing to do: the next attempt retries. If it persists, fewer renewals per run (lower concurrency) keep under the ACM request rate.',
    });
  }
  if (serverSide || name === 'InternalServerException' || name === 'ServiceUnavailable') {
    return new TransientError(`ACM failed to ${action} (${name}${status ? `, HTTP ${status}` : ''}): ${message}`, {
      cause: e,
      remediation: 'Nothing to do: this is an error on the ACM side and the next attempt retries.',
    });
  }
  if (status === undefined) {
    // No HTTP status: the request never got an answer (DNS, connection refused, timeout).
    return new TransientError(`could not reach ACM to ${action}: ${message}`, {
      cause: e,
      remediation: 'Nothing to do if this is rare: the next attempt retries. If it persists, check the function’s network path to ACM (VPC endpoints or NAT).',
    });
  }
  if (name === 'InvalidArnException') {
    return new ConfigurationError(`acmArn ${arn ?? ''} is not a valid ACM certificate ARN: ${message}`, {
      cause: e,
      field: 'acmArn',
      remediation:
        'Set acmArn to the full ARN of the imported certificate (arn:aws:acm:<region>:<account>:certificate/<id>, in the region the function runs in), or clear it so that the next run imports the certificate as a new one.',
    });
  }
  return undefined;
}

/** Whether ACM throttled the request (its error name is one of the throttling names). */
export function isThrottling(e: unknown): boolean {
  return THROTTLING.has(sdkErrorFacts(e).name);
}

/** Whether the error is one of ACM's tag errors (bad key or value, too many tags, a tag policy). */
export function isTagError(e: unknown): boolean {
  return TAGS.has(sdkErrorFacts(e).name);
}


/** Network errors raised while connecting: the request never left, so nothing can have been committed. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/**
 * Whether a failed write may still have been committed by ACM: it answered 5xx, or 2xx with a body the SDK
 * could not read, or gave no answer at all after the request may have reached it (reset, timeout, abort).
 * A 4xx answer is a definite refusal (ACM validated and stored nothing), and so is a connection that was
 * never made.
 */
export function outcomeUnknown(e: unknown): boolean {
  const { status, serverSide } = sdkErrorFacts(e);
  if (serverSide) return true;
  if (status !== undefined) return status < 400;
  const code = (typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined) ?? '';
  return !NOT_SENT.has(String(code));
}
