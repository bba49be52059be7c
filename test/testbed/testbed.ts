/**
 * The whole local testbed in one call: challtestsrv (DNS), pebble (ACME CA validating against that
 * DNS), dynalite with the inventory table, SES capture, and the project's Route 53 (mirroring
 * challenge TXT records into challtestsrv), ACM and Secrets Manager emulators. Everything listens on
 * ephemeral loopback ports; `env` holds what certbeat (or the AWS CLI / SDK) needs to reach them.
 */
import { ACMClient } from '@aws-sdk/client-acm';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { ENV } from '../../lambda/config.js';
import { startAcmEmulator, type AcmEmulator } from './acm-emulator.js';
import { startChalltestsrv, type Challtestsrv } from './challtestsrv.js';
import { startDnsServer, type DnsServer } from './dns-server.js';
import { createInventoryTable, startDynalite, type RunningDynalite } from './dynalite.js';
import { startPebble, type Pebble } from './pebble.js';
import { startRoute53Emulator, type Route53Emulator } from './route53-emulator.js';
import { startSecretsManagerEmulator } from './secretsmanager-emulator.js';
import { startSes, type SesCapture } from './ses.js';

export interface TestbedOptions {
  /** When given, pebble requires External Account Binding with these kid → base64url HMAC keys. */
  eabKeys?: Record<string, string>;
  /** Lifetime of certificates pebble issues, in seconds (default: pebble's five years). */
  certificateValiditySeconds?: number;
  /** How long the Route 53 emulator reports a change PENDING before INSYNC (its default otherwise). */
  insyncAfterMs?: number;
  /** Inventory table name; default `certbeat-inventory`. */
  tableName?: string;
}

/** SDK clients pointed at the testbed with its test credentials. */
export interface TestbedClients {
  route53: Route53Client;
  acm: ACMClient;
  sesv2: SESv2Client;
  dynamodb: DynamoDBClient;
  secretsManager: SecretsManagerClient;
}


export interface Testbed {
  challtestsrv: Challtestsrv;
  pebble: Pebble;
  dynalite: RunningDynalite;
  ses: SesCapture;
  route53: Route53Emulator;
  acm: AcmEmulator;
  secretsManager: { endpoint: string; stop(): Promise<void> };
  /**
   * The resolver for pre-flight checks (CERTBEAT_DNS_RESOLVER): answers crafted NS/CAA/CNAME records set
   * with `setRecords`, forwards everything else to challtestsrv.
   */
  dns: DnsServer;
  /** pebble's ACME directory URL. */
  directoryUrl: string;
  tableName: string;
  /** Environment for certbeat and the AWS SDK: region, test credentials, endpoints, CERTBEAT_* settings. */
  env: Record<string, string>;
  /** The same clients on every call; destroyed by stop(). */
  clients(): TestbedClients;
  /** Stops every server, even when one of them fails to stop; idempotent. Rejects with the failures. */
  stop(): Promise<void>;
}

export const TESTBED_REGION = 'us-east-1';
/** Placeholder credentials: the emulators need a SigV4 header, never a real key. */
export const TESTBED_CREDENTIALS = { accessKeyId: 'AKIATESTBED000000000', secretAccessKey: 'testbed-secret-access-key' };
export const TESTBED_SENDER = 'certbeat@testbed.example';
export const TESTBED_ACCOUNT_SECRET_ID = 'certbeat/acme-account';

type Stoppable = { stop(): Promise<void> };

/** Stops all, in parallel; rejects with an AggregateError naming each that failed. */
async function stopAll(parts: Array<[string, Stoppable | undefined]>): Promise<void> {
  const results = await Promise.allSettled(parts.map(async ([, p]) => p?.stop()));
  const failures = results.flatMap((r, i) =>
    r.status === 'rejected' ? [new Error(`stopping ${parts[i][0]} failed: ${String((r.reason as Error)?.message ?? r.reason)}`, { cause: r.reason })] : [],
  );
  if (failures.length > 0) throw new AggregateError(failures, `testbed stop: ${failures.map((f) => f.message).join('; ')}`);
}

/** Unwraps settled start-ups; on any failure, stops what did start and rethrows the first failure. */
async function settleAll<T extends readonly unknown[]>(
  names: string[],
  promises: { [K in keyof T]: Promise<T[K]> },
  alsoStop: Array<[string, Stoppable | undefined]>,
): Promise<T> {
  const results = await Promise.allSettled(promises as unknown as Array<Promise<unknown>>);
  const failed = results.findIndex((r) => r.status === 'rejected');
  if (failed === -1) return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
  const started = results.flatMap((r, i): Array<[string, Stoppable]> =>
    r.status === 'fulfilled' && r.value && typeof (r.value as Stoppable).stop === 'function' ? [[names[i], r.value as Stoppable]] : [],
  );
  await stopAll([...started, ...alsoStop]).catch(() => undefined);
  const reason = (results[failed] as PromiseRejectedResult).reason as unknown;
  throw new Error(`testbed: ${names[failed]} did not start: ${reason instanceof Error ? reason.message : String(reason)}`, {
    cause: reason,
  });
}

