import { Resolver } from 'node:dns/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  GetHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListHostedZonesCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  type Change,
} from '@aws-sdk/client-route-53';
import { startRoute53Emulator, type Route53Emulator } from './route53-emulator.js';
import { startChalltestsrv, type Challtestsrv } from './challtestsrv.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

function clientFor(emu: Route53Emulator, maxAttempts?: number): Route53Client {
  return new Route53Client({ endpoint: emu.endpoint, region: 'us-east-1', credentials, maxAttempts });
}

function txt(action: Change['Action'], name: string, values: string[], ttl = 60): Change {
  return { Action: action, ResourceRecordSet: { Name: name, Type: 'TXT', TTL: ttl, ResourceRecords: values.map((Value) => ({ Value })) } };
}

async function change(client: Route53Client, zoneId: string, ...changes: Change[]) {
  return client.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: changes } }));
}

/** The SDK error of a call that must fail. */
async function failure(p: Promise<unknown>): Promise<Error & { name: string; $metadata: { httpStatusCode?: number; attempts?: number } }> {
  try {
    await p;
  } catch (e) {
    return e as never;
  }
  throw new Error('expected the call to fail');
}

describe('Route 53 emulator through @aws-sdk/client-route-53', () => {
  let emu: Route53Emulator;
  let r53: Route53Client;

  beforeAll(async () => {
    emu = await startRoute53Emulator({ insyncAfterMs: 150 });
    r53 = clientFor(emu);
  });
  afterAll(async () => {
    r53?.destroy();
    await emu?.stop();
  });

  it('lists hosted zones page by page and by name, and describes a zone with its name servers', async () => {
    const a = await emu.createZone('zeta.test');
    const b = await emu.createZone('alpha.test.');
    const c = await emu.createZone('sub.alpha.test', { private: true });

    const first = await r53.send(new ListHostedZonesCommand({ MaxItems: 2 }));
    expect(first.HostedZones!.map((z) => z.Id)).toEqual([`/hostedzone/${a}`, `/hostedzone/${b}`]);
    expect(first.IsTruncated).toBe(true);
    expect(first.NextMarker).toBe(c);
    const second = await r53.send(new ListHostedZonesCommand({ MaxItems: 2, Marker: first.NextMarker }));
    expect(second.HostedZones!.map((z) => z.Name)).toEqual(['sub.alpha.test.']);
    expect(second.IsTruncated).toBe(false);
    expect(second.HostedZones![0].Config?.PrivateZone).toBe(true);

    // Reversed-label order: test.alpha < test.alpha.sub < test.zeta
    const byName = await r53.send(new ListHostedZonesByNameCommand({ DNSName: 'alpha.test', MaxItems: 2 }));
    expect(byName.HostedZones!.map((z) => z.Name)).toEqual(['alpha.test.', 'sub.alpha.test.']);
    expect(byName.NextDNSName).toBe('zeta.test.');
    expect(byName.NextHostedZoneId).toBe(a);

    const got = await r53.send(new GetHostedZoneCommand({ Id: `/hostedzone/${b}` }));
    expect(got.HostedZone?.Name).toBe('alpha.test.');
    expect(got.DelegationSet?.NameServers).toEqual(['ns-1.awsdns-01.org', 'ns-2.awsdns-02.co.uk', 'ns-3.awsdns-03.com', 'ns-4.awsdns-04.net']);
    const priv = await r53.send(new GetHostedZoneCommand({ Id: c }));
    expect(priv.DelegationSet).toBeUndefined();

    const missing = await failure(r53.send(new GetHostedZoneCommand({ Id: 'Z0NOSUCHZONE0000000000' })));
    expect(missing.name).toBe('NoSuchHostedZone');
    expect(missing.$metadata.httpStatusCode).toBe(404);
  });

  it('applies a batch, lists record sets sorted as Route 53 does, and pages with StartRecordName/Type', async () => {
    const zone = await emu.createZone('list.test', { nameServers: ['ns-a.example.net', 'ns-b.example.net'] });
    const before = emu.calls.filter((c) => c.action === 'ChangeResourceRecordSets').length;
    await change(
      r53,
      zone,
      txt('CREATE', '_acme-challenge.WWW.list.test', ['"one"', '"two"']),
      txt('UPSERT', '*.list.test', ['"wild"']),
      { Action: 'CREATE', ResourceRecordSet: { Name: 'list.test', Type: 'A', TTL: 300, ResourceRecords: [{ Value: '192.0.2.1' }] } },
    );
    const calls = emu.calls.filter((c) => c.action === 'ChangeResourceRecordSets');
    expect(calls.length).toBe(before + 1);
    expect(calls.at(-1)).toEqual({ action: 'ChangeResourceRecordSets', zoneId: zone, changeCount: 3 });

    const all = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone }));
    expect(all.ResourceRecordSets!.map((r) => `${r.Name} ${r.Type}`)).toEqual([
      'list.test. A',
      'list.test. NS',
      'list.test. SOA',
      '\\052.list.test. TXT',
      '_acme-challenge.www.list.test. TXT',
    ]);
    const challenge = all.ResourceRecordSets!.at(-1)!;
    expect(challenge.TTL).toBe(60);
    expect(challenge.ResourceRecords!.map((r) => r.Value)).toEqual(['"one"', '"two"']);
    expect(all.ResourceRecordSets![1].ResourceRecords!.map((r) => r.Value)).toEqual(['ns-a.example.net.', 'ns-b.example.net.']);

    const page1 = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone, StartRecordName: 'list.test', StartRecordType: 'NS', MaxItems: 2 }));
    expect(page1.ResourceRecordSets!.map((r) => r.Type)).toEqual(['NS', 'SOA']);
    expect(page1.IsTruncated).toBe(true);
    expect([page1.NextRecordName, page1.NextRecordType]).toEqual(['\\052.list.test.', 'TXT']);
    const page2 = await r53.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zone, StartRecordName: page1.NextRecordName, StartRecordType: page1.NextRecordType }),
    );
    expect(page2.ResourceRecordSets!.map((r) => r.Name)).toEqual(['\\052.list.test.', '_acme-challenge.www.list.test.']);
    expect(page2.IsTruncated).toBe(false);

    expect(emu.records(zone).find((r) => r.name === '_acme-challenge.www.list.test.')).toEqual({
      name: '_acme-challenge.www.list.test.',
      type: 'TXT',
      ttl: 60,
      values: ['"one"', '"two"'],
    });
  });

  it('reports a change PENDING, then INSYNC once insyncAfterMs has passed', async () => {
    const zone = await emu.createZone('sync.test');
    const { ChangeInfo } = await change(r53, zone, txt('CREATE', '_acme-challenge.sync.test', ['"v"']));
    expect(ChangeInfo?.Status).toBe('PENDING');
    expect(ChangeInfo?.Id).toMatch(/^\/change\/C[0-9A-Z]+$/);
    expect((await r53.send(new GetChangeCommand({ Id: ChangeInfo!.Id }))).ChangeInfo?.Status).toBe('PENDING');
    await new Promise((r) => setTimeout(r, 200));
    const later = await r53.send(new GetChangeCommand({ Id: ChangeInfo!.Id }));
    expect(later.ChangeInfo?.Status).toBe('INSYNC');
    expect(later.ChangeInfo?.SubmittedAt).toBeInstanceOf(Date);
  });

  describe('InvalidChangeBatch with Route 53 messages, and nothing applied', () => {
    let zone: string;
    const name = '_acme-challenge.rules.test';
    beforeAll(async () => {
      zone = await emu.createZone('rules.test');
      await change(r53, zone, txt('CREATE', name, ['"a"', '"b"'], 60));
    });

    async function invalid(...changes: Change[]): Promise<string> {
      const before = JSON.stringify(emu.records(zone));
      const e = await failure(change(r53, zone, ...changes));
      expect(e.name).toBe('InvalidChangeBatch');
      expect(e.$metadata.httpStatusCode).toBe(400);
      expect(JSON.stringify(emu.records(zone))).toBe(before);
      return e.message;
    }

    it('refuses CREATE of an existing set', async () => {
      expect(await invalid(txt('CREATE', name, ['"c"']))).toBe(
        "[Tried to create resource record set [name='_acme-challenge.rules.test.', type='TXT'] but it already exists]",
      );
    });

    it('refuses a DELETE that does not match exactly', async () => {
      expect(await invalid(txt('DELETE', '_acme-challenge.other.rules.test', ['"a"']))).toContain(
        "Tried to delete resource record set [name='_acme-challenge.other.rules.test.', type='TXT'] but it was not found",
      );
      const mismatch = "Tried to delete resource record set [name='_acme-challenge.rules.test.', type='TXT'] but the values provided do not match the current values";
      expect(await invalid(txt('DELETE', name, ['"a"']))).toContain(mismatch);
      expect(await invalid(txt('DELETE', name, ['"a"', '"b"'], 300))).toContain(mismatch);
    });

    it('refuses a name outside the zone, and the whole batch with it', async () => {
      const msg = await invalid(txt('UPSERT', '_acme-challenge.fine.rules.test', ['"ok"']), txt('UPSERT', '_acme-challenge.elsewhere.test', ['"x"']));
      expect(msg).toBe('[RRSet with DNS name _acme-challenge.elsewhere.test. is not permitted in zone rules.test.]');
    });

    it('refuses unquoted TXT values', async () => {
      expect(await invalid(txt('UPSERT', name, ['token']))).toBe(
        "[Invalid Resource Record: 'FATAL problem: InvalidCharacterString (Value should be enclosed in quotation marks) encountered with 'token'']",
      );
    });

    it('refuses two changes to the same name and type, but takes DELETE then CREATE', async () => {
      expect(await invalid(txt('UPSERT', name, ['"x"']), txt('UPSERT', name, ['"y"']))).toBe(
        "[The request contains an invalid set of changes for a resource record set 'TXT _acme-challenge.rules.test.']",
      );
      await change(r53, zone, txt('DELETE', name, ['"b"', '"a"']), txt('CREATE', name, ['"c"']));
      expect(emu.records(zone).find((r) => r.type === 'TXT')?.values).toEqual(['"c"']);
      await change(r53, zone, txt('UPSERT', name, ['"a"', '"b"']));
    });

    it('enforces the 1000 ResourceRecord and 32000 character limits per request (UPSERT counts twice)', async () => {
      const values = (n: number, width = 8) => Array.from({ length: n }, (_, i) => `"${String(i).padStart(width, '0')}"`);
      expect(await invalid(txt('CREATE', '_acme-challenge.many.rules.test', values(1001)))).toBe('[Number of records limit of 1000 exceeded.]');
      expect(await invalid(txt('UPSERT', '_acme-challenge.many.rules.test', values(501)))).toBe('[Number of records limit of 1000 exceeded.]');
      // 200 values of 202 characters = 40,400 characters.
      expect(await invalid(txt('CREATE', '_acme-challenge.long.rules.test', values(200, 200)))).toBe(
        '[Number of characters limit of 32000 exceeded.]',
      );
      await change(r53, zone, txt('CREATE', '_acme-challenge.many.rules.test', values(1000)));
      await change(r53, zone, txt('DELETE', '_acme-challenge.many.rules.test', values(1000)));
    });
  });

  it('answers Throttling and PriorRequestNotComplete when asked, which the SDK treats as retryable', async () => {
    const zone = await emu.createZone('throttle.test');
    emu.failNext(1, 'Throttling');
    const once = await failure(change(clientFor(emu, 1), zone, txt('CREATE', '_acme-challenge.throttle.test', ['"t"'])));
    expect(once.name).toBe('Throttling');
    expect(once.message).toBe('Rate exceeded');
    expect(once.$metadata.httpStatusCode).toBe(400);
    expect(emu.records(zone).some((r) => r.type === 'TXT')).toBe(false);

    emu.failNext(1, 'PriorRequestNotComplete');
    const prior = await failure(change(clientFor(emu, 1), zone, txt('CREATE', '_acme-challenge.throttle.test', ['"t"'])));
    expect(prior.name).toBe('PriorRequestNotComplete');

    // With the default retry strategy both errors are retried and the third attempt succeeds.
    emu.failNext(1, 'Throttling');
    emu.failNext(1, 'PriorRequestNotComplete');
    const before = emu.calls.length;
    const ok = await change(r53, zone, txt('CREATE', '_acme-challenge.throttle.test', ['"t"']));
    expect(ok.$metadata.attempts).toBe(3);
    expect(emu.calls.slice(before).map((c) => c.action)).toEqual(Array(3).fill('ChangeResourceRecordSets'));
  });

  it('requires an Authorization header like the real endpoint, and refuses malformed XML', async () => {
    const res = await fetch(`${emu.endpoint}/2013-04-01/hostedzone`);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>MissingAuthenticationToken</Code>');

    const zone = await emu.createZone('malformed.test');
    const auth = 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/route53/aws4_request, SignedHeaders=host, Signature=00ff';
    const bad = await fetch(`${emu.endpoint}/2013-04-01/hostedzone/${zone}/rrset`, {
      method: 'POST',
      headers: { authorization: auth },
      body: '<ChangeResourceRecordSetsRequest><ChangeBatch><Changes><Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>',
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('<Code>InvalidInput</Code>');
  });

  it('is reached through AWS_ENDPOINT_URL_ROUTE_53 by a client with no endpoint option', async () => {
    const zone = await emu.createZone('envvar.test');
    const saved = process.env.AWS_ENDPOINT_URL_ROUTE_53;
    process.env.AWS_ENDPOINT_URL_ROUTE_53 = emu.endpoint;
    const client = new Route53Client({ region: 'us-east-1', credentials });
    try {
      const got = await client.send(new GetHostedZoneCommand({ Id: zone }));
      expect(got.HostedZone?.Name).toBe('envvar.test.');
    } finally {
      client.destroy();
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_ROUTE_53;
      else process.env.AWS_ENDPOINT_URL_ROUTE_53 = saved;
    }
  });
});

