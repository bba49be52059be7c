import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbInventory } from '../../../lambda/adapters/dynamodb/dynamodb-inventory.js';
import { recordToItem } from '../../../lambda/adapters/dynamodb/item-schema.js';
import { ConfigurationError, LeaseHeldError, TransientError } from '../../../lambda/domain/errors.js';
import type { CertificateRecord } from '../../../lambda/domain/model.js';
import { createInventoryTable, localDynamoDbClient, startDynalite, type RunningDynalite } from '../../testbed/dynalite.js';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);

function cert(id: string, extra: Partial<CertificateRecord> = {}): CertificateRecord {
  return {
    id,
    names: [`${id}.example.com`],
    zones: {},
    directoryUrl: 'https://acme.test/dir',
    keyType: 'ec256',
    owners: [`owner-${id}@example.com`],
    status: 'active',
    failureCount: 0,
    nextCheckAt: minutes(-60).toISOString(),
    ...extra,
  };
}

let dynalite: RunningDynalite;
let raw: DynamoDBClient;
/** Deliberately without `removeUndefinedValues`: the adapter must not rely on it. */
let doc: DynamoDBDocumentClient;
/** Names of every command sent through `doc`, in order. */
const sent: string[] = [];
let tables = 0;

beforeAll(async () => {
  dynalite = await startDynalite();
  raw = localDynamoDbClient(dynalite.endpoint);
  doc = DynamoDBDocumentClient.from(raw);
  const send = doc.send.bind(doc) as (command: object) => Promise<unknown>;
  (doc as unknown as { send: typeof send }).send = (command: object) => {
    sent.push(command.constructor.name);
    return send(command);
  };
});

afterAll(async () => {
  raw?.destroy();
  await dynalite?.stop();
});

/** A fresh table per test keeps tests independent; dynalite creates it at once. */
async function freshInventory(options: { pageSize?: number } = {}) {
  const tableName = `inventory-${++tables}`;
  await createInventoryTable(raw, tableName);
  return { inventory: new DynamoDbInventory({ client: doc, tableName, ...options }), tableName };
}

const ids = (records: { id: string }[]) => records.map((r) => r.id).sort();

