/**
 * What a fault proxy needs to know about the wire protocol behind it: how to name the operation of a
 * request (so faults and call counts can be keyed by it) and how the real service words a throttling
 * or server error, so that the SDK (or acme-client) classifies an injected fault exactly as it would
 * classify the real one.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** A canned answer: status, headers and body text. */
export interface CannedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** How to name a request and how to word injected errors for one kind of service. */
export interface WireProtocol {
  /** Operation name of a request: `ImportCertificate`, `GetChange`, `newOrder`, else `METHOD /path`. */
  operationOf(method: string, path: string, headers: IncomingHttpHeaders): string;
  /** The throttling error the real service sends; `code` overrides the default error code. */
  throttle(code?: string): CannedResponse;
  /** A server-side error with this status (500, 503, …). */
  serverError(status: number): CannedResponse;
}

const fallbackName = (method: string, path: string) => `${method} ${path.split('?')[0]}`;

/** The bare operation of `X-Amz-Target: Prefix.Operation` (AWS JSON 1.0 / 1.1). */
function targetOperation(headers: IncomingHttpHeaders): string | undefined {
  const target = headers['x-amz-target'];
  if (typeof target !== 'string') return undefined;
  const dot = target.lastIndexOf('.');
  return dot < 0 ? target : target.slice(dot + 1);
}

function json(status: number, contentType: string, payload: unknown, extra: Record<string, string> = {}): CannedResponse {
  return { status, headers: { 'content-type': contentType, ...extra }, body: JSON.stringify(payload) };
}

/**
 * AWS JSON 1.1 (ACM, Secrets Manager). The AWS front end answers throttling with HTTP 400
 * `{"__type":"ThrottlingException","message":"Rate exceeded"}`; the SDK's retry strategy treats
 * `ThrottlingException` as a throttling error (retried with backoff).
 */
export const awsJson11: WireProtocol = {
  operationOf: (method, path, headers) => targetOperation(headers) ?? fallbackName(method, path),
  throttle: (code = 'ThrottlingException') => json(400, 'application/x-amz-json-1.1', { __type: code, message: 'Rate exceeded' }),
  serverError: (status) =>
    json(status, 'application/x-amz-json-1.1', status === 503
      ? { __type: 'ServiceUnavailable', message: 'Service Unavailable' }
      : { __type: 'InternalFailure', message: 'The request processing has failed because of an unknown error, exception or failure.' }),
};

/**
 * DynamoDB (AWS JSON 1.0): error types carry the `com.amazonaws.dynamodb.v20120810#` namespace, which
 * the SDK strips. `ProvisionedThroughputExceededException` can be asked for through `code`; both are
 * throttling errors to the SDK.
 */
