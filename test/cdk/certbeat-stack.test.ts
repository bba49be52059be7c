import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { OUTPUTS } from '../../cdk/certbeat-stack.js';
import { STACK_OUTPUTS } from '../../cli/environment.js';
import { NAMES_TAG } from '../../lambda/adapters/acm/acm-certificate-store.js';
import { TABLE_KEYS } from '../../lambda/adapters/dynamodb/table-schema.js';
import { ENV } from '../../lambda/config.js';
import { CERTIFICATE_NAMES_TAG } from '../../cdk/constructs/renewer-policy.js';
import { DEPLOY_RUN_RESOURCE_TYPE, SEED_RESOURCE_TYPE } from '../../cdk/constructs/inventory-seed.js';
import * as seedHandler from '../../lambda/seed/seed-handler.js';
import { asList, BASE_CONFIG, buildStack, flat, policyStatements, type Statement } from './stack-fixture.js';

const RENEWER_ROLE = 'RenewalRenewerRole';
const SEEDER_ROLE = 'DeploySeederRole';

function bySid(statements: Statement[], sid: string): Statement {
  const found = statements.find((s) => s.Sid === sid);
  if (!found) throw new Error(`no statement ${sid}; have ${statements.map((s) => s.Sid).join(', ')}`);
  return found;
}

function onlyResource<T = Record<string, unknown>>(template: ReturnType<typeof buildStack>['template'], type: string): T {
  const all = Object.values(template.findResources(type));
  expect(all).toHaveLength(1);
  return all[0] as T;
}

describe('inventory table', () => {
  const { template } = buildStack(BASE_CONFIG);

  it('is on-demand, recoverable, encrypted and retained, with the due index of TABLE_KEYS', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        KeySchema: [{ AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: TABLE_KEYS.dueIndexName,
            KeySchema: [
              { AttributeName: TABLE_KEYS.dueIndexPartitionKey, KeyType: 'HASH' },
              { AttributeName: TABLE_KEYS.dueIndexSortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      },
    });
  });
});

describe('renewal Lambda', () => {
  const { template } = buildStack({ ...BASE_CONFIG, accountEmail: 'acme@example.com', logRetentionDays: 30 });
  const functions = template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('renews') } });
  const [id, fn] = Object.entries(functions)[0];

  it('runs Node 22+ on arm64 for up to 15 minutes, logging JSON to its own log group with a retention', () => {
    expect(Object.keys(functions)).toHaveLength(1);
    const runtime = fn.Properties.Runtime as string;
    expect(Number(/^nodejs(\d+)\.x$/.exec(runtime)?.[1])).toBeGreaterThanOrEqual(22);
    expect(fn.Properties.Architectures).toEqual(['arm64']);
    expect(fn.Properties.Timeout).toBe(900);
    expect(fn.Properties.LoggingConfig.LogFormat).toBe('JSON');
    const logGroupId = fn.Properties.LoggingConfig.LogGroup.Ref as string;
    template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 30 } });
    expect(template.findResources('AWS::Logs::LogGroup')[logGroupId].Properties.RetentionInDays).toBe(30);
  });

  it('gets its runtime configuration under the names lambda/config.ts reads', () => {
    const env = flat(fn.Properties.Environment.Variables) as Record<string, string>;
    expect(env).toEqual({
      [ENV.tableName]: expect.stringMatching(/^<InventoryTable/),
      [ENV.dueIndexName]: TABLE_KEYS.dueIndexName,
      [ENV.sender]: 'certbeat@example.com',
      [ENV.defaultRecipients]: 'ops@example.com',
      [ENV.accountSecretId]: expect.stringMatching(/^<AcmeAccountKey/),
      [ENV.accountEmail]: 'acme@example.com',
      [ENV.pendingSecretPrefix]: 'certbeat/Certbeat/pending/',
      [ENV.stackTag]: 'Certbeat',
      [ENV.mailLanguage]: 'en',
      [ENV.timeZone]: 'UTC',
      POWERTOOLS_SERVICE_NAME: 'certbeat',
      POWERTOOLS_METRICS_NAMESPACE: 'certbeat',
    });
  });

  it('has a role of its own without AWS managed policies', () => {
    const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
    const role = template.findResources('AWS::IAM::Role')[roleId];
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(id).toMatch(/^RenewalRenewerFunction/);
  });
});