describe('DynamoDbInventory.listDue', () => {
  it('returns only active items whose nextCheckAt has come, by querying the index and never scanning', async () => {
    const { inventory } = await freshInventory();
    await inventory.put(cert('past'));
    await inventory.put(cert('exactly-now', { nextCheckAt: NOW.toISOString() }));
    await inventory.put(cert('future', { nextCheckAt: minutes(1).toISOString() }));
    await inventory.put(cert('paused', { status: 'paused' }));
    await inventory.put(cert('resumed', { status: 'paused' }));
    await inventory.setStatus('resumed', 'active');

    sent.length = 0;
    const due = await inventory.listDue(NOW);
    expect(sent).toEqual(['QueryCommand']);
    expect(ids(due.records)).toEqual(['exactly-now', 'past', 'resumed']);
    expect(due.invalid).toEqual([]);
    expect(due.records.find((r) => r.id === 'past')).toEqual(cert('past'));

    expect(ids((await inventory.listAll()).records)).toEqual(['exactly-now', 'future', 'past', 'paused', 'resumed']);
  });

  it('follows every page of the query', async () => {
    const { inventory } = await freshInventory({ pageSize: 4 });
    const all = Array.from({ length: 30 }, (_, i) => cert(`c${String(i).padStart(2, '0')}`, { nextCheckAt: minutes(-i).toISOString() }));
    for (const record of all) await inventory.put(record);
    await inventory.put(cert('later', { nextCheckAt: minutes(5).toISOString() }));

    sent.length = 0;
    const due = await inventory.listDue(NOW);
    expect(ids(due.records)).toEqual(ids(all));
    expect(sent.length).toBeGreaterThanOrEqual(8); // 30 items at 4 per page
    expect(new Set(sent)).toEqual(new Set(['QueryCommand']));

    expect((await inventory.listAll()).records).toHaveLength(31);
  });

  it('reports malformed items by id with their owners and problems, and still returns the others', async () => {
    const { inventory, tableName } = await freshInventory({ pageSize: 2 });
    await inventory.put(cert('good-1'));
    await inventory.put(cert('good-2'));
    const bad = {
      ...recordToItem(cert('bad-names')),
      names: ['ok.example.com', '*.*.example.com'],
      keyType: 'dsa',
    };
    const badLease = { ...recordToItem(cert('bad-lease')), lease: { owner: 'x', until: 'soon' }, owners: ['a@example.com', 'b\r\nBcc: c@evil.test'] };
    await doc.send(new PutCommand({ TableName: tableName, Item: bad }));
    await doc.send(new PutCommand({ TableName: tableName, Item: badLease }));

    const due = await inventory.listDue(NOW);
    expect(ids(due.records)).toEqual(['good-1', 'good-2']);
    const invalid = Object.fromEntries(due.invalid.map((i) => [i.id, i]));
    expect(Object.keys(invalid).sort()).toEqual(['bad-lease', 'bad-names']);
    expect(invalid['bad-names'].owners).toEqual(['owner-bad-names@example.com']);
    expect(invalid['bad-names'].problems).toEqual([
      'names[1]: "*.*.example.com" misuses the wildcard: only a whole leftmost label may be "*", as in *.example.com',
      'keyType: "dsa" is not a supported key type; use one of ec256, ec384, rsa2048, rsa3072, rsa4096 (ec256 is the default)',
    ]);
    expect(invalid['bad-lease'].owners).toEqual(['a@example.com']);
    expect(invalid['bad-lease'].problems).toHaveLength(2);
    expect(invalid['bad-lease'].problems[0]).toMatch(/^owners\[1\]: "b\\x0d\\x0aBcc: c@evil\.test" contains a line break/);
    expect(invalid['bad-lease'].problems[1]).toMatch(/^lease\.until: "soon" is not valid; write an ISO 8601 UTC timestamp/);

    const err = await inventory.get('bad-names').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as ConfigurationError).message).toMatch(/^certificate 'bad-names' is malformed in the inventory: names\[1\]: .*; keyType: /);
    expect((err as ConfigurationError).field).toBe('names[1]');
  });
});

