/**
 * Route 53 SDK exceptions → certbeat errors, and which of them are worth retrying.
 */
import {
  CertbeatError,
  ConfigurationError,
  DnsZoneNotFoundError,
  RateLimitedError,
  TransientError,
} from '../../domain/errors.js';

/** What the adapter was doing, to name it in the message and the fix. */
export interface Route53ErrorContext {
  operation: string;
  zoneId?: string;
  /** Record or certificate names involved, when known. */
  names?: readonly string[];
}

const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException']);
const BUSY = new Set(['PriorRequestNotComplete']);
const TRANSIENT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'ServiceUnavailable', 'InternalFailure']);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);
const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'NotAuthorizedException', 'UnrecognizedClientException', 'InvalidClientTokenId', 'ExpiredToken']);

const IAM_ACTIONS =
  'route53:ListHostedZones, route53:GetHostedZone, route53:ListResourceRecordSets, route53:ChangeResourceRecordSets and route53:GetChange';

interface SdkLike {
  name?: string;
  code?: string;
  message?: string;
  messages?: string[];
  cause?: unknown;
  $metadata?: { httpStatusCode?: number };
  $fault?: string;
}

function fields(e: unknown): SdkLike {
  return typeof e === 'object' && e !== null ? (e as SdkLike) : {};
}

export function isThrottling(e: unknown): boolean {
  const { name, $metadata } = fields(e);
  return THROTTLING.has(name ?? '') || $metadata?.httpStatusCode === 429;
}

/** Throttling, PriorRequestNotComplete, 5xx and network failures: the same request may succeed later. */
export function isRetryableRoute53Error(e: unknown, depth = 0): boolean {
  const f = fields(e);
  if (f.name === 'AbortError') return false;
  if (isThrottling(e) || BUSY.has(f.name ?? '') || TRANSIENT_NAMES.has(f.name ?? '')) return true;
  const status = f.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  if (f.$fault === 'server') return true;
  if (NETWORK_CODES.has(f.code ?? '')) return true;
  return f.cause !== undefined && depth < 5 && isRetryableRoute53Error(f.cause, depth + 1);
}

/** Turns anything a Route 53 call threw into a certbeat error (the original kept as `cause`). */
export function toRoute53Error(e: unknown, context: Route53ErrorContext): CertbeatError {
  if (e instanceof CertbeatError) return e;
  const f = fields(e);
  const name = f.name ?? 'Error';
  const detail = f.message ?? String(e);
  const where = `${context.operation}${context.zoneId ? ` on hosted zone ${context.zoneId}` : ''}`;

  if (ACCESS_DENIED.has(name) || f.$metadata?.httpStatusCode === 403) {
    return new ConfigurationError(`Route 53 denied ${where}: ${detail}`, {
      cause: e,
      remediation:
        `Allow ${IAM_ACTIONS} to certbeat's role` +
        (context.zoneId ? ` on arn:aws:route53:::hostedzone/${context.zoneId} (or, for a zone in another account, to the role assumed for it)` : '') +
        '; the record names may stay limited to _acme-challenge.* TXT.',
    });
  }
  if (name === 'NoSuchHostedZone' || name === 'HostedZoneNotFound') {
    const remediation = `Hosted zone ${context.zoneId ?? ''} does not exist or is not visible to these credentials: correct or remove the configured zone id, so certbeat finds the zone by name.`;
    return context.names && context.names.length > 0
      ? new DnsZoneNotFoundError(context.names.join(', '), { cause: e, remediation })
      : new ConfigurationError(`${where} failed: ${detail}`, { cause: e, field: 'zones', remediation });
  }
  if (name === 'InvalidChangeBatch') {
    return refusedChangeError(e, { zoneId: context.zoneId, recordName: context.names?.length === 1 ? context.names[0] : undefined });
  }
  if (name === 'InvalidInput') {
    // A malformed request is certbeat's own bug, not the operator's configuration.
    return new CertbeatError(`Route 53 refused ${where} as malformed: ${routeMessages(e).join('; ')}`, {
      cause: e,
      remediation: 'Report this with the run log: certbeat sent a request Route 53 could not read.',
    });
  }
  if (isThrottling(e)) {
    return new RateLimitedError(`Route 53 kept throttling ${where}: ${detail}`, {
      cause: e,
      remediation: 'Route 53 allows five requests per second per account; lower the run concurrency or spread other automation using Route 53.',
    });
  }
  if (isRetryableRoute53Error(e)) {
    return new TransientError(`${where} failed temporarily: ${name}: ${detail}`, {
      cause: e,
      remediation: 'Nothing to do if it passes on the next run; if it persists, check Route 53 service health and network access from the Lambda.',
    });
  }
  return new TransientError(`${where} failed: ${name}: ${detail}`, { cause: e });
}

