/**
 * Issue 8 item 3 on the testbed: the order budget is read before ordering (no newOrder reaches the CA
 * when the account's 3-hour budget is spent), orders and imports are counted in the budget item, the
 * budget item is invisible to listAll, and LE's unpause link reaches the failure mail.
 *
 * pebble is a CA whose limits certbeat does not know, so its limits are configured as a deployment
 * would: CERTBEAT_CA_LIMITS, read by the composition. Without them its orders are counted, never refused.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbBudgetStore } from '../../lambda/adapters/dynamodb/dynamodb-budget-store.js';
import { createAdapters, createRenewalService } from '../../lambda/composition.js';
import { ENV, loadRuntimeConfig } from '../../lambda/config.js';
import { BUDGET_ITEM_ID, OrderBudget } from '../../lambda/domain/budget.js';
import { RateLimitGate } from '../../lambda/domain/rate-limit-gate.js';
import { startAriProxy, type AriProxy } from '../adapters/acme/ari-proxy.js';
import { runOptions, startPipeline, type Pipeline } from '../support/pipeline.js';

let p: Pipeline;
let store: DynamoDbBudgetStore;
let zone: string;

beforeAll(async () => {
  p = await startPipeline({
    faults: true,
    certificateValiditySeconds: 90 * 86_400,
    insyncAfterMs: 100,
    env: (tb) => ({ [ENV.caLimits]: JSON.stringify({ [tb.directoryUrl]: { ordersPer3Hours: 300, certificatesPerDomainPerWeek: 50 } }) }),
  });
  store = new DynamoDbBudgetStore({ client: DynamoDBDocumentClient.from(p.tb.clients().dynamodb), tableName: p.tb.tableName });
  zone = await p.tb.route53.createZone('budget.test');
}, 120_000);
afterAll(async () => {
  await p?.stop();
});

const tenMinuteBucket = (d: Date) => new Date(Math.floor(d.getTime() / 600_000) * 600_000).toISOString().slice(0, 16);
const silent = { info() {}, warn() {}, error() {} };

/** 300 orders of pebble's account in the current 10-minute bucket (as if other runs placed them); returns the attribute. */
async function spendOrders(): Promise<string> {
  const spent = `orders|${RateLimitGate.key(p.tb.directoryUrl, undefined)}|${tenMinuteBucket(new Date())}`;
  await DynamoDBDocumentClient.from(p.tb.clients().dynamodb).send(
    new UpdateCommand({ TableName: p.tb.tableName, Key: { id: BUDGET_ITEM_ID }, UpdateExpression: 'SET #s = :n', ExpressionAttributeNames: { '#s': spent }, ExpressionAttributeValues: { ':n': 300 } }),
  );
  return spent;
}

