/**
 * certbeat as a library: another CDK app imports `Certbeat` through the package's export path
 * ("certbeat", package.json `exports`), puts it into its own stack beside its own resources, and
 * synthesizes with cdk-nag's AwsSolutions checks; certbeat's part passes them.
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { cdkJsonContext } from './stack-fixture.js';

describe('Certbeat in a foreign app', () => {
  it('resolves through the package export and synthesizes inside another stack, nag-clean', async () => {
    const resolved = import.meta.resolve('certbeat');
    expect(resolved).toMatch(/\/cdk\/index\.ts$/);
    const certbeat = await import('certbeat');
    expect(typeof certbeat.Certbeat).toBe('function');

    const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'PlatformStack', { env: { account: '123456789012', region: 'eu-west-1' } });
    const queue = new sqs.Queue(stack, 'TheirQueue', { enforceSSL: true });
    Validations.of(queue).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'test stand-in for the foreign app own resources' });
    const config = certbeat.parseConfig({
      sender: 'certbeat@example.com',
      defaultRecipients: ['ops@example.com'],
      certificates: [{ id: 'site', names: ['example.com', '*.example.com'], zoneId: 'ZEXAMPLECOM' }],
    });
    const tls = new certbeat.Certbeat(stack, 'Tls', { config });
    const checks = new AwsSolutionsChecks(app);
    Validations.of(app).addPlugins(checks);

    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SQS::Queue', 1);
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::Lambda::Function', { Description: 'certbeat: renews the certificates in the inventory' });
    // The deployment name is derived from the stack and the construct id, so a second certbeat differs.
    expect(tls.deploymentName).toBe('PlatformStack-Tls');
    const env = Object.values(template.findResources('AWS::Lambda::Function')).map((f) => f.Properties.Environment?.Variables ?? {});
    expect(env.some((v) => v.CERTBEAT_STACK_TAG === 'PlatformStack-Tls')).toBe(true);
    expect(checks.validateScope(app).violations).toEqual([]);
  });
});
