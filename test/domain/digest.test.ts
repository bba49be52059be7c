import { SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbInventory } from '../../lambda/adapters/dynamodb/dynamodb-inventory.js';
import { recordToItem } from '../../lambda/adapters/dynamodb/item-schema.js';
import { SesNotifier } from '../../lambda/adapters/ses/ses-notifier.js';
import { sendDigest } from '../../lambda/domain/digest.js';
import { CertbeatError, ConfigurationError, TransientError } from '../../lambda/domain/errors.js';
import type { CertificateRecord } from '../../lambda/domain/model.js';
import type { DueBatch, MailMessage, Notifier } from '../../lambda/domain/ports.js';
import { createInventoryTable, localDynamoDbClient, startDynalite, type RunningDynalite } from '../testbed/dynalite.js';
import { startSes, type SesCapture } from '../testbed/ses.js';

const NOW = new Date('2026-11-24T09:30:00Z');
const clock = { now: () => NOW };
const inDays = (days: number) => new Date(Date.UTC(2026, 10, 24 + days, 12, 0, 0)).toISOString();

function cert(id: string, o: Partial<CertificateRecord> = {}): CertificateRecord {
  return {
    id,
    names: [`${id}.example.com`],
    zones: {},
    directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory',
    keyType: 'ec256',
    owners: [`owner-${id}@example.com`],
    status: 'active',
    failureCount: 0,
    nextCheckAt: inDays(1),
    acmArn: `arn:aws:acm:us-east-1:123456789012:certificate/${id}`,
    notBefore: inDays(-50),
    notAfter: inDays(40),
    serial: '01',
    lastOutcome: { at: inDays(-50), result: 'renewed' },
    ...o,
  };
}

/** An inventory that only answers `listAll`, counting the calls. */
function inventoryOf(batch: DueBatch | Error) {
  const calls = { listAll: 0 };
  return {
    calls,
    inventory: {
      async listAll() {
        calls.listAll++;
        if (batch instanceof Error) throw batch;
        return batch;
      },
    },
  };
}

function recordingNotifier(fail?: Error): Notifier & { sent: MailMessage[] } {
  const sent: MailMessage[] = [];
  return {
    sent,
    async send(message) {
      if (fail) throw fail;
      sent.push(message);
    },
  };
}

describe('sendDigest', () => {
  it('sends one digest of every certificate to the recipients', async () => {
    const { inventory } = inventoryOf({
      records: [cert('shop'), cert('api', { notAfter: inDays(5) })],
      invalid: [{ id: 'broken', problems: ['keyType: bad'], owners: [] }],
    });
    const notifier = recordingNotifier();
    const result = await sendDigest({ inventory, notifier, clock }, ['ops@example.com', ' team@example.org ', 'ops@example.com']);
    expect(result).toEqual({ sent: true, certificates: 2 });
    expect(notifier.sent).toHaveLength(1);
    const [mail] = notifier.sent;
    expect(mail.to).toEqual(['ops@example.com', 'team@example.org']);
    expect(mail.subject).toBe('certbeat digest: 2 certificates — 1 expiring within 14 days, 1 invalid item');
    for (const part of [mail.html, mail.text]) {
      for (const fact of ['shop', 'api', '5 days left', '40 days left', 'broken', 'keyType: bad', '24 Nov 2026 09:30 UTC']) expect(part).toContain(fact);
    }
  });

  it('with no recipients reads and sends nothing', async () => {
    const { inventory, calls } = inventoryOf({ records: [cert('shop')], invalid: [] });
    const notifier = recordingNotifier();
    expect(await sendDigest({ inventory, notifier, clock }, [])).toEqual({ sent: false, certificates: 0 });
    expect(await sendDigest({ inventory, notifier, clock }, ['  '])).toEqual({ sent: false, certificates: 0 });
    expect(calls.listAll).toBe(0);
    expect(notifier.sent).toEqual([]);
  });

  it('an empty inventory still gets a digest', async () => {
    const notifier = recordingNotifier();
    const result = await sendDigest({ inventory: inventoryOf({ records: [], invalid: [] }).inventory, notifier, clock }, ['ops@example.com']);
    expect(result).toEqual({ sent: true, certificates: 0 });
    expect(notifier.sent[0].subject).toBe('certbeat digest: 0 certificates — nothing needs attention');
  });

  it('uses the product name given', async () => {
    const notifier = recordingNotifier();
    await sendDigest({ inventory: inventoryOf({ records: [cert('a')], invalid: [] }).inventory, notifier, clock, productName: 'Acme Ops' }, ['ops@example.com']);
    expect(notifier.sent[0].subject).toBe('Acme Ops digest: 1 certificate — nothing needs attention');
  });

  it('rejects with a certbeat error when the inventory cannot be read or the mail cannot be sent', async () => {
    const readFailure = new Error('socket hang up');
    const err = await sendDigest({ inventory: inventoryOf(readFailure).inventory, notifier: recordingNotifier(), clock }, ['ops@example.com']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).cause).toBe(readFailure);

    const refused = new ConfigurationError('sender not verified', { remediation: 'Verify the sender in SES.' });
    const sendErr = await sendDigest(
      { inventory: inventoryOf({ records: [cert('a')], invalid: [] }).inventory, notifier: recordingNotifier(refused), clock },
      ['ops@example.com'],
    ).catch((e: unknown) => e);
    expect(sendErr).toBe(refused);
    expect(sendErr).toBeInstanceOf(CertbeatError);
  });
});

