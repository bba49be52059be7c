/**
 * CNAME-delegated challenges: the config field's validation, the zone lookup mapping, the pre-flight
 * findings (against the testbed's DNS server answering the CNAME) and the IAM record names.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NodeDnsLookup } from '../../lambda/adapters/dns/node-dns-lookup.js';
import { challengeScope, parseConfig, CertbeatConfigError } from '../../cdk/config.js';
import { aliasFor, challengeTarget, zoneLookup } from '../../lambda/domain/challenge-alias.js';
import { LETS_ENCRYPT_PRODUCTION, type CertificateRecord } from '../../lambda/domain/model.js';
import type { DnsSolver } from '../../lambda/domain/ports.js';
import { blockingFindings, runPreflight } from '../../lambda/domain/preflight.js';
import { validateCertificateConfig } from '../../lambda/domain/record-validation.js';
import { startDnsServer, type DnsServer } from '../testbed/dns-server.js';

const base = { id: 'shop', names: ['shop.example.com', '*.shop.example.com'], directoryUrl: LETS_ENCRYPT_PRODUCTION, zones: {} };

describe('challengeAliases validation', () => {
  it('accepts an alias keyed by apex or wildcard, normalized and keyed by the base name', () => {
    const v = validateCertificateConfig({ ...base, challengeAliases: { '*.Shop.example.com.': '_ACME-challenge.shop.acme.example.net.' } }, { applyDefaults: true });
    expect(v.ok && v.value.challengeAliases).toEqual({ 'shop.example.com': '_acme-challenge.shop.acme.example.net' });
  });

  it('refuses keys outside names, bad targets, wildcards, the name itself, and apex + wildcard twice — each with its fix', () => {
    const v = validateCertificateConfig(
      {
        ...base,
        names: ['shop.example.com', '*.shop.example.com', 'a.example.com', 'b.example.com', 'c.example.com'],
        challengeAliases: {
          'other.example.com': 'x.acme.example.net',
          'a.example.com': 'not a name',
          'b.example.com': '*.acme.example.net',
          'c.example.com': '_acme-challenge.c.example.com',
          'shop.example.com': 'shop.acme.example.net',
          '*.shop.example.com': 'other.acme.example.net',
        },
      },
      { applyDefaults: true },
    );
    expect(v.ok).toBe(false);
    const problems = v.ok ? [] : v.problems;
    expect(problems).toEqual([
      'challengeAliases["other.example.com"]: is not one of the names; use a name from names as the key, or remove the entry',
      'challengeAliases["a.example.com"]: "not a name" contains white space; remove it',
      'challengeAliases["b.example.com"]: "*.acme.example.net" is a wildcard; give the exact name the CNAME points to, e.g. "b.acme.example.net"',
      'challengeAliases["c.example.com"]: "_acme-challenge.c.example.com" is the name\'s own challenge record, not an alias; remove the entry to write the TXT values there',
      'challengeAliases["*.shop.example.com"]: shop.example.com already sets the alias of shop.example.com (apex and wildcard share _acme-challenge.shop.example.com); keep one entry',
    ]);
  });

  it('refuses a challengeAliases that is not a map', () => {
    const v = validateCertificateConfig({ ...base, challengeAliases: ['x'] }, { applyDefaults: true });
    expect(v.ok ? [] : v.problems[0]).toMatch(/^challengeAliases: is not a map; give a map of name to the CNAME target/);
  });
});

describe('zone lookup for aliased names', () => {
  it('looks up the alias target instead of the name, carries an explicit zone over, and maps the answer back', () => {
    const aliases = { 'shop.example.com': 'shop.acme.example.net' };
    const lookup = zoneLookup(['shop.example.com', '*.shop.example.com', 'www.example.org'], { 'shop.example.com': 'ZACME' }, aliases);
    expect(lookup.names).toEqual(['shop.acme.example.net', 'www.example.org']);
    expect(lookup.explicit['shop.acme.example.net']).toBe('ZACME');
    expect(lookup.back({ 'shop.acme.example.net': 'ZACME', 'www.example.org': 'ZORG' })).toEqual({
      'shop.example.com': 'ZACME',
      '*.shop.example.com': 'ZACME',
      'www.example.org': 'ZORG',
    });
    expect(aliasFor('*.shop.example.com', aliases)).toBe('shop.acme.example.net');
    expect(challengeTarget('www.example.org', aliases)).toBe('_acme-challenge.www.example.org');
  });
});

describe('pre-flight of a CNAME-delegated name (testbed DNS server answers the CNAME)', () => {
  let dns: DnsServer;
  let lookup: NodeDnsLookup;
  const zones: Pick<DnsSolver, 'zoneDetails'> = {
    zoneDetails: async (id) => ({ id, name: 'acme.example.net.', nameServers: ['ns-1.awsdns-01.test'] }),
  };
  const record = (aliases?: Record<string, string>): CertificateRecord => ({
    ...base,
    keyType: 'ec256',
    owners: [],
    status: 'active',
    failureCount: 0,
    nextCheckAt: '2026-01-01T00:00:00.000Z',
    ...(aliases ? { challengeAliases: aliases } : {}),
  });
  const run = (rec: CertificateRecord, zoneId = 'ZACME') =>
    runPreflight(
      { record: rec, zoneIds: Object.fromEntries(rec.names.map((n) => [n, zoneId])), region: 'us-east-1' },
      { dns: lookup, zones },
    );

  beforeAll(async () => {
    dns = await startDnsServer();
    lookup = new NodeDnsLookup({ servers: [dns.address], timeoutMs: 1500 });
  });
  afterAll(async () => {
    await dns?.stop();
  });
  beforeEach(() => {
    dns.clear();
    dns.setRecords('acme.example.net', 'NS', ['ns-1.awsdns-01.test']);
  });

  it('passes: the CNAME leads to the alias and the alias lies in the zone certbeat writes', async () => {
    dns.setRecords('_acme-challenge.shop.example.com', 'CNAME', ['shop.acme.example.net']);
    const findings = await run(record({ 'shop.example.com': 'shop.acme.example.net' }));
    expect(blockingFindings(findings)).toEqual([]);
    const cname = findings.filter((f) => f.check === 'acme-challenge-cname');
    expect(cname).toEqual([
      { check: 'acme-challenge-cname', ok: true, message: '_acme-challenge.shop.example.com is a CNAME to shop.acme.example.net: the CA follows it to the values certbeat writes there' },
    ]);
    expect(findings.filter((f) => f.check === 'zone').map((f) => f.message)).toEqual([
      'the dns-01 values of shop.example.com go to its alias shop.acme.example.net, in the hosted zone ZACME (acme.example.net)',
      'the dns-01 values of *.shop.example.com go to its alias shop.acme.example.net, in the hosted zone ZACME (acme.example.net)',
    ]);
  });

  it('blocks an alias outside its assigned zone', async () => {
    dns.setRecords('_acme-challenge.shop.example.com', 'CNAME', ['shop.elsewhere.example.org']);
    const findings = await run(record({ 'shop.example.com': 'shop.elsewhere.example.org' }));
    const zone = blockingFindings(findings).filter((f) => f.check === 'zone');
    expect(zone).toHaveLength(2);
    expect(zone[0].message).toBe('shop.example.com is CNAME-delegated to shop.elsewhere.example.org, but that lies outside the hosted zone ZACME (acme.example.net) it was assigned');
  });

  it('blocks a missing CNAME with the record to create', async () => {
    const findings = await run(record({ 'shop.example.com': 'shop.acme.example.net' }));
    const [cname] = blockingFindings(findings);
    expect(cname.check).toBe('acme-challenge-cname');
    expect(cname.fix).toBe(
      'At the DNS provider of shop.example.com, create the record _acme-challenge.shop.example.com. CNAME shop.acme.example.net. (or remove the challengeAliases entry).',
    );
  });
});

describe('IAM scope of aliased names', () => {
  const config = (extra: Record<string, unknown>) => ({
    sender: 'certbeat@example.com',
    certificates: [{ id: 'shop', names: ['shop.example.com', '*.shop.example.com', 'www.example.com'], ...extra }],
  });

  it('grants the alias target, not _acme-challenge.<name>, in the alias zone', () => {
    const parsed = parseConfig(config({ zoneId: 'Z0ACME', challengeAliases: { 'shop.example.com': 'shop.acme.example.net' } }));
    expect(parsed.certificates[0].challengeAliases).toEqual({ 'shop.example.com': 'shop.acme.example.net' });
    const scope = challengeScope(parsed);
    expect(scope.byZone.get('Z0ACME')).toEqual(['_acme-challenge.www.example.com', 'shop.acme.example.net']);
    expect(scope.lookedUp).toEqual([]);
  });

  it('names the field and the fix for a bad alias in the config file', () => {
    let problems: string[] = [];
    try {
      parseConfig(config({ challengeAliases: { 'shop.example.com': 'bad name' } }));
    } catch (e) {
      if (!(e instanceof CertbeatConfigError)) throw e;
      problems = e.problems;
    }
    expect(problems).toEqual(['certificates[0].challengeAliases["shop.example.com"]: "bad name" contains white space; remove it']);
  });
});
