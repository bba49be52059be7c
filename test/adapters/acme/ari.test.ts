import { describe, expect, it } from 'vitest';
import { parseRenewalInfo, renewalInfoUrl } from '../../../lambda/adapters/acme/ari.js';
import { TransientError } from '../../../lambda/domain/errors.js';

const now = new Date('2030-01-01T00:00:00Z');
const body = { suggestedWindow: { start: '2030-02-01T00:00:00Z', end: '2030-02-03T00:00:00Z' }, explanationURL: 'https://ca.test/why' };

describe('parseRenewalInfo', () => {
  it('reads the window, the explanation and Retry-After', () => {
    expect(parseRenewalInfo(body, '21600', now, 'u')).toEqual({
      start: '2030-02-01T00:00:00.000Z',
      end: '2030-02-03T00:00:00.000Z',
      retryAfter: '2030-01-01T06:00:00.000Z',
      explanationUrl: 'https://ca.test/why',
    });
  });

  it('clamps Retry-After to between a minute and a day (RFC 9773 §4.3)', () => {
    expect(parseRenewalInfo(body, '5', now, 'u').retryAfter).toBe('2030-01-01T00:01:00.000Z');
    expect(parseRenewalInfo(body, String(30 * 86400), now, 'u').retryAfter).toBe('2030-01-02T00:00:00.000Z');
    expect(parseRenewalInfo(body, undefined, now, 'u').retryAfter).toBeUndefined();
  });

  it('refuses an answer without a usable window', () => {
    for (const bad of [{}, { suggestedWindow: { start: 'x', end: '2030-01-01T00:00:00Z' } }, { suggestedWindow: { start: '2030-02-03T00:00:00Z', end: '2030-02-01T00:00:00Z' } }, null]) {
      expect(() => parseRenewalInfo(bad, undefined, now, 'https://ca.test/ri/x')).toThrow(TransientError);
    }
  });

  it('ignores an explanation URL that is not http(s)', () => {
    expect(parseRenewalInfo({ ...body, explanationURL: 'javascript:alert(1)' }, undefined, now, 'u').explanationUrl).toBeUndefined();
  });
});

describe('renewalInfoUrl', () => {
  it('appends the cert id to the base', () => {
    expect(renewalInfoUrl('https://ca.test/renewal-info/', 'aaa.bbb')).toBe('https://ca.test/renewal-info/aaa.bbb');
    expect(renewalInfoUrl('https://ca.test/renewal-info', 'aaa.bbb')).toBe('https://ca.test/renewal-info/aaa.bbb');
  });
});
