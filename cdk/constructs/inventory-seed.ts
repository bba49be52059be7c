/**
 * Deploy-time work, done by one small Lambda (lambda/seed/seed-handler.ts) behind two custom resources:
 * - `Custom::CertbeatInventorySeed` writes the configured certificates into the inventory (creating
 *   them, or updating only their configuration fields) and pauses the ones removed from the config.
 *   The config travels as a property, so every config change is an update.
 * - `Custom::CertbeatDeployRun` starts one renewal run (asynchronously) after the seed, whenever the
 *   config or the renewal function changes, so a new certificate does not wait for the schedule. It
 *   never fails the deployment: a renewal failure is reported by mail and alarms, not by CloudFormation.
 */
import { createHash } from 'node:crypto';
import { CustomResource, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { CertbeatConfig } from '../config.js';
import { BundledFunction } from './bundled-function.js';

export const SEED_RESOURCE_TYPE = 'Custom::CertbeatInventorySeed';
export const DEPLOY_RUN_RESOURCE_TYPE = 'Custom::CertbeatDeployRun';

export interface InventorySeedProps {
  config: CertbeatConfig;
  entry: string;
  projectRoot: string;
  tableName: string;
  tableArn: string;
  renewer: lambda.Function;
}

export class InventorySeed extends Construct {
  readonly seed: CustomResource;
  readonly deployRun: CustomResource;
  readonly function: lambda.Function;

  constructor(scope: Construct, id: string, props: InventorySeedProps) {
    super(scope, id);
    const fn = new BundledFunction(this, 'Seeder', {
      entry: props.entry,
      projectRoot: props.projectRoot,
      description: 'certbeat: writes the configured certificates into the inventory at deploy',
      timeout: Duration.minutes(5),
      memorySize: 256,
      logRetentionDays: props.config.logRetentionDays,
    });
    this.function = fn.function;
    fn.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteInventory',
        // put() and setStatus() are conditional UpdateItem calls; get() reads an item.
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [props.tableArn],
      }),
    );
    fn.role.addToPolicy(
      new iam.PolicyStatement({ sid: 'StartDeployRun', actions: ['lambda:InvokeFunction'], resources: [props.renewer.functionArn] }),
    );

    // CloudFormation passes property values as strings; one JSON string keeps the types intact.
    const certificates = JSON.stringify(props.config.certificates);
    this.seed = new CustomResource(this, 'Seed', {
      serviceToken: fn.function.functionArn,
      resourceType: SEED_RESOURCE_TYPE,
      serviceTimeout: Duration.minutes(5),
      properties: {
        TableName: props.tableName,
        Certificates: certificates,
      },
    });
    // The handler must be able to write logs and the table before CloudFormation calls it.
    this.seed.node.addDependency(fn.role);

    // A new Lambda version exists whenever code or configuration changes: that is when to run again.
    const version = props.renewer.currentVersion;
    this.deployRun = new CustomResource(this, 'DeployRun', {
      serviceToken: fn.function.functionArn,
      resourceType: DEPLOY_RUN_RESOURCE_TYPE,
      serviceTimeout: Duration.minutes(2),
      properties: {
        FunctionName: props.renewer.functionName,
        RenewerVersion: version.version,
        ConfigHash: createHash('sha256').update(certificates).digest('hex'),
      },
    });
    this.deployRun.node.addDependency(this.seed);
  }
}
