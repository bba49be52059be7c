/**
 * Wires adapters to the renewal service from a runtime config and a set of SDK clients. Shared by the
 * Lambda handler, the CLI and the end-to-end tests, so all three run the same code path.
 */
import { profileFinding } from './domain/profiles.js';
import { readFileSync } from 'node:fs';
import type { ACMClient } from '@aws-sdk/client-acm';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AcmCertificateStore } from './adapters/acm/acm-certificate-store.js';
import { AcmeCertificateAuthority } from './adapters/acme/acme-certificate-authority.js';
import { DynamoDbInventory } from './adapters/dynamodb/dynamodb-inventory.js';
import { DynamoDbBudgetStore } from './adapters/dynamodb/dynamodb-budget-store.js';
import { Route53DnsSolver } from './adapters/route53/route53-dns-solver.js';
import { SecretsManagerSecretStore } from './adapters/secretsmanager/secretsmanager-secret-store.js';
import { NodeDnsLookup } from './adapters/dns/node-dns-lookup.js';
import { SesNotifier } from './adapters/ses/ses-notifier.js';
import { caaIdentitiesFor } from './domain/ca-identity.js';
import { withCaLimits } from './domain/budget.js';
import { PREFLIGHT_CHECKS, blockingFindings, runPreflight, sharedLookups } from './domain/preflight.js';
import { ADOPTION_CHECK, adoptionFindings, isBeingAdopted } from './domain/adoption.js';
import type { RuntimeConfig } from './config.js';
import type { Finding } from './domain/notices.js';
import { CERTIFICATE_STACK_TAG } from './domain/model.js';
import type { Clock, DnsLookup, DnsSolver, RunLog } from './domain/ports.js';
import { PendingImports } from './domain/pending-imports.js';
import { targetRegions } from './domain/regional-imports.js';
import { RenewalService, type PreflightRequest, type RenewalServiceDeps } from './domain/renewal-service.js';

export interface AwsClients {
  route53: Route53Client;
  acm: ACMClient;
  sesv2: SESv2Client;
  dynamodb: DynamoDBClient;
  secretsManager: SecretsManagerClient;
  /** A Route 53 client for a zone in another account (assumed role), when configured. */
  route53ForZone?: (zoneId: string) => Route53Client;
  /** An ACM client for another region (certificates with `regions`); `acm` serves the deployment's own. */
  acmForRegion?: (region: string) => ACMClient;
}

export const systemClock: Clock = { now: () => new Date() };

