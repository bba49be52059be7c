/**
 * ACME problem documents (RFC 8555 §6.7, RFC 7807) turned into certbeat errors.
 *
 * acme-client 5.4 throws a bare `Error` whose message is the problem's `detail` and drops the
 * document itself; `acme-http.ts` re-throws failed responses as `AcmeProblemError` (document, HTTP
 * status, Retry-After) so that the type survives. `classifyAcmeError` maps those to `CaRejectedError`
 * (with a remediation sentence per problem type), `RateLimitedError` or `TransientError`.
 */
import {
  CaRejectedError,
  CertbeatError,
  ConfigurationError,
  RateLimitedError,
  TransientError,
} from '../../domain/errors.js';
import { challengeRecordName } from '../../domain/names.js';

export const ACME_ERROR_PREFIX = 'urn:ietf:params:acme:error:';

/** An ACME problem document as the CA sent it. */
export interface AcmeProblem {
  type?: string;
  detail?: string;
  status?: number;
  instance?: string;
  identifier?: { type: string; value: string };
  subproblems?: AcmeProblem[];
}

/** A non-success answer from the CA, with the problem document kept. */
export class AcmeProblemError extends Error {
  constructor(
    readonly problem: AcmeProblem,
    readonly status: number,
    readonly url: string,
    /** Raw Retry-After header, when the CA sent one. */
    readonly retryAfterHeader?: string,
  ) {
    super(problem.detail || problem.type || `HTTP ${status}`);
    this.name = 'AcmeProblemError';
  }

  /** `rateLimited`, `caa`, ... (the part after `urn:ietf:params:acme:error:`). */
  get shortType(): string | undefined {
    return shortType(this.problem.type);
  }
}

/** What the adapter was doing when the CA answered: decides the remediation wording. */
export interface ProblemContext {
  directoryUrl: string;
  /** e.g. "account registration", "new order", "validation", "finalization". */
  operation: 'account' | 'order' | 'validation' | 'finalization' | 'download' | 'renewalInfo';
  /** The identifier the problem concerns, when known (e.g. the authorization's name). */
  identifier?: string;
  /** The secret with EAB credentials, when EAB was sent. */
  eabSecretId?: string;
  accountSecretId?: string;
  accountEmail?: string;
  now: Date;
}

export function shortType(type: string | undefined): string | undefined {
  return type?.startsWith(ACME_ERROR_PREFIX) ? type.slice(ACME_ERROR_PREFIX.length) : type;
}

/**
 * Parses a Retry-After header (delta-seconds or HTTP-date) into an absolute time, relative to `now`.
 * Returns `undefined` when absent or unparseable.
 */
