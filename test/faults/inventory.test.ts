/**
 * Fault suite, issue 7 item 9: an inventory row written by hand without the due-index fields is not
 * silently invisible: `certbeat list` reports it with the command that fixes it, and after
 * `certbeat repair` the schedule renews it. (Item 10, ACM events for certificates that are not
 * certbeat's, is covered by test/handler.test.ts against the real handler.)
 */
import { PutCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { runOptions, startPipeline, type Pipeline } from '../support/pipeline.js';
import { acmCertificatesOf, mailsTo, txtLeft } from './end-state.js';

let p: Pipeline;
let zone: string;

beforeAll(async () => {
  p = await startPipeline({ insyncAfterMs: 50 });
  zone = await p.tb.route53.createZone('hand.test');
});
afterAll(async () => {
  await p?.stop();
});

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: p.tb.env });
  return { code, stdout, stderr };
}

describe('a row written by hand without the due-index fields (item 9)', () => {
  it('is reported with its fix, repaired by `certbeat repair`, then renewed by the schedule', async () => {
    // As someone would write it with the console or `aws dynamodb put-item`: no dueShard, no nextCheckAt.
    await DynamoDBDocumentClient.from(p.tb.clients().dynamodb).send(
      new PutCommand({
        TableName: p.tb.tableName,
        Item: {
          id: 'byhand',
          names: ['byhand.hand.test'],
          zones: {},
          directoryUrl: p.tb.directoryUrl,
          keyType: 'ec256',
          owners: ['owner-byhand@example.test'],
          status: 'active',
        },
      }),
    );
    const unseen = await p.service().run(runOptions());
    expect(unseen.renewed.map((r) => r.id)).not.toContain('byhand');

    const listed = await cli(['list']);
    expect(listed.stdout + listed.stderr).toMatch(/byhand/);
    expect(listed.stdout + listed.stderr).toMatch(/certbeat repair byhand/);

    const repaired = await cli(['repair', 'byhand']);
    expect(repaired.code, repaired.stderr).toBe(0);

    const scheduled = await p.service().run(runOptions());
    expect(scheduled.renewed.map((r) => r.id)).toEqual(['byhand']);
    expect(acmCertificatesOf(p, 'byhand')).toHaveLength(1);
    expect(await mailsTo(p, 'owner-byhand@example.test')).toHaveLength(1);
    expect(txtLeft(p, [zone])).toEqual([]);
  });
});