describe('CA limits', () => {
  it('reach the function as CERTBEAT_CA_LIMITS when given, and are left out otherwise', () => {
    const caLimits = { 'https://acme.enterprise-ca.example/v2/directory': { ordersPer3Hours: 1000, certificatesPerDomainPerWeek: 500 } };
    const env = (raw: unknown) => {
      const fns = buildStack(raw).template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('renews') } });
      return Object.values(fns)[0].Properties.Environment.Variables as Record<string, unknown>;
    };
    expect(JSON.parse(env({ ...BASE_CONFIG, caLimits })[ENV.caLimits] as string)).toEqual(caLimits);
    expect(env(BASE_CONFIG)[ENV.caLimits]).toBeUndefined();
  });
});

describe('pending-import slot', () => {
  const { template } = buildStack(BASE_CONFIG);

  it('lets the renewer create, read, write and delete only secrets under its own pending/ prefix', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>);
    const pending = statements.filter((s) => s.Sid === 'PendingImports');
    expect(pending).toHaveLength(1);
    expect([...(pending[0].Action as string[])].sort()).toEqual([
      'secretsmanager:CreateSecret',
      'secretsmanager:DeleteSecret',
      'secretsmanager:GetSecretValue',
      'secretsmanager:PutSecretValue',
    ]);
    expect(flat(pending[0].Resource)).toMatch(/:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:certbeat\/Certbeat\/pending\/\*$/);
  });
});

describe('ACME account key secret', () => {
  const { template } = buildStack(BASE_CONFIG);

  it('is created empty (the Lambda writes the key) and retained', () => {
    const secret = onlyResource<{ Properties: Record<string, unknown>; DeletionPolicy: string }>(template, 'AWS::SecretsManager::Secret');
    expect(secret.DeletionPolicy).toBe('Retain');
    expect(secret.Properties.GenerateSecretString).toBeUndefined();
    expect(secret.Properties.SecretString).toBeUndefined();
  });
});

describe('triggers', () => {
  it('runs daily at a minute derived from the stack, never on the hour, with the schedule event', () => {
    const { template } = buildStack(BASE_CONFIG);
    const daily = Object.values(template.findResources('AWS::Scheduler::Schedule')).filter((r) => !String(r.Properties.Target.Input).includes('ari-check'));
    expect(daily).toHaveLength(1);
    const schedule = daily[0] as { Properties: Record<string, any> };
    const match = /^cron\((\d+) (\d+) \* \* \? \*\)$/.exec(schedule.Properties.ScheduleExpression);
    expect(match).not.toBeNull();
    expect(Number(match![1])).toBeGreaterThanOrEqual(1);
    expect(Number(match![1])).toBeLessThanOrEqual(59);
    expect(schedule.Properties.FlexibleTimeWindow).toEqual({ Mode: 'OFF' });
    expect(JSON.parse(schedule.Properties.Target.Input)).toEqual({ source: 'certbeat.schedule' });
    expect(flat(schedule.Properties.Target.Arn)).toMatch(/^<RenewalRenewerFunction.*\.Arn>$/);
  });

  it('checks ARI and due certificates every 6 h between daily runs, at the same minute, with {"action":"ari-check"}', () => {
    const { template } = buildStack({ ...BASE_CONFIG, schedule: { time: '03:07', timezone: 'Europe/Berlin' } });
    const checks = Object.values(template.findResources('AWS::Scheduler::Schedule')).filter((r) => String(r.Properties.Target.Input).includes('ari-check'));
    expect(checks).toHaveLength(1);
    const props = checks[0].Properties as Record<string, any>;
    expect(props.ScheduleExpression).toBe('cron(7 9,15,21 * * ? *)');
    expect(props.ScheduleExpressionTimezone).toBe('Europe/Berlin');
    expect(JSON.parse(props.Target.Input)).toEqual({ action: 'ari-check' });
    expect(flat(props.Target.Arn)).toMatch(/^<RenewalRenewerFunction.*\.Arn>$/);
  });

  it('uses the configured time and time zone when given', () => {
    const { template } = buildStack({ ...BASE_CONFIG, schedule: { time: '03:07', timezone: 'Europe/Berlin' } });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(7 3 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
    });
    template.hasOutput('ScheduleTime', { Value: '03:07 Europe/Berlin' });
  });

  it('sends ACM "Approaching Expiration" events to the renewal Lambda', () => {
    const { template } = buildStack(BASE_CONFIG);
    const rules = template.findResources('AWS::Events::Rule', {
      Properties: { EventPattern: { source: ['aws.acm'], 'detail-type': ['ACM Certificate Approaching Expiration'], detail: Match.absent() } },
    });
    const targets = Object.values(rules).flatMap((r) => r.Properties.Targets as Array<{ Arn: unknown }>);
    expect(targets.map((t) => flat(t.Arn))).toEqual([expect.stringMatching(/^<RenewalRenewerFunction.*\.Arn>$/)]);
    template.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'events.amazonaws.com', Action: 'lambda:InvokeFunction' });
  });
});