describe('the order budget on the testbed', () => {
  it('orders nothing when the account spent its configured 300 orders in 3 h, and says when it tries again', async () => {
    const spent = await spendOrders();
    expect((await store.read())[spent]).toBe(300);

    await p.add({ id: 'over', names: ['over.budget.test'], zones: { 'over.budget.test': zone } });
    const ordersBefore = p.tb.faults!.acme.calls('newOrder');
    const summary = await p.service().run({ ...runOptions(), ids: ['over'] });
    expect(summary.renewed).toEqual([]);
    expect(summary.failed).toEqual([]);
    expect(summary.skipped).toEqual([{ id: 'over', reason: expect.stringMatching(/^order budget: 300 new orders in 3 h .* next try /) }]);
    expect(p.tb.faults!.acme.calls('newOrder')).toBe(ordersBefore);
    const waiting = (await p.inventory.get('over'))!;
    expect(new Date(waiting.nextCheckAt).getTime()).toBeGreaterThan(Date.now() + 2 * 3_600_000);
    expect(waiting.failureCount).toBe(0);
    // The budget item is not a certificate: listAll does not report it as invalid.
    const all = await p.inventory.listAll();
    expect(all.invalid).toEqual([]);
    expect(all.records.map((r) => r.id)).toContain('over');

    // Budget back: the certificate is ordered once, and the order and the import are counted.
    await store.remove([spent]);
    await p.inventory.put({ ...waiting, nextCheckAt: new Date(Date.now() - 1000).toISOString() });
    const again = await p.service().run({ ...runOptions(), ids: ['over'] });
    expect(again.renewed.map((r) => r.id)).toEqual(['over']);
    expect(p.tb.faults!.acme.calls('newOrder')).toBe(ordersBefore + 1);
    // As `certbeat budget` and the digest see it: through the same composition, with the configured limits.
    const status = await new OrderBudget(createAdapters(p.config, p.tb.clients(), silent).budget, () => new Date()).status();
    expect(status.accounts).toEqual([{ name: p.tb.directoryUrl, used: 1, limit: 300, window: '3 h' }]);
    expect(status.domains).toEqual([{ name: 'budget.test', used: 1, limit: 50, window: '7 days', directoryUrl: p.tb.directoryUrl }]);
    expect(status.imports.used).toBe(1);
  });

  it('orders past the same counts when no limits are configured for pebble, and still counts the order', async () => {
    const spent = await spendOrders();
    const unconfigured = loadRuntimeConfig(p.tb.env);
    expect(unconfigured.caLimits).toEqual({});
    const budget = new OrderBudget(createAdapters(unconfigured, p.tb.clients(), silent).budget, () => new Date());
    const usedBefore = (await budget.status()).accounts.find((a) => a.name === p.tb.directoryUrl)!;
    expect(usedBefore).toMatchObject({ limit: undefined });
    expect(usedBefore.used).toBeGreaterThanOrEqual(300);

    await p.add({ id: 'unlimited', names: ['unlimited.budget.test'], zones: { 'unlimited.budget.test': zone } });
    const ordersBefore = p.tb.faults!.acme.calls('newOrder');
    const summary = await createRenewalService(unconfigured, p.tb.clients(), silent).run({ ...runOptions(), ids: ['unlimited'] });
    expect(summary.renewed.map((r) => r.id)).toEqual(['unlimited']);
    expect(p.tb.faults!.acme.calls('newOrder')).toBe(ordersBefore + 1);
    const after = await new OrderBudget(createAdapters(unconfigured, p.tb.clients(), silent).budget, () => new Date()).status();
    expect(after.accounts.find((a) => a.name === p.tb.directoryUrl)).toEqual({ name: p.tb.directoryUrl, used: usedBefore.used + 1, limit: undefined, window: '3 h' });
    await store.remove([spent]);
  });
});

describe('a name Let’s Encrypt paused for the account', () => {
  let proxy: AriProxy;
  let dir: string;
  beforeAll(async () => {
    proxy = await startAriProxy(new URL(p.tb.pebble.directoryUrl).origin, p.tb.pebble.tlsCaPem);
    dir = mkdtempSync(join(tmpdir(), 'certbeat-unpause-'));
  });
  afterAll(async () => {
    await proxy?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('puts the unpause link from the CA’s problem into the failure mail', async () => {
    const link = 'https://portal.letsencrypt.org/sfe/v1/unpause?jwt=eyJhbGciOiJIUzI1NiJ9.e30.abc';
    proxy.intercept = (x) =>
      x.jws?.payload && 'identifiers' in x.jws.payload
        ? {
            status: 429,
            headers: { 'retry-after': '86400' },
            body: {
              type: 'urn:ietf:params:acme:error:rateLimited',
              detail: `Your account is temporarily prevented from requesting certificates for paused.budget.test and possibly others. Please visit: ${link}`,
            },
          }
        : undefined;
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, proxy.tlsCaPem + p.tb.pebble.tlsCaPem);
    const service = createRenewalService(loadRuntimeConfig({ ...p.tb.env, [ENV.acmeCaFile]: caFile }), p.tb.clients(), silent);
    await p.add({ id: 'paused', names: ['paused.budget.test'], zones: { 'paused.budget.test': zone }, directoryUrl: proxy.directoryUrl });
    const summary = await service.run({ ...runOptions(), ids: ['paused'] });
    expect(summary.failed.map((f) => f.errorClass)).toEqual(['RateLimitedError']);
    const mail = (await p.tb.ses.mails()).filter((m) => m.to.includes('owner-paused@example.test')).at(-1)!;
    expect(mail.text).toContain(link);
    expect(mail.text).toMatch(/unpause the name at/);
  });
});
