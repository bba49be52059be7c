/**
 * Finding the target the CLI works on.
 *
 * - When CERTBEAT_TABLE_NAME is set (the exports `npm run testbed` prints, or a hand-made setup), the
 *   environment is the configuration: the same variables the Lambda reads (lambda/config.ts), with
 *   AWS_ENDPOINT_URL_<SERVICE> pointing the SDK clients at local emulators.
 * - Otherwise the deployed stack is read (`--stack`, CERTBEAT_STACK_NAME, default "Certbeat"): its outputs
 *   name the table and the function, and the function's own environment supplies the rest (sender,
 *   recipients, zone roles…), so the CLI runs with exactly the configuration the Lambda runs with.
 */
import { ACMClient } from '@aws-sdk/client-acm';
import { CloudFormationClient, DescribeStacksCommand, type Output as StackOutput } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsClients } from '../lambda/composition.js';
import { ENV, loadRuntimeConfig, type RuntimeConfig } from '../lambda/config.js';
import { EnvironmentError } from './exit-codes.js';

export const DEFAULT_STACK_NAME = 'Certbeat';
/** Variable naming the stack when `--stack` is not given: the one `cdk deploy` reads (cdk/app.ts). */
export const STACK_ENV = 'CERTBEAT_STACK_NAME';
/** The CLI's earlier name for it: still read, with a note to rename it. */
export const DEPRECATED_STACK_ENV = 'CERTBEAT_STACK';
/** Variable naming the renewal function for `renew --remote` when the target comes from the environment. */
export const FUNCTION_ENV = 'CERTBEAT_FUNCTION_NAME';

/** Stack outputs the CLI reads (cdk/certbeat-stack.ts `OUTPUTS`; `Sender` is optional). */
export const STACK_OUTPUTS = {
  tableName: 'TableName',
  functionName: 'FunctionName',
  accountSecretId: 'AccountSecretId',
  sender: 'Sender',
} as const;

export type Env = Record<string, string | undefined>;

export interface Target {
  source: 'environment' | 'stack';
  /** For messages, e.g. `table certbeat-inventory (from the environment)`. */
  description: string;
  config: RuntimeConfig;
  clients: AwsClients;
  /** The renewal Lambda, when known (always for a stack). */
  functionName?: string;
  /** A Lambda client (for `renew --remote`), created on first use. */
  lambda(): LambdaClient;
  /** Destroys the clients (their keep-alive sockets would keep the process alive). */
  close(): void;
}

/** SDK service ids as they appear in AWS_ENDPOINT_URL_<ID>. */
type ServiceId = 'DYNAMODB' | 'ROUTE_53' | 'ACM' | 'SESV2' | 'SECRETS_MANAGER' | 'LAMBDA' | 'CLOUDFORMATION';

/**
 * Client settings from `env` rather than `process.env`, so `main` can run against any environment it
 * is given (tests run several at once). Unset values are left to the SDK's own defaults.
 */
export function clientConfig(env: Env, service: ServiceId, region?: string) {
  const endpoint = env[`AWS_ENDPOINT_URL_${service}`] || env.AWS_ENDPOINT_URL || undefined;
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN || undefined }
      : undefined;
  const resolvedRegion = region ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined);
  return {
    ...(resolvedRegion ? { region: resolvedRegion } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(credentials ? { credentials } : {}),
  };
}

/** Finds the target: the environment when CERTBEAT_TABLE_NAME is set, else the deployed stack. */
export async function findTarget(env: Env, options: { stack?: string; warn?: (message: string) => void } = {}): Promise<Target> {
  if (env[ENV.tableName] && !options.stack) return targetFromEnvironment(env);
  return targetFromStack(env, options.stack || stackFromEnv(env, options.warn) || DEFAULT_STACK_NAME);
}