describe('deploy-time seed and first run', () => {
  const config = {
    ...BASE_CONFIG,
    certificates: [
      { id: 'site', names: ['Example.com', '*.example.com'], zoneId: 'ZEXAMPLECOM', owners: ['web@example.com'] },
      { id: 'api', names: ['api.example.org'], ca: { directoryUrl: 'https://acme.example-ca.test/dir', eabSecretName: 'certbeat/eab' }, keyType: 'rsa2048' },
    ],
  };
  const { template } = buildStack(config);

  it('passes the configured certificates (normalized, configuration fields only) as a property', () => {
    const seed = onlyResource<{ Properties: Record<string, any> }>(template, SEED_RESOURCE_TYPE);
    expect(JSON.parse(seed.Properties.Certificates)).toEqual([
      {
        id: 'site',
        names: ['example.com', '*.example.com'],
        zones: { 'example.com': 'ZEXAMPLECOM', '*.example.com': 'ZEXAMPLECOM' },
        directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory',
        keyType: 'ec256',
        owners: ['web@example.com'],
        status: 'active',
      },
      {
        id: 'api',
        names: ['api.example.org'],
        zones: {},
        directoryUrl: 'https://acme.example-ca.test/dir',
        eabSecretId: 'certbeat/eab',
        keyType: 'rsa2048',
        owners: [],
        status: 'active',
      },
    ]);
    expect(flat(seed.Properties.TableName)).toMatch(/^<InventoryTable/);
    expect(flat(seed.Properties.ServiceToken)).toMatch(/^<DeploySeederFunction.*\.Arn>$/);
  });

  it('starts one run after the seed, again whenever the function version or the config changes', () => {
    const run = template.findResources(DEPLOY_RUN_RESOURCE_TYPE);
    const [[, resource]] = Object.entries(run);
    const seedId = Object.keys(template.findResources(SEED_RESOURCE_TYPE))[0];
    expect(resource.DependsOn).toContain(seedId);
    expect(flat(resource.Properties.RenewerVersion)).toMatch(/^<RenewalRenewerFunctionCurrentVersion.*\.Version>$/);
    expect(flat(resource.Properties.FunctionName)).toMatch(/^<RenewalRenewerFunction/);
    const other = buildStack({ ...config, certificates: config.certificates.slice(0, 1) }).template;
    const otherHash = Object.values(other.findResources(DEPLOY_RUN_RESOURCE_TYPE))[0].Properties.ConfigHash;
    expect(otherHash).not.toBe(resource.Properties.ConfigHash);
  });

  it('lets the seed Lambda write the table and invoke only the renewal Lambda', () => {
    const statements = policyStatements(template, SEEDER_ROLE);
    expect(bySid(statements, 'WriteInventory')).toMatchObject({
      Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      Resource: expect.stringMatching(/^<InventoryTable.*\.Arn>$/),
    });
    expect(asList(bySid(statements, 'StartDeployRun').Action)).toEqual(['lambda:InvokeFunction']);
    expect(bySid(statements, 'StartDeployRun').Resource).toMatch(/^<RenewalRenewerFunction[^.]*\.Arn>$/);
  });

  it('uses the resource type names the seed handler answers to', () => {
    expect(SEED_RESOURCE_TYPE).toBe(seedHandler.SEED_RESOURCE_TYPE);
    expect(DEPLOY_RUN_RESOURCE_TYPE).toBe(seedHandler.DEPLOY_RUN_RESOURCE_TYPE);
  });
});

