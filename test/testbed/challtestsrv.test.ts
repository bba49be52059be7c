import { Resolver } from 'node:dns/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChalltestsrv, type Challtestsrv } from './challtestsrv.js';

describe('startChalltestsrv', () => {
  let srv: Challtestsrv;
  let resolver: Resolver;

  beforeAll(async () => {
    srv = await startChalltestsrv();
    resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([srv.dnsAddress]);
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('serves TXT values set through the management API to real DNS queries, and clears them', async () => {
    expect(srv.dnsAddress).toBe(`127.0.0.1:${srv.dnsPort}`);
    // One host without the trailing dot, one value added with it: both must land on the same FQDN.
    await srv.setTxt('_acme-challenge.a.test', 'first-value');
    await srv.setTxt('_acme-challenge.a.test.', 'second-value');

    const records = await resolver.resolveTxt('_acme-challenge.a.test');
    expect(records.map((chunks) => chunks.join('')).sort()).toEqual(['first-value', 'second-value']);

    await srv.clearTxt('_acme-challenge.a.test');
    await expect(resolver.resolveTxt('_acme-challenge.a.test')).rejects.toMatchObject({ code: expect.any(String) });
  });

  it('answers CAA and CNAME records it was given', async () => {
    await srv.addCaa('caa.test', [{ tag: 'issue', value: 'pebble.letsencrypt.org' }]);
    await srv.setCname('alias.test', 'target.test');

    const caa = await resolver.resolveCaa('caa.test');
    expect(caa).toEqual([expect.objectContaining({ issue: 'pebble.letsencrypt.org' })]);
    expect(await resolver.resolveCname('alias.test')).toEqual(['target.test']);
  });

  it('stops: the management API no longer answers', async () => {
    const other = await startChalltestsrv();
    await other.stop();
    await expect(fetch(`${other.managementUrl}/`)).rejects.toThrow();
    await other.stop(); // idempotent
  });
});