export function createAdapters(config: RuntimeConfig, clients: AwsClients, log: RunLog, clock: Clock = systemClock) {
  const secrets = new SecretsManagerSecretStore(clients.secretsManager);
  return {
    inventory: new DynamoDbInventory({
      client: DynamoDBDocumentClient.from(clients.dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
      tableName: config.tableName,
      dueIndexName: config.dueIndexName,
    }),
    ca: new AcmeCertificateAuthority({
      secrets,
      accountSecretId: config.accountSecretId,
      accountEmail: config.accountEmail,
      clock,
      pollIntervalMs: config.acmePollMs,
      trustedCaPem: config.acmeCaFile ? readFileSync(config.acmeCaFile, 'utf8') : undefined,
      // The finalize key of an order waits here (encrypted) until its certificate is downloaded and checked.
      orderKeySecretPrefix: `${config.pendingSecretPrefix}order-keys/`,
      log,
    }),
    dns: new Route53DnsSolver({
      client: clients.route53,
      clientForZone: clients.route53ForZone,
      pollIntervalMs: config.route53PollMs,
      clock,
      log,
    }),
    store: new AcmCertificateStore(clients.acm, { ownerTags: ownerTags(config) }),
    storeFor: regionalStores(config.region, clients, ownerTags(config)),
    notifier: new SesNotifier({ client: clients.sesv2, from: config.sender }),
    secrets,
    pendingImports: new PendingImports(secrets, config.pendingSecretPrefix),
    // The configured CA limits ride on the store: the renewal service builds its budget from the store alone.
    budget: withCaLimits(new DynamoDbBudgetStore({ client: DynamoDBDocumentClient.from(clients.dynamodb), tableName: config.tableName }), config.caLimits),
  };
}

export function createRenewalService(
  config: RuntimeConfig,
  clients: AwsClients,
  log: RunLog,
  clock: Clock = systemClock,
  overrides: Partial<RenewalServiceDeps> = {},
  adapters: ReturnType<typeof createAdapters> = createAdapters(config, clients, log, clock),
): RenewalService {
  // Shared by the certificates of a run (a minute at most), not by the runs of a warm container.
  const lookup = sharedLookups(new NodeDnsLookup({ servers: config.dnsResolver ? [config.dnsResolver] : undefined }), 60_000, () => clock.now().getTime());
  return new RenewalService({
    ...adapters,
    homeRegion: config.region,
    preflight: preflightFor(config, lookup, adapters.dns, (url) => adapters.ca.profiles(url)),
    isBlocking: isBlockingForRenewal,
    clock,
    log,
    defaultRecipients: config.defaultRecipients,
    mailSettings: { timeZone: config.timeZone, language: config.mailLanguage },
    concurrency: config.concurrency,
    ...overrides,
  });
}

/** The pre-flight checks as a run (and `certbeat doctor`) performs them for this deployment. */
export function preflightFor(
  config: RuntimeConfig,
  lookup: DnsLookup,
  zones: Pick<DnsSolver, 'zoneDetails'>,
  /** The directory's `meta.profiles`; when given, a configured profile is checked against it (a warning). */
  profiles?: (directoryUrl: string) => Promise<Record<string, string>>,
) {
  return async (request: PreflightRequest): Promise<Finding[]> => {
    const findings = await runPreflight(
      {
        ...request,
        // The primary region of a certificate with `regions` (where `acmArn` and its users are).
        region: targetRegions(request.record, config.region)[0],
        caaIdentities: caaIdentitiesFor(request.record.directoryUrl, config.caaIdentities[request.record.directoryUrl]),
      },
      { dns: lookup, zones },
    );
    const { record } = request;
    // An adopted ARN (issue 9): exists, IMPORTED, the configured names, a key algorithm certbeat orders.
    if (isBeingAdopted(record)) findings.push(...adoptionFindings(record, request.stored));
    if (!profiles || !record.profile) return findings;
    const advertised = await profiles(record.directoryUrl).catch(() => undefined);
    const finding = advertised && profileFinding(record.profile, record.profileFallback, advertised, record.directoryUrl);
    return finding ? [...findings, finding] : findings;
  };
}

/** Whether a failing finding stops an order. A renewal keeps the key type ACM already has, so a changed keyType is reported, not blocking. */
export function isBlockingForRenewal(finding: Finding): boolean {
  if (!finding.ok && finding.check === ADOPTION_CHECK) return true;
  return blockingFindings([finding]).length > 0 && finding.check !== PREFLIGHT_CHECKS.keyType;
}

/**
 * One `AcmCertificateStore` per region (the `CertificateStore` port is per region): the deployment's own
 * region uses `clients.acm`, others `clients.acmForRegion` (created on first use, then reused).
 */
/** The tags every certificate this deployment imports or adopts carries (IAM ties re-import to them). */
function ownerTags(config: RuntimeConfig): Record<string, string> {
  return config.stackTag ? { [CERTIFICATE_STACK_TAG]: config.stackTag } : {};
}

export function regionalStores(
  homeRegion: string,
  clients: Pick<AwsClients, 'acm' | 'acmForRegion'>,
  ownerTags: Record<string, string> = {},
): ((region: string) => AcmCertificateStore) | undefined {
  if (!clients.acmForRegion) return undefined;
  const stores = new Map<string, AcmCertificateStore>();
  return (region) => {
    let store = stores.get(region);
    if (!store) {
      store = new AcmCertificateStore(region === homeRegion ? clients.acm : clients.acmForRegion!(region), { ownerTags });
      stores.set(region, store);
    }
    return store;
  };
}
