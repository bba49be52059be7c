/**
 * The Lambda handler on the testbed, configured only through its environment as in AWS: two
 * concurrent invocations never issue a certificate twice; short remaining time leaves work for later.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImportCertificateCommand } from '@aws-sdk/client-acm';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificates } from './adapters/acm/test-certificates.js';
import { startPipeline, type Pipeline } from './support/pipeline.js';

let p: Pipeline;
type RunSummary = import('../lambda/domain/run-summary.js').RunSummary;
let invoke: typeof import('../lambda/handler.js').handler;
/** The handler for run events, whose result is a run summary. */
const handler = async (event: unknown, ctx: Context) => (await invoke(event, ctx)) as RunSummary;

function context(requestId: string, remainingMs = 600_000): Context {
  return { awsRequestId: requestId, getRemainingTimeInMillis: () => remainingMs, functionName: 'certbeat' } as unknown as Context;
}

beforeAll(async () => {
  p = await startPipeline();
  await p.tb.route53.createZone('fleet.test');
  Object.assign(process.env, p.tb.env, {
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
    CERTBEAT_DIGEST_RECIPIENTS: 'digest@example.test',
  });
  ({ handler: invoke } = await import('../lambda/handler.js'));
});
afterAll(async () => {
  await p?.stop();
});

describe('handler', () => {
  it('leaves work for the next run when the remaining time is short', async () => {
    await p.add({ id: 'late', names: ['late.fleet.test'] });
    const summary = await handler({ source: 'certbeat.schedule' }, context('short', 30_000));
    expect(summary.renewed).toEqual([]);
    expect(summary.skipped).toEqual([{ id: 'late', reason: 'out of time: left for the next run' }]);
    const record = (await p.inventory.get('late'))!;
    expect(record.lease).toBeUndefined();
    expect(record.acmArn).toBeUndefined();
  });

  it('issues each certificate exactly once when two invocations run at the same time', async () => {
    for (const id of ['a', 'b', 'c']) await p.add({ id, names: [`${id}.fleet.test`, `*.${id}.fleet.test`] });
    const [first, second] = await Promise.all([
      handler({ source: 'certbeat.schedule' }, context('invocation-1')),
      handler({ source: 'certbeat.schedule' }, context('invocation-2')),
    ]);
    const renewed = [...first.renewed, ...second.renewed].map((r) => r.id).sort();
    expect(renewed).toEqual(['a', 'b', 'c', 'late']);
    expect([...first.failed, ...second.failed]).toEqual([]);
    // ACM saw one import per certificate.
    const imports = p.tb.acm.certificates().map((c) => c.importCount);
    expect(imports).toEqual([1, 1, 1, 1]);
  });

  it('renews one certificate on "renew now", outside its window', async () => {
    const before = (await p.inventory.get('a'))!;
    const summary = await handler({ action: 'renew', certificateId: 'a' }, context('renew-now'));
    expect(summary.renewed.map((r) => r.id)).toEqual(['a']);
    const after = (await p.inventory.get('a'))!;
    expect(after.acmArn).toBe(before.acmArn);
    expect(after.serial).not.toBe(before.serial);
    expect(after.forceRenewal).toBeUndefined();
  });

  it('mails a digest of every certificate on {"action":"digest"}', async () => {
    const result = await invoke({ action: 'digest' }, context('digest'));
    expect(result).toEqual({ digest: { sent: true, certificates: 4 } });
    const [mail] = (await p.tb.ses.mails()).filter((m) => m.to.includes('digest@example.test'));
    expect(mail.subject).toMatch(/^certbeat digest: 4 certificates/);
    for (const id of ['a', 'b', 'c', 'late']) expect(mail.text).toContain(id);
  });

  describe("ACM's approaching-expiration event", () => {
    const acmEvent = (...resources: string[]) => ({
      source: 'aws.acm',
      'detail-type': 'ACM Certificate Approaching Expiration',
      resources,
    });
    let foreignArn: string;

    beforeAll(async () => {
      // A certificate of someone else in the same account, and a certbeat certificate that is due.
      const dir = await mkdtemp(join(tmpdir(), 'certbeat-handler-'));
      try {
        const certs = await makeCertificates(dir);
        const out = await p.tb.clients().acm.send(
          new ImportCertificateCommand({
            Certificate: Buffer.from(certs.ec1.certificatePem),
            PrivateKey: Buffer.from(certs.ec1.privateKeyPem),
            CertificateChain: Buffer.from(certs.chainPem),
            Tags: [{ Key: 'team', Value: 'web' }],
          }),
        );
        foreignArn = out.CertificateArn!;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      await p.add({ id: 'waiting', names: ['waiting.fleet.test'] });
    });

    it('does nothing for certificates that are not certbeat’s', async () => {
      const unknownArn = 'arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-000000000000';
      const summary = await handler(acmEvent(foreignArn, unknownArn), context('acm-foreign'));
      expect(summary).toEqual({ renewed: [], notDue: [], failed: [], skipped: [], invalid: [], mailsNotSent: [] });
      expect((await p.inventory.get('waiting'))!.acmArn).toBeUndefined();
    });

    it('runs only the certbeat certificates it names, by their certbeat:id tag, within their window', async () => {
      const a = (await p.inventory.get('a'))!;
      const summary = await handler(acmEvent(a.acmArn!, foreignArn), context('acm-own'));
      // Just renewed, so not due; and the due "waiting" is left to the schedule.
      expect(summary.renewed).toEqual([]);
      expect(summary.notDue.map((n) => n.id)).toEqual(['a']);
      expect([...summary.failed, ...summary.skipped, ...summary.invalid]).toEqual([]);
      expect((await p.inventory.get('waiting'))!.acmArn).toBeUndefined();
      expect((await p.inventory.get('a'))!.serial).toBe(a.serial);
    });
  });
});