describe('least-privilege IAM for apex + wildcard names in two zones', () => {
  const config = {
    ...BASE_CONFIG,
    certificates: [
      { id: 'site', names: ['example.com', '*.example.com', 'WWW.Example.com.'], zoneId: '/hostedzone/ZEXAMPLECOM' },
      { id: 'shop', names: ['*.shop.example.net', 'shop.example.net'], zones: { 'shop.example.net': 'ZEXAMPLENET' } },
    ],
  };
  const statements = policyStatements(buildStack(config).template, RENEWER_ROLE);
  const conditionsFor = (names: string[]) => ({
    'ForAllValues:StringEquals': {
      'route53:ChangeResourceRecordSetsNormalizedRecordNames': names,
      'route53:ChangeResourceRecordSetsRecordTypes': ['TXT'],
      'route53:ChangeResourceRecordSetsActions': ['UPSERT', 'DELETE'],
    },
  });

  it('allows ChangeResourceRecordSets per zone only on that zone’s _acme-challenge names, TXT, UPSERT/DELETE', () => {
    const changes = statements.filter((s) => asList(s.Action).includes('route53:ChangeResourceRecordSets'));
    expect(changes.map((s) => ({ Action: s.Action, Resource: s.Resource, Condition: s.Condition }))).toEqual([
      {
        Action: 'route53:ChangeResourceRecordSets',
        Resource: 'arn:<AWS::Partition>:route53:::hostedzone/ZEXAMPLECOM',
        Condition: conditionsFor(['_acme-challenge.example.com', '_acme-challenge.www.example.com']),
      },
      {
        Action: 'route53:ChangeResourceRecordSets',
        Resource: 'arn:<AWS::Partition>:route53:::hostedzone/ZEXAMPLENET',
        Condition: conditionsFor(['_acme-challenge.shop.example.net']),
      },
    ]);
  });

  it('reads only those zones, polls changes, and does not list zones (every name has a zone id)', () => {
    expect(bySid(statements, 'ReadZones')).toMatchObject({
      Action: ['route53:GetHostedZone', 'route53:ListResourceRecordSets'],
      Resource: ['arn:<AWS::Partition>:route53:::hostedzone/ZEXAMPLECOM', 'arn:<AWS::Partition>:route53:::hostedzone/ZEXAMPLENET'],
    });
    expect(bySid(statements, 'WaitForChanges')).toMatchObject({ Action: 'route53:GetChange', Resource: 'arn:<AWS::Partition>:route53:::change/*' });
    expect(statements.flatMap((s) => asList(s.Action))).not.toContain('route53:ListHostedZones');
    expect(statements.flatMap((s) => asList(s.Action))).not.toContain('sts:AssumeRole');
  });

  it("scopes ACM to certificates tagged with this deployment's certbeat:stack tag", () => {
    const certificates = 'arn:<AWS::Partition>:acm:<AWS::Region>:<AWS::AccountId>:certificate/*';
    expect(bySid(statements, 'ImportNewCertificates')).toMatchObject({
      Action: ['acm:AddTagsToCertificate', 'acm:ImportCertificate'],
      Resource: certificates,
      Condition: {
        StringEquals: { 'aws:RequestTag/certbeat:stack': 'Certbeat' },
        Null: { 'aws:ResourceTag/certbeat:stack': 'true' },
        'ForAllValues:StringEquals': { 'aws:TagKeys': ['certbeat:id', 'certbeat:names', 'certbeat:stack'] },
      },
    });
    expect(bySid(statements, 'ManageOwnCertificates')).toMatchObject({
      Action: ['acm:DescribeCertificate', 'acm:ImportCertificate'],
      Resource: certificates,
      Condition: { StringEquals: { 'aws:ResourceTag/certbeat:stack': 'Certbeat' } },
    });
    expect(bySid(statements, 'DenyOtherDeploymentsCertificates')).toMatchObject({ Effect: 'Deny', Resource: certificates });
    expect(CERTIFICATE_NAMES_TAG).toBe(NAMES_TAG);
  });

  it('sends mail only from the configured sender', () => {
    expect(bySid(statements, 'SendFromSender')).toMatchObject({
      Action: 'ses:SendEmail',
      Condition: { StringEquals: { 'ses:FromAddress': 'certbeat@example.com' } },
    });
  });

  it('reads and writes only the account key secret, and the inventory table and its due index', () => {
    expect(bySid(statements, 'AccountKey')).toMatchObject({
      Action: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
      Resource: expect.stringMatching(/^<AcmeAccountKey[^>]*>$/),
    });
    expect(statements.some((s) => s.Sid === 'ExternalAccountBinding')).toBe(false);
    expect(bySid(statements, 'Inventory').Action).toEqual(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    expect(bySid(statements, 'Inventory').Resource).toEqual([
      expect.stringMatching(/^<InventoryTable.*\.Arn>$/),
      expect.stringMatching(new RegExp(`^<InventoryTable.*\\.Arn>/index/${TABLE_KEYS.dueIndexName}$`)),
    ]);
    const allActions = statements.flatMap((s) => asList(s.Action));
    expect(allActions.filter((a) => a.endsWith('*'))).toEqual([]);
  });
});

describe('IAM for a zone holding both explicitly zoned and looked-up names', () => {
  // The solver sends one change per zone with every name of the run in it, so a single statement must
  // allow the whole mixed batch (IAM evaluates statements one by one).
  const config = {
    ...BASE_CONFIG,
    certificates: [
      { id: 'pinned', names: ['example.com'], zones: { 'example.com': 'ZEXAMPLE' } },
      { id: 'found', names: ['www.example.com'] },
    ],
  };
  const statements = policyStatements(buildStack(config).template, RENEWER_ROLE);

  it('lets the wildcard-zone statement cover every challenge name, so a mixed batch is allowed', () => {
    expect(bySid(statements, 'ChallengeRecordsLookedUpZones').Condition).toEqual({
      'ForAllValues:StringEquals': {
        'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['_acme-challenge.example.com', '_acme-challenge.www.example.com'],
        'route53:ChangeResourceRecordSetsRecordTypes': ['TXT'],
        'route53:ChangeResourceRecordSetsActions': ['UPSERT', 'DELETE'],
      },
    });
  });
});

describe('IAM for zone lookup, EAB secrets and cross-account zones', () => {
  const config = {
    ...BASE_CONFIG,
    zoneRoles: { ZOTHERACCOUNT: 'arn:aws:iam::210987654321:role/certbeat-dns' },
    certificates: [
      { id: 'auto', names: ['auto.example.com', '*.auto.example.com'] },
      { id: 'far', names: ['far.example.org'], zoneId: 'ZOTHERACCOUNT' },
      { id: 'eab', names: ['eab.example.com'], ca: { directoryUrl: 'https://acme.example-ca.test/dir', eabSecretName: 'certbeat/eab' } },
    ],
  };
  const { template } = buildStack(config);
  const statements = policyStatements(template, RENEWER_ROLE);

  it('lists zones only because some names have no zone id, and still pins the record names', () => {
    expect(bySid(statements, 'FindZones')).toMatchObject({ Action: 'route53:ListHostedZones', Resource: '*' });
    expect(bySid(statements, 'ChallengeRecordsLookedUpZones')).toMatchObject({
      Resource: 'arn:<AWS::Partition>:route53:::hostedzone/*',
      Condition: {
        'ForAllValues:StringEquals': {
          'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['_acme-challenge.auto.example.com', '_acme-challenge.eab.example.com'],
        },
      },
    });
  });

  it('assumes exactly the configured role for the zone in another account, with no local grant on it', () => {
    expect(bySid(statements, 'CrossAccountZones')).toMatchObject({
      Action: 'sts:AssumeRole',
      Resource: 'arn:aws:iam::210987654321:role/certbeat-dns',
    });
    expect(JSON.stringify(statements)).not.toContain('hostedzone/ZOTHERACCOUNT');
    const fn = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('renews') } }))[0];
    expect(JSON.parse(fn.Properties.Environment.Variables[ENV.zoneRoles])).toEqual(config.zoneRoles);
  });

  it('reads EAB secrets by name only', () => {
    expect(bySid(statements, 'ExternalAccountBinding')).toMatchObject({
      Action: 'secretsmanager:GetSecretValue',
      Resource: 'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:certbeat/eab-??????',
    });
  });
});

