/**
 * A Node.js Lambda with certbeat's defaults: bundled locally by esbuild into one minified ESM file
 * (no Docker), arm64, its own log group with a retention, and its own role that can write only to that
 * log group (no AWSLambdaBasicExecutionRole, which grants logs on every group).
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The Lambda runtime: the newest Node.js LTS Lambda offers (certbeat needs Node 22 or newer). */
export const RUNTIME = lambda.Runtime.NODEJS_24_X;

// ESM bundles still contain CommonJS dependencies that call require(); give them one.
const ESM_REQUIRE_BANNER =
  "import { createRequire as __certbeatCreateRequire } from 'node:module'; const require = __certbeatCreateRequire(import.meta.url);";

export interface BundledFunctionProps {
  /** Absolute path of the TypeScript entry file exporting `handler`. */
  entry: string;
  /** Directory holding package.json and package-lock.json. */
  projectRoot: string;
  description: string;
  timeout: Duration;
  memorySize: number;
  logRetentionDays: number;
  environment?: Record<string, string>;
}

export class BundledFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: BundledFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `certbeat: ${props.description}`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      projectRoot: props.projectRoot,
      depsLockFilePath: `${props.projectRoot}/package-lock.json`,
      runtime: RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      description: props.description,
      timeout: props.timeout,
      memorySize: props.memorySize,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: props.environment,
      // Old versions are only deploy markers (see InventorySeed); do not keep their code around.
      currentVersionOptions: { removalPolicy: RemovalPolicy.DESTROY },
      bundling: {
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        sourceMap: false,
        // Bundle the AWS SDK too: the version tested is the version that runs.
        externalModules: [],
        forceDockerBundling: false,
      },
    });
  }
}
