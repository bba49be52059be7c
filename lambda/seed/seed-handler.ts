/**
 * The deploy-time custom resources (see cdk/constructs/inventory-seed.ts), answered without the CDK
 * Provider framework: this Lambda is the service token and replies to CloudFormation's pre-signed
 * response URL itself.
 *
 * - `Custom::CertbeatInventorySeed`: writes every configured certificate into the inventory (create, or
 *   update only its configuration, keeping ARN, expiry, failures) and pauses the ones removed from the
 *   config since the last deployment. Delete does nothing: the table and its history are kept.
 * - `Custom::CertbeatDeployRun`: starts one renewal run asynchronously. It always reports success: a
 *   renewal failure is reported by mail and alarms, never by failing the deployment.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDbInventory } from '../adapters/dynamodb/dynamodb-inventory.js';
import type { CertificateRecord } from '../domain/model.js';
import type { Clock, Inventory, RunLog } from '../domain/ports.js';
import type { CertificateConfig } from '../domain/record-validation.js';

export const SEED_RESOURCE_TYPE = 'Custom::CertbeatInventorySeed';
export const DEPLOY_RUN_RESOURCE_TYPE = 'Custom::CertbeatDeployRun';
/** The event the post-deploy run sends to the renewal Lambda. */
export const DEPLOY_RUN_EVENT = { action: 'run', reason: 'deploy' } as const;

/** A CloudFormation custom resource request (the fields certbeat reads). */
export interface CustomResourceEvent {
  RequestType: 'Create' | 'Update' | 'Delete';
  ResponseURL: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  ResourceType: string;
  PhysicalResourceId?: string;
  ResourceProperties: Record<string, unknown>;
  OldResourceProperties?: Record<string, unknown>;
}

export interface CustomResourceResult {
  physicalResourceId: string;
  data?: Record<string, string>;
}

export interface SeedDeps {
  /** The inventory for a table (the table name comes with the event). */
  inventory: (tableName: string) => Pick<Inventory, 'put' | 'setStatus' | 'get'> & Partial<Pick<Inventory, 'adopt'>>;
  /** Invokes a function asynchronously (InvocationType Event). */
  invokeAsync: (functionName: string, payload: unknown) => Promise<void>;
  clock: Clock;
  log: RunLog;
}

function certificatesOf(props: Record<string, unknown> | undefined): Array<CertificateConfig & { acmArn?: string }> {
  const raw = props?.Certificates;
  if (raw === undefined) return [];
  if (typeof raw !== 'string') throw new Error('Certificates must be a JSON string (set by the certbeat stack)');
  const parsed: unknown = JSON.parse(raw);
  if (!Array.isArray(parsed)) throw new Error('Certificates must be a JSON array (set by the certbeat stack)');
  return parsed as Array<CertificateConfig & { acmArn?: string }>;
}

function stringProp(props: Record<string, unknown>, name: string): string {
  const value = props[name];
  if (typeof value !== 'string' || value === '') throw new Error(`${name} is missing from the custom resource properties`);
  return value;
}

async function seed(event: CustomResourceEvent, deps: SeedDeps): Promise<Record<string, string>> {
  if (event.RequestType === 'Delete') return {};
  const inventory = deps.inventory(stringProp(event.ResourceProperties, 'TableName'));
  const wanted = certificatesOf(event.ResourceProperties);
  const now = deps.clock.now().toISOString();
  const adopted: string[] = [];
  for (const { acmArn, ...certificate } of wanted) {
    // A new certificate is due now; an existing one keeps its runtime state (put changes config only).
    const record: CertificateRecord = { ...certificate, status: 'active', failureCount: 0, nextCheckAt: now };
    await inventory.put(record);
    // Adoption (`acmArn` in the config) is the one runtime field configuration sets: an explicit write.
    // The renewal run checks the ARN (pre-flight), tags it certbeat:id and re-imports under it.
    if (acmArn !== undefined) {
      if (!inventory.adopt) throw new Error('this inventory cannot record an adopted ARN');
      await inventory.adopt(certificate.id, acmArn);
      adopted.push(certificate.id);
    }
  }
  const kept = new Set(wanted.map((c) => c.id));
  const removed = event.RequestType === 'Update' ? certificatesOf(event.OldResourceProperties).filter((c) => !kept.has(c.id)) : [];
  const paused: string[] = [];
  for (const { id } of removed) {
    // Removed from the config: pause, never delete, so its ARN and history stay.
    try {
      await inventory.setStatus(id, 'paused');
      paused.push(id);
    } catch (e) {
      const absent = await inventory.get(id).then((r) => r === undefined, () => false);
      if (!absent) throw e;
      deps.log.warn('certificate removed from the config is not in the inventory; nothing to pause', { certificateId: id });
    }
  }
  deps.log.info('inventory seeded', { written: wanted.map((c) => c.id), paused, ...(adopted.length > 0 ? { adopted } : {}) });
  return { Written: String(wanted.length), Paused: String(paused.length), ...(adopted.length > 0 ? { Adopted: String(adopted.length) } : {}) };
}