describe('observability', () => {
  it('alarms on Lambda errors, renewal failures, mails not sent and a missing daily run, to the topic it creates', () => {
    const { template } = buildStack({ ...BASE_CONFIG, alarms: { emails: ['oncall@example.com'] } });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    const topicId = Object.keys(template.findResources('AWS::SNS::Topic'))[0];
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    const find = (metricName: string) => alarms.find((a) => a.MetricName === metricName)!;
    expect(find('Errors')).toMatchObject({ Namespace: 'AWS/Lambda', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    expect(find('RenewalFailures')).toMatchObject({
      Namespace: 'certbeat',
      Dimensions: [{ Name: 'service', Value: 'certbeat' }],
      Statistic: 'Sum',
      Threshold: 1,
    });
    expect(find('MailsNotSent')).toMatchObject({ Namespace: 'certbeat', Statistic: 'Sum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    expect(find('Invocations')).toMatchObject({ Period: 86400, ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching' });
    for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
  });

  it('alerts when ACM reports DaysToExpiry below 14, and has a dashboard', () => {
    const { template } = buildStack({ ...BASE_CONFIG, alarms: { topicArn: 'arn:aws:sns:eu-west-1:123456789012:ops' } });
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.acm'],
        'detail-type': ['ACM Certificate Approaching Expiration'],
        detail: { DaysToExpiry: [{ numeric: ['<', 14] }] },
      },
      Targets: [Match.objectLike({ Arn: 'arn:aws:sns:eu-west-1:123456789012:ops' })],
    });
    const dashboard = onlyResource<{ Properties: { DashboardBody: unknown } }>(template, 'AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(flat(dashboard.Properties.DashboardBody));
    expect(body).toContain('DaysToExpiry');
    expect(body).toContain('RenewalFailures');
  });

  it('creates no topic and no alarm actions when no alarm destination is configured', () => {
    const { template } = buildStack(BASE_CONFIG);
    template.resourceCountIs('AWS::SNS::Topic', 0);
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) expect(alarm.Properties.AlarmActions).toBeUndefined();
  });
});

