/**
 * One certbeat run measured in its own process, through the real Lambda handler (lambda/handler.ts) on the
 * testbed whose environment the parent passes (so NODE_EXTRA_CA_CERTS, read only at process start, can be
 * one of the two ways of trusting the CA). A warm-up run of one certificate first (account registration,
 * connections: what a warm Lambda container has done before), then one timed run over `BENCH_COUNT` fresh
 * certificates × 2 names (apex + wildcard). Prints one JSON line: wall ms, CPU ms, peak RSS.
 *
 * Env: the testbed's, plus BENCH_DIRECTORY_URL, BENCH_COUNT, BENCH_TAG (unique label under bench.test).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { DynamoDbInventory } from '../lambda/adapters/dynamodb/dynamodb-inventory.js';
import type { CertificateRecord } from '../lambda/domain/model.js';
import type { RunSummary } from '../lambda/domain/run-summary.js';

const count = Number(process.env.BENCH_COUNT);
const tag = process.env.BENCH_TAG!;
const directoryUrl = process.env.BENCH_DIRECTORY_URL!;
const { handler } = await import('../lambda/handler.js');
// pebble is not Let's Encrypt: certbeat counts the bench's ~350 orders but holds none back (no caLimits given).
const inventory = new DynamoDbInventory({ client: DynamoDBDocumentClient.from(new DynamoDBClient({})), tableName: process.env.CERTBEAT_TABLE_NAME ?? 'certbeat-inventory' });

async function add(id: string, base: string) {
  const record: CertificateRecord = {
    id,
    names: [base, `*.${base}`],
    zones: {},
    directoryUrl,
    keyType: 'ec256',
    owners: [`owner-${id}@example.test`],
    status: 'active',
    failureCount: 0,
    nextCheckAt: new Date(Date.now() - 1000).toISOString(),
  };
  await inventory.put(record);
}

const context = (id: string) => ({ awsRequestId: id, getRemainingTimeInMillis: () => 900_000, functionName: 'certbeat-bench' }) as unknown as Context;

await add(`${tag}-warmup`, `warmup.${tag}.bench.test`);
const warm = (await handler({ source: 'certbeat.schedule' }, context(`${tag}-warmup`))) as RunSummary;
if (warm.renewed.length !== 1) throw new Error(`warm-up did not issue: ${JSON.stringify(warm)}`);

for (let i = 0; i < count; i++) await add(`${tag}-${i}`, `n${i}.${tag}.bench.test`);
// Markers for the parent, which measures the testbed's CPU over exactly the timed part.
console.log('timed-start');
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const summary = (await handler({ source: 'certbeat.schedule' }, context(`${tag}-run`))) as RunSummary;
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
console.log('timed-end');
if (summary.renewed.length !== count) throw new Error(`certbeat issued ${summary.renewed.length}/${count}: ${JSON.stringify({ failed: summary.failed, skipped: summary.skipped })}`);
console.log(
  JSON.stringify({ wallMs, cpuMs: (cpu.user + cpu.system) / 1000, maxRssMiB: process.resourceUsage().maxRSS / 1024, heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20, issued: summary.renewed.length }),
);
