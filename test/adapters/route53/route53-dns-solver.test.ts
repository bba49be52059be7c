import { createHash } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChangeResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { Route53DnsSolver } from '../../../lambda/adapters/route53/route53-dns-solver.js';
import { ConfigurationError, DnsZoneNotFoundError, PropagationTimeoutError, isRetryable } from '../../../lambda/domain/errors.js';
import { challengeRecordName } from '../../../lambda/domain/names.js';
import type { DnsChallenge, PublishedTxt, RunLog } from '../../../lambda/domain/ports.js';
import { startChalltestsrv, type Challtestsrv } from '../../testbed/challtestsrv.js';
import { startRoute53Emulator, type Route53Emulator } from '../../testbed/route53-emulator.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const clock = { now: () => new Date() };

/** `maxAttempts: 1` leaves retrying to the solver, so the emulator's injected failures reach it. */
const clientFor = (emu: Route53Emulator) =>
  new Route53Client({ endpoint: emu.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });

/** A dns-01 value as ACME computes it: base64url SHA-256 of a key authorization. */
const acmeValue = (seed: string) => createHash('sha256').update(seed).digest('base64url');

function challenge(identifier: string, zoneId: string, seed = identifier): DnsChallenge {
  return { identifier, recordName: challengeRecordName(identifier), value: acmeValue(seed), zoneId };
}

function capturingLog() {
  const lines: Array<{ level: string; message: string; attributes?: Record<string, unknown> }> = [];
  const log: RunLog = {
    info: (message, attributes) => lines.push({ level: 'info', message, attributes }),
    warn: (message, attributes) => lines.push({ level: 'warn', message, attributes }),
    error: (message, attributes) => lines.push({ level: 'error', message, attributes }),
  };
  return { log, lines };
}

const inFuture = (ms: number) => new Date(Date.now() + ms);

/** Creates a TXT set directly, as another writer (or an earlier, interrupted run) would have. */
async function putTxt(client: Route53Client, zoneId: string, name: string, values: string[], ttl = 60): Promise<void> {
  await client.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: {
        Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: name, Type: 'TXT', TTL: ttl, ResourceRecords: values.map((v) => ({ Value: `"${v}"` })) } }],
      },
    }),
  );
}

let unique = 0;
/** A fresh domain per test, so zones of different tests never overlap in the shared emulator. */
const domain = (label: string) => `${label}-${++unique}.test`;

