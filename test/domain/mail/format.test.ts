import { describe, expect, it } from 'vitest';
import {
  acmConsoleUrl,
  caLabel,
  daysUntil,
  describeResource,
  formatDate,
  formatDateTime,
  keyTypeLabel,
  namesSummary,
  relativeDays,
} from '../../../lambda/domain/mail/format.js';

describe('dates', () => {
  it('are UTC with the month spelled out', () => {
    expect(formatDateTime(new Date('2027-02-22T14:03:59Z'))).toBe('22 Feb 2027 14:03 UTC');
    expect(formatDate(new Date('2027-02-22T14:03:00Z'))).toBe('22 Feb 2027');
    // Late evening in UTC-5 is already the next day in UTC: the mail says the UTC day.
    expect(formatDate(new Date('2026-12-31T23:30:00-05:00'))).toBe('1 Jan 2027');
    expect(formatDateTime(new Date('2026-03-05T04:07:00Z'))).toBe('5 Mar 2026 04:07 UTC');
  });

  it('say so when missing or invalid', () => {
    expect(formatDate(undefined)).toBe('unknown date');
    expect(formatDateTime(new Date('nonsense'))).toBe('unknown date');
  });

  it('count whole days and phrase them', () => {
    const now = new Date('2026-11-24T09:30:00Z');
    expect(daysUntil(new Date('2026-12-06T09:29:00Z'), now)).toBe(11);
    expect(daysUntil(new Date('2026-12-06T09:30:00Z'), now)).toBe(12);
    expect(daysUntil(new Date('2026-11-23T09:30:00Z'), now)).toBe(-1);
    expect(relativeDays(12)).toBe('in 12 days');
    expect(relativeDays(1)).toBe('in 1 day');
    expect(relativeDays(0)).toBe('today');
    expect(relativeDays(-3)).toBe('3 days ago');
  });
});

describe('names and CAs', () => {
  it('summarise a name list', () => {
    expect(namesSummary(['example.com', 'www.example.com', '*.example.com'])).toBe('example.com (+2 names)');
    expect(namesSummary(['example.com', 'www.example.com'])).toBe('example.com (+1 name)');
    expect(namesSummary(['example.com'])).toBe('example.com');
  });

  it("names Let's Encrypt and other known CAs, else the directory host", () => {
    expect(caLabel('https://acme-v02.api.letsencrypt.org/directory')).toBe("Let's Encrypt (acme-v02.api.letsencrypt.org)");
    expect(caLabel('https://acme-staging-v02.api.letsencrypt.org/directory')).toBe("Let's Encrypt staging (acme-staging-v02.api.letsencrypt.org)");
    expect(caLabel('https://acme.zerossl.com/v2/DV90')).toBe('ZeroSSL (acme.zerossl.com)');
    expect(caLabel('https://localhost:14000/dir')).toBe('localhost:14000');
    expect(caLabel('not a url')).toBe('not a url');
  });

  it('labels key types', () => {
    expect(keyTypeLabel('ec384')).toBe('ECDSA P-384');
    expect(keyTypeLabel('rsa2048')).toBe('RSA 2048');
  });
});

describe('ACM resources', () => {
  it('describe the services that use a certificate', () => {
    expect(describeResource('arn:aws:cloudfront::123456789012:distribution/E2ABC')).toBe(
      'CloudFront distribution E2ABC (arn:aws:cloudfront::123456789012:distribution/E2ABC)',
    );
    expect(describeResource('arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/edge/abc')).toMatch(/^Network Load Balancer edge \(/);
    expect(describeResource('arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/legacy')).toMatch(/^Classic Load Balancer legacy \(/);
    expect(describeResource('arn:aws:apigateway:eu-west-1::/domainnames/api.example.com')).toMatch(/^API Gateway custom domain api\.example\.com \(/);
    expect(describeResource('arn:aws:other:eu-west-1:1:thing')).toBe('arn:aws:other:eu-west-1:1:thing');
  });

  it('link the ACM console only for well-formed aws-partition ARNs', () => {
    expect(acmConsoleUrl('arn:aws:acm:eu-west-1:123456789012:certificate/abc-123')).toBe(
      'https://eu-west-1.console.aws.amazon.com/acm/home?region=eu-west-1#/certificates/abc-123',
    );
    expect(acmConsoleUrl('arn:aws-cn:acm:cn-north-1:123456789012:certificate/abc')).toBeUndefined();
    expect(acmConsoleUrl('arn:aws:acm:eu-west-1:123456789012:certificate/abc"><x')).toBeUndefined();
  });
});
