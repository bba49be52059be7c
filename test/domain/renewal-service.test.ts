/**
 * The renewal pipeline end to end on the testbed: pebble really validates the TXT values our Route 53
 * code wrote, ACM (emulated) checks what it is given, SES captures the mails.
 */
import { X509Certificate } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsManagerSecretStore } from '../../lambda/adapters/secretsmanager/secretsmanager-secret-store.js';
import { clockAhead, runOptions, startPipeline, type Pipeline } from '../support/pipeline.js';

const NINETY_DAYS = 90 * 86_400;

let p: Pipeline;
let zoneExample: string;
let zoneOther: string;

beforeAll(async () => {
  p = await startPipeline({ certificateValiditySeconds: NINETY_DAYS, insyncAfterMs: 100 });
  zoneExample = await p.tb.route53.createZone('example.test');
  zoneOther = await p.tb.route53.createZone('other.test');
});
afterAll(async () => {
  await p?.stop();
});

/** Verifies leaf → chain → pebble's issuing root by signature, as a TLS client would. */
async function verifyChain(leafPem: string, chainPem: string) {
  const root = new X509Certificate(await p.tb.pebble.issuingRootPem());
  const chain = chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!.map((c) => new X509Certificate(c));
  let current = new X509Certificate(leafPem);
  for (const next of [...chain, root]) {
    if (current.fingerprint256 === next.fingerprint256) break;
    expect(current.verify(next.publicKey), `${current.subject} signed by ${next.subject}`).toBe(true);
    current = next;
  }
  expect(current.checkIssued(root) || current.fingerprint256 === root.fingerprint256).toBe(true);
}

async function mailsTo(address: string) {
  return (await p.tb.ses.mails()).filter((m) => m.to.includes(address));
}

describe('first issuance and renewal', () => {
  it('issues apex + wildcard + another name, verifies the chain, imports into ACM and mails the ARN', async () => {
    await p.add({ id: 'web', names: ['example.test', '*.example.test', 'api.example.test'] });
    const summary = await p.service().run(runOptions());

    expect(summary.failed).toEqual([]);
    expect(summary.renewed).toHaveLength(1);
    const renewed = summary.renewed[0];
    expect(renewed).toMatchObject({ id: 'web', firstIssuance: true });

    const inAcm = p.tb.acm.certificates().find((c) => c.arn === renewed.arn)!;
    expect(inAcm).toBeDefined();
    expect(inAcm.tags).toContainEqual({ Key: 'certbeat:id', Value: 'web' });
    const leaf = new X509Certificate(inAcm.certificatePem);
    expect(leaf.subjectAltName).toContain('DNS:*.example.test');
    expect(leaf.subjectAltName).toContain('DNS:api.example.test');
    await verifyChain(inAcm.certificatePem, inAcm.chainPem!);

    const record = (await p.inventory.get('web'))!;
    expect(record).toMatchObject({ acmArn: renewed.arn, serial: renewed.serial, failureCount: 0 });
    expect(record.lease).toBeUndefined();
    expect(new Date(record.nextCheckAt).getTime()).toBeGreaterThan(Date.now());

    const [mail] = await mailsTo('owner-web@example.test');
    expect(mail.subject).toMatch(/example\.test/);
    expect(mail.html).toContain(renewed.arn);
    expect(mail.text).toContain(renewed.arn);

    // Nothing of ours is left in the zone.
    expect(p.tb.route53.records(zoneExample).filter((r) => r.type === 'TXT')).toEqual([]);
  });

  it('renews inside the window: same ARN, new serial, later expiry', async () => {
    const before = (await p.inventory.get('web'))!;
    // pebble dates certificates to the second: let one pass so the new expiry can be later.
    await new Promise((r) => setTimeout(r, Math.max(0, new Date(before.notBefore!).getTime() + 1100 - Date.now())));
    const inWindow = clockAhead(61); // a third of 90 days is left after 60
    const summary = await p.service(inWindow).run({ ...runOptions(), ids: ['web'] });

    expect(summary.failed).toEqual([]);
    expect(summary.renewed).toHaveLength(1);
    const after = (await p.inventory.get('web'))!;
    expect(after.acmArn).toBe(before.acmArn);
    expect(after.serial).not.toBe(before.serial);
    expect(new Date(after.notAfter!).getTime()).toBeGreaterThan(new Date(before.notAfter!).getTime());
    expect(after.lastOutcome?.result).toBe('renewed');
    expect(p.tb.acm.certificates().find((c) => c.arn === before.acmArn)!.importCount).toBe(2);
  });

  it('orders nothing when nothing is due', async () => {
    const callsBefore = p.tb.route53.calls.length;
    const importsBefore = p.tb.acm.certificates().map((c) => c.importCount);
    const summary = await p.service().run(runOptions());
    expect(summary).toEqual({ renewed: [], notDue: [], failed: [], skipped: [], invalid: [], mailsNotSent: [] });
    expect(p.tb.route53.calls.length).toBe(callsBefore);
    expect(p.tb.acm.certificates().map((c) => c.importCount)).toEqual(importsBefore);
  });

  it('re-checks a listed certificate after the lease: not due means no order', async () => {
    const callsBefore = p.tb.route53.calls.filter((c) => c.action === 'ChangeResourceRecordSets').length;
    const summary = await p.service().run({ ...runOptions(), ids: ['web'] });
    expect(summary.renewed).toEqual([]);
    expect(summary.notDue.map((n) => n.id)).toEqual(['web']);
    expect(p.tb.route53.calls.filter((c) => c.action === 'ChangeResourceRecordSets').length).toBe(callsBefore);
  });
});

