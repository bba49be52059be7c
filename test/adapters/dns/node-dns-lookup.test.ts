import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeDnsLookup } from '../../../lambda/adapters/dns/node-dns-lookup.js';
import { TransientError } from '../../../lambda/domain/errors.js';
import { startChalltestsrv, type Challtestsrv } from '../../testbed/challtestsrv.js';
import { startDnsServer, type DnsServer } from '../../testbed/dns-server.js';

async function silentUdpPort(): Promise<{ address: string; close: () => void }> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()));
  return { address: `127.0.0.1:${sock.address().port}`, close: () => sock.close() };
}

describe('NodeDnsLookup', () => {
  let dns: DnsServer;
  let lookup: NodeDnsLookup;

  beforeAll(async () => {
    dns = await startDnsServer();
    lookup = new NodeDnsLookup({ servers: [dns.address], timeoutMs: 2000 });
  });
  afterAll(async () => {
    await dns?.stop();
  });

  it('returns NS names lower-case without the trailing dot', async () => {
    dns.setRecords('example.test', 'NS', ['NS-12.AWSDNS-01.test.', 'ns-7.awsdns-02.test']);
    expect((await lookup.ns('example.test')).sort()).toEqual(['ns-12.awsdns-01.test', 'ns-7.awsdns-02.test']);
  });

  it('returns CAA records with their flags, tag and value', async () => {
    dns.setRecords('caa.test', 'CAA', [
      { tag: 'issue', value: 'letsencrypt.org; validationmethods=dns-01' },
      { tag: 'issuewild', value: ';' },
      { flags: 128, tag: 'tbs', value: 'unknown' },
      { tag: 'iodef', value: 'mailto:security@caa.test' },
    ]);
    const records = await lookup.caa('caa.test');
    expect(records).toHaveLength(4);
    expect(records).toEqual(
      expect.arrayContaining([
        { critical: 0, tag: 'issue', value: 'letsencrypt.org; validationmethods=dns-01' },
        { critical: 0, tag: 'issuewild', value: ';' },
        { critical: 128, tag: 'tbs', value: 'unknown' },
        { critical: 0, tag: 'iodef', value: 'mailto:security@caa.test' },
      ]),
    );
  });

  it('returns a CNAME target', async () => {
    dns.setRecords('_acme-challenge.cname.test', 'CNAME', ['_acme-challenge.Other.test.']);
    expect(await lookup.cname('_acme-challenge.cname.test')).toEqual(['_acme-challenge.other.test']);
  });

  it('returns [] for NXDOMAIN and for a name without records of that type', async () => {
    dns.setRecords('only-a.test', 'A', ['192.0.2.1']);
    expect(await lookup.ns('nowhere.test')).toEqual([]);
    expect(await lookup.caa('nowhere.test')).toEqual([]);
    expect(await lookup.cname('nowhere.test')).toEqual([]);
    expect(await lookup.ns('only-a.test')).toEqual([]);
    expect(await lookup.caa('only-a.test')).toEqual([]);
    expect(await lookup.cname('only-a.test')).toEqual([]);
  });

  it('throws TransientError within the timeout when the server never answers', async () => {
    const silent = await silentUdpPort();
    try {
      const dead = new NodeDnsLookup({ servers: [silent.address], timeoutMs: 300 });
      const started = Date.now();
      const err = await dead.ns('example.test').catch((e: unknown) => e);
      const elapsed = Date.now() - started;
      expect(err).toBeInstanceOf(TransientError);
      expect((err as TransientError).message).toContain('NS lookup of example.test');
      expect((err as TransientError).message).toContain('no answer within 300 ms');
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(800);
    } finally {
      silent.close();
    }
  });

  it('throws TransientError when the server port is closed', async () => {
    const gone = await startDnsServer();
    const address = gone.address;
    await gone.stop();
    const dead = new NodeDnsLookup({ servers: [address], timeoutMs: 500 });
    await expect(dead.caa('example.test')).rejects.toBeInstanceOf(TransientError);
  });

  it('throws TransientError on SERVFAIL', async () => {
    const silent = await silentUdpPort();
    const failing = await startDnsServer({ forward: silent.address, forwardTimeoutMs: 100 });
    try {
      const viaFailing = new NodeDnsLookup({ servers: [failing.address], timeoutMs: 2000 });
      const err = await viaFailing.cname('anything.test').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransientError);
      expect((err as TransientError).cause).toMatchObject({ code: 'ESERVFAIL' });
    } finally {
      await failing.stop();
      silent.close();
    }
  });
});

describe('NodeDnsLookup against challtestsrv', () => {
  let challtestsrv: Challtestsrv;

  beforeAll(async () => {
    challtestsrv = await startChalltestsrv();
  });
  afterAll(async () => {
    await challtestsrv?.stop();
  });

  it('throws TransientError on NOTIMP (challtestsrv does not serve NS)', async () => {
    const lookup = new NodeDnsLookup({ servers: [challtestsrv.dnsAddress], timeoutMs: 2000 });
    const err = await lookup.ns('example.test').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).cause).toMatchObject({ code: 'ENOTIMP' });
  });

  it('reads the CAA and CNAME records challtestsrv mocks', async () => {
    await challtestsrv.addCaa('mock.test', [{ tag: 'issue', value: 'pki.goog' }]);
    await challtestsrv.setCname('_acme-challenge.mock.test', 'elsewhere.test');
    const lookup = new NodeDnsLookup({ servers: [challtestsrv.dnsAddress], timeoutMs: 2000 });
    expect(await lookup.caa('mock.test')).toEqual([{ critical: 0, tag: 'issue', value: 'pki.goog' }]);
    expect(await lookup.cname('_acme-challenge.mock.test')).toEqual(['elsewhere.test']);
  });
});