export const dynamoDb: WireProtocol = {
  operationOf: awsJson11.operationOf,
  throttle: (code = 'ThrottlingException') =>
    json(400, 'application/x-amz-json-1.0', {
      __type: `com.amazonaws.dynamodb.v20120810#${code}`,
      message: code === 'ThrottlingException'
        ? 'Rate of requests exceeds the allowed throughput.'
        : 'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
    }),
  serverError: (status) =>
    json(status, 'application/x-amz-json-1.0', status === 503
      ? { __type: 'com.amazonaws.dynamodb.v20120810#ServiceUnavailable', message: 'Service Unavailable' }
      : { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Internal server error' }),
};

const ROUTE53_NS = 'https://route53.amazonaws.com/doc/2013-04-01/';

function route53Error(status: number, type: 'Sender' | 'Receiver', code: string, message: string): CannedResponse {
  return {
    status,
    headers: { 'content-type': 'text/xml' },
    body:
      `<?xml version="1.0"?>\n<ErrorResponse xmlns="${ROUTE53_NS}"><Error><Type>${type}</Type><Code>${code}</Code>` +
      `<Message>${message}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>`,
  };
}

/** Route 53 REST paths → operation names (the ones certbeat and the emulator use). */
const ROUTE53_OPERATIONS: Array<[string, RegExp, string]> = [
  ['POST', /^\/2013-04-01\/hostedzone\/[^/]+\/rrset\/?$/, 'ChangeResourceRecordSets'],
  ['GET', /^\/2013-04-01\/hostedzone\/[^/]+\/rrset\/?$/, 'ListResourceRecordSets'],
  ['GET', /^\/2013-04-01\/hostedzone\/[^/]+$/, 'GetHostedZone'],
  ['GET', /^\/2013-04-01\/hostedzone\/?$/, 'ListHostedZones'],
  ['POST', /^\/2013-04-01\/hostedzone\/?$/, 'CreateHostedZone'],
  ['GET', /^\/2013-04-01\/hostedzonesbyname\/?$/, 'ListHostedZonesByName'],
  ['GET', /^\/2013-04-01\/change\/[^/]+$/, 'GetChange'],
];

/** Route 53 (REST/XML): throttling is HTTP 400 `<Code>Throttling</Code>`, which the SDK retries. */
export const route53Xml: WireProtocol = {
  operationOf: (method, path) => {
    const p = path.split('?')[0];
    return ROUTE53_OPERATIONS.find(([m, re]) => m === method && re.test(p))?.[2] ?? fallbackName(method, path);
  },
  throttle: (code = 'Throttling') => route53Error(400, 'Sender', code, 'Rate exceeded'),
  serverError: (status) =>
    route53Error(status, 'Receiver', status === 503 ? 'ServiceUnavailable' : 'InternalFailure', 'An internal error occurred.'),
};

const SES_OPERATIONS: Array<[string, RegExp, string]> = [
  ['POST', /^\/v2\/email\/outbound-emails\/?$/, 'SendEmail'],
  ['POST', /^\/v2\/email\/outbound-bulk-emails\/?$/, 'SendBulkEmail'],
  ['GET', /^\/v2\/email\/account\/?$/, 'GetAccount'],
];

/**
 * SES v2 (REST-JSON): its model's throttling error is `TooManyRequestsException` with HTTP 429; the
 * code travels in `x-amzn-ErrorType` as on the real endpoint.
 */
export const sesV2: WireProtocol = {
  operationOf: (method, path) => {
    const p = path.split('?')[0];
    return SES_OPERATIONS.find(([m, re]) => m === method && re.test(p))?.[2] ?? fallbackName(method, path);
  },
  throttle: (code = 'TooManyRequestsException') =>
    json(429, 'application/json', { message: 'Too Many Requests' }, { 'x-amzn-errortype': code }),
  serverError: (status) =>
    json(status, 'application/json', { message: 'Internal Failure' }, {
      'x-amzn-errortype': status === 503 ? 'ServiceUnavailable' : 'InternalFailure',
    }),
};

/** pebble's resource paths → the ACME resource names of RFC 8555. */
const ACME_OPERATIONS: Array<[RegExp, string]> = [
  [/^\/dir\/?$/, 'directory'],
  [/^\/nonce-plz\/?$/, 'newNonce'],
  [/^\/sign-me-up\/?$/, 'newAccount'],
  [/^\/my-account\//, 'account'],
  [/^\/order-plz\/?$/, 'newOrder'],
  [/^\/my-order\//, 'order'],
  [/^\/finalize-order\//, 'finalize'],
  [/^\/authZ\//, 'authorization'],
  [/^\/chalZ\//, 'challenge'],
  [/^\/certZ\//, 'certificate'],
  [/^\/revoke-cert\/?$/, 'revokeCert'],
  [/^\/rollover-account-key\/?$/, 'keyChange'],
];

function acmeProblem(status: number, type: string, detail: string, extra: Record<string, string> = {}): CannedResponse {
  return json(status, 'application/problem+json', { type: `urn:ietf:params:acme:error:${type}`, detail, status }, extra);
}

/**
 * ACME as pebble serves it. Throttling is RFC 8555's `rateLimited` problem with HTTP 429 and a
 * Retry-After (as Let's Encrypt sends on every rate-limit error); server errors are `serverInternal`.
 */
export const acme: WireProtocol = {
  operationOf: (method, path) => {
    const p = path.split('?')[0];
    return ACME_OPERATIONS.find(([re]) => re.test(p))?.[1] ?? fallbackName(method, path);
  },
  throttle: (code = 'rateLimited') => acmeProblem(429, code, 'Rate exceeded (injected by the testbed fault proxy)', { 'retry-after': '1' }),
  serverError: (status) => acmeProblem(status, 'serverInternal', 'Internal error (injected by the testbed fault proxy)'),
};

/** A protocol that knows no operation names: matching goes by method and path. */
export const plainHttp: WireProtocol = {
  operationOf: fallbackName,
  throttle: () => ({ status: 429, headers: { 'content-type': 'text/plain', 'retry-after': '1' }, body: 'Too Many Requests' }),
  serverError: (status) => ({ status, headers: { 'content-type': 'text/plain' }, body: 'Internal Server Error' }),
};