describe('names across zones and failures', () => {
  it('issues one certificate whose names live in two hosted zones, one change per zone', async () => {
    await p.add({ id: 'two-zones', names: ['www.example.test', 'www.other.test'] });
    const start = p.tb.route53.calls.length;
    const summary = await p.service().run({ ...runOptions(), ids: ['two-zones'] });
    expect(summary.failed).toEqual([]);
    expect(summary.renewed.map((r) => r.id)).toEqual(['two-zones']);
    const changes = p.tb.route53.calls.slice(start).filter((c) => c.action === 'ChangeResourceRecordSets');
    // One UPSERT and one clean-up per zone.
    expect(changes.filter((c) => c.zoneId === zoneExample)).toHaveLength(2);
    expect(changes.filter((c) => c.zoneId === zoneOther)).toHaveLength(2);
  });

  it('reports a validation failure with cause and next attempt, and leaves no TXT record behind', async () => {
    // A zone the public DNS does not point at: Route 53 accepts our values, the CA never sees them.
    const zone = await p.tb.route53.createZone('stale.test', { delegated: false });
    await p.add({ id: 'stale', names: ['stale.test'] });
    const summary = await p.service().run({ ...runOptions(), ids: ['stale'] });

    expect(summary.renewed).toEqual([]);
    expect(summary.failed).toHaveLength(1);
    const failure = summary.failed[0];
    expect(failure.errorClass).toBe('CaRejectedError');
    expect(new Date(failure.nextAttemptAt).getTime()).toBeGreaterThan(Date.now());

    const record = (await p.inventory.get('stale'))!;
    expect(record.failureCount).toBe(1);
    expect(record.lastOutcome).toMatchObject({ result: 'failed', errorClass: 'CaRejectedError' });
    expect(record.nextCheckAt).toBe(failure.nextAttemptAt);
    expect(record.lease).toBeUndefined();

    const [mail] = await mailsTo('owner-stale@example.test');
    expect(mail.subject).toMatch(/^Not issued: stale\.test/); // never issued before, so "issued"
    expect(mail.text).toMatch(/stale\.test/);
    expect(mail.text).toMatch(/next attempt/i);
    expect(p.tb.route53.records(zone).filter((r) => r.type === 'TXT')).toEqual([]);
  });

  it('reports a malformed item and a name outside every zone by id, and renews the others', async () => {
    const doc = DynamoDBDocumentClient.from(p.tb.clients().dynamodb);
    await doc.send(
      new PutCommand({
        TableName: p.tb.tableName,
        Item: {
          id: 'broken',
          names: ['ok.example.test'],
          zones: {},
          directoryUrl: p.tb.directoryUrl,
          keyType: 'ec999',
          owners: ['owner-broken@example.test'],
          status: 'active',
          dueShard: 'active',
          failureCount: 0,
          nextCheckAt: new Date(Date.now() - 1000).toISOString(),
        },
      }),
    );
    await p.add({ id: 'nowhere', names: ['shop.nowhere.test'] });
    await p.add({ id: 'fine', names: ['fine.other.test'] });

    const summary = await p.service().run(runOptions());

    expect(summary.invalid.map((i) => i.id)).toEqual(['broken']);
    expect(summary.invalid[0].problems.join(' ')).toMatch(/keyType/);
    const nowhere = summary.failed.find((f) => f.id === 'nowhere')!;
    expect(nowhere).toMatchObject({ errorClass: 'DnsZoneNotFoundError' });
    expect(nowhere.message).toBe('no hosted zone in this account covers shop.nowhere.test');
    expect(summary.renewed.map((r) => r.id)).toContain('fine');

    const [invalidMail] = await mailsTo('owner-broken@example.test');
    expect(invalidMail.text).toMatch(/keyType/);
    const [nowhereMail] = await mailsTo('owner-nowhere@example.test');
    expect(nowhereMail.text).toContain('no hosted zone in this account covers shop.nowhere.test');
  });

  it('keeps a certificate ACM refused and imports it on the next run without ordering again', async () => {
    await p.add({ id: 'kept', names: ['kept.other.test'] });
    // An IAM refusal is not retried by the SDK: the import fails after the certificate was issued.
    p.tb.acm.failNextImports(1, 'AccessDeniedException');
    const first = await p.service().run({ ...runOptions(), ids: ['kept'] });
    expect(first.failed, JSON.stringify(first)).toMatchObject([{ id: 'kept', errorClass: 'ConfigurationError' }]);
    const afterFailure = (await p.inventory.get('kept'))!;
    expect(afterFailure.pendingImport).toBe(true);
    expect(afterFailure.acmArn).toBeUndefined();
    const [mail] = await mailsTo('owner-kept@example.test');
    expect(mail.text).toMatch(/kept encrypted and will be imported on the next attempt/);
    // The slot is a Secrets Manager secret; nothing of the key is in the inventory item.
    expect(JSON.stringify(afterFailure)).not.toMatch(/PRIVATE KEY/);

    const changesBefore = p.tb.route53.calls.filter((c) => c.action === 'ChangeResourceRecordSets').length;
    const second = await p.service(clockAhead(1)).run({ ...runOptions(), ids: ['kept'] });
    expect(second.renewed).toMatchObject([{ id: 'kept', firstIssuance: true }]);
    // No new order: no DNS change was needed.
    expect(p.tb.route53.calls.filter((c) => c.action === 'ChangeResourceRecordSets').length).toBe(changesBefore);
    const done = (await p.inventory.get('kept'))!;
    expect(done.pendingImport).toBe(false);
    expect(done.failureCount).toBe(0);
    expect(p.tb.acm.certificates().find((c) => c.arn === done.acmArn)).toBeDefined();
    // The slot is emptied once imported.
    const store = new SecretsManagerSecretStore(p.tb.clients().secretsManager);
    expect(await store.get(`${p.config.pendingSecretPrefix}kept`)).toBeUndefined();
  });

  it('leaves a paused certificate alone and keeps its next check, so resuming it is prompt', async () => {
    await p.add({ id: 'resting', names: ['resting.other.test'] });
    await p.inventory.setStatus('resting', 'paused');
    const before = (await p.inventory.get('resting'))!;
    const summary = await p.service().run({ ...runOptions(), ids: ['resting'] });
    expect(summary.renewed).toEqual([]);
    expect(summary.notDue).toMatchObject([{ id: 'resting', reason: 'paused by its owner' }]);
    const after = (await p.inventory.get('resting'))!;
    expect(after.nextCheckAt).toBe(before.nextCheckAt);
    expect(after.lease).toBeUndefined();
    expect(after.acmArn).toBeUndefined();
  });
});
