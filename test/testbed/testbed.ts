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
import { startFaultProxy, protocols, type FaultProxy } from './fault-proxy.js';
import { startPebble, type Pebble } from './pebble.js';
import { startRoute53Emulator, type Route53Emulator } from './route53-emulator.js';
import { startSecretsManagerEmulator } from './secretsmanager-emulator.js';
import { startSes, type SesCapture } from './ses.js';

export interface TestbedOptions {
  /** When given, pebble requires External Account Binding with these kid → base64url HMAC keys. */
  eabKeys?: Record<string, string>;
  /** Lifetime of certificates pebble issues, in seconds (default: 90 days). */
  certificateValiditySeconds?: number;
  /** pebble environment overrides over the quiet defaults, e.g. `{ PEBBLE_WFE_NONCEREJECT: '20' }`. */
  pebbleEnv?: Record<string, string>;
  /**
   * Puts a fault proxy in front of every service (pebble's ACME endpoint included) and points `env`,
   * `clients()` and `directoryUrl` at the proxies; the handles are `faults.<service>`.
   */
  faults?: boolean;
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

/** The fault proxies of a testbed started with `faults: true`, one per service. */
export interface TestbedFaults {
  acm: FaultProxy;
  secretsManager: FaultProxy;
  dynamodb: FaultProxy;
  ses: FaultProxy;
  route53: FaultProxy;
  /** In front of pebble's ACME listener (TLS terminated with pebble's own listener certificate). */
  acme: FaultProxy;
}

/** Where clients reach each service: the servers themselves, or their fault proxies. */
export interface TestbedEndpoints {
  route53: string;
  acm: string;
  dynamodb: string;
  ses: string;
  secretsManager: string;
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
  /** pebble's ACME directory URL (through the ACME fault proxy when `faults` is on). */
  directoryUrl: string;
  /** What `env` and `clients()` use: the servers' endpoints, or the fault proxies'. */
  endpoints: TestbedEndpoints;
  /** The fault proxies; present only when started with `faults: true`. */
  faults?: TestbedFaults;
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
export async function startTestbed(opts: TestbedOptions & { faults: true }): Promise<Testbed & { faults: TestbedFaults }>;
export async function startTestbed(opts?: TestbedOptions): Promise<Testbed>;
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
      startPebble({
        dnsServer: challtestsrv.dnsAddress,
        eabKeys: opts.eabKeys,
        certificateValiditySeconds: opts.certificateValiditySeconds,
        env: opts.pebbleEnv,
      }),
      startRoute53Emulator({ challtestsrvManagementUrl: challtestsrv.managementUrl, insyncAfterMs: opts.insyncAfterMs }),
      startDynaliteWithTable(),
      startSes(),
      startAcmEmulator({ region: TESTBED_REGION }),
      startSecretsManagerEmulator(),
    ],
    [['dns server', dns], ['challtestsrv', challtestsrv]],
  );

  const servers: Array<[string, Stoppable]> = [
    ['pebble', pebble],
    ['route53 emulator', route53],
    ['dynalite', dynalite],
    ['aws-ses-v2-local', ses],
    ['acm emulator', acm],
    ['secrets manager emulator', secretsManager],
    ['dns server', dns],
    ['challtestsrv', challtestsrv],
  ];
  const faults = opts.faults
    ? await startFaultProxies({ pebble, route53, dynalite, ses, acm, secretsManager }).catch(async (err: unknown) => {
        await stopAll(servers).catch(() => undefined);
        throw err;
      })
    : undefined;
  const endpoints: TestbedEndpoints = {
    route53: faults?.route53.endpoint ?? route53.endpoint,
    acm: faults?.acm.endpoint ?? acm.endpoint,
    dynamodb: faults?.dynamodb.endpoint ?? dynalite.endpoint,
    ses: faults?.ses.endpoint ?? ses.endpoint,
    secretsManager: faults?.secretsManager.endpoint ?? secretsManager.endpoint,
  };
  // The proxy forwards the Host header, so pebble writes every URL it hands out with the proxy's port.
  const directoryUrl = faults ? new URL(new URL(pebble.directoryUrl).pathname, faults.acme.endpoint).toString() : pebble.directoryUrl;

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
    directoryUrl,
    endpoints,
    ...(faults ? { faults } : {}),
    tableName,
    get env() {
      return testbedEnv(testbed);
    },
    clients() {
      clients ??= {
        route53: new Route53Client(clientConfig(endpoints.route53)),
        acm: new ACMClient(clientConfig(endpoints.acm)),
        sesv2: new SESv2Client(clientConfig(endpoints.ses)),
        dynamodb: new DynamoDBClient(clientConfig(endpoints.dynamodb)),
        secretsManager: new SecretsManagerClient(clientConfig(endpoints.secretsManager)),
      };
      return clients;
    },
    stop() {
      stopping ??= (async () => {
        // Clients first: their idle keep-alive sockets would otherwise hold servers' close() open.
        if (clients) for (const c of Object.values(clients)) c.destroy();
        await stopAll([...servers, ...Object.entries(faults ?? {}).map(([name, p]): [string, Stoppable] => [`${name} fault proxy`, p])]);
      })();
      return stopping;
    },
  };
  return testbed;
}

/** One fault proxy per service, each speaking (and faking errors in) that service's wire protocol. */
async function startFaultProxies(s: {
  pebble: Pebble;
  route53: Route53Emulator;
  dynalite: RunningDynalite;
  ses: SesCapture;
  acm: AcmEmulator;
  secretsManager: { endpoint: string };
}): Promise<TestbedFaults> {
  const names = ['acm', 'secretsManager', 'dynamodb', 'ses', 'route53', 'acme'] as const;
  const started = await Promise.allSettled([
    startFaultProxy({ upstream: s.acm.endpoint, protocol: protocols.awsJson11 }),
    startFaultProxy({ upstream: s.secretsManager.endpoint, protocol: protocols.awsJson11 }),
    startFaultProxy({ upstream: s.dynalite.endpoint, protocol: protocols.dynamoDb }),
    startFaultProxy({ upstream: s.ses.endpoint, protocol: protocols.sesV2 }),
    startFaultProxy({ upstream: s.route53.endpoint, protocol: protocols.route53Xml }),
    startFaultProxy({
      upstream: new URL(s.pebble.directoryUrl).origin,
      protocol: protocols.acme,
      tls: { ...s.pebble.tlsListener, upstreamCaPem: s.pebble.tlsCaPem },
    }),
  ]);
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.allSettled(started.map(async (r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    throw new Error(`testbed: a fault proxy did not start: ${String((failed.reason as Error)?.message ?? failed.reason)}`, { cause: failed.reason });
  }
  const proxies = started.map((r) => (r as PromiseFulfilledResult<FaultProxy>).value);
  return Object.fromEntries(names.map((n, i) => [n, proxies[i]])) as unknown as TestbedFaults;
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
    AWS_ENDPOINT_URL_ROUTE_53: tb.endpoints.route53,
    AWS_ENDPOINT_URL_ACM: tb.endpoints.acm,
    AWS_ENDPOINT_URL_DYNAMODB: tb.endpoints.dynamodb,
    AWS_ENDPOINT_URL_SESV2: tb.endpoints.ses,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: tb.endpoints.secretsManager,
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