describe('Route53DnsSolver against the Route 53 emulator', () => {
  let emu: Route53Emulator;
  let client: Route53Client;

  beforeAll(async () => {
    emu = await startRoute53Emulator({ insyncAfterMs: 100 });
    client = clientFor(emu);
  });
  afterAll(async () => {
    client?.destroy();
    await emu?.stop();
  });

  const solver = (log?: RunLog) => new Route53DnsSolver({ client, clock, pollIntervalMs: 25, log });
  const callsSince = (n: number, action: string, zoneId?: string) =>
    emu.calls.slice(n).filter((c) => c.action === action && (zoneId === undefined || c.zoneId === zoneId));
  const acmeSets = (zoneId: string) => emu.records(zoneId).filter((r) => r.type === 'TXT' && r.name.startsWith('_acme-challenge.'));

  it('publishes 20 certificates of one zone with one change and removes them with one change', async () => {
    const base = domain('many');
    const zoneId = await emu.createZone(base);
    const challenges = Array.from({ length: 20 }, (_, i) => [
      challenge(`site${i}.${base}`, zoneId),
      challenge(`*.site${i}.${base}`, zoneId),
    ]).flat();
    const s = solver();

    const before = emu.calls.length;
    const failed = await s.present(challenges, inFuture(20_000));
    expect(failed).toEqual(new Map());
    expect(callsSince(before, 'ChangeResourceRecordSets', zoneId)).toHaveLength(1);
    expect(callsSince(before, 'ChangeResourceRecordSets', zoneId)[0].changeCount).toBe(20);
    // 20 names in a small zone: one listing of the zone instead of 20 reads.
    expect(callsSince(before, 'ListResourceRecordSets', zoneId)).toHaveLength(1);
    expect(callsSince(before, 'GetChange').length).toBeGreaterThanOrEqual(1);
    const sets = acmeSets(zoneId);
    expect(sets).toHaveLength(20);
    for (const set of sets) {
      expect(set.values).toHaveLength(2);
      expect(set.ttl).toBe(60);
    }

    const beforeCleanup = emu.calls.length;
    await s.cleanup(challenges);
    expect(callsSince(beforeCleanup, 'ChangeResourceRecordSets', zoneId)).toHaveLength(1);
    expect(acmeSets(zoneId)).toEqual([]);
  });

  it('merges apex, wildcard and a second certificate at one name into one record set', async () => {
    const base = domain('merge');
    const zoneId = await emu.createZone(base);
    const apex = challenge(base, zoneId);
    const wildcard = challenge(`*.${base}`, zoneId);
    const otherCert = challenge(base, zoneId, 'another certificate');
    const s = solver();

    expect(await s.present([apex, wildcard, otherCert, apex], inFuture(20_000))).toEqual(new Map());
    expect(acmeSets(zoneId)).toEqual([
      {
        name: `_acme-challenge.${base}.`,
        type: 'TXT',
        ttl: 60,
        values: [`"${apex.value}"`, `"${wildcard.value}"`, `"${otherCert.value}"`],
      },
    ]);

    // The first certificate is done: only its values go, the other certificate's value stays.
    await s.cleanup([apex, wildcard]);
    expect(acmeSets(zoneId).map((r) => r.values)).toEqual([[`"${otherCert.value}"`]]);
    await s.cleanup([otherCert]);
    expect(acmeSets(zoneId)).toEqual([]);
  });

  it('keeps a foreign value and its TTL at the same name, through present and cleanup', async () => {
    const base = domain('foreign');
    const zoneId = await emu.createZone(base);
    const name = `_acme-challenge.${base}`;
    await client.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: [
            { Action: 'CREATE', ResourceRecordSet: { Name: name, Type: 'TXT', TTL: 300, ResourceRecords: [{ Value: '"delegated-by-someone-else"' }] } },
          ],
        },
      }),
    );
    const mine = challenge(base, zoneId);
    const s = solver();

    expect(await s.present([mine], inFuture(20_000))).toEqual(new Map());
    expect(acmeSets(zoneId)).toEqual([
      { name: `${name}.`, type: 'TXT', ttl: 300, values: ['"delegated-by-someone-else"', `"${mine.value}"`] },
    ]);

    await s.cleanup([mine]);
    expect(acmeSets(zoneId)).toEqual([{ name: `${name}.`, type: 'TXT', ttl: 300, values: ['"delegated-by-someone-else"'] }]);
  });

  it('sends one change per zone when the values span two zones', async () => {
    const [a, b] = [domain('za'), domain('zb')];
    const [zoneA, zoneB] = [await emu.createZone(a), await emu.createZone(b)];
    const challenges = [challenge(a, zoneA), challenge(`www.${a}`, zoneA), challenge(b, zoneB), challenge(`*.${b}`, zoneB)];
    const s = solver();

    const before = emu.calls.length;
    expect(await s.present(challenges, inFuture(20_000))).toEqual(new Map());
    expect(callsSince(before, 'ChangeResourceRecordSets', zoneA)).toHaveLength(1);
    expect(callsSince(before, 'ChangeResourceRecordSets', zoneB)).toHaveLength(1);
    expect(acmeSets(zoneA)).toHaveLength(2);
    expect(acmeSets(zoneB)).toHaveLength(1);

    const beforeCleanup = emu.calls.length;
    await s.cleanup(challenges);
    expect(callsSince(beforeCleanup, 'ChangeResourceRecordSets', zoneA)).toHaveLength(1);
    expect(callsSince(beforeCleanup, 'ChangeResourceRecordSets', zoneB)).toHaveLength(1);
    expect([...acmeSets(zoneA), ...acmeSets(zoneB)]).toEqual([]);
  });

  it('fails only the zone that does not exist; the other zone is published', async () => {
    const base = domain('ok');
    const zoneId = await emu.createZone(base);
    const good = challenge(base, zoneId);
    const bad = challenge(`gone.${domain('gone')}`, 'Z0NOSUCHZONE0000000');
    const { log, lines } = capturingLog();
    const s = solver(log);

    const failed = await s.present([good, bad], inFuture(20_000));
    expect([...failed.keys()]).toEqual([bad]);
    expect(failed.get(bad)).toBeInstanceOf(DnsZoneNotFoundError);
    expect(acmeSets(zoneId)).toHaveLength(1);

    // Cleanup of a missing zone and of values already gone never throws; the failure is logged.
    await s.cleanup([good, bad]);
    await s.cleanup([good]);
    expect(acmeSets(zoneId)).toEqual([]);
    expect(lines.some((l) => l.level === 'error' && l.attributes?.zoneId === 'Z0NOSUCHZONE0000000')).toBe(true);
  });

  it('removes stale values in the same change as the new ones; foreign values and values presented again stay', async () => {
    const base = domain('stale');
    const zoneId = await emu.createZone(base);
    const name = `_acme-challenge.${base}`;
    await putTxt(client, zoneId, name, ['someone-else', 'left-by-crash', 'still-wanted'], 300);
    await putTxt(client, zoneId, `_acme-challenge.old.${base}`, ['left-by-crash-too']);
    const fresh: DnsChallenge = { identifier: base, recordName: name, value: 'fresh', zoneId };
    const again: DnsChallenge = { identifier: `*.${base}`, recordName: name, value: 'still-wanted', zoneId };
    const stale: PublishedTxt[] = [
      { recordName: name, value: 'left-by-crash', zoneId },
      { recordName: name, value: 'still-wanted', zoneId },
      { recordName: `_acme-challenge.old.${base}`, value: 'left-by-crash-too', zoneId: `/hostedzone/${zoneId}` },
      { recordName: `_acme-challenge.never-there.${base}`, value: 'x', zoneId },
    ];

    const before = emu.calls.length;
    expect(await solver().present([fresh, again], inFuture(20_000), stale)).toEqual(new Map());
    const writes = callsSince(before, 'ChangeResourceRecordSets', zoneId);
    expect(writes).toHaveLength(1);
    expect(writes[0].changeCount).toBe(2);
    expect(acmeSets(zoneId)).toEqual([{ name: `${name}.`, type: 'TXT', ttl: 300, values: ['"someone-else"', '"still-wanted"', '"fresh"'] }]);
  });

  it('fails only the challenge Route 53 refuses (a name outside the zone); the zone\'s other values are published', async () => {
    const base = domain('mixed');
    const zoneId = await emu.createZone(base);
    const good = [challenge(base, zoneId), challenge(`*.${base}`, zoneId), challenge(`www.${base}`, zoneId)];
    // One zone id configured over names of two domains: Route 53 refuses the foreign name, and the batch with it.
    const outside = challenge(`www.${domain('elsewhere')}`, zoneId);
    const { log, lines } = capturingLog();
    const s = solver(log);

    const before = emu.calls.length;
    const failed = await s.present([good[0], outside, good[1], good[2]], inFuture(20_000));
    expect([...failed.keys()]).toEqual([outside]);
    const error = failed.get(outside) as ConfigurationError;
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.field).toBe('zones');
    expect(error.message).toContain(outside.recordName);
    expect(error.message).toContain(zoneId);
    expect(error.message).toContain(base);
    expect(error.remediation).toContain('`zones`');
    expect(error.remediation).toContain('remove the explicit zone id');
    expect(isRetryable(error)).toBe(false);
    // The refused batch, then the same batch without the foreign name.
    const writes = callsSince(before, 'ChangeResourceRecordSets', zoneId);
    expect(writes.map((w) => w.changeCount)).toEqual([3, 2]);
    expect(acmeSets(zoneId).map((r) => r.name).sort()).toEqual([`_acme-challenge.${base}.`, `_acme-challenge.www.${base}.`]);
    expect(lines.some((l) => l.level === 'warn' && l.attributes?.name === outside.recordName)).toBe(true);

    await s.cleanup([...good, outside]);
    expect(acmeSets(zoneId)).toEqual([]);
  });

  it('reads a zone\'s details once per ten minutes, however many certificates ask', async () => {
    const [a, b] = [await emu.createZone(domain('detail-a')), await emu.createZone(domain('detail-b'))];
    let now = Date.parse('2026-12-03T10:00:00Z');
    const s = new Route53DnsSolver({ client, clock: { now: () => new Date(now) } });
    const before = emu.calls.length;

    await Promise.all([...Array.from({ length: 50 }, () => s.zoneDetails(a)), s.zoneDetails(b)]);
    await s.zoneDetails(`/hostedzone/${a}`);
    now += 9 * 60_000;
    await s.zoneDetails(a);
    expect(callsSince(before, 'GetHostedZone', a)).toHaveLength(1);
    expect(callsSince(before, 'GetHostedZone', b)).toHaveLength(1);

    // The solver outlives a run (one per Lambda container): an old answer is read again.
    now += 2 * 60_000;
    await s.zoneDetails(a);
    expect(callsSince(before, 'GetHostedZone', a)).toHaveLength(2);

    // A failed read is not kept.
    for (let i = 0; i < 2; i++) await expect(s.zoneDetails('Z0MISSINGDETAILS')).rejects.toBeInstanceOf(ConfigurationError);
    expect(callsSince(before, 'GetHostedZone', 'Z0MISSINGDETAILS')).toHaveLength(2);
  });

  it('reads again when another writer changed the set between its read and its DELETE', async () => {
    const base = domain('race');
    const zoneId = await emu.createZone(base);
    const mine = challenge(base, zoneId);
    await solver().present([mine], inFuture(20_000));

    // Just before the solver's first write, another writer adds a value: the planned DELETE no longer matches.
    const racing = clientFor(emu);
    let raced = false;
    racing.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'ChangeResourceRecordSetsCommand' && !raced) {
          raced = true;
          await client.send(
            new ChangeResourceRecordSetsCommand({
              HostedZoneId: zoneId,
              ChangeBatch: {
                Changes: [
                  {
                    Action: 'UPSERT',
                    ResourceRecordSet: {
                      Name: `_acme-challenge.${base}`,
                      Type: 'TXT',
                      TTL: 60,
                      ResourceRecords: [{ Value: `"${mine.value}"` }, { Value: '"other-writer"' }],
                    },
                  },
                ],
              },
            }),
          );
        }
        return next(args);
      },
      { step: 'initialize' },
    );
    try {
      const before = emu.calls.length;
      await new Route53DnsSolver({ client, clientForZone: () => racing, clock }).cleanup([mine]);
      expect(raced).toBe(true);
      // The other writer's UPSERT, our refused DELETE, our UPSERT of the remainder.
      expect(callsSince(before, 'ChangeResourceRecordSets', zoneId)).toHaveLength(3);
      expect(acmeSets(zoneId).map((r) => r.values)).toEqual([['"other-writer"']]);
    } finally {
      racing.destroy();
    }
  });

  it('retries Throttling and PriorRequestNotComplete, then succeeds', async () => {
    const base = domain('throttle');
    const zoneId = await emu.createZone(base);
    const { log, lines } = capturingLog();
    const s = solver(log);
    const c = challenge(base, zoneId);

    emu.failNext(2, 'Throttling');
    const before = emu.calls.length;
    expect(await s.present([c], inFuture(20_000))).toEqual(new Map());
    expect(callsSince(before, 'ChangeResourceRecordSets', zoneId)).toHaveLength(3);
    expect(acmeSets(zoneId)).toHaveLength(1);
    expect(lines.filter((l) => l.message === 'Route 53 request retried')).toHaveLength(2);

    // Cleanup runs in finally blocks but still retries throttling rather than leaving values behind.
    emu.failNext(1, 'PriorRequestNotComplete');
    await s.cleanup([c]);
    expect(acmeSets(zoneId)).toEqual([]);
  });

  it('locates zones: explicit ids win, a delegated sub-zone beats its parent, private zones are ignored', async () => {
    const parent = domain('parent');
    const parentId = await emu.createZone(parent);
    const shopId = await emu.createZone(`shop.${parent}`);
    await emu.createZone(`internal.${parent}`, { private: true });
    const s = solver();

    const before = emu.calls.length;
    const located = await s.locateZones(
      [`www.shop.${parent}`, `*.shop.${parent}`, parent, `db.internal.${parent}`, `explicit.${parent}`],
      { [`explicit.${parent}`]: '/hostedzone/ZEXPLICIT' },
    );
    expect(located).toEqual({
      [`www.shop.${parent}`]: shopId,
      [`*.shop.${parent}`]: shopId,
      [parent]: parentId,
      [`db.internal.${parent}`]: parentId,
      [`explicit.${parent}`]: 'ZEXPLICIT',
    });

    // The listing is cached per solver; names that all have explicit ids never list.
    await s.locateZones([`a.${parent}`], {});
    await new Route53DnsSolver({ client, clock }).locateZones([`b.${parent}`], { [`b.${parent}`]: 'Z1' });
    expect(callsSince(before, 'ListHostedZones')).toHaveLength(1);
  });

  it('rejects a name outside every zone with DnsZoneNotFoundError naming it', async () => {
    const s = solver();
    const outside = `www.${domain('nowhere')}`;
    const error = await s.locateZones([outside], {}).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DnsZoneNotFoundError);
    expect((error as DnsZoneNotFoundError).dnsName).toBe(outside);
    expect((error as Error).message).toContain(outside);
  });

  it('describes a zone: name without trailing dot and its name servers', async () => {
    const base = domain('details');
    const zoneId = await emu.createZone(`${base}.`, { nameServers: ['ns1.example.net', 'ns2.example.net'] });
    expect(await solver().zoneDetails(`/hostedzone/${zoneId}`)).toEqual({
      id: zoneId,
      name: base,
      nameServers: ['ns1.example.net', 'ns2.example.net'],
    });
  });
});