/** CERTBEAT_STACK_NAME, else the deprecated CERTBEAT_STACK (with a note); one name for deploy and CLI. */
export function stackFromEnv(env: Env, warn: (message: string) => void = () => {}): string | undefined {
  const current = env[STACK_ENV] || undefined;
  const old = env[DEPRECATED_STACK_ENV] || undefined;
  if (old && !current) warn(`${DEPRECATED_STACK_ENV} is deprecated: rename it to ${STACK_ENV} (the name cdk deploy reads too)`);
  if (old && current && old !== current) warn(`${DEPRECATED_STACK_ENV}=${old} is ignored: ${STACK_ENV}=${current} is set (remove ${DEPRECATED_STACK_ENV})`);
  return current ?? old;
}

/** The target described by CERTBEAT_* variables (throws `EnvironmentError` listing what is wrong). */
export function targetFromEnvironment(env: Env): Target {
  const config = configOrThrow(env, 'the environment');
  return makeTarget('environment', `table ${config.tableName} (from CERTBEAT_TABLE_NAME)`, config, env, env[FUNCTION_ENV] || undefined);
}

async function targetFromStack(env: Env, stackName: string): Promise<Target> {
  const cfn = new CloudFormationClient(clientConfig(env, 'CLOUDFORMATION'));
  try {
    const region = await cfn.config.region().catch(() => undefined);
    if (!region) {
      throw new EnvironmentError('no AWS region is set, so certbeat cannot look for its stack', {
        remediation: 'Set AWS_REGION (or a profile with a region), or point certbeat at the testbed with the exports `npm run testbed` prints.',
      });
    }
    const outputs = await stackOutputs(cfn, stackName, region);
    const tableName = outputs[STACK_OUTPUTS.tableName];
    const functionName = outputs[STACK_OUTPUTS.functionName];
    if (!tableName || !functionName) {
      throw new EnvironmentError(`stack ${stackName} in ${region} has no ${STACK_OUTPUTS.tableName} or ${STACK_OUTPUTS.functionName} output`, {
        remediation: `Check that ${stackName} is the certbeat stack (--stack NAME), and deploy the current version with \`npx cdk deploy\`.`,
      });
    }
    const lambdaEnv = await functionEnvironment(env, functionName, region);
    // The function's environment is the Lambda's configuration; the outputs and the operator's own
    // settings (e.g. a local DNS resolver) complete it. Region: where the stack is.
    const merged: Env = {
      ...lambdaEnv,
      [ENV.acmeCaFile]: env[ENV.acmeCaFile],
      [ENV.dnsResolver]: env[ENV.dnsResolver] ?? lambdaEnv[ENV.dnsResolver],
      [ENV.tableName]: tableName,
      [ENV.accountSecretId]: outputs[STACK_OUTPUTS.accountSecretId] ?? lambdaEnv[ENV.accountSecretId],
      [ENV.sender]: lambdaEnv[ENV.sender] ?? outputs[STACK_OUTPUTS.sender] ?? env[ENV.sender],
      [ENV.region]: region,
    };
    const config = configOrThrow(merged, `stack ${stackName}`);
    return makeTarget('stack', `stack ${stackName} in ${region} (table ${tableName})`, config, { ...env, AWS_REGION: region }, functionName);
  } finally {
    cfn.destroy();
  }
}

async function stackOutputs(cfn: CloudFormationClient, stackName: string, region: string): Promise<Record<string, string>> {
  let outputs: StackOutput[] | undefined;
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = out.Stacks?.[0]?.Outputs;
  } catch (e) {
    const err = e as { name?: string; message?: string };
    if (err.name === 'ValidationError' && /does not exist/i.test(err.message ?? '')) {
      throw new EnvironmentError(`no stack named ${stackName} in ${region}`, {
        cause: e,
        remediation:
          'Deploy certbeat with `npx cdk deploy`, name the stack with --stack or CERTBEAT_STACK_NAME, set AWS_REGION to its region, ' +
          'or point certbeat at the local testbed with the exports `npm run testbed` prints.',
      });
    }
    throw awsAccessError(e, `reading the outputs of stack ${stackName} in ${region}`, 'cloudformation:DescribeStacks');
  }
  return Object.fromEntries((outputs ?? []).flatMap((o) => (o.OutputKey && o.OutputValue ? [[o.OutputKey, o.OutputValue]] : [])));
}

