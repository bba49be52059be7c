import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NodeDnsLookup } from '../../../lambda/adapters/dns/node-dns-lookup.js';
import {
  DNSSEC_CHECK,
  chainBelowTld,
  checkDnssec,
  dsDigest,
  dsFor,
  evaluateDs,
  keyTag,
  ownerNameWire,
} from '../../../lambda/domain/preflight/dnssec.js';
import { blockingFindings, runPreflight } from '../../../lambda/domain/preflight.js';
import { startDnsServer, type DnsServer } from '../../testbed/dns-server.js';
import { newDnskey } from '../../support/dnssec-keys.js';

// The root zone's KSK-2017 as IANA publishes it (root-anchors.xml) and its DS:
// ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D".
const ROOT_KSK_2017 = {
  flags: 257,
  protocol: 3,
  algorithm: 8,
  publicKey:
    'AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kvArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHwVN8efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsIXxuOLYA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8subX2Nn6UwNR1AkUTV74bU=',
};
const ROOT_DS_2017 = 'e06d44b80b8f1d39a95c0b0d7c65d08458e880409bbc683457104237c7f8ec8d';

describe('DS digest and key tag (RFC 4034 §5.1.4, App. B)', () => {
  it('reproduces the published DS of the root KSK-2017 from its DNSKEY', () => {
    expect(keyTag(ROOT_KSK_2017)).toBe(20326);
    expect(dsDigest('.', ROOT_KSK_2017, 2)).toBe(ROOT_DS_2017);
    expect(dsFor('.', ROOT_KSK_2017)).toEqual({ keyTag: 20326, algorithm: 8, digestType: 2, digest: ROOT_DS_2017 });
  });

  it('hashes the owner name in canonical wire form, case-insensitively', () => {
    expect(ownerNameWire('Example.COM.')).toEqual(Buffer.from([7, ...Buffer.from('example'), 3, ...Buffer.from('com'), 0]));
    expect(ownerNameWire('.')).toEqual(Buffer.of(0));
    expect(dsDigest('EXAMPLE.test', ROOT_KSK_2017, 2)).toBe(dsDigest('example.test.', ROOT_KSK_2017, 2));
    expect(dsDigest('example.test', ROOT_KSK_2017, 2)).not.toBe(ROOT_DS_2017);
  });

  it('computes SHA-1 and SHA-384 digests and knows no GOST', () => {
    expect(dsDigest('.', ROOT_KSK_2017, 1)).toMatch(/^[0-9a-f]{40}$/);
    expect(dsDigest('.', ROOT_KSK_2017, 4)).toMatch(/^[0-9a-f]{96}$/);
    expect(dsDigest('.', ROOT_KSK_2017, 3)).toBeUndefined();
  });
});

describe('evaluateDs', () => {
  const ksk = { ...newDnskey(257), protocol: 3 };
  const ds = dsFor('zone.test', ksk);

  it('needs one DS naming a zone key; a stale DS beside it is a roll-over, not a fault', () => {
    const stale = { ...ds, keyTag: (ds.keyTag + 1) % 65536, digest: '00'.repeat(32) };
    expect(evaluateDs('zone.test', [stale, ds], [ksk])).toMatchObject({ kind: 'matched', ds });
  });

  it('refuses a DS whose key is not a zone key (flag bit 7 clear)', () => {
    const notZone = { ...ksk, flags: 1 };
    expect(evaluateDs('zone.test', [dsFor('zone.test', notZone)], [notZone])).toEqual({ kind: 'mismatch' });
  });

  it('cannot judge a DS set whose digest types it cannot compute', () => {
    expect(evaluateDs('zone.test', [{ ...ds, digestType: 3 }], [ksk])).toEqual({ kind: 'unverifiable', digestTypes: [3] });
  });

  it('lists the names whose DS a validator meets below the TLD, top-down', () => {
    expect(chainBelowTld('*.a.b.example.com')).toEqual(['example.com', 'b.example.com', 'a.b.example.com']);
    expect(chainBelowTld('example.com')).toEqual(['example.com']);
  });
});

