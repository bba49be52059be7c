/**
 * certbeat as one construct, for any CDK app: inventory table, account key secret, renewal Lambda with
 * least privilege, deploy-time seed and first run, schedule and ACM trigger, alarms and dashboard, and
 * the stack outputs the CLI reads. CertbeatStack is this construct alone in a stack.
 *
 *   import { Certbeat, parseConfig } from 'certbeat';
 *   new Certbeat(stack, 'Certbeat', { config: parseConfig(rawConfig) });
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArnFormat, CfnOutput, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { CertbeatConfig } from './config.js';
import { CertificateRenewer } from './constructs/certificate-renewer.js';
import { InventorySeed } from './constructs/inventory-seed.js';
import { InventoryTable } from './constructs/inventory-table.js';
import { Monitoring } from './constructs/monitoring.js';
import { RenewalTriggers } from './constructs/renewal-triggers.js';

/** The package root (package.json, package-lock.json, lambda/). */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface CertbeatProps {
  config: CertbeatConfig;
  /** Entry of the renewal Lambda; default lambda/handler.ts of this package. */
  renewerEntry?: string;
  /** Entry of the deploy-time seed Lambda; default lambda/seed/seed-handler.ts of this package. */
  seedEntry?: string;
  /**
   * This deployment's name: the `certbeat:stack` tag value its certificates carry (IAM ties re-imports
   * to it) and part of its secret names. Default: the stack name, or `<stack>-<id>` for a construct
   * that is not the stack's only certbeat. Two deployments in one account and region must differ.
   */
  deploymentName?: string;
}

/** Names of the stack outputs the CLI reads. */
export const OUTPUTS = {
  tableName: 'TableName',
  functionName: 'FunctionName',
  functionArn: 'FunctionArn',
  accountSecretId: 'AccountSecretId',
  /** The configured sender; the CLI's fallback when the function's environment lacks it. */
  sender: 'Sender',
  /** The renewal Lambda's role: the principal a zone role in another account trusts (CertbeatZoneRole). */
  renewerRoleArn: 'RenewerRoleArn',
} as const;

/**
 * ARN pattern of a secret given by name or ARN. Secrets Manager appends "-" and 6 random characters
 * to the name, so a name (or a partial ARN) matches with `-??????`.
 */
export function secretArnPattern(stack: Stack, nameOrArn: string): string {
  if (nameOrArn.startsWith('arn:')) return /-[A-Za-z0-9]{6}$/.test(nameOrArn) ? nameOrArn : `${nameOrArn}-??????`;
  return stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${nameOrArn}-??????`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

/** The construct id under which CertbeatStack holds its Certbeat: CDK leaves "Default" out of logical ids. */
export const STACK_CHILD_ID = 'Default';

export class Certbeat extends Construct {
  readonly deploymentName: string;
  readonly inventory: InventoryTable;
  readonly accountSecret: secretsmanager.Secret;
  readonly renewer: CertificateRenewer;
  readonly triggers: RenewalTriggers;
  readonly seed: InventorySeed;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: CertbeatProps) {
    super(scope, id);
    const { config } = props;
    const stack = Stack.of(this);
    this.deploymentName = props.deploymentName ?? (id === STACK_CHILD_ID && scope === stack ? stack.stackName : `${stack.stackName}-${id}`);

    this.inventory = new InventoryTable(this, 'Inventory');
    this.accountSecret = new secretsmanager.Secret(this, 'AcmeAccountKey', {
      description: 'certbeat: ACME account key (written by the renewal Lambda on first use)',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Created empty (CloudFormation allows a secret with no value): the Lambda generates the key and
    // stores it, so it is never in the template and never a random password.
    const cfnSecret = this.accountSecret.node.defaultChild as secretsmanager.CfnSecret;
    cfnSecret.addPropertyDeletionOverride('GenerateSecretString');

    const eabSecretArns = [...new Set(config.certificates.flatMap((c) => (c.eabSecretId ? [c.eabSecretId] : [])))]
      .sort()
      .map((s) => secretArnPattern(stack, s));

    this.renewer = new CertificateRenewer(this, 'Renewal', {
      config,
      entry: props.renewerEntry ?? join(PROJECT_ROOT, 'lambda', 'handler.ts'),
      projectRoot: PROJECT_ROOT,
      tableName: this.inventory.table.tableName,
      tableArn: this.inventory.table.tableArn,
      dueIndexArn: this.inventory.dueIndexArn,
      accountSecretArn: this.accountSecret.secretArn,
      eabSecretArns,
      pendingSecretPrefix: `certbeat/${this.deploymentName}/pending/`,
      stackTag: this.deploymentName,
    });

    this.seed = new InventorySeed(this, 'Deploy', {
      config,
      entry: props.seedEntry ?? join(PROJECT_ROOT, 'lambda', 'seed', 'seed-handler.ts'),
      projectRoot: PROJECT_ROOT,
      tableName: this.inventory.table.tableName,
      tableArn: this.inventory.table.tableArn,
      renewer: this.renewer.function,
    });

    // The first run needs the renewer's new permissions (e.g. for a name just added) in place.
    this.seed.deployRun.node.addDependency(this.renewer);

    this.triggers = new RenewalTriggers(this, 'Triggers', { config, function: this.renewer.function });
    this.monitoring = new Monitoring(this, 'Monitoring', { config, function: this.renewer.function });

    new CfnOutput(this, OUTPUTS.tableName, { value: this.inventory.table.tableName, description: 'certbeat inventory table' });
    new CfnOutput(this, OUTPUTS.functionName, { value: this.renewer.function.functionName, description: 'certbeat renewal Lambda' });
    new CfnOutput(this, OUTPUTS.functionArn, { value: this.renewer.function.functionArn });
    new CfnOutput(this, OUTPUTS.renewerRoleArn, {
      value: this.renewer.role.roleArn,
      description: 'renewal Lambda role: the principal CertbeatZoneRole trusts in accounts that own zones',
    });
    new CfnOutput(this, OUTPUTS.accountSecretId, { value: this.accountSecret.secretArn, description: 'ACME account key secret' });
    new CfnOutput(this, OUTPUTS.sender, { value: config.sender, description: 'SES sender address of certbeat mail' });
    new CfnOutput(this, 'ScheduleTime', { value: `${this.triggers.time} ${config.schedule.timezone ?? 'UTC'}`, description: 'daily run' });

    this.acknowledgeFindings();
  }

  /** cdk-nag findings that are inherent to what certbeat does; each says why. */
  private acknowledgeFindings(): void {
    Validations.of(this.accountSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The secret holds the ACME account key. Secrets Manager rotation cannot rotate it: a new key must be registered with the CA (ACME key change), which certbeat does not automate; the key never leaves the Lambda.',
    });
  }
}