async function functionEnvironment(env: Env, functionName: string, region: string): Promise<Env> {
  const lambda = new LambdaClient(clientConfig(env, 'LAMBDA', region));
  try {
    const out = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    return out.Environment?.Variables ?? {};
  } catch (e) {
    throw awsAccessError(e, `reading the configuration of function ${functionName}`, 'lambda:GetFunctionConfiguration');
  } finally {
    lambda.destroy();
  }
}

function awsAccessError(e: unknown, what: string, permission: string): EnvironmentError {
  const err = e as { name?: string; message?: string };
  const detail = `${err.name ?? 'Error'}: ${err.message ?? String(e)}`;
  if (err.name === 'CredentialsProviderError' || /credential/i.test(err.message ?? '')) {
    return new EnvironmentError(`no AWS credentials for ${what} (${detail})`, {
      cause: e,
      remediation: 'Sign in (e.g. `aws sso login` or AWS_PROFILE), or point certbeat at the local testbed with the exports `npm run testbed` prints.',
    });
  }
  if (/AccessDenied|UnrecognizedClient|InvalidClientTokenId|ExpiredToken/.test(err.name ?? '')) {
    return new EnvironmentError(`${what} was denied (${detail})`, { cause: e, remediation: `Use credentials that allow ${permission}.` });
  }
  return new EnvironmentError(`${what} failed (${detail})`, {
    cause: e,
    remediation: 'Check the network, the region (AWS_REGION) and the AWS credentials.',
  });
}

function configOrThrow(env: Env, where: string): RuntimeConfig {
  try {
    return loadRuntimeConfig(env as NodeJS.ProcessEnv);
  } catch (e) {
    throw new EnvironmentError(`${where} does not configure certbeat: ${(e as Error).message}`, {
      cause: e,
      remediation: 'Set the variables listed (the exports `npm run testbed` prints set them all), or unset CERTBEAT_TABLE_NAME to use the deployed stack.',
    });
  }
}

function makeTarget(source: Target['source'], description: string, config: RuntimeConfig, env: Env, functionName?: string): Target {
  const region = config.region;
  // The DNS solver retries Route 53 itself within the run's deadline; SDK retries would multiply them.
  const clients: AwsClients = {
    route53: new Route53Client({ ...clientConfig(env, 'ROUTE_53', region), maxAttempts: 1 }),
    acm: new ACMClient(clientConfig(env, 'ACM', region)),
    sesv2: new SESv2Client(clientConfig(env, 'SESV2', region)),
    dynamodb: new DynamoDBClient(clientConfig(env, 'DYNAMODB', region)),
    secretsManager: new SecretsManagerClient(clientConfig(env, 'SECRETS_MANAGER', region)),
    // Certificates with `regions` are imported into each, as the Lambda does.
    acmForRegion: (r) => new ACMClient(clientConfig(env, 'ACM', r)),
  };
  const zoneClients = new Map<string, Route53Client>();
  if (Object.keys(config.zoneRoles).length > 0) {
    // Zones in other accounts are reached through the role configured for them, as the Lambda does.
    clients.route53ForZone = (zoneId) => {
      const roleArn = config.zoneRoles[zoneId];
      if (!roleArn) return clients.route53;
      let client = zoneClients.get(zoneId);
      if (!client) {
        client = new Route53Client({
          ...clientConfig(env, 'ROUTE_53', region),
          maxAttempts: 1,
          credentials: fromTemporaryCredentials({ params: { RoleArn: roleArn, RoleSessionName: 'certbeat-cli' } }),
        });
        zoneClients.set(zoneId, client);
      }
      return client;
    };
  }
  let lambda: LambdaClient | undefined;
  return {
    source,
    description,
    config,
    clients,
    functionName,
    lambda() {
      lambda ??= new LambdaClient(clientConfig(env, 'LAMBDA', region));
      return lambda;
    },
    close() {
      for (const c of [clients.route53, clients.acm, clients.sesv2, clients.dynamodb, clients.secretsManager, ...zoneClients.values()]) c.destroy();
      lambda?.destroy();
    },
  };
}