describe('Route 53 emulator forwarding _acme-challenge TXT sets to pebble-challtestsrv', () => {
  let dns: Challtestsrv;
  let emu: Route53Emulator;
  let r53: Route53Client;
  let resolver: Resolver;

  beforeAll(async () => {
    dns = await startChalltestsrv();
    emu = await startRoute53Emulator({ challtestsrvManagementUrl: dns.managementUrl });
    r53 = clientFor(emu);
    resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([dns.dnsAddress]);
  });
  afterAll(async () => {
    r53?.destroy();
    await emu?.stop();
    await dns?.stop();
  });

  const lookup = async (name: string): Promise<string[]> => {
    try {
      return (await resolver.resolveTxt(name)).map((chunks) => chunks.join('')).sort();
    } catch (e) {
      if ((e as { code?: string }).code === 'ENODATA' || (e as { code?: string }).code === 'ENOTFOUND') return [];
      throw e;
    }
  };

  it('mirrors exactly the current values after every applied change', async () => {
    const zone = await emu.createZone('fwd.test');
    const name = '_acme-challenge.fwd.test';
    await change(r53, zone, txt('UPSERT', name, ['"token-1"', '"token-2"']), txt('UPSERT', 'other.fwd.test', ['"not-forwarded"']));
    expect(await lookup(name)).toEqual(['token-1', 'token-2']);
    expect(await lookup('other.fwd.test')).toEqual([]);

    await change(r53, zone, txt('DELETE', name, ['"token-1"', '"token-2"']), txt('CREATE', name, ['"token-3"']));
    expect(await lookup(name)).toEqual(['token-3']);

    // A refused batch changes nothing in DNS either.
    await failure(change(r53, zone, txt('DELETE', name, ['"token-9"'])));
    expect(await lookup(name)).toEqual(['token-3']);

    await change(r53, zone, txt('DELETE', name, ['"token-3"']));
    expect(await lookup(name)).toEqual([]);
  });

  it('serves a name only from the zone DNS answers from: a delegated sub-zone, not its parent', async () => {
    const parent = await emu.createZone('auth.test');
    const shop = await emu.createZone('shop.auth.test');
    const lab = await emu.createZone('lab.auth.test', { delegated: false });
    const inShop = '_acme-challenge.www.shop.auth.test';

    // Route 53 takes the record in the parent (the name is within auth.test), but resolvers follow the delegation.
    await change(r53, parent, txt('UPSERT', inShop, ['"written-to-parent"']));
    expect(emu.records(parent).find((r) => r.name === `${inShop}.`)?.values).toEqual(['"written-to-parent"']);
    expect(await lookup(inShop)).toEqual([]);

    await change(r53, shop, txt('UPSERT', inShop, ['"written-to-sub-zone"']));
    expect(await lookup(inShop)).toEqual(['written-to-sub-zone']);
    // A later write to the parent neither shows nor clears what the sub-zone serves.
    await change(r53, parent, txt('UPSERT', inShop, ['"written-to-parent"', '"again"']));
    expect(await lookup(inShop)).toEqual(['written-to-sub-zone']);

    // The parent still serves its own names, and those below a sub-zone the registrar never delegated.
    await change(r53, parent, txt('UPSERT', '_acme-challenge.auth.test', ['"apex"']), txt('UPSERT', '_acme-challenge.x.lab.auth.test', ['"via-parent"']));
    await change(r53, lab, txt('UPSERT', '_acme-challenge.y.lab.auth.test', ['"undelegated"']));
    expect(await lookup('_acme-challenge.auth.test')).toEqual(['apex']);
    expect(await lookup('_acme-challenge.x.lab.auth.test')).toEqual(['via-parent']);
    expect(await lookup('_acme-challenge.y.lab.auth.test')).toEqual([]);
  });
});
