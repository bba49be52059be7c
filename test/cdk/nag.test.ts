import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { BASE_CONFIG, buildStack, testApp } from './stack-fixture.js';

/** AwsSolutionsChecks that also remember which acknowledgments actually silenced a finding. */
function recordingChecks(app: IConstruct) {
  const checks = new AwsSolutionsChecks(app);
  const used = new Set<string>();
  // isAcknowledged is the pack's (private) lookup of Validations.acknowledge() metadata.
  const pack = checks as unknown as { isAcknowledged(resource: IConstruct, ruleId: string): boolean };
  const lookup = pack.isAcknowledged.bind(checks);
  pack.isAcknowledged = (resource, ruleId) => {
    const acknowledged = lookup(resource, ruleId);
    if (acknowledged) used.add(ruleId);
    return acknowledged;
  };
  return { checks, used };
}

/** Every acknowledgment recorded in the tree: rule id and reason, with where it was made. */
function acknowledgments(root: IConstruct): Array<{ path: string; id: string; reason: string }> {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, unknown>).map(([id, value]) => ({
          path: c.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason: typeof value === 'string' ? value : String((value as { reason?: string }).reason ?? ''),
        })),
      ),
  );
}

const CONFIGS: Record<string, { config: unknown; props?: StackProps }> = {
  'explicit zones, topic, weekly digest in a time zone': {
    config: {
    ...BASE_CONFIG,
    alarms: { emails: ['oncall@example.com'] },
    schedule: { timezone: 'Europe/Berlin' },
    digest: { frequency: 'weekly', weekday: 'FRI', time: '09:15', recipients: ['digest@example.com'] },
    certificates: [
      { id: 'site', names: ['example.com', '*.example.com'], zoneId: 'ZEXAMPLECOM' },
      { id: 'shop', names: ['shop.example.net'], zones: { 'shop.example.net': 'ZEXAMPLENET' } },
    ],
    },
  },
  'zone lookup, EAB, cross-account zone, account and region known': {
    props: { env: { account: '123456789012', region: 'eu-central-1' } },
    config: {
    ...BASE_CONFIG,
    zoneRoles: { ZOTHERACCOUNT: 'arn:aws:iam::210987654321:role/certbeat-dns' },
    certificates: [
      { id: 'auto', names: ['auto.example.com'] },
      { id: 'far', names: ['far.example.org'], zoneId: 'ZOTHERACCOUNT' },
      { id: 'eab', names: ['eab.example.com'], ca: { directoryUrl: 'https://acme.example-ca.test/dir', eabSecretName: 'certbeat/eab' } },
    ],
    },
  },
};

describe('cdk-nag AwsSolutions', () => {
  for (const [name, { config, props }] of Object.entries(CONFIGS)) {
    it(`leaves no finding unacknowledged, and every acknowledgment is used and explained (${name})`, () => {
      const app = testApp();
      const { checks, used } = recordingChecks(app);
      Validations.of(app).addPlugins(checks);
      buildStack(config, { app, props });

      expect(checks.validateScope(app).violations).toEqual([]);
      const acks = acknowledgments(app);
      expect(acks.length).toBeGreaterThan(0);
      for (const ack of acks) {
        expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThan(60);
        expect(used, `${ack.id} at ${ack.path} silences nothing`).toContain(ack.id);
      }

      // The synthesis-time report (cdk-nag, CloudFormation rules, annotations) is empty as well.
      const assembly = app.synth();
      const reportFile = join(assembly.directory, 'validation-report.json');
      const reports = existsSync(reportFile) ? JSON.parse(readFileSync(reportFile, 'utf8')).pluginReports : [];
      expect(reports.flatMap((r: { violations: unknown[] }) => r.violations)).toEqual([]);
    });
  }

  it('is live: an unacknowledged finding is reported', () => {
    const app = testApp();
    const stack = new Stack(app, 'Control');
    new secretsmanager.Secret(stack, 'NotRotated');
    const violations = new AwsSolutionsChecks(app).validateScope(app).violations;
    expect(violations.map((v) => v.ruleName)).toContain('AwsSolutions-SMG4');
  });
});
