/**
 * Builds the certbeat stack for template tests: an App with cdk.json's context (feature flags), bundling
 * skipped (esbuild runs only in the synth test) and stand-in Lambda entries, plus helpers that read
 * IAM policies out of the template with intrinsic functions flattened to strings.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type StackProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CertbeatStack, PROJECT_ROOT } from '../../cdk/certbeat-stack.js';
import { parseConfig } from '../../cdk/config.js';

export const FIXTURE_ENTRY = join(PROJECT_ROOT, 'test', 'cdk', 'fixtures', 'handler.ts');

/** The context a real `cdk synth` gets from cdk.json. */
export function cdkJsonContext(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')).context;
}

export function testApp(): App {
  return new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
}

export const BASE_CONFIG = {
  sender: 'certbeat@example.com',
  defaultRecipients: ['ops@example.com'],
  certificates: [{ id: 'site', names: ['example.com', '*.example.com'], zoneId: 'ZEXAMPLECOM' }],
};

export function buildStack(rawConfig: unknown, options: { app?: App; id?: string; props?: StackProps } = {}) {
  const app = options.app ?? testApp();
  const stack = new CertbeatStack(app, options.id ?? 'Certbeat', {
    config: parseConfig(rawConfig),
    renewerEntry: FIXTURE_ENTRY,
    seedEntry: FIXTURE_ENTRY,
    ...options.props,
  });
  return { app, stack, template: Template.fromStack(stack) };
}

/** Intrinsics as readable strings: `{Ref: AWS::Partition}` → `<AWS::Partition>`, GetAtt → `<Id.Attr>`. */
export function flat(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(flat);
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if ('Ref' in o) return `<${String(o.Ref)}>`;
    if ('Fn::GetAtt' in o) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map((p) => String(flat(p))).join(sep);
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, flat(v)]));
  }
  return value;
}

export interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** The statements of the inline policy attached to the role whose logical id starts with `rolePrefix`. */
export function policyStatements(template: Template, rolePrefix: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  const out: Statement[] = [];
  for (const policy of Object.values(policies)) {
    const roles = (policy.Properties.Roles as Array<{ Ref: string }>).map((r) => r.Ref);
    if (roles.some((r) => r.startsWith(rolePrefix))) out.push(...(flat(policy.Properties.PolicyDocument.Statement) as Statement[]));
  }
  return out;
}

export const asList = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
