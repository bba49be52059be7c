/**
 * The whole renewal pipeline on the testbed: real pebble, challtestsrv, dynalite, SES capture and the
 * Route 53 / ACM / Secrets Manager emulators, wired through `lambda/composition.ts` exactly as the
 * Lambda wires them. Tests pick the clock.
 */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createRenewalService } from '../../lambda/composition.js';
import { loadRuntimeConfig, type RuntimeConfig } from '../../lambda/config.js';
import { DynamoDbInventory } from '../../lambda/adapters/dynamodb/dynamodb-inventory.js';
import type { CertificateRecord } from '../../lambda/domain/model.js';
import type { Clock, RunLog } from '../../lambda/domain/ports.js';
import type { RenewalService, RenewalServiceDeps } from '../../lambda/domain/renewal-service.js';
import { startTestbed, type Testbed, type TestbedOptions } from '../testbed/testbed.js';

export interface Pipeline {
  tb: Testbed;
  config: RuntimeConfig;
  inventory: DynamoDbInventory;
  /** A service on the testbed, with the given clock (default: the real one) and dependency overrides. */
  service(clock?: Clock, overrides?: Partial<RenewalServiceDeps>): RenewalService;
  /** Registers a certificate on pebble with test defaults; returns the stored record. */
  add(record: Partial<CertificateRecord> & Pick<CertificateRecord, 'id' | 'names'>): Promise<CertificateRecord>;
  /** Everything logged, for assertions (no secrets are ever logged). */
  logs: Array<{ level: string; message: string; attributes?: Record<string, unknown> }>;
  stop(): Promise<void>;
}

export const realClock: Clock = { now: () => new Date() };

/** A clock `days` ahead of the real one (for "inside the renewal window" without waiting). */
export function clockAhead(days: number): Clock {
  return { now: () => new Date(Date.now() + days * 86_400_000) };
}

/**
 * `env`: runtime variables over the testbed's; a function when they name the testbed (e.g. limits for
 * pebble's directory URL in CERTBEAT_CA_LIMITS, known only once pebble runs).
 */
export async function startPipeline(opts: TestbedOptions & { env?: Record<string, string> | ((tb: Testbed) => Record<string, string>) } = {}): Promise<Pipeline> {
  const tb = await startTestbed(opts);
  const config = loadRuntimeConfig({ ...tb.env, ...(typeof opts.env === 'function' ? opts.env(tb) : opts.env) });
  const logs: Pipeline['logs'] = [];
  const log: RunLog = {
    info: (message, attributes) => logs.push({ level: 'info', message, attributes }),
    warn: (message, attributes) => logs.push({ level: 'warn', message, attributes }),
    error: (message, attributes) => logs.push({ level: 'error', message, attributes }),
  };
  const inventory = new DynamoDbInventory({
    client: DynamoDBDocumentClient.from(tb.clients().dynamodb),
    tableName: tb.tableName,
  });
  return {
    tb,
    config,
    inventory,
    logs,
    service: (clock = realClock, overrides = {}) => createRenewalService(config, tb.clients(), log, clock, overrides),
    async add(partial) {
      const record: CertificateRecord = {
        zones: {},
        directoryUrl: tb.directoryUrl,
        keyType: 'ec256',
        owners: [`owner-${partial.id}@example.test`],
        status: 'active',
        failureCount: 0,
        nextCheckAt: new Date(Date.now() - 1000).toISOString(),
        ...partial,
      };
      await inventory.put(record);
      return (await inventory.get(record.id))!;
    },
    stop: () => tb.stop(),
  };
}

/** A run with plenty of time left. */
export function runOptions(invocationId = `test-${Math.random().toString(36).slice(2)}`) {
  return { invocationId, remainingMs: () => 600_000 };
}
