/**
 * Items written by hand without the due-index fields: invisible to `listDue` (the schedule), reported by
 * `listAll` with the command that fixes them, and made visible by `repairDueIndex` — on dynalite.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planDueIndexRepair } from '../../../lambda/adapters/dynamodb/due-index.js';
import { DynamoDbInventory } from '../../../lambda/adapters/dynamodb/dynamodb-inventory.js';
import { ConfigurationError } from '../../../lambda/domain/errors.js';
import { createInventoryTable, localDynamoDbClient, startDynalite, type RunningDynalite } from '../../testbed/dynalite.js';

const NOW = new Date('2026-06-01T12:00:00.000Z');

/** What a person writes in the console: the configuration, none of the index fields. */
const byHand = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  names: [`${id}.example.com`],
  zones: {},
  directoryUrl: 'https://acme.test/dir',
  keyType: 'ec256',
  owners: [`owner-${id}@example.com`],
  status: 'active',
  ...extra,
});

let dynalite: RunningDynalite;
let raw: DynamoDBClient;
let doc: DynamoDBDocumentClient;
let inventory: DynamoDbInventory;
const tableName = 'due-index';

beforeAll(async () => {
  dynalite = await startDynalite();
  raw = localDynamoDbClient(dynalite.endpoint);
  doc = DynamoDBDocumentClient.from(raw);
  await createInventoryTable(raw, tableName);
  inventory = new DynamoDbInventory({ client: doc, tableName });
});
afterAll(async () => {
  raw?.destroy();
  await dynalite?.stop();
});

const stored = async (id: string) => (await doc.send(new GetCommand({ TableName: tableName, Key: { id } }))).Item!;

describe('an item written by hand without dueShard and nextCheckAt', () => {
  it('is not due for the schedule, is reported by listAll naming `certbeat repair`, and is due once repaired', async () => {
    await doc.send(new PutCommand({ TableName: tableName, Item: byHand('hand') }));
    expect(await inventory.listDue(NOW)).toEqual({ records: [], invalid: [] });

    const all = await inventory.listAll();
    expect(all.invalid).toEqual([
      {
        id: 'hand',
        owners: ['owner-hand@example.com'],
        problems: [
          expect.stringMatching(/^nextCheckAt: is missing; the schedule never sees this item until it is set; run `certbeat repair hand`/),
          'dueShard: is missing on an active item, so the schedule never sees it; run `certbeat repair hand` (sets it to "active")',
        ],
      },
    ]);

    expect(await inventory.repairDueIndex('hand', NOW)).toEqual(['set dueShard to "active"', `set nextCheckAt to ${NOW.toISOString()}`]);
    const due = await inventory.listDue(NOW);
    expect(due.invalid).toEqual([]);
    expect(due.records.map((r) => [r.id, r.nextCheckAt, r.failureCount])).toEqual([['hand', NOW.toISOString(), 0]]);
    // Only the index fields were written.
    const { dueShard, nextCheckAt, ...rest } = await stored('hand');
    expect({ dueShard, nextCheckAt }).toEqual({ dueShard: 'active', nextCheckAt: NOW.toISOString() });
    expect(rest).toEqual(byHand('hand'));

    // A second repair has nothing to do.
    expect(await inventory.repairDueIndex('hand', NOW)).toEqual([]);
  });

  it('keeps a valid nextCheckAt, removes dueShard from a paused item, and leaves a wrong status to a person', async () => {
    const later = '2026-07-01T00:00:00.000Z';
    await doc.send(new PutCommand({ TableName: tableName, Item: byHand('keeps', { nextCheckAt: later }) }));
    expect(await inventory.repairDueIndex('keeps', NOW)).toEqual(['set dueShard to "active"']);
    expect((await stored('keeps')).nextCheckAt).toBe(later);

    await doc.send(new PutCommand({ TableName: tableName, Item: byHand('paused', { status: 'paused', dueShard: 'active', nextCheckAt: later }) }));
    expect(await inventory.repairDueIndex('paused', NOW)).toEqual(['removed dueShard (the item is paused)']);
    expect((await stored('paused')).dueShard).toBeUndefined();

    await doc.send(new PutCommand({ TableName: tableName, Item: byHand('odd', { status: 'on', nextCheckAt: later }) }));
    expect(await inventory.repairDueIndex('odd', NOW)).toEqual([]);
    expect((await inventory.listAll()).invalid.find((i) => i.id === 'odd')?.problems[0]).toMatch(/^status:/);
  });

  it('refuses an unknown id', async () => {
    await expect(inventory.repairDueIndex('nobody', NOW)).rejects.toBeInstanceOf(ConfigurationError);
  });
});

describe('planDueIndexRepair', () => {
  it('writes nothing when the fields are right, and conditions on the values it read', () => {
    expect(planDueIndexRepair({ ...byHand('ok'), dueShard: 'active', nextCheckAt: NOW.toISOString() }, NOW)).toBeUndefined();
    expect(planDueIndexRepair({ ...byHand('x'), nextCheckAt: 'soon' }, NOW)).toEqual({
      set: { dueShard: 'active', nextCheckAt: NOW.toISOString() },
      remove: [],
      expected: { status: 'active', dueShard: undefined, nextCheckAt: 'soon' },
      changes: ['set dueShard to "active"', `set nextCheckAt to ${NOW.toISOString()}`],
    });
  });
});
