/**
 * Fault suite, issue 7 items 4 and 7: a CA that rejects half the nonces, a certificate download that
 * fails after the CA issued, and a CA that answers 429. Real pebble behind the ACME fault proxy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOptions, startPipeline, type Pipeline } from '../support/pipeline.js';
import { acmCertificatesOf, clockAheadMs, mailsTo, txtLeft } from './end-state.js';

let p: Pipeline;
let zone: string;
const acme = () => p.tb.faults!.acme;

beforeAll(async () => {
  // Half of all nonces rejected with badNonce, as the fault run did.
  p = await startPipeline({ faults: true, insyncAfterMs: 50, pebbleEnv: { PEBBLE_WFE_NONCEREJECT: '50' } });
  zone = await p.tb.route53.createZone('ca.test');
});
afterAll(async () => {
  await p?.stop();
});

describe('badNonce (item 4)', () => {
  it('with half the nonces rejected, all of 10 certificates are issued in one run', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `nonce${i}`);
    for (const id of ids) await p.add({ id, names: [`${id}.ca.test`, `*.${id}.ca.test`] });
    const summary = await p.service().run({ ...runOptions(), ids });

    expect(summary.failed).toEqual([]);
    expect(summary.renewed.map((r) => r.id).sort()).toEqual([...ids].sort());
    for (const id of ids) expect(acmCertificatesOf(p, id)).toHaveLength(1);
    expect(txtLeft(p, [zone])).toEqual([]);
  });
});

describe('a CA that answers 429 (item 7)', () => {
  it('stops new orders to that CA account for the rest of the run, honouring Retry-After', async () => {
    const ids = Array.from({ length: 6 }, (_, i) => `limited${i}`);
    for (const id of ids) await p.add({ id, names: [`${id}.ca.test`] });
    const ordersBefore = acme().calls('newOrder');
    const limit = acme().inject({ operation: 'newOrder', fault: 'throttle' });
    const summary = await p.service(undefined, { concurrency: 1 }).run({ ...runOptions(), ids });
    limit.clear();

    expect(acme().calls('newOrder') - ordersBefore).toBe(1);
    expect(summary.renewed).toEqual([]);
    expect(summary.failed.map((f) => f.id).sort()).toEqual([...ids].sort());
    for (const f of summary.failed) expect(f.errorClass).toBe('RateLimitedError');
    expect(summary.failed.filter((f) => f.message.startsWith('not ordered'))).toHaveLength(5);
    const [mail] = await mailsTo(p, 'owner-limited1@example.test');
    expect(mail.text).toMatch(/rate/i);

    // The next run, once the retry time has come, renews them all: one ACM certificate each, no TXT left.
    const next = await p.service(clockAheadMs(2 * 3_600_000)).run({ ...runOptions(), ids });
    expect(next.failed).toEqual([]);
    expect(next.renewed.map((r) => r.id).sort()).toEqual([...ids].sort());
    for (const id of ids) expect(acmCertificatesOf(p, id)).toHaveLength(1);
    expect(txtLeft(p, [zone])).toEqual([]);
  });
});

describe('a download that fails after the CA issued (item 4)', () => {
  // Its own CA without nonce rejects: what is tested is the resumed order, and nothing else may make
  // the first order fail (a validation failure would rightly be ordered again).
  let q: Pipeline;
  let qZone: string;
  const qAcme = () => q.tb.faults!.acme;
  beforeAll(async () => {
    q = await startPipeline({ faults: true, insyncAfterMs: 50 });
    qZone = await q.tb.route53.createZone('ca.test');
  });
  afterAll(async () => {
    await q?.stop();
  });

  it('a download that fails after the CA issued: the next run fetches the same order, it never orders again', async () => {
    await q.add({ id: 'download', names: ['download.ca.test'] });
    const ordersBefore = qAcme().calls('newOrder');
    const broken = qAcme().inject({ operation: 'certificate', fault: 'dropBeforeForward' });
    // A short deadline: the download is retried until then.
    const first = await q.service(undefined, { minStartMs: 0, reserveMs: 60_000 }).run({ ...runOptions(), ids: ['download'], remainingMs: () => 100_000 });
    broken.clear();
    expect(first.failed.map((f) => f.id)).toEqual(['download']);
    const between = (await q.inventory.get('download'))!;
    expect(between.pendingOrderUrl).toBeDefined();

    const second = await q.service(clockAheadMs(2 * 3_600_000)).run({ ...runOptions(), ids: ['download'] });
    expect(second.failed).toEqual([]);
    expect(second.renewed.map((r) => r.id)).toEqual(['download']);
    const why = q.logs.filter((l) => /new order|resum/i.test(l.message)).map((l) => `${l.message} ${JSON.stringify(l.attributes)}`);
    expect(qAcme().calls('newOrder') - ordersBefore, why.join('\n')).toBe(1);
    expect(acmCertificatesOf(q, 'download')).toHaveLength(1);
    expect((await q.inventory.get('download'))!.pendingOrderUrl).toBeUndefined();
    expect(txtLeft(q, [qZone])).toEqual([]);
  }, 120_000);
});