/** Route 53's InvalidChangeBatch texts: the `messages` list when the SDK parsed one, else the message. */
function routeMessages(e: unknown): string[] {
  const f = fields(e);
  if (f.messages && f.messages.length > 0) return f.messages;
  const text = f.message ?? String(e);
  // Route 53 lists several problems as "[first, Second]"; each one starts with a capital letter.
  const list = /^\[(.*)\]$/s.exec(text.trim());
  return list ? list[1].split(/, (?=[A-Z])/) : [text];
}

export function isInvalidChangeBatch(e: unknown): boolean {
  const cause = e instanceof CertbeatError ? e.cause : e;
  return fields(cause).name === 'InvalidChangeBatch';
}

/**
 * Which of `candidates` (record names, no trailing dot) an InvalidChangeBatch names. Route 53 writes
 * names fully qualified (`_acme-challenge.a.test.`) inside its text; a name only counts when it stands
 * alone there, so `a.test` is not found in `b.a.test.` nor in `a.test.net.`.
 */
export function refusedRecordNames(e: unknown, candidates: Iterable<string>): string[] {
  const text = routeMessages(e instanceof CertbeatError ? e.cause : e).join('\n');
  return [...new Set(candidates)].filter((name) => namePattern(name).test(text));
}

function namePattern(name: string): RegExp {
  const escaped = name.replace(/\.$/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\w.\\\\-])${escaped}(?:\\.(?![\\w\\\\-])|(?![\\w.\\\\-]))`, 'i');
}

/**
 * The ConfigurationError for a change Route 53 refused (InvalidChangeBatch), naming the record, the
 * zone and the fix. A record outside the zone's name means the certificate's zone id is wrong (an
 * explicit zone id of another domain, or one id over names of two domains): nothing but a changed
 * configuration helps, so it is terminal.
 */
export function refusedChangeError(e: unknown, where: { zoneId?: string; recordName?: string }): ConfigurationError {
  const cause = e instanceof CertbeatError ? e.cause ?? e : e;
  const all = routeMessages(cause);
  const record = where.recordName?.replace(/\.$/, '');
  const about = record ? all.filter((m) => namePattern(record).test(m)) : [];
  const messages = about.length > 0 ? about : all;
  const zone = where.zoneId ? `hosted zone ${where.zoneId}` : 'the hosted zone';
  const outside = record ? new RegExp(`is not permitted in zone (\\S+?)\\.?(?=[\\s,\\]]|$)`).exec(messages.join('\n')) : null;
  if (record && outside) {
    const certName = record.replace(/^_acme-challenge\./, '');
    return new ConfigurationError(
      `Route 53 refused ${record} in ${zone} (${outside[1]}): the name lies outside that zone (${messages.join('; ')})`,
      {
        cause,
        field: 'zones',
        remediation:
          `The zone id configured for ${certName} points at ${zone}, which is ${outside[1]}: in the certificate's \`zones\`, ` +
          `set the zoneId of the hosted zone that holds ${certName}, or remove the explicit zone id so certbeat finds the zone by name.`,
      },
    );
  }
  if (record && messages.some((m) => /conflicting RRSet of type\s+CNAME/i.test(m))) {
    return new ConfigurationError(`Route 53 refused ${record} in ${zone}: a CNAME already exists at that name (${messages.join('; ')})`, {
      cause,
      field: 'zones',
      remediation: `Remove the CNAME at ${record} in ${zone}, or point it at a zone certbeat manages and give that zone's id in the certificate's \`zones\`.`,
    });
  }
  return new ConfigurationError(`Route 53 refused ${record ?? 'the change'} in ${zone}: ${messages.join('; ')}`, {
    cause,
    field: 'zones',
    remediation: `Check the TXT records at ${record ?? 'the names above'} in ${zone} in the Route 53 console; a conflicting or protected record set must be fixed by hand.`,
  });
}
