/**
 * Fault suite, issue 7 item 8: two first runs at the same time create one ACME account: one key is
 * stored and both runs order under it (none is lost).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsManagerSecretStore } from '../../lambda/adapters/secretsmanager/secretsmanager-secret-store.js';
import { runOptions, startPipeline, type Pipeline } from '../support/pipeline.js';
import { acmCertificatesOf, mailsTo, txtLeft } from './end-state.js';

let p: Pipeline;
let zone: string;

beforeAll(async () => {
  p = await startPipeline({ faults: true, insyncAfterMs: 50 });
  zone = await p.tb.route53.createZone('account.test');
});
afterAll(async () => {
  await p?.stop();
});

describe('two concurrent first runs (item 8)', () => {
  it('store one account key and both order under that one account', async () => {
    await p.add({ id: 'one', names: ['one.account.test'] });
    await p.add({ id: 'two', names: ['two.account.test'] });
    // Two invocations, each with its own adapters (as two Lambda containers have), start together.
    const [a, b] = await Promise.all([
      p.service().run({ ...runOptions('first-a'), ids: ['one'] }),
      p.service().run({ ...runOptions('first-b'), ids: ['two'] }),
    ]);
    expect([...a.renewed, ...b.renewed].map((r) => r.id).sort()).toEqual(['one', 'two']);

    const secret = JSON.parse((await new SecretsManagerSecretStore(p.tb.clients().secretsManager).get(p.config.accountSecretId))!) as {
      accounts: Record<string, { keyPem: string; accountUrl?: string }>;
    };
    expect(Object.keys(secret.accounts)).toEqual([p.tb.directoryUrl]);
    const stored = secret.accounts[p.tb.directoryUrl];
    // Every account either run registered or used is the stored one.
    const used = p.logs.filter((l) => l.message === 'registered ACME account').map((l) => l.attributes?.accountUrl);
    expect(used.length).toBeGreaterThan(0);
    expect(new Set(used)).toEqual(new Set([stored.accountUrl]));
    for (const id of ['one', 'two']) {
      expect(acmCertificatesOf(p, id)).toHaveLength(1);
      expect(await mailsTo(p, `owner-${id}@example.test`)).toHaveLength(1);
    }
    expect(txtLeft(p, [zone])).toEqual([]);
  });
});
