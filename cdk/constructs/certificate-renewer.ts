/**
 * The renewal Lambda: the bundled handler, its runtime configuration (variable names from
 * lambda/config.ts, so they never drift) and its least-privilege policy.
 */
import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { TABLE_KEYS } from '../../lambda/adapters/dynamodb/table-schema.js';
import { ENV } from '../../lambda/config.js';
import { challengeScope, type CertbeatConfig } from '../config.js';
import { BundledFunction } from './bundled-function.js';
import { nagResourceId } from './nag-ids.js';
import { ACM_RESIDUAL_RISK, certificateArnsInRegions, changesArn, hostedZoneArn, renewerStatements, sesIdentitiesArn, type RenewerResources } from './renewer-policy.js';

/** Powertools service name: the `service` dimension of the handler's metrics. */
export const SERVICE_NAME = 'certbeat';
/** Namespace of the metrics the handler publishes (Powertools Metrics, EMF). */
export const METRICS_NAMESPACE = 'certbeat';

export interface CertificateRenewerProps extends Omit<RenewerResources, 'pendingSecretsArn'> {
  /** Secret name prefix of the pending-import slot, e.g. `certbeat/<stack>/pending/`. */
  pendingSecretPrefix: string;
  config: CertbeatConfig;
  entry: string;
  projectRoot: string;
  tableName: string;
}

export class CertificateRenewer extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: CertificateRenewerProps) {
    super(scope, id);
    const { config } = props;
    const environment: Record<string, string> = {
      [ENV.tableName]: props.tableName,
      [ENV.dueIndexName]: TABLE_KEYS.dueIndexName,
      [ENV.sender]: config.sender,
      [ENV.accountSecretId]: props.accountSecretArn,
      [ENV.pendingSecretPrefix]: props.pendingSecretPrefix,
      [ENV.stackTag]: props.stackTag,
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    };
    // Empty values are left out: the runtime config treats absent and empty alike.
    if (config.defaultRecipients.length > 0) environment[ENV.defaultRecipients] = config.defaultRecipients.join(',');
    if (config.accountEmail) environment[ENV.accountEmail] = config.accountEmail;
    environment[ENV.mailLanguage] = config.mail.language;
    environment[ENV.timeZone] = config.mail.timeZone;
    if (Object.keys(config.zoneRoles).length > 0) environment[ENV.zoneRoles] = JSON.stringify(config.zoneRoles);
    if (Object.keys(config.caLimits).length > 0) environment[ENV.caLimits] = JSON.stringify(config.caLimits);
    // Resolved at synthesis (own list, else defaultRecipients), so the mail goes where the config says.
    if (config.digest) environment[ENV.digestRecipients] = config.digest.recipients.join(',');

    const fn = new BundledFunction(this, 'Renewer', {
      entry: props.entry,
      projectRoot: props.projectRoot,
      description: 'certbeat: renews the certificates in the inventory',
      timeout: Duration.minutes(15),
      memorySize: 1024,
      logRetentionDays: config.logRetentionDays,
      environment,
    });
    this.function = fn.function;
    this.role = fn.role;
    const pendingSecretsArn = Stack.of(this).formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${props.pendingSecretPrefix}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    for (const statement of renewerStatements(this, config, { ...props, pendingSecretsArn })) this.role.addToPolicy(statement);
    // A run that stops for time invokes this function again (asynchronously) to continue the same day.
    // A separate policy: in the role's default policy the function's own ARN would make a dependency cycle.
    new iam.Policy(this, 'ContinuationPolicy', {
      roles: [this.role],
      statements: [new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.function.functionArn] })],
    });
    this.acknowledgeWildcards(config, pendingSecretsArn);
  }

  /** The wildcards in the policy that the services leave no way around; each reason says why. */
  private acknowledgeWildcards(config: CertbeatConfig, pendingSecretsArn: string): void {
    const stack = Stack.of(this);
    const ack = (resource: string, reason: string) =>
      Validations.of(this.role).acknowledge({ id: `AwsSolutions-IAM5[Resource::${nagResourceId(stack, resource)}]`, reason });
    const scope = challengeScope(config);
    const usesLocalZones = [...scope.byZone.keys()].some((z) => !config.zoneRoles[z]) || scope.lookedUp.length > 0;
    if (usesLocalZones) {
      ack(
        changesArn(),
        'route53:GetChange polls the change a ChangeResourceRecordSets call just created; its id exists only at run time, and Route 53 offers no narrower ARN than change/*.',
      );
    }
    if (scope.lookedUp.length > 0) {
      ack(
        hostedZoneArn('*'),
        'Some configured names have no zoneId, so their zone is found at run time and cannot be named. The statement still allows only UPSERT/DELETE of TXT records at exactly the configured _acme-challenge names (route53:ChangeResourceRecordSets* condition keys), plus zone reads.',
      );
    }
    ack(
      '*',
      [
        scope.lookedUp.length > 0 ? 'route53:ListHostedZones (automatic zone lookup for names without zoneId) supports no resource-level permissions.' : '',
        'acm:ListCertificates supports no resource-level permissions; certbeat lists certificates only to find the one an import whose answer was lost stored (by its certbeat:id tag).',
      ].filter(Boolean).join(' '),
    );
    for (const arn of certificateArnsInRegions(stack, config)) ack(
      arn,
      `A first import has no ARN until ACM creates it, and certbeat learns the ARN only then. Every ACM statement is narrowed by this deployment's certbeat:stack tag: as a request tag for a new import (allowed only on a certificate without a certbeat:stack tag), as a resource tag for re-import and describe. Residual risk: ${ACM_RESIDUAL_RISK}`,
    );
    ack(
      pendingSecretsArn,
      'The pending-import slot keeps a certificate that ACM did not take (one secret per certificate id, created and deleted at run time), so the secrets cannot be named in advance; the wildcard covers only this stack\'s own pending/ name prefix.',
    );
    ack(
      sesIdentitiesArn(stack),
      'SES authorises a send against the verified identity that covers the sender (the address itself or its domain) and, in the SES sandbox, against each recipient identity, so the identities cannot be listed in advance; the ses:FromAddress condition pins the From address to the configured sender.',
    );
  }
}
