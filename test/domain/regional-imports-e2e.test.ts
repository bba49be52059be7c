/**
 * One certificate in several ACM regions, end to end on the testbed: the testbed's ACM emulator serves
 * us-east-1 (the deployment's own region), a second ACM emulator serves eu-west-1, and the composition
 * routes each region to its emulator (`acmForRegion`). One pebble order, one import per region, an
 * ARN per region in the inventory and the mail; a failed region is retried alone, from the kept
 * certificate, without a new order; an import a dead run left is adopted per region.
 */
import { ACMClient } from '@aws-sdk/client-acm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRenewalService } from '../../lambda/composition.js';
import type { Clock, RunLog } from '../../lambda/domain/ports.js';
import { startAcmEmulator, type AcmEmulator } from '../testbed/acm-emulator.js';
import { TESTBED_CREDENTIALS } from '../testbed/testbed.js';
import { clockAhead, realClock, runOptions, startPipeline, type Pipeline } from '../support/pipeline.js';

const NINETY_DAYS = 90 * 86_400;
let p: Pipeline;
let eu: AcmEmulator;
let euClient: ACMClient;
const regionsAsked: string[] = [];

beforeAll(async () => {
  [p, eu] = await Promise.all([startPipeline({ certificateValiditySeconds: NINETY_DAYS, insyncAfterMs: 50 }), startAcmEmulator({ region: 'eu-west-1' })]);
  euClient = new ACMClient({ region: 'eu-west-1', endpoint: eu.endpoint, credentials: TESTBED_CREDENTIALS, maxAttempts: 1 });
  await p.tb.route53.createZone('example.test');
});
afterAll(async () => {
  euClient?.destroy();
  await Promise.allSettled([p?.stop(), eu?.stop()]);
});

/** The service as the Lambda composes it, with eu-west-1 routed to the second emulator. */
function service(clock: Clock = realClock) {
  const log: RunLog = {
    info: (message, attributes) => p.logs.push({ level: 'info', message, attributes }),
    warn: (message, attributes) => p.logs.push({ level: 'warn', message, attributes }),
    error: (message, attributes) => p.logs.push({ level: 'error', message, attributes }),
  };
  const clients = {
    ...p.tb.clients(),
    acmForRegion: (region: string) => {
      regionsAsked.push(region);
      if (region !== 'eu-west-1') throw new Error(`no emulator for ${region}`);
      return euClient;
    },
  };
  return createRenewalService(p.config, clients, log, clock);
}

const usCert = () => p.tb.acm.certificates().find((c) => c.tags.some((t) => t.Key === 'certbeat:id' && t.Value === 'cdn'))!;
const euCert = () => eu.certificates().find((c) => c.tags.some((t) => t.Key === 'certbeat:id' && t.Value === 'cdn'))!;