describe('DynamoDbInventory configuration writes', () => {
  it('put creates, then updates only configuration fields and keeps runtime state', async () => {
    const { inventory } = await freshInventory();
    const created = cert('web', { names: ['example.com', '*.example.com'], eabSecretId: 'eab/zerossl' });
    await inventory.put({ ...created, acmArn: 'arn:aws:acm:us-east-1:123456789012:certificate/ignored', failureCount: 7 });
    expect(await inventory.get('web')).toEqual(created);

    const lease = await inventory.acquireLease('web', { owner: 'run-1', until: minutes(15).toISOString() }, NOW);
    expect(lease?.lease).toEqual({ owner: 'run-1', until: minutes(15).toISOString() });
    const runtime = {
      acmArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0b1c',
      notBefore: '2026-06-01T00:00:00.000Z',
      notAfter: '2026-08-30T00:00:00.000Z',
      serial: '0a1b2c',
      issuedNames: ['example.com', '*.example.com'],
      ariCertId: 'aki.serial',
      renewalWindow: { start: '2026-07-30T00:00:00.000Z', end: '2026-08-01T00:00:00.000Z' },
      lastOutcome: { at: NOW.toISOString(), result: 'issued' as const },
      failureCount: 2,
      nextCheckAt: minutes(24 * 60).toISOString(),
    };
    await inventory.recordOutcome('web', 'run-1', runtime);
    await inventory.acquireLease('web', { owner: 'run-2', until: minutes(15).toISOString() }, NOW);

    // Same names: configuration changes, runtime state (lease included) and nextCheckAt stay.
    await inventory.put({
      ...cert('web', { names: ['example.com', '*.example.com'], owners: ['new@example.com'], keyType: 'rsa2048' }),
      zones: { 'example.com': '/hostedzone/Z0123456789ABC' },
      nextCheckAt: minutes(-600).toISOString(),
      acmArn: 'arn:aws:acm:us-east-1:123456789012:certificate/other',
      failureCount: 0,
    });
    const updated = await inventory.get('web');
    expect(updated).toEqual({
      ...cert('web', { names: ['example.com', '*.example.com'], owners: ['new@example.com'], keyType: 'rsa2048' }),
      zones: { 'example.com': 'Z0123456789ABC' },
      ...runtime,
      lease: { owner: 'run-2', until: minutes(15).toISOString() },
    });
    expect(updated?.eabSecretId).toBeUndefined(); // configuration: absent means removed

    // Names change: the item becomes due, never later than it already was.
    await inventory.put(cert('web', { names: ['example.com', '*.example.com', 'www.example.org'], nextCheckAt: NOW.toISOString() }));
    expect((await inventory.get('web'))?.nextCheckAt).toBe(NOW.toISOString());
    expect((await inventory.get('web'))?.serial).toBe('0a1b2c');
    await inventory.put(cert('web', { names: ['example.com'], nextCheckAt: minutes(60).toISOString() }));
    expect((await inventory.get('web'))?.nextCheckAt).toBe(NOW.toISOString());
  });

  it('put redoes its write when the names change between its read and its write', async () => {
    const { inventory, tableName } = await freshInventory();
    await inventory.put(cert('race', { nextCheckAt: minutes(60).toISOString() }));

    // A client that lets another writer change the names just before put's first UpdateItem lands.
    const racy = DynamoDBDocumentClient.from(raw);
    const send = racy.send.bind(racy) as (command: object) => Promise<unknown>;
    const updates: string[] = [];
    (racy as unknown as { send: typeof send }).send = async (command: object) => {
      if (command instanceof UpdateCommand) {
        updates.push('UpdateItem');
        if (updates.length === 1) {
          await doc.send(
            new UpdateCommand({
              TableName: tableName,
              Key: { id: 'race' },
              UpdateExpression: 'SET #names = :names, #next = :next',
              ExpressionAttributeNames: { '#names': 'names', '#next': 'nextCheckAt' },
              ExpressionAttributeValues: { ':names': ['other.example.com'], ':next': minutes(600).toISOString() },
            }),
          );
        }
      }
      return send(command);
    };
    await new DynamoDbInventory({ client: racy, tableName }).put(cert('race', { nextCheckAt: minutes(30).toISOString() }));

    expect(updates).toHaveLength(2); // the first write saw stale names and was refused
    const stored = await inventory.get('race');
    expect(stored?.names).toEqual(['race.example.com']);
    // Against the names it really replaced, this put is a name change: due at the earlier time.
    expect(stored?.nextCheckAt).toBe(minutes(30).toISOString());
  });

  it('put refuses an invalid configuration with every problem and writes nothing', async () => {
    const { inventory } = await freshInventory();
    const err = await inventory
      .put(cert('bad', { names: ['ok.example.com', 'ok..example.com'], owners: ['x\nBcc: y@evil.test'], directoryUrl: 'http://ca.example.com/dir' }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    const message = (err as ConfigurationError).message;
    expect(message).toMatch(/^certificate 'bad' was not saved: names\[1\]: "ok\.\.example\.com" has an invalid label ""/);
    expect(message).toMatch(/directoryUrl: "http:\/\/ca\.example\.com\/dir" must use https/);
    expect(message).toMatch(/owners\[0\]: "x\\x0aBcc: y@evil\.test" contains a line break/);
    expect((err as ConfigurationError).field).toBe('names[1]');
    expect(await inventory.get('bad')).toBeUndefined();
    expect((await inventory.listAll()).records).toEqual([]);
  });

  it('setStatus moves an item out of and back into the due index, and refuses unknown ids', async () => {
    const { inventory, tableName } = await freshInventory();
    await inventory.put(cert('a'));
    await inventory.setStatus('a', 'paused');
    expect((await inventory.listDue(NOW)).records).toEqual([]);
    const stored = await doc.send(new GetCommand({ TableName: tableName, Key: { id: 'a' } }));
    expect(stored.Item?.dueShard).toBeUndefined();
    expect((await inventory.get('a'))?.status).toBe('paused');
    await inventory.setStatus('a', 'active');
    expect(ids((await inventory.listDue(NOW)).records)).toEqual(['a']);

    const missing = await inventory.setStatus('nope', 'paused').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ConfigurationError);
    expect(missing).toMatchObject({ message: "no certificate with id 'nope'", field: 'id' });
    expect(await inventory.get('nope')).toBeUndefined(); // the conditional write created nothing
  });

  it('requestRenewal makes a certificate due now and flags it; remove deletes; both refuse unknown ids', async () => {
    const { inventory } = await freshInventory();
    await inventory.put(cert('later', { nextCheckAt: minutes(600).toISOString() }));
    expect((await inventory.listDue(NOW)).records).toEqual([]);
    await inventory.requestRenewal('later', NOW);
    const [due] = (await inventory.listDue(NOW)).records;
    expect(due).toMatchObject({ id: 'later', forceRenewal: true, nextCheckAt: NOW.toISOString() });

    await inventory.remove('later');
    expect(await inventory.get('later')).toBeUndefined();
    await expect(inventory.remove('later')).rejects.toThrow(/no certificate with id 'later'/);
    await expect(inventory.requestRenewal('later', NOW)).rejects.toBeInstanceOf(ConfigurationError);
    await expect(inventory.get('bad id')).rejects.toThrow(/^id: "bad id" is not a valid id/);
  });
});

describe('DynamoDbInventory leases and outcomes', () => {
  it('grants a lease once, refuses it while held, hands over an expired one, and fences outcomes by owner', async () => {
    const { inventory } = await freshInventory();
    await inventory.put(cert('web'));
    await inventory.requestRenewal('web', NOW);

    const first = await inventory.acquireLease('web', { owner: 'run-1', until: minutes(10).toISOString() }, NOW);
    expect(first).toMatchObject({ id: 'web', forceRenewal: true, lease: { owner: 'run-1', until: minutes(10).toISOString() } });
    expect(await inventory.acquireLease('web', { owner: 'run-2', until: minutes(20).toISOString() }, minutes(5))).toBeUndefined();
    expect(await inventory.acquireLease('web', { owner: 'run-1', until: minutes(20).toISOString() }, minutes(5))).toBeUndefined();

    // run-1's lease has expired at minute 11: run-2 takes over, and run-1 can no longer record.
    const second = await inventory.acquireLease('web', { owner: 'run-2', until: minutes(30).toISOString() }, minutes(11));
    expect(second?.lease?.owner).toBe('run-2');
    const lost = await inventory.recordOutcome('web', 'run-1', { nextCheckAt: minutes(60).toISOString(), failureCount: 1 }).catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(LeaseHeldError);
    expect((await inventory.get('web'))?.failureCount).toBe(0);

    await inventory.releaseLease('web', 'run-1'); // not the holder: ignored
    expect((await inventory.get('web'))?.lease?.owner).toBe('run-2');

    await inventory.recordOutcome('web', 'run-2', {
      nextCheckAt: minutes(60).toISOString(),
      lastOutcome: { at: minutes(12).toISOString(), result: 'failed', errorClass: 'TransientError', message: undefined },
      failureCount: 1,
      renewalWindow: { start: minutes(100).toISOString(), end: minutes(200).toISOString() },
      ariCertId: undefined,
      forceRenewal: false,
    });
    const after = await inventory.get('web');
    expect(after).toEqual({
      ...cert('web'),
      nextCheckAt: minutes(60).toISOString(),
      lastOutcome: { at: minutes(12).toISOString(), result: 'failed', errorClass: 'TransientError' },
      failureCount: 1,
      renewalWindow: { start: minutes(100).toISOString(), end: minutes(200).toISOString() },
    });
    // No lease any more: recording again is refused, taking a new lease works.
    await expect(inventory.recordOutcome('web', 'run-2', { nextCheckAt: minutes(60).toISOString() })).rejects.toBeInstanceOf(LeaseHeldError);
    expect(await inventory.acquireLease('web', { owner: 'run-3', until: minutes(90).toISOString() }, minutes(61))).toBeDefined();
    await inventory.recordOutcome('web', 'run-3', { nextCheckAt: minutes(120).toISOString(), renewalWindow: null });
    expect((await inventory.get('web'))?.renewalWindow).toBeUndefined();

    await inventory.acquireLease('web', { owner: 'run-4', until: minutes(200).toISOString() }, minutes(121));
    await inventory.releaseLease('web', 'run-4');
    expect((await inventory.get('web'))?.lease).toBeUndefined();
  });

  it('lets exactly one of ten concurrent acquirers win', async () => {
    const { inventory } = await freshInventory();
    await inventory.put(cert('contended'));
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => inventory.acquireLease('contended', { owner: `run-${i}`, until: minutes(10).toISOString() }, NOW)),
    );
    const winners = results.filter((r) => r !== undefined);
    expect(winners).toHaveLength(1);
    expect((await inventory.get('contended'))?.lease?.owner).toBe(winners[0]!.lease!.owner);
  });

  it('refuses an outcome that would store malformed state or touch configuration, keeping the lease', async () => {
    const { inventory } = await freshInventory();
    await inventory.put(cert('web'));
    await inventory.acquireLease('web', { owner: 'run-1', until: minutes(10).toISOString() }, NOW);

    const badDate = await inventory.recordOutcome('web', 'run-1', { nextCheckAt: 'tomorrow', failureCount: 1.5 }).catch((e: unknown) => e);
    expect(badDate).toBeInstanceOf(ConfigurationError);
    expect((badDate as ConfigurationError).message).toMatch(/^outcome for 'web' not recorded: failureCount: .*; nextCheckAt: "tomorrow" is not valid/);

    const config = await inventory
      .recordOutcome('web', 'run-1', { nextCheckAt: NOW.toISOString(), names: ['evil.example.com'] } as never)
      .catch((e: unknown) => e);
    expect(config).toMatchObject({ name: 'ConfigurationError', field: 'names' });

    const stored = await inventory.get('web');
    expect(stored).toMatchObject({ names: ['web.example.com'], failureCount: 0, lease: { owner: 'run-1' } });
  });

  it('refuses a lease on a certificate that does not exist', async () => {
    const { inventory } = await freshInventory();
    const err = await inventory.acquireLease('ghost', { owner: 'run-1', until: minutes(10).toISOString() }, NOW).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err).toMatchObject({ message: "no certificate with id 'ghost'", field: 'id' });
    expect(await inventory.get('ghost')).toBeUndefined();
  });
});

describe('DynamoDbInventory error translation', () => {
  it('turns a missing table into a ConfigurationError with the fix', async () => {
    const inventory = new DynamoDbInventory({ client: doc, tableName: 'no-such-table' });
    const err = await inventory.listDue(NOW).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as ConfigurationError).message).toMatch(/^DynamoDB Query on table 'no-such-table' failed: the table does not exist/);
    expect((err as ConfigurationError).remediation).toMatch(/CERTBEAT_TABLE_NAME/);
    expect((err as ConfigurationError).cause).toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('turns an unreachable endpoint into a TransientError', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const client = localDynamoDbClient(`http://127.0.0.1:${port}`);
    try {
      const inventory = new DynamoDbInventory({ client: DynamoDBDocumentClient.from(client), tableName: 't' });
      const err = await inventory.get('web').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransientError);
      expect((err as TransientError).message).toMatch(/^DynamoDB GetItem on table 't' failed temporarily/);
    } finally {
      client.destroy();
    }
  });
});