// Against the testbed's DNS server over UDP, through the real adapter: what a run and doctor see.
describe('checkDnssec against a real DNS server', () => {
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
    dns.setRecords('example.test', 'NS', ['ns-1.awsdns-01.test']);
  });

  const names = ['example.test', '*.example.test', 'www.example.test'];

  it('passes an unsigned zone (no DS)', async () => {
    const findings = await checkDnssec(names, lookup);
    expect(findings).toEqual([{ check: DNSSEC_CHECK, ok: true, message: expect.stringContaining('not DNSSEC-signed') }]);
  });

  it('passes a signed zone whose DS matches its KSK', async () => {
    const ksk = newDnskey(257);
    const zsk = newDnskey(256);
    dns.setRecords('example.test', 'DNSKEY', [zsk, ksk]);
    const ds = dsFor('example.test', { ...ksk, protocol: 3 });
    dns.setRecords('example.test', 'DS', [{ ...ds, digest: ds.digest.toUpperCase() }]);
    const findings = await checkDnssec(names, lookup);
    expect(findings).toEqual([{ check: DNSSEC_CHECK, ok: true, message: expect.stringContaining(`key tag ${ds.keyTag}`) }]);
  });

  it('blocks a zone re-created with new keys while the registrar keeps the old DS, and says the fix', async () => {
    const oldKsk = { ...newDnskey(257), protocol: 3 };
    const newKsk = newDnskey(257);
    dns.setRecords('example.test', 'DS', [dsFor('example.test', oldKsk)]);
    dns.setRecords('example.test', 'DNSKEY', [newKsk, newDnskey(256)]);
    const findings = await checkDnssec(names, lookup);
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f).toMatchObject({ check: DNSSEC_CHECK, ok: false });
    expect(f.message).toContain(`of example.test (${keyTag(oldKsk)} 13 2 `);
    expect(f.message).toContain('matches none of its DNSKEYs');
    expect(f.fix).toContain('Remove the DS record for example.test');
    expect(f.fix).toContain('at your registrar');
    // The DS that would match the current KSK, ready to paste at the registrar.
    const wanted = dsFor('example.test', { ...newKsk, protocol: 3 });
    expect(f.fix).toContain(`${wanted.keyTag} 13 2 ${wanted.digest.toUpperCase()}`);
    expect(f.fix).toContain('enable DNSSEC signing with a KSK whose DS matches');
  });

  it('blocks a DS published for a zone that is not signed (no DNSKEY)', async () => {
    dns.setRecords('example.test', 'DS', [dsFor('example.test', { ...newDnskey(257), protocol: 3 })]);
    const [f, ...rest] = await checkDnssec(names, lookup);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ check: DNSSEC_CHECK, ok: false, message: expect.stringContaining('example.test has no DNSKEY') });
    expect(f.fix).toMatch(/^Remove the DS record for example\.test at your registrar .*, or enable DNSSEC signing for example\.test in Route 53/);
  });

  it('checks a delegated sub-zone below a signed parent, and stops below an unsigned delegation', async () => {
    const parentKsk = newDnskey(257);
    dns.setRecords('example.test', 'DNSKEY', [parentKsk]);
    dns.setRecords('example.test', 'DS', [dsFor('example.test', { ...parentKsk, protocol: 3 })]);
    dns.setRecords('sub.example.test', 'NS', ['ns-9.awsdns-09.test']);
    dns.setRecords('sub.example.test', 'DS', [dsFor('sub.example.test', { ...newDnskey(257), protocol: 3 })]);
    const findings = await checkDnssec(['www.sub.example.test'], lookup);
    expect(findings.map((f) => [f.ok, f.message.split(' ')[0] + ' ' + f.message.split(' ')[1]])).toEqual([
      [true, 'example.test is'],
      [false, 'the parent'],
    ]);

    // An unsigned parent: no validator looks at the sub-zone's DS, so it cannot break issuance.
    dns.setRecords('example.test', 'DS', []);
    const unsignedAbove = await checkDnssec(['www.sub.example.test'], lookup);
    expect(unsignedAbove).toEqual([expect.objectContaining({ check: DNSSEC_CHECK, ok: true })]);
  });

  it('turns a failed lookup into a non-blocking dnssec-lookup finding', async () => {
    const gone = await startDnsServer();
    const address = gone.address;
    await gone.stop();
    const dead = new NodeDnsLookup({ servers: [address], timeoutMs: 300 });
    const findings = await checkDnssec(['example.test'], dead);
    expect(findings).toEqual([
      expect.objectContaining({ check: 'dnssec-lookup', ok: false, message: expect.stringMatching(/^could not check: looking up the DS or DNSKEY records of example\.test failed/) }),
    ]);
  });
});

// The check is part of every run's and doctor's pre-flight (both go through runPreflight) and blocks.
describe('runPreflight with a broken DNSSEC chain', () => {
  it('reports the dnssec finding as blocking, next to the other checks', async () => {
    const dns = await startDnsServer();
    try {
      dns.setRecords('example.test', 'NS', ['ns-1.awsdns-01.test']);
      dns.setRecords('example.test', 'DS', [dsFor('example.test', { ...newDnskey(257), protocol: 3 })]);
      dns.setRecords('example.test', 'DNSKEY', [newDnskey(257)]);
      const findings = await runPreflight(
        {
          record: {
            id: 'site',
            names: ['example.test', 'www.example.test'],
            zones: {},
            directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory',
            keyType: 'ec256',
            owners: [],
            status: 'active',
            failureCount: 0,
            nextCheckAt: '2026-12-03T00:00:00.000Z',
          },
          zoneIds: { 'example.test': 'Z1', 'www.example.test': 'Z1' },
          region: 'eu-west-1',
        },
        {
          dns: new NodeDnsLookup({ servers: [dns.address], timeoutMs: 1500 }),
          zones: { zoneDetails: async (id) => ({ id, name: 'example.test', nameServers: ['ns-1.awsdns-01.test'] }) },
        },
      );
      const blocking = blockingFindings(findings);
      expect(blocking.map((f) => f.check)).toEqual([DNSSEC_CHECK]);
      expect(blocking[0].fix).toContain('Remove the DS record for example.test at your registrar');
    } finally {
      await dns.stop();
    }
  });
});
