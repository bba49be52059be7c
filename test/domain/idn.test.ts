import { domainToASCII } from 'node:url';
import { describe, expect, it } from 'vitest';
import { displayName, toALabel, toUnicode } from '../../lambda/domain/idn.js';
import { challengeRecordName, isWithinZone, nameProblem, normalizeName } from '../../lambda/domain/names.js';
import { validateCertificateConfig } from '../../lambda/domain/record-validation.js';
import { parseConfig } from '../../cdk/config.js';

const base = {
  id: 'books',
  zones: {},
  directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory',
  keyType: 'ec256',
  owners: [],
  status: 'active',
};

describe('international names (UTS #46 via url.domainToASCII)', () => {
  it('node implements UTS #46 non-transitional processing, as WHATWG URL does', () => {
    // Transitional processing would map ß to ss (fass.de); IDNA2008 / non-transitional keeps it.
    expect(domainToASCII('faß.de')).toBe('xn--fa-hia.de');
    expect(domainToASCII('straße.de')).toBe('xn--strae-oqa.de');
    // Mapping: case folding and the ideographic full stop.
    expect(domainToASCII('BÜCHER。example。test')).toBe('xn--bcher-kva.example.test');
    // CheckJoiners: a ZERO WIDTH NON-JOINER outside its allowed context is refused.
    expect(domainToASCII('a\u200cb.example')).toBe('');
  });

  it('normalizes every spelling of a name to its A-labels', () => {
    for (const spelling of ['bücher.example.test', 'BÜCHER.Example.TEST.', 'xn--bcher-kva.example.test', 'XN--BCHER-KVA.example.test.', ' bücher.example.test ']) {
      expect(normalizeName(spelling)).toBe('xn--bcher-kva.example.test');
    }
    expect(normalizeName('*.bücher.example.test')).toBe('*.xn--bcher-kva.example.test');
    expect(toALabel('exa\u200cmple.test')).toBeUndefined();
    expect(challengeRecordName('*.bücher.example.test')).toBe('_acme-challenge.xn--bcher-kva.example.test');
    expect(isWithinZone('bücher.example.test', 'example.test')).toBe(true);
  });

  it('shows a stored name in Unicode beside its A-label', () => {
    expect(toUnicode('xn--bcher-kva.example.test')).toBe('bücher.example.test');
    expect(displayName('xn--bcher-kva.example.test')).toBe('bücher.example.test (xn--bcher-kva.example.test)');
    expect(displayName('*.xn--bcher-kva.example.test')).toBe('*.bücher.example.test (*.xn--bcher-kva.example.test)');
    expect(displayName('www.example.com')).toBe('www.example.com');
  });

  it('accepts Unicode names and refuses what UTS #46 or LDH refuse, with the fix', () => {
    expect(nameProblem('bücher.example.test')).toBeUndefined();
    expect(nameProblem('*.bücher.example.test')).toBeUndefined();
    expect(nameProblem('a\u200cb.example.test')).toMatch(/is not a valid international domain name .*check the spelling, or give its xn-- form/);
    expect(nameProblem('xn--zz.example.test')).toMatch(/xn-- label that is not a valid A-label/);
    expect(nameProblem("bü_cher.example.test")).toMatch(/has an invalid label "xn--b_cher-3ya"/);
  });

  it('stores A-labels and collapses variants (case, trailing dot, Unicode vs xn--) with a note', () => {
    const result = validateCertificateConfig({
      ...base,
      names: ['bücher.example.test', 'XN--BCHER-KVA.example.test.', '*.bücher.example.test', 'Bücher.Example.Test'],
      zones: { 'bücher.example.test': 'Z0123456789ABC' },
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.names).toEqual(['xn--bcher-kva.example.test', '*.xn--bcher-kva.example.test']);
    expect(result.value.zones).toEqual({ 'xn--bcher-kva.example.test': 'Z0123456789ABC' });
    expect(result.notes).toEqual([
      'names[1]: "XN--BCHER-KVA.example.test." is bücher.example.test (xn--bcher-kva.example.test) again, as names[0] "bücher.example.test"; kept once',
      'names[3]: "Bücher.Example.Test" is bücher.example.test (xn--bcher-kva.example.test) again, as names[0] "bücher.example.test"; kept once',
    ]);
  });

  it('config validation reports the collapsed variants and keeps A-labels', () => {
    const config = parseConfig({
      sender: 'certbeat@example.com',
      certificates: [{ id: 'books', names: ['bücher.example.test', 'xn--bcher-kva.example.test'], zoneId: 'Z0123456789ABC' }],
    });
    expect(config.certificates[0].names).toEqual(['xn--bcher-kva.example.test']);
    expect(config.certificates[0].zones).toEqual({ 'xn--bcher-kva.example.test': 'Z0123456789ABC' });
    expect(config.notes).toEqual([
      'certificates[0].names[1]: "xn--bcher-kva.example.test" is bücher.example.test (xn--bcher-kva.example.test) again, as names[0] "bücher.example.test"; kept once',
    ]);
    expect('notes' in config.certificates[0]).toBe(false);
  });
});
