/**
 * Issue 9 item 1: IAM for adopted certificates, evaluated offline with an IAM simulator: the renewal
 * Lambda may read and tag (with its own id only) exactly the adopted ARNs, and re-import into one once it
 * carries the tag; no other certificate becomes readable or taggable. Plus `acmArn` config validation.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { CertbeatConfigError, parseConfig } from '../../../cdk/config.js';
import { renewerStatements } from '../../../cdk/constructs/renewer-policy.js';
import { flat } from '../stack-fixture.js';

const ACCOUNT = '123456789012';
const ADOPTED = `arn:aws:acm:eu-west-1:${ACCOUNT}:certificate/11111111-2222-3333-4444-555555555555`;
const STACK_TAG = 'Certbeat';
const OTHER = `arn:aws:acm:eu-west-1:${ACCOUNT}:certificate/99999999-8888-7777-6666-555555555555`;

const config = parseConfig({
  sender: 'certbeat@example.com',
  certificates: [
    { id: 'shop', names: ['shop.example.com'], zoneId: 'ZEXAMPLECOM', acmArn: ADOPTED },
    { id: 'site', names: ['example.com'], zoneId: 'ZEXAMPLECOM' },
  ],
});

function policy() {
  const stack = new Stack(new App(), 'Certbeat', { env: { account: ACCOUNT, region: 'eu-west-1' } });
  const statements = renewerStatements(stack, config, {
    tableArn: `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/t`,
    dueIndexArn: `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/t/index/due`,
    accountSecretArn: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:acct`,
    eabSecretArns: [],
    pendingSecretsArn: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:pending/*`,
    stackTag: STACK_TAG,
  });
  const json = JSON.stringify(flat(stack.resolve(statements.map((s) => s.toStatementJson())))).replaceAll('<AWS::Partition>', 'aws');
  return { Version: '2012-10-17', Statement: JSON.parse(json) };
}

async function decision(action: string, resource: string, context: Record<string, string | string[]> = {}): Promise<string> {
  const result = await runSimulation(
    {
      request: { principal: `arn:aws:iam::${ACCOUNT}:role/renewer`, action, resource: { resource, accountId: ACCOUNT }, contextVariables: context },
      identityPolicies: [{ name: 'renewer', policy: policy() }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType !== 'single') throw new Error(`simulation failed: ${JSON.stringify(result).slice(0, 500)}`);
  return result.overallResult;
}

describe('IAM for adopted certificates (IAM simulator)', () => {
  it('reads an adopted ARN before it is tagged, and nothing else untagged', async () => {
    expect(await decision('acm:DescribeCertificate', ADOPTED)).toBe('Allowed');
    expect(await decision('acm:ListTagsForCertificate', ADOPTED)).toBe('Allowed');
    expect(await decision('acm:DescribeCertificate', OTHER)).toBe('ImplicitlyDenied');
  });

  it('tags an adopted ARN with its own id and this deployment\'s tag only', async () => {
    const tag = (id: string, stack = STACK_TAG, keys = ['certbeat:id', 'certbeat:stack']) => ({
      'aws:RequestTag/certbeat:id': id,
      'aws:RequestTag/certbeat:stack': stack,
      'aws:TagKeys': keys,
    });
    expect(await decision('acm:AddTagsToCertificate', ADOPTED, tag('shop'))).toBe('Allowed');
    // Another id with this deployment's tag passes the first-import statement: the residual risk the
    // README and the cdk-nag acknowledgment state (IAM cannot tell a first import's tags from tagging).
    expect(await decision('acm:AddTagsToCertificate', ADOPTED, tag('intruder'))).toBe('Allowed');
    expect(await decision('acm:AddTagsToCertificate', ADOPTED, tag('shop', 'OtherStack'))).toBe('ImplicitlyDenied');
    expect(await decision('acm:AddTagsToCertificate', ADOPTED, tag('shop', STACK_TAG, ['certbeat:id', 'certbeat:stack', 'owner']))).toBe('ImplicitlyDenied');
  });

  it('re-imports into the adopted ARN once it carries this deployment\'s tag, not before', async () => {
    expect(await decision('acm:ImportCertificate', ADOPTED, { 'aws:ResourceTag/certbeat:id': 'shop', 'aws:ResourceTag/certbeat:stack': STACK_TAG })).toBe('Allowed');
    expect(await decision('acm:ImportCertificate', ADOPTED, { 'aws:ResourceTag/certbeat:id': 'shop' })).toBe('ImplicitlyDenied');
  });
});

describe('acmArn in the deployment config', () => {
  it('is kept on the certificate (the seed writes it), names normalized as usual', () => {
    expect(config.certificates[0]).toMatchObject({ id: 'shop', acmArn: ADOPTED, names: ['shop.example.com'] });
    expect('acmArn' in config.certificates[1]).toBe(false);
  });

  it('refuses a malformed ARN and one ARN adopted twice, naming the field and the fix', () => {
    const problems = (raw: unknown) => {
      try {
        parseConfig(raw);
      } catch (e) {
        if (e instanceof CertbeatConfigError) return e.problems;
        throw e;
      }
      throw new Error('expected a config error');
    };
    expect(problems({ sender: 'certbeat@example.com', certificates: [{ id: 'a', names: ['a.example.com'], acmArn: 'arn:aws:acm:eu-west-1:1:certificate/x y' }] })).toEqual([
      expect.stringMatching(/^certificates\[0\]\.acmArn: "arn:aws:acm:eu-west-1:1:certificate\/x y" is not an ACM certificate ARN; copy it from ACM/),
    ]);
    expect(
      problems({
        sender: 'certbeat@example.com',
        certificates: [
          { id: 'a', names: ['a.example.com'], acmArn: ADOPTED },
          { id: 'b', names: ['b.example.com'], acmArn: ADOPTED },
        ],
      }),
    ).toEqual([`certificates[1].acmArn: ${ADOPTED} is already adopted by certificates[0]; one ACM certificate can be renewed by one certificate id only`]);
  });
});
