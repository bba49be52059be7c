/**
 * The deploy-time custom resource Lambda, run as Lambda would run it: its exported `handler` with the
 * real SDK clients, reaching dynalite (DynamoDB) and a loopback server speaking Lambda's Invoke API,
 * and answering CloudFormation at a loopback "pre-signed" response URL.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CertificateConfig } from '../../lambda/domain/record-validation.js';
import type { CustomResourceEvent } from '../../lambda/seed/seed-handler.js';
import { createInventoryTable, localDynamoDbClient, startDynalite, type RunningDynalite } from '../testbed/dynalite.js';

interface Captured {
  method?: string;
  url?: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A loopback HTTP server that records each request and answers with `reply`. */
async function recordingServer(reply: (req: Captured) => { status: number; headers?: Record<string, string>; body?: string }) {
  const requests: Captured[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const captured = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(captured);
      const answer = reply(captured);
      res.writeHead(answer.status, answer.headers).end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

let dynalite: RunningDynalite;
let raw: DynamoDBClient;
let doc: DynamoDBDocumentClient;
let cloudFormation: Awaited<ReturnType<typeof recordingServer>>;
let lambdaApi: Awaited<ReturnType<typeof recordingServer>>;
/** Function names the Lambda API answers 404 for. */
const missingFunctions = new Set<string>();
let handler: (event: CustomResourceEvent) => Promise<void>;
let tables = 0;

beforeAll(async () => {
  dynalite = await startDynalite();
  raw = localDynamoDbClient(dynalite.endpoint);
  doc = DynamoDBDocumentClient.from(raw);
  cloudFormation = await recordingServer(() => ({ status: 200 }));
  lambdaApi = await recordingServer((req) => {
    const name = decodeURIComponent(/\/functions\/([^/]+)\/invocations/.exec(req.url ?? '')?.[1] ?? '');
    if (missingFunctions.has(name)) {
      return {
        status: 404,
        headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' },
        body: JSON.stringify({ Type: 'User', message: `Function not found: ${name}` }),
      };
    }
    return { status: 202 };
  });
  // The handler builds its clients from the environment, as in Lambda; point them at the local servers.
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
    AWS_ENDPOINT_URL_LAMBDA: lambdaApi.url,
    AWS_MAX_ATTEMPTS: '1',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  ({ handler } = await import('../../lambda/seed/seed-handler.js'));
});

afterAll(async () => {
  raw?.destroy();
  await Promise.all([dynalite?.stop(), cloudFormation?.close(), lambdaApi?.close()]);
});

beforeEach(() => {
  cloudFormation.requests.length = 0;
  lambdaApi.requests.length = 0;
});

function certificate(id: string, extra: Partial<CertificateConfig> = {}): CertificateConfig {
  return {
    id,
    names: [`${id}.example.com`, `*.${id}.example.com`],
    zones: { [`${id}.example.com`]: 'ZEXAMPLE' },
    directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory',
    keyType: 'ec256',
    owners: [`${id}@example.com`],
    status: 'active',
    ...extra,
  };
}

let requests = 0;
function seedEvent(
  requestType: CustomResourceEvent['RequestType'],
  tableName: string,
  certificates: unknown[],
  old?: unknown[],
): CustomResourceEvent {
  return {
    RequestType: requestType,
    ResponseURL: `${cloudFormation.url}/response/${++requests}?X-Amz-Signature=abc`,
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/Certbeat/1',
    RequestId: `request-${requests}`,
    LogicalResourceId: 'DeploySeed914268A5',
    ResourceType: 'Custom::CertbeatInventorySeed',
    ...(requestType === 'Create' ? {} : { PhysicalResourceId: 'certbeat-DeploySeed914268A5' }),
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:seeder', TableName: tableName, Certificates: JSON.stringify(certificates) },
    ...(old ? { OldResourceProperties: { TableName: tableName, Certificates: JSON.stringify(old) } } : {}),
  };
}

async function freshTable(): Promise<string> {
  const tableName = `inventory-${++tables}`;
  await createInventoryTable(raw, tableName);
  return tableName;
}

async function item(tableName: string, id: string) {
  return (await doc.send(new GetCommand({ TableName: tableName, Key: { id }, ConsistentRead: true }))).Item;
}

/** The one response CloudFormation received, parsed. */
function response() {
  expect(cloudFormation.requests).toHaveLength(1);
  const [req] = cloudFormation.requests;
  expect(req.method).toBe('PUT');
  expect(req.headers['content-type']).toBe('');
  return JSON.parse(req.body) as Record<string, any>;
}

describe('Custom::CertbeatInventorySeed', () => {
  it('creates the configured certificates, due now, and answers SUCCESS', async () => {
    const tableName = await freshTable();
    const before = Date.now();
    const event = seedEvent('Create', tableName, [certificate('www'), certificate('api', { keyType: 'rsa2048' })]);
    await handler(event);

    expect(response()).toEqual({
      Status: 'SUCCESS',
      Reason: 'OK',
      PhysicalResourceId: 'certbeat-DeploySeed914268A5',
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
      Data: { Written: '2', Paused: '0' },
    });
    const www = await item(tableName, 'www');
    expect(www).toMatchObject({ names: ['www.example.com', '*.www.example.com'], status: 'active', dueShard: 'active', failureCount: 0 });
    expect(Date.parse(www!.nextCheckAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(www!.nextCheckAt)).toBeLessThanOrEqual(Date.now());
    expect(await item(tableName, 'api')).toMatchObject({ keyType: 'rsa2048' });
  });

  it('updates configuration but keeps runtime state, and pauses (not deletes) a removed certificate', async () => {
    const tableName = await freshTable();
    await handler(seedEvent('Create', tableName, [certificate('www'), certificate('old')]));
    // A run issued both certificates.
    for (const id of ['www', 'old']) {
      await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { id },
          UpdateExpression: 'SET acmArn = :arn, notAfter = :na, failureCount = :f, nextCheckAt = :next',
          ExpressionAttributeValues: {
            ':arn': `arn:aws:acm:us-east-1:123456789012:certificate/${id}`,
            ':na': '2026-09-01T00:00:00.000Z',
            ':f': 2,
            ':next': '2026-08-01T00:00:00.000Z',
          },
        }),
      );
    }
    cloudFormation.requests.length = 0;

    const changed = certificate('www', { owners: ['new-owner@example.com'] });
    await handler(seedEvent('Update', tableName, [changed], [certificate('www'), certificate('old')]));

    expect(response()).toMatchObject({ Status: 'SUCCESS', Data: { Written: '1', Paused: '1' } });
    expect(await item(tableName, 'www')).toMatchObject({
      owners: ['new-owner@example.com'],
      acmArn: 'arn:aws:acm:us-east-1:123456789012:certificate/www',
      notAfter: '2026-09-01T00:00:00.000Z',
      failureCount: 2,
      nextCheckAt: '2026-08-01T00:00:00.000Z',
      status: 'active',
    });
    const old = await item(tableName, 'old');
    expect(old).toMatchObject({ status: 'paused', acmArn: 'arn:aws:acm:us-east-1:123456789012:certificate/old' });
    expect(old).not.toHaveProperty('dueShard');
  });

  it('skips a removed certificate that is not in the inventory', async () => {
    const tableName = await freshTable();
    await handler(seedEvent('Update', tableName, [certificate('www')], [certificate('www'), certificate('never-seeded')]));
    expect(response()).toMatchObject({ Status: 'SUCCESS', Data: { Written: '1', Paused: '0' } });
    expect(await item(tableName, 'never-seeded')).toBeUndefined();
  });

  it('answers FAILED with the field and the fix when a certificate is invalid, writing nothing for it', async () => {
    const tableName = await freshTable();
    await handler(seedEvent('Create', tableName, [certificate('bad', { keyType: 'rsa1024' as never })]));
    const answer = response();
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(/keyType: "rsa1024" is not a supported key type/);
    expect(answer.PhysicalResourceId).toBe('certbeat-DeploySeed914268A5');
    expect(await item(tableName, 'bad')).toBeUndefined();
  });

  it('keeps the inventory on Delete', async () => {
    const tableName = await freshTable();
    await handler(seedEvent('Create', tableName, [certificate('www')]));
    cloudFormation.requests.length = 0;
    await handler(seedEvent('Delete', tableName, [certificate('www')]));
    expect(response()).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'certbeat-DeploySeed914268A5' });
    expect(await item(tableName, 'www')).toMatchObject({ status: 'active' });
  });
});