/** Starts every server of the testbed (in parallel where nothing depends on another). */
export async function startTestbed(opts: TestbedOptions = {}): Promise<Testbed> {
  const tableName = opts.tableName ?? 'certbeat-inventory';
  const challtestsrv = await startChalltestsrv();
  const dns = await startDnsServer({ forward: challtestsrv.dnsAddress });

  const startDynaliteWithTable = async (): Promise<RunningDynalite> => {
    const dynalite = await startDynalite();
    const client = new DynamoDBClient(clientConfig(dynalite.endpoint));
    try {
      await createInventoryTable(client, tableName);
      return dynalite;
    } catch (err) {
      await dynalite.stop().catch(() => undefined);
      throw err;
    } finally {
      client.destroy();
    }
  };

  const [pebble, route53, dynalite, ses, acm, secretsManager] = await settleAll<
    [Pebble, Route53Emulator, RunningDynalite, SesCapture, AcmEmulator, { endpoint: string; stop(): Promise<void> }]
  >(
    ['pebble', 'route53 emulator', 'dynalite', 'aws-ses-v2-local', 'acm emulator', 'secrets manager emulator'],
    [
      startPebble({ dnsServer: challtestsrv.dnsAddress, eabKeys: opts.eabKeys, certificateValiditySeconds: opts.certificateValiditySeconds }),
      startRoute53Emulator({ challtestsrvManagementUrl: challtestsrv.managementUrl, insyncAfterMs: opts.insyncAfterMs }),
      startDynaliteWithTable(),
      startSes(),
      startAcmEmulator({ region: TESTBED_REGION }),
      startSecretsManagerEmulator(),
    ],
    [['dns server', dns], ['challtestsrv', challtestsrv]],
  );

  let clients: TestbedClients | undefined;
  let stopping: Promise<void> | undefined;

  const testbed: Testbed = {
    challtestsrv,
    pebble,
    dynalite,
    ses,
    route53,
    acm,
    secretsManager,
    dns,
    directoryUrl: pebble.directoryUrl,
    tableName,
    get env() {
      return testbedEnv(testbed);
    },
    clients() {
      clients ??= {
        route53: new Route53Client(clientConfig(route53.endpoint)),
        acm: new ACMClient(clientConfig(acm.endpoint)),
        sesv2: new SESv2Client(clientConfig(ses.endpoint)),
        dynamodb: new DynamoDBClient(clientConfig(dynalite.endpoint)),
        secretsManager: new SecretsManagerClient(clientConfig(secretsManager.endpoint)),
      };
      return clients;
    },
    stop() {
      stopping ??= (async () => {
        // Clients first: their idle keep-alive sockets would otherwise hold servers' close() open.
        if (clients) for (const c of Object.values(clients)) c.destroy();
        await stopAll([
          ['pebble', pebble],
          ['route53 emulator', route53],
          ['dynalite', dynalite],
          ['aws-ses-v2-local', ses],
          ['acm emulator', acm],
          ['secrets manager emulator', secretsManager],
          ['dns server', testbed.dns],
          ['challtestsrv', challtestsrv],
        ]);
      })();
      return stopping;
    },
  };
  return testbed;
}

function clientConfig(endpoint: string) {
  return { region: TESTBED_REGION, endpoint, credentials: TESTBED_CREDENTIALS, maxAttempts: 2 };
}

/**
 * The environment a certbeat process needs to run against `tb`. The service-specific endpoint
 * variables are the SDK's (`AWS_ENDPOINT_URL_` + the service id upper-cased, spaces → `_`).
 */
export function testbedEnv(tb: Omit<Testbed, 'env' | 'clients' | 'stop'>): Record<string, string> {
  const env: Record<string, string> = {
    AWS_REGION: TESTBED_REGION,
    AWS_ACCESS_KEY_ID: TESTBED_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TESTBED_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_ROUTE_53: tb.route53.endpoint,
    AWS_ENDPOINT_URL_ACM: tb.acm.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: tb.dynalite.endpoint,
    AWS_ENDPOINT_URL_SESV2: tb.ses.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: tb.secretsManager.endpoint,
    NODE_EXTRA_CA_CERTS: tb.pebble.tlsCaFile,
    [ENV.tableName]: tb.tableName,
    [ENV.sender]: TESTBED_SENDER,
    [ENV.accountSecretId]: TESTBED_ACCOUNT_SECRET_ID,
    [ENV.acmeCaFile]: tb.pebble.tlsCaFile,
    [ENV.route53PollMs]: '50',
    [ENV.acmePollMs]: '100',
  };
  if (tb.dns) env[ENV.dnsResolver] = tb.dns.address;
  return env;
}
