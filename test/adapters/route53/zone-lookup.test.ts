import { describe, expect, it } from 'vitest';
import {
  explicitZoneFor,
  longestSuffixZone,
  matchZones,
  needsZoneListing,
  normalizeZoneId,
  type HostedZoneSummary,
} from '../../../lambda/adapters/route53/zone-lookup.js';
import { ConfigurationError, DnsZoneNotFoundError } from '../../../lambda/domain/errors.js';

const zones: HostedZoneSummary[] = [
  { id: 'ZPARENT', name: 'example.com', private: false },
  { id: 'ZSHOP', name: 'shop.example.com', private: false },
  { id: 'ZPRIVATE', name: 'internal.example.com', private: true },
  { id: 'ZORG', name: 'example.org', private: false },
];

describe('normalizeZoneId', () => {
  it('strips the /hostedzone/ prefix', () => {
    expect(normalizeZoneId('/hostedzone/Z123')).toBe('Z123');
    expect(normalizeZoneId('hostedzone/Z123')).toBe('Z123');
    expect(normalizeZoneId('Z123')).toBe('Z123');
  });
});

describe('longestSuffixZone', () => {
  it('prefers the delegated sub-zone over its parent, for wildcards too', () => {
    expect(longestSuffixZone('www.shop.example.com', zones)?.id).toBe('ZSHOP');
    expect(longestSuffixZone('*.shop.example.com', zones)?.id).toBe('ZSHOP');
    expect(longestSuffixZone('shop.example.com', zones)?.id).toBe('ZSHOP');
    expect(longestSuffixZone('www.example.com', zones)?.id).toBe('ZPARENT');
  });

  it('matches on whole labels only', () => {
    expect(longestSuffixZone('myexample.com', zones)).toBeUndefined();
    expect(longestSuffixZone('xshop.example.com', zones)?.id).toBe('ZPARENT');
  });

  it('ignores private zones', () => {
    expect(longestSuffixZone('db.internal.example.com', zones)?.id).toBe('ZPARENT');
  });

  it('refuses to guess between two public zones of the same name', () => {
    const dup = [...zones, { id: 'ZSHOP2', name: 'shop.example.com', private: false }];
    expect(() => longestSuffixZone('a.shop.example.com', dup)).toThrow(ConfigurationError);
  });
});

describe('matchZones', () => {
  it('uses explicit ids first (prefix stripped), then the longest suffix, keyed by the name as given', () => {
    const result = matchZones(
      ['example.com', '*.example.com', 'WWW.Shop.Example.com', 'a.example.org'],
      { 'a.example.org': '/hostedzone/ZEXPLICIT' },
      zones,
    );
    expect(result).toEqual({
      'example.com': 'ZPARENT',
      '*.example.com': 'ZPARENT',
      'WWW.Shop.Example.com': 'ZSHOP',
      'a.example.org': 'ZEXPLICIT',
    });
  });

  it("lets a wildcard use the explicit id of its apex (they share the record name)", () => {
    expect(explicitZoneFor('*.example.net', { 'example.net': 'Z9' })).toBe('Z9');
    expect(explicitZoneFor('example.net', { '*.example.net': 'Z9' })).toBe('Z9');
  });

  it('names every uncovered name in one DnsZoneNotFoundError', () => {
    try {
      matchZones(['www.example.com', 'a.nowhere.test', 'b.nowhere.test'], {}, zones);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DnsZoneNotFoundError);
      expect((e as DnsZoneNotFoundError).dnsName).toBe('a.nowhere.test, b.nowhere.test');
    }
  });
});

describe('needsZoneListing', () => {
  it('is false only when every name has an explicit id', () => {
    expect(needsZoneListing(['a.example.com', '*.a.example.com'], { 'a.example.com': 'Z1' })).toBe(false);
    expect(needsZoneListing(['a.example.com', 'b.example.com'], { 'a.example.com': 'Z1' })).toBe(true);
  });
});
