import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSes, type SesCapture } from './ses.js';

describe('startSes', () => {
  let ses: SesCapture;
  let client: SESv2Client;

  beforeAll(async () => {
    ses = await startSes();
    client = new SESv2Client({
      region: 'us-east-1',
      endpoint: ses.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  });
  afterAll(async () => {
    client?.destroy();
    await ses?.stop();
  });

  it('captures a mail sent with the SES v2 SDK, and forgets it on clear()', async () => {
    const sent = await client.send(
      new SendEmailCommand({
        FromEmailAddress: 'certbeat@testbed.example',
        Destination: { ToAddresses: ['owner@example.test', 'ops@example.test'] },
        Content: {
          Simple: {
            Subject: { Data: 'renewed: www.example.test' },
            Body: { Html: { Data: '<p>renewed</p>' }, Text: { Data: 'renewed' } },
          },
        },
      }),
    );

    const mails = await ses.mails();
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({
      messageId: sent.MessageId,
      from: 'certbeat@testbed.example',
      to: ['owner@example.test', 'ops@example.test'],
      subject: 'renewed: www.example.test',
      html: '<p>renewed</p>',
      text: 'renewed',
    });

    await ses.clear();
    expect(await ses.mails()).toEqual([]);
  });
});