describe('Route53DnsSolver with a slow and a large account', () => {
  it('stops waiting at the deadline with PropagationTimeoutError for that zone', async () => {
    const emu = await startRoute53Emulator({ insyncAfterMs: 60_000 });
    const client = clientFor(emu);
    try {
      const zoneId = await emu.createZone('slow.test');
      const s = new Route53DnsSolver({ client, clock, pollIntervalMs: 50 });
      const started = Date.now();
      const slow = challenge('slow.test', zoneId);
      const failed = await s.present([slow], inFuture(400));
      expect(failed.get(slow)).toBeInstanceOf(PropagationTimeoutError);
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(350);
      expect(elapsed).toBeLessThan(3_000);
      expect(emu.calls.filter((c) => c.action === 'GetChange').length).toBeGreaterThanOrEqual(2);
    } finally {
      client.destroy();
      await emu.stop();
    }
  });

  it('removes stale values of a zone with no new challenge without waiting for INSYNC', async () => {
    const emu = await startRoute53Emulator({ insyncAfterMs: 60_000 });
    const client = clientFor(emu);
    try {
      const zoneId = await emu.createZone('leftover.test');
      await putTxt(client, zoneId, '_acme-challenge.leftover.test', ['crashed-run', 'someone-else']);
      const s = new Route53DnsSolver({ client, clock, pollIntervalMs: 50 });
      const started = Date.now();
      expect(await s.present([], inFuture(20_000), [{ recordName: '_acme-challenge.leftover.test', value: 'crashed-run', zoneId }])).toEqual(new Map());
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(emu.calls.filter((c) => c.action === 'GetChange')).toEqual([]);
      expect(emu.records(zoneId).filter((r) => r.type === 'TXT').map((r) => r.values)).toEqual([['"someone-else"']]);
    } finally {
      client.destroy();
      await emu.stop();
    }
  });

  it('follows every page of ListHostedZones', async () => {
    const emu = await startRoute53Emulator();
    const client = clientFor(emu);
    try {
      for (let i = 0; i < 120; i++) await emu.createZone(`filler${i}.test`);
      const last = await emu.createZone('last-page.test');
      const located = await new Route53DnsSolver({ client, clock }).locateZones(['www.last-page.test'], {});
      expect(located).toEqual({ 'www.last-page.test': last });
      expect(emu.calls.filter((c) => c.action === 'ListHostedZones')).toHaveLength(2);
    } finally {
      client.destroy();
      await emu.stop();
    }
  });
});

