/**
 * What one run costs in AWS calls per certificate (the testbed's fault proxies count every request):
 * the bound that keeps certbeat near the protocol floor (issue 11 item 7) and within AWS request rates.
 * Real pebble, Route 53 / ACM / Secrets Manager emulators, dynalite and SES capture.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOptions, startPipeline, type Pipeline } from '../support/pipeline.js';
import { clockAheadMs, mailsTo } from '../faults/end-state.js';

const N = 6;
let p: Pipeline;

beforeAll(async () => {
  p = await startPipeline({ faults: true, insyncAfterMs: 0 });
  await p.tb.route53.createZone('calls.test');
  // The account is registered (one secret write) before the counted runs, as in a warm container.
  await p.add({ id: 'warm', names: ['warm.calls.test'] });
  await p.service().run({ ...runOptions(), ids: ['warm'] });
});
afterAll(async () => {
  await p?.stop();
});

/** Requests per operation during `fn`. */
async function counted(fn: () => Promise<unknown>) {
  const f = p.tb.faults!;
  const services = { acm: f.acm, secrets: f.secretsManager, dynamodb: f.dynamodb, ses: f.ses, route53: f.route53 };
  const ops = ['ImportCertificate', 'DescribeCertificate', 'ListCertificates', 'CreateSecret', 'PutSecretValue', 'DeleteSecret', 'GetSecretValue', 'UpdateItem', 'PutItem', 'SendEmail', 'ChangeResourceRecordSets'];
  const snapshot = () => Object.fromEntries(Object.entries(services).flatMap(([s, proxy]) => ops.map((op) => [`${s}.${op}`, proxy.calls(op)])));
  const before = snapshot();
  await fn();
  const after = snapshot();
  return Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - before[k]]).filter(([, n]) => n !== 0)) as Record<string, number>;
}

describe(`one run of ${N} certificates (apex + wildcard, one zone)`, () => {
  it('first issuance: per certificate one import, one mail, one order-key secret made and deleted, five inventory writes; no describe', async () => {
    for (let i = 0; i < N; i++) await p.add({ id: `c${i}`, names: [`c${i}.calls.test`, `*.c${i}.calls.test`] });
    const ids = Array.from({ length: N }, (_, i) => `c${i}`);
    let renewed = 0;
    const calls = await counted(async () => {
      renewed = (await p.service().run({ ...runOptions(), ids })).renewed.length;
    });
    expect(renewed).toBe(N);
    expect(calls).toEqual({
      'acm.ImportCertificate': N,
      'secrets.CreateSecret': N,
      'secrets.DeleteSecret': N,
      // A new service reads the ACME account key once (a warm container has it already).
      'secrets.GetSecretValue': 1,
      'ses.SendEmail': N,
      // Per certificate: lease, journal, serial being imported, outcome, journal cleared; plus the
      // budget's one write after the orders and one after the imports.
      'dynamodb.UpdateItem': 5 * N + 2,
      // One change publishes the wave's values, one removes them.
      'route53.ChangeResourceRecordSets': 2,
    });
  });

  it('renewal: the same, plus one describe per certificate (pre-flight), whose users the mail reuses; the budget read once', async () => {
    const ids = Array.from({ length: N }, (_, i) => `c${i}`);
    const distribution = 'arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE';
    p.tb.acm.setInUseBy((await p.inventory.get('c0'))!.acmArn!, [distribution]);
    let renewed = 0;
    const calls = await counted(async () => {
      renewed = (await p.service(clockAheadMs(70 * 86_400_000)).run({ ...runOptions(), ids })).renewed.length;
    });
    expect(renewed).toBe(N);
    // The "renewed" mail names where the certificate is used, from pre-flight's describe.
    const mails = await mailsTo(p, 'owner-c0@example.test');
    expect(mails).toHaveLength(2);
    expect(mails[1].text).toContain(distribution);
    expect(calls['acm.DescribeCertificate']).toBe(N);
    expect(calls['acm.ImportCertificate']).toBe(N);
    // Five per certificate; the budget: one removal of the buckets that left their window (read once
    // for all certificates), one ADD for the imports (renewals with ARI's `replaces` are not counted as orders).
    expect(calls['dynamodb.UpdateItem']).toBe(5 * N + 2);
    expect(calls['secrets.PutSecretValue']).toBeUndefined();
  });
});
