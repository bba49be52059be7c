/**
 * A CA that requires External Account Binding (pebble with externalAccountBindingRequired): the right
 * key id + HMAC key from Secrets Manager works; a wrong one gives a failure mail that names EAB.
 */
import { randomBytes } from 'node:crypto';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOptions, startPipeline, type Pipeline } from '../support/pipeline.js';

const hmacKey = randomBytes(32).toString('base64url');
let p: Pipeline;

beforeAll(async () => {
  p = await startPipeline({ eabKeys: { 'kid-certbeat': hmacKey } });
  await p.tb.route53.createZone('corp.test');
  const sm = p.tb.clients().secretsManager;
  await sm.send(new CreateSecretCommand({ Name: 'certbeat/eab/good', SecretString: JSON.stringify({ keyId: 'kid-certbeat', hmacKey }) }));
  await sm.send(
    new CreateSecretCommand({
      Name: 'certbeat/eab/wrong',
      SecretString: JSON.stringify({ keyId: 'kid-certbeat', hmacKey: randomBytes(32).toString('base64url') }),
    }),
  );
});
afterAll(async () => {
  await p?.stop();
});

describe('External Account Binding', () => {
  it('fails with a mail that names EAB when the HMAC key is wrong', async () => {
    await p.add({ id: 'wrong-eab', names: ['wrong.corp.test'], eabSecretId: 'certbeat/eab/wrong' });
    const summary = await p.service().run({ ...runOptions(), ids: ['wrong-eab'] });
    expect(summary.renewed).toEqual([]);
    expect(summary.failed).toHaveLength(1);
    expect(summary.failed[0].errorClass).toBe('CaRejectedError');
    const [mail] = (await p.tb.ses.mails()).filter((m) => m.to.includes('owner-wrong-eab@example.test'));
    expect(mail.text).toMatch(/External Account Binding|EAB/);
    expect(mail.text).toContain('certbeat/eab/wrong');
    // The HMAC key itself never appears in a mail or a log line.
    const logText = JSON.stringify(p.logs);
    for (const text of [mail.text ?? '', mail.html ?? '', logText]) expect(text).not.toContain(hmacKey);
  });

  it('issues with the right key id and HMAC key', async () => {
    await p.add({ id: 'good-eab', names: ['corp.test', '*.corp.test'], eabSecretId: 'certbeat/eab/good' });
    const summary = await p.service().run({ ...runOptions(), ids: ['good-eab'] });
    expect(summary.failed).toEqual([]);
    expect(summary.renewed.map((r) => r.id)).toEqual(['good-eab']);
  });
});
