import { describe, expect, it } from 'vitest';
import {
  CaRejectedError,
  CertbeatError,
  ConfigurationError,
  DnsZoneNotFoundError,
  ImportFailedError,
  LeaseHeldError,
  PropagationTimeoutError,
  RateLimitedError,
  TransientError,
  isRetryable,
  toCertbeatError,
} from '../../lambda/domain/errors.js';

describe('error taxonomy', () => {
  it('names the subclass and keeps the cause', () => {
    const cause = new Error('ECONNRESET');
    const e = new TransientError('network failure talking to the CA', { cause });
    expect(e).toBeInstanceOf(CertbeatError);
    expect(e.name).toBe('TransientError');
    expect(e.cause).toBe(cause);
  });

  it('retries what time can fix and not what a person must fix', () => {
    expect(isRetryable(new TransientError('x'))).toBe(true);
    expect(isRetryable(new RateLimitedError('x'))).toBe(true);
    expect(isRetryable(new PropagationTimeoutError('x'))).toBe(true);
    expect(isRetryable(new CaRejectedError('x', { problemType: 'urn:ietf:params:acme:error:dns' }))).toBe(true);
    expect(isRetryable(new CaRejectedError('x', { problemType: 'urn:ietf:params:acme:error:caa' }))).toBe(false);
    expect(isRetryable(new CaRejectedError('x', { problemType: 'urn:ietf:params:acme:error:externalAccountRequired' }))).toBe(false);
    expect(isRetryable(new ConfigurationError('x'))).toBe(false);
    expect(isRetryable(new DnsZoneNotFoundError('shop.example.com'))).toBe(false);
    expect(isRetryable(new ImportFailedError('x'))).toBe(false);
    expect(isRetryable(new LeaseHeldError('x'))).toBe(true);
  });

  it('explains a missing zone with the name and the fix', () => {
    const e = new DnsZoneNotFoundError('shop.example.com');
    expect(e.message).toBe('no hosted zone in this account covers shop.example.com');
    expect(e.remediation).toMatch(/hosted zone for shop\.example\.com/);
  });

  it('gives the short ACME problem type', () => {
    expect(new CaRejectedError('x', { problemType: 'urn:ietf:params:acme:error:rateLimited' }).shortType).toBe('rateLimited');
  });

  it('wraps unknown throwables without losing them', () => {
    const raw = new TypeError("Cannot read properties of undefined (reading 'config')");
    const e = toCertbeatError(raw);
    expect(e).toBeInstanceOf(TransientError);
    expect(e.cause).toBe(raw);
    expect(toCertbeatError('boom').message).toContain('boom');
    const known = new ConfigurationError('bad');
    expect(toCertbeatError(known)).toBe(known);
  });
});
