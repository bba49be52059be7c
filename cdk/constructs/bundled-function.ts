/**
 * A Node.js Lambda with certbeat's defaults: bundled locally by esbuild into one minified ESM file
 * (no Docker) with the options and plugin of cdk/bundle/renewer-bundle.ts (run as a child process,
 * since CDK's local bundling is synchronous and esbuild plugins need its asynchronous API), arm64, its own log group with a retention, and its own role that can write only to that
 * log group (no AWSLambdaBasicExecutionRole, which grants logs on every group).
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetHashType, DockerImage, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The Lambda runtime: the newest Node.js LTS Lambda offers (certbeat needs Node 22 or newer). */
export const RUNTIME = lambda.Runtime.NODEJS_24_X;

/** The bundler script (its options are what the bundle test builds with). */
const BUNDLER = join(dirname(fileURLToPath(import.meta.url)), '..', 'bundle', 'renewer-bundle.ts');

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
  readonly function: lambda.Function;
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
    const projectRoot = props.projectRoot;
    const entry = props.entry;
    this.function = new lambda.Function(this, 'Function', {
      // The asset is the bundle; its hash is the bundle's (the source directory only anchors it).
      code: lambda.Code.fromAsset(dirname(entry), {
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          image: DockerImage.fromRegistry('certbeat-bundles-locally-only'),
          local: {
            tryBundle(outputDir: string): boolean {
              execFileSync(process.execPath, ['--import', 'tsx', BUNDLER, entry, outputDir], { cwd: projectRoot, stdio: ['ignore', 'ignore', 'inherit'] });
              return true;
            },
          },
        },
      }),
      handler: 'index.handler',
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
    });
  }
}