export function parseRetryAfter(header: string | undefined, now: Date): Date | undefined {
  if (header === undefined || header === null) return undefined;
  const text = String(header).trim();
  if (/^\d+$/.test(text)) return new Date(now.getTime() + Number(text) * 1000);
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * Turns anything an ACME call threw into a `CertbeatError`. Certbeat errors pass through unchanged;
 * `AcmeProblemError` is classified by problem type; any other error (acme-client's own plain
 * `Error`s, e.g. a missing header) becomes a `TransientError` naming the directory.
 */
export function classifyAcmeError(err: unknown, ctx: ProblemContext): CertbeatError {
  if (err instanceof CertbeatError) return err;
  if (err instanceof AcmeProblemError) return classifyProblem(err.problem, ctx, err, err.status, err.retryAfterHeader);
  const message = err instanceof Error ? err.message : String(err);
  return new TransientError(`unexpected answer from the ACME server ${ctx.directoryUrl} during ${ctx.operation}: ${message}`, {
    cause: err,
    remediation: 'Certbeat retries on the next run; if this repeats, check the CA status page.',
  });
}

/**
 * Classifies one problem document (also used for challenge and order `error` fields, which carry a
 * problem without an HTTP exchange of their own).
 */
/**
 * The unpause link in a rate-limit problem's detail: Let's Encrypt pauses a name for an account after
 * 1,152 consecutive failed authorizations and names the page that lifts the pause (an https URL with
 * "unpause" in it).
 */
export function unpauseUrl(detail: string | undefined): string | undefined {
  const m = /https:\/\/[^\s"'<>]*unpause[^\s"'<>]*/i.exec(detail ?? '');
  return m ? m[0].replace(/[.,;)]+$/, '') : undefined;
}

export function classifyProblem(
  problem: AcmeProblem,
  ctx: ProblemContext,
  cause?: unknown,
  status?: number,
  retryAfterHeader?: string,
): CertbeatError {
  // A compound problem's first subproblem usually names the identifier; the others are listed in the message.
  const sub = problem.subproblems?.[0];
  const type = shortType(problem.type === `${ACME_ERROR_PREFIX}compound` && sub?.type ? sub.type : problem.type);
  const identifier = sub?.identifier?.value ?? problem.identifier?.value ?? ctx.identifier;
  const detail = describeDetail(problem);
  const where = identifier ? ` for ${identifier}` : '';
  const message = `the CA refused the ${ctx.operation}${where}: ${detail}`;
  const options = { cause, problemType: problem.type ?? undefined, identifier };

  if (type === 'rateLimited' || status === 429) {
    const retryAfter = parseRetryAfter(retryAfterHeader, ctx.now);
    const unpause = unpauseUrl(problem.detail);
    if (unpause) {
      // LE paused the name for this account after too many failed authorizations: waiting does not help.
      return new RateLimitedError(`the CA paused ${identifier ?? 'these names'} for this account after repeated failed validations: ${detail}`, {
        cause,
        retryAfter,
        remediation: `Fix the validation problem first (certbeat doctor), then unpause the name at ${unpause} and renew (certbeat renew <id>).`,
      });
    }
    return new RateLimitedError(`the CA rate-limited the ${ctx.operation}${where}: ${detail}`, {
      cause,
      retryAfter,
      remediation: retryAfter
        ? `Wait until ${retryAfter.toISOString()} (the CA's Retry-After); certbeat tries again after that.`
        : 'Wait for the rate limit to reset (see the CA documentation on rate limits); certbeat tries again later.',
    });
  }
  if (type === 'serverInternal' || type === 'badNonce' || (status !== undefined && status >= 500)) {
    return new TransientError(`the ACME server ${ctx.directoryUrl} failed during the ${ctx.operation}${where}: ${detail}`, {
      cause,
      remediation: 'A temporary problem at the CA: certbeat retries on the next run; if it persists, check the CA status page.',
    });
  }
  return new CaRejectedError(message, { ...options, remediation: remediationFor(type, identifier, ctx, problem) });
}

function describeDetail(problem: AcmeProblem): string {
  const main = problem.detail || shortType(problem.type) || 'no detail given';
  const subs = (problem.subproblems ?? [])
    .map((s) => `${s.identifier?.value ?? '?'}: ${s.detail ?? shortType(s.type) ?? ''}`)
    .filter((s) => !main.includes(s));
  return (subs.length ? `${main} (${subs.join('; ')})` : main).replace(/\s+/g, ' ').slice(0, 1000);
}

/** One sentence per problem type telling a person what to change. */
export function remediationFor(
  type: string | undefined,
  identifier: string | undefined,
  ctx: ProblemContext,
  problem: AcmeProblem = {},
): string {
  const name = identifier ?? 'the name';
  const txt = identifier ? challengeRecordName(identifier) : '_acme-challenge.<name>';
  const eabHint = ctx.eabSecretId
    ? `the CA rejected the External Account Binding: check the key id and HMAC key in secret ${ctx.eabSecretId}`
    : undefined;
  switch (type) {
    case 'externalAccountRequired':
      return eabHint
        ? `${capitalize(eabHint)}.`
        : 'The CA requires External Account Binding: get an EAB key id and HMAC key from the CA, store them as {"keyId","hmacKey"} in a Secrets Manager secret and set eabSecretId on the certificate.';
    case 'unauthorized':
      if (ctx.operation === 'account' && eabHint) return `${capitalize(eabHint)}.`;
      if (ctx.operation === 'validation') {
        return `The CA did not find the expected TXT value at ${txt}: check that the hosted zone certbeat wrote to is the one the public DNS delegates ${name} to (NS records at the registrar), and that no CNAME redirects ${txt}.`;
      }
      return `The ACME account is not allowed to do this for ${name}: check the CA account's permissions (for EAB CAs, that ${name} is approved in the CA's portal).`;
    case 'caa':
      return `The CAA record at ${identifier ? baseOf(identifier) : 'the name'} (or a parent) does not allow this CA: add an ${identifier?.startsWith('*.') ? 'issuewild' : 'issue'} record for it or remove the CAA record.`;
    case 'dns':
      return `The CA could not look up ${txt}: check that the domain is delegated to the Route 53 zone's name servers and that they answer (no SERVFAIL, no DNSSEC errors).`;
    case 'incorrectResponse':
      return `The TXT value the CA found at ${txt} did not match: check that no other system overwrites ${txt} and that no stale value or CNAME is in the way, then retry.`;
    case 'connection':
      return `The CA could not reach the name servers of ${name}: check that they are reachable from the internet; certbeat retries on the next run.`;
    case 'rejectedIdentifier':
      return `The CA will not issue for ${name} (its policy forbids the name): remove it from the certificate or use another CA.`;
    case 'unsupportedIdentifier':
      return `The CA does not issue for ${name} (unsupported identifier): check the name's spelling and that the CA issues for this kind of name.`;
    case 'badCSR':
      return 'The CA refused the certificate request (CSR): check that the key type is one the CA accepts and that every name is valid.';
    case 'badPublicKey':
    case 'badSignatureAlgorithm':
      return 'The CA does not accept this key or signature algorithm: choose another keyType for the certificate (ec256 is the most widely accepted).';
    case 'malformed':
      // Some CAs answer a bad EAB signature with `malformed`.
      if (ctx.operation === 'account' && eabHint) return `${capitalize(eabHint)}.`;
      return `The CA found the request malformed${problem.detail ? ` ("${problem.detail.slice(0, 200)}")` : ''}: check the names for typos; if the names are right, report this as a certbeat bug.`;
    case 'accountDoesNotExist':
      return `The CA no longer knows the ACME account: certbeat registers a new one on the next run; if this repeats, delete the entry for ${ctx.directoryUrl} in secret ${ctx.accountSecretId ?? '(the account secret)'}.`;
    case 'invalidContact':
    case 'unsupportedContact':
      return `The CA refused the account contact address${ctx.accountEmail ? ` ${ctx.accountEmail}` : ''}: set CERTBEAT_ACCOUNT_EMAIL to a working mail address the CA accepts.`;
    case 'userActionRequired':
      return `The CA requires a person to act on the account (e.g. accept new terms of service)${problem.instance ? `: see ${problem.instance}` : ''}.`;
    case 'orderNotReady':
      return 'The order was finalized before all authorizations were valid: certbeat retries on the next run; report this if it repeats.';
    case 'alreadyReplaced':
      return 'The CA says this certificate was already replaced: check for another certbeat or ACME client renewing the same certificate.';
    default:
      return `The CA refused the request${problem.detail ? ` ("${problem.detail.slice(0, 200)}")` : ''}: see the CA's documentation for ${type ?? 'this error'}.`;
  }
}

function baseOf(name: string): string {
  return name.startsWith('*.') ? name.slice(2) : name;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** A configuration problem found before talking to the CA (e.g. an unreadable EAB secret). */
export function eabSecretProblem(secretId: string, what: string, cause?: unknown): ConfigurationError {
  return new ConfigurationError(`the External Account Binding secret ${secretId} ${what}`, {
    field: 'eabSecretId',
    cause,
    remediation: `Store {"keyId": "<key id from the CA>", "hmacKey": "<base64url HMAC key from the CA>"} as the value of secret ${secretId}.`,
  });
}
