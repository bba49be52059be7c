/**
 * Starts dynalite (a DynamoDB implementation on an in-memory LevelDB) on a loopback ephemeral port, and
 * creates the inventory table with the same key layout as the CDK stack (table-schema.ts).
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TABLE_KEYS } from '../../lambda/adapters/dynamodb/table-schema.js';

const require = createRequire(import.meta.url);
// dynalite is CommonJS without typings: a factory returning an http.Server.
const dynalite = require('dynalite') as (options: { createTableMs: number; deleteTableMs: number; updateTableMs: number }) => Server;

export interface RunningDynalite {
  /** e.g. `http://127.0.0.1:41234`: pass as `endpoint` to a DynamoDBClient. */
  endpoint: string;
  stop(): Promise<void>;
}

/** Starts an empty dynalite on 127.0.0.1 and an ephemeral port. Tables become ACTIVE at once. */
export async function startDynalite(): Promise<RunningDynalite> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Idle keep-alive sockets of SDK clients would otherwise hold close() open.
        server.closeIdleConnections();
      }),
  };
}

/** A DynamoDB client for a local endpoint (fixed dummy credentials: dynalite checks none). */
export function localDynamoDbClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 2,
  });
}

/** Creates the inventory table (PAY_PER_REQUEST, `id` key, sparse `due` GSI) and waits until ACTIVE. */
export async function createInventoryTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' },
        { AttributeName: TABLE_KEYS.dueIndexPartitionKey, AttributeType: 'S' },
        { AttributeName: TABLE_KEYS.dueIndexSortKey, AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: TABLE_KEYS.dueIndexName,
          KeySchema: [
            { AttributeName: TABLE_KEYS.dueIndexPartitionKey, KeyType: 'HASH' },
            { AttributeName: TABLE_KEYS.dueIndexSortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  for (let i = 0; i < 100; i++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE');
    if (Table?.TableStatus === 'ACTIVE' && indexesActive) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}