async function deployRun(event: CustomResourceEvent, deps: SeedDeps): Promise<Record<string, string>> {
  if (event.RequestType === 'Delete') return {};
  const functionName = stringProp(event.ResourceProperties, 'FunctionName');
  try {
    await deps.invokeAsync(functionName, DEPLOY_RUN_EVENT);
    deps.log.info('post-deploy renewal run started', { functionName });
    return { Started: 'true' };
  } catch (e) {
    // The next scheduled run does the same work; a deployment must not fail for this.
    deps.log.warn('post-deploy renewal run could not be started; the schedule will run it', {
      functionName,
      error: (e as Error).message,
    });
    return { Started: 'false' };
  }
}

/** Does what the request asks. Throws when the resource must be reported FAILED. */
export async function handleCustomResource(event: CustomResourceEvent, deps: SeedDeps): Promise<CustomResourceResult> {
  const physicalResourceId = event.PhysicalResourceId ?? `certbeat-${event.LogicalResourceId}`;
  switch (event.ResourceType) {
    case SEED_RESOURCE_TYPE:
      return { physicalResourceId, data: await seed(event, deps) };
    case DEPLOY_RUN_RESOURCE_TYPE:
      return { physicalResourceId, data: await deployRun(event, deps) };
    default:
      // Deleting a resource of an unknown type must not block a stack deletion or rollback.
      if (event.RequestType === 'Delete') return { physicalResourceId };
      throw new Error(`unknown custom resource type ${event.ResourceType}`);
  }
}

/** The response document CloudFormation expects at the pre-signed URL. */
export function responseBody(
  event: CustomResourceEvent,
  outcome: { status: 'SUCCESS'; result: CustomResourceResult } | { status: 'FAILED'; reason: string },
): string {
  const physicalResourceId =
    outcome.status === 'SUCCESS' ? outcome.result.physicalResourceId : (event.PhysicalResourceId ?? `certbeat-${event.LogicalResourceId}`);
  return JSON.stringify({
    Status: outcome.status,
    // CloudFormation shows Reason in the stack events; keep the whole response under its 4 KB limit.
    Reason: outcome.status === 'FAILED' ? outcome.reason.slice(0, 2000) : 'OK',
    PhysicalResourceId: physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    ...(outcome.status === 'SUCCESS' && outcome.result.data ? { Data: outcome.result.data } : {}),
  });
}

/** PUTs the response to the pre-signed URL (no content type: it is not part of the signature). */
export function sendResponse(url: string, body: string): Promise<void> {
  const target = new URL(url);
  const request = target.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) }, timeout: 30_000 },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode && res.statusCode < 300 ? resolve() : reject(new Error(`response URL answered HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('response URL timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/** Answers one request: runs it, then reports SUCCESS or FAILED to CloudFormation. */
export async function answer(event: CustomResourceEvent, deps: SeedDeps): Promise<void> {
  let body: string;
  try {
    body = responseBody(event, { status: 'SUCCESS', result: await handleCustomResource(event, deps) });
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    deps.log.error('custom resource failed', { resourceType: event.ResourceType, requestType: event.RequestType, reason });
    body = responseBody(event, { status: 'FAILED', reason });
  }
  await sendResponse(event.ResponseURL, body);
}

const logger = new Logger({ serviceName: 'certbeat-deploy' });
let deps: SeedDeps | undefined;

function defaultDeps(): SeedDeps {
  if (deps) return deps;
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  const lambda = new LambdaClient({});
  deps = {
    inventory: (tableName) => new DynamoDbInventory({ client: documents, tableName }),
    invokeAsync: async (functionName, payload) => {
      await lambda.send(
        new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: new TextEncoder().encode(JSON.stringify(payload)) }),
      );
    },
    clock: { now: () => new Date() },
    log: {
      info: (message, attributes = {}) => logger.info(message, attributes),
      warn: (message, attributes = {}) => logger.warn(message, attributes),
      error: (message, attributes = {}) => logger.error(message, attributes),
    },
  };
  return deps;
}

export const handler = async (event: CustomResourceEvent): Promise<void> => {
  await answer(event, defaultDeps());
};
