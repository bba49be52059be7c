/**
 * Issue 9 item 1: `acmArn` in certbeat.config.json reaches the inventory through the deploy-time seed as
 * an explicit adoption write (put ignores runtime fields); a second deploy keeps it; a record already
 * renewing another ARN fails the deployment with the field and the fix. Real DynamoDB (dynalite).
 */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbInventory } from '../../lambda/adapters/dynamodb/dynamodb-inventory.js';
import { handleCustomResource, SEED_RESOURCE_TYPE, type CustomResourceEvent, type SeedDeps } from '../../lambda/seed/seed-handler.js';
import { createInventoryTable, localDynamoDbClient, startDynalite, type RunningDynalite } from '../testbed/dynalite.js';

const ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';
const OTHER = 'arn:aws:acm:us-east-1:123456789012:certificate/99999999-8888-7777-6666-555555555555';
let dynalite: RunningDynalite;
let inventory: DynamoDbInventory;
let deps: SeedDeps;

const certificate = (acmArn: string) => ({
  id: 'shop',
  names: ['shop.example.com'],
  zones: {},
  directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory',
  keyType: 'ec256',
  owners: [],
  status: 'active',
  acmArn,
});

function event(acmArn: string, requestType: 'Create' | 'Update' = 'Create'): CustomResourceEvent {
  return {
    RequestType: requestType,
    ResponseURL: 'http://127.0.0.1:1/unused',
    StackId: 'stack',
    RequestId: 'r1',
    LogicalResourceId: 'Seed',
    ResourceType: SEED_RESOURCE_TYPE,
    ...(requestType === 'Update' ? { PhysicalResourceId: 'certbeat-Seed', OldResourceProperties: { TableName: 'adopt', Certificates: JSON.stringify([certificate(acmArn)]) } } : {}),
    ResourceProperties: { TableName: 'adopt', Certificates: JSON.stringify([certificate(acmArn)]) },
  };
}

beforeAll(async () => {
  dynalite = await startDynalite();
  const raw = localDynamoDbClient(dynalite.endpoint);
  await createInventoryTable(raw, 'adopt');
  inventory = new DynamoDbInventory({ client: DynamoDBDocumentClient.from(raw), tableName: 'adopt' });
  deps = {
    inventory: () => inventory,
    invokeAsync: async () => undefined,
    clock: { now: () => new Date('2026-12-03T00:00:00Z') },
    log: { info() {}, warn() {}, error() {} },
  };
});
afterAll(async () => {
  await dynalite?.stop();
});

describe('seed with acmArn', () => {
  it('writes the certificate and adopts the ARN (no serial yet: the first run renews under it)', async () => {
    const result = await handleCustomResource(event(ARN), deps);
    expect(result.data).toEqual({ Written: '1', Paused: '0', Adopted: '1' });
    const record = await inventory.get('shop');
    expect(record).toMatchObject({ id: 'shop', acmArn: ARN, status: 'active' });
    expect(record?.serial).toBeUndefined();
  });

  it('a later deploy with the same ARN changes nothing', async () => {
    await handleCustomResource(event(ARN, 'Update'), deps);
    expect((await inventory.get('shop'))?.acmArn).toBe(ARN);
  });

  it('another ARN for a certificate that already renews one fails the deploy, naming acmArn and the fix', async () => {
    const err = await handleCustomResource(event(OTHER, 'Update'), deps).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(`acmArn: certificate 'shop' already renews ${ARN}, not ${OTHER}`);
    expect((err as { remediation?: string }).remediation).toMatch(/remove it \(certbeat remove shop --yes\) and add it again with --arn/);
    expect((await inventory.get('shop'))?.acmArn).toBe(ARN);
  });
});