describe('Custom::CertbeatDeployRun', () => {
  function runEvent(requestType: CustomResourceEvent['RequestType'], functionName: string): CustomResourceEvent {
    return {
      ...seedEvent(requestType, 'unused', []),
      LogicalResourceId: 'DeployDeployRun0ABE97E4',
      ResourceType: 'Custom::CertbeatDeployRun',
      PhysicalResourceId: requestType === 'Create' ? undefined : 'certbeat-DeployDeployRun0ABE97E4',
      ResourceProperties: { FunctionName: functionName, RenewerVersion: '3', ConfigHash: 'abc' },
    };
  }

  it('invokes the renewal Lambda asynchronously with the deploy event', async () => {
    await handler(runEvent('Create', 'Certbeat-Renewer'));
    expect(lambdaApi.requests).toHaveLength(1);
    const [invoke] = lambdaApi.requests;
    expect(invoke.url).toBe('/2015-03-31/functions/Certbeat-Renewer/invocations');
    expect(invoke.headers['x-amz-invocation-type']).toBe('Event');
    expect(JSON.parse(invoke.body)).toEqual({ action: 'run', reason: 'deploy' });
    expect(response()).toMatchObject({ Status: 'SUCCESS', Data: { Started: 'true' } });
  });

  it('does not fail the deployment when the run cannot be started', async () => {
    missingFunctions.add('Gone');
    await handler(runEvent('Update', 'Gone'));
    expect(lambdaApi.requests).toHaveLength(1);
    expect(response()).toMatchObject({ Status: 'SUCCESS', Data: { Started: 'false' } });
  });

  it('does nothing on Delete', async () => {
    await handler(runEvent('Delete', 'Certbeat-Renewer'));
    expect(lambdaApi.requests).toHaveLength(0);
    expect(response()).toMatchObject({ Status: 'SUCCESS' });
  });
});

describe('unknown resource types', () => {
  it('fail on Create but never block a Delete', async () => {
    await handler({ ...seedEvent('Create', 'unused', []), ResourceType: 'Custom::Other' });
    expect(response()).toMatchObject({ Status: 'FAILED', Reason: 'unknown custom resource type Custom::Other' });
    cloudFormation.requests.length = 0;
    await handler({ ...seedEvent('Delete', 'unused', []), ResourceType: 'Custom::Other' });
    expect(response()).toMatchObject({ Status: 'SUCCESS' });
  });
});