describe('outputs', () => {
  it('exports what the CLI reads', () => {
    const { template } = buildStack(BASE_CONFIG);
    const outputs = flat(template.toJSON().Outputs) as Record<string, { Value: string }>;
    expect(outputs[OUTPUTS.tableName].Value).toMatch(/^<InventoryTable/);
    expect(outputs[OUTPUTS.functionName].Value).toMatch(/^<RenewalRenewerFunction[^.]*>$/);
    expect(outputs[OUTPUTS.functionArn].Value).toMatch(/^<RenewalRenewerFunction.*\.Arn>$/);
    expect(outputs[OUTPUTS.accountSecretId].Value).toMatch(/^<AcmeAccountKey/);
    expect(outputs[OUTPUTS.sender].Value).toBe('certbeat@example.com');
  });

  it('names the sender output as the CLI reads it (its fallback for the sender)', () => {
    expect(OUTPUTS.sender).toBe(STACK_OUTPUTS.sender);
  });
});

describe('digest', () => {
  const renewerEnv = (template: ReturnType<typeof buildStack>['template']) => {
    const fns = template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('renews') } });
    return Object.values(fns)[0].Properties.Environment.Variables as Record<string, unknown>;
  };
  const schedules = (template: ReturnType<typeof buildStack>['template']) =>
    Object.values(template.findResources('AWS::Scheduler::Schedule')).map((r) => flat(r.Properties) as Record<string, any>);
  const digestSchedules = (template: ReturnType<typeof buildStack>['template']) =>
    schedules(template).filter((p) => JSON.parse(p.Target.Input).action === 'digest');
  const actionsOf = (template: ReturnType<typeof buildStack>['template']) => policyStatements(template, RENEWER_ROLE).flatMap((s) => asList(s.Action));

  it('is off by default: no digest schedule, no recipients variable, no Scan anywhere', () => {
    const { template } = buildStack(BASE_CONFIG);
    expect(schedules(template)).toHaveLength(2); // the daily run and the 6-hourly ARI check
    expect(digestSchedules(template)).toEqual([]);
    expect(renewerEnv(template)[ENV.digestRecipients]).toBeUndefined();
    const everyAction = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as Statement[]).flatMap((s) => asList(s.Action)),
    );
    expect(everyAction.filter((a) => /^dynamodb:(Scan|\*)$/.test(a))).toEqual([]);
  });

  describe('weekly, with its own recipients, in the schedule time zone', () => {
    const { template } = buildStack({
      ...BASE_CONFIG,
      schedule: { time: '03:07', timezone: 'Europe/Berlin' },
      digest: { frequency: 'weekly', weekday: 'WED', time: '07:45', recipients: ['a@example.com', 'b@example.com'] },
    });

    it('invokes the renewal Lambda weekly at the weekday and time with {"action":"digest"}', () => {
      const [digest, ...more] = digestSchedules(template);
      expect(more).toEqual([]);
      expect(digest.ScheduleExpression).toBe('cron(45 7 ? * WED *)');
      expect(digest.ScheduleExpressionTimezone).toBe('Europe/Berlin');
      expect(digest.Target.Input).toBe('{"action":"digest"}');
      expect(digest.Target.Arn).toMatch(/^<RenewalRenewerFunction.*\.Arn>$/);
      // The renewal schedule is unchanged beside it.
      template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(7 3 * * ? *)', Input: Match.absent() });
    });

    it('gives the renewal Lambda the digest recipients, comma-separated', () => {
      expect(renewerEnv(template)[ENV.digestRecipients]).toBe('a@example.com,b@example.com');
      expect(renewerEnv(template)[ENV.defaultRecipients]).toBe('ops@example.com');
    });

    it('grants Scan on the inventory table only (not its index), nothing else new', () => {
      const statements = policyStatements(template, RENEWER_ROLE);
      const scans = statements.filter((s) => asList(s.Action).includes('dynamodb:Scan'));
      expect(scans).toEqual([{ Sid: 'DigestReadsInventory', Effect: 'Allow', Action: 'dynamodb:Scan', Resource: expect.stringMatching(/^<InventoryTable[^>]*\.Arn>$/) }]);
      const without = policyStatements(buildStack({ ...BASE_CONFIG, schedule: { time: '03:07', timezone: 'Europe/Berlin' } }).template, RENEWER_ROLE);
      expect(statements.filter((s) => s.Sid !== 'DigestReadsInventory')).toEqual(without);
    });
  });

  it('daily, defaults: the default recipients, 08:00 UTC, every day', () => {
    const { template } = buildStack({ ...BASE_CONFIG, digest: { frequency: 'daily' } });
    const [digest] = digestSchedules(template);
    expect(digest.ScheduleExpression).toBe('cron(0 8 * * ? *)');
    expect(digest.ScheduleExpressionTimezone ?? 'UTC').toMatch(/UTC$/);
    expect(renewerEnv(template)[ENV.digestRecipients]).toBe('ops@example.com');
    expect(actionsOf(template)).toContain('dynamodb:Scan');
  });

  it('weekly without a weekday goes out on Monday', () => {
    const { template } = buildStack({ ...BASE_CONFIG, digest: { frequency: 'weekly', time: '18:30' } });
    expect(digestSchedules(template).map((d) => d.ScheduleExpression)).toEqual(['cron(30 18 ? * MON *)']);
  });
});
