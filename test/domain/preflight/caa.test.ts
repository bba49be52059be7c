import { describe, expect, it } from 'vitest';
import { caaLookupChain, evaluateCaa, parseIssueValue, type CaaRecord } from '../../../lambda/domain/preflight/caa.js';

const issue = (value: string, critical = 0): CaaRecord => ({ critical, tag: 'issue', value });
const issuewild = (value: string): CaaRecord => ({ critical: 0, tag: 'issuewild', value });
const LE = { identities: ['letsencrypt.org'] };

describe('caaLookupChain', () => {
  it('climbs from the name to the TLD', () => {
    expect(caaLookupChain('a.b.example.com')).toEqual(['a.b.example.com', 'b.example.com', 'example.com', 'com']);
  });
});

describe('parseIssueValue', () => {
  it('splits the issuer domain from its parameters', () => {
    const p = parseIssueValue(' LetsEncrypt.org. ; validationmethods=dns-01,http-01 ; accounturi=https://acme/acct/1');
    expect(p.issuer).toBe('letsencrypt.org');
    expect(Object.fromEntries(p.params)).toEqual({ validationmethods: 'dns-01,http-01', accounturi: 'https://acme/acct/1' });
  });
  it('reads ";" as no issuer', () => {
    expect(parseIssueValue(';').issuer).toBe('');
  });
});

describe('evaluateCaa', () => {
  it('allows any CA when the set has no applicable property', () => {
    expect(evaluateCaa([], { wildcard: false, ...LE })).toEqual({ kind: 'allowed' });
    expect(evaluateCaa([{ critical: 0, tag: 'iodef', value: 'mailto:a@b.test' }], { wildcard: false, ...LE })).toEqual({ kind: 'allowed' });
    // issuewild alone does not restrict non-wildcard names.
    expect(evaluateCaa([issuewild(';')], { wildcard: false, ...LE })).toEqual({ kind: 'allowed' });
  });

  it('allows a listed CA, comparing tags and issuers case-insensitively', () => {
    expect(evaluateCaa([issue('pki.goog'), { critical: 0, tag: 'ISSUE', value: 'LetsEncrypt.org' }], { wildcard: false, ...LE })).toEqual({
      kind: 'allowed',
      tag: 'issue',
      issuer: 'letsencrypt.org',
    });
  });

  it('forbids a CA that is not listed, naming who is', () => {
    expect(evaluateCaa([issue('pki.goog'), issue(';')], { wildcard: false, ...LE })).toEqual({
      kind: 'forbidden',
      reason: 'not-listed',
      tag: 'issue',
      listed: ['pki.goog'],
    });
  });

  it('prefers issuewild for wildcards and falls back to issue', () => {
    const set = [issue('letsencrypt.org'), issuewild('pki.goog')];
    expect(evaluateCaa(set, { wildcard: true, ...LE })).toMatchObject({ kind: 'forbidden', tag: 'issuewild', listed: ['pki.goog'] });
    expect(evaluateCaa(set, { wildcard: false, ...LE })).toMatchObject({ kind: 'allowed', tag: 'issue' });
    expect(evaluateCaa([issue('letsencrypt.org')], { wildcard: true, ...LE })).toMatchObject({ kind: 'allowed', tag: 'issue' });
    expect(evaluateCaa([issue(';'), issuewild('letsencrypt.org')], { wildcard: true, ...LE })).toMatchObject({ kind: 'allowed', tag: 'issuewild' });
  });

  it('honours validationmethods (RFC 8657) for dns-01', () => {
    expect(evaluateCaa([issue('letsencrypt.org; validationmethods=http-01,dns-01')], { wildcard: false, ...LE })).toMatchObject({ kind: 'allowed' });
    expect(evaluateCaa([issue('letsencrypt.org; validationmethods=http-01')], { wildcard: false, ...LE })).toEqual({
      kind: 'forbidden',
      reason: 'validation-method',
      tag: 'issue',
      issuer: 'letsencrypt.org',
      methods: ['http-01'],
    });
    // Another record for the same CA without the restriction still allows it.
    expect(evaluateCaa([issue('letsencrypt.org; validationmethods=http-01'), issue('letsencrypt.org')], { wildcard: false, ...LE })).toMatchObject({
      kind: 'allowed',
    });
  });

  it('forbids issuance on an unknown tag marked critical, but not on a known one', () => {
    expect(evaluateCaa([issue('letsencrypt.org'), { critical: 128, tag: 'tbs', value: 'x' }], { wildcard: false, ...LE })).toEqual({
      kind: 'forbidden',
      reason: 'critical-tag',
      criticalTag: 'tbs',
    });
    expect(evaluateCaa([issue('letsencrypt.org', 128)], { wildcard: false, ...LE })).toMatchObject({ kind: 'allowed' });
    expect(evaluateCaa([issue('letsencrypt.org'), { critical: 1, tag: 'tbs', value: 'x' }], { wildcard: false, ...LE })).toMatchObject({ kind: 'allowed' });
  });

  it('cannot decide for a CA without known identities', () => {
    expect(evaluateCaa([issue('pki.goog')], { wildcard: false, identities: [] })).toEqual({ kind: 'unknown-ca', tag: 'issue', listed: ['pki.goog'] });
    expect(evaluateCaa([], { wildcard: false, identities: [] })).toEqual({ kind: 'allowed' });
  });
});
