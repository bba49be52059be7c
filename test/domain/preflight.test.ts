import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NodeDnsLookup } from '../../lambda/adapters/dns/node-dns-lookup.js';
import { DnsZoneNotFoundError, TransientError } from '../../lambda/domain/errors.js';
import { LETS_ENCRYPT_PRODUCTION, type CertificateRecord } from '../../lambda/domain/model.js';
import type { Finding } from '../../lambda/domain/notices.js';
import type { DnsLookup, DnsSolver } from '../../lambda/domain/ports.js';
import { blockingFindings, runPreflight, sharedLookups, type PreflightInput } from '../../lambda/domain/preflight.js';
import { startDnsServer, type DnsServer } from '../testbed/dns-server.js';
import { Route53Client } from '@aws-sdk/client-route-53';
import { Route53DnsSolver } from '../../lambda/adapters/route53/route53-dns-solver.js';
import { startRoute53Emulator, type Route53Emulator } from '../testbed/route53-emulator.js';

const ZONE_ID = 'Z0EXAMPLE';
const ROUTE53_NS = ['ns-1.awsdns-01.test', 'ns-2.awsdns-02.test'];

function record(overrides: Partial<CertificateRecord> = {}): CertificateRecord {
  return {
    id: 'web',
    names: ['example.test', '*.example.test'],
    zones: {},
    directoryUrl: LETS_ENCRYPT_PRODUCTION,
    keyType: 'ec256',
    owners: [],
    status: 'active',
    failureCount: 0,
    nextCheckAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** A hosted zone port with one zone; `zoneDetails` of any other id fails as Route 53 would. */
function zonesStub(zones: Record<string, { name: string; nameServers: string[] }> = { [ZONE_ID]: { name: 'example.test.', nameServers: ROUTE53_NS } }): Pick<DnsSolver, 'zoneDetails'> {
  return {
    async zoneDetails(id) {
      const z = zones[id];
      if (!z) throw new DnsZoneNotFoundError(id, { remediation: `Check the zone id ${id}: no such hosted zone.` });
      return { id, ...z };
    },
  };
}

function input(overrides: Partial<PreflightInput> = {}): PreflightInput {
  const rec = overrides.record ?? record();
  return {
    record: rec,
    zoneIds: Object.fromEntries(rec.names.map((n) => [n, ZONE_ID])),
    region: 'eu-west-1',
    ...overrides,
  };
}

function only(findings: Finding[], check: string): Finding[] {
  return findings.filter((f) => f.check === check);
}

/** Every failing finding must say how to fix it. */
function expectFixes(findings: Finding[]): void {
  for (const f of findings.filter((x) => !x.ok)) expect(f.fix, `${f.check}: ${f.message}`).toMatch(/\w.{10,}/);
}

describe('runPreflight against crafted DNS', () => {
  let dns: DnsServer;
  let lookup: NodeDnsLookup;

  beforeAll(async () => {
    dns = await startDnsServer();
    lookup = new NodeDnsLookup({ servers: [dns.address], timeoutMs: 1500 });
  });
  afterAll(async () => {
    await dns?.stop();
  });
  beforeEach(() => {
    dns.clear();
    dns.setRecords('example.test', 'NS', ROUTE53_NS);
  });

  const run = (overrides: Partial<PreflightInput> = {}, zones = zonesStub()) => runPreflight(input(overrides), { dns: lookup, zones });

  it('passes every check for a healthy setup, one finding per name, zone and challenge name', async () => {
    dns.setRecords('example.test', 'CAA', [
      { tag: 'issue', value: 'letsencrypt.org' },
      { tag: 'iodef', value: 'mailto:sec@example.test' },
    ]);
    const findings = await run({ storedKeyType: 'ec256' });

    expect(findings.filter((f) => !f.ok)).toEqual([]);
    expect(blockingFindings(findings)).toEqual([]);
    expect(findings.map((f) => f.check)).toEqual(['zone', 'zone', 'delegation', 'caa', 'caa', 'acme-challenge-cname', 'key-type', 'region', 'dnssec']);
    expect(only(findings, 'caa')[0].message).toContain('allows letsencrypt.org');
    expect(only(findings, 'delegation')[0].message).toContain(ZONE_ID);
  });

  it('flags CAA that forbids the CA at the name itself, with the record to add', async () => {
    dns.setRecords('example.test', 'CAA', [{ tag: 'issue', value: 'sectigo.com' }]);
    const findings = await run({ record: record({ names: ['example.test'] }) });

    const [caa] = only(findings, 'caa');
    expect(caa.ok).toBe(false);
    expect(caa.message).toContain('sectigo.com');
    expect(caa.message).toContain("Let's Encrypt");
    expect(caa.fix).toBe('Add `0 issue "letsencrypt.org"` at example.test or remove the CAA record.');
    expect(blockingFindings(findings)).toEqual([caa]);
    expectFixes(findings);
  });

  it('flags CAA inherited from a parent domain (tree climbing)', async () => {
    dns.setRecords('example.test', 'CAA', [{ tag: 'issue', value: 'pki.goog' }]);
    dns.setRecords('www.shop.example.test', 'A', ['192.0.2.1']); // exists, but has no CAA of its own
    const findings = await run({ record: record({ names: ['www.shop.example.test'] }) });

    const [caa] = only(findings, 'caa');
    expect(caa.ok).toBe(false);
    expect(caa.message).toContain('at example.test (inherited by www.shop.example.test)');
    expect(caa.fix).toContain('at example.test');
    expect(blockingFindings(findings)).toContainEqual(caa);
  });

  it('uses the closest CAA set: a child allowing the CA overrides a forbidding parent', async () => {
    dns.setRecords('example.test', 'CAA', [{ tag: 'issue', value: 'pki.goog' }]);
    dns.setRecords('shop.example.test', 'CAA', [{ tag: 'issue', value: 'letsencrypt.org' }]);
    const findings = await run({ record: record({ names: ['shop.example.test'] }) });
    expect(only(findings, 'caa')).toEqual([expect.objectContaining({ ok: true })]);
  });

  it('checks issuewild for a wildcard and issue for the apex', async () => {
    dns.setRecords('example.test', 'CAA', [
      { tag: 'issue', value: 'letsencrypt.org' },
      { tag: 'issuewild', value: ';' },
    ]);
    const findings = await run();

    const [apex, wildcard] = only(findings, 'caa');
    expect(apex).toMatchObject({ ok: true });
    expect(wildcard.ok).toBe(false);
    expect(wildcard.message).toContain('*.example.test');
    expect(wildcard.message).toContain('issuewild');
    expect(wildcard.fix).toBe('Add `0 issuewild "letsencrypt.org"` at example.test or remove the CAA record.');
    expect(blockingFindings(findings)).toEqual([wildcard]);
  });

  it('falls back to issue for a wildcard when there is no issuewild', async () => {
    dns.setRecords('example.test', 'CAA', [{ tag: 'issue', value: 'letsencrypt.org; validationmethods=dns-01' }]);
    const findings = await run();
    expect(only(findings, 'caa').map((f) => f.ok)).toEqual([true, true]);
  });

  it('flags CAA that allows the CA only with other validation methods, or has an unknown critical tag', async () => {
    dns.setRecords('example.test', 'CAA', [{ tag: 'issue', value: 'letsencrypt.org; validationmethods=http-01' }]);
    const [methods] = only(await run({ record: record({ names: ['example.test'] }) }), 'caa');
    expect(methods.ok).toBe(false);
    expect(methods.fix).toContain('dns-01');

    dns.setRecords('example.test', 'CAA', [
      { tag: 'issue', value: 'letsencrypt.org' },
      { flags: 128, tag: 'future', value: 'x' },
    ]);
    const [critical] = only(await run({ record: record({ names: ['example.test'] }) }), 'caa');
    expect(critical.ok).toBe(false);
    expect(critical.message).toContain('"future"');
    expect(critical.fix).toContain('critical flag');
  });

  it('cannot verify CAA for an unknown CA without an override, and can with one', async () => {
    dns.setRecords('example.test', 'CAA', [{ tag: 'issue', value: 'pebble.test' }]);
    const pebble = record({ names: ['example.test'], directoryUrl: 'https://127.0.0.1:14000/dir' });

    const unverified = await run({ record: pebble });
    expect(only(unverified, 'caa-unverified')).toEqual([expect.objectContaining({ ok: false, fix: expect.any(String) })]);
    expect(blockingFindings(unverified)).toEqual([]);

    const verified = await run({ record: pebble, caaIdentities: ['Pebble.test'] });
    expect(only(verified, 'caa')).toEqual([expect.objectContaining({ ok: true })]);
    const forbidden = await run({ record: pebble, caaIdentities: ['other-ca.test'] });
    expect(only(forbidden, 'caa')[0]).toMatchObject({ ok: false, fix: 'Add `0 issue "other-ca.test"` at example.test or remove the CAA record.' });
  });

  it('flags a delegation that does not match the hosted zone, and passes a matching subset', async () => {
    dns.setRecords('example.test', 'NS', ['ns1.registrar-parking.test', 'ns-1.awsdns-01.test']);
    const findings = await run();
    const [delegation] = only(findings, 'delegation');
    expect(delegation.ok).toBe(false);
    expect(delegation.message).toBe(
      `the domain's registrar points example.test at ns1.registrar-parking.test, ns-1.awsdns-01.test, but the Route 53 zone ${ZONE_ID} is served by ns-1.awsdns-01.test, ns-2.awsdns-02.test`,
    );
    expect(delegation.fix).toContain('at the registrar');
    expect(blockingFindings(findings)).toEqual([delegation]);

    dns.setRecords('example.test', 'NS', ['NS-2.awsdns-02.test.']);
    expect(only(await run(), 'delegation')).toEqual([expect.objectContaining({ ok: true })]);
  });

  it('flags a zone name without any public NS records', async () => {
    dns.setRecords('example.test', 'NS', []);
    const [delegation] = only(await run(), 'delegation');
    expect(delegation.ok).toBe(false);
    expect(delegation.message).toContain('no NS records for example.test');
    expect(delegation.fix).toContain(ROUTE53_NS.join(', '));
  });

  it('flags an _acme-challenge CNAME once for apex and wildcard', async () => {
    dns.setRecords('_acme-challenge.example.test', 'CNAME', ['_acme-challenge.validation.other.test']);
    const findings = await run();
    const cname = only(findings, 'acme-challenge-cname');
    expect(cname).toHaveLength(1);
    expect(cname[0].ok).toBe(false);
    expect(cname[0].message).toContain('the CA follows the CNAME to _acme-challenge.validation.other.test');
    expect(cname[0].message).toContain('example.test, *.example.test');
    expect(cname[0].fix).toContain('Point _acme-challenge.example.test to a zone certbeat manages, or remove the CNAME.');
    expect(cname[0].fix).toContain('"challengeAliases": { "example.test": "_acme-challenge.validation.other.test" }');
    expect(blockingFindings(findings)).toEqual(cname);
  });

  it('flags a key type ACM would refuse to re-import', async () => {
    const findings = await run({ record: record({ keyType: 'ec384' }), storedKeyType: 'rsa2048' });
    const [keyType] = only(findings, 'key-type');
    expect(keyType.ok).toBe(false);
    expect(keyType.message).toContain('rsa2048');
    expect(keyType.message).toContain('ec384');
    expect(keyType.fix).toContain('back to rsa2048');
    expect(blockingFindings(findings)).toEqual([keyType]);
  });

  it('warns when CloudFront uses a certificate outside us-east-1, without blocking', async () => {
    const cloudfront = 'arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE';
    const alb = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188';
    const findings = await run({ inUseBy: [alb, cloudfront] });
    const [region] = only(findings, 'region');
    expect(region.ok).toBe(false);
    expect(region.message).toContain(cloudfront);
    expect(region.message).toContain('us-east-1');
    expect(region.message).not.toContain(alb);
    expect(region.fix).toContain('us-east-1');
    expect(blockingFindings(findings)).toEqual([]);

    expect(only(await run({ inUseBy: [cloudfront], region: 'us-east-1' }), 'region')[0].ok).toBe(true);
    expect(only(await run({ inUseBy: [alb] }), 'region')[0].ok).toBe(true);
  });

  it('flags names without a hosted zone and zone ids Route 53 does not know', async () => {
    const rec = record({ names: ['example.test', 'other.test'] });
    const findings = await run({ record: rec, zoneIds: { 'example.test': 'Z0MISSING' } });
    const zone = only(findings, 'zone').filter((f) => !f.ok);
    expect(zone.map((f) => f.message)).toEqual([
      'no Route 53 hosted zone in this account covers other.test',
      'hosted zone Z0MISSING: no hosted zone in this account covers Z0MISSING',
    ]);
    expect(zone[1].fix).toBe('Check the zone id Z0MISSING: no such hosted zone.');
    expect(blockingFindings(findings)).toEqual(zone);
    expectFixes(findings);
  });
});

describe('runPreflight: names within their hosted zone', () => {
  const dns: DnsLookup = { ns: async () => ROUTE53_NS, caa: async () => [], cname: async () => [], ds: async () => [], dnskey: async () => [] };

  it('blocks a name assigned to a zone it lies outside of, naming the zone and the `zones` field', async () => {
    const rec = record({ names: ['example.test', 'shop.example.test', 'www.other.test'], zones: { 'www.other.test': ZONE_ID } });
    const findings = await runPreflight(input({ record: rec }), { dns, zones: zonesStub() });

    const zone = only(findings, 'zone');
    expect(zone.map((f) => f.ok)).toEqual([true, true, false]);
    expect(zone[0].message).toBe(`example.test is in the hosted zone ${ZONE_ID} (example.test)`);
    expect(zone[2].message).toBe(
      `www.other.test is assigned to the hosted zone ${ZONE_ID}, which is example.test: Route 53 refuses _acme-challenge.www.other.test there, since it lies outside that zone`,
    );
    expect(zone[2].fix).toBe(
      "In the certificate's `zones`, set the zoneId for www.other.test to the hosted zone that holds www.other.test, or remove the explicit zone id so certbeat finds the zone by name.",
    );
    expect(blockingFindings(findings)).toEqual([zone[2]]);
  });

  it('blocks a parent name assigned to a sub-zone, and takes a wildcard of the zone apex', async () => {
    const zones = zonesStub({ Z0SHOP: { name: 'shop.example.test.', nameServers: ROUTE53_NS } });
    const rec = record({ names: ['*.shop.example.test', 'example.test'] });
    const findings = await runPreflight(input({ record: rec, zoneIds: { '*.shop.example.test': 'Z0SHOP', 'example.test': 'Z0SHOP' } }), { dns, zones });
    expect(only(findings, 'zone').map((f) => [f.ok, f.message.split(':')[0]])).toEqual([
      [true, '*.shop.example.test is in the hosted zone Z0SHOP (shop.example.test)'],
      [false, 'example.test is assigned to the hosted zone Z0SHOP, which is shop.example.test'],
    ]);
  });
});

describe('runPreflight with the Route 53 solver and emulator', () => {
  let emu: Route53Emulator;
  let client: Route53Client;

  beforeAll(async () => {
    emu = await startRoute53Emulator();
    client = new Route53Client({
      endpoint: emu.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    client?.destroy();
    await emu?.stop();
  });

  it('reads each hosted zone once for a run of many certificates, and finds the one outside its zone', async () => {
    const zoneA = await emu.createZone('alpha.test');
    const zoneB = await emu.createZone('beta.test');
    const solver = new Route53DnsSolver({ client, clock: { now: () => new Date() } });
    const dns: DnsLookup = { ns: async () => [], caa: async () => [], cname: async () => [], ds: async () => [], dnskey: async () => [] };
    const certs = Array.from({ length: 60 }, (_, i) => {
      const [domainName, zoneId] = i % 2 === 0 ? ['alpha.test', zoneA] : ['beta.test', zoneB];
      return record({ id: `c${i}`, names: [`s${i}.${domainName}`, `*.s${i}.${domainName}`], zones: {} });
    });
    // The misconfigured one: a name of beta.test given alpha.test's zone id.
    certs.push(record({ id: 'wrong', names: ['shop.beta.test'], zones: { 'shop.beta.test': zoneA } }));

    const results = await Promise.all(
      certs.map(async (rec) => {
        const zoneIds = await solver.locateZones(rec.names, rec.zones);
        return { id: rec.id, findings: await runPreflight(input({ record: rec, zoneIds }), { dns, zones: solver }) };
      }),
    );

    expect(emu.calls.filter((c) => c.action === 'GetHostedZone').map((c) => c.zoneId).sort()).toEqual([zoneA, zoneB].sort());
    const failing = results.flatMap((r) => only(r.findings, 'zone').filter((f) => !f.ok).map((f) => ({ id: r.id, message: f.message, fix: f.fix })));
    expect(failing).toEqual([
      {
        id: 'wrong',
        message: `shop.beta.test is assigned to the hosted zone ${zoneA}, which is alpha.test: Route 53 refuses _acme-challenge.shop.beta.test there, since it lies outside that zone`,
        fix: expect.stringContaining('`zones`'),
      },
    ]);
  });
});

describe('runPreflight when lookups fail', () => {
  it('turns failed lookups into non-blocking findings instead of throwing', async () => {
    const gone = await startDnsServer();
    const address = gone.address;
    await gone.stop();
    const lookup = new NodeDnsLookup({ servers: [address], timeoutMs: 500 });

    const findings = await runPreflight(input(), { dns: lookup, zones: zonesStub() });
    const lookups = findings.filter((f) => f.check.endsWith('-lookup'));
    expect(lookups.map((f) => f.check).sort()).toEqual(['acme-challenge-cname-lookup', 'caa-lookup', 'caa-lookup', 'delegation-lookup', 'dnssec-lookup']);
    for (const f of lookups) {
      expect(f.ok).toBe(false);
      expect(f.message).toMatch(/^could not check: /);
    }
    expect(blockingFindings(findings)).toEqual([]);
    expectFixes(findings);
  });

  it('treats a transient Route 53 failure of zoneDetails as a lookup warning', async () => {
    const dns: DnsLookup = { ns: async () => [], caa: async () => [], cname: async () => [], ds: async () => [], dnskey: async () => [] };
    const zones: Pick<DnsSolver, 'zoneDetails'> = {
      zoneDetails: async () => {
        throw new TransientError('Route 53 throttled GetHostedZone');
      },
    };
    const findings = await runPreflight(input(), { dns, zones });
    expect(only(findings, 'delegation-lookup')).toEqual([expect.objectContaining({ ok: false, message: expect.stringContaining('throttled') })]);
    expect(blockingFindings(findings)).toEqual([]);
  });

  it('asks each distinct question once, however many names share it', async () => {
    const asked: string[] = [];
    const dns: DnsLookup = {
      ns: async (n) => (asked.push(`NS ${n}`), ROUTE53_NS),
      caa: async (n) => (asked.push(`CAA ${n}`), []),
      cname: async (n) => (asked.push(`CNAME ${n}`), []),
      ds: async (n) => (asked.push(`DS ${n}`), []),
      dnskey: async (n) => (asked.push(`DNSKEY ${n}`), []),
    };
    const rec = record({ names: ['example.test', '*.example.test', 'www.example.test'] });
    await runPreflight(input({ record: rec }), { dns, zones: zonesStub() });
    expect(asked.sort()).toEqual(
      [
        'NS example.test',
        'CAA example.test',
        'CAA test',
        'CAA www.example.test',
        'CNAME _acme-challenge.example.test',
        'CNAME _acme-challenge.www.example.test',
        'DS example.test',
      ].sort(),
    );
  });
});

describe('sharedLookups: one answer per query for the certificates of a run', () => {
  let server: DnsServer;
  beforeAll(async () => {
    server = await startDnsServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('asks once within the TTL, again after it, and keeps no failure', async () => {
    const real = new NodeDnsLookup({ servers: [server.address] });
    const asked: string[] = [];
    let failNext = false;
    const counting: DnsLookup = {
      ns: (n) => real.ns(n),
      caa: async (n) => {
        asked.push(n);
        if (failNext) {
          failNext = false;
          throw new TransientError('SERVFAIL for the test');
        }
        return real.caa(n);
      },
      cname: (n) => real.cname(n),
      ds: (n) => real.ds(n),
      dnskey: (n) => real.dnskey(n),
    };
    let t = 0;
    const shared = sharedLookups(counting, 60_000, () => t);
    server.setRecords('shared.test', 'CAA', [{ flags: 0, tag: 'issue', value: 'letsencrypt.org' }]);
    const [a, b] = await Promise.all([shared.caa('shared.test'), shared.caa('shared.test')]);
    expect(a).toEqual([{ critical: 0, tag: 'issue', value: 'letsencrypt.org' }]);
    expect(b).toEqual(a);
    t = 59_000;
    await shared.caa('shared.test');
    expect(asked).toEqual(['shared.test']);
    // The owner fixes CAA; a later run (past the TTL) sees the fix.
    server.setRecords('shared.test', 'CAA', [{ flags: 0, tag: 'issue', value: 'pki.goog' }]);
    t = 61_000;
    expect(await shared.caa('shared.test')).toEqual([{ critical: 0, tag: 'issue', value: 'pki.goog' }]);
    expect(asked).toHaveLength(2);
    // A failed lookup is asked again at once, not served from the cache.
    failNext = true;
    await expect(shared.caa('other.test')).rejects.toThrow('SERVFAIL');
    expect(await shared.caa('other.test')).toEqual([]);
    expect(asked).toEqual(['shared.test', 'shared.test', 'other.test', 'other.test']);
  });
});
