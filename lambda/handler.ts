/**
 * The Lambda entry: composition root. Validates the runtime config once per container, builds the
 * clients and the service, and runs over what the event asks for. Thin on purpose: all behaviour lives
 * in the domain and the adapters.
 */
import { ACMClient } from '@aws-sdk/client-acm';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { LambdaInvoker, environmentCredentials } from './adapters/lambda/lambda-invoker.js';
import { createAdapters, createRenewalService, systemClock, type AwsClients } from './composition.js';
import { loadRuntimeConfig, type RuntimeConfig } from './config.js';
import { invokeContinuation, stoppedForTime } from './continuation.js';
import { certbeatIdsOf, nextContinuation, parseEvent } from './event.js';
import { sendDigest } from './domain/digest.js';
import { ZONE_ROLE_SESSION_NAME } from './domain/model.js';
import type { RunLog } from './domain/ports.js';
import type { RenewalService } from './domain/renewal-service.js';
import { emptySummary, type RunSummary } from './domain/run-summary.js';

const logger = new Logger({ serviceName: 'certbeat' });
const metrics = new Metrics({ namespace: 'certbeat', serviceName: 'certbeat' });

let built:
  | { config: RuntimeConfig; service: RenewalService; adapters: ReturnType<typeof createAdapters>; lambda: LambdaInvoker; log: RunLog }
  | undefined;

function build() {
  if (built) return built;
  const config = loadRuntimeConfig();
  // The DNS solver retries Route 53 itself within the run's deadline; SDK retries would multiply them.
  const route53 = new Route53Client({ maxAttempts: 1 });
  const clients: AwsClients = {
    route53,
    acm: new ACMClient({}),
    sesv2: new SESv2Client({}),
    dynamodb: new DynamoDBClient({}),
    secretsManager: new SecretsManagerClient({}),
    route53ForZone: zoneClients(config.zoneRoles, route53),
    // Certificates with `regions` are imported into each; one client per region, made on first use.
    acmForRegion: (region) => new ACMClient({ region }),
  };
  const log = {
    info: (message: string, attributes: Record<string, unknown> = {}) => logger.info(message, attributes),
    warn: (message: string, attributes: Record<string, unknown> = {}) => logger.warn(message, attributes),
    error: (message: string, attributes: Record<string, unknown> = {}) => logger.error(message, attributes),
  };
  const adapters = createAdapters(config, clients, log);
  // Only for the continuation of a run that stopped for time (an asynchronous invoke of this function).
  // (A signed HTTPS call, not @aws-sdk/client-lambda: see lambda/adapters/lambda/lambda-invoker.ts.)
  const lambda = new LambdaInvoker({ region: config.region, credentials: () => environmentCredentials() });
  built = { config, adapters, lambda, log, service: createRenewalService(config, clients, log, systemClock, {}, adapters) };
  return built;
}

/** Zones in other accounts are reached through a role assumed per zone; others use the default client. */
function zoneClients(roles: Record<string, string>, fallback: Route53Client) {
  const cache = new Map<string, Route53Client>();
  return (zoneId: string) => {
    const roleArn = roles[zoneId];
    if (!roleArn) return fallback;
    let client = cache.get(zoneId);
    if (!client) {
      client = new Route53Client({ maxAttempts: 1, credentials: fromTemporaryCredentials({ params: { RoleArn: roleArn, RoleSessionName: ZONE_ROLE_SESSION_NAME } }) });
      cache.set(zoneId, client);
    }
    return client;
  };
}

export type HandlerResult = RunSummary | { digest: { sent: boolean; certificates: number } };

export const handler = async (event: unknown, context: Context): Promise<HandlerResult> => {
  logger.addContext(context);
  const { service, config, adapters, lambda, log } = build();
  const request = parseEvent(event);
  if (request.trigger === 'acm-expiry') {
    // One ListTagsForCertificate per ARN: other certificates in the account must not start a run each.
    request.ids = await certbeatIdsOf(request.arns ?? [], adapters.store);
    if (request.ids.length === 0) {
      logger.info('not a certbeat certificate', { arns: request.arns });
      return emptySummary();
    }
  }
  logger.info('run started', { trigger: request.trigger, ids: request.ids, continuation: request.continuation });
  if (request.trigger === 'digest') {
    const recipients = config.digestRecipients.length > 0 ? config.digestRecipients : config.defaultRecipients;
    const digest = await sendDigest({ inventory: adapters.inventory, notifier: adapters.notifier, clock: systemClock, timeZone: config.timeZone, budget: adapters.budget }, recipients);
    logger.info('digest', digest);
    return { digest };
  }
  const summary = await service.run({
    invocationId: context.awsRequestId,
    remainingMs: () => context.getRemainingTimeInMillis(),
    ids: request.ids,
    force: request.force,
    // ACM sends its expiry event daily per certificate, the ARI check runs 6-hourly: invalid items are
    // mailed by the daily schedule only.
    mailInvalidItems: !['acm-expiry', 'ari-check', 'continuation'].includes(request.trigger),
  });
  metrics.addMetric('CertificatesRenewed', MetricUnit.Count, summary.renewed.length);
  metrics.addMetric('RenewalFailures', MetricUnit.Count, summary.failed.length);
  metrics.addMetric('InvalidItems', MetricUnit.Count, summary.invalid.length);
  // Alarmed on: an owner who is not told is the one failure certbeat must never keep quiet about.
  metrics.addMetric('MailsNotSent', MetricUnit.Count, summary.mailsNotSent.length);
  metrics.publishStoredMetrics();
  // A fleet larger than one run continues now, in a fresh invocation, rather than at the next schedule.
  if (stoppedForTime(summary)) {
    const next = nextContinuation(request);
    if (next) await invokeContinuation(lambda, context.invokedFunctionArn || context.functionName, next, log);
    else logger.warn('no continuation: the rest waits for the next schedule', { trigger: request.trigger, continuation: request.continuation });
  }
  return summary;
};
