/**
 * Item: the alarm topic admits only this stack's rule and alarms; the zone-side role for another
 * account trusts only the renewal role and writes only the challenge records. Evaluated with the
 * IAM simulator on the synthesized templates.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { CertbeatZoneRole } from '../../../cdk/constructs/zone-role.js';
import { BASE_CONFIG, buildStack, cdkJsonContext } from '../stack-fixture.js';
import { ACCOUNT, REGION, evaluate, resolve, rolePolicies } from './simulator.js';

type Resources = Record<string, { Type: string; Properties?: Record<string, any> }>;

describe('alarm topic policy', () => {
  const { template } = buildStack({ ...BASE_CONFIG, alarms: { emails: ['oncall@example.com'] } }, { props: { env: { account: ACCOUNT, region: REGION } } });
  const resources = template.toJSON().Resources as Resources;
  const [topicId] = Object.keys(template.findResources('AWS::SNS::Topic'));
  const [policyResource] = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
  const topicPolicy = resolve(policyResource.Properties.PolicyDocument, resources);
  const topicArn = `arn:aws:sns:${REGION}:${ACCOUNT}:${topicId}`;
  const ruleId = Object.entries(resources).find(([, r]) => r.Type === 'AWS::Events::Rule' && /less than 14 days/.test(r.Properties?.Description ?? ''))![0];
  const ruleArn = `arn:aws:events:${REGION}:${ACCOUNT}:rule/${ruleId}`;
  const publish = (principal: string, context: Record<string, string>) =>
    evaluate([], { action: 'sns:Publish', resource: topicArn, resourcePolicy: topicPolicy, context: { 'aws:SecureTransport': 'true', ...context } }, principal);

  it("lets EventBridge publish only for the expiry rule's ARN", async () => {
    expect(resolve(resources[ruleId].Properties!.Targets, resources)).toEqual([expect.objectContaining({ Arn: topicArn })]);
    expect(await publish('events.amazonaws.com', { 'aws:SourceArn': ruleArn, 'aws:SourceAccount': ACCOUNT })).toBe('Allowed');
    expect(await publish('events.amazonaws.com', { 'aws:SourceArn': `arn:aws:events:${REGION}:${ACCOUNT}:rule/someone-elses`, 'aws:SourceAccount': ACCOUNT })).toBe(
      'ImplicitlyDenied',
    );
    expect(await publish('events.amazonaws.com', { 'aws:SourceArn': `arn:aws:events:${REGION}:999999999999:rule/${ruleId}`, 'aws:SourceAccount': '999999999999' })).toBe(
      'ImplicitlyDenied',
    );
  });

  it("lets CloudWatch publish only for this stack's alarms", async () => {
    const alarmIds = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarmIds).toHaveLength(4);
    const alarmArn = (id: string) => `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${id}`;
    // Alarm ARNs are GetAtt Arn of the alarm: resolve them the same way the template does.
    const stmt = (topicPolicy as any).Statement.find((s: any) => s.Sid === 'AlarmsPublish');
    const allowedArns = stmt.Condition.ArnEquals['aws:SourceArn'] as string[];
    expect(allowedArns).toHaveLength(4);
    expect(await publish('cloudwatch.amazonaws.com', { 'aws:SourceArn': allowedArns[0], 'aws:SourceAccount': ACCOUNT })).toBe('Allowed');
    expect(await publish('cloudwatch.amazonaws.com', { 'aws:SourceArn': alarmArn('SomeOtherAlarm'), 'aws:SourceAccount': ACCOUNT })).toBe('ImplicitlyDenied');
  });
});

describe('CertbeatZoneRole (deployed in the account that owns the zone)', () => {
  const ZONE_ACCOUNT = '210987654321';
  const renewerRoleArn = `arn:aws:iam::${ACCOUNT}:role/Certbeat-RenewalRenewerRole-ABC`;
  const app = new App({ context: cdkJsonContext() });
  const stack = new Stack(app, 'Dns', { env: { account: ZONE_ACCOUNT, region: REGION } });
  new CertbeatZoneRole(stack, 'CertbeatDns', { renewerRoleArn, hostedZoneId: 'ZORG', names: ['example.org', '*.example.org', 'api.example.org'], roleName: 'certbeat-dns' });
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Resources;
  const policies = rolePolicies(template, 'CertbeatDnsRole');
  const [role] = Object.values(template.findResources('AWS::IAM::Role'));
  const trust = resolve(role.Properties.AssumeRolePolicyDocument, resources);
  const zoneRoleArn = `arn:aws:iam::${ZONE_ACCOUNT}:role/certbeat-dns`;
  const change = (names: string[], types = ['TXT']) => ({
    action: 'route53:ChangeResourceRecordSets',
    resource: 'arn:aws:route53:::hostedzone/ZORG',
    resourceAccount: ZONE_ACCOUNT,
    context: {
      'route53:ChangeResourceRecordSetsNormalizedRecordNames': names,
      'route53:ChangeResourceRecordSetsRecordTypes': types,
      'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
    },
  });

  it('is assumable by the renewal role (session "certbeat") and no one else', async () => {
    const assume = (principal: string, session = 'certbeat') =>
      evaluate(
        [{ name: 'renewer', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: zoneRoleArn }] } }],
        { action: 'sts:AssumeRole', resource: zoneRoleArn, resourceAccount: ZONE_ACCOUNT, resourcePolicy: trust, context: { 'sts:RoleSessionName': session } },
        principal,
      );
    expect(await assume(renewerRoleArn)).toBe('Allowed');
    expect(await assume(`arn:aws:iam::${ACCOUNT}:role/SomeOtherRole`)).toBe('ImplicitlyDenied');
    expect(await assume(renewerRoleArn, 'admin')).toBe('ImplicitlyDenied');
  });

  it('writes only the challenge TXT records of the given names in its zone', async () => {
    const principal = `arn:aws:sts::${ZONE_ACCOUNT}:assumed-role/certbeat-dns/certbeat`;
    expect(await evaluate(policies, change(['_acme-challenge.example.org']), principal)).toBe('Allowed');
    expect(await evaluate(policies, change(['_acme-challenge.api.example.org']), principal)).toBe('Allowed');
    expect(await evaluate(policies, change(['_acme-challenge.www.example.org']), principal)).toBe('ImplicitlyDenied');
    expect(await evaluate(policies, change(['example.org']), principal)).toBe('ImplicitlyDenied');
    expect(await evaluate(policies, change(['_acme-challenge.example.org'], ['A']), principal)).toBe('ImplicitlyDenied');
    expect(await evaluate(policies, { ...change(['_acme-challenge.example.org']), resource: 'arn:aws:route53:::hostedzone/ZOTHER' }, principal)).toBe('ImplicitlyDenied');
  });
});

describe('stack outputs', () => {
  it("outputs the renewal role's ARN for zone roles in other accounts", () => {
    const { template } = buildStack(BASE_CONFIG);
    const outputs = template.toJSON().Outputs as Record<string, { Value: { 'Fn::GetAtt': string[] } }>;
    expect(outputs.RenewerRoleArn.Value['Fn::GetAtt'][0]).toMatch(/^RenewalRenewerRole/);
    expect(outputs.RenewerRoleArn.Value['Fn::GetAtt'][1]).toBe('Arn');
  });
});
