import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { ENV } from '../../lambda/config.js';
import { BUDGET_ITEM_ID } from '../../lambda/domain/budget.js';
import { startTestbed, type Testbed } from '../testbed/testbed.js';

let tb: Testbed;

async function cli(args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: { ...tb.env, ...env } });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  tb = await startTestbed({});
});
afterAll(async () => {
  await tb?.stop();
});

describe('certbeat budget', () => {
  it('shows orders per account and domain and ACM imports against their limits (or none known), and warns from 80 % of the import quota', async () => {
    const now = new Date();
    const day = now.toISOString().slice(0, 10);
    const bucket = new Date(Math.floor(now.getTime() / 600_000) * 600_000).toISOString().slice(0, 16);
    await DynamoDBDocumentClient.from(tb.clients().dynamodb).send(
      new PutCommand({
        TableName: tb.tableName,
        Item: { id: BUDGET_ITEM_ID, [`orders|${tb.directoryUrl} |${bucket}`]: 12, [`domain|${tb.directoryUrl} example.test|${day}`]: 4, [`imports|${day}`]: 4100 },
      }),
    );
    const dir = tb.directoryUrl.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    // pebble is no CA whose limits certbeat knows: its counts are shown, with no limit.
    const r = await cli(['budget']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`orders, ${dir} +12 \\(no limit known\\) +- +3 h`));
    expect(r.stdout).toMatch(new RegExp(`new certificates, example\\.test at ${dir} +4 \\(no limit known\\) +- +7 days`));
    expect(r.stdout).toMatch(/no limit known: counted, never held back by certbeat; give the CA's limits in caLimits of certbeat\.config\.json/);
    expect(r.stdout).toMatch(/ACM imports \(this account and region\) +4100 \/ 5000 +82 % +365 days/);
    expect(r.stdout + r.stderr).toMatch(/82 % of ACM's 5000/);

    // Limits given for pebble the way the deployment gives them to the function (and the CLI reads from it).
    const limited = await cli(['budget'], { [ENV.caLimits]: JSON.stringify({ [tb.directoryUrl]: { ordersPer3Hours: 300, certificatesPerDomainPerWeek: 50 } }) });
    expect(limited.stdout).toMatch(new RegExp(`orders, ${dir} +12 / 300 +4 % +3 h`));
    expect(limited.stdout).toMatch(new RegExp(`new certificates, example\\.test at ${dir} +4 / 50 +8 % +7 days`));
    expect(limited.stdout).not.toMatch(/no limit known/);

    const json = await cli(['budget', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ imports: { used: 4100, limit: 5000 }, domains: [{ name: 'example.test', used: 4, directoryUrl: tb.directoryUrl }] });
    expect(JSON.parse(json.stdout).accounts[0]).not.toHaveProperty('limit');
    // The budget item is no certificate: list does not call it invalid.
    const list = await cli(['list']);
    expect(list.stdout).not.toMatch(/budget/);
    expect(list.stdout).not.toMatch(/invalid/);
  });
});
