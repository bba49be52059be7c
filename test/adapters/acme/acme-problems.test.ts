import { describe, expect, it } from 'vitest';
import {
  AcmeProblemError,
  classifyAcmeError,
  classifyProblem,
  parseRetryAfter,
  type ProblemContext,
} from '../../../lambda/adapters/acme/acme-problems.js';
import { CaRejectedError, ConfigurationError, RateLimitedError, TransientError, isRetryable } from '../../../lambda/domain/errors.js';

const now = new Date('2030-01-01T00:00:00Z');
const ctx = (over: Partial<ProblemContext> = {}): ProblemContext => ({
  directoryUrl: 'https://ca.test/dir',
  operation: 'order',
  accountSecretId: 'certbeat/acme-accounts',
  now,
  ...over,
});
const problem = (type: string, detail = 'some detail', extra: Record<string, unknown> = {}) => ({
  type: `urn:ietf:params:acme:error:${type}`,
  detail,
  ...extra,
});

describe('classifyAcmeError', () => {
  it('turns rateLimited into RateLimitedError with Retry-After (seconds or date)', () => {
    const e = classifyAcmeError(new AcmeProblemError(problem('rateLimited', 'too many certificates'), 429, 'https://ca.test/new-order', '3600'), ctx());
    expect(e).toBeInstanceOf(RateLimitedError);
    expect((e as RateLimitedError).retryAfter?.toISOString()).toBe('2030-01-01T01:00:00.000Z');
    expect(e.message).toContain('too many certificates');
    expect(e.remediation).toContain('2030-01-01T01:00:00.000Z');

    const dated = classifyAcmeError(
      new AcmeProblemError(problem('rateLimited'), 429, 'u', 'Tue, 01 Jan 2030 06:00:00 GMT'),
      ctx(),
    ) as RateLimitedError;
    expect(dated.retryAfter?.toISOString()).toBe('2030-01-01T06:00:00.000Z');
    expect((classifyAcmeError(new AcmeProblemError(problem('rateLimited'), 429, 'u'), ctx()) as RateLimitedError).retryAfter).toBeUndefined();
  });

  it('turns serverInternal, badNonce and 5xx into TransientError', () => {
    for (const [p, status] of [[problem('serverInternal'), 500], [problem('badNonce'), 400], [{ detail: 'HTTP 503' }, 503]] as const) {
      const e = classifyAcmeError(new AcmeProblemError(p, status, 'u'), ctx());
      expect(e).toBeInstanceOf(TransientError);
      expect(e.message).toContain('https://ca.test/dir');
      expect(isRetryable(e)).toBe(true);
    }
  });

  it('names the CAA record and the issue/issuewild fix', () => {
    const e = classifyAcmeError(new AcmeProblemError(problem('caa', 'CAA record for example.com prevents issuance'), 403, 'u'), ctx({ identifier: 'example.com' }));
    expect(e).toBeInstanceOf(CaRejectedError);
    expect((e as CaRejectedError).shortType).toBe('caa');
    expect((e as CaRejectedError).identifier).toBe('example.com');
    expect(e.remediation).toContain('CAA record at example.com');
    expect(e.remediation).toContain('add an issue record');
    const wild = classifyProblem(problem('caa'), ctx({ identifier: '*.example.com' }));
    expect(wild.remediation).toContain('issuewild');
    expect(isRetryable(e)).toBe(false);
  });

  it('blames the EAB secret when an account registration with EAB is refused', () => {
    for (const type of ['unauthorized', 'externalAccountRequired', 'malformed']) {
      const e = classifyAcmeError(new AcmeProblemError(problem(type), 403, 'u'), ctx({ operation: 'account', eabSecretId: 'certbeat/eab/zerossl' }));
      expect(e).toBeInstanceOf(CaRejectedError);
      expect(e.remediation).toBe('The CA rejected the External Account Binding: check the key id and HMAC key in secret certbeat/eab/zerossl.');
    }
    const missing = classifyProblem(problem('externalAccountRequired'), ctx({ operation: 'account' }));
    expect(missing.remediation).toContain('requires External Account Binding');
    expect(missing.remediation).toContain('eabSecretId');
  });

  it('explains validation failures with the challenge record name', () => {
    const unauthorized = classifyProblem(problem('unauthorized', 'Incorrect TXT record'), ctx({ operation: 'validation', identifier: '*.example.com' }));
    expect(unauthorized.remediation).toContain('_acme-challenge.example.com');
    expect(unauthorized.message).toContain('*.example.com');
    expect(classifyProblem(problem('dns'), ctx({ operation: 'validation', identifier: 'www.example.com' })).remediation).toContain(
      '_acme-challenge.www.example.com',
    );
    expect(classifyProblem(problem('incorrectResponse'), ctx({ operation: 'validation', identifier: 'a.example.com' })).remediation).toContain(
      'did not match',
    );
  });

  it('gives every other known type its own remediation and keeps the problem type', () => {
    const cases: Record<string, string> = {
      rejectedIdentifier: 'policy forbids',
      badCSR: 'CSR',
      badPublicKey: 'keyType',
      accountDoesNotExist: 'certbeat/acme-accounts',
      invalidContact: 'CERTBEAT_ACCOUNT_EMAIL',
      userActionRequired: 'https://ca.test/tos',
      unsupportedIdentifier: 'unsupported identifier',
      malformed: 'typos',
    };
    for (const [type, words] of Object.entries(cases)) {
      const e = classifyProblem(problem(type, 'd', { instance: 'https://ca.test/tos' }), ctx({ identifier: 'x.example.com' })) as CaRejectedError;
      expect(e, type).toBeInstanceOf(CaRejectedError);
      expect(e.problemType).toBe(`urn:ietf:params:acme:error:${type}`);
      expect(e.remediation, type).toContain(words);
    }
  });

  it('takes the identifier and type of a compound problem from its subproblems', () => {
    const e = classifyProblem(
      {
        type: 'urn:ietf:params:acme:error:compound',
        detail: 'Cannot issue for 2 names',
        subproblems: [
          { type: 'urn:ietf:params:acme:error:rejectedIdentifier', detail: 'blocked', identifier: { type: 'dns', value: 'bad.example' } },
          { type: 'urn:ietf:params:acme:error:malformed', detail: 'invalid label', identifier: { type: 'dns', value: 'x..example' } },
        ],
      },
      ctx(),
    ) as CaRejectedError;
    expect(e.identifier).toBe('bad.example');
    expect(e.remediation).toContain('bad.example');
    expect(e.message).toContain('x..example: invalid label');
  });

  it('keeps certbeat errors and wraps unknown errors as TransientError naming the directory', () => {
    const config = new ConfigurationError('x');
    expect(classifyAcmeError(config, ctx())).toBe(config);
    const plain = new Error('Creating a new order did not return an order link');
    const e = classifyAcmeError(plain, ctx());
    expect(e).toBeInstanceOf(TransientError);
    expect(e.message).toContain('https://ca.test/dir');
    expect(e.cause).toBe(plain);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates, ignores junk', () => {
    expect(parseRetryAfter('120', now)?.toISOString()).toBe('2030-01-01T00:02:00.000Z');
    expect(parseRetryAfter('Wed, 02 Jan 2030 00:00:00 GMT', now)?.toISOString()).toBe('2030-01-02T00:00:00.000Z');
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