describe('sendDigest against dynalite and aws-ses-v2-local', () => {
  let dynalite: RunningDynalite;
  let ses: SesCapture;
  let raw: DynamoDBClient;
  let sesClient: SESv2Client;

  beforeAll(async () => {
    [dynalite, ses] = await Promise.all([startDynalite(), startSes()]);
    raw = localDynamoDbClient(dynalite.endpoint);
    sesClient = new SESv2Client({ endpoint: ses.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' } });
  });
  afterAll(async () => {
    raw?.destroy();
    sesClient?.destroy();
    await Promise.all([dynalite?.stop(), ses?.stop()]);
  });

  it('reads the whole table, paused and invalid items included, and mails the digest through SES', async () => {
    const tableName = 'inventory-digest';
    await createInventoryTable(raw, tableName);
    const doc = DynamoDBDocumentClient.from(raw);
    const inventory = new DynamoDbInventory({ client: doc, tableName });
    // Runtime state (expiry, outcomes) is written by runs, not by `put`: store the items as a run leaves them.
    const records = [
      cert('shop', { names: ['shop.example.com', '*.shop.example.com'] }),
      cert('portal', { notAfter: inDays(4), failureCount: 3, lastOutcome: { at: inDays(-1), result: 'failed', errorClass: 'CaRejectedError' } }),
      cert('staging', { status: 'paused', notAfter: inDays(20) }),
      cert('fresh', { acmArn: undefined, notAfter: undefined, notBefore: undefined, serial: undefined, lastOutcome: undefined }),
    ];
    for (const r of records) await doc.send(new PutCommand({ TableName: tableName, Item: recordToItem(r) }));
    await doc.send(new PutCommand({ TableName: tableName, Item: { ...recordToItem(cert('old-blog')), keyType: 'dsa' } }));

    const notifier = new SesNotifier({ client: sesClient, from: 'certbeat@example.com' });
    const result = await sendDigest({ inventory, notifier, clock }, ['ops@example.com']);
    expect(result).toEqual({ sent: true, certificates: 4 });

    const [mail, ...more] = await ses.mails();
    expect(more).toEqual([]);
    expect(mail.to).toEqual(['ops@example.com']);
    expect(mail.subject).toBe('certbeat digest: 4 certificates — 1 failing, 1 expiring within 14 days, 1 invalid item');
    const text = mail.text ?? '';
    const html = mail.html ?? '';
    expect(text).toMatch(/^ {2}portal — portal\.example\.com\n {4}State: +failing · last: failed 23 Nov 2026 \(CaRejectedError\)\n {4}Days left: +\[#-{19}\] 4 days left/m);
    expect(text).toMatch(/^ {2}fresh — fresh\.example\.com\n {4}State: +never issued/m);
    expect(text).toMatch(/^ {2}staging — staging\.example\.com\n {4}State: +paused/m);
    expect(text).toContain('shop.example.com (+1 name)');
    expect(text).toMatch(/keyType: "dsa" is not a supported key type/);
    expect(html).toContain('old-blog');
    expect(html).toMatch(/bgcolor="#cf222e"/); // portal's red bar
  });
});
