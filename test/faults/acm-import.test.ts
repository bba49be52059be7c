/**
 * Fault suite, issue 7 item 1: exactly one ACM certificate per id, whatever ACM or DynamoDB answer.
 * Real pebble, Route 53 / ACM emulators and dynalite behind fault proxies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { AcmCertificateStore } from '../../lambda/adapters/acm/acm-certificate-store.js';
import type { CertificateStore } from '../../lambda/domain/ports.js';
import { runOptions, startPipeline, type Pipeline } from '../support/pipeline.js';
import { acmCertificatesOf, clockAheadMs, mailsTo, txtLeft } from './end-state.js';

let p: Pipeline;
let zone: string;
const faults = () => p.tb.faults!;

beforeAll(async () => {
  p = await startPipeline({ faults: true, insyncAfterMs: 50 });
  zone = await p.tb.route53.createZone('acm.test');
});
afterAll(async () => {
  await p?.stop();
});

describe('first import', () => {
  it('ACM stores the import and answers 500: one certificate, its ARN recorded, one "issued" mail', async () => {
    await p.add({ id: 'first', names: ['first.acm.test'] });
    faults().acm.inject({ operation: 'ImportCertificate', fault: 'errorAfterCommit', status: 500, times: 1 });
    const summary = await p.service().run(runOptions());

    expect(summary.failed).toEqual([]);
    expect(summary.renewed).toMatchObject([{ id: 'first', firstIssuance: true }]);
    const inAcm = acmCertificatesOf(p, 'first');
    expect(inAcm).toHaveLength(1);
    // Sent once: no blind retry of ImportCertificate.
    expect(faults().acm.calls('ImportCertificate')).toBe(1);
    const record = (await p.inventory.get('first'))!;
    expect(record.acmArn).toBe(inAcm[0].arn);
    expect(record.importingSerial).toBeUndefined();
    expect(await mailsTo(p, 'owner-first@example.test')).toHaveLength(1);
    expect(txtLeft(p, [zone])).toEqual([]);
  });

  it('DynamoDB fails right after the first import: no mail then; the next run adopts the ARN, mails once, orders nothing', async () => {
    await p.add({ id: 'blip', names: ['blip.acm.test'] });
    const ordersBefore = faults().acme.calls('newOrder');
    const importsBefore = faults().acm.calls('ImportCertificate');
    // The DynamoDB outage starts the moment ACM has answered the import: every outcome write fails.
    const acm = new AcmCertificateStore(p.tb.clients().acm);
    let outage: { clear(): void } | undefined;
    const flaky: CertificateStore = {
      import: async (request) => {
        const arn = await acm.import(request);
        outage = faults().dynamodb.inject({ operation: 'UpdateItem', fault: 'errorBeforeCommit', status: 500 });
        return arn;
      },
      describe: (arn) => acm.describe(arn),
      findByTag: (id, names) => acm.findByTag(id, names),
      certificateIdOf: (arn) => acm.certificateIdOf(arn),
    };
    const first = await p.service(undefined, { store: flaky }).run(runOptions());
    outage?.clear();

    expect(first.renewed.map((r) => r.id)).toEqual(['blip']);
    expect(await mailsTo(p, 'owner-blip@example.test')).toHaveLength(0);
    const between = (await p.inventory.get('blip'))!;
    expect(between.acmArn).toBeUndefined();
    expect(between.importingSerial).toBeDefined();

    // The next scheduled run (a day later: the dead lease has expired).
    const second = await p.service(clockAheadMs(86_400_000)).run(runOptions());
    expect(second.failed).toEqual([]);
    const inAcm = acmCertificatesOf(p, 'blip');
    expect(inAcm).toHaveLength(1);
    const record = (await p.inventory.get('blip'))!;
    expect(record.acmArn).toBe(inAcm[0].arn);
    expect(record.serial).toBe(between.importingSerial);
    expect(record.importingSerial).toBeUndefined();
    expect(record.lastOutcome?.result).toBe('issued');
    expect(faults().acme.calls('newOrder') - ordersBefore).toBe(1);
    expect(faults().acm.calls('ImportCertificate') - importsBefore).toBe(1);
    const mails = await mailsTo(p, 'owner-blip@example.test');
    expect(mails).toHaveLength(1);
    expect(mails[0].text).toContain(inAcm[0].arn);
    expect(txtLeft(p, [zone])).toEqual([]);
  });
});

describe('renewal', () => {
  it('a re-import whose answer is lost (connection dropped after ACM stored it) is confirmed by serial, not repeated', async () => {
    const before = (await p.inventory.get('first'))!;
    await new Promise((r) => setTimeout(r, Math.max(0, new Date(before.notBefore!).getTime() + 1100 - Date.now())));
    const importsBefore = faults().acm.calls('ImportCertificate');
    faults().acm.inject({ operation: 'ImportCertificate', fault: 'dropAfterForward', times: 1 });
    const summary = await p.service(clockAheadMs(61 * 86_400_000)).run({ ...runOptions(), ids: ['first'] });

    expect(summary.failed).toEqual([]);
    expect(summary.renewed.map((r) => r.id)).toEqual(['first']);
    expect(faults().acm.calls('ImportCertificate') - importsBefore).toBe(1);
    const inAcm = acmCertificatesOf(p, 'first');
    expect(inAcm).toHaveLength(1);
    const record = (await p.inventory.get('first'))!;
    expect(record.acmArn).toBe(before.acmArn);
    expect(record.serial).not.toBe(before.serial);
    expect(inAcm[0].importCount).toBe(2);
    expect(await mailsTo(p, 'owner-first@example.test')).toHaveLength(2);
  });
});

describe('a certificate neither ACM nor the pending-import slot took', () => {
  it('keeps its order and key: the next run downloads the same certificate without ordering, and imports it', async () => {
    await p.add({ id: 'unkept', names: ['unkept.acm.test'] });
    const ordersBefore = faults().acme.calls('newOrder');
    const importsBefore = faults().acm.calls('ImportCertificate');
    // ACM answers 500 (never stored), and Secrets Manager refuses the pending slot (the 2nd secret
    // created in the run; the 1st is the order's key) with a 400 the SDK does not retry.
    faults().acm.inject({ operation: 'ImportCertificate', fault: 'errorBeforeCommit', status: 500, times: 1 });
    faults().secretsManager.inject({ operation: 'CreateSecret', fault: 'errorBeforeCommit', status: 400, every: 2, times: 1 });
    const first = await p.service().run({ ...runOptions(), ids: ['unkept'] });
    faults().acm.clear();
    faults().secretsManager.clear();

    expect(first.failed.map((f) => f.id)).toEqual(['unkept']);
    const after = (await p.inventory.get('unkept'))!;
    expect(after.pendingImport).toBeFalsy();
    expect(after.pendingOrderUrl).toBeDefined();
    // The order's key is still kept: the issued certificate is not lost.
    const keyId = `${p.config.pendingSecretPrefix}order-keys/unkept`;
    const kept = await p.tb.clients().secretsManager.send(new GetSecretValueCommand({ SecretId: keyId }));
    expect(kept.SecretString).toContain(after.pendingOrderUrl);

    const second = await p.service(clockAheadMs(2 * 3_600_000)).run({ ...runOptions(), ids: ['unkept'] });
    expect(second.failed).toEqual([]);
    expect(second.renewed.map((r) => r.id)).toEqual(['unkept']);
    expect(faults().acme.calls('newOrder') - ordersBefore).toBe(1);
    expect(faults().acm.calls('ImportCertificate') - importsBefore).toBe(2);
    expect(acmCertificatesOf(p, 'unkept')).toHaveLength(1);
    const record = (await p.inventory.get('unkept'))!;
    expect(record.pendingOrderUrl).toBeUndefined();
    // Once the certificate is in ACM, the key goes.
    await expect(p.tb.clients().secretsManager.send(new GetSecretValueCommand({ SecretId: keyId }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect(txtLeft(p, [zone])).toEqual([]);
  });
});