describe('Route53DnsSolver through the emulator into real DNS (pebble-challtestsrv)', () => {
  let dns: Challtestsrv;
  let emu: Route53Emulator;
  let client: Route53Client;

  beforeAll(async () => {
    dns = await startChalltestsrv();
    emu = await startRoute53Emulator({ challtestsrvManagementUrl: dns.managementUrl, insyncAfterMs: 50 });
    client = clientFor(emu);
  });
  afterAll(async () => {
    client?.destroy();
    await emu?.stop();
    await dns?.stop();
  });

  async function txtValues(name: string): Promise<string[]> {
    const resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([dns.dnsAddress]);
    try {
      return (await resolver.resolveTxt(name)).map((chunks) => chunks.join(''));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOTFOUND' || (e as NodeJS.ErrnoException).code === 'ENODATA') return [];
      throw e;
    }
  }

  it('makes the values visible to a DNS query after present and gone after cleanup', async () => {
    const zoneId = await emu.createZone('visible.test');
    const apex = challenge('visible.test', zoneId);
    const wildcard = challenge('*.visible.test', zoneId);
    const s = new Route53DnsSolver({ client, clock, pollIntervalMs: 25 });

    expect(await s.present([apex, wildcard], inFuture(20_000))).toEqual(new Map());
    expect((await txtValues('_acme-challenge.visible.test')).sort()).toEqual([apex.value, wildcard.value].sort());

    await s.cleanup([apex, wildcard]);
    expect(await txtValues('_acme-challenge.visible.test')).toEqual([]);
  });

  it('makes the other values of a zone visible when one record is refused', async () => {
    const zoneId = await emu.createZone('partly.test');
    const apex = challenge('partly.test', zoneId);
    const www = challenge('www.partly.test', zoneId);
    const misplaced = challenge('api.other-domain.test', zoneId);
    const s = new Route53DnsSolver({ client, clock, pollIntervalMs: 25 });

    const failed = await s.present([apex, misplaced, www], inFuture(20_000));
    expect([...failed.keys()]).toEqual([misplaced]);
    expect(failed.get(misplaced)).toBeInstanceOf(ConfigurationError);
    expect(await txtValues('_acme-challenge.partly.test')).toEqual([apex.value]);
    expect(await txtValues('_acme-challenge.www.partly.test')).toEqual([www.value]);
    expect(await txtValues('_acme-challenge.api.other-domain.test')).toEqual([]);

    await s.cleanup([apex, misplaced, www]);
    expect(await txtValues('_acme-challenge.www.partly.test')).toEqual([]);
  });
});
