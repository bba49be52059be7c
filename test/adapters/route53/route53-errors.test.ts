import { describe, expect, it } from 'vitest';
import {
  InvalidChangeBatch,
  NoSuchHostedZone,
  PriorRequestNotComplete,
  Route53ServiceException,
} from '@aws-sdk/client-route-53';
import { isRetryableRoute53Error, refusedChangeError, toRoute53Error } from '../../../lambda/adapters/route53/route53-errors.js';
import {
  CertbeatError,
  ConfigurationError,
  DnsZoneNotFoundError,
  RateLimitedError,
  TransientError,
  isRetryable,
} from '../../../lambda/domain/errors.js';

const meta = (httpStatusCode: number) => ({ httpStatusCode, attempts: 1, totalRetryDelay: 0 });

const serviceError = (name: string, status: number, fault: 'client' | 'server' = 'client') =>
  new Route53ServiceException({ name, $fault: fault, $metadata: meta(status), message: `${name} happened` });

describe('isRetryableRoute53Error', () => {
  it('retries throttling, prior request not complete, 5xx and network errors', () => {
    expect(isRetryableRoute53Error(serviceError('Throttling', 400))).toBe(true);
    expect(isRetryableRoute53Error(new PriorRequestNotComplete({ $metadata: meta(400), message: 'busy' }))).toBe(true);
    expect(isRetryableRoute53Error(serviceError('InternalFailure', 500, 'server'))).toBe(true);
    expect(isRetryableRoute53Error(serviceError('Whatever', 503, 'server'))).toBe(true);
    expect(isRetryableRoute53Error(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true);
  });

  it('does not retry what a retry cannot fix', () => {
    expect(isRetryableRoute53Error(new InvalidChangeBatch({ $metadata: meta(400), message: 'bad' }))).toBe(false);
    expect(isRetryableRoute53Error(serviceError('AccessDenied', 403))).toBe(false);
    expect(isRetryableRoute53Error(new NoSuchHostedZone({ $metadata: meta(404), message: 'none' }))).toBe(false);
  });
});

describe('toRoute53Error', () => {
  it('turns AccessDenied into a ConfigurationError naming the IAM actions and the zone', () => {
    const e = toRoute53Error(serviceError('AccessDenied', 403), { operation: 'ChangeResourceRecordSets', zoneId: 'Z1' });
    expect(e).toBeInstanceOf(ConfigurationError);
    expect(e.remediation).toContain('route53:ChangeResourceRecordSets');
    expect(e.remediation).toContain('hostedzone/Z1');
    expect(isRetryable(e)).toBe(false);
  });

  it('turns NoSuchHostedZone into DnsZoneNotFoundError when names are known, else ConfigurationError', () => {
    const sdk = new NoSuchHostedZone({ $metadata: meta(404), message: 'No hosted zone found with ID: Z9' });
    const withNames = toRoute53Error(sdk, { operation: 'x', zoneId: 'Z9', names: ['_acme-challenge.a.test'] });
    expect(withNames).toBeInstanceOf(DnsZoneNotFoundError);
    expect(withNames.remediation).toContain('Z9');
    expect(toRoute53Error(sdk, { operation: 'GetHostedZone', zoneId: 'Z9' })).toBeInstanceOf(ConfigurationError);
  });

  it("keeps Route 53's messages for InvalidChangeBatch", () => {
    const sdk = new InvalidChangeBatch({
      $metadata: meta(400),
      message: 'outer',
      messages: ['Tried to delete resource record set [name=\'_acme-challenge.a.test.\', type=\'TXT\'] but it was not found'],
    });
    const e = toRoute53Error(sdk, { operation: 'ChangeResourceRecordSets', zoneId: 'Z1' });
    expect(e).toBeInstanceOf(ConfigurationError);
    expect(e.message).toContain('but it was not found');
    expect(e.cause).toBe(sdk);
  });

  it('turns a record outside its zone into a ConfigurationError naming the record, the zone and the fix', () => {
    const sdk = new InvalidChangeBatch({
      $metadata: meta(400),
      message:
        '[RRSet with DNS name _acme-challenge.shop.other.test. is not permitted in zone example.test., RRSet with DNS name _acme-challenge.other.test. is not permitted in zone example.test.]',
    });
    const e = refusedChangeError(sdk, { zoneId: 'Z1', recordName: '_acme-challenge.other.test' });
    expect(e).toBeInstanceOf(ConfigurationError);
    expect(e.field).toBe('zones');
    expect(e.message).toBe(
      'Route 53 refused _acme-challenge.other.test in hosted zone Z1 (example.test): the name lies outside that zone (RRSet with DNS name _acme-challenge.other.test. is not permitted in zone example.test.)',
    );
    expect(e.remediation).toContain('The zone id configured for other.test points at hosted zone Z1, which is example.test');
    expect(e.remediation).toContain("certificate's `zones`");
    expect(e.cause).toBe(sdk);
    expect(isRetryable(e)).toBe(false);
  });

  it('names a CNAME in the way of a challenge record', () => {
    const sdk = new InvalidChangeBatch({
      $metadata: meta(400),
      message: '[RRSet of type TXT with DNS name _acme-challenge.a.test. is not permitted because a conflicting RRSet of type  CNAME with the same DNS name already exists in zone a.test.]',
    });
    const e = refusedChangeError(sdk, { zoneId: 'Z1', recordName: '_acme-challenge.a.test' });
    expect(e.message).toContain('a CNAME already exists');
    expect(e.remediation).toContain('Remove the CNAME at _acme-challenge.a.test');
  });

  it('reports throttling past our retries as rate limited, other transient failures as temporary', () => {
    expect(toRoute53Error(serviceError('Throttling', 400), { operation: 'x' })).toBeInstanceOf(RateLimitedError);
    expect(toRoute53Error(serviceError('InternalFailure', 500, 'server'), { operation: 'x' })).toBeInstanceOf(TransientError);
  });
});
