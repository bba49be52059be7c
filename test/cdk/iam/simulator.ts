/**
 * Evaluates the synthesized IAM policies offline with @cloud-copilot/iam-simulate (strict mode: the
 * request context is exactly what the test gives). The template's intrinsics are resolved to concrete
 * values for one account and region first, the way CloudFormation would.
 */
import { runSimulation, type EvaluationResult } from '@cloud-copilot/iam-simulate';
import type { Template } from 'aws-cdk-lib/assertions';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/certbeat-renewer`;

type Resources = Record<string, { Type: string; Properties?: Record<string, any> }>;

/** The concrete ARN or name CloudFormation would put in place of `Ref`/`GetAtt` of a resource. */
function physical(resources: Resources, id: string, attribute?: string): string {
  const type = resources[id]?.Type;
  switch (type) {
    case 'AWS::SecretsManager::Secret':
      return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${id}-AbCdEf`;
    case 'AWS::DynamoDB::Table':
      return attribute === 'Arn' ? `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${id}` : id;
    case 'AWS::Logs::LogGroup':
      return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${id}:*`;
    case 'AWS::Lambda::Function':
      return attribute === 'Arn' ? `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}` : id;
    case 'AWS::SNS::Topic':
      return `arn:aws:sns:${REGION}:${ACCOUNT}:${id}`;
    case 'AWS::Events::Rule':
      return `arn:aws:events:${REGION}:${ACCOUNT}:rule/${id}`;
    case 'AWS::CloudWatch::Alarm':
      return `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${id}`;
    case 'AWS::IAM::Role':
      return attribute === 'Arn' ? `arn:aws:iam::${ACCOUNT}:role/${id}` : id;
    default:
      throw new Error(`no physical value for ${id} (${type}) ${attribute ?? ''}`);
  }
}

const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': REGION,
  'AWS::AccountId': ACCOUNT,
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'Certbeat',
};

export function resolve(value: unknown, resources: Resources): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, resources));
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if ('Ref' in o) {
      const ref = String(o.Ref);
      return PSEUDO[ref] ?? physical(resources, ref);
    }
    if ('Fn::GetAtt' in o) {
      const [id, attr] = o['Fn::GetAtt'] as [string, string];
      return physical(resources, id, attr);
    }
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map((p) => String(resolve(p, resources))).join(sep);
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolve(v, resources)]));
  }
  return value;
}

/** Every identity policy document (inline and managed) attached to the role whose logical id starts with `rolePrefix`. */
export function rolePolicies(template: Template, rolePrefix: string): Array<{ name: string; policy: unknown }> {
  const resources = template.toJSON().Resources as Resources;
  const out: Array<{ name: string; policy: unknown }> = [];
  const forRole = (refs: unknown) => ((refs as Array<{ Ref: string }> | undefined) ?? []).some((r) => r.Ref?.startsWith(rolePrefix));
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type === 'AWS::IAM::Policy' && forRole(r.Properties!.Roles)) out.push({ name: id, policy: resolve(r.Properties!.PolicyDocument, resources) });
    if (r.Type === 'AWS::IAM::ManagedPolicy' && forRole(r.Properties!.Roles)) out.push({ name: id, policy: resolve(r.Properties!.PolicyDocument, resources) });
  }
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::IAM::Role' || !id.startsWith(rolePrefix)) continue;
    for (const p of (r.Properties?.Policies as Array<{ PolicyName: string; PolicyDocument: unknown }>) ?? []) {
      out.push({ name: `${id}/${p.PolicyName}`, policy: resolve(p.PolicyDocument, resources) });
    }
  }
  if (out.length === 0) throw new Error(`no policies for a role starting with ${rolePrefix}`);
  return out;
}

export interface Request {
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
  /** The resource's own policy (topic policy, role trust policy). */
  resourcePolicy?: unknown;
  /** The account owning the resource; default ACCOUNT. */
  resourceAccount?: string;
}

/** The simulator's verdict for one request made by the role with these identity policies. */
export async function evaluate(policies: Array<{ name: string; policy: unknown }>, request: Request, principal = ROLE_ARN): Promise<EvaluationResult> {
  const result = await runSimulation(
    {
      request: {
        principal,
        action: request.action,
        resource: { resource: request.resource, accountId: request.resourceAccount ?? ACCOUNT },
        contextVariables: request.context ?? {},
      },
      resourcePolicy: request.resourcePolicy,
      identityPolicies: policies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    { simulationMode: 'Strict' },
  );
  if (result.resultType === 'error') throw new Error(`simulation failed: ${JSON.stringify(result.errors)}`);
  if (result.resultType !== 'single') throw new Error(`unexpected ${result.resultType} result for ${request.resource}`);
  const ignored = result.result.ignoredContextKeys ?? [];
  if (ignored.length > 0) throw new Error(`context keys not applicable to ${request.action}: ${ignored.join(', ')}`);
  return result.overallResult;
}