describe('a certificate used in us-east-1 (CloudFront) and eu-west-1 (ALB)', () => {
  it('is ordered once and imported into both regions, an ARN per region in the inventory and the mail', async () => {
    expect(p.config.region).toBe('us-east-1');
    await p.add({ id: 'cdn', names: ['cdn.example.test'], regions: ['us-east-1', 'eu-west-1'] });
    const summary = await service().run({ ...runOptions(), ids: ['cdn'] });

    expect(summary.failed).toEqual([]);
    expect(summary.renewed).toHaveLength(1);
    const us = usCert();
    const euc = euCert();
    expect(p.tb.acm.certificates().filter((c) => c.tags.some((t) => t.Value === 'cdn'))).toHaveLength(1);
    expect(eu.certificates()).toHaveLength(1);
    expect(us.arn).toMatch(/^arn:aws:acm:us-east-1:/);
    expect(euc.arn).toMatch(/^arn:aws:acm:eu-west-1:/);
    // One order: the very same certificate in both regions.
    expect(euc.certificatePem).toBe(us.certificatePem);
    expect(regionsAsked).toEqual(['eu-west-1']);

    const record = (await p.inventory.get('cdn'))!;
    expect(record.acmArn).toBe(us.arn);
    expect(record.acmArns).toEqual({ 'us-east-1': us.arn, 'eu-west-1': euc.arn });
    expect(record.pendingImport).toBe(false);
    expect(summary.renewed[0].arn).toBe(us.arn);

    const [mail] = (await p.tb.ses.mails()).filter((m) => m.to.includes('owner-cdn@example.test'));
    expect(mail.text).toContain(us.arn);
    expect(mail.text).toContain(euc.arn);
    expect(mail.text).toContain('ARN (us-east-1)');
    expect(mail.text).toContain('ARN (eu-west-1)');
    expect(mail.html).toContain(euc.arn);
  });

  it('a renewal that eu-west-1 refuses keeps the certificate and retries only eu-west-1, without a new order', async () => {
    const before = (await p.inventory.get('cdn'))!;
    p.tb.acm.setInUseBy(before.acmArns!['us-east-1'], ['arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE']);
    eu.setInUseBy(before.acmArns!['eu-west-1'], ['arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188']);
    await new Promise((r) => setTimeout(r, Math.max(0, new Date(before.notBefore!).getTime() + 1100 - Date.now())));
    eu.failNextImports(1, 'AccessDeniedException');
    const inWindow = clockAhead(61);

    const failedRun = await service(inWindow).run({ ...runOptions(), ids: ['cdn'] });
    expect(failedRun.renewed).toEqual([]);
    expect(failedRun.failed).toHaveLength(1);
    expect(failedRun.failed[0].message).toMatch(/^not imported into eu-west-1 \(eu-west-1: .*\); imported into us-east-1$/);
    expect(usCert().importCount).toBe(2);
    expect(euCert().importCount).toBe(1);
    const afterFailure = (await p.inventory.get('cdn'))!;
    expect(afterFailure).toMatchObject({ pendingImport: true, pendingRegions: ['eu-west-1'], serial: before.serial, acmArns: before.acmArns });
    expect(afterFailure.pendingOrderUrl).toBeUndefined();
    const newPem = usCert().certificatePem;
    expect(newPem).not.toBe(euCert().certificatePem);

    const retry = await service(inWindow).run({ ...runOptions(), ids: ['cdn'] });
    expect(retry.failed).toEqual([]);
    expect(retry.renewed).toHaveLength(1);
    // us-east-1 already had it: only eu-west-1 imported, the kept certificate (no new order).
    expect(usCert().importCount).toBe(2);
    expect(euCert().importCount).toBe(2);
    expect(euCert().certificatePem).toBe(newPem);
    const after = (await p.inventory.get('cdn'))!;
    expect(after.serial).not.toBe(before.serial);
    expect(after.pendingImport).toBe(false);
    expect(after.pendingRegions).toBeUndefined();
    expect(after.acmArns).toEqual(before.acmArns);

    const mails = (await p.tb.ses.mails()).filter((m) => m.to.includes('owner-cdn@example.test'));
    const renewedMail = mails[mails.length - 1];
    expect(renewedMail.subject).toMatch(/^Renewed/);
    expect(renewedMail.text).toContain('EDFDVBD6EXAMPLE');
    expect(renewedMail.text).toMatch(/loadbalancer|web/);
  });

  it('adopts per region an import a dead run journaled, importing nothing again', async () => {
    const record = (await p.inventory.get('cdn'))!;
    // A run that died after sending the imports: its journal names the serial both regions now hold.
    const dead = { owner: 'dead-run', until: new Date(Date.now() + 60_000).toISOString() };
    await p.inventory.acquireLease('cdn', dead, new Date());
    await p.inventory.saveProgress('cdn', 'dead-run', { importingSerial: record.serial });
    await p.inventory.breakLease('cdn');
    const counts = [usCert().importCount, euCert().importCount];

    const summary = await service().run({ ...runOptions(), ids: ['cdn'] });
    expect(summary.failed).toEqual([]);
    expect(summary.renewed.map((r) => r.id)).toEqual(['cdn']);
    expect([usCert().importCount, euCert().importCount]).toEqual(counts);
    const after = (await p.inventory.get('cdn'))!;
    expect(after.importingSerial).toBeUndefined();
    expect(after.acmArns).toEqual(record.acmArns);
    expect(p.logs.some((l) => l.message === 'an unfinished import did not reach every region; going on')).toBe(false);
  });

  it('a region added to an issued certificate gets it on the next run: one new order, same ARN where it was', async () => {
    await p.add({ id: 'grow', names: ['grow.example.test'] });
    const first = await service().run({ ...runOptions(), ids: ['grow'] });
    expect(first.renewed.map((r) => r.id)).toEqual(['grow']);
    const before = (await p.inventory.get('grow'))!;
    expect(before.acmArns).toBeUndefined();
    const grown = (id: string) => (c: { tags: Array<{ Key: string; Value?: string }> }) => c.tags.some((t) => t.Key === 'certbeat:id' && t.Value === id);
    expect(eu.certificates().filter(grown('grow'))).toEqual([]);

    await p.inventory.put({ ...before, regions: ['us-east-1', 'eu-west-1'] });
    await new Promise((r) => setTimeout(r, Math.max(0, new Date(before.notBefore!).getTime() + 1100 - Date.now())));
    const summary = await service().run({ ...runOptions(), ids: ['grow'] });
    expect(summary.failed).toEqual([]);
    expect(summary.renewed.map((r) => r.id)).toEqual(['grow']);
    expect(p.logs.some((l) => l.message === 'due' && l.attributes?.id === 'grow' && l.attributes?.reason === 'regions')).toBe(true);
    const us = p.tb.acm.certificates().filter(grown('grow'));
    const euc = eu.certificates().filter(grown('grow'));
    expect(us).toHaveLength(1);
    expect(us[0].arn).toBe(before.acmArn);
    expect(us[0].importCount).toBe(2);
    expect(euc).toHaveLength(1);
    expect(euc[0].certificatePem).toBe(us[0].certificatePem);
    const after = (await p.inventory.get('grow'))!;
    expect(after.acmArns).toEqual({ 'us-east-1': before.acmArn, 'eu-west-1': euc[0].arn });
    expect(after.serial).not.toBe(before.serial);

    // Every region has it now: the next run orders nothing.
    const again = await service().run({ ...runOptions(), ids: ['grow'] });
    expect(again.renewed).toEqual([]);
    expect(again.notDue.map((n) => n.id)).toEqual(['grow']);
  });
});
