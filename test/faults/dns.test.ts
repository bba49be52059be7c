/**
 * Fault suite, issue 7 items 2 and 5: TXT values of a run that died are removed by a later run (never
 * those of a live run), and one misconfigured certificate does not block the others of its zone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CertificateAuthority } from '../../lambda/domain/ports.js';
import { runOptions, startPipeline, type Pipeline } from '../support/pipeline.js';
import { acmCertificatesOf, clockAheadMs, eventually, mailsTo, txtLeft } from './end-state.js';

let p: Pipeline;
let zone: string;
let zoneOther: string;

beforeAll(async () => {
  p = await startPipeline({ insyncAfterMs: 50 });
  zone = await p.tb.route53.createZone('dns.test');
  zoneOther = await p.tb.route53.createZone('other-dns.test');
});
afterAll(async () => {
  await p?.stop();
});

/** A service whose orders never complete: the run publishes its TXT values, then "dies" there. */
function dyingService() {
  const real = p.service();
  const ca = (real as unknown as { deps: { ca: CertificateAuthority } }).deps.ca;
  const hanging: CertificateAuthority = {
    placeOrder: (r) => ca.placeOrder(r),
    completeOrder: () => new Promise(() => undefined),
    releaseOrder: (o) => ca.releaseOrder(o),
    renewalInfo: (d, id) => ca.renewalInfo(d, id),
  };
  // A short budget, so that its lease ends soon after it "dies" (as a killed CLI run's does).
  return p.service(undefined, { ca: hanging, minStartMs: 0, reserveMs: 0 });
}

/** Run options whose lease lasts `ms` from now. */
const shortLease = (id: string, ms: number) => ({ invocationId: id, remainingMs: () => ms, leaseMarginMs: 0 });
const txtValues = () => txtLeft(p, [zone]).flatMap((r) => r.values);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('TXT values of an interrupted run (item 2)', () => {
  it('a later run removes a dead run\u2019s values in its own change, keeps a live run\u2019s, and renews', async () => {
    await p.add({ id: 'dead', names: ['shared.dns.test'] });
    await p.add({ id: 'live', names: ['shared.dns.test', 'live.dns.test'] });

    // Run A works 'dead' and dies after publishing: it never cleans up, never records; its lease ends in 2 s.
    void dyingService().run({ ...shortLease('run-a', 2_000), ids: ['dead'] });
    const deadValues = await eventually(() => (txtValues().length > 0 ? txtValues() : undefined), 30_000, 'run A to publish');
    expect((await p.inventory.get('dead'))!.published).toHaveLength(1);

    // Run L works 'live' and is alive (its lease lasts 8 s) while run B runs.
    void dyingService().run({ ...shortLease('run-l', 8_000), ids: ['live'] });
    await eventually(() => txtValues().length >= 3, 30_000, 'run L to publish');
    const liveValues = txtValues().filter((v) => !deadValues.includes(v));
    expect(liveValues).toHaveLength(2);
    await sleep(2_100);

    const b = await p.service().run({ ...runOptions('run-b'), ids: ['dead', 'live'] });
    expect(b.renewed.map((r) => r.id)).toEqual(['dead']);
    expect(b.skipped).toEqual([{ id: 'live', reason: 'another run holds the lease' }]);
    for (const v of deadValues) expect(txtValues()).not.toContain(v);
    for (const v of liveValues) expect(txtValues()).toContain(v);
    expect((await p.inventory.get('dead'))!.published).toBeUndefined();
    expect(acmCertificatesOf(p, 'dead')).toHaveLength(1);
    expect(await mailsTo(p, 'owner-dead@example.test')).toHaveLength(1);

    // Run L dies too; once its lease has ended, run C removes its values and renews 'live'.
    await eventually(async () => Date.parse((await p.inventory.get('live'))!.lease!.until) < Date.now(), 20_000, 'run L\u2019s lease to end');
    const c = await p.service().run({ ...runOptions('run-c'), ids: ['live'] });
    expect(c.renewed.map((r) => r.id)).toEqual(['live']);
    expect(txtLeft(p, [zone])).toEqual([]);
    expect((await p.inventory.get('live'))!.published).toBeUndefined();
    expect(acmCertificatesOf(p, 'live')).toHaveLength(1);
    expect(await mailsTo(p, 'owner-live@example.test')).toHaveLength(1);
  });
});

describe('one misconfigured certificate in a zone (item 5)', () => {
  it('pre-flight stops the certificate whose zone id is wrong; the others of the zone renew', async () => {
    await p.add({ id: 'good', names: ['good.dns.test'] });
    await p.add({ id: 'wrongzone', names: ['wrong.dns.test'], zones: { 'wrong.dns.test': zoneOther } });
    const summary = await p.service().run({ ...runOptions(), ids: ['good', 'wrongzone'] });

    expect(summary.renewed.map((r) => r.id)).toEqual(['good']);
    expect(summary.failed).toMatchObject([{ id: 'wrongzone', errorClass: 'ConfigurationError' }]);
    expect(summary.failed[0].message).toMatch(/other-dns\.test/);
    const [mail] = await mailsTo(p, 'owner-wrongzone@example.test');
    expect(mail.text).toMatch(/zone/i);
    expect(mail.text).not.toMatch(/Kind of failure: Error\b/);
    expect(txtLeft(p, [zone, zoneOther])).toEqual([]);
  });

  it('without pre-flight, Route 53 refuses the batch for one record: it is set aside and the rest of the zone renews', async () => {
    await p.add({ id: 'good2', names: ['good2.dns.test'] });
    // A name of another domain under this zone's explicit id: Route 53 refuses that record in the batch.
    await p.add({ id: 'outside', names: ['outside.other-dns.test'], zones: { 'outside.other-dns.test': zone } });
    const summary = await p.service(undefined, { preflight: undefined }).run({ ...runOptions(), ids: ['good2', 'outside'] });

    expect(summary.renewed.map((r) => r.id)).toEqual(['good2']);
    expect(summary.failed).toMatchObject([{ id: 'outside', errorClass: 'ConfigurationError' }]);
    expect(summary.failed[0].message).toMatch(/not permitted|outside/i);
    expect(txtLeft(p, [zone, zoneOther])).toEqual([]);
    expect(acmCertificatesOf(p, 'good2')).toHaveLength(1);
  });
});
