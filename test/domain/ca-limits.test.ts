import { describe, expect, it } from 'vitest';
import { KNOWN_CA_LIMITS, caLimitsFor, checkCaLimits } from '../../lambda/domain/ca-limits.js';
import { LETS_ENCRYPT_PRODUCTION, LETS_ENCRYPT_STAGING } from '../../lambda/domain/model.js';

const OTHER = 'https://acme.enterprise-ca.example/v2/directory';

describe('caLimitsFor', () => {
  it("knows Let's Encrypt production and staging, and nothing for any other CA", () => {
    expect(caLimitsFor(LETS_ENCRYPT_PRODUCTION)).toEqual({ ordersPer3Hours: 300, certificatesPerDomainPerWeek: 50 });
    expect(caLimitsFor(LETS_ENCRYPT_STAGING)).toEqual({ ordersPer3Hours: 1500, certificatesPerDomainPerWeek: 30000 });
    expect(caLimitsFor(OTHER)).toEqual({});
    expect(caLimitsFor('https://acme.zerossl.com/v2/DV90')).toEqual({});
  });

  it('takes configured limits for another CA, and overrides a known one key by key', () => {
    expect(caLimitsFor(OTHER, { [OTHER]: { certificatesPerDomainPerWeek: 500 } })).toEqual({ certificatesPerDomainPerWeek: 500 });
    expect(caLimitsFor(LETS_ENCRYPT_PRODUCTION, { [LETS_ENCRYPT_PRODUCTION]: { ordersPer3Hours: 2000 } })).toEqual({ ordersPer3Hours: 2000, certificatesPerDomainPerWeek: 50 });
    // The built-in table is not changed by a lookup.
    expect(KNOWN_CA_LIMITS[LETS_ENCRYPT_PRODUCTION]).toEqual({ ordersPer3Hours: 300, certificatesPerDomainPerWeek: 50 });
  });

  it('matches the directory URL as a URL (host case), not across paths', () => {
    expect(caLimitsFor('https://ACME.Enterprise-CA.example/v2/directory', { [OTHER]: { ordersPer3Hours: 7 } })).toEqual({ ordersPer3Hours: 7 });
    expect(caLimitsFor('https://acme.enterprise-ca.example/v2/other', { [OTHER]: { ordersPer3Hours: 7 } })).toEqual({});
  });
});

describe('checkCaLimits', () => {
  it('accepts either key or both, positive whole numbers, http only on loopback', () => {
    const input = { [OTHER]: { ordersPer3Hours: 300 }, 'http://127.0.0.1:14000/dir': { certificatesPerDomainPerWeek: 5, ordersPer3Hours: 1 } };
    expect(checkCaLimits(input)).toEqual({ ok: true, value: input });
    expect(checkCaLimits({})).toEqual({ ok: true, value: {} });
  });

  it('reports every problem with its path and the fix', () => {
    const checked = checkCaLimits({
      [OTHER]: { ordersPer3Hours: 0, certificatesPerDomainPerWeek: '50', perHour: 1 },
      'http://ca.example/dir': { ordersPer3Hours: 1 },
      'https://empty.example/dir': {},
    });
    expect(checked.ok).toBe(false);
    expect(!checked.ok && checked.problems).toEqual([
      { path: [OTHER], message: 'unknown key(s) "perHour"; use ordersPer3Hours and/or certificatesPerDomainPerWeek' },
      { path: [OTHER, 'ordersPer3Hours'], message: '0 is not a positive whole number; give how many new orders the CA allows one account in 3 hours, e.g. 300' },
      {
        path: [OTHER, 'certificatesPerDomainPerWeek'],
        message: '"50" is not a positive whole number; give how many new certificates the CA issues per registered domain in 7 days, e.g. 50',
      },
      { path: ['http://ca.example/dir'], message: expect.stringMatching(/^"http:\/\/ca\.example\/dir" is not an https URL; key each entry by the CA's ACME directory URL/) },
      { path: ['https://empty.example/dir'], message: 'gives no limit; set ordersPer3Hours and/or certificatesPerDomainPerWeek, or remove the entry' },
    ]);
    expect(checkCaLimits([1])).toMatchObject({ ok: false, problems: [{ path: [], message: expect.stringMatching(/^must be an object of CA directory URL to limits/) }] });
  });
});
